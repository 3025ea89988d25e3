"""Command line: the same engine calls the UI makes.

    python -m engine train CONFIG.yaml [--set section.key=value ...]   create a run and train it here
    python -m engine train RUN_DIR [--resume]   train (or resume) an existing run dir
    python -m engine evaluate RUN               re-score a run on its held-out split
    python -m engine predict RUN --text "..."   predict with a finished run
    python -m engine runs                       list runs
    python -m engine options                    every config setting, its default and meaning
    python -m engine inspect FILE [--json]      what the Data tab shows about a data file
    python -m engine label create|import|list|status|export|train|suggest ...   labeling projects

RUN is a run id or a run folder.
"""
from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path
from typing import Any, Callable

from engine.config import RunConfig
from engine.errors import ConfigError, DataError, EngineError, RunError
from engine.labeling.cli import add_label_commands
from engine.messages import register_messages
from engine.runs.layout import CONFIG_FILE
from engine.runs.manager import default_runs_root
from engine.runs.store import RunStore

SEPARATOR_WORDS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}

register_messages({
    "cli.not_a_train_target": ("{target} is neither a config YAML file nor a run folder with {config_file}.",
                               "{target} 既不是配置 YAML 文件，也不是含有 {config_file} 的运行文件夹。"),
    "cli.bad_input": ("--input takes one JSON object by role, such as '{{\"text\": \"I loved it\"}}'; got {text}",
                      "--input 需要一个按角色写的 JSON 对象，例如 '{{\"text\": \"I loved it\"}}'；现在是 {text}"),
    "cli.bad_generation": ("'{item}' is not KEY=VALUE; write e.g. --generate num_beams=4.",
                           "“{item}”不是 KEY=VALUE 的形式；请写成例如 --generate num_beams=4。"),
    "cli.set_needs_config": ("--set changes a config file before its run exists; an existing run keeps its settings.",
                             "--set 只能在运行创建之前修改配置文件；已有运行的设置不能再改。"),
})


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.handler(args)
    except EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description="Tunebench engine")
    parser.add_argument("--runs-root", default=None, help="folder of runs (default: $TUNEBENCH_RUNS or ./runs)")
    # Also accepted after the command (`train CONFIG.yaml --runs-root DIR`); SUPPRESS keeps a value
    # given before the command from being reset by the command's default.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--runs-root", default=argparse.SUPPRESS, help="folder of runs")
    sub = parser.add_subparsers(required=True)
    add_parser = functools.partial(sub.add_parser, parents=[common])
    train = add_parser("train", help="train from a config YAML or a run dir")
    train.add_argument("target", help="CONFIG.yaml or RUN_DIR")
    train.add_argument("--resume", nargs="?", const="last", default="",
                       help="resume from the last checkpoint, or from the given checkpoint folder")
    train.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE", dest="overrides",
                       help="change one setting of the CONFIG.yaml, e.g. --set train.learning_rate=2e-5 (repeatable)")
    train.set_defaults(handler=_train)
    evaluate = add_parser("evaluate", help="score a run on its held-out split")
    evaluate.add_argument("run")
    evaluate.set_defaults(handler=_evaluate)
    predict = add_parser("predict", help="predict with a finished run")
    predict.add_argument("run")
    predict.add_argument("--text", action="append", default=[],
                         help="a text to predict, for tasks that read one text (repeatable)")
    predict.add_argument("--input", action="append", default=[], metavar="JSON",
                         help='one input as JSON by role, e.g. \'{"question": "...", "context": "..."}\' (repeatable)')
    predict.add_argument("--generate", action="append", default=[], metavar="KEY=VALUE",
                         help="change one of the run's generation settings, for tasks that write text, e.g. "
                              "--generate num_beams=4 (repeatable; `python -m engine options` lists them)")
    predict.set_defaults(handler=_predict)
    runs = add_parser("runs", help="list runs")
    runs.set_defaults(handler=_runs)
    options = add_parser("options", help="every config setting with its default and meaning")
    options.set_defaults(handler=_options)
    _add_inspect(add_parser)
    add_label_commands(add_parser)
    return parser


