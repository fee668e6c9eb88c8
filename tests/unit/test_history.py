"""History: strict parsing of result histories, the window, the classes and their order, forgiveness."""

from __future__ import annotations

import datetime
import json
import random
from typing import Any

import pytest

from gate.config import Baseline, History, Policy, QuarantineEntry, Rule, Thresholds
from gate.errors import ApiUnavailableError, UnusableAnswerError
from gate.evaluate import BaselineRun, evaluate
from gate.history import (
    NO_TEST_ID,
    NOT_LOOKED_UP,
    Lookups,
    anchor_text,
    classify,
    parse_history,
    parse_timestamp,
    results_on_branch,
)
from gate.job.gather import HistoryLookup, to_look_up
from gate.model import Run, TestResult
from gate.outcome import Ending, Outcome
from gate.policy import effective
from gate.report import console, json_report, junit, markdown

UTC = datetime.timezone.utc
ANCHOR = datetime.datetime(2026, 6, 28, 9, 14, 22, tzinfo=UTC)
MAIN = History(branch="main", forgive=("flaky",))


def entry(status: str, hours_before: float, branch: str = "main", run_id: str | None = "r1") -> dict[str, Any]:
    started = ANCHOR - datetime.timedelta(hours=hours_before)
    return {
        "status": status,
        "duration": 1.0,
        "started_at": started.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "run_id": run_id,
        "run": {"branch": branch, "status": "passed"},
    }


def statuses(*items: dict[str, Any], section: History = MAIN, judged: str = "kftwnab") -> list[str]:
    return results_on_branch(parse_history({"result_histories": list(items)}), section, ANCHOR, judged)


# -- parsing ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06-28T09:14:22.000Z", ANCHOR),
        ("2026-06-28T09:14:22Z", ANCHOR),
        ("2026-06-28T09:14:22", ANCHOR),
        ("2026-06-28 09:14:22.000000+00:00", ANCHOR),
        ("2026-06-28T11:14:22+02:00", ANCHOR),
        ("2026-06-28T07:14:22-0200", ANCHOR),
        ("2026-06-28T09:14:22.123456789Z", ANCHOR.replace(microsecond=123456)),
    ],
)
def test_a_timestamp_in_any_iso_spelling_is_read_in_utc(text: str, expected: datetime.datetime) -> None:
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2026-02-30T00:00:00Z", "2026-06-28", 1751100000, None, "9" * 100])
def test_a_timestamp_that_is_not_one_is_none(text: object) -> None:
    assert parse_timestamp(text) is None


def test_the_anchor_is_sent_in_the_apis_spelling() -> None:
    assert anchor_text(ANCHOR) == "2026-06-28T09:14:22.000Z"


@pytest.mark.parametrize(
    "answer", [[], {}, {"result_histories": None}, {"result_histories": {"status": "passed"}}, "x", None]
)
def test_an_answer_without_a_list_of_entries_is_unusable(answer: object) -> None:
    with pytest.raises(UnusableAnswerError):
        parse_history(answer)


@pytest.mark.parametrize(
    "bad",
    [
        "not an object",
        {**entry("passed", 1), "status": None},
        {**entry("passed", 1), "status": 1},
        {**entry("passed", 1), "started_at": "soon"},
        {**entry("passed", 1), "started_at": None},
        {**entry("passed", 1), "run": None},
        {**entry("passed", 1), "run": "main"},
        {**entry("passed", 1), "run": {"branch": None}},
        {**entry("passed", 1), "run": {"branch": ["main"]}},
        {key: value for key, value in entry("passed", 1).items() if key != "run"},
    ],
)
def test_a_malformed_entry_is_skipped_and_the_others_kept(bad: object) -> None:
    assert statuses(entry("failed", 2), bad, entry("passed", 3)) == ["failed", "passed"]  # type: ignore[arg-type]


# -- which results count ------------------------------------------------------------------------------


def test_results_are_sorted_newest_first_whatever_the_order_served() -> None:
    items = [entry(status, hours) for status, hours in (("passed", 5), ("failed", 1), ("timed_out", 3), ("flaky", 2))]
    random.Random(7).shuffle(items)
    assert statuses(*items) == ["failed", "flaky", "timed_out", "passed"]


