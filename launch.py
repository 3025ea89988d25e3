"""Start Tunebench: python launch.py [--host H] [--port N] [--share] [--auth USER:PASS] [--runs DIR] ...

On a Hugging Face Space (SPACE_ID is set) it listens where the Space says (GRADIO_SERVER_NAME/PORT), runs as
a shared app, and offers Hugging Face sign-in when the Space has `hf_oauth: true` (OAUTH_CLIENT_ID is set).
"""
from __future__ import annotations

import argparse
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def parse_args(argv: list[str] | None = None, env: dict[str, str] | None = None) -> argparse.Namespace:
    env = os.environ if env is None else env
    parser = argparse.ArgumentParser(description="Tunebench: fine-tune Transformers models in the browser.")
    parser.add_argument("--host", default=env.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                        help="address to listen on (0.0.0.0 to be reachable from other machines)")
    parser.add_argument("--port", type=int, default=int(env.get("GRADIO_SERVER_PORT", 7860)))
    parser.add_argument("--share", action="store_true", help="also open a public gradio.live link")
    parser.add_argument("--auth", default=None, metavar="USER:PASS", help="ask for this login")
    parser.add_argument("--runs", default=None, help="folder for runs (default: ./runs or $TUNEBENCH_RUNS)")
    parser.add_argument("--model-dir", action="append", default=[], metavar="DIR",
                        help="a folder of models that users of a shared app may load (repeatable)")
    parser.add_argument("--max-runs", type=int, default=None, metavar="N",
                        help="trainings at once; later runs wait in a queue (default: one per GPU, else one)")
    parser.add_argument("--runs-per-user", type=int, default=1, metavar="N",
                        help="runs one person may have queued or training at once (default 1)")
    args = parser.parse_args(argv)
    if args.auth and ":" not in args.auth:
        parser.error("--auth must look like USER:PASS")
    for name in ("max_runs", "runs_per_user"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be 1 or more")
    # Others can reach the app (a link, another machine, a login, a Space): each person sees only their runs
    # and the app reads only demo data, their uploads and the --model-dir folders.
    args.shared = bool(args.share or args.auth or env.get("SPACE_ID") or args.host not in LOOPBACK)
    args.login = bool(env.get("OAUTH_CLIENT_ID"))
    return args


def main() -> None:
    args = parse_args()
    from engine.data.loading import DEFAULT_MAX_BYTES
    from engine.studio import Studio
    from ui.app import build_app, css

    studio = Studio(args.runs, shared=args.shared, model_roots=tuple(args.model_dir), max_running=args.max_runs,
                    runs_per_owner=args.runs_per_user)
    app = build_app(studio, login=args.login)
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    app.queue(default_concurrency_limit=4).launch(
        server_name=args.host, server_port=args.port, share=args.share, auth=auth, css=css(),
        max_file_size=DEFAULT_MAX_BYTES, footer_links=["api", "settings"])


if __name__ == "__main__":
    main()
