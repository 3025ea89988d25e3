"""Pieces several task modules share: loading a pretrained body with a new head, and tokenizing texts.

Not a task itself (it registers nothing); the registry imports it like any module in engine/tasks.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.config import RunConfig


def load_head_model(auto_class: Any, model_path: str, head: dict[str, Any], weights: bool = True) -> Any:
    """`auto_class` (AutoModelFor...) from `model_path` with the head described by `head` (num_labels, id2label,
    problem_type...); weights=False builds it on the meta device, shapes only, for counting parameters."""
    import torch
    from transformers import AutoConfig
    from transformers.utils import logging as hf_logging

    if not weights:
        with torch.device("meta"):
            return auto_class.from_config(AutoConfig.from_pretrained(model_path, **head))
    # The new head is untrained by design; the warning about it only confuses users.
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        return auto_class.from_pretrained(model_path, **head)
    finally:
        hf_logging.set_verbosity(verbosity)


def tokenize_texts(texts: list[str], tokenizer: Any, cfg: "RunConfig") -> dict[str, list]:
    """Token ids of `texts`, cut at the config's max length and padded as it asks (dynamic padding leaves that
    to the collator)."""
    padding = "max_length" if cfg.train.padding == "max_length" else False
    return dict(tokenizer(texts, truncation=True, max_length=cfg.model.max_length, padding=padding))


def in_order_evaluation(trainer_class: Any) -> Any:
    """`trainer_class` evaluating its rows in the evaluation set's order, whatever the training sampling.

    With length grouping (train.group_by_length, on by default), transformers' Trainer also groups the evaluation
    rows by length, so the predictions reach compute_metrics shuffled. Tasks that score with the label ids alone
    do not mind; tasks whose compute_metrics maps predictions back through the evaluation features (token
    classification's words, question answering's offsets) need them in the features' order. On several processes
    the Trainer already evaluates in order (no sampler; the gathered rows come back in order).
    """
    if trainer_class not in _ORDERED:
        _ORDERED[trainer_class] = _ordered(trainer_class)
    return _ORDERED[trainer_class]


_ORDERED: dict[Any, Any] = {}


def _ordered(trainer_class: Any) -> Any:
    from torch.utils.data import SequentialSampler

    class InOrderEvaluation(trainer_class):
        def _get_eval_sampler(self, eval_dataset: Any) -> Any:
            if eval_dataset is None or not hasattr(eval_dataset, "__len__") or self.args.world_size > 1:
                return super()._get_eval_sampler(eval_dataset)
            return SequentialSampler(eval_dataset)

    InOrderEvaluation.__name__ = f"InOrderEvaluation{trainer_class.__name__}"
    return InOrderEvaluation