def test_the_window_ends_at_the_anchor_and_reaches_back_days() -> None:
    days = MAIN.days * 24
    kept = statuses(entry("passed", 0), entry("failed", days), entry("flaky", days + 0.01), entry("timed_out", -0.01))
    assert kept == ["passed", "failed"]


@pytest.mark.parametrize(("glob", "expected"), [("main", ["passed"]), ("release/*", ["failed", "flaky"]), ("*", None)])
def test_only_results_on_the_branch_count(glob: str, expected: list[str] | None) -> None:
    items = [entry("passed", 1, "main"), entry("failed", 2, "release/1.2"), entry("flaky", 3, "release/2.0")]
    got = statuses(*items, section=History(branch=glob))
    assert got == (expected if expected is not None else ["passed", "failed", "flaky"])


def test_the_judged_runs_own_results_are_left_out() -> None:
    assert statuses(entry("failed", 1, run_id="kftwnab"), entry("passed", 2, run_id="other")) == ["passed"]


def test_skipped_and_interrupted_entries_are_not_results() -> None:
    assert statuses(entry("skipped", 1), entry("interrupted", 2), entry("Timed out", 3)) == ["timed_out"]


# -- the classes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("results", "min_runs", "klass"),
    [
        ([], 1, "unknown"),
        (["passed", "passed"], 3, "unknown"),  # too short
        (["passed"] * 3, 3, "new"),  # exactly min_runs
        (["failed", "failed", "timed_out", "passed"], 3, "broken"),  # newest min_runs all failed
        (["failed", "failed", "passed", "failed"], 3, "flaky"),  # one newest pass: not broken
        (["failed", "flaky", "failed"], 3, "unknown"),  # a flaky result is no broken one, and no pass
        (["flaky", "flaky", "flaky"], 3, "unknown"),  # only flaky results
        (["passed", "flaky", "passed"], 3, "flaky"),
        (["passed", "timed_out", "passed"], 3, "flaky"),
        (["failed"], 1, "broken"),
        (["passed"], 1, "new"),
        (["failed", "passed"], 3, "unknown"),
    ],
)
def test_each_class_at_its_boundary(results: list[str], min_runs: int, klass: str) -> None:
    history = classify(results, min_runs)
    assert history.klass == klass
    assert history.runs == len(results)
    assert history.failures == sum(status != "passed" for status in results)


def test_the_strip_holds_the_last_ten_newest_first() -> None:
    results = ["failed", *["passed"] * 12]
    assert classify(results, 3).last == ("failed", *["passed"] * 9)


# -- forgiveness ------------------------------------------------------------------------------------


def run(failed: int, status: str = "failed", total: int = 10) -> Run:
    return Run("pdqmxlz", "kftwnab", status, False, {"passed": total - failed, "failed": failed})


def failing(*ids: str | None) -> list[TestResult]:
    return [TestResult("a.spec.ts", f"test {index}", "failed", 1.0, test_id) for index, test_id in enumerate(ids)]


def lookups(**found: list[str]) -> Lookups:
    """Lookups whose entries give each test id these statuses, newest first, on main."""
    return Lookups(
        ANCHOR,
        "kftwnab",
        {
            test_id: parse_history({"result_histories": [entry(s, hour + 1) for hour, s in enumerate(past)]})
            for test_id, past in found.items()
        },
        {},
    )


FLAKY_PAST = ["passed", "failed", "passed"]
NEW_PAST = ["passed"] * 3
BROKEN_PAST = ["failed"] * 3


def test_forgiven_failures_leave_the_failed_count_the_rate_and_explain_the_status() -> None:
    policy = Policy(thresholds=Thresholds(failed=0, failed_rate=0.0), history=MAIN)
    verdict = evaluate(run(2), failing("a", "b"), [], policy, lookups=lookups(a=FLAKY_PAST, b=FLAKY_PAST))
    assert verdict.passed, verdict.failed_checks
    assert verdict.counts["failed"] == 0
    assert [test.test_id for test in verdict.forgiven] == ["a", "b"]
    assert len(verdict.failed_tests) == 2  # still listed
    forgiven = next(check for check in verdict.checks if check.key == "forgiven")
    assert (forgiven.actual, forgiven.limit, forgiven.passed) == (2, 10, True)


