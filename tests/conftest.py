"""Shared fixtures: tiny random models (seconds to train), isolated run folders and live app servers."""
from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    from engine.tiny_models import save_tiny_bert

    return save_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="session")
def tiny_causal_lm(tmp_path_factory: pytest.TempPathFactory) -> str:
    from engine.tiny_models import save_tiny_causal_lm

    return save_tiny_causal_lm(tmp_path_factory.mktemp("tiny-llama"))


@pytest.fixture(scope="session")
def tiny_seq2seq(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Tiny random encoder-decoders by kind: T5, BART and a bert2bert warm-started as MiniLM2MiniLM is."""
    from engine.tiny_models import save_tiny_bart, save_tiny_bert2bert, save_tiny_t5

    return {name: save(tmp_path_factory.mktemp(f"tiny-{name}") / "model")
            for name, save in (("t5", save_tiny_t5), ("bart", save_tiny_bart), ("bert2bert", save_tiny_bert2bert))}


@pytest.fixture()
def runs_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "runs"
    monkeypatch.setenv("TUNEBENCH_RUNS", str(root))
    return root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def serve_app() -> Iterator[Callable[..., str]]:
    """Start the real app on 127.0.0.1 over a runs folder (keyword arguments go to its Studio); returns its URL.
    Closed after the module."""
    from engine.studio import Studio
    from ui.app import build_app, css

    apps = []

    def serve(runs: Path, **studio: Any) -> str:
        app = build_app(Studio(runs, **studio))
        port = free_port()
        app.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, css=css(),
                           max_file_size="200mb", quiet=True)
        apps.append(app)
        return f"http://127.0.0.1:{port}/"

    yield serve
    for app in apps:
        app.close()
