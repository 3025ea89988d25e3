"""Who owns what: launch flags and a Space's environment decide whether the app is shared, and each request's
owner comes from its login, its Hugging Face account, its browser or its API session."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from engine.owners import LOCAL_OWNER, owner_key
from launch import parse_args
from ui.owners import api_owner, page_owner


@pytest.mark.parametrize(("argv", "env", "shared"), [
    ([], {}, False),                                           # loopback, no login: one user
    (["--host", "0.0.0.0"], {}, True),                         # reachable from other machines
    (["--share"], {}, True),
    (["--auth", "ann:secret"], {}, True),                      # logins mean several people
    ([], {"SPACE_ID": "ann/tunebench", "GRADIO_SERVER_NAME": "0.0.0.0"}, True),
])
def test_the_app_is_shared_when_others_can_reach_it(argv: list[str], env: dict, shared: bool) -> None:
    assert parse_args(argv, env).shared is shared


def test_a_space_sets_host_port_and_login() -> None:
    args = parse_args([], {"SPACE_ID": "ann/tunebench", "GRADIO_SERVER_NAME": "0.0.0.0",
                           "GRADIO_SERVER_PORT": "7861", "OAUTH_CLIENT_ID": "abc"})
    assert (args.host, args.port, args.shared, args.login) == ("0.0.0.0", 7861, True, True)
    assert parse_args([], {}).login is False


def test_bad_limits_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--max-runs", "0"], {})
    assert "--max-runs must be 1 or more" in capsys.readouterr().err


def test_owners_of_pages_and_api_clients() -> None:
    anonymous = SimpleNamespace(username=None, session_hash="s1")
    ann = SimpleNamespace(username="ann", session_hash="s2")
    hf_user = SimpleNamespace(username="bob")
    assert page_owner(False, ann, None, "b1") == LOCAL_OWNER  # a local app has one user
    assert api_owner(False, anonymous, None) == LOCAL_OWNER
    assert page_owner(True, anonymous, None, "b1") == "browser:b1"
    assert page_owner(True, ann, None, "b1") == "user:ann"
    assert page_owner(True, anonymous, hf_user, "b1") == "hf:bob"
    assert api_owner(True, anonymous, None) == "client:s1"
    assert api_owner(True, ann, None) == "user:ann"  # the same login in a browser and a script: one owner


def test_owner_folders_do_not_spell_the_owner() -> None:
    key = owner_key("user:ann")
    assert key == owner_key("user:ann") != owner_key("user:bob")
    assert "ann" not in key and key.isalnum()