@pytest.mark.parametrize(
    ("forgive", "past", "forgiven"),
    [
        (("flaky",), FLAKY_PAST, True),
        (("flaky",), BROKEN_PAST, False),
        (("broken",), BROKEN_PAST, True),
        (("flaky", "broken"), NEW_PAST, False),  # new is never forgiven
        (("flaky", "broken"), ["passed"], False),  # unknown (too short) is never forgiven
        ((), FLAKY_PAST, False),
    ],
)
def test_only_the_classes_named_are_forgiven(forgive: tuple[str, ...], past: list[str], forgiven: bool) -> None:
    policy = Policy(history=History(branch="main", forgive=forgive))
    verdict = evaluate(run(1), failing("a"), [], policy, lookups=lookups(a=past))
    assert verdict.passed is forgiven
    assert bool(verdict.forgiven) is forgiven


def test_a_failed_lookup_a_test_without_id_or_not_looked_up_is_unknown_and_never_forgiven() -> None:
    found = lookups(a=FLAKY_PAST)
    failed_lookup = Lookups(ANCHOR, "kftwnab", found.found, {"b": "the lookup failed after its retries"})
    verdict = evaluate(run(4), failing("a", "b", None, "d"), [], Policy(history=MAIN), lookups=failed_lookup)
    assert [test.test_id for test in verdict.forgiven] == ["a"]
    assert verdict.counts["failed"] == 3
    tests = verdict.failed_tests
    assert verdict.history_of(tests[1]).reason == "the lookup failed after its retries"  # type: ignore[union-attr]
    assert verdict.history_of(tests[2]) is NO_TEST_ID
    assert verdict.history_of(tests[3]) is NOT_LOOKED_UP


def test_more_forgiven_than_max_forgiven_fails_the_gate() -> None:
    policy = Policy(history=History(branch="main", forgive=("flaky",), max_forgiven=1))
    verdict = evaluate(run(2), failing("a", "b"), [], policy, lookups=lookups(a=FLAKY_PAST, b=FLAKY_PAST))
    assert [check.key for check in verdict.failed_checks] == ["forgiven"]


def test_forgiven_failures_are_no_new_failures_of_the_baseline() -> None:
    policy = Policy(thresholds=Thresholds(failed=None), baseline=Baseline("main"), history=MAIN)
    verdict = evaluate(
        run(2), failing("a", "b"), [], policy, baseline=BaselineRun("base"), lookups=lookups(a=FLAKY_PAST, b=NEW_PAST)
    )
    assert [test.test_id for test in verdict.new_failures] == ["b"]


def test_quarantine_applies_first_and_its_tests_are_not_looked_up() -> None:
    entry_ = QuarantineEntry(0, None, "test 0", "PAY-1", datetime.date(2099, 1, 1))
    policy = Policy(quarantine=(entry_,), history=MAIN)
    power = effective(policy, "main", (), datetime.date(2026, 6, 28))
    tests = failing("a", "b")
    assert to_look_up(tests, [], power, MAIN) == ["b"]
    verdict = evaluate(run(2), tests, [], policy, today=datetime.date(2026, 6, 28), lookups=lookups(b=FLAKY_PAST))
    assert verdict.passed and len(verdict.quarantined) == 1 and len(verdict.forgiven) == 1


def test_failed_tests_are_looked_up_before_flaky_ones_each_once_and_at_most_max_lookups() -> None:
    section = History(branch="main", max_lookups=3)
    power = effective(Policy(history=section), "main", (), None)
    flaky = [TestResult("b.spec.ts", "f", "flaky", 1.0, test_id) for test_id in ("f1", "a", "f2")]
    assert to_look_up(failing("a", None, "b", "a"), flaky, power, section) == ["a", "b", "f1"]


