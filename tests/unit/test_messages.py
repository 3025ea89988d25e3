"""Every sentence the engine says is a registered code with matching English and Chinese templates."""
from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import string
from pathlib import Path

import pytest

import engine
from engine.errors import ConfigError, DataError, EngineError, ModelError, RunError
from engine.messages import CATALOG, Message, pick_text

ENGINE_DIR = Path(engine.__file__).parent
CHINESE = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")


@pytest.fixture(scope="module")
def catalog() -> dict[str, tuple[str, str]]:
    """The full catalog: importing every engine module runs its register_messages call."""
    for module in pkgutil.walk_packages(engine.__path__, "engine."):
        importlib.import_module(module.name)
    return dict(CATALOG)


def _placeholders(template: str) -> set[str]:
    """The names a template formats ({count:,} and {value!r} both name count and value)."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    return {re.split(r"[.\[]", name)[0] for name in names}


def _literal_text(template: str) -> str:
    return "".join(text for text, *_ in string.Formatter().parse(template))


def test_both_languages_name_the_same_placeholders(catalog: dict[str, tuple[str, str]]) -> None:
    mismatched = {code: (sorted(_placeholders(en)), sorted(_placeholders(zh)))
                  for code, (en, zh) in catalog.items() if _placeholders(en) != _placeholders(zh)}
    assert not mismatched


def test_every_chinese_template_is_chinese(catalog: dict[str, tuple[str, str]]) -> None:
    # A template made only of placeholders and punctuation ("{field}：{detail}") has nothing to translate.
    untranslated = [code for code, (_, zh) in catalog.items()
                    if LATIN.search(_literal_text(zh)) and not CHINESE.search(zh)]
    assert not untranslated


def _error_classes() -> set[str]:
    found, todo = set(), [EngineError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return found


def _code_argument(call: ast.Call) -> ast.expr | None:
    """The argument that must be a code: ConfigError(field, code, ...) has it second, the others first."""
    position = 1 if isinstance(call.func, ast.Name) and call.func.id == "ConfigError" else 0
    return call.args[position] if len(call.args) > position else None


def _uncoded_raises(paths: list[Path], catalog: dict[str, tuple[str, str]]) -> list[str]:
    """Engine errors (raised, or built to raise later) whose code is a sentence, an f-string, a concatenation or
    an unregistered name."""
    classes = _error_classes()
    problems = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in classes):
                continue
            code = _code_argument(node)
            where = (_shown(path), node.lineno)
            if isinstance(code, (ast.JoinedStr, ast.BinOp)):
                problems.append((*where, "builds its message in place"))
            elif isinstance(code, ast.Constant) and isinstance(code.value, str) and code.value not in catalog:
                problems.append((*where, f"uses an unregistered code {code.value!r}"))
    return [f"{path}:{line} {problem}" for path, line, problem in sorted(problems)]


def _shown(path: Path) -> str:
    return path.relative_to(ENGINE_DIR.parent).as_posix() if path.is_relative_to(ENGINE_DIR.parent) else path.name


def _engine_files() -> list[Path]:
    return sorted(ENGINE_DIR.rglob("*.py"))


def test_every_engine_raise_uses_a_registered_code(catalog: dict[str, tuple[str, str]]) -> None:
    assert not _uncoded_raises(_engine_files(), catalog)


def test_the_scan_catches_sentences_and_f_strings(tmp_path: Path, catalog: dict[str, tuple[str, str]]) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text('raise DataError("No rows left.")\nraise ConfigError("x", f"bad {y}")\n'
                     'raise RunError("Run " + name)\nraise ModelError("models.nope")\n'
                     'raise ModelError("models.not_found", path="p")\nraise ValueError("not for users")\n',
                     encoding="utf-8")
    problems = _uncoded_raises([probe], catalog)
    assert [problem.split()[0] for problem in problems] == ["probe.py:1", "probe.py:2", "probe.py:3", "probe.py:4"]


def test_model_errors_read_in_chinese(catalog: dict[str, tuple[str, str]]) -> None:
    from engine.models import resolve_model

    with pytest.raises(ModelError) as info:
        resolve_model("/no/such/model-folder")
    assert str(info.value) == "The folder /no/such/model-folder does not exist."
    assert info.value.localized("zh") == "文件夹 /no/such/model-folder 不存在。"


def test_config_errors_name_the_field_in_both_languages(catalog: dict[str, tuple[str, str]]) -> None:
    from engine.config import MethodConfig
    from engine.methods import apply_method

    cfg = MethodConfig()
    object.__setattr__(cfg, "kind", "dance")  # past the config's own check, to reach the method registry
    with pytest.raises(ConfigError) as info:
        apply_method(None, cfg, "", "SEQ_CLS")
    assert info.value.field == "method.kind"
    assert str(info.value).startswith("method.kind: unknown method 'dance'; known: full, lora")
    assert info.value.localized("zh").startswith("method.kind：未知的方法 'dance'；可选：full, lora")


def test_prediction_and_run_errors_read_in_chinese(catalog: dict[str, tuple[str, str]], tmp_path: Path) -> None:
    from engine.evaluation import EvalReport
    from engine.inference import MAX_BATCH_TEXTS, Predictor

    from engine.tasks import get_task

    predictor = Predictor(task=get_task("text_classification"), model=None, tokenizer=None, max_length=8, labels=[])
    with pytest.raises(DataError) as info:
        predictor.predict(["x"] * (MAX_BATCH_TEXTS + 1))
    assert str(info.value) == "At most 10,000 texts can be predicted at once; got 10,001."
    assert info.value.localized("zh") == "一次最多预测 10,000 条文本；现在有 10,001 条。"
    with pytest.raises(RunError) as info:
        EvalReport.load(tmp_path)
    assert info.value.localized("zh") == "这个运行还没有评估报告：它还没有完成训练。"


def test_task_errors_render_the_task_title_in_the_readers_language(catalog: dict[str, tuple[str, str]]) -> None:
    from engine.tasks import get_task

    task = get_task("text_classification")
    message = Message("tasks.unknown_metric", {"task": task.title, "metric": "f1", "known": "accuracy"})
    assert message.text("en") == "Text classification reports no metric 'f1'; choose one of: accuracy."
    assert message.text("zh") == "“文本分类”任务没有指标 'f1'；可选：accuracy。"


def test_an_unexpected_failure_is_logged_in_both_languages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          catalog: dict[str, tuple[str, str]]) -> None:
    import engine.train as train
    from engine.runs.events import EventLog

    def crash(*args: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(train.RunConfig, "load", classmethod(lambda cls, path: None))
    monkeypatch.setattr(train, "_train", crash)
    with pytest.raises(ZeroDivisionError):
        train.run_training(tmp_path)
    (failed,) = [e for e in EventLog(tmp_path).read()[0] if e["kind"] == "failed"]
    assert pick_text(failed["message"], "en").startswith("Training failed unexpectedly (ZeroDivisionError: "
                                                         "division by zero). See train.log")
    assert pick_text(failed["message"], "zh") == ("训练意外失败（ZeroDivisionError：division by zero）。"
                                                  "详情请看运行文件夹中的 train.log。")
