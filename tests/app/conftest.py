"""App-level fixtures: one live Tunebench server per module, reached with gradio_client."""
from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Iterator

import pytest

# One thread trains the tiny model fastest on a shared machine; training children inherit it.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def app_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("app-runs")


@pytest.fixture(scope="module")
def server(app_runs: Path) -> Iterator[str]:
    """The app serving on 127.0.0.1 with its own runs folder; yields its URL."""
    from engine.studio import Studio
    from ui.app import build_app, css

    app = build_app(Studio(app_runs))
    port = free_port()
    app.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, css=css(),
                       max_file_size="200mb", quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()


@pytest.fixture(scope="module")
def client(server: str):
    from gradio_client import Client

    return Client(server, verbose=False)
