"""Class 9, one stalled answer must not take the only attempt: each attempt leaves room to retry.

With --timeout 6s an attempt waits at most max(2 s, a third of the time left), so an answer that stalls
past the whole deadline is abandoned after about 2 s and the request is sent again; the second answer,
given at once, decides the verdict well within the deadline.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.acceptance.adversarial.hostile import RUN_PATH, Reply, Request, hostile, run_body, run_gate, spec

# Longer than the whole gate may take: before the fix, the first attempt waited for it until the deadline.
STALL = 8.0


def stalls_once(matches: str) -> tuple[list[Request], object]:
    """A handler whose first request matching `matches` ("run" or "failed") stalls; all others answer at once."""
    stalled: list[Request] = []
    lock = threading.Lock()

    def handler(request: Request) -> Reply:
        is_match = request.path == RUN_PATH and (
            request.query.get("status") == "failed" if matches == "failed" else "status" not in request.query
        )
        with lock:
            first = is_match and not stalled
            if first:
                stalled.append(request)
        body = run_body(
            counts={"passed": 9, "failed": 1},
            status="failed",
            specs=[spec("checkout.spec.ts", ("pays", "failed"))] if request.query.get("status") == "failed" else [],
        )
        return Reply(200, body, stall=STALL if first else 0.0)

    return stalled, handler


@pytest.mark.parametrize("matches", ["run", "failed"], ids=["first-poll-stalls", "failed-tests-page-stalls"])
def test_a_stalled_answer_is_abandoned_and_retried_to_a_verdict(tmp_path: Path, matches: str) -> None:
    stalled, handler = stalls_once(matches)
    with hostile(handler) as server:  # type: ignore[arg-type]
        result = run_gate(tmp_path, base_url=server.url, timeout="6s")
    assert stalled, "the stall was never triggered"
    assert result.code == 1, result.everything  # a verdict: the run has a failed test
    assert result.verdict["verdict"] == "fail"
    assert "checkout.spec.ts" in result.json_text
    same = [
        request
        for request in server.requests
        if request.path == stalled[0].path and request.query.get("status") == stalled[0].query.get("status")
    ]
    assert len(same) >= 2, "the stalled request was not sent again"
