"""Class 6: numbers JSON allows and arithmetic does not (NaN, infinities, 1e999, thousands of digits, floats
where counts belong), and deep nesting, through the real CLI against a hostile server.

A descriptive number (a duration) that is no real number of seconds is unknown: the verdict stands (0 or 1).
A count that is no sane whole number makes the answer unusable: exit 3. Either way every sink is written,
the JSON verdict is strict JSON, and nothing prints a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.adversarial.hostile import Reply, Request, hostile, run_body, run_gate, spec
from tests.conftest import checked_verdict

THOUSANDS_OF_DIGITS = "9" * 4000  # arrives as a Python int: json.loads reads up to 4,300 digits
TOO_MANY_DIGITS = "9" * 5000  # json.loads refuses it (ValueError); the client reads it as an infinity
PLACEHOLDER = 7_777_777_777_777  # a number json.dumps writes as is, replaced in the raw text


def raw_answer(body: dict[str, Any], literal: str) -> bytes:
    """The answer as JSON text with every PLACEHOLDER replaced by `literal` (NaN, 1e999, digits...)."""
    text = json.dumps(body)
    assert str(PLACEHOLDER) in text
    return text.replace(str(PLACEHOLDER), literal).encode()


def serve(body_for: Any) -> Any:
    """A server answering every Get run request (poll or filtered page) with `body_for(request)`."""

    def handler(request: Request) -> Reply:
        return Reply(body=body_for(request))

    return hostile(handler)


def strict_json(text: str) -> dict[str, Any]:
    """The verdict file parsed as strict JSON: NaN or Infinity in it is an error."""

    def refuse(name: str) -> Any:
        raise AssertionError(f"the JSON verdict holds {name}, which is not JSON")

    data = json.loads(text, parse_constant=refuse)
    assert isinstance(data, dict)
    return checked_verdict(text)


def assert_clean(result: Any, code: int) -> dict[str, Any]:
    """The exit code expected, every report written, no traceback anywhere."""
    assert result.code == code, result.stdout + result.stderr
    assert "Traceback" not in result.everything
    assert "unexpected error" not in result.everything
    assert "could not be written" not in result.stderr
    verdict = strict_json(result.json_text)
    assert verdict["exit_code"] == code
    assert result.junit.startswith("<?xml") and result.markdown and result.summary
    return verdict


def saved(tmp_path: Path, text: bytes) -> str:
    """A saved answer on disk, for `--from-file` (read with plain json.loads: NaN and 1e999 arrive)."""
    path = tmp_path / f"answer-{len(list(tmp_path.iterdir()))}.json"
    path.write_bytes(text)
    return str(path)


def judge(tmp_path: Path, answer: bytes, route: str, timeout: str = "10s") -> Any:
    """Run the gate on `answer`: served by a hostile API (every request), or saved and given with --from-file."""
    if route == "saved":
        return run_gate(tmp_path, "--from-file", saved(tmp_path, answer))
    with serve(lambda _request: answer) as server:
        return run_gate(tmp_path, base_url=server.url, timeout=timeout)


# Literals no float can hold: online the client reads them as NaN or an infinity (and an integer past the
# float range as an infinity), a saved answer read with json.loads brings them as they are; either way the
# model must call the duration unknown, and the verdict stands.
NOT_ARITHMETIC = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1" + "0" * 400, THOUSANDS_OF_DIGITS]
# Numbers that arrive everywhere, but are no believable duration: unknown, and the verdict stands.
ABSURD = ["-0.0", "1e300", "400000000", "-5", "1" + "0" * 30, "-1" + "0" * 30]


def ident(literal: str) -> str:
    return literal if len(literal) < 40 else f"{len(literal)}-digits"


def with_durations(failed: int) -> dict[str, Any]:
    """A run (failing when `failed`) whose own duration and every test's is PLACEHOLDER."""
    tests = [(f"fails {i}", "failed") for i in range(failed)] + [("passes", "passed")]
    specs = [spec("cart.spec.ts", *tests)]
    for test in specs[0]["tests"]:
        test["duration"] = PLACEHOLDER
    counts = {"passed": 10, "failed": failed}
    return run_body(status="failed" if failed else "passed", counts=counts, specs=specs, duration=PLACEHOLDER)


