"""What the Label tab draws: the card of the row being labeled (with its keys), progress, the model's status and
agreement; and the script that turns key presses into the card's events.

Everything here is plain rendering of engine views: user text is escaped, people are named (never by id).
"""
from __future__ import annotations

import html
import time

from engine.labeling.assist import ModelState
from engine.labeling.desk import ChangeView, ItemView
from engine.labeling.items import Progress
from engine.labeling.store import PALETTE, Project
from ui.i18n import text

# In the page: a click on a card button, or a key anywhere while the Label tab is shown (and no text box has the
# focus), becomes one `click` event of the card carrying {action, label, item}. `item` is the row on screen when
# the key went down, so a key pressed faster than the page redraws acts on what the person saw.
KEYS_JS = """
const send = (action, label) => {
  const card = element.querySelector('[data-item]');
  trigger('click', {action: action, label: label || '', item: card ? Number(card.dataset.item) : -1});
};
element.addEventListener('click', (event) => {
  const button = event.target.closest('[data-action]');
  if (button) send(button.dataset.action, button.dataset.label);
});
const onKey = (event) => {
  if (!element.isConnected) { document.removeEventListener('keydown', onKey); return; }
  if (!element.offsetParent || event.altKey || event.metaKey || event.repeat) return;
  const target = event.target;
  if (target && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName))) return;
  const key = event.key.toLowerCase();
  const labels = element.querySelectorAll('[data-action=label]');
  const digit = '1234567890'.indexOf(key);
  if (event.ctrlKey) {
    if (key !== 'z') return;
    send('undo');
  } else if (digit >= 0 && labels[digit]) {
    send('label', labels[digit].dataset.label);
  } else if (key === 'enter' || key === 'a') {
    send('accept');
  } else if (key === 's' || key === 'arrowright') {
    send('skip');
  } else if (key === 'b' || key === 'arrowleft') {
    send('back');
  } else if (key === 'u' || key === 'z') {
    send('undo');
  } else if (key === 'n') {
    const note = document.querySelector('#label-note textarea, #label-note input');
    if (note) note.focus();
  } else {
    return;
  }
  event.preventDefault();
};
document.addEventListener('keydown', onKey);
"""

CARD_CSS = """
.tb-card { border: 1px solid #d1d5db; border-radius: 10px; padding: 14px 16px; }
.tb-card-head { color: #6b7280; font-size: .9em; display: flex; justify-content: space-between; gap: 8px; }
.tb-card-text { font-size: 1.25em; line-height: 1.5; margin: 12px 0; white-space: pre-wrap; }
.tb-card-suggestion { margin: 6px 0 10px; }
.tb-card button { border: 1px solid #d1d5db; border-radius: 8px; padding: 6px 10px; margin: 3px 4px 3px 0;
  background: white; cursor: pointer; }
.tb-card button.tb-chosen { outline: 3px solid var(--c, #2563eb); font-weight: 600; }
.tb-card kbd { font-family: monospace; border: 1px solid #9ca3af; border-radius: 4px; padding: 0 4px;
  margin-right: 4px; background: #f3f4f6; }
.tb-swatch { display: inline-block; width: 10px; height: 10px; border-radius: 3px; background: var(--c);
  margin-right: 4px; }
.tb-card-history { color: #4b5563; font-size: .85em; margin-top: 10px; padding-left: 18px; }
.tb-overwrite { color: #b45309; }
.tb-bar { height: 10px; background: #e5e7eb; border-radius: 5px; overflow: hidden; margin: 4px 0 6px; }
.tb-fill { height: 100%; background: #16a34a; }
"""


def card_html(project: Project, view: ItemView | None, lang: str) -> str:
    colors = {c.name: c.color for c in project.classes}
    if view is None:
        return f"<div class='tb-card' data-empty='1'><div class='tb-card-text'>{text('label_queue_empty', lang)}" \
               f"</div>{_actions(lang, accept=False)}</div>"
    chosen = view.label
    labels = "".join(
        f"<button data-action='label' data-label='{html.escape(name, quote=True)}' style='--c:{colors[name]}' "
        f"class='{'tb-chosen' if name == chosen else ''}'><kbd>{_key(i)}</kbd><span class='tb-swatch'></span>"
        f"{html.escape(name)}</button>" for i, name in enumerate(project.labels))
    status = text("label_blind", lang) if view.blind else _status(view, lang)
    return (f"<div class='tb-card' data-item='{view.idx}'>"
            f"<div class='tb-card-head'><span>#{view.number:,}</span><span>{status}</span></div>"
            f"<div class='tb-card-text'>{html.escape(view.text)}</div>{_suggestion(view, colors, lang)}"
            f"<div>{labels}</div>{_actions(lang, accept=view.suggestion is not None)}"
            f"{_history(view.history, lang)}</div>")


