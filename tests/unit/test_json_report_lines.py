"""The JSON verdict writes each listed test on a line of its own without building an encoder per test: every
such line is what `json.dumps` writes of the object it holds, and the whole document is the verdict's data."""

from __future__ import annotations

import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from gate.config.types import History
from gate.ending import Ending
from gate.evaluate import Verdict
from gate.history import TestHistory
from gate.model import TestResult
from gate.outcome import Outcome
from gate.report import json_report
from tests.properties import examples

_TEXT = st.text(max_size=8) | st.sampled_from(['"', "\\", "\u2028", "\x00", "é"])
_TESTS = st.builds(
    TestResult,
    spec=_TEXT,
    title=_TEXT,
    status=st.sampled_from(["failed", "flaky", "timed_out", "Failed \u00e9"]),
    duration=st.none() | st.floats(min_value=0, max_value=1e12) | st.sampled_from([0.1, 1e-7, 1e16, 2.5]),
    test_id=st.none() | st.sampled_from(["t1", "t2"]),
)
_HISTORIES = st.dictionaries(
    st.sampled_from(["t1", "t2"]),
    st.builds(TestHistory, klass=st.sampled_from(["flaky", "broken", "new", "unknown"]), runs=st.integers(0, 9)),
)


def _outcome(failed: list[TestResult], flaky: list[TestResult], histories: dict[str, TestHistory] | None) -> Outcome:
    verdict = Verdict(
        checks=(),
        counts={"failed": len(failed)},
        total=len(failed) + len(flaky),
        failed_tests=tuple(failed),
        flaky_tests=tuple(flaky),
        new_failures=tuple(failed[:2]),
        forgiven=tuple(failed[2:3]),
        history=None if histories is None else History("main"),
        histories=histories or {},
    )
    return Outcome(Ending.FAILED, 1, "gate failed", "1.0", result=verdict)


@settings(max_examples=examples(20))
@given(st.lists(_TESTS, max_size=6), st.lists(_TESTS, max_size=3), st.none() | _HISTORIES)
@example([TestResult("a.spec.ts", 'say "hi" \\ \u2028', "failed", 0.1, "t1")], [], {"t1": TestHistory("flaky", 3)})
@example([TestResult("\U0001f600.spec.ts", "x", "failed", 1e16)], [TestResult("b", "y", "flaky", None)], None)
def test_each_test_is_written_as_json_writes_it(
    failed: list[TestResult], flaky: list[TestResult], histories: dict[str, TestHistory] | None
) -> None:
    outcome = _outcome(failed, flaky, histories)
    text = "".join(json_report.chunks(outcome))
    # Version 3 adds the gate's totals and its runs around the run's own version 2 fields, kept as they are.
    written = {key: value for key, value in json.loads(text).items() if key not in ("totals", "runs")}
    assert written == {**json_report.to_dict(outcome), "schema_version": json_report.SCHEMA_VERSION}
    lines = [line.removesuffix(",") for line in text.split("\n") if line.startswith("    {")]
    assert len(lines) == len(failed[:2]) + len(failed[2:3]) + len(failed) + len(flaky)
    for line in lines:
        assert line == "    " + json.dumps(json.loads(line), ensure_ascii=False, allow_nan=False)