@pytest.mark.parametrize(
    ("literal", "route"),
    [
        *((literal, route) for literal in NOT_ARITHMETIC + ABSURD for route in ("online", "saved")),
        (TOO_MANY_DIGITS, "online"),  # json.loads cannot read it from a saved file at all
    ],
    ids=lambda value: ident(value) if isinstance(value, str) else None,
)
@pytest.mark.parametrize(("failed", "code"), [(0, 0), (2, 1)])
def test_a_duration_no_clock_can_show_is_unknown_and_the_verdict_stands(
    tmp_path: Path, literal: str, route: str, failed: int, code: int
) -> None:
    result = judge(tmp_path, raw_answer(with_durations(failed), literal), route)
    verdict = assert_clean(result, code)
    assert verdict["run"]["duration"] in (None, 0.0)
    assert [test["duration"] for test in verdict["failed_tests"]] == [None if literal != "-0.0" else 0.0] * failed
    assert "-0.0" not in result.markdown + result.summary + result.stdout


def test_a_believable_duration_is_kept(tmp_path: Path) -> None:
    body = run_body(duration=PLACEHOLDER)
    verdict = assert_clean(judge(tmp_path, raw_answer(body, "182.5"), "online"), 0)
    assert verdict["run"]["duration"] == 182.5


# Numbers where a count belongs that are no sane whole number, which the model refuses: ones any float can
# hold, and ones no float can (online they arrive as NaN or an infinity, saved as they are).
NO_COUNTS = ["1" + "0" * 30, "1e3", "3.0", "3.5", "-1", "1000000001", "-0.0", "1e-300"]
NO_COUNTS_NOT_ARITHMETIC = ["NaN", "Infinity", "-Infinity", "1e999", THOUSANDS_OF_DIGITS]
COUNT_PLACES = ["statistic", "total_shards", "total_pages", "current_page_number", "total_records", "page_size"]


def with_count(where: str) -> dict[str, Any]:
    """A failing run (so its failed pages are read) with PLACEHOLDER where a count belongs."""
    body = run_body(
        status="failed", counts={"passed": 10, "failed": 1}, specs=[spec("a.spec.ts", ("breaks", "failed"))]
    )
    if where == "statistic":
        body["run_statistics"][1]["value"] = PLACEHOLDER
    elif where == "total_shards":
        body["total_shards"] = PLACEHOLDER
    else:
        body["pagination"][where] = PLACEHOLDER
    return body


@pytest.mark.parametrize(
    ("literal", "route"),
    [
        *((literal, route) for literal in NO_COUNTS + NO_COUNTS_NOT_ARITHMETIC for route in ("online", "saved")),
        (TOO_MANY_DIGITS, "online"),  # json.loads cannot read it from a saved file at all
    ],
    ids=lambda value: ident(value) if isinstance(value, str) else None,
)
@pytest.mark.parametrize("where", COUNT_PLACES)
def test_a_count_that_is_no_sane_whole_number_gives_no_verdict(
    tmp_path: Path, where: str, literal: str, route: str
) -> None:
    result = judge(tmp_path, raw_answer(with_count(where), literal), route)
    verdict = assert_clean(result, 3)
    assert verdict["error_kind"] == "unusable_answer"
    assert "not a whole number from 0 to 1,000,000,000" in verdict["message"]
    assert THOUSANDS_OF_DIGITS[:100] not in result.everything


