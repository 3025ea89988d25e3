"""English left on a Chinese page: the words of a text that are English, outside a short allow-list.

The allow-list holds what a Chinese interface writes in Latin letters too, and only that:
- names: the product (Tunebench), the framework credited in the footer (Gradio), Hugging Face, its Transformers
  library, model names and the architecture class a model card shows (BERT, all-MiniLM-L6-v2, SmolLM2, GPT-2,
  BertModel, T5, BART, MiniLM2MiniLM) and the GGUF file format a model ships in;
- file formats and the API, which Chinese software names by their acronyms (CSV, JSON, YAML, API...);
- names of methods and metrics that have no Chinese name in common use (LoRA, IA3, F1, AdamW, Adafactor, SGD,
  Cohen's kappa, ROUGE-1, ROUGE-2, ROUGE-L, ROUGE-Lsum, the Top-p and Top-k samplers);
- keyboard keys, a single capital letter (按 N 输入备注);
- hardware and units (CPU, GPU, CUDA, MPS, MB, GB) and the tokenizer's literal unknown token [UNK];
- literal spellings that are the subject of a sentence: character encodings (utf-8, gb18030...) and HTML entities
  (&amp;);
- identifiers: config keys inside error messages (train.seed), paths and file names (a/b, name.csv, the demo
  datasets' reviews_en and reviews_zh), run ids, and Gradio's running-time counter (4.3s);
- whatever a test adds: the user's own data (column names, labels, texts) and the model folder it trains.
"""
from __future__ import annotations

import re
from typing import Iterable

from engine.config import ENCODINGS
from engine.data import DEMO_DATASETS
from engine.tasks import task_names

# A word: letters, then letters or digits, joined by - _ . : / ' (so a path, a file name or a config key is one
# word); an HTML entity is one word too.
WORD = re.compile(r"&#?\w+;|[A-Za-z][A-Za-z0-9]*(?:[-_.:/'][A-Za-z0-9]+)*")

NAMES = {"Tunebench", "Gradio", "Hugging", "Face", "Transformers", "BERT", "all-MiniLM-L6-v2", "SmolLM2",
         "SmolLM2-135M-Instruct", "GPT-2", "GGUF", "T5", "BART", "MiniLM2MiniLM"}
FORMATS = {"CSV", "TSV", "TXT", "JSON", "JSONL", "Parquet", "Excel", "YAML", "HTML", "API"}
METHODS_AND_METRICS = {"LoRA", "IA3", "F1", "AdamW", "Adafactor", "SGD", "Cohen's", "kappa", "Top-p", "Top-k",
                       "ROUGE-1", "ROUGE-2", "ROUGE-L", "ROUGE-Lsum"}
KEY = re.compile(r"[A-Z]")
MARKUP = re.compile(r"<[^>]*>")   # HTML tags in a template are markup, not words
HARDWARE_AND_UNITS = {"CPU", "GPU", "CUDA", "MPS", "MB", "GB", "UNK"}
task_names()  # every task module registers its demos, whose names are shown as they are
ALLOWED_WORDS = NAMES | FORMATS | METHODS_AND_METRICS | HARDWARE_AND_UNITS | {e for e in ENCODINGS if e} | \
    set(DEMO_DATASETS)
CONFIG_SECTIONS = ("data.", "model.", "method.", "train.")
FILE_NAME = re.compile(r".+\.(csv|tsv|txt|json|jsonl|parquet|xlsx|xls|yaml|yml|zip|log)$", re.IGNORECASE)
RUN_ID = re.compile(r"\d{8}-\d{6}-[0-9a-f]{6}")
ELAPSED = re.compile(r"\b\d+(?:\.\d+)?s\b")   # Gradio's running-time counter (4.3s), a unit as Chinese UIs write it


def allowed(word: str, extra: set[str] = frozenset()) -> bool:
    return (word in ALLOWED_WORDS or word in extra or word.startswith("&") or "/" in word
            or word.startswith(CONFIG_SECTIONS) or bool(FILE_NAME.fullmatch(word) or KEY.fullmatch(word)))


def english_words(text: str, extra: set[str] = frozenset()) -> list[str]:
    """The English words of `text` that the allow-list (and `extra`) does not cover."""
    text = ELAPSED.sub(" ", RUN_ID.sub(" ", MARKUP.sub(" ", text)))
    return [word for word in WORD.findall(text) if not allowed(word, extra)]


def words_of(texts: Iterable[str]) -> set[str]:
    """Every word of some texts (the user's data, say), to allow them."""
    return {word for text in texts for word in WORD.findall(text)}
