"""History: strict parsing of result histories, the window, the classes and their order, forgiveness."""

from __future__ import annotations

import datetime
import functools
import itertools
import json
import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gate.config.types import Baseline, History, Policy, QuarantineEntry, Rule, Thresholds
from gate.deadline import Deadline
from gate.ending import Ending
from gate.errors import ApiUnavailableError, UnusableAnswerError
from gate.evaluate import BaselineRun, evaluate, listed_tests
from gate.flight import InFlight
from gate.history import (
    NO_ANCHOR,
    NO_TEST_ID,
    NOT_LOOKED_UP,
    SHARED_ID,
    Lookups,
    OwnRun,
    PastRun,
    classify,
    forgiven_failures,
    histories,
    own_build_notes,
    parse_history,
    past_runs,
)
from gate.ids import fold
from gate.job.gather import HistoryLookup, candidates
from gate.model import Run, TestResult
from gate.outcome import Outcome
from gate.policy import in_force
from gate.report import console, json_report, junit, markdown
from tests.conftest import case

UTC = datetime.timezone.utc
ANCHOR = datetime.datetime(2026, 6, 28, 9, 14, 22, tzinfo=UTC)
MAIN = History(branch="main", forgive=("flaky",))
HOUR = datetime.timedelta(hours=1)


_RUN_IDS = (f"r{number}" for number in itertools.count())


def entry(
    status: str, hours_before: float, branch: str = "main", run_id: str | None = None, **run: str
) -> dict[str, Any]:
    """An entry as the API writes it, of a run of its own unless `run_id` says which (`run`: more of its run)."""
    started = ANCHOR - datetime.timedelta(hours=hours_before)
    return {
        "status": status,
        "duration": 1.0,
        "started_at": started.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "run_id": run_id or next(_RUN_IDS),
        "run": {"branch": branch, "status": "passed", **run},
    }


def statuses(*items: object, section: History = MAIN, judged: str = "kftwnab") -> list[str | None]:
    """The result of each past run that counts, newest first (None: its entries disagree)."""
    return [
        run.result
        for run in past_runs(parse_history({"result_histories": list(items)}), section, ANCHOR, OwnRun.of(judged))
    ]


def at(results: Sequence[str | None]) -> list[PastRun]:
    """Past runs with these results, newest first, each listed at one time of its own."""
    return [
        PastRun(result, ANCHOR - datetime.timedelta(hours=h + 1), ANCHOR - datetime.timedelta(hours=h + 1))
        for h, result in enumerate(results)
    ]


# -- parsing ----------------------------------------------------------------------------------------

# Dates no entry may be read at (the reader's own tests try many more): each such entry is dropped.
ODD_DATES = [
    "2026-06-27T09:14:25+99:00",
    "0000-06-27T09:14:25Z",
    "9" * 400 + "-06-27T09:14:25Z",
    "2026-06-27T09:14:25\x00Z",
    "２０２６-06-27T09:14:25Z",
    "2026-06-27T09:14:25",
    "",
    None,
    1751100000,
]


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
        {key: value for key, value in entry("passed", 1).items() if key != "run_id"},
        *({**entry("passed", 1), "run_id": bad_id} for bad_id in (None, "", 7, "run 1", "r\n1", "x" * 65, ["r1"])),
        *({**entry("passed", 1), "started_at": odd} for odd in ODD_DATES),
    ],
)
def test_a_malformed_entry_is_no_evidence_and_the_others_are_kept(bad: object) -> None:
    assert statuses(entry("failed", 2), bad, entry("passed", 3)) == ["failed", "passed"]


# -- which results count ------------------------------------------------------------------------------


def test_results_are_sorted_newest_first_whatever_the_order_served() -> None:
    items = [entry(status, hours) for status, hours in (("passed", 5), ("failed", 1), ("timed_out", 3), ("flaky", 2))]
    random.Random(7).shuffle(items)
    assert statuses(*items) == ["failed", "flaky", "timed_out", "passed"]