def test_a_flaky_test_never_becomes_a_failure_by_its_history() -> None:
    flaky = [TestResult("b.spec.ts", "f", "flaky", 1.0, "f")]
    verdict = evaluate(
        Run("p", "kftwnab", "passed", False, {"passed": 9, "flaky": 1}),
        [],
        flaky,
        Policy(history=MAIN),
        lookups=lookups(f=NEW_PAST),
    )
    assert verdict.passed
    assert verdict.history_of(flaky[0]).klass == "new"  # type: ignore[union-attr]


def test_without_a_history_section_there_is_no_forgiven_check_and_no_history() -> None:
    verdict = evaluate(run(1), failing("a"), [], Policy(), lookups=lookups(a=FLAKY_PAST))
    assert "forgiven" not in [check.key for check in verdict.checks]
    assert verdict.history_of(verdict.failed_tests[0]) is None


def test_a_rule_merges_its_history_keys_over_the_top_level_section() -> None:
    policy = Policy(history=MAIN, rules=(Rule(0, "feat/*", (), {}, {}, history={"days": 30, "forgive": ()}),))
    assert effective(policy, "feat/x", (), None).history == History(branch="main", days=30)
    assert effective(policy, "main", (), None).history == MAIN
    alone = Policy(rules=(Rule(0, "feat/*", (), {}, {}, history={"branch": "dev"}),))
    assert effective(alone, "feat/x", (), None).history == History(branch="dev")
    assert effective(alone, "main", (), None).history is None


def test_reports_with_history_stay_within_their_budgets_for_huge_runs() -> None:
    failed = [TestResult(f"s{i % 500}.spec.ts", "t" * 500 + str(i), "failed", 1.0, f"t{i}") for i in range(30_000)]
    found = lookups(**{f"t{i}": FLAKY_PAST for i in range(0, 50, 2)}, **{f"t{i}": NEW_PAST for i in range(1, 50, 2)})
    verdict = evaluate(run(30_000, total=40_000), failed, [], Policy(history=MAIN), lookups=found)
    assert len(verdict.forgiven) == 25
    done = Outcome(Ending.FAILED, 1, "gate failed", "1.0", run=run(30_000, total=40_000), result=verdict)
    text = markdown.render(done)
    assert len(text.encode()) <= markdown.MAX_SUMMARY_BYTES
    assert "30,000 failed: 25 new, 29,950 unknown, 25 known flaky on main, forgiven" in text
    assert text.index(r"— new \(3 passed\)") < text.index("— unknown: not looked up")
    assert len(console.render(done).splitlines()) < 200
    data = json.loads("".join(json_report.chunks(done)))
    assert len(data["forgiven_tests"]) == 25 and data["failed_tests"][0]["history"]["class"] == "flaky"
    assert "".join(junit.chunks(done)).count('<skipped message="forgiven (failed): known flaky on main') == 25


class _Client:
    """A stand-in for PlaydashClient's result_histories: answers by test id, counts the requests."""

    def __init__(self, answers: dict[str, object]) -> None:
        self.answers, self.asked = answers, []

    def result_histories(
        self, project_id: str, run_id: str, test_id: str, *, days: int, anchor: str, convert: Any = None
    ) -> object:
        self.asked.append((test_id, days, anchor))
        answer = self.answers[test_id]
        if isinstance(answer, Exception):
            raise answer
        return convert(answer) if convert else answer


def test_a_lookup_asks_each_test_once_and_tells_each_note_once() -> None:
    client = _Client({"a": {"result_histories": []}, "b": ApiUnavailableError("down")})
    told: list[object] = []
    look_up = HistoryLookup(client, "pdqmxlz", "kftwnab", lambda: ANCHOR)  # type: ignore[arg-type]
    power = effective(Policy(history=MAIN), "main", (), None)
    the_run = Run("pdqmxlz", "kftwnab", "failing", True, {"failed": 2}, created_at="2026-06-28T11:14:22+02:00")
    for _poll in range(3):
        found = look_up(the_run, power, failing("a", "b"), [], told.append)
    assert sorted(test_id for test_id, _days, _anchor in client.asked) == ["a", "b"]
    assert {(days, anchor) for _id, days, anchor in client.asked} == {(14, "2026-06-28T09:14:22.000Z")}
    assert found is not None and found.failed == {"b": "the lookup failed after its retries"}
    assert len(told) == 1 and "could not be looked up" in str(told[0])
