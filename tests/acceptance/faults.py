"""The catalogue of faults the gate is proven against: each row is a test, and a row of the docs table.

`python -m tests.acceptance.faults` prints that table; `tests/acceptance/test_hardening.py` runs every row end to end
(or names the unit test that covers it) and checks that the page shows exactly this table.
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

    @property
    def holds_the_socket(self) -> bool:
        """Whether the server keeps a connection open without finishing its answer: the gate then waits on a
        socket's timeout, which runs on the wall clock, so the test cannot run in simulated time."""
        return any("stall" in answer or "trickle" in answer for answer in self.faults)


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
    Fault("dns", "DNS failure", RETRIED, 0, unit_test="unit/test_client.py::test_network_faults_are_retried"),
    Fault(
        "connect-timeout",
        "connect timeout",
        RETRIED,
        0,
        unit_test="unit/test_client.py::test_network_faults_are_retried",
    ),
    Fault("read-timeout", "read timeout", RETRIED, 0, unit_test="unit/test_client.py::test_network_faults_are_retried"),
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
        # The date is made when the fault is served (`served`), not when this module is imported.
        ({"status": 429, "retry_after": lambda: http_date(1)},),
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
        # 6 s: the attempt waits its least (2 s, a third of the time left) and the stall outlasts it.
        env=(("PLAYDASH_TIMEOUT", "6s"),),
    ),
    Fault(
        "stall",
        "a server that stalls mid-answer",
        "no verdict at the deadline (it is overall, not per attempt)",
        3,
        faults=({"stall": 60},) * 20,
        env=(("PLAYDASH_TIMEOUT", "1s"),),
    ),
    Fault(
        "trickle",
        "a server that trickles its answer forever",
        "no verdict at the deadline",
        3,
        faults=({"trickle": 60},) * 20,
        env=(("PLAYDASH_TIMEOUT", "1s"),),
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
        "a `failed` run with no failed, timed-out or interrupted test",
        "fails the gate",
        1,
        SimRun(counts={"passed": 3, "skipped": 1}, final_status="failed"),
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
        "redirect-tricks",
        "a redirect whose `Location` hides another host (`\\@`, user info, tabs, `//host`)",
        "set-up error; decided by the parser requests uses, so the key is never sent there",
        2,
        unit_test="acceptance/adversarial/test_c01_redirects.py::test_a_redirect_off_the_origin_is_refused_and_other_never_asked",
    ),
    Fault(
        "stall-attempt",
        "an answer that stalls past one attempt's share of the time",
        "abandoned after at most a third of the time left, retried, then judged",
        0,
        unit_test="acceptance/adversarial/test_c09_stalled_answer.py::test_a_stalled_answer_is_abandoned_and_retried_to_a_verdict",
    ),
    Fault(
        "never-resolves",
        "a workspace name that never resolves (a mistyped `--subdomain`)",
        "set-up error within a few attempts, naming `--subdomain` / `--base-url` and the host",
        2,
        unit_test="acceptance/adversarial/test_c10_unresolvable_host.py::"
        "test_a_name_that_never_resolved_is_a_set_up_error_within_a_few_attempts",
    ),
    Fault(
        "retry-after-absurd",
        "a `Retry-After` past the year 9999, or `1e999`",
        "gives up at once: no verdict, never a crash",
        3,
        unit_test="acceptance/adversarial/test_c06_retry_after_and_nesting.py::test_a_retry_after_beyond_the_deadline_gives_up_at_once",
    ),
    Fault(
        "nested",
        "an answer nested 100,000 deep, or a count of thousands of digits",
        "no verdict (a 401 with such a body: set-up error)",
        3,
        unit_test="acceptance/adversarial/test_c06_retry_after_and_nesting.py::test_an_answer_the_gate_cannot_hold_is_unusable_at_once",
    ),
    Fault(
        "non-finite",
        "`NaN`, `Infinity` or `1e999` as a duration",
        "the duration is unknown; judged",
        1,
        unit_test="acceptance/adversarial/test_c06_numbers.py::test_a_duration_no_clock_can_show_is_unknown_and_the_verdict_stands",
    ),
    Fault(
        "contradiction",
        "statistics that say 0 failed while the answer's specs list failed tests",
        "fails the gate: the larger count wins",
        1,
        unit_test="acceptance/adversarial/test_c05_contradicting_answers.py::test_failed_tests_on_the_first_page_fail_the_gate",
    ),
    Fault(
        "known-failure",
        "the tests cannot be listed after the run was seen to fail (with `--on-unavailable pass` too)",
        "fails the gate: what was seen decides",
        1,
        unit_test="acceptance/adversarial/test_c03_known_failure_stays_a_failure.py::"
        "test_a_run_known_to_fail_is_failed_whatever_becomes_unavailable",
    ),
    Fault(
        "line-ends",
        "text with a bare `\\r`, NEL, U+2028 or any control (titles, run ids, saved files)",
        "inert: it never starts a log line or a workflow command",
        1,
        unit_test="acceptance/adversarial/test_c02_console_injection.py::test_every_control_and_separator_character_in_a_title",
    ),
    Fault(
        "stream-commands",
        "a title holding `\\n::error::`, `\\r::add-mask::`, `::stop-commands::`, `##[set-output]`, or `::` behind "
        "spaces or zero-width characters, in a report written to `/dev/stdout` or `/dev/stderr`",
        "cut by the stream guard: no line but the gate's own commands reads as a command, and the report stays "
        "valid JSON or XML",
        1,
        unit_test="acceptance/test_stream_guard.py::test_every_report_written_to_the_processs_own_streams_passes_the_guard",
    ),
    Fault(
        "job-link",
        "a CI variable (`GITHUB_SERVER_URL`, `CI_JOB_URL`, `CIRCLE_BUILD_URL`, `BUILD_URL`, `BUILDKITE_BUILD_URL`) or "
        "GitHub's comment address that is `javascript:`, `data:`, `//host`, user info or a bracket break-out",
        "never a link: the job link is left out, the words are plain",
        1,
        unit_test="acceptance/test_links.py::test_a_job_link_that_is_not_http_reaches_no_sink",
    ),
    Fault(
        "key-echo",
        "the key echoed in an answer or an error body, around any cut",
        "redacted where it enters, before any cut or escape",
        2,
        unit_test="acceptance/adversarial/test_c04_every_spelling.py::"
        "test_a_server_echoing_the_key_in_an_error_shows_it_in_no_form",
    ),
    Fault(
        "key-echo-encoded",
        "the key or the token echoed in base64 (`x-access-token:` + token, any alignment), percent-encoded, "
        "with `\\u`, `&#…;` or any mix of escapes, in an error body, a reason phrase, a header or an answer",
        "masked in every sink and in the comment, in every form the runner masks and more",
        2,
        unit_test="acceptance/adversarial/test_c04_every_spelling.py::"
        "test_a_server_echoing_the_key_in_an_error_shows_it_in_no_form",
    ),
    Fault(
        "cancel-while-stalled",
        "a cancel (SIGTERM) while pages stall",
        "reports at once, and the process is gone at once",
        3,
        unit_test="e2e/test_c08_no_lingering.py::test_sigterm_while_pages_stall_ends_the_process_at_once",
    ),
    Fault(
        "unknown-statistic",
        "tests counted under a status the gate does not know (`Failures`, `failure`)",
        "fails the gate: what it cannot judge, it does not pass",
        1,
        unit_test="acceptance/adversarial/test_c11_semantics.py::"
        "test_other_statistics_are_statuses_that_add_up_and_fail_as_unknown",
    ),
    Fault(
        "saved-stalls",
        "a saved answer on a pipe that never ends (`--from-file -`)",
        "no verdict at the deadline",
        3,
        unit_test="acceptance/adversarial/test_c08_saved_answer_within_timeout.py::"
        "test_standard_input_that_never_ends_gives_no_verdict_at_the_deadline",
    ),
    Fault(
        "history-unavailable",
        "result histories that fail: 4xx, 5xx or not JSON after three attempts, no `result_histories` list",
        "the test's history is unknown, never forgiven; the gate judges on, and says so",
        1,
        unit_test="acceptance/test_history.py::test_an_unavailable_or_unusable_history_is_unknown_and_forgives_nothing",
    ),
    Fault(
        "history-malformed",
        "result history entries without a status, a date or a branch, of other branches, or of the judged run",
        "left out: too few runs make the test unknown, never forgiven",
        1,
        unit_test="acceptance/test_history.py::test_a_failed_test_is_classed_by_its_history_on_the_branch",
    ),
    Fault(
        "history-no-evidence",
        "result histories that list one past run several times or contradict it, entries without a usable "
        "`run_id`, dated oddly (`+99:00`, no offset, year 0, fullwidth digits, NUL) or at or after the run's creation",
        "each past run counts once; a run whose entries disagree, and an entry without a run id or a date, are no "
        "evidence: the test is unknown rather than forgiven",
        1,
        unit_test="acceptance/test_history.py::test_history_that_is_no_evidence_forgives_nothing",
    ),
    Fault(
        "history-no-creation",
        "a run without a usable `created_at` (absent, not a date, no offset) when history is asked for",
        "no history is asked for: every failed test is unknown, never forgiven, and the notes say why",
        1,
        unit_test="acceptance/test_history.py::test_a_run_without_a_usable_creation_date_gets_no_history_and_says_why",
    ),
    Fault(
        "history-shared-id",
        "a test id given to two listed tests, or to a test and a spec",
        "that test's history is unknown, never forgiven: it may be another's",
        1,
        unit_test="acceptance/test_history.py::test_an_id_that_names_two_things_in_the_run_forgives_nothing",
    ),
    Fault(
        "huge-body",
        "a body over its limit (4 MiB for Get run)",
        "refused while streaming: no verdict",
        3,
        faults=({"raw": "[" + "0," * (3 * 1024 * 1024) + "0]"},),
    ),
)


def served(fault: Fault) -> list[dict[str, Any]]:
    """The fault's scripted answers as the simulator takes them, any value made now (an HTTP date)."""
    return [{key: value() if callable(value) else value for key, value in answer.items()} for answer in fault.faults]


def markdown_table() -> str:
    """The table of faults in docs/faults-and-security.md."""
    rows = ["| the API does this | the gate does this | exit code in its test |", "|---|---|:-:|"]
    rows += [
        f"| {fault.fault} | {fault.outcome} | {'unit test' if fault.unit_test else fault.code} |" for fault in CATALOGUE
    ]
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