def test_the_window_ends_just_before_the_anchor_and_reaches_back_days() -> None:
    days = MAIN.days * 24
    kept = statuses(
        entry("timed_out", -0.01),  # after the run's creation
        entry("failed", 0),  # at it: the run's own time, never its past
        entry("passed", 1 / 3600),  # a second before
        entry("failed", days),
        entry("flaky", days + 0.01),
    )
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


# -- one past run counts once --------------------------------------------------------------------------


def test_a_run_listed_many_times_is_one_run() -> None:
    failed = entry("failed", 5, run_id="once")
    assert statuses(failed, failed, failed, entry("passed", 6)) == ["failed", "passed"]
    # The same moment in two spellings is the same entry.
    other_spelling = {**failed, "started_at": (ANCHOR - datetime.timedelta(hours=5)).isoformat()}
    assert statuses(failed, other_spelling) == ["failed"]


@pytest.mark.parametrize(
    "listed",
    [
        pytest.param([("failed", 5), ("passed", 5), ("failed", 5)], id="failed-passed-failed"),
        pytest.param([("failed", 5), ("timed_out", 5)], id="failed-and-timed-out"),
        pytest.param([("failed", 5), ("skipped", 5)], id="failed-and-skipped"),
        pytest.param([("failed", 5), ("failed", 5, "develop")], id="one-result-on-two-branches"),
    ],
)
def test_a_run_whose_entries_disagree_is_no_result_at_its_newest_start(listed: list[tuple[Any, ...]]) -> None:
    same_run = [entry(status, hours, *branch, run_id="twice") for status, hours, *branch in listed]
    newest = min(hours for _status, hours, *_branch in listed)
    got = statuses(entry("passed", 4.5), *same_run, entry("passed", 6))
    assert got == ([None, "passed", "passed"] if newest < 4.5 else ["passed", None, "passed"])


def test_a_run_with_no_entry_on_the_branch_or_no_result_does_not_count() -> None:
    off_branch = [entry("failed", 5, "develop", run_id="dev"), entry("passed", 6, "feature/x", run_id="dev")]
    skipped = [entry("skipped", 5, run_id="skip"), entry("interrupted", 4, run_id="skip")]
    assert statuses(*off_branch, *skipped, entry("passed", 7)) == ["passed"]


def test_a_run_with_entries_in_the_window_and_out_of_it_disagrees() -> None:
    days = MAIN.days * 24
    after, before = entry("failed", -1, run_id="late"), entry("failed", days + 1, run_id="early")
    assert statuses(after, before) == []  # no entry in the window: no run
    inside = [entry("failed", 2, run_id="late"), entry("failed", days - 1, run_id="early")]
    assert statuses(after, before, *inside) == [None, None]


def test_a_run_listed_at_several_times_in_the_window_is_one_run_spanning_them() -> None:
    listed = [entry("failed", 2, run_id="r"), entry("failed", 7, run_id="r"), entry("failed", 4, run_id="r")]
    (run,) = past_runs(parse_history({"result_histories": listed}), MAIN, ANCHOR, OwnRun.of("kftwnab"))
    assert (run.result, (ANCHOR - run.newest) / HOUR, (ANCHOR - run.oldest) / HOUR) == ("failed", 2, 7)


def test_one_result_listed_at_two_times_counts_once_toward_min_runs() -> None:
    twice = [entry("passed", 5, run_id="twice"), entry("passed", 3, run_id="twice")]
    runs = past_runs(
        parse_history({"result_histories": [*twice, entry("passed", 4)]}), MAIN, ANCHOR, OwnRun.of("kftwnab")
    )
    assert [run.result for run in runs] == ["passed", "passed"]
    assert classify(runs, 2).klass == "new"
    assert classify(runs, 3).klass == "unknown"


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
    history = classify(at(results), min_runs)
    assert history.klass == klass
    assert history.runs == len(results)
    assert history.failures == sum(status != "passed" for status in results)


def test_the_strip_holds_the_last_ten_newest_first() -> None:
    results = ["failed", *["passed"] * 12]
    assert classify(at(results), 3).last == ("failed", *["passed"] * 9)


X = None  # a run whose entries disagree


