"""Start Tunebench: python launch.py [--host H] [--port N] [--share] [--auth USER:PASS] [--runs DIR]."""
from __future__ import annotations

import argparse
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Tunebench: fine-tune Transformers models in the browser.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0 for a Space)")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--share", action="store_true", help="also open a public gradio.live link")
    parser.add_argument("--auth", default=None, metavar="USER:PASS", help="ask for this login")
    parser.add_argument("--runs", default=None, help="folder for runs (default: ./runs or $TUNEBENCH_RUNS)")
    args = parser.parse_args(argv)
    if args.auth and ":" not in args.auth:
        parser.error("--auth must look like USER:PASS")
    return args


def main() -> None:
    args = parse_args()
    from engine.data.loading import DEFAULT_MAX_BYTES
    from engine.studio import Studio
    from ui.app import build_app, css

    # Reachable by others (a shared link, 0.0.0.0 on a Space): read only demo data and uploads.
    shared = args.share or args.host not in LOOPBACK
    app = build_app(Studio(args.runs, restrict_paths=shared))
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    app.queue(default_concurrency_limit=4).launch(
        server_name=args.host, server_port=args.port, share=args.share, auth=auth, css=css(),
        max_file_size=DEFAULT_MAX_BYTES, footer_links=["api", "settings"])


if __name__ == "__main__":
    main()
