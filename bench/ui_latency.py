"""UI latency benchmark: how long after each Trainer log does the loss chart in the browser show that step?

The app runs in this process (as tests/app does) with a run of a tiny random BERT that logs its loss at every
step; a throttle in the training child makes each step last about --interval seconds, so logs come at the pace
of a real model's. A headless Chromium watches the Train tab; a poller inside the page notes when each step
first appears in the Plotly data of #loss-plot. Latency = that moment - the `time` of the step's `log` event in
events.jsonl (both clocks are this machine's). The design target: charts update within 1.5 s of each log.

Run from the repo root:  python -m bench.ui_latency [--steps 60] [--interval 0.5]
Needs Chromium at /usr/bin/chromium (or --chromium) and the packaged MiniLM tokenizer; no data download.
"""
from __future__ import annotations

import argparse
import math
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
os.environ.setdefault("OMP_NUM_THREADS", "1")  # the tiny model trains fastest on one thread; the child inherits it

from bench.common import load_average, print_table, save_results  # noqa: E402

TARGET_S = 1.5
DELAY_ENV = "TUNEBENCH_BENCH_STEP_DELAY_S"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

# Imported by the training child at start-up (its PYTHONPATH includes this file's folder): every training
# step also sleeps, so logs arrive at a steady, realistic pace instead of hundreds a second.
THROTTLE = f'''import os
_delay = float(os.environ.get("{DELAY_ENV}") or 0)
if _delay > 0:
    import time
    from engine.callbacks import EventCallback
    _step_end = EventCallback.on_step_end
    def _slow_step_end(self, args, state, control, **kwargs):
        time.sleep(_delay)
        return _step_end(self, args, state, control, **kwargs)
    EventCallback.on_step_end = _slow_step_end
'''

# Runs in the page: every 20 ms, note the wall-clock time (ms) at which each step of the train-loss trace
# is first in the chart's data. Plotly keeps the figure's traces on the .js-plotly-plot element.
POLLER = """() => {
  window.__seen = {};
  window.__polls = 0;
  setInterval(() => {
    window.__polls++;
    const plot = document.querySelector('#loss-plot .js-plotly-plot');
    const trace = plot && plot.data && plot.data.find(t => t.name === 'train loss');
    if (!trace || !trace.x) return;
    const now = Date.now();
    for (const step of trace.x) { if (!(step in window.__seen)) window.__seen[step] = now; }
  }, 20);
}"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=60, help="training steps, each logged (default 60)")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds each step is made to last (0.5)")
    parser.add_argument("--model", default="", help="a local model folder (default: a tiny random BERT)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for the run to finish")
    return parser.parse_args()


def run_config(model: str, steps: int) -> Any:
    from engine.config import DataConfig, ModelConfig, RunConfig, TrainConfig

    train = TrainConfig(max_steps=steps, logging_steps=1, train_batch_size=16, learning_rate=1e-3, warmup=0,
                        eval_strategy="no", save_strategy="no", load_best_model_at_end=False, device="cpu",
                        group_by_length=False)
    return RunConfig(name="ui-latency", data=DataConfig(train_file="demo:reviews_en"),
                     model=ModelConfig(name_or_path=model, max_length=32), train=train)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def watch(url: str, chromium: str, run_dir: Path, timeout: float) -> tuple[dict[int, float], float, int]:
    """Open the app on the Train tab and record when each step reaches the loss chart (epoch seconds).

    Returns those times, when the page started watching, and how many times the in-page poller ran."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="en-US", viewport={"width": 1400, "height": 1000})
            page.goto(url)  # the page load shows the newest run, which is ours
            page.get_by_role("tab", name="4 · Train", exact=True).click()
            page.evaluate(POLLER)
            progress = page.locator("#progress .tb-progress")
            expect(progress).to_be_attached(timeout=60_000)
            watching = time.time()
            expect(progress).to_have_attribute("data-status", "finished", timeout=timeout * 1000)
            last_step = max(e["values"]["step"] for e in _log_events(run_dir))
            page.wait_for_function(f"() => {last_step} in window.__seen", timeout=30_000)
            seen = page.evaluate("() => window.__seen")
            polls = page.evaluate("() => window.__polls")
        finally:
            browser.close()
    return {int(float(step)): ms / 1000 for step, ms in seen.items()}, watching, polls