@pytest.mark.parametrize(
    ("results", "min_runs", "klass"),
    [
        ([X, X, "failed"], 3, "unknown"),  # adds nothing toward min_runs
        (["passed", X, "passed", "passed"], 3, "unknown"),  # were it failed, the test would be flaky
        (["failed", "failed", "failed", X], 3, "broken"),  # older than the newest min_runs
        ([X, "failed", "failed", "failed"], 3, "unknown"),  # were it passed, not broken
        (["failed", X, "failed", "failed"], 3, "unknown"),
        (["passed", "failed", "passed", X], 3, "flaky"),  # whatever it was: flaky
        ([X, "passed", "failed", "passed"], 3, "flaky"),  # failed, it leaves a pass in the newest three
        ([X, X, "failed", "passed", "failed"], 3, "unknown"),  # two failures in front would make it broken
        ([X, "failed", "failed", "passed"], 3, "unknown"),  # flaky; or broken, were it failed
        ([X, "flaky", "flaky", "flaky"], 3, "unknown"),
    ],
)
def test_a_class_stands_only_if_it_would_whatever_a_disagreeing_run_was(
    results: list[str | None], min_runs: int, klass: str
) -> None:
    history = classify(at(results), min_runs)
    assert history.klass == klass
    known = [status for status in results if status is not None]
    assert (history.runs, history.last) == (len(known), tuple(known))
    if klass == "unknown" and len(known) >= min_runs and "flaky" not in known:
        assert "listed with entries that disagree, and its class depends on them" in history.reason


def test_too_few_runs_says_how_many_more_disagree() -> None:
    assert classify(at([X, "passed", X]), 3).reason == (
        "1 run in the window, fewer than min_runs (3); 2 more listed with entries that disagree, not counted"
    )


_READINGS = (None, "passed", "failed", "timed_out", "flaky")  # None: not there at all


@functools.cache
def _class_of_agreeing(results: tuple[str, ...], min_runs: int) -> str:
    """The class of runs that all agree, each at one time of its own, newest first: what the enumerations below
    compare with. The readings they try are few (a few hundred sequences) and each is tried thousands of
    times, so each is classed once."""
    return classify(at(results), min_runs).klass


@pytest.mark.parametrize("min_runs", [1, 2, 3])
def test_reading_disagreeing_runs_as_passed_then_failed_is_every_reading(min_runs: int) -> None:
    # Every sequence of up to five runs, some disagreeing: the class given is the one every reading of them
    # gives (each disagreeing run any result, or not there), else unknown.
    statuses_ = ("passed", "failed", "timed_out", "flaky", X)
    for length in range(6):
        for results in itertools.product(statuses_, repeat=length):
            holes = [index for index, status in enumerate(results) if status is X]
            classes = set()
            for filled in itertools.product(_READINGS, repeat=len(holes)):
                reading = list(results)
                for index, status in zip(holes, filled, strict=True):
                    reading[index] = status
                classes.add(_class_of_agreeing(tuple(status for status in reading if status is not None), min_runs))
            expected = classes.pop() if len(classes) == 1 else "unknown"
            assert classify(at(list(results)), min_runs).klass == expected, results


_SPANS = [(0, 0), (1, 1), (2, 2), (0, 1), (1, 2), (0, 2)]  # (newest, oldest) as hours before a moment


def _orders(runs: Sequence[tuple[str, int, int]]) -> Iterator[list[str]]:
    """Every order, newest first, the runs can have when each may stand anywhere in its span."""
    for order in itertools.permutations(runs):
        if all(newer[1] <= older[2] for newer, older in itertools.combinations(order, 2)):
            yield [status for status, _newest, _oldest in order]


