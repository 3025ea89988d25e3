"""What the model writes for a few fixed held-out inputs at each evaluation (a chat's prompts, a summarizer's
sources), logged as `samples` events, so the Train tab shows its texts change while it learns. A callback: it reads
the model and emits events only. Imported by a task's callbacks() when a run needs it: it pulls in torch, which
loading the task registry must not."""
from __future__ import annotations

from typing import Any

from transformers import TrainerCallback

from engine.generation import GenerationSettings, generate_texts
from engine.runs.events import EventLog

SAMPLE_PROMPTS = 3
SAMPLE_TOKENS = 48   # enough to see a style or format appear; short, since it runs at every evaluation


class SampleGenerations(TrainerCallback):
    def __init__(self, log: EventLog, prompts: list[str], prompt_ids: list[list[int]], references: list[str],
                 settings: GenerationSettings = GenerationSettings(max_new_tokens=SAMPLE_TOKENS)):
        self.log, self.prompts, self.prompt_ids, self.references = log, prompts, prompt_ids, references
        self.settings = settings

    def on_evaluate(self, args: Any, state: Any, control: Any, model: Any = None, processing_class: Any = None,
                    **kwargs: Any) -> None:
        if model is None or processing_class is None or not self.prompts:
            return
        was_training = model.training
        model.eval()
        try:
            outputs = generate_texts(model, processing_class, self.prompt_ids, self.settings)
        finally:
            model.train(was_training)
        self.log.append("samples", step=state.global_step, epoch=round(state.epoch or 0.0, 4),
                        samples=[{"prompt": p, "reference": r, "output": o}
                                 for p, r, o in zip(self.prompts, self.references, outputs)])
