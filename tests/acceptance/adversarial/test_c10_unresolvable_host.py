"""Class 10, a mistyped workspace: a host name that never resolves ends the gate as a set-up error, soon.

`socket.getaddrinfo` is made to fail for the mistyped names only. With a 30-minute deadline the gate must
still give up after a few attempts (the backoff is made fast through PLAYDASH_POLL_INTERVAL), exit 2 and
name the host and the settings to fix, in every report. A name that resolved earlier in the same gate is
a DNS hiccup: it stays a transient fault and the gate reaches its verdict.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.adversarial.hostile import Reply, Request, hostile, run_body, run_gate

FAILURES = {
    "no-such-name": (socket.EAI_NONAME, "Name or service not known"),
    "temporary-failure": (socket.EAI_AGAIN, "Temporary failure in name resolution"),
    "macos-spelling": (8, "nodename nor servname provided, or not known"),
}


def failing_resolver(
    monkeypatch: pytest.MonkeyPatch, fails: Callable[[str], bool], errno: int, message: str
) -> list[str]:
    """Make getaddrinfo fail for the names `fails` picks; returns the names it was asked for."""
    real = socket.getaddrinfo
    asked: list[str] = []
    lock = threading.Lock()

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            asked.append(str(host))
        if fails(str(host)):
            raise socket.gaierror(errno, message)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return asked


@pytest.mark.parametrize("failure", list(FAILURES.values()), ids=list(FAILURES))
@pytest.mark.parametrize(
    ("env", "host", "setting"),
    [
        ({"PLAYDASH_SUBDOMAIN": "acme-typo"}, "acme-typo.neetoplaydash.com", "--subdomain"),
        ({"PLAYDASH_BASE_URL": "https://playdash.acme-typo.example"}, "playdash.acme-typo.example", "--base-url"),
        (
            {"PLAYDASH_RUN_URL": "https://acmee.neetoplaydash.com/projects/pdqmxlz/runs/kftwnab"},
            "acmee.neetoplaydash.com",
            "--base-url",
        ),
    ],
    ids=["subdomain", "base-url", "run-url"],
)
def test_a_name_that_never_resolved_is_a_set_up_error_within_a_few_attempts(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    host: str,
    setting: str,
    failure: tuple[int, str],
) -> None:
    errno, message = failure
    asked = failing_resolver(monkeypatch, lambda name: "typo" in name or "acmee" in name, errno, message)
    result = run_gate(tmp_path, env=env, timeout="30m")
    assert result.code == 2, result.everything
    assert 1 <= len(asked) <= 3
    verdict = result.verdict
    assert verdict["verdict"] == "error" and verdict["error_kind"] == "setup"
    for text in (verdict["message"], result.summary, result.stderr + result.stdout):
        assert host in text
        assert setting in text
    assert "PLAYDASH_SUBDOMAIN" in verdict["message"] and "PLAYDASH_BASE_URL" in verdict["message"]
    assert "Traceback" not in result.everything


def test_a_name_that_resolved_before_stays_transient_and_the_gate_reaches_its_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`localhost` answers the first poll (run in progress), then fails to resolve 5 times, then works again."""
    polls: list[Request] = []
    state = {"lookups": 0}

    def flaky(name: str) -> bool:
        if name != "localhost":
            return False
        state["lookups"] += 1
        return 2 <= state["lookups"] <= 6

    failing_resolver(monkeypatch, flaky, socket.EAI_AGAIN, "Temporary failure in name resolution")

    def handler(request: Request) -> Reply:
        polls.append(request)
        return Reply(200, run_body(is_running=len(polls) == 1, status="running" if len(polls) == 1 else "passed"))

    with hostile(handler) as server:
        result = run_gate(tmp_path, base_url=f"http://localhost:{server.port}", timeout="30s")
    assert result.code == 0, result.everything
    assert state["lookups"] >= 7
    assert len(polls) >= 2