@pytest.mark.parametrize("min_runs", [1, 2, 3])
def test_a_class_stands_only_if_it_would_wherever_a_run_listed_at_several_times_stood(min_runs: int) -> None:
    # Every set of up to four runs, each a result over a span of starts: the class given is the one every
    # order they can stand in gives, else unknown.
    choices = [(status, *span) for status in ("passed", "failed", "flaky") for span in _SPANS]
    for length in range(5):
        for runs in itertools.combinations_with_replacement(choices, length):
            classes = {_class_of_agreeing(tuple(order), min_runs) for order in _orders(runs)}
            expected = classes.pop() if len(classes) == 1 else "unknown"
            past = [
                PastRun(status, ANCHOR - datetime.timedelta(hours=newest), ANCHOR - datetime.timedelta(hours=oldest))
                for status, newest, oldest in runs
            ]
            past.sort(key=lambda run: run.newest, reverse=True)
            assert classify(past, min_runs).klass == expected, runs


# -- the invariant: more entries of the same runs never forgive more -----------------------------------

# An entry as (run_id, status, hours before the anchor, branch); the hours reach past both ends of the window.
_Entry = tuple[str, str, float, str]
_entries = st.lists(
    st.tuples(
        st.sampled_from(["r0", "r1", "r2", "r3", "r4", "kftwnab"]),
        st.sampled_from(["passed", "failed", "timed_out", "flaky", "skipped", "Timed out"]),
        st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 24.0, 335.0, 336.0, 337.0]),
        st.sampled_from(["main", "main", "develop"]),
    ),
    max_size=12,
)
# A copy of one of the entries (by index), each field kept (None) or changed: a repeat, or a contradiction.
_copies = st.lists(
    st.tuples(
        st.integers(0, 11),
        st.none() | st.sampled_from(["passed", "failed", "timed_out", "flaky", "skipped"]),
        st.none() | st.sampled_from([-1.0, 0.5, 1.5, 4.0, 9.0, 400.0]),
        st.none() | st.sampled_from(["main", "develop"]),
        # The run's id spelt in another case, and the run said to be of the judged run's own commit.
        st.sampled_from([str, str.upper, str.title]),
        st.booleans(),
    ),
    min_size=1,
    max_size=6,
)
_FORGIVE = [(), ("flaky",), ("broken",), ("flaky", "broken")]


# The judged run's commit, as its answer gives it and as the copies of entries may name it.
_OWN_COMMIT = "9fceb02e1d2c4bb6a1f3f6b0c8e7d5a1b2c3d4e5"
_Copy = tuple[int, str | None, float | None, str | None, Callable[[str], str], bool]


def _classed(entries: Sequence[tuple[Any, ...]], min_runs: int, forgive: tuple[str, ...]) -> tuple[str, bool]:
    """The class of a failed test with these entries (and, when a fifth field says so, of the judged run's
    own commit), and whether `forgive` forgives it."""
    listed = []
    for run_id, status, hours, branch, *own in entries:
        listed.append(entry(status, hours, branch, run_id, **({"commit_id": _OWN_COMMIT} if any(own) else {})))
    section = History(branch="main", min_runs=min_runs, forgive=forgive)
    found = {"t": parse_history({"result_histories": listed})}
    classed = histories(Lookups(ANCHOR, "kftwnab", found, {}, commit_id=_OWN_COMMIT.upper()), section)
    return classed["t"].klass, bool(forgiven_failures(failing("t"), section, classed))