def _log_events(run_dir: Path) -> list[dict]:
    from engine.runs.events import EventLog

    return [e for e in EventLog(run_dir).read()[0] if e["kind"] == "log"]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation): a value that was actually measured."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def summarise(latencies: list[float], missing: int) -> dict[str, Any]:
    return {"n": len(latencies), "missing": missing, "median_s": round(statistics.median(latencies), 3),
            "p95_s": round(percentile(latencies, 95), 3), "max_s": round(max(latencies), 3),
            "mean_s": round(statistics.fmean(latencies), 3), "min_s": round(min(latencies), 3),
            "within_target": round(sum(v <= TARGET_S for v in latencies) / len(latencies), 3)}


def main() -> None:
    args = parse_args()
    from engine.tiny_models import save_tiny_bert
    from engine.studio import Studio
    from ui.app import build_app, css
    from ui.tabs.train import TICK_S

    if not Path(args.chromium).exists():
        print(f"ui_latency: skipped, no Chromium at {args.chromium}.")
        return
    with tempfile.TemporaryDirectory(prefix="tunebench-ui-latency-") as tmp:
        tmp_path = Path(tmp)
        model = args.model or save_tiny_bert(tmp_path / "tiny-bert")
        throttle_dir = tmp_path / "throttle"
        throttle_dir.mkdir()
        (throttle_dir / "sitecustomize.py").write_text(THROTTLE, encoding="utf-8")
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(throttle_dir), os.environ.get("PYTHONPATH")]))
        os.environ[DELAY_ENV] = str(args.interval)

        studio = Studio(tmp_path / "runs")
        app = build_app(studio)
        port = free_port()
        app.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, css=css(),
                           max_file_size="200mb", quiet=True)
        try:
            record = studio.start(run_config(model, args.steps))
            seen, watching, polls = watch(f"http://127.0.0.1:{port}/", args.chromium, Path(record.run_dir),
                                          args.timeout)
        finally:
            app.close()
        logs = _log_events(Path(record.run_dir))

    counted = [e for e in logs if e["time"] >= watching]  # a log before the page watched is not a UI delay
    latencies = [seen[e["values"]["step"]] - e["time"] for e in counted if e["values"]["step"] in seen]
    missing = sum(e["values"]["step"] not in seen for e in counted)
    gaps = [b["time"] - a["time"] for a, b in zip(logs, logs[1:])]
    row = {"case": f"loss chart, {len(logs)} logs", **summarise(latencies, missing)}
    load = load_average()

    print(f"UI latency: Trainer log -> loss chart in Chromium (timer tick {TICK_S} s, a log every "
          f"{statistics.median(gaps):.2f} s median, {len(logs) - len(counted)} logs before the page watched "
          f"not counted, load {load})")
    print_table([row], [("case", "case", ""), ("n", "n", "d"), ("median_s", "median s", ".3f"),
                        ("p95_s", "p95 s", ".3f"), ("max_s", "max s", ".3f"), ("mean_s", "mean s", ".3f"),
                        ("within_target", f"<= {TARGET_S} s", ".1%"), ("missing", "missing", "d")])
    meets = missing == 0 and row["max_s"] <= TARGET_S
    print(f"target 'charts update within {TARGET_S} s of each Trainer log': "
          + ("met (every log)" if meets else
             f"NOT met for every log: {row['within_target']:.1%} within, p95 {row['p95_s']:.3f} s, "
             f"max {row['max_s']:.3f} s" + (f", {missing} steps never drawn" if missing else "")))
    save_results("ui_latency", {
        "settings": {"steps": args.steps, "step_interval_s": args.interval, "timer_tick_s": TICK_S,
                     "model": "tiny random BERT" if not args.model else args.model, "target_s": TARGET_S,
                     "poll_ms": 20},
        "result": row, "meets_target": meets, "log_gap_median_s": round(statistics.median(gaps), 3),
        "not_counted": len(logs) - len(counted), "page_polls": polls, "load_avg_1m": load,
        "latencies_s": [round(v, 3) for v in latencies]})


if __name__ == "__main__":
    main()
