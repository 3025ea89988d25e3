"""Gradio's own words (the File drop zone, pop-up titles, the footer, the status of a running event) in the page's
language.

Gradio's frontend picks its locale from navigator.language once, at load, and does not follow our language radio.
LOCALE_JS runs in the browser on each switch (and on the switch a page load makes to the saved or the browser's
preferred language), before the switch reaches the server:
- it sets the locale through the `changeLocale` of Gradio's core module, which the page has already loaded (so
  the import is only a lookup), after adding the words Gradio's zh-CN table lacks;
- it names the page's language on <html lang>, for screen readers and fonts;
- it translates the words Gradio writes without its translations, as they are drawn: the status of a running
  event ("processing |", "queue: 1/2 |") and a pop-up's title ("Warning").
Components already on screen keep the words they were drawn with; ui.app redraws the few that show any.
"""
from __future__ import annotations

import json

from ui.i18n import LANGUAGES

GRADIO_LOCALES = {"en": "en", "zh": "zh-CN"}
MISSING_ZH = {"common": {"runs": "运行记录", "runs_description": "查看保存在此浏览器中的运行记录"}}
UNTRANSLATED_ZH = [[r"^(\s*)processing \|(\s*)$", "$1处理中 |$2"],
                   [r"^(\s*)queue: (\d+)/(\d*) \|(\s*)$", "$1排队：$2/$3 |$4"],
                   # a pop-up's title: Gradio 6.31 writes its kind, capitalised, and ignores the title it is given
                   [r"^(\s*)Error(\s*)$", "$1出错了$2"], [r"^(\s*)Warning(\s*)$", "$1注意$2"],
                   [r"^(\s*)Info(\s*)$", "$1提示$2"], [r"^(\s*)Success(\s*)$", "$1完成$2"]]

LOCALE_JS = """async (choice, ...rest) => {
  const locale = %(locales)s[choice] || 'en';
  document.documentElement.lang = locale;
  window.tunebenchLocale = locale;
  if (!window.tunebenchStatusWords) {
    const rules = %(untranslated)s.map(([pattern, words]) => [new RegExp(pattern), words]);
    const translate = node => {
      for (const [pattern, words] of rules) {
        if (pattern.test(node.nodeValue)) node.nodeValue = node.nodeValue.replace(pattern, words);
      }
    };
    const UNTRANSLATED = '[data-testid=status-tracker], .toast-title';  // where Gradio writes them
    const walk = root => {
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let text = walker.nextNode(); text; text = walker.nextNode()) translate(text);
    };
    const added = node => {
      if (node.nodeType === Node.TEXT_NODE) {
        if (node.parentElement?.closest(UNTRANSLATED)) translate(node);
      } else if (node.nodeType === Node.ELEMENT_NODE) {
        if (node.closest(UNTRANSLATED)) walk(node);
        else node.querySelectorAll(UNTRANSLATED).forEach(walk);
      }
    };
    window.tunebenchStatusWords = new MutationObserver(changes => {
      if (window.tunebenchLocale !== 'zh-CN') return;
      for (const change of changes) {
        if (change.type === 'characterData') added(change.target);
        else change.addedNodes.forEach(added);
      }
    });
    window.tunebenchStatusWords.observe(document.body, {subtree: true, childList: true, characterData: true});
  }
  const named = [...performance.getEntriesByType('resource').map(entry => entry.name),
                 ...Array.from(document.querySelectorAll('script[src]'), script => script.src)];
  const core = named.find(name => /\\/core-[^/]*\\.js$/.test(new URL(name, location.href).pathname));
  try {
    const gradio = await import(core);
    gradio.load_translations({processed_langs: {}, custom_translations: {'zh-CN': %(missing)s}});
    gradio.changeLocale(locale);
  } catch (error) {
    console.warn("Tunebench cannot set Gradio's language", error);
  }
  return [choice, ...rest];
}""" % {"locales": json.dumps({name: GRADIO_LOCALES[code] for name, code in LANGUAGES.items()}, ensure_ascii=False),
        "untranslated": json.dumps(UNTRANSLATED_ZH), "missing": json.dumps(MISSING_ZH, ensure_ascii=False)}
