"""Labeling benchmarks: does uncertainty sampling save labels, and does a 100,000-text project stay responsive?

    python -m bench.labeling active  [--pool 10000] [--seeds 5] [--start 20] [--step 20] [--budget 1000]
    python -m bench.labeling store   [--rows 100000] [--keys 200]
    python -m bench.labeling predict [--sample 2000] [--rows 100000]
    python -m bench.labeling browser [--rows 100000] [--keys 40]

active: a simulated labeling session on SST-2 (../shared/data/sst2). The labels of a pool drawn from SST-2 train
are hidden; a session starts from `--start` random labels and, every `--step` labels, retrains and reveals the
next rows in the order a strategy picks (engine.labeling.sampling.rank, the code the Label tab's queue mirrors),
up to `--budget` labels, for several seeds. Accuracy is measured on all of SST-2 dev. The model is the packaged
MiniLM as a frozen encoder (its mean-pooled sentence embeddings, computed once) with a logistic-regression head:
the studio's head_only method trains the same kind of model (a linear head on a frozen MiniLM), and refitting a
head 50 times per curve is what makes 5 seeds x 3 strategies affordable on 2 shared cores. Full fine-tuning at
every step would move the curves up, not necessarily apart.

store: a 100,000-row project in the label store: the time of one key press as the Label tab handles it (label,
next row, progress), the time to reorder by uncertainty given predictions (numpy, and writing them to the store),
and the time of each queue order's first row once they are stored.

predict: the packaged MiniLM through engine.inference.Predictor (as suggestions are computed) on a sample of
SST-2 sentences; the time for 100,000 rows is extrapolated from it, not measured.

browser: the app in Debian's Chromium with a 100,000-row project: the time from a key press to the next row
shown on the page.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

from bench.common import (LABEL, MODEL, RESULTS_DIR, TEXT, load_average, load_clean, print_table,  # noqa: E402
                          save_results, sst2_dir_or_skip)

STRATEGIES = ("random", "least_confident", "margin")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
THRESHOLDS = (0.70, 0.72, 0.74, 0.75, 0.76, 0.77, 0.78)
FIGURE = Path(__file__).resolve().parent / "figures" / "active_learning.svg"


# ---- active learning ------------------------------------------------------------------------------------------

def embed(texts: list[str], batch_size: int = 64) -> np.ndarray:
    """MiniLM sentence embeddings: the mean of the last hidden states over real tokens, unit length."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from engine.models import resolve_model

    path = resolve_model(MODEL).path
    tokenizer, model = AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()
    chunks = []
    with torch.no_grad():
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(texts[start:start + batch_size], truncation=True, max_length=128, padding=True,
                              return_tensors="pt")
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            pooled = (hidden * mask).sum(1) / mask.sum(1)
            chunks.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
    return np.concatenate(chunks)


def cached_embeddings(name: str, texts: list[str]) -> np.ndarray:
    """Embeddings are the slow part (minutes); kept in bench/results so a rerun of the simulation is quick."""
    path = RESULTS_DIR / f"labeling-embeddings-{name}-{len(texts)}.npy"
    if path.exists():
        return np.load(path)
    started = time.perf_counter()
    vectors = embed(texts)
    print(f"embedded {len(texts):,} {name} texts in {time.perf_counter() - started:.0f} s", flush=True)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def simulate(pool_x: np.ndarray, pool_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray, strategy: str,
             seed: int, start: int, step: int, budget: int) -> list[tuple[int, float]]:
    """(labels, dev accuracy) after each retraining of one simulated session."""
    from sklearn.linear_model import LogisticRegression

    from engine.labeling.sampling import rank

    rng = np.random.default_rng(seed)
    labeled = list(rng.choice(len(pool_x), size=start, replace=False))  # the same start for every strategy
    curve = []
    while True:
        head = LogisticRegression(C=1.0, max_iter=1000).fit(pool_x[labeled], pool_y[labeled])
        curve.append((len(labeled), float((head.predict(test_x) == test_y).mean())))
        if len(labeled) >= budget:
            return curve
        unlabeled = np.setdiff1d(np.arange(len(pool_x)), labeled)
        order = rank(strategy, head.predict_proba(pool_x[unlabeled]), seed=seed * 1000 + len(labeled))
        labeled += unlabeled[order[:step]].tolist()


def labels_to_reach(curve: list[tuple[int, float]], accuracy: float) -> int | None:
    return next((n for n, acc in curve if acc >= accuracy), None)