def _add_inspect(add_parser: Callable[..., argparse.ArgumentParser]) -> None:
    from engine.config import ENCODINGS, SEPARATORS

    inspect = add_parser("inspect", help="what the Data tab shows about a data file: how it was read, rows, "
                                         "rejected rows and why, labels, warnings")
    inspect.add_argument("file", help="a CSV, TSV, TXT, JSON, JSONL, Parquet or Excel file, or demo:NAME")
    inspect.add_argument("--task", default="text_classification", help="the task whose columns to look for")
    inspect.add_argument("--column", action="append", default=[], metavar="ROLE=COLUMN",
                         help="the column of one of the task's roles (repeatable; default: the guess)")
    inspect.add_argument("--text-column", default="", help="the text role's column (default: the guess)")
    inspect.add_argument("--label-column", default="", help="the label role's column (default: the guess)")
    inspect.add_argument("--encoding", default="", choices=ENCODINGS, metavar="E",
                         help="text encoding (default: detect); one of " + ", ".join(e for e in ENCODINGS if e))
    inspect.add_argument("--separator", default="", type=lambda text: SEPARATOR_WORDS.get(text, text),
                         choices=SEPARATORS, metavar="S", help="one of , ; tab | (default: detect)")
    inspect.add_argument("--model", default="", help="measure lengths in this model's tokens (a packaged model, "
                                                     "a folder or a Hub id)")
    inspect.add_argument("--max-length", type=int, default=0, help="with --model: count the texts longer than this")
    inspect.add_argument("--unescape-html", action="store_true", help="count as cleaning would with this option")
    inspect.add_argument("--json", action="store_true", help="print the report as JSON")
    inspect.set_defaults(handler=_inspect)


def _store(args: argparse.Namespace) -> RunStore:
    return RunStore(args.runs_root or default_runs_root())


def _run_dir(args: argparse.Namespace, run: str) -> Path:
    if Path(run, CONFIG_FILE).exists():
        return Path(run)
    return Path(_store(args).get(run).run_dir)


def _train(args: argparse.Namespace) -> int:
    target = Path(args.target)
    if not target.is_file() and not (target / CONFIG_FILE).is_file():
        raise RunError("cli.not_a_train_target", target=str(target), config_file=CONFIG_FILE)
    if args.overrides and not target.is_file():
        raise RunError("cli.set_needs_config")  # a run's settings are fixed once it exists
    if target.is_file():
        cfg = RunConfig.load(target, args.overrides)
        record = _store(args).create(cfg.name, cfg.task, cfg.model.name_or_path, cfg.method.kind)
        cfg.save(Path(record.run_dir) / CONFIG_FILE)
        target = Path(record.run_dir)
        print(f"run {record.id} in {target}", flush=True)
    from engine.train import run_training  # imports torch (seconds): after the config is known to be valid

    outcome = run_training(target, resume=args.resume)
    print(json.dumps({"status": outcome.status, outcome.metric_name: outcome.best_metric}))
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from engine.inference import evaluate_run

    report = evaluate_run(_run_dir(args, args.run))
    print(json.dumps({"split": report.split, "rows": report.rows, **report.metrics}, indent=1))
    return 0


def _predict(args: argparse.Namespace) -> int:
    from engine.inference import Predictor

    values = _generation(args.generate)
    predictor = Predictor.from_run(_run_dir(args, args.run))
    settings = predictor.settings_with(values) if values else None
    inputs = [predictor.as_input(text) for text in args.text] + [_json_input(text) for text in args.input]
    for item, result in zip(inputs, predictor.predict(inputs, settings)):
        print(json.dumps({**item, **result}, ensure_ascii=False))
    return 0


def _generation(items: list[str]) -> dict[str, str]:
    """{name: value} from KEY=VALUE items: the generation settings to change from the run's own."""
    malformed = [item for item in items if "=" not in item]
    if malformed:
        raise ConfigError("generation", "cli.bad_generation", item=malformed[0])
    return dict(item.split("=", 1) for item in items)