def _key(position: int) -> str:
    return str((position + 1) % 10) if position < 10 else ""


def _status(view: ItemView, lang: str) -> str:
    if view.label is None:
        return text("label_unlabeled", lang)
    key = "label_accepted_by" if view.accepted else "label_labeled_by"
    return html.escape(text(key, lang).format(label=view.label, who=view.labeler or "?"))


def _suggestion(view: ItemView, colors: dict[str, str], lang: str) -> str:
    if view.suggestion is None:
        return ""
    color = colors.get(view.suggestion, PALETTE[0])
    return (f"<div class='tb-card-suggestion'>{text('label_suggestion', lang)}: <span class='tb-swatch' "
            f"style='--c:{color}'></span><b>{html.escape(view.suggestion)}</b> · "
            f"{text('label_confidence', lang)} {view.confidence or 0:.0%}</div>")


def _actions(lang: str, accept: bool) -> str:
    buttons = [("accept", text("label_key_enter", lang), "label_accept")] if accept else []
    buttons += [("skip", "S", "label_skip"), ("back", "B", "label_back"), ("undo", "U", "label_undo")]
    shown = "".join(f"<button data-action='{action}'><kbd>{key}</kbd>{text(words, lang)}</button>"
                    for action, key, words in buttons)
    return f"<div>{shown}<span><kbd>N</kbd>{text('label_note_key', lang)}</span></div>"


def _history(changes: list[ChangeView], lang: str) -> str:
    if not changes:
        return ""
    lines = []
    for change in reversed(changes):
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(change.at))
        words = text(f"label_change_{change.action}", lang).format(
            who=change.who, label=change.label or "—", previous=change.previous or "—",
            previous_labeler=change.previous_labeler or "—")
        css = " class='tb-overwrite'" if change.overwrote else ""
        undone = f" ({text('label_undone', lang)})" if change.undone else ""
        lines.append(f"<li{css}>{when} · {html.escape(words)}{undone}</li>")
    return f"<ul class='tb-card-history'>{''.join(lines)}</ul>"


def progress_html(project: Project, progress: Progress, lang: str) -> str:
    share = progress.labeled / progress.total if progress.total else 0.0
    counts = " · ".join(f"<span class='tb-swatch' style='--c:{c.color}'></span>{html.escape(c.name)} "
                        f"<b>{progress.per_label.get(c.name, 0):,}</b>" for c in project.classes)
    rate = text("label_rate", lang).format(everyone=progress.per_hour, mine=progress.mine_per_hour)
    head = text("label_progress", lang).format(labeled=progress.labeled, total=progress.total, share=share)
    return (f"<div class='tb-card-progress' data-labeled='{progress.labeled}'><div>{head}</div>"
            f"<div class='tb-bar'><div class='tb-fill' style='width:{share:.1%}'></div></div>"
            f"<div>{counts} · {rate}</div></div>")


def model_markdown(state: ModelState, labeled: int, lang: str) -> str:
    if not state.run_id:
        return text("label_no_model", lang)
    status = text(f"status_{state.status}", lang) if state.status not in ("", "created") else \
        text("status_starting", lang)
    lines = [text("label_model_run", lang).format(status=status, trained=state.trained_at,
                                                  new=max(labeled - state.trained_at, 0))]
    if state.suggested or state.working:
        key = "label_suggesting" if state.working else "label_suggested"
        lines.append(text(key, lang).format(done=state.suggested, total=state.total))
    return " · ".join(lines)


def agreement_markdown(pairs: list, people: dict[str, int], lang: str) -> str:
    """Labels per person, then Cohen's kappa for each pair of people (overall and per label)."""
    lines = [text("label_people", lang) + ": " + (" · ".join(f"{_md(name)} **{count:,}**"
                                                          for name, count in people.items()) or "—")]
    if not pairs:
        return "\n\n".join(lines + [text("label_no_overlap", lang)])
    rows = [f"| {text('label_pair', lang)} | {text('label_rows', lang)} | {text('label_same', lang)} | κ | "
            f"{text('label_kappa_per_label', lang)} |", "|---|---:|---:|---:|---|"]
    for pair in pairs:
        per_label = ", ".join(f"{_md(label)} {_kappa(kappa)}" for label, kappa in pair.per_label.items())
        rows.append(f"| {_md(pair.first)} / {_md(pair.second)} | {pair.rows:,} | {pair.observed:.0%} | "
                    f"{_kappa(pair.kappa)} | {per_label} |")
    return "\n\n".join(lines + ["\n".join(rows)])


def _kappa(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _md(words: str) -> str:
    """A name or label shown literally in Markdown (and in a table cell)."""
    return html.escape(words).replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")
