"""App-level fixtures: one live Tunebench server per module, reached with gradio_client."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest



@pytest.fixture(scope="module")
def app_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("app-runs")


@pytest.fixture(scope="module")
def server(app_runs: Path, serve_app: Callable[[Path], str]) -> str:
    """The app serving on 127.0.0.1 with its own runs folder."""
    return serve_app(app_runs)


@pytest.fixture(scope="module")
def client(server: str):
    from gradio_client import Client

    return Client(server, verbose=False)