def _json_input(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise DataError("cli.bad_input", text=text[:80])
    return value


def _runs(args: argparse.Namespace) -> int:
    for record in _store(args).list():
        metric = f"{record.best_metric_name}={record.best_metric:.4f}" if record.best_metric is not None else ""
        print(f"{record.id}\t{record.status}\t{record.task}\t{record.model}\t{metric}")
    return 0


def _options(args: argparse.Namespace) -> int:
    from dataclasses import MISSING, fields

    from engine.config import DataConfig, MethodConfig, ModelConfig, TrainConfig, field_help

    for section, cls in (("data", DataConfig), ("model", ModelConfig), ("method", MethodConfig),
                         ("train", TrainConfig)):
        print(f"{section}:")
        for f in fields(cls):
            default = f.default if f.default is not MISSING else f.default_factory()
            print(f"  {f.name} (default {default!r}): {field_help(cls, f.name)}")
    from engine.generation import GenerationSettings
    from engine.messages import Message

    print("generation (predict --generate KEY=VALUE, for tasks that write text):")
    for f in fields(GenerationSettings):
        print(f"  {f.name} (default {f.default!r}): {Message(f.metadata['help']).text('en')}")
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from engine.data import ReadOptions, read_table
    from engine.studio import inspect_for_task
    from engine.tasks import get_task

    columns = {"text": args.text_column, "label": args.label_column}
    columns.update(item.split("=", 1) for item in args.column if "=" in item)
    cfg = RunConfig.from_dict({"task": args.task, "data": {"train_file": args.file, "encoding": args.encoding,
                                                           "separator": args.separator, "unescape_html": args.unescape_html,
                                                           "columns": {k: v for k, v in columns.items() if v}},
                               "model": {"max_length": args.max_length or 128}})
    plan = get_task(cfg.task).data_plan(cfg)
    table = read_table(args.file, ReadOptions.of(cfg.data), plan=plan)
    tokenizer = None
    if args.model:
        from engine.models import load_tokenizer, resolve_model

        tokenizer = load_tokenizer(resolve_model(args.model).path)
    report = inspect_for_task(table, cfg, tokenizer, args.max_length)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    else:
        print("\n".join(_report_lines(report)))
    return 0


def _report_lines(report: Any) -> list[str]:
    """The Data tab's summary as plain text, in the order a person checks it."""
    how = lambda detected: "detected" if detected else "chosen"  # noqa: E731
    lines = [f"file: {report.name} ({report.format})"]
    if report.encoding:
        lines.append(f"encoding: {report.encoding} ({how(report.encoding_detected)})")
    if report.separator:
        lines.append(f"separator: {report.separator!r} ({how(report.separator_detected)})")
    lines += [f"rows: {report.rows:,} kept of {report.rows_read:,} read; {report.rejected_rows:,} rejected while reading",
              f"columns: {', '.join(report.columns)}",
              f"dropped by cleaning: {report.empty_rows:,} empty, {report.duplicate_rows:,} duplicate"]
    lines += [_role_line(role) for role in report.roles]
    for heading, items in (("problems", [p.message for p in report.problems]), ("warnings", report.warnings),
                           ("notes", report.notes)):
        lines += [f"{heading}:", *(f"  - {item}" for item in items)] if items else []
    return lines


def _role_line(role: Any) -> str:
    """One role: its column and what is in it (labels and entities counted, numbers and lengths summarised)."""
    line = f"{role.role} ({role.kind}): column '{role.column}', {role.empty:,} empty"
    if role.counts:
        line += "; " + ", ".join(f"{name} {count:,}" for name, count in role.counts.items())
    if role.stats:
        unit = f" in {role.unit}" if role.unit else ""
        stats = role.stats
        line += (f"; {unit.strip() or 'values'}: min {stats['min']:g}, mean {stats['mean']:g}, median {stats['p50']:g},"
                 f" 95% {stats['p95']:g}, max {stats['max']:g}")
    return line


if __name__ == "__main__":
    sys.exit(main())
