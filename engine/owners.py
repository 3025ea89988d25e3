"""Owners: who a run, an upload or a labeling project belongs to.

An owner is an opaque string chosen by the front end: `local` for the single user of a local app, then
`user:NAME` (a login), `hf:NAME` (a Hugging Face account on a Space), `browser:ID` (a persistent id per
browser) or `client:ID` (one API client's session). The engine only compares them; it never parses them.
"""
from __future__ import annotations

import hashlib

LOCAL_OWNER = "local"


def owner_key(owner: str) -> str:
    """A short, filesystem-safe name for an owner's folders (uploads), from which the owner cannot be read."""
    return hashlib.sha256(owner.encode("utf-8")).hexdigest()[:16]