@given(_entries, _copies, st.integers(0, 2**32), st.integers(1, 4))
# A run's entries taken as the newest failure: broken -> flaky had a disagreeing run been left out.
@example(
    [
        ("r0", "failed", 1, "main"),
        ("r1", "failed", 2, "main"),
        ("r2", "failed", 3, "main"),
        ("r3", "passed", 5, "main"),
    ],
    [(0, "passed", None, None, str, False)],
    0,
    3,
)
# One result at a later time too: broken -> flaky had a run stood at its newest start with its result.
@example([("r0", "failed", 8, "main"), ("r1", "passed", 24, "main")], [(1, None, 0.5, None, str, False)], 0, 1)
# ... or at its first start: flaky -> broken.
@example([("r0", "failed", 8, "main"), ("r1", "passed", 5, "main")], [(1, "failed", 24, None, str, False)], 0, 1)
# One result on another branch too.
@example(
    [("r0", "passed", 1, "main"), ("r1", "failed", 2, "main"), ("r2", "passed", 3, "main")],
    [(1, None, None, "develop", str, False)],
    0,
    3,
)
# Found: a run listed after the anchor, and then inside the window too (entries were windowed one by one).
@example([("r0", "failed", -1.0, "main")], [(0, None, 0.5, None, str, False)], 0, 1)
# Found (review of #19): one run listed as `r0` passed and `R0` failed was two runs, and flaky.
@example([("r0", "passed", 1, "main"), ("r1", "passed", 2, "main")], [(0, "failed", 3.0, None, str.upper, False)], 0, 3)
# Found (review of #19): the judged run's own entry as `KFTWNAB` was a past failure.
@example(
    [("r0", "passed", 1, "main"), ("r1", "passed", 2, "main"), ("kftwnab", "passed", 3, "main")],
    [(2, "failed", 0.5, None, str.upper, False)],
    0,
    3,
)
# A run said to be of the judged run's own commit is no evidence: flaky -> unknown.
@example(
    [("r0", "passed", 1, "main"), ("r1", "failed", 2, "main"), ("r2", "passed", 3, "main")],
    [(1, None, None, None, str, True)],
    0,
    3,
)
def test_repeated_reordered_or_contradicted_entries_never_forgive_more(
    entries: list[_Entry], copies: list[_Copy], seed: int, min_runs: int
) -> None:
    more: list[tuple[Any, ...]] = list(entries)
    for index, status, hours, branch, spelt, own in copies if entries else ():
        run_id, was_status, was_hours, was_branch = entries[index % len(entries)]
        changed = (status or was_status, was_hours if hours is None else hours, branch or was_branch)
        more.append((spelt(run_id), *changed, own))
    random.Random(seed).shuffle(more)
    for forgive in _FORGIVE:
        before, forgiven_before = _classed(entries, min_runs, forgive)
        after, forgiven_after = _classed(more, min_runs, forgive)
        assert after in (before, "unknown", "new"), (before, after)
        assert forgiven_after <= forgiven_before


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
    verdict = evaluate(case(run(2), failing("a", "b"), policy=policy, lookups=lookups(a=FLAKY_PAST, b=FLAKY_PAST)))
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
    verdict = evaluate(case(run(1), failing("a"), policy=policy, lookups=lookups(a=past)))
    assert verdict.passed is forgiven
    assert bool(verdict.forgiven) is forgiven


def test_a_failed_lookup_a_test_without_id_or_not_looked_up_is_unknown_and_never_forgiven() -> None:
    found = lookups(a=FLAKY_PAST)
    failed_lookup = Lookups(ANCHOR, "kftwnab", found.found, {"b": "the lookup failed after its retries"})
    verdict = evaluate(case(run(4), failing("a", "b", None, "d"), policy=Policy(history=MAIN), lookups=failed_lookup))
    assert [test.test_id for test in verdict.forgiven] == ["a"]
    assert verdict.counts["failed"] == 3
    tests = verdict.failed_tests
    assert verdict.history_of(tests[1]).reason == "the lookup failed after its retries"  # type: ignore[union-attr]
    assert verdict.history_of(tests[2]) is NO_TEST_ID
    assert verdict.history_of(tests[3]) is NOT_LOOKED_UP


@pytest.mark.parametrize(
    "listed",
    [
        pytest.param([("a", "s1", "failed"), ("a", "s2", "passed")], id="two-tests"),
        pytest.param([("a", "a", "failed")], id="a-test-and-its-own-spec"),
        pytest.param([("a", "s1", "failed"), ("b", "a", "passed")], id="a-test-and-another-spec"),
    ],
)
def test_an_id_that_names_two_things_in_the_run_forgives_nothing(listed: list[tuple[str, str, str]]) -> None:
    tests = [
        TestResult("a.spec.ts", f"test {index}", status, 1.0, test_id, spec_id=spec_id)
        for index, (test_id, spec_id, status) in enumerate(listed)
    ]
    failed = [test for test in tests if test.status == "failed"]
    verdict = evaluate(
        case(run(1), failed, tests, policy=Policy(history=MAIN), lookups=lookups(a=FLAKY_PAST, b=NEW_PAST))
    )
    assert not verdict.passed and verdict.forgiven == ()
    assert verdict.history_of(failed[0]).reason == SHARED_ID  # type: ignore[union-attr]


