"""Class 3: what the gate has already seen still decides when the API becomes unavailable afterwards.

A finished run whose own counts or status fail a check that quarantine cannot change is a failure, with
`--on-unavailable pass` too, whatever happens to the requests that list its tests.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gate.clock import Clock
from tests.acceptance.adversarial.hostile import GateResult, Reply, Request, hostile, run_body, run_gate

UNAVAILABLE: dict[str, Callable[[], Reply]] = {
    "503 until the deadline": lambda: Reply(status=503, body={"error": "down"}),
    "429 with a huge Retry-After": lambda: Reply(status=429, body={}, headers={"Retry-After": "999999"}),
    "429 with a date far ahead": lambda: Reply(
        status=429, body={}, headers={"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"}
    ),
    "502 with an HTML page": lambda: Reply(status=502, body=b"<html>bad gateway</html>"),
}


def lists_unavailable(body: dict[str, Any], fault: Callable[[], Reply]) -> Callable[[Request], Reply]:
    """The poll answers the finished run; every request that lists tests (status=...) is unavailable."""

    def handler(request: Request) -> Reply:
        return fault() if "status" in request.query else Reply(body=body)

    return handler


@pytest.mark.parametrize("on_unavailable", ["pass", "fail"])
@pytest.mark.parametrize(
    ("status", "counts"),
    [
        ("failed", {"passed": 7, "failed": 3}),
        ("passed", {"passed": 7, "failed": 3}),
        ("timed_out", {"passed": 7, "flaky": 2}),
        ("interrupted", {"passed": 7, "flaky": 2}),
        ("passed", {"passed": 7, "skipped": 1, "flaky": 1, "timed_out": 1}),
    ],
)
def test_a_run_known_to_fail_is_failed_whatever_becomes_unavailable(
    tmp_path: Path, on_unavailable: str, status: str, counts: dict[str, int]
) -> None:
    body = run_body(status=status, counts=counts)
    with hostile(lists_unavailable(body, UNAVAILABLE["429 with a huge Retry-After"])) as server:
        result = run_gate(tmp_path, "--on-unavailable", on_unavailable, base_url=server.url)
    assert_failed_as_seen(result)


@pytest.mark.parametrize("fault", UNAVAILABLE.values(), ids=UNAVAILABLE.keys())
def test_every_kind_of_unavailability_after_the_poll(
    tmp_path: Path, fault: Callable[[], Reply], simulated: Clock
) -> None:
    body = run_body(status="failed", counts={"passed": 7, "failed": 3})
    with hostile(lists_unavailable(body, fault)) as server:
        result = gate_within_a_second(tmp_path, server.url, simulated, "--on-unavailable", "pass")
    assert_failed_as_seen(result)


def gate_within_a_second(tmp_path: Path, url: str, clock: Clock, *flags: str) -> GateResult:
    """The gate against a hostile server, with a deadline of 1 s in simulated time."""
    return run_gate(tmp_path, *flags, base_url=url, timeout="1s", clock=clock)


def assert_failed_as_seen(result: GateResult) -> None:
    assert result.code == 1, result.stdout + result.stderr
    assert result.verdict["verdict"] == "fail"
    assert result.verdict["passed_on_unavailable"] is False
    assert "could not be listed" in result.summary
    assert "could not be listed" in result.stdout
    assert "verdict<<" in result.outputs_text and "\nfail\n" in result.outputs_text


def test_a_limit_that_only_quarantine_could_meet_is_not_judged_without_the_tests(
    tmp_path: Path, simulated: Clock
) -> None:
    """With quarantine in force, three failed tests may all be quarantined: no verdict without the list."""
    config = tmp_path / "gate.yml"
    config.write_text('quarantine:\n  - test: "*checkout*"\n    reason: PAY-1\n    until: "2999-01-01"\n')
    body = run_body(status="failed", counts={"passed": 7, "failed": 3})
    with hostile(lists_unavailable(body, UNAVAILABLE["503 until the deadline"])) as server:
        flags = ("--config", str(config))
        let_through = gate_within_a_second(tmp_path, server.url, simulated, "--on-unavailable", "pass", *flags)
        no_verdict = gate_within_a_second(tmp_path, server.url, simulated, *flags)
    assert let_through.code == 0
    assert let_through.verdict["passed_on_unavailable"] is True
    assert no_verdict.code == 3


def test_a_status_the_policy_fails_on_decides_even_with_quarantine(tmp_path: Path, simulated: Clock) -> None:
    config = tmp_path / "gate.yml"
    config.write_text('quarantine:\n  - test: "*"\n    reason: PAY-1\n    until: "2999-01-01"\n')
    body = run_body(status="timed_out", counts={"passed": 7, "failed": 3})
    with hostile(lists_unavailable(body, UNAVAILABLE["503 until the deadline"])) as server:
        result = gate_within_a_second(
            tmp_path, server.url, simulated, "--on-unavailable", "pass", "--config", str(config)
        )
    assert result.code == 1
    assert result.verdict["verdict"] == "fail"


def test_a_run_that_would_pass_on_its_counts_is_still_let_through_only_as_asked(
    tmp_path: Path, simulated: Clock
) -> None:
    body = run_body(status="passed", counts={"passed": 7, "flaky": 2})
    with hostile(lists_unavailable(body, UNAVAILABLE["503 until the deadline"])) as server:
        let_through = gate_within_a_second(tmp_path, server.url, simulated, "--on-unavailable", "pass")
        no_verdict = gate_within_a_second(tmp_path, server.url, simulated)
    assert let_through.code == 0
    assert let_through.verdict["passed_on_unavailable"] is True
    assert no_verdict.code == 3
    assert no_verdict.verdict["verdict"] == "error"


@pytest.mark.parametrize("on_unavailable", ["pass", "fail"])
def test_fail_fast_past_the_limit_stays_a_failure_when_the_failed_tests_cannot_be_listed(
    tmp_path: Path, on_unavailable: str, simulated: Clock
) -> None:
    """Still running, but its count of failed tests alone is past the limit, and no quarantine could lower
    it: the run has failed, whatever becomes unavailable while the gate lists the tests."""
    config = tmp_path / "gate.yml"
    config.write_text("fail_fast: true\nthresholds: {failed: 0}\n")
    body = run_body(status="failing", is_running=True, counts={"passed": 7, "failed": 3})
    with hostile(lists_unavailable(body, UNAVAILABLE["503 until the deadline"])) as server:
        result = run_gate(
            tmp_path,
            "--on-unavailable",
            on_unavailable,
            "--config",
            str(config),
            base_url=server.url,
            timeout="2s",
            clock=simulated,
        )
    assert result.code == 1, result.stdout + result.stderr
    assert result.verdict["stopped_early"] is True
    assert "could not be listed" in result.summary
