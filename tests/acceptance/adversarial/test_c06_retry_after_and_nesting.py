"""Class 6, numbers and shapes JSON allows and arithmetic (or the stack) does not, through the real CLI.

Retry-After: absurd numbers and dates past year 9999 never raise; unreadable ones fall back to the backoff,
ones beyond the deadline give up at once, with a wait a person can read. Answers nested 100,000 deep, and
counts of thousands of digits, 1e999, NaN or Infinity, are unusable answers (exit 3) after one request, not a
retry loop and not a traceback; such a duration is unknown and the verdict stands; a refusal (401) with such
a body is still a set-up error (exit 2).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.acceptance.adversarial.hostile import RUN_PATH, Reply, Request, hostile, run_body, run_gate

UNREADABLE_RETRY_AFTER = ["1e999", "-1e999", "inf", "Infinity", "nan", "-5", "0x10", "1_0", "soon", "\x00", ""]
BEYOND_ANY_DEADLINE = [
    "9" * 400,
    "1" + "0" * 4000,
    "99999999999",
    "Fri, 01 Jan 99999 00:00:00 GMT",
    "Fri, 31 Dec 9999 23:59:59 -2359",
    "Fri, 31 Dec 9999 23:59:59 +2359",
    "Mon, 01 Jan 1000000000000000000000 00:00:00 GMT",
]


def busy_then_passing(retry_after: str, status: int = 429) -> object:
    def handler(request: Request) -> Reply:
        if len(seen) == 0:
            seen.append(request)
            return Reply(status, {"error": "try again after some time"}, headers={"Retry-After": retry_after})
        return Reply(200, run_body())

    seen: list[Request] = []
    return handler


def assert_clean(everything: str) -> None:
    assert "Traceback" not in everything
    assert "OverflowError" not in everything and "RecursionError" not in everything
    assert "unexpected error" not in everything


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("retry_after", UNREADABLE_RETRY_AFTER)
def test_an_unreadable_retry_after_falls_back_to_the_backoff(tmp_path: Path, retry_after: str, status: int) -> None:
    with hostile(busy_then_passing(retry_after, status)) as server:  # type: ignore[arg-type]
        result = run_gate(tmp_path, base_url=server.url)
    assert result.code == 0, result.everything
    assert len(server.requests) == 2
    assert_clean(result.everything)


@pytest.mark.parametrize("retry_after", BEYOND_ANY_DEADLINE)
def test_a_retry_after_beyond_the_deadline_gives_up_at_once(tmp_path: Path, retry_after: str) -> None:
    with hostile(busy_then_passing(retry_after)) as server:  # type: ignore[arg-type]
        result = run_gate(tmp_path, base_url=server.url, timeout="30m")
    assert result.code == 3, result.everything
    assert len(server.requests) == 1
    message = result.verdict["message"]
    assert "Retry-After" in message and "beyond the deadline" in message and "--timeout" in message
    assert len(message) < 400
    assert not re.search(r"\binfs?\b|[0-9]{11}", message), message
    assert_clean(result.everything)


def nested(depth: int, inner: str = "") -> str:
    return "[" * depth + inner + "]" * depth


UNHOLDABLE_ANSWERS = {
    "nested-100000": nested(100_000),
    "nested-objects-100000": '{"a":' * 100_000 + "1" + "}" * 100_000,
    "nested-in-an-extra-field": '{"is_running": false, "extra": ' + nested(100_000) + "}",
    "failed-count-5000-digits": '{"is_running": false, "status": "passed", "run_statistics": '
    '[{"name": "Failed", "value": ' + "9" * 5000 + "}]}",
    "passed-count-beyond-floats": '{"is_running": false, "status": "passed", "run_statistics": '
    '[{"name": "Passed", "value": 1' + "0" * 400 + "}]}",
    "passed-count-1e999": '{"is_running": false, "status": "passed", "run_statistics": '
    '[{"name": "Passed", "value": 1e999}]}',
    "failed-count-nan": '{"is_running": false, "status": "passed", "run_statistics": '
    '[{"name": "Failed", "value": NaN}]}',
    "passed-count-infinity": '{"is_running": false, "status": "passed", "run_statistics": '
    '[{"name": "Passed", "value": Infinity}]}',
    "page-5000-digits": '{"pagination": {"total_pages": ' + "9" * 5000 + "}}",
}


@pytest.mark.parametrize("answer", list(UNHOLDABLE_ANSWERS.values()), ids=list(UNHOLDABLE_ANSWERS))
def test_an_answer_the_gate_cannot_hold_is_unusable_at_once(tmp_path: Path, answer: str) -> None:
    with hostile(lambda _request: Reply(200, answer)) as server:
        result = run_gate(tmp_path, base_url=server.url, timeout="30m")
    assert result.code == 3, result.everything
    assert len(server.requests) == 1, "an answer that cannot be held must not be retried"
    assert result.verdict["error_kind"] == "unusable_answer"
    assert "cannot be used" in result.verdict["message"]
    assert_clean(result.everything)


@pytest.mark.parametrize("duration", ["1e999", "NaN", "Infinity", "-Infinity", "9" * 5000, "1" + "0" * 400])
def test_a_duration_no_float_can_hold_is_unknown_and_the_verdict_stands(tmp_path: Path, duration: str) -> None:
    answer = json.dumps(run_body(counts={"passed": 10}, duration=7_777_777)).replace("7777777", duration)
    with hostile(lambda _request: Reply(200, answer)) as server:
        result = run_gate(tmp_path, base_url=server.url)
    assert result.code == 0, result.everything
    assert len(server.requests) == 1
    assert result.verdict["run"]["duration"] is None
    assert_clean(result.everything)


@pytest.mark.parametrize(
    "answer",
    [
        run_body(counts={"failed": 2, "passed": 10}, specs=None) | {"duration": 1e300},
        run_body(counts={"passed": 10**9}, extra_field=10**300),
        run_body(counts={"passed": 10}, extra_field=[[[[[[[[[[1]]]]]]]]]]),
    ],
    ids=["huge-duration", "huge-count", "modest-nesting"],
)
def test_large_but_holdable_numbers_and_modest_nesting_reach_a_verdict(tmp_path: Path, answer: object) -> None:
    with hostile(lambda _request: Reply(200, answer)) as server:
        result = run_gate(tmp_path, base_url=server.url)
    assert result.code in (0, 1), result.everything
    assert_clean(result.everything)


@pytest.mark.parametrize("status", [401, 403, 404])
@pytest.mark.parametrize(
    "body",
    [
        nested(100_000),
        '{"error": ' + nested(100_000) + "}",
        '{"errors": [' + nested(500) + ', "invalid API Key"]}',
        '{"field_errors": [{"field": ' + nested(500) + ', "message": {"deep": ' + nested(500) + "}}]}",
        '{"errors": [' + "9" * 5000 + "]}",
        '{"error": 1e999, "errors": [NaN]}',
    ],
    ids=["nested", "nested-error", "nested-errors-item", "nested-field-error", "digits", "nan"],
)
def test_a_refusal_whose_body_is_absurd_is_still_a_set_up_error(tmp_path: Path, status: int, body: str) -> None:
    with hostile(lambda request: Reply(status, body) if request.path == RUN_PATH else Reply(404, "{}")) as server:
        result = run_gate(tmp_path, base_url=server.url)
    assert result.code == 2, result.everything
    assert f"HTTP {status}" in result.verdict["message"]
    assert_clean(result.everything)
