"""The catalogue of faults the gate is proven against: each row is a test, and the README's table.

`python -m tests.faults` prints the README section; `tests/test_hardening.py` runs every row end to end
(or names the unit test that covers it) and checks that the README shows exactly this table.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass, field
from typing import Any

from gate.simulator import SimRun

RETRIED = "retried with backoff within the deadline, then judged"


@dataclass(frozen=True)
class Fault:
    """One way the API can misbehave, what the gate does about it, and the exit code that proves it."""

    id: str
    fault: str
    outcome: str
    code: int
    run: SimRun = field(default_factory=SimRun)
    faults: tuple[dict[str, Any], ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    unit_test: str | None = None  # covered by this unit test instead of the simulator


def http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


FAILED_RUN = SimRun(counts={"passed": 10, "failed": 2})
CATALOGUE: tuple[Fault, ...] = (
    Fault(
        "refused",
        "connection refused",
        "retried until the deadline, then no verdict",
        3,
        env=(("PLAYDASH_BASE_URL", "http://127.0.0.1:9"), ("PLAYDASH_TIMEOUT", "1s")),
    ),
    Fault("reset", "connection reset", RETRIED, 1, FAILED_RUN, ({"reset": True},) * 2),
    Fault("dns", "DNS failure", RETRIED, 0, unit_test="test_client.py::test_network_faults_are_retried"),
    Fault(
        "connect-timeout", "connect timeout", RETRIED, 0, unit_test="test_client.py::test_network_faults_are_retried"
    ),
    Fault("read-timeout", "read timeout", RETRIED, 0, unit_test="test_client.py::test_network_faults_are_retried"),
    Fault(
        "429-seconds",
        "429 with `Retry-After: 1`",
        "waits at least the second asked, then judged",
        1,
        FAILED_RUN,
        ({"status": 429, "retry_after": "1"},),
    ),
    Fault(
        "429-date",
        "429 with `Retry-After` as an HTTP date",
        "waits until that date, then judged",
        1,
        FAILED_RUN,
        ({"status": 429, "retry_after": http_date(1)},),
    ),
    Fault(
        "429-absurd",
        "429 with `Retry-After` beyond the deadline",
        "gives up at once: no verdict",
        3,
        FAILED_RUN,
        ({"status": 429, "retry_after": "999999999"},),
    ),
    Fault("429-bare", "429 without `Retry-After`", RETRIED, 1, FAILED_RUN, ({"status": 429},) * 2),
    Fault("500", "500", RETRIED, 1, FAILED_RUN, ({"status": 500},)),
    Fault("502", "502", RETRIED, 1, FAILED_RUN, ({"status": 502},)),
    Fault("503", "503", RETRIED, 1, FAILED_RUN, ({"status": 503},)),
    Fault("504", "504", RETRIED, 1, FAILED_RUN, ({"status": 504},)),
    Fault("html", "200 with an HTML page (a proxy's error)", RETRIED, 1, FAILED_RUN, ({"html": True},)),
    Fault("truncated", "a truncated body", RETRIED, 1, FAILED_RUN, ({"truncate": True},)),
    Fault(
        "stall-once",
        "an answer that stalls once",
        RETRIED,
        1,
        FAILED_RUN,
        ({"stall": 3},),
        env=(("PLAYDASH_TIMEOUT", "10s"),),
    ),
    Fault(
        "stall",
        "a server that stalls mid-answer",
        "no verdict at the deadline (it is overall, not per attempt)",
        3,
        faults=({"stall": 60},) * 20,
        env=(("PLAYDASH_TIMEOUT", "2s"),),
    ),
    Fault(
        "trickle",
        "a server that trickles its answer forever",
        "no verdict at the deadline",
        3,
        faults=({"trickle": 60},) * 20,
        env=(("PLAYDASH_TIMEOUT", "2s"),),
    ),
    Fault(
        "down",
        "an API that stays down (503)",
        "no verdict at the deadline",
        3,
        faults=({"status": 503},) * 500,
        env=(("PLAYDASH_TIMEOUT", "1.5s"),),
    ),
    Fault(
        "down-pass",
        "an API that stays down, with `--on-unavailable pass`",
        "lets the job pass, with a warning in the console, summary and annotations",
        0,
        faults=({"status": 503},) * 500,
        env=(("PLAYDASH_TIMEOUT", "1.5s"), ("PLAYDASH_ON_UNAVAILABLE", "pass")),
    ),
    Fault("400", "400", "set-up error, not retried", 2, faults=({"status": 400},)),
    Fault("401", "401 (key refused)", "set-up error, not retried: check the key", 2, faults=({"status": 401},)),
    Fault("403", "403", "set-up error, not retried: check the key's access", 2, faults=({"status": 403},)),
    Fault(
        "404", "404 (unknown project or run)", "set-up error, not retried: check the ids", 2, faults=({"status": 404},)
    ),
    Fault("422", "422", "set-up error, not retried", 2, faults=({"status": 422},)),
    Fault(
        "plain-http",
        "`http://` to a host that is not loopback",
        "set-up error before any request",
        2,
        env=(("PLAYDASH_BASE_URL", "http://neetoplaydash.example"),),
    ),
    Fault(
        "redirect",
        "a redirect to another origin",
        "set-up error; the key is never sent there",
        2,
        faults=({"redirect": "https://elsewhere.example/steal"},),
    ),
    Fault("no-is-running", "a body without `is_running`", "no verdict", 3, SimRun(drop_fields=["is_running"])),
    Fault("no-statistics", "a body without `run_statistics`", "no verdict", 3, SimRun(drop_fields=["run_statistics"])),
    Fault(
        "wrong-type",
        '`is_running` of the wrong type (`"false"`)',
        "no verdict",
        3,
        SimRun(final_patch={"is_running": "false"}),
    ),
    Fault(
        "negative",
        "a negative count",
        "no verdict",
        3,
        SimRun(final_patch={"run_statistics": [{"name": "Failed", "value": -1}]}),
    ),
    Fault(
        "fraction",
        "a count that is not a whole number",
        "no verdict",
        3,
        SimRun(final_patch={"run_statistics": [{"name": "Passed", "value": 2.5}]}),
    ),
    Fault(
        "forever",
        "`is_running` true forever",
        "no verdict at the deadline",
        3,
        SimRun(finish_after_polls=10**9),
        env=(("PLAYDASH_TIMEOUT", "1.5s"),),
    ),
    Fault(
        "still-running",
        "`is_running` false with a status still `running`",
        "no verdict",
        3,
        SimRun(final_status="running"),
    ),
    Fault("unknown-status", "an unknown final status", "fails the gate", 1, SimRun(final_status="exploded")),
    Fault(
        "unexplained",
        "a `failed` run with no failed test",
        "fails the gate",
        1,
        SimRun(counts={"passed": 3, "timed_out": 1}, final_status="failed"),
    ),
    Fault(
        "endless-pages",
        "pagination that never ends",
        "no verdict (at most 2,000 pages are read)",
        3,
        SimRun(counts={"passed": 1, "failed": 1}, final_patch={"pagination": {"total_pages": 10**9}}),
    ),
    Fault(
        "repeated-pages",
        "pagination that repeats pages",
        "no verdict",
        3,
        SimRun(
            counts={"passed": 1, "failed": 1}, final_patch={"pagination": {"total_pages": 3}}, repeat_first_page=True
        ),
    ),
    Fault(
        "huge-body",
        "a body over 32 MiB",
        "refused while streaming: no verdict",
        3,
        faults=({"raw": "[" + "0," * (17 * 1024 * 1024) + "0]"},),
    ),
)


def markdown_table() -> str:
    """The README's table of faults."""
    rows = ["| the API does this | the gate does this | exit code in its test |", "|---|---|:-:|"]
    rows += [
        f"| {fault.fault} | {fault.outcome} | {'unit test' if fault.unit_test else fault.code} |" for fault in CATALOGUE
    ]
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