def test_more_forgiven_than_max_forgiven_fails_the_gate() -> None:
    policy = Policy(history=History(branch="main", forgive=("flaky",), max_forgiven=1))
    verdict = evaluate(case(run(2), failing("a", "b"), policy=policy, lookups=lookups(a=FLAKY_PAST, b=FLAKY_PAST)))
    assert [check.key for check in verdict.failed_checks] == ["forgiven"]


def test_forgiven_failures_are_no_new_failures_of_the_baseline() -> None:
    policy = Policy(thresholds=Thresholds(failed=None), baseline=Baseline("main"), history=MAIN)
    verdict = evaluate(
        case(
            run(2),
            failing("a", "b"),
            policy=policy,
            baseline=BaselineRun("base"),
            lookups=lookups(a=FLAKY_PAST, b=NEW_PAST),
        )
    )
    assert [test.test_id for test in verdict.new_failures] == ["b"]


def test_quarantine_applies_first_and_its_tests_are_not_looked_up() -> None:
    entry_ = QuarantineEntry(0, None, "test 0", "PAY-1", datetime.date(2099, 1, 1))
    policy = Policy(quarantine=(entry_,), history=MAIN)
    policy_in_force = in_force(policy, "main", (), datetime.date(2026, 6, 28))
    tests = failing("a", "b")
    assert candidates(listed_tests((tests,), policy_in_force)) == ["b"]
    verdict = evaluate(
        case(run(2), tests, policy=policy, today=datetime.date(2026, 6, 28), lookups=lookups(b=FLAKY_PAST))
    )
    assert verdict.passed and len(verdict.quarantined) == 1 and len(verdict.forgiven) == 1


def test_failed_tests_are_looked_up_before_flaky_ones_each_once() -> None:
    policy_in_force = in_force(Policy(history=History(branch="main", max_lookups=3)), "main", (), None)
    flaky = [TestResult("b.spec.ts", "f", "flaky", 1.0, test_id) for test_id in ("f1", "a", "f2")]
    listed = listed_tests((failing("a", None, "b", "a"), flaky), policy_in_force)
    assert candidates(listed) == ["a", "b", "f1", "f2"]


def test_a_flaky_test_never_becomes_a_failure_by_its_history() -> None:
    flaky = [TestResult("b.spec.ts", "f", "flaky", 1.0, "f")]
    verdict = evaluate(
        case(
            Run("p", "kftwnab", "passed", False, {"passed": 9, "flaky": 1}),
            flaky,
            policy=Policy(history=MAIN),
            lookups=lookups(f=NEW_PAST),
        )
    )
    assert verdict.passed
    assert verdict.history_of(flaky[0]).klass == "new"  # type: ignore[union-attr]


def test_without_a_history_section_there_is_no_forgiven_check_and_no_history() -> None:
    verdict = evaluate(case(run(1), failing("a"), lookups=lookups(a=FLAKY_PAST)))
    assert "forgiven" not in [check.key for check in verdict.checks]
    assert verdict.history_of(verdict.failed_tests[0]) is None


def test_a_rule_merges_its_history_keys_over_the_top_level_section() -> None:
    policy = Policy(history=MAIN, rules=(Rule(0, "feat/*", (), {}, {}, history={"days": 30, "forgive": ()}),))
    assert in_force(policy, "feat/x", (), None).history == History(branch="main", days=30)
    assert in_force(policy, "main", (), None).history == MAIN
    alone = Policy(rules=(Rule(0, "feat/*", (), {}, {}, history={"branch": "dev"}),))
    assert in_force(alone, "feat/x", (), None).history == History(branch="dev")
    assert in_force(alone, "main", (), None).history is None


