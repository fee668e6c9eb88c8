"""What a run's own counts already decide without its tests: never a failure that listing them, quarantine or
any history answers could have turned into a pass, and a failure wherever none of them could."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gate.config.types import History, Policy, QuarantineEntry, Thresholds
from gate.evaluate import Case, evaluate, listed_tests
from gate.history import NO_ANCHOR, Lookups, parse_history
from gate.job.gather import candidates
from gate.known import forgivable_at_most, known_failure
from gate.model import Run, TestResult
from gate.policy import InForce, in_force

TODAY = datetime.date(2026, 6, 28)
CREATED_AT = "2026-06-28T09:14:22.000Z"
ANCHOR = datetime.datetime(2026, 6, 28, 9, 14, 22, tzinfo=datetime.timezone.utc)
QUARANTINED_SPEC = "q.spec.ts"


def _run(status: str, counts: dict[str, int], created_at: str | None = CREATED_AT) -> Run:
    return Run("pdqmxlz", "kftwnab", status, False, counts, commit_id="c" * 40, created_at=created_at)


def _answer(statuses: list[str]) -> dict[str, Any]:
    """A result histories answer: one past run per status, newest first, a day apart before the anchor."""
    return {
        "result_histories": [
            {
                "status": status,
                "started_at": (ANCHOR - datetime.timedelta(days=index + 1)).isoformat(),
                "run_id": f"r{index}",
                "run": {"branch": "main", "commit_id": f"{index:040x}"},
            }
            for index, status in enumerate(statuses)
        ]
    }


# What a history answer may make of a test: flaky, broken, new, or nothing usable.
PASTS = [["passed", "failed", "passed"], ["failed", "failed", "failed"], ["passed"] * 3, []]


def _looked_up(run: Run, listings: tuple[list[TestResult], ...], policy: InForce, pasts: list[int]) -> Lookups:
    """The lookups as the gather step makes them (the first `max_lookups` candidates), each id answered as
    `pasts` says."""
    section = policy.history
    assert section is not None
    ids = candidates(listed_tests(listings, policy))
    if run.created_at is None:
        return Lookups(None, run.run_id, {}, dict.fromkeys(ids, NO_ANCHOR), run.commit_id)
    found = {
        test_id: parse_history(_answer(PASTS[pasts[index % len(pasts)] if pasts else 3]))
        for index, test_id in enumerate(ids[: section.max_lookups])
    }
    return Lookups(ANCHOR, run.run_id, found, {}, run.commit_id)


@st.composite
def _cases(draw: st.DrawFn) -> tuple[Run, list[TestResult], tuple[list[TestResult], ...], InForce, Lookups]:
    failed_stat, flaky_stat, passed = draw(st.integers(0, 30)), draw(st.integers(0, 4)), draw(st.integers(0, 20))
    status = draw(st.sampled_from(["failed", "passed", "timed_out", "interrupted"]))
    run = _run(
        status,
        {"passed": passed, "failed": failed_stat, "flaky": flaky_stat},
        draw(st.sampled_from([CREATED_AT, None])),
    )
    # The failed (and flaky) tests listed: as many as counted, or fewer; some in a quarantined spec. (A listing
    # of more tests than the statistics count raises the total, which may meet `min_tests` or lower a rate:
    # a run so told is judged failed by what it said, with or without history.)
    listed_failed = draw(st.integers(0, failed_stat))
    specs = draw(
        st.lists(st.sampled_from(["a.spec.ts", QUARANTINED_SPEC]), min_size=listed_failed, max_size=listed_failed)
    )
    failed = [TestResult(spec, f"fails {i}", "failed", 1.0, f"t{i}") for i, spec in enumerate(specs)]
    flaky = [
        TestResult("a.spec.ts", f"flaky {i}", "flaky", 1.0, f"f{i}") for i in range(draw(st.integers(0, flaky_stat)))
    ]
    first_page = failed[: draw(st.integers(0, listed_failed))]
    quarantine = draw(st.sampled_from([(), (QuarantineEntry(0, QUARANTINED_SPEC, None, "PAY-1", TODAY),)]))
    thresholds = Thresholds(
        failed=draw(st.integers(0, 12)),
        flaky=draw(st.none() | st.integers(0, 3)),
        failed_rate=draw(st.none() | st.sampled_from([0.0, 0.1, 0.5])),
        min_tests=draw(st.integers(0, 5)),
    )
    section = History(
        branch="main",
        min_runs=3,
        forgive=draw(st.sampled_from([(), ("flaky",), ("broken",), ("flaky", "broken")])),
        max_forgiven=draw(st.integers(0, 12)),
        max_lookups=draw(st.integers(0, 12)),
    )
    policy = in_force(Policy(thresholds=thresholds, quarantine=quarantine, history=section), "main", (), TODAY)
    listings = (first_page, [*failed, *flaky])
    lookups = _looked_up(run, listings, policy, draw(st.lists(st.integers(0, 3), max_size=12)))
    return run, first_page, listings, policy, lookups


def _case(
    status: str, failed_stat: int, listed_failed: int, max_forgiven: int, max_lookups: int = 50
) -> tuple[Run, list[TestResult], tuple[list[TestResult], ...], InForce, Lookups]:
    """A run of `failed_stat` failures, `listed_failed` of them listed and every one known flaky."""
    run = _run(status, {"passed": 10, "failed": failed_stat})
    failed = [TestResult("a.spec.ts", f"fails {i}", "failed", 1.0, f"t{i}") for i in range(listed_failed)]
    section = History(branch="main", forgive=("flaky",), max_forgiven=max_forgiven, max_lookups=max_lookups)
    policy = in_force(Policy(history=section), "main", (), TODAY)
    listings: tuple[list[TestResult], ...] = ([], failed)
    return run, [], listings, policy, _looked_up(run, listings, policy, [0])


@given(_cases())
# The review of #19's case: 50 failures, history able to forgive 10 of them (no history answers pass it).
@example(_case("failed", 50, 50, 10))
# At the bounds: 10 failures, all known flaky, max_forgiven 10 (or max_lookups 9): the first pass, and are
# never known failures; the last fail whatever the answers.
@example(_case("failed", 10, 10, 10))
@example(_case("failed", 10, 10, 10, max_lookups=9))
def test_a_known_failure_is_never_a_case_that_any_listing_or_history_would_pass(
    drawn: tuple[Run, list[TestResult], tuple[list[TestResult], ...], InForce, Lookups],
) -> None:
    run, first_page, listings, policy, lookups = drawn
    verdict = evaluate(Case(run, listings, policy, lookups=lookups))
    if verdict.passed:
        assert known_failure(run, first_page, policy) is None, verdict.checks


@pytest.mark.parametrize(
    ("forgive", "created_at", "quarantine", "at_most"),
    [
        (("flaky",), CREATED_AT, False, 10),  # max_forgiven
        (("broken",), CREATED_AT, False, 10),
        ((), CREATED_AT, False, 0),  # nothing to forgive
        (("flaky",), None, False, 0),  # nothing looked up
        (("flaky",), "2026-06-28T09:14:22", False, 0),  # no offset: no date
        (("flaky",), CREATED_AT, True, None),  # quarantine: no bound
        ((), CREATED_AT, True, None),
    ],
)
def test_what_quarantine_and_history_could_forgive_at_most(
    forgive: tuple[str, ...], created_at: str | None, quarantine: bool, at_most: int | None
) -> None:
    entries = (QuarantineEntry(0, "*", None, "PAY-1", TODAY),) if quarantine else ()
    section = History(branch="main", forgive=forgive, max_forgiven=10, max_lookups=50)
    policy = in_force(Policy(quarantine=entries, history=section), "main", (), TODAY)
    assert forgivable_at_most(_run("failed", {"failed": 50}, created_at), policy) == at_most


@pytest.mark.parametrize(
    ("failed", "max_forgiven", "max_lookups", "known"),
    [(11, 10, 50, True), (10, 10, 50, False), (10, 12, 9, True), (9, 12, 9, False), (10, 0, 50, True)],
)
def test_failures_past_the_most_history_could_forgive_are_known(
    failed: int, max_forgiven: int, max_lookups: int, known: bool
) -> None:
    section = History(branch="main", forgive=("flaky",), max_forgiven=max_forgiven, max_lookups=max_lookups)
    policy = in_force(Policy(history=section), "main", (), TODAY)
    verdict = known_failure(_run("failed", {"passed": 5, "failed": failed}), [], policy)
    assert (verdict is not None) is known
    if verdict is not None:
        assert [check.key for check in verdict.failed_checks] == ["failed"]
        assert f"history could forgive at most {min(max_forgiven, max_lookups)} failed test" in verdict.notes[-1]


def test_flaky_tests_and_other_statuses_are_known_whatever_history_forgives() -> None:
    section = History(branch="main", forgive=("flaky", "broken"), max_forgiven=100)
    policy = in_force(Policy(thresholds=Thresholds(flaky=0), history=section), "main", (), TODAY)
    verdict = known_failure(_run("passed", {"passed": 5, "flaky": 2}), [], policy)
    assert verdict is not None and [check.key for check in verdict.failed_checks] == ["flaky"]
    timed_out = known_failure(_run("passed", {"passed": 5, "timed_out": 1}), [], policy)
    assert timed_out is not None and [check.key for check in timed_out.failed_checks] == ["timed_out"]