@pytest.mark.parametrize("literal", ["true", "false", '"3"', '""', "[3]", '{"n": 3}', "null"])
@pytest.mark.parametrize("where", ["statistic", "total_pages"])
def test_a_count_that_decides_must_be_a_number(tmp_path: Path, literal: str, where: str) -> None:
    verdict = assert_clean(judge(tmp_path, raw_answer(with_count(where), literal), "online"), 3)
    assert verdict["error_kind"] == "unusable_answer"


@pytest.mark.parametrize("literal", ["true", '"3"', "null", "[3]", '{"n": 3}'])
@pytest.mark.parametrize("where", ["total_shards", "total_records", "page_size"])
def test_a_descriptive_count_of_another_kind_is_unknown(tmp_path: Path, literal: str, where: str) -> None:
    verdict = assert_clean(judge(tmp_path, raw_answer(with_count(where), literal), "online"), 1)
    assert verdict["checks"][0]["actual"] == 1
    if where == "total_shards":
        assert verdict["run"]["total_shards"] is None


@pytest.mark.parametrize("route", ["online", "saved"])
def test_the_largest_sane_counts_are_taken(tmp_path: Path, route: str) -> None:
    body = run_body(counts={"passed": 1_000_000_000}, total_shards=1_000_000_000)
    verdict = assert_clean(judge(tmp_path, json.dumps(body).encode(), route), 0)
    assert verdict["total"] == 1_000_000_000 and verdict["run"]["total_shards"] == 1_000_000_000


def nested(depth: int, kind: str) -> str:
    return ("[" * depth + "1" + "]" * depth) if kind == "list" else ('{"a":' * depth + "1" + "}" * depth)


@pytest.mark.parametrize("route", ["online", "saved"])
@pytest.mark.parametrize("kind", ["list", "dict"])
@pytest.mark.parametrize(
    "where", ["commit_name", "branch", "author", "tags", "created_at", "run_id", "duration", "extra", "test"]
)
def test_deep_nesting_in_descriptive_fields_changes_nothing(tmp_path: Path, where: str, kind: str, route: str) -> None:
    body = run_body(status="failed", counts={"passed": 10, "failed": 1}, specs=[spec("a.spec.ts", ("x", "failed"))])
    if where == "test":
        body["specs"][0]["tests"][0].update(duration=PLACEHOLDER, test_id=PLACEHOLDER, extra=PLACEHOLDER)
        body["specs"][0]["spec_id"] = PLACEHOLDER
    else:
        body[where] = PLACEHOLDER
    # Deep enough to break a recursive walk or a repr, shallow enough for json.loads in any thread.
    verdict = assert_clean(judge(tmp_path, raw_answer(body, nested(400, kind)), route), 1)
    assert [test["title"] for test in verdict["failed_tests"]] == ["x"]
    assert verdict["run"]["branch"] == (None if where == "branch" else "main")


def test_online_nesting_past_what_json_reads_gives_no_verdict(tmp_path: Path) -> None:
    body = run_body(commit_name=PLACEHOLDER)
    result = judge(tmp_path, raw_answer(body, nested(100_000, "list")), "online")
    assert assert_clean(result, 3)["error_kind"] == "unusable_answer"


@pytest.mark.parametrize("literal", [TOO_MANY_DIGITS, nested(100_000, "list")], ids=["5000-digits", "deep"])
def test_a_saved_answer_json_cannot_read_is_refused_cleanly(tmp_path: Path, literal: str) -> None:
    result = judge(tmp_path, raw_answer(with_count("statistic"), literal), "saved")
    assert result.code in (2, 3)
    assert_clean(result, result.code)


def test_online_a_count_past_the_digits_python_reads_gives_no_verdict_at_once(tmp_path: Path) -> None:
    with serve(lambda _request: raw_answer(with_count("statistic"), TOO_MANY_DIGITS)) as server:
        result = run_gate(tmp_path, base_url=server.url, timeout="2s")
    assert assert_clean(result, 3)["error_kind"] == "unusable_answer"
    assert len(server.requests) == 1, "an answer that cannot be used must not be retried"
    assert TOO_MANY_DIGITS[:100] not in result.everything