def test_reports_with_history_stay_within_their_budgets_for_huge_runs() -> None:
    # Twice as many long titles as the summary holds (each is listed cut, in more than 300 bytes).
    count = 2 * markdown.MAX_SUMMARY_BYTES // 300
    failed = [TestResult(f"s{i % 500}.spec.ts", "t" * 500 + str(i), "failed", 1.0, f"t{i}") for i in range(count)]
    found = lookups(**{f"t{i}": FLAKY_PAST for i in range(0, 50, 2)}, **{f"t{i}": NEW_PAST for i in range(1, 50, 2)})
    verdict = evaluate(case(run(count, total=count + 10_000), failed, policy=Policy(history=MAIN), lookups=found))
    assert len(verdict.forgiven) == 25
    done = Outcome(Ending.FAILED, 1, "gate failed", "1.0", run=run(count, total=count + 10_000), result=verdict)
    text = markdown.render(done)
    assert len(text.encode()) <= markdown.MAX_SUMMARY_BYTES
    assert f"{count:,} failed: 25 new, {count - 50:,} unknown, 25 known flaky on main, forgiven" in text
    assert text.index(r"— new \(3 passed\)") < text.index("— unknown: not looked up")
    assert len(console.render(done).splitlines()) < 200
    data = json.loads("".join(json_report.chunks(done)))
    assert len(data["forgiven_tests"]) == 25 and data["failed_tests"][0]["history"]["class"] == "flaky"
    assert "".join(junit.chunks(done)).count('<skipped message="forgiven (failed): known flaky on main') == 25


class _Client:
    """A stand-in for PlaydashClient's result_histories: answers by test id, counts the requests."""

    def __init__(self, answers: dict[str, object]) -> None:
        self.answers, self.asked = answers, []
        self.in_flight = InFlight(Deadline(60))

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
    look_up = HistoryLookup(client, "pdqmxlz", "kftwnab")  # type: ignore[arg-type]
    policy_in_force = in_force(Policy(history=History(branch="main", max_lookups=2)), "main", (), None)
    the_run = Run("pdqmxlz", "kftwnab", "failing", True, {"failed": 2}, created_at="2026-06-28T11:14:22+02:00")
    for _poll in range(3):
        found = look_up(the_run, policy_in_force, listed_tests((failing("a", "b", "c"),), policy_in_force), told.append)
    assert sorted(test_id for test_id, _days, _anchor in client.asked) == ["a", "b"]
    assert {(days, anchor) for _id, days, anchor in client.asked} == {(14, "2026-06-28T09:14:22.000Z")}
    assert found is not None and found.failed == {"b": "the lookup failed after its retries"}
    assert [note.text for note in told] == [  # type: ignore[attr-defined]
        "the history of 1 test on main could not be looked up (the lookup failed after its retries): "
        "unknown, and never forgiven",
        "1 failed or flaky tests were not looked up (history.max_lookups is 2): unknown, and never forgiven",
    ]


@pytest.mark.parametrize("created_at", [None, "", "2026-06-28T09:14:22", "2026-06-28T09:14:22+99:00", "0000-01-01"])
def test_a_run_without_a_usable_creation_date_has_no_history_and_asks_for_none(created_at: str | None) -> None:
    client = _Client({})
    told: list[object] = []
    look_up = HistoryLookup(client, "pdqmxlz", "kftwnab")  # type: ignore[arg-type]
    policy_in_force = in_force(Policy(history=History(branch="main", max_lookups=1)), "main", (), None)
    the_run = Run("pdqmxlz", "kftwnab", "failed", False, {"failed": 2}, created_at=created_at)
    found = look_up(the_run, policy_in_force, listed_tests((failing("a", "b"),), policy_in_force), told.append)
    assert client.asked == []
    assert found == Lookups(None, "kftwnab", {}, {"a": NO_ANCHOR, "b": NO_ANCHOR})
    assert [note.text for note in told] == [  # type: ignore[attr-defined]
        "history is not looked up: the run has no usable creation date (`created_at`) to end the window at; "
        "the failed tests are unknown, and none is forgiven"
    ]
    verdict = evaluate(case(the_run, failing("a", "b"), policy=Policy(history=MAIN), lookups=found))
    assert not verdict.passed and verdict.forgiven == ()
    assert {verdict.history_of(test).reason for test in verdict.failed_tests} == {NO_ANCHOR}  # type: ignore[union-attr]


