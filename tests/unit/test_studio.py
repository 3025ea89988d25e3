"""Studio.start judges the data as the run would before a run exists: a refused file or unusable labels never
become a failed run."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from engine.errors import DataError
from engine.studio import Studio


@pytest.mark.parametrize(("content", "words"), [
    ("text,label\na,x\nb,x\nc,x\nd,x\ne,x\nf,x\ng,x\nh,x\ni,x\nj,x\n", "two"),   # one class
    ("\x89PNG\r\n\x1a\n" + "\x00" * 64, "PNG"),                                # not a table
])
def test_start_refuses_unusable_data_before_a_run_exists(tmp_path: Path, run_config: Callable[..., Any],
                                                        content: str, words: str) -> None:
    data = tmp_path / "data.csv"
    data.write_bytes(content.encode("latin-1"))
    cfg = run_config()
    cfg.data.train_file = str(data)
    studio = Studio(tmp_path / "runs")
    with pytest.raises(DataError, match=words):
        studio.start(cfg)
    assert studio.runs() == []


def test_the_app_secret_survives_a_restart(tmp_path: Path) -> None:
    first = Studio(tmp_path / "runs").app_secret()
    assert len(first) >= 32
    assert Studio(tmp_path / "runs").app_secret() == first  # browsers keep their owner id across restarts
    assert (tmp_path / "runs" / "app-secret").stat().st_mode & 0o077 == 0  # readable by the app's user only
    assert Studio(tmp_path / "other").app_secret() != first
