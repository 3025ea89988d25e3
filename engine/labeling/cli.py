"""`python -m engine label ...`: the Label tab's calls from a shell, over the same runs folder as the app.

    label create FILE --name NAME [--labels a,b] [--text-column C] [--label-column L]
    label import PROJECT FILE [--text-column C] [--label-column L]
    label list | label status PROJECT [--json]
    label export PROJECT [--format csv|jsonl] [--out PATH]
    label train PROJECT [--config YAML] [--wait]
    label suggest PROJECT [--run RUN]

The command line is the machine's operator: it sees every project, and acts on one as its owner would.
"""
from __future__ import annotations

import argparse
import json
import shutil
import time
from dataclasses import asdict
from typing import Any, Callable

from engine.owners import LOCAL_OWNER

WAIT_POLL_S = 2.0


def add_label_commands(add_parser: Callable[..., argparse.ArgumentParser]) -> None:
    label = add_parser("label", help="labeling projects: create, import, list, status, export, train, suggest")
    commands = label.add_subparsers(required=True, dest="label_command")
    create = commands.add_parser("create", help="a project from a file of texts (CSV, TSV, TXT, JSON, Excel...)")
    create.add_argument("file", help="the file, or demo:NAME")
    create.add_argument("--name", required=True)
    create.add_argument("--labels", default="", help="the label set, comma-separated (a,b,c)")
    create.add_argument("--owner", default=LOCAL_OWNER, help="whose project it is (default: the local user)")
    _columns(create)
    create.set_defaults(handler=_create)
    add = commands.add_parser("import", help="add texts (labeled or not) from a file to a project")
    add.add_argument("project")
    add.add_argument("file")
    _columns(add)
    add.set_defaults(handler=_import)
    commands.add_parser("list", help="every project").set_defaults(handler=_list)
    status = commands.add_parser("status", help="progress, labels per label, rate, model and agreement")
    status.add_argument("project")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=_status)
    export = commands.add_parser("export", help="the labeled rows with labeler, time and accepted-suggestion flag")
    export.add_argument("project")
    export.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    export.add_argument("--out", default="", help="copy the file here (default: print where it was written)")
    export.set_defaults(handler=_export)
    train = commands.add_parser("train", help="start a run on the labeled rows (it trains in the background)")
    train.add_argument("project")
    train.add_argument("--config", default="", help="a run config YAML for the model and settings")
    train.add_argument("--wait", action="store_true", help="wait for the run, then compute its suggestions")
    train.set_defaults(handler=_train)
    suggest = commands.add_parser("suggest", help="the model's suggestion for every row, with uncertainty scores")
    suggest.add_argument("project")
    suggest.add_argument("--run", default="", help="default: the project's latest run")
    suggest.set_defaults(handler=_suggest)


def _columns(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--text-column", default="", help="default: the guess")
    parser.add_argument("--label-column", default="", help="labels already given (default: none)")


def _desk(args: argparse.Namespace) -> Any:
    from engine.labeling.desk import LabelDesk
    from engine.runs.manager import default_runs_root
    from engine.studio import Studio

    return LabelDesk(Studio(args.runs_root or default_runs_root()))


def _rows(desk: Any, args: argparse.Namespace, who: str) -> Any:
    text_column = args.text_column or desk.guess_columns(args.file, who).guesses["text"]
    return desk.read_rows(args.file, who, text_column, args.label_column)


def _create(args: argparse.Namespace) -> int:
    desk = _desk(args)
    rows = _rows(desk, args, args.owner)
    labels = [label.strip() for label in args.labels.split(",") if label.strip()]
    project = desk.create(args.name, args.owner, labels, rows)
    print(f"project {project.id} ({project.name}), join code {project.join_code}: {len(rows.texts):,} texts, "
          f"{sum(1 for label in rows.labels or [] if label):,} labeled; left out {rows.empty:,} empty and "
          f"{rows.duplicates:,} repeated; labels: {', '.join(project.labels)}")
    return 0


def _import(args: argparse.Namespace) -> int:
    desk = _desk(args)
    project = desk.project(args.project, None)
    added, labeled = desk.add_rows(project.id, None, _rows(desk, args, project.owner))
    print(f"added {added:,} texts to {project.id}; {labeled:,} texts already there took their imported label")
    return 0


def _list(args: argparse.Namespace) -> int:
    desk = _desk(args)
    for project in desk.projects(None):
        progress = desk.progress(project.id, project.owner)
        print(f"{project.id}\t{project.name}\t{progress.labeled:,}/{progress.total:,} labeled\t{project.owner}")
    return 0


def _status(args: argparse.Namespace) -> int:
    desk = _desk(args)
    project = desk.project(args.project, None)
    progress = desk.progress(project.id, project.owner)
    state = desk.assist.state(project)
    pairs, people = desk.agreement(project.id, None)
    if args.json:
        print(json.dumps({"project": project.id, "name": project.name, "progress": asdict(progress),
                          "model": asdict(state), "labels_by_person": people,
                          "agreement": [asdict(pair) for pair in pairs]}, ensure_ascii=False, indent=1))
        return 0
    print(f"{project.name} ({project.id}): {progress.labeled:,} of {progress.total:,} labeled, "
          f"{progress.per_hour:.0f} an hour over the last hour")
    print("per label: " + ", ".join(f"{label} {progress.per_label.get(label, 0):,}" for label in project.labels))
    print("per person: " + ", ".join(f"{name} {count:,}" for name, count in people.items()))
    if state.run_id:
        print(f"model: run {state.run_id} {state.status}, suggestions for {state.suggested:,} of {state.total:,} rows")
    for pair in pairs:
        kappa = "n/a" if pair.kappa is None else f"{pair.kappa:.2f}"
        print(f"agreement {pair.first} / {pair.second}: {pair.rows:,} rows, {pair.observed:.0%} the same, "
              f"kappa {kappa}")
    return 0


def _export(args: argparse.Namespace) -> int:
    path = _desk(args).export(args.project, None, args.format)
    if args.out:
        shutil.copyfile(path, args.out)
        path = args.out
    print(path)
    return 0


def _train(args: argparse.Namespace) -> int:
    from engine.config import RunConfig
    from engine.runs.store import ACTIVE, WAITING

    desk = _desk(args)
    record = desk.train(args.project, None, RunConfig.load(args.config) if args.config else None)
    print(f"run {record.id} {record.status}", flush=True)
    if not args.wait:
        return 0
    owner = desk.project(args.project, None).owner
    while (record := desk.studio.run(record.id, owner)).status in ACTIVE + WAITING:
        time.sleep(WAIT_POLL_S)
    print(f"run {record.id} {record.status}")
    if record.status != "finished":
        return 1
    print(f"suggested labels for {desk.suggest(args.project, None, record.id):,} rows")
    return 0


def _suggest(args: argparse.Namespace) -> int:
    print(f"suggested labels for {_desk(args).suggest(args.project, None, args.run):,} rows")
    return 0
