"""Studio: the engine as one object for front ends (the Gradio UI, scripts, a future REST API).

It owns the run manager, keeps uploaded files where runs can find them later, and caches the
few tokenizers and predictors a person uses at a time so the playground answers quickly.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import threading
import uuid
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pandas as pd

from engine.config import RunConfig
from engine.data import (DEMO_PREFIX, UPLOAD_PREFIX, DataPlan, DataReport, LoadedTable, PreparedData, ReadOptions,
                         UploadStore, guess_roles, guessed_plan, inspect_table, load_splits, one_column_problem,
                         read_table, rejected_frame)
from engine.data.kinds import is_missing
from engine.data.table import Progress
from engine.errors import DataError, ModelError, RunError
from engine.estimate import TimeEstimate, estimate_time
from engine.messages import Message, register_messages
from engine.owners import LOCAL_OWNER
from engine.evaluation import REPORT_FILE, EvalReport
from engine.generation import GenerationSettings
from engine.inference import LABELS_FILE, MODEL_DIR, Predictor, merge_adapter, prediction_records, prediction_table
from engine.methods import MemoryEstimate, count_parameters, estimate_memory
from engine.models import (PACKAGED_PREFIX, Coverage, ModelInfo, inspect_model, load_tokenizer, looks_like_folder,
                           resolve_model, tokenizer_coverage)
from engine.runs.events import EventLog
from engine.runs.layout import UPLOADS_DIR
from engine.runs.manager import RunManager, complete_checkpoints, default_runs_root
from engine.runs.store import RunRecord
from engine.tasks import get_task

PREVIEW_ROWS = 20
KEPT_CONFIGS = 50
SECRET_FILE = "app-secret"
CACHE_SIZE = 3
MERGEABLE_METHODS = ("lora", "ia3")  # adapters whose weights fold into the base model

register_messages({
    "studio.model_folder_not_allowed": ("This shared app cannot load the model folder '{spec}'. Choose a packaged "
                                        "model, a Hugging Face Hub id, or a folder the app's owner made available.",
                                        "这个共享应用不能加载模型文件夹“{spec}”。请选择内置模型、Hugging Face 模型库"
                                        "中的模型名，或应用管理员提供的文件夹。"),
    "studio.shared_paths": ("This shared app reads only the demo datasets and files uploaded through it; upload the "
                            "file instead of naming a path.",
                            "这个共享应用只能读取示例数据集和通过它上传的文件；请上传文件，而不是填写路径。"),
    "studio.no_text_column": ("The data has no column '{column}'; map the text column on the Data tab.",
                              "数据中没有列“{column}”；请在“数据”页选择文本列。"),
})


@dataclass
class TablePreview:
    source: str
    rows: int
    columns: list[str]
    head: pd.DataFrame
    guesses: dict[str, str]   # the likeliest column for each of the task's roles ("" where none is left)
    table: LoadedTable   # how it was read: the user's file name, encoding, separator, problems, rejected rows
    problem: Message | None = None  # why it cannot train as it is (a single column)


class _LRU:
    """A small cache shared by every browser session, hence the lock (loads happen at most once)."""

    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key: Any, make: Callable[[], Any]) -> Any:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
            value = self.items[key] = make()
            while len(self.items) > self.size:
                self.items.popitem(last=False)
            return value


class Studio:
    def __init__(self, runs_root: str | Path | None = None, shared: bool = False,
                 model_roots: tuple[str | Path, ...] = (), max_running: int | None = None,
                 runs_per_owner: int | None = 1):
        """shared: an app others can reach (a shared link, a Space, a login). Each owner then sees and
        controls only their own runs, and only demo data, their own uploads and model folders under
        `model_roots` are readable, so nobody can read the server's files or another person's work.
        max_running: trainings at once (default one per GPU, else one); runs_per_owner: how many runs one
        owner may have queued or training at once (None: no limit)."""
        self.manager = RunManager(runs_root, max_running=max_running, runs_per_owner=runs_per_owner)
        self.shared = shared
        self.model_roots = tuple(Path(root).resolve() for root in model_roots)
        self.root = self.manager.store.root
        self.uploads = UploadStore(self.root / UPLOADS_DIR)
        self._tokenizers = _LRU(CACHE_SIZE)
        self._predictors = _LRU(CACHE_SIZE)

    # data -------------------------------------------------------------------------------------
    def keep_upload(self, temp_path: str, owner: str = LOCAL_OWNER) -> str:
        """Keep an upload in its owner's folder, so runs can read it after a restart; returns `upload:<sha12>-<name>`."""
        return self.uploads.keep(temp_path, owner)

    def readable(self, source: str, owner: str = LOCAL_OWNER) -> str:
        """Where to read `source` from, if this studio may read it (else a DataError): demo refs as they are,
        `upload:` refs as the owner's stored file, paths only on a local app."""
        text = str(source).strip()
        if text.startswith(DEMO_PREFIX):
            return text
        if text.startswith(UPLOAD_PREFIX):
            return str(self.uploads.resolve(text, owner))
        if self.shared:
            raise DataError("studio.shared_paths")
        return text

    def table(self, source: str, owner: str = LOCAL_OWNER, read: ReadOptions = ReadOptions(),
              progress: Progress | None = None, plan: DataPlan | None = None) -> LoadedTable:
        """`source` read with `read`'s encoding and separator (and the task's own reader in `plan`, if any); read
        once, then shared from the cache."""
        self.readable(source, owner)
        return read_table(source, read, self.uploads.folder(owner), progress=progress, plan=plan)

    def preview(self, cfg: RunConfig, owner: str = LOCAL_OWNER, progress: Progress | None = None) -> TablePreview:
        """The training file of `cfg` as its task reads it, with a guess of the column for each of its roles."""
        plan = get_task(cfg.task).data_plan(cfg)
        table = self.table(cfg.data.train_file, owner, ReadOptions.of(cfg.data), progress, plan)
        return TablePreview(source=cfg.data.train_file, rows=len(table.frame),
                            columns=[str(c) for c in table.frame.columns], head=table.frame.head(PREVIEW_ROWS),
                            guesses=guess_roles(table.frame, plan.roles), table=table,
                            problem=one_column_problem(table) if len(plan.required) > 1 else None)

    def inspect(self, cfg: RunConfig, owner: str = LOCAL_OWNER, progress: Progress | None = None,
                with_model: bool = True) -> DataReport:
        """The Data tab's report of `cfg`'s training file for its task; roles whose column the file lacks are
        guessed, and lengths are in the model's tokens (against its max length) when `with_model`."""
        plan = get_task(cfg.task).data_plan(cfg)
        table = self.table(cfg.data.train_file, owner, ReadOptions.of(cfg.data), progress, plan)
        tokenizer = self.tokenizer(cfg.model.name_or_path) if with_model else None
        return inspect_for_task(table, cfg, tokenizer, cfg.model.max_length if with_model else 0)

    def rejected_rows(self, source: str, owner: str = LOCAL_OWNER, read: ReadOptions = ReadOptions(),
                      lang: str = "en") -> Path | None:
        """The rows left out while reading `source`, as a CSV to download (line, reason, raw text), or None."""
        table = self.table(source, owner, read)
        if not table.rejected:
            return None
        text = rejected_frame(table.rejected, lang).to_csv(index=False)
        # Named by owner and content: every check of the same file reuses one file, and two people never
        # share a download. utf-8-sig: Excel shows accents and Chinese correctly.
        folder = hashlib.sha256(f"{owner}\n{text}".encode("utf-8")).hexdigest()[:16]
        path = self.root / "rejected" / folder / f"{Path(table.name).stem}-rejected-rows.csv"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8-sig")
        return path

    def split_summary(self, cfg: RunConfig, owner: str = LOCAL_OWNER) -> dict[str, Any]:
        """How the data will split and every row cleaning or reading drops, before any run starts."""
        return self._splits(cfg, owner).summary()

    # models -----------------------------------------------------------------------------------
    def allowed_model(self, spec: str) -> str:
        """`spec` if this studio may load it. A shared app loads packaged models, Hub ids and folders
        under its model roots; any other folder gets the same answer whether it exists or not."""
        if not self.shared or spec.strip().startswith(PACKAGED_PREFIX) or not looks_like_folder(spec):
            return spec
        folder = Path(spec.strip()).expanduser().resolve()
        if not any(folder.is_relative_to(root) for root in self.model_roots):
            raise ModelError("studio.model_folder_not_allowed", spec=spec.strip())
        return spec

    def tokenizer(self, spec: str) -> Any:
        spec = self.allowed_model(spec)
        return self._tokenizers.get(spec, lambda: load_tokenizer(resolve_model(spec).path))

    def model_info(self, spec: str, progress: Callable[[Message], None] | None = None) -> ModelInfo:
        return inspect_model(self.allowed_model(spec), progress)

    def coverage(self, cfg: RunConfig, owner: str = LOCAL_OWNER) -> Coverage:
        """How much of the training file's input text the model's tokenizer can read (its share of [UNK])."""
        plan = get_task(cfg.task).data_plan(cfg)
        frame = self.table(cfg.data.train_file, owner, ReadOptions.of(cfg.data), plan=plan).frame
        texts = [frame[role.column] for role in plan.roles if role.input and role.column in frame.columns]
        if not texts:
            raise DataError("studio.no_text_column", column=", ".join(plan.input_columns))
        words = pd.concat(texts).map(lambda value: " ".join(value) if isinstance(value, (list, tuple)) else str(value))
        return tokenizer_coverage(self.tokenizer(cfg.model.name_or_path), words.tolist())

    def plan(self, cfg: RunConfig, owner: str = LOCAL_OWNER) -> tuple[int, int, MemoryEstimate]:
        """Trainable and total parameters and the memory estimate, before any training starts (the head is sized
        for the data's labels, so the counts are the run's own)."""
        from engine.methods import apply_method

        task = get_task(cfg.task)
        path = resolve_model(self.allowed_model(cfg.model.name_or_path)).path
        labels = self.check_data(cfg, owner)
        model = apply_method(task.build_model(path, labels, weights=False), cfg.method, path, task.peft_task_type)
        trainable, total = count_parameters(model)
        config = model.config
        memory = estimate_memory(total, trainable, getattr(config, "hidden_size", 0),
                                 getattr(config, "num_hidden_layers", 0), cfg.train.train_batch_size,
                                 cfg.model.max_length)
        return trainable, total, memory

    def estimate_time(self, cfg: RunConfig, owner: str = LOCAL_OWNER, measure: bool = False) -> TimeEstimate | None:
        """How long the run would train here: from the owner's earlier runs or a cached measurement, or (with
        `measure`) from a few timed steps in a child process, which only an idle machine can time honestly."""
        self.allowed_model(cfg.model.name_or_path)  # a shared app measures only models it may load
        rows = self.split_summary(cfg, owner)["rows"]["train"]
        if measure and self.manager.running_count():
            raise RunError("estimate.busy")
        return estimate_time(cfg, rows, self.runs(owner), self.root, measure=measure,
                             uploads_dir=self.uploads.folder(owner))

    # the app ----------------------------------------------------------------------------------
    def app_secret(self) -> str:
        """A random secret kept with the runs, the same after a restart: the browser's stored owner id and
        setup are encrypted with it, and a new secret would make every browser a stranger to its own runs."""
        path = self.root / SECRET_FILE
        if not path.exists():
            partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
            partial.write_text(secrets.token_urlsafe(32), encoding="utf-8")
            partial.chmod(0o600)
            partial.replace(path)
        return path.read_text(encoding="utf-8").strip()

    # configs ----------------------------------------------------------------------------------
    def write_config(self, cfg: RunConfig) -> Path:
        """Save a config under a name derived from its content, for download and the CLI. The form
        writes one per edit, so only the newest few are kept."""
        text = cfg.to_yaml()
        folder = self.root / "configs"
        folder.mkdir(exist_ok=True)
        path = folder / f"tunebench-{hashlib.sha256(text.encode()).hexdigest()[:10]}.yaml"
        path.write_text(text, encoding="utf-8")
        for old in sorted(folder.glob("tunebench-*.yaml"), key=lambda p: p.stat().st_mtime)[:-KEPT_CONFIGS]:
            old.unlink(missing_ok=True)
        return path

    def cli_command(self, config: Path) -> str:
        """The shell command that trains this config into this studio's runs folder."""
        if self.shared:  # never a server path: the file as the person downloads it
            return f"python -m engine train {config.name}"
        root = "" if self.root.resolve() == default_runs_root().resolve() else f" --runs-root {self.root}"
        return f"python -m engine{root} train {config}"

    # runs -------------------------------------------------------------------------------------
    def _scope(self, owner: str) -> str | None:
        """Whose runs `owner` sees: on a shared app only their own; on a local app the one user sees all."""
        return owner if self.shared else None

    def _record(self, run_id: str, owner: str) -> RunRecord:
        return self.manager.get(run_id, self._scope(owner))

    def start(self, cfg: RunConfig, owner: str = LOCAL_OWNER) -> RunRecord:
        # Problems we can see now fail here, with the form still open, not later in a child as a failed run.
        self.allowed_model(cfg.model.name_or_path)
        self.check_model(cfg)
        self.check_data(cfg, owner)
        return self.manager.start(cfg, owner)

    def check_model(self, cfg: RunConfig) -> None:
        """The config's model can learn its task (an encoder cannot write text)."""
        info = self.model_info(cfg.model.name_or_path)
        get_task(cfg.task).check_model(info.kind, info.architecture)

    def check_data(self, cfg: RunConfig, owner: str = LOCAL_OWNER) -> Any:
        """Read, clean and split the data as the run will (from the cache, so quickly), and let the task judge
        it (one class, labels that only a test file has...); returns the label space the run would learn."""
        task = get_task(cfg.task)
        splits = self._splits(cfg, owner).splits
        return task.checked_labels(splits, cfg)

    def _splits(self, cfg: RunConfig, owner: str) -> PreparedData:
        for source in filter(None, (cfg.data.train_file, cfg.data.validation_file, cfg.data.test_file)):
            self.readable(source, owner)
        return load_splits(cfg.data, get_task(cfg.task).data_plan(cfg), self.uploads.folder(owner))

    def stop(self, run_id: str, owner: str = LOCAL_OWNER) -> None:
        self.manager.stop(run_id, self._scope(owner))

    def resume(self, run_id: str, owner: str = LOCAL_OWNER, checkpoint: str = "") -> RunRecord:
        return self.manager.resume(run_id, checkpoint, self._scope(owner))

    def runs(self, owner: str = LOCAL_OWNER) -> list[RunRecord]:
        return self.manager.list(self._scope(owner))

    def run(self, run_id: str, owner: str = LOCAL_OWNER) -> RunRecord:
        return self._record(run_id, owner)

    def public(self, record: RunRecord) -> dict[str, Any]:
        """A run as an API client may see it: a shared app never shows server paths or process ids."""
        fields = asdict(record)
        if self.shared:
            for private in ("run_dir", "pid", "owner", "resume_from"):
                fields.pop(private)
        return fields

    def queue_position(self, run_id: str, owner: str = LOCAL_OWNER) -> tuple[int, int] | None:
        return self.manager.queue_position(self._record(run_id, owner).id)

    def events(self, run_id: str, owner: str = LOCAL_OWNER, offset: int = 0) -> tuple[list[dict], int]:
        return EventLog(self._record(run_id, owner).run_dir).read(offset)

    def has_report(self, run_id: str, owner: str = LOCAL_OWNER) -> bool:
        return (Path(self._record(run_id, owner).run_dir) / REPORT_FILE).exists()

    def report(self, run_id: str, owner: str = LOCAL_OWNER) -> EvalReport:
        return EvalReport.load(self._record(run_id, owner).run_dir)

    def config(self, run_id: str, owner: str = LOCAL_OWNER) -> RunConfig:
        return self.manager.config(self._record(run_id, owner).id)

    def is_adapter_run(self, run_id: str, owner: str = LOCAL_OWNER) -> bool:
        """Whether the run trained an adapter that can be merged into its base model."""
        return self._record(run_id, owner).method in MERGEABLE_METHODS

    # predictions ------------------------------------------------------------------------------
    def predictor(self, run_id: str, owner: str = LOCAL_OWNER) -> Predictor:
        run_dir = self._record(run_id, owner).run_dir
        return self._predictors.get(("run", run_id, _model_version(run_dir)), lambda: Predictor.from_run(run_dir))

    def base_predictor(self, run_id: str, owner: str = LOCAL_OWNER) -> Predictor:
        cfg, tuned = self.config(run_id, owner), self.predictor(run_id, owner)
        key = ("base", run_id, json.dumps(tuned.labels, sort_keys=True))
        return self._predictors.get(key, lambda: Predictor.from_base(cfg.model.name_or_path, cfg.task, tuned.labels,
                                                                     cfg.model.max_length))

    def stream(self, run_id: str, owner: str, item: dict[str, Any], settings: GenerationSettings,
               base: bool = False, stop: threading.Event | None = None) -> Iterator[str]:
        """The text the run's model (or its base model) writes for one input, piece by piece."""
        predictor = self.base_predictor(run_id, owner) if base else self.predictor(run_id, owner)
        yield from predictor.stream(item, settings, stop)

    def predict_table(self, run_id: str, owner: str, source: str, settings: Any = None) -> pd.DataFrame:
        """Predictions for every row of a file, one row each: the run's input columns where the file has them,
        else the best guesses; `settings` are the GenerationSettings of a task that writes text."""
        cfg = self.config(run_id, owner)
        task = get_task(cfg.task)
        plan = task.data_plan(cfg)
        frame = self.table(source, owner, plan=plan).frame
        guesses = guess_roles(frame, [role for role in plan.roles if role.input and role.column not in frame.columns])
        columns = {role.role: role.column if role.column in frame.columns else guesses[role.role]
                   for role in plan.roles if role.input}
        columns = {role: column for role, column in columns.items() if column}  # an optional role the file lacks
        inputs = [{name: ("" if is_missing(row[column]) else row[column]) for name, column in columns.items()}
                  for _, row in frame.iterrows()]
        return prediction_table(inputs, self.predictor(run_id, owner).predict(inputs, settings), task.output_kind)

    def predict_lines(self, run_id: str, owner: str, texts: list[str], shared: dict[str, Any] | None = None,
                      settings: Any = None) -> pd.DataFrame:
        """Predictions for texts typed one per line, each the run's first input, one row each; `shared` fills the
        other input roles for every line (many questions about one context)."""
        predictor = self.predictor(run_id, owner)
        inputs = [{**predictor.as_input(text), **(shared or {})} for text in texts]
        return prediction_table(inputs, predictor.predict(inputs, settings), predictor.task.output_kind)

    def merge(self, run_id: str, owner: str = LOCAL_OWNER) -> Path:
        return merge_adapter(self._record(run_id, owner).run_dir)

    def checkpoints(self, run_id: str, owner: str = LOCAL_OWNER) -> list[str]:
        """Names of a run's complete checkpoints, oldest first, for choosing where to resume."""
        return [p.name for p in complete_checkpoints(self._record(run_id, owner).run_dir)]

    def save_predictions(self, run_id: str, owner: str, table: pd.DataFrame) -> tuple[Path, Path]:
        """The predictions as a CSV (for spreadsheets) and as JSON Lines (for scripts: spans stay lists)."""
        # One pair of files per request: two people predicting with the same run must not see each other's texts.
        self._record(run_id, owner)
        stem = self.root / "predictions" / f"predictions-{run_id}-{uuid.uuid4().hex[:8]}"
        stem.parent.mkdir(exist_ok=True)
        csv, jsonl = stem.with_suffix(".csv"), stem.with_suffix(".jsonl")
        table.to_csv(csv, index=False, encoding="utf-8-sig")  # utf-8-sig: Excel shows Chinese correctly
        jsonl.write_text("".join(json.dumps(record, ensure_ascii=False, default=str) + "\n"
                                 for record in prediction_records(table)), encoding="utf-8")
        return csv, jsonl


def inspect_for_task(table: LoadedTable, cfg: RunConfig, tokenizer: Any, max_length: int) -> DataReport:
    """The Data tab's (and `engine inspect`'s) report of a read file: the general inspection with the columns the
    user has not chosen guessed, and what only the task can tell."""
    task = get_task(cfg.task)
    plan = guessed_plan(table.frame, task.data_plan(cfg))
    report = inspect_table(table, plan, tokenizer, max_length, cfg.data.unescape_html)
    report.notes += task.inspect_notes(table.frame, plan, tokenizer, cfg)
    return report


def _model_version(run_dir: str) -> float:
    """Changes when a resumed run saves a new model, so the playground never serves the old one."""
    labels = Path(run_dir) / MODEL_DIR / LABELS_FILE
    return labels.stat().st_mtime if labels.exists() else 0.0