# -- ids fold; a spec without tests; the judged run's own commit and build (review of #19) ---------------


def test_ids_fold_to_one_and_only_merge() -> None:
    assert fold("RR1") == fold("Rr1") == fold("rr1") == "rr1"
    assert fold("r-1") != fold("r_1")


@pytest.mark.parametrize(
    ("tests", "spec_ids"),
    [
        ([TestResult("a.spec.ts", "x", "failed", 1.0, "t1"), TestResult("b.spec.ts", "y", "passed", 1.0, "T1")], ()),
        ([TestResult("a.spec.ts", "x", "failed", 1.0, "t1", spec_id="T1")], ()),
        ([TestResult("a.spec.ts", "x", "failed", 1.0, "t1")], ("T1",)),
        ([TestResult("a.spec.ts", "x", "failed", 1.0, "t1")], ("t1",)),
    ],
    ids=["two-tests", "its-own-spec", "a-spec-without-tests", "a-spec-without-tests-same-case"],
)
def test_an_id_naming_two_things_in_any_case_is_shared(tests: list[TestResult], spec_ids: tuple[str, ...]) -> None:
    found = lookups(t1=FLAKY_PAST)
    classed = histories(Lookups(ANCHOR, "kftwnab", found.found, {}, spec_ids=frozenset(spec_ids)), MAIN, tests)
    assert classed["t1"].reason == SHARED_ID


def test_the_same_tests_and_specs_of_other_ids_share_nothing() -> None:
    tests = [TestResult("a.spec.ts", "x", "failed", 1.0, "t1", spec_id="s1")]
    found = lookups(t1=FLAKY_PAST)
    classed = histories(Lookups(ANCHOR, "kftwnab", found.found, {}, spec_ids=frozenset({"s2"})), MAIN, tests)
    assert classed["t1"].klass == "flaky"


@pytest.mark.parametrize(
    ("run", "own"),
    [
        ({"commit_id": "ABC123"}, True),
        ({"ci_build_id": " gh-7 "}, True),
        ({"commit_id": "abc124", "ci_build_id": "gh-8"}, False),
        ({}, False),
    ],
)
def test_a_past_run_of_the_judged_commit_or_build_has_no_result(run: dict[str, str], own: bool) -> None:
    items = [entry("passed", 1, run_id="a"), entry("failed", 2, run_id="b", **run), entry("failed", 3, run_id="b")]
    judged = OwnRun.of("kftwnab", "abc123", "GH-7")
    runs = past_runs(parse_history({"result_histories": items}), MAIN, ANCHOR, judged)
    assert [(past.result, past.own_build) for past in runs] == [("passed", False), (None if own else "failed", own)]


def test_without_a_commit_or_build_nothing_is_told_by_them() -> None:
    items = [entry("failed", 2, run_id="b", commit_id="", ci_build_id="")]
    runs = past_runs(parse_history({"result_histories": items}), MAIN, ANCHOR, OwnRun.of("kftwnab", "", None))
    assert [(past.result, past.own_build) for past in runs] == [("failed", False)]


@pytest.mark.parametrize(
    ("commit", "build", "forgiven", "said"),
    [
        ("c" * 40, "gh-1", 2, None),
        (None, "gh-1", 2, "`commit_id`"),
        (None, None, 1, "`commit_id` nor `ci_build_id`"),
        (None, None, 0, None),
    ],
)
def test_a_run_without_its_commit_or_build_is_told_only_when_history_forgave(
    commit: str | None, build: str | None, forgiven: int, said: str | None
) -> None:
    notes = own_build_notes(Lookups(ANCHOR, "kftwnab", {}, {}, commit, build), forgiven)
    assert notes == (() if said is None else (notes[0],))
    if said is not None:
        assert notes[0].startswith(f"the run has no {said}: past runs of its own commit or CI build")
