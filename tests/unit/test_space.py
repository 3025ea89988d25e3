"""The README's front matter makes the repository a Hugging Face Space that runs this app as pinned."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _front_matter() -> dict:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    assert match, "README.md must start with a --- front matter block"
    return yaml.safe_load(match.group(1))


def test_front_matter_runs_the_pinned_gradio_app() -> None:
    meta = _front_matter()
    pinned = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines()
                  if "==" in line and not line.startswith("#"))
    assert meta["sdk"] == "gradio"
    assert meta["sdk_version"] == pinned["gradio"]
    assert (ROOT / meta["app_file"]).is_file()
    assert str(meta["python_version"]) == "3.11"
    assert meta["hf_oauth"] is True  # sign-in is offered; without it people get a per-browser owner