def active(args: argparse.Namespace) -> None:
    from sklearn.linear_model import LogisticRegression

    folder = sst2_dir_or_skip("labeling active")
    train, dev = load_clean(folder / "train.tsv"), load_clean(folder / "dev.tsv")
    pool = train.sample(n=min(args.pool, len(train)), random_state=0).reset_index(drop=True)
    pool_x = cached_embeddings("sst2-pool", pool[TEXT].tolist())
    test_x = cached_embeddings("sst2-dev", dev[TEXT].tolist())
    pool_y, test_y = pool[LABEL].astype(int).to_numpy(), dev[LABEL].astype(int).to_numpy()
    curves: dict[str, list[list[tuple[int, float]]]] = {s: [] for s in STRATEGIES}
    for seed in range(args.seeds):
        for strategy in STRATEGIES:
            curves[strategy].append(simulate(pool_x, pool_y, test_x, test_y, strategy, seed, args.start, args.step,
                                             args.budget))
        print(f"seed {seed}: " + ", ".join(f"{s} {curves[s][-1][-1][1]:.3f}" for s in STRATEGIES), flush=True)
    mean = {s: mean_curve(c) for s, c in curves.items()}
    rows = [{"labels": n, **{s: dict(mean[s])[n] for s in STRATEGIES}} for n, _ in mean["random"]
            if n in checkpoints(args)]
    print_table(rows, [("labels", "labels", "d"), *((s, s, ".3f") for s in STRATEGIES)])
    random_final = mean["random"][-1][1]
    saved = {s: args.budget - labels_to_reach(mean[s], random_final) for s in STRATEGIES[1:]
             if labels_to_reach(mean[s], random_final) is not None}
    print(f"random reaches {random_final:.3f} with {args.budget} labels; " + ", ".join(
        f"{s} reaches it with {args.budget - n} ({n} fewer)" for s, n in saved.items()))
    reach = [{"accuracy": level, **{s: labels_to_reach(mean[s], level) for s in STRATEGIES}}
             for level in THRESHOLDS]
    print_table(reach, [("accuracy", "labels to reach", ".2f"), *((s, s, "d") for s in STRATEGIES)])
    ceiling = float((LogisticRegression(C=1.0, max_iter=1000).fit(pool_x, pool_y).predict(test_x) == test_y).mean())
    print(f"the same head on all {len(pool):,} pool labels: {ceiling:.3f}")
    from bench.svg_chart import line_chart

    FIGURE.parent.mkdir(exist_ok=True)
    FIGURE.write_text(line_chart({s: mean[s] for s in STRATEGIES}, {s: spread(c) for s, c in curves.items()},
                                 f"labels (mean of {args.seeds} seeds; bands: lowest to highest seed)",
                                 "SST-2 dev accuracy", (f"all {len(pool):,} pool labels", ceiling)),
                      encoding="utf-8")
    print(f"figure written to {FIGURE.relative_to(Path(__file__).resolve().parents[1])}")
    save_results("labeling_active", {"pool": len(pool), "seeds": args.seeds, "start": args.start, "step": args.step,
                                     "budget": args.budget, "mean": mean, "curves": curves, "saved_at_random_final":
                                     saved, "random_final": random_final, "labels_to_reach": reach,
                                     "all_pool_labels": ceiling, "load_avg_1m": load_average()})


def mean_curve(curves: list[list[tuple[int, float]]]) -> list[tuple[int, float]]:
    return [(points[0][0], statistics.fmean(acc for _, acc in points)) for points in zip(*curves)]


def spread(curves: list[list[tuple[int, float]]]) -> list[tuple[int, float, float]]:
    """(labels, lowest, highest) accuracy over the seeds."""
    return [(points[0][0], min(a for _, a in points), max(a for _, a in points)) for points in zip(*curves)]


def checkpoints(args: argparse.Namespace) -> set[int]:
    return {args.start, 40, 60, 100, 200, 300, 400, 500, 600, 800, args.budget}


# ---- a 100,000-row project -------------------------------------------------------------------------------------

def big_texts(rows: int) -> list[str]:
    """SST-2 train sentences (67,349, repeats dropped), then the same with a copy number, up to `rows`."""
    folder = sst2_dir_or_skip("labeling")
    sentences = load_clean(folder / "train.tsv")[TEXT].tolist()
    return [sentences[i % len(sentences)] + ("" if i < len(sentences) else f" (copy {i // len(sentences)})")
            for i in range(rows)]


def big_project(root: Path, rows: int) -> tuple[Any, str, float]:
    """(desk, project id, seconds to create it) for a project of `rows` texts with labels pos and neg."""
    from engine.labeling.desk import LabelDesk, rows_of
    from engine.studio import Studio

    texts = big_texts(rows)
    desk = LabelDesk(Studio(root))
    started = time.perf_counter()
    project = desk.create("big", "local", ["neg", "pos"], rows_of(texts))
    return desk, project.id, time.perf_counter() - started


