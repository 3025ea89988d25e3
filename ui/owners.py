"""Who is asking: the owner of a page or an API call, from what Gradio knows about the request.

A local app (loopback, no login) has one user, who owns everything. On a shared app the owner is the
login name (`--auth`), the Hugging Face account (a Space with `hf_oauth`), or else a persistent random id
per browser (kept in the browser's local storage); an API client is its own owner for as long as its
session lasts.
"""
from __future__ import annotations

import uuid
from typing import Any

from engine.owners import LOCAL_OWNER


def new_browser_id() -> str:
    return uuid.uuid4().hex


def page_owner(shared: bool, request: Any, profile: Any, browser_id: str) -> str:
    if not shared:
        return LOCAL_OWNER
    return _signed_in(request, profile) or f"browser:{browser_id}"


def api_owner(shared: bool, request: Any, profile: Any) -> str:
    if not shared:
        return LOCAL_OWNER
    return _signed_in(request, profile) or f"client:{request.session_hash}"


def _signed_in(request: Any, profile: Any) -> str:
    if profile is not None:
        return f"hf:{profile.username}"
    username = getattr(request, "username", None) if request is not None else None
    return f"user:{username}" if username else ""
