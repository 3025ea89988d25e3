"""The import boundary between the floors: engine/ never imports gradio, ui/ never imports training libraries."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TRAINING_LIBRARIES = {"torch", "transformers", "peft", "datasets", "accelerate"}


def imported_roots(path: Path) -> set[str]:
    """Top-level package names imported anywhere in a file (including inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            roots.add(str(node.args[0].value).split(".")[0])
    return roots


def _python_files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_imported_roots_sees_nested_and_dynamic_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os.path\nfrom gradio.themes import Base\n"
                      "def f():\n    import torch.nn as nn\n    importlib.import_module('peft.tuners')\n"
                      "from . import sibling\n", encoding="utf-8")
    assert imported_roots(sample) == {"os", "gradio", "torch", "peft"}


def test_engine_never_imports_gradio() -> None:
    files = _python_files("engine")
    assert files, "engine/ has no Python files"
    offenders = [str(p.relative_to(ROOT)) for p in files if "gradio" in imported_roots(p)]
    assert offenders == []


def test_ui_never_imports_training_libraries() -> None:
    files = _python_files("ui")
    if not files:
        pytest.skip("ui/ has no Python files yet")
    offenders = {str(p.relative_to(ROOT)): sorted(imported_roots(p) & TRAINING_LIBRARIES) for p in files}
    assert {path: libs for path, libs in offenders.items() if libs} == {}