def key_press(desk: Any, project_id: str, order: str, current: int, label: str) -> int:
    """What the Label tab does for one key: write the label, fetch the next row, read the progress."""
    desk.label(project_id, current, label, "local")
    shown = desk.next(project_id, "local", order, current)
    desk.progress(project_id, "local")
    return shown.idx


def key_latencies(desk: Any, project_id: str, order: str, keys: int) -> list[float]:
    current, times = desk.next(project_id, "local", order).idx, []
    for k in range(keys):
        started = time.perf_counter()
        current = key_press(desk, project_id, order, current, ("neg", "pos")[k % 2])
        times.append(time.perf_counter() - started)
    return times


def spread_ms(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"median_ms": round(statistics.median(times) * 1000, 1),
            "p95_ms": round(ordered[max(0, int(0.95 * len(ordered)) - 1)] * 1000, 1),
            "max_ms": round(max(times) * 1000, 1)}


def store(args: argparse.Namespace) -> None:
    from engine.labeling.sampling import ORDERS, rank, scores

    with tempfile.TemporaryDirectory(prefix="tunebench-labeling-") as tmp:
        desk, project_id, created_s = big_project(Path(tmp), args.rows)
        rows = [{"case": f"key press, file order, no model ({args.rows:,} rows)",
                 **spread_ms(key_latencies(desk, project_id, "file", args.keys))}]
        probs = np.random.default_rng(0).dirichlet([1.0, 1.0], args.rows)
        numpy_s = []
        for _ in range(5):
            started = time.perf_counter()
            found, order = scores(probs), rank("least_confident", probs)
            numpy_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        suggestions = [(i, ("neg", "pos")[int(probs[i].argmax())], float(found.confidence[i]),
                        float(found.margin[i]), float(found.entropy[i])) for i in range(args.rows)]
        for first in range(0, args.rows, 256):  # in the suggestion worker's chunks, each one committed
            desk.store.items.suggest(project_id, "bench", suggestions[first:first + 256])
        stored_s = time.perf_counter() - started
        desk.store.update(project_id, suggest_run="bench")
        assert order[0] == int(np.argmin(found.confidence))
        for name in ORDERS:
            started = time.perf_counter()
            desk.next(project_id, "local", name)
            rows.append({"case": f"first row of the '{name}' queue", "median_ms": round(
                (time.perf_counter() - started) * 1000, 1)})
        rows.append({"case": "key press, least-confident order, with suggestions",
                     **spread_ms(key_latencies(desk, project_id, "least_confident", args.keys))})
    print(f"{args.rows:,}-row project created in {created_s:.1f} s; reorder by uncertainty given predictions: "
          f"{statistics.median(numpy_s) * 1000:.0f} ms (numpy scores + order); storing the scores in the label store "
          f"in 256-row commits: {stored_s:.1f} s (load {load_average()})")
    print_table(rows, [("case", "case", ""), ("median_ms", "median ms", ".1f"), ("p95_ms", "p95 ms", ".1f"),
                       ("max_ms", "max ms", ".1f")])
    save_results("labeling_store", {"rows": args.rows, "keys": args.keys, "created_s": round(created_s, 2),
                                    "reorder_numpy_ms": round(statistics.median(numpy_s) * 1000, 1),
                                    "store_scores_s": round(stored_s, 2), "cases": rows,
                                    "load_avg_1m": load_average()})


def predict(args: argparse.Namespace) -> None:
    import torch

    from engine.inference import Predictor

    folder = sst2_dir_or_skip("labeling predict")
    texts = load_clean(folder / "train.tsv")[TEXT].sample(n=args.sample, random_state=0).tolist()
    predictor = Predictor.from_base(MODEL, "text_classification", ["0", "1"], 128)
    predictor.predict(texts[:64])  # warm-up: the first batch pays for thread pools and allocation
    started = time.perf_counter()
    for first in range(0, len(texts), 256):  # the suggestion worker's chunks
        predictor.predict(texts[first:first + 256])
    seconds = time.perf_counter() - started
    per_s = len(texts) / seconds
    print(f"packaged MiniLM (max length 128, batch 32, {torch.get_num_threads()} torch threads) predicted "
          f"{len(texts):,} SST-2 sentences in {seconds:.1f} s: {per_s:.0f} texts/s; {args.rows:,} rows would take "
          f"about {args.rows / per_s / 60:.1f} min (extrapolated, load {load_average()})")
    save_results("labeling_predict", {"sample": len(texts), "seconds": round(seconds, 2), "texts_per_s": round(per_s, 1),
                                      "extrapolated_rows": args.rows, "extrapolated_s": round(args.rows / per_s, 1),
                                      "torch_threads": torch.get_num_threads(), "load_avg_1m": load_average()})


