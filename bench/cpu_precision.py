"""CPU precision benchmark: does bf16 autocast speed up MiniLM training steps on this CPU?

The studio offers bf16/fp16 only on accelerators; this measures whether CPU bf16 autocast would earn a
place in the form. Same model, same batches, same number of optimizer steps, fp32 against bf16 autocast.
Needs no shared data.

Run from the repo root:  python -m bench.cpu_precision [--steps 20] [--batch 16] [--length 48]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import MODEL, SEED, print_ratios, print_table, quiet_libraries, ratio, save_results, warm_up_torch

COLUMNS = [("precision", "precision", ""), ("steps_per_s", "steps/s", ".2f"),
           ("samples_per_s", "samples/s", ".1f"), ("final_loss", "loss after", ".4f")]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--length", type=int, default=48, help="tokens per example")
    return parser.parse_args()


def time_steps(bf16: bool, steps: int, batch: int, length: int) -> dict[str, Any]:
    import torch
    from transformers import AutoModelForSequenceClassification

    from engine.models import resolve_model

    torch.manual_seed(SEED)
    model = AutoModelForSequenceClassification.from_pretrained(resolve_model(MODEL).path, num_labels=2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    generator = torch.Generator().manual_seed(SEED)
    batches = [(torch.randint(1000, 20000, (batch, length), generator=generator),
                torch.randint(0, 2, (batch,), generator=generator)) for _ in range(steps)]
    start = time.perf_counter()
    for ids, labels in batches:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(input_ids=ids, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    seconds = time.perf_counter() - start
    return {"precision": "bf16 autocast" if bf16 else "fp32", "steps_per_s": steps / seconds,
            "samples_per_s": steps * batch / seconds, "final_loss": float(loss)}


def main() -> None:
    args = parse_args()
    quiet_libraries()
    warm_up_torch()
    rows = [time_steps(bf16, args.steps, args.batch, args.length) for bf16 in (False, True)]
    ratios = {"speed bf16/fp32": ratio(rows[1]["samples_per_s"], rows[0]["samples_per_s"])}
    print(f"\nMiniLM training steps on the CPU: batch {args.batch}, {args.length} tokens, {args.steps} steps")
    print_table(rows, COLUMNS)
    print_ratios(ratios)
    save_results("cpu_precision", {"steps": args.steps, "batch": args.batch, "length": args.length,
                                   "rows": rows, "ratios": ratios})


if __name__ == "__main__":
    main()