# Runs in the page: the time of each key press, and of each new row on the card (at the next frame after the card's
# DOM changed, so about when it is painted).
KEY_WATCH = """() => {
  window.__keys = []; window.__shown = [];
  document.addEventListener('keydown', () => window.__keys.push(performance.now()), true);
  const card = document.querySelector('#label-card');
  let last = card.querySelector('[data-item]').dataset.item;
  new MutationObserver(() => {
    const row = card.querySelector('[data-item]');
    if (row && row.dataset.item !== last) {
      last = row.dataset.item;
      requestAnimationFrame(() => window.__shown.push(performance.now()));
    }
  }).observe(card, {subtree: true, childList: true, attributes: true});
}"""


def browser(args: argparse.Namespace) -> None:
    from playwright.sync_api import expect, sync_playwright

    from engine.studio import Studio
    from ui.app import build_app, css

    if not Path(args.chromium).exists():
        print(f"labeling browser: skipped, no Chromium at {args.chromium}.")
        return
    with tempfile.TemporaryDirectory(prefix="tunebench-labeling-ui-") as tmp:
        big_project(Path(tmp), args.rows)
        app = build_app(Studio(Path(tmp)))
        port = free_port()
        app.queue(default_concurrency_limit=4).launch(server_name="127.0.0.1", server_port=port, css=css(),
                                                      prevent_thread_lock=True, quiet=True)
        try:
            with sync_playwright() as playwright:
                chromium = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
                page = chromium.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(f"http://127.0.0.1:{port}/")
                expect(page.locator("#data-summary")).to_contain_text("320", timeout=120_000)
                page.get_by_role("tab", name="7 · Label", exact=True).click()
                page.get_by_label("Labeling project").click()
                page.get_by_role("option", name="big").click()
                card = page.locator("#label-card [data-item]")
                expect(card).to_be_visible(timeout=60_000)
                page.evaluate(KEY_WATCH)
                for k in range(args.keys):  # as a person does: the next key once the next text is there
                    before = card.get_attribute("data-item")
                    page.keyboard.press("12"[k % 2])
                    expect(card).not_to_have_attribute("data-item", before, timeout=30_000)
                page.wait_for_function(f"() => window.__shown.length >= {args.keys}")
                pressed, shown = page.evaluate("() => [window.__keys, window.__shown]")
                chromium.close()
        finally:
            app.close()
    latencies = [(after - before) / 1000 for before, after in zip(pressed, shown)]
    row = {"case": f"key -> next row on the card ({args.rows:,} rows, Chromium)", **spread_ms(latencies)}
    print_table([row], [("case", "case", ""), ("median_ms", "median ms", ".1f"), ("p95_ms", "p95 ms", ".1f"),
                        ("max_ms", "max ms", ".1f")])
    print(f"load {load_average()}")
    save_results("labeling_browser", {"rows": args.rows, "keys": args.keys, "result": row,
                                      "latencies_ms": [round(v * 1000, 1) for v in latencies],
                                      "load_avg_1m": load_average()})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- entry --------------------------------------------------------------------------------------------------

def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="part", required=True)
    simulation = sub.add_parser("active", help="simulated active learning on SST-2")
    simulation.add_argument("--pool", type=int, default=10_000, help="SST-2 train rows whose labels are hidden")
    simulation.add_argument("--seeds", type=int, default=5)
    simulation.add_argument("--start", type=int, default=20, help="random labels before the first model")
    simulation.add_argument("--step", type=int, default=20, help="retrain every N new labels")
    simulation.add_argument("--budget", type=int, default=1000, help="labels at the end")
    simulation.set_defaults(run=active)
    speed = sub.add_parser("store", help="key presses, reordering and queues on a large project")
    speed.add_argument("--rows", type=int, default=100_000)
    speed.add_argument("--keys", type=int, default=200)
    speed.set_defaults(run=store)
    inference = sub.add_parser("predict", help="MiniLM suggestions: measured on a sample, extrapolated")
    inference.add_argument("--sample", type=int, default=2000)
    inference.add_argument("--rows", type=int, default=100_000)
    inference.set_defaults(run=predict)
    page = sub.add_parser("browser", help="key press to the next row in Chromium, on a large project")
    page.add_argument("--rows", type=int, default=100_000)
    page.add_argument("--keys", type=int, default=40)
    page.add_argument("--chromium", default="/usr/bin/chromium")
    page.set_defaults(run=browser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
