"""Property tests: no input makes the model or the rules fail oddly, and nothing yields a false pass.

Example counts are small for CI; `HYPOTHESIS_PROFILE=fuzz python -m pytest tests/acceptance/test_properties.py`
runs a long fuzz (see `tests/properties.py` and the README).
"""

from __future__ import annotations

import contextlib
import copy
import math
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gate.config.parse import policy_problems
from gate.config.types import Policy, Thresholds
from gate.errors import UnusableAnswerError
from gate.evaluate import evaluate
from gate.ids import is_id
from gate.model import (
    FINAL_STATUSES,
    MAX_COUNT,
    MAX_DURATION,
    Page,
    Run,
    TestResult,
    parse_page,
    parse_run,
)
from gate.simulator import Scenario, SimRun, Simulator
from tests.conftest import API_KEY, FakeClock, case, run_main
from tests.properties import examples


def nest(depth: int, kind: str, leaf: Any) -> Any:
    """`leaf` nested `depth` deep in lists or objects, built without recursion."""
    for _ in range(depth):
        leaf = [leaf] if kind == "list" else {"a": leaf}
    return leaf


# Numbers JSON allows and arithmetic does not: NaN, infinities (1e999 reads as inf), ints past any bound,
# ints past the 4,300 digits str() takes, and floats of every kind where whole numbers belong.
odd_numbers = (
    st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 1e300, 3.0, 10**9 + 1, 10**30])
    | st.integers()
    # Built, not listed: Hypothesis describes a strategy with repr(), which fails past 4,300 digits.
    | st.integers(4000, 6000).map(lambda digits: (-1) ** digits * 10**digits)
)
deep_values = st.builds(nest, st.integers(100, 3000), st.sampled_from(["list", "dict"]), st.none() | odd_numbers)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 10**6)
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | odd_numbers
    | deep_values,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
STATUS_WORDS = ["passed", "failed", "timedOut", "interrupted", "running", "passing", "failing", "Passed", "weird", ""]
STAT_NAMES = ["Passed", "Failed", "Flaky", "Skipped", "Timed out", "timedOut", "Interrupted", "Other"]
statistics = st.lists(
    st.fixed_dictionaries(
        {
            "name": st.sampled_from(STAT_NAMES) | st.text(max_size=8),
            "value": st.integers(-2, 50) | st.floats() | st.text(max_size=3) | st.none() | odd_numbers | deep_values,
        }
    ),
    max_size=6,
)
tests_like = st.fixed_dictionaries(
    {"title": st.text(max_size=5) | json_values, "status": st.sampled_from(STATUS_WORDS) | json_values},
    optional={"duration": json_values, "test_id": json_values},
)
run_like = st.fixed_dictionaries(
    {},
    optional={
        "is_running": st.booleans() | json_values,
        "status": st.sampled_from(STATUS_WORDS) | json_values,
        "run_statistics": statistics | json_values,
        "branch": json_values,
        "tags": json_values,
        "total_shards": json_values,
        "duration": json_values,
        "specs": st.lists(
            st.fixed_dictionaries(
                {
                    "file_name": st.text(max_size=5) | json_values,
                    "tests": json_values | st.lists(tests_like, max_size=3),
                },
                optional={"spec_id": json_values},
            ),
            max_size=3,
        )
        | json_values,
        "pagination": st.fixed_dictionaries(
            {"total_pages": json_values, "current_page_number": json_values},
            optional={"total_records": json_values, "page_size": json_values},
        )
        | json_values,
    },
)


def bounded_duration(value: float | None) -> bool:
    return value is None or (math.isfinite(value) and 0 <= value <= MAX_DURATION and math.copysign(1, value) > 0)


@given(run_like | json_values)
def test_the_model_raises_only_unusable_answer_and_keeps_every_number_sane(data: Any) -> None:
    with contextlib.suppress(UnusableAnswerError):
        run = parse_run(data)
        assert bounded_duration(run.duration)
        assert run.total_shards is None or 0 <= run.total_shards <= MAX_COUNT
        assert all(0 <= value <= MAX_COUNT for value in run.statistics.values())
        assert 0 <= run.total <= len(run.statistics) * MAX_COUNT
        str(run.total)
    with contextlib.suppress(UnusableAnswerError):
        page = parse_page(data, 1)
        assert 0 <= page.total_pages <= MAX_COUNT
        assert len(set(page.spec_ids)) == len(page.spec_ids)
        for test in page.tests:
            assert bounded_duration(test.duration)
            assert test.test_id is None or is_id(test.test_id)


DOCUMENTED: dict[str, Any] = {
    "project_id": "pdqmxlz",
    "run_id": "kftwnab",
    "status": "passed",
    "duration": 182.45,
    "branch": "main",
    "tags": ["smoke"],
    "is_running": False,
    "total_shards": 4,
    "run_statistics": [{"name": "Passed", "value": 38}, {"name": "Failed", "value": 2}],
    "specs": [
        {
            "spec_id": "wbnxtyz",
            "file_name": "cart.spec.ts",
            "tests": [{"test_id": "vhrscje", "title": "adds", "status": "failed", "duration": 3.21}],
        }
    ],
    "pagination": {"total_records": 1, "total_pages": 1, "current_page_number": 1, "page_size": 30},
}
# Every place in the documented answer a value can be replaced, as a path of keys and indexes.
PLACES: list[tuple[Any, ...]] = [
    *((key,) for key in DOCUMENTED),
    ("run_statistics", 0),
    ("run_statistics", 0, "name"),
    ("run_statistics", 1, "value"),
    ("specs", 0),
    *(("specs", 0, key) for key in ("spec_id", "file_name", "tests")),
    ("specs", 0, "tests", 0),
    *(("specs", 0, "tests", 0, key) for key in ("test_id", "title", "status", "duration")),
    *(("pagination", key) for key in DOCUMENTED["pagination"]),
    ("tags", 0),
]


@given(st.sampled_from(PLACES), odd_numbers | deep_values)
def test_an_odd_value_anywhere_in_a_real_answer_is_unknown_or_unusable_never_a_crash(
    place: tuple[Any, ...], value: Any
) -> None:
    data = copy.deepcopy(DOCUMENTED)
    target = data
    for step in place[:-1]:
        target = target[step]
    target[place[-1]] = value
    run: Run | None = None
    page: Page | None = None
    with contextlib.suppress(UnusableAnswerError):
        run = parse_run(data)
    with contextlib.suppress(UnusableAnswerError):
        page = parse_page(data, 1)
    if run is not None:
        assert bounded_duration(run.duration)
        assert run.total_shards is None or 0 <= run.total_shards <= MAX_COUNT
    if page is not None:
        assert all(bounded_duration(test.duration) for test in page.tests)


@given(
    json_values
    | st.fixed_dictionaries({}, optional={"thresholds": json_values, "status": json_values, "version": json_values})
)
def test_the_config_check_raises_nothing_and_accepts_only_what_it_can_use(data: Any) -> None:
    policy, problems = policy_problems(data)
    assert (policy is None) == bool(problems)


limits = st.none() | st.integers(0, 6)
rates = st.none() | st.floats(0, 1)
policies = st.builds(
    Policy,
    thresholds=st.builds(
        Thresholds,
        failed=limits,
        flaky=limits,
        skipped=limits,
        timed_out=limits,
        interrupted=limits,
        failed_rate=rates,
        flaky_rate=rates,
        min_tests=st.integers(0, 20),
    ),
    fail_on=st.lists(st.sampled_from(["failed", "timed_out", "interrupted"]), unique=True).map(tuple),
)
counts = st.dictionaries(
    st.sampled_from(["passed", "failed", "flaky", "skipped", "timed_out", "interrupted", "x"]),
    st.integers(0, 8),
    max_size=7,
)


@given(counts, st.sampled_from([*FINAL_STATUSES, "weird"]), st.integers(0, 8), st.integers(0, 8), policies)
def test_a_pass_only_when_every_limit_holds(
    stats: dict[str, int], status: str, listed_failed: int, listed_flaky: int, policy: Policy
) -> None:
    run = Run("p", "r", status, False, stats)
    failed = [TestResult("a", str(i), "failed", None) for i in range(listed_failed)]
    flaky = [TestResult("a", str(i), "flaky", None) for i in range(listed_flaky)]
    verdict = evaluate(case(run, failed, flaky, policy=policy))
    if not verdict.passed:
        return
    limit = policy.thresholds
    n_failed, n_flaky = max(stats.get("failed", 0), listed_failed), max(stats.get("flaky", 0), listed_flaky)
    real = {**stats, "failed": n_failed, "flaky": n_flaky}
    total = sum(real.values())
    assert status in FINAL_STATUSES and status not in policy.fail_on
    # A `failed` run passes only when its failures are explained: failed, timed-out or interrupted tests.
    assert status != "failed" or n_failed + real.get("timed_out", 0) + real.get("interrupted", 0) > 0
    for key in ("failed", "flaky", "skipped", "timed_out", "interrupted"):
        assert getattr(limit, key) is None or real.get(key, 0) <= getattr(limit, key)
    assert limit.failed_rate is None or n_failed <= limit.failed_rate * total + 1e-9
    assert limit.flaky_rate is None or n_flaky <= limit.flaky_rate * total + 1e-9
    assert total >= limit.min_tests


LISTED_STATUSES = ["passed", "failed", "flaky", "skipped", "timed_out", "interrupted", "weird"]
# Listings of the run's tests (the poll's first page, collected pages), each test as (status, title number):
# a listing may hold a title twice (parametrized tests), and several listings may show the same tests.
listings = st.lists(st.lists(st.tuples(st.sampled_from(LISTED_STATUSES), st.integers(0, 4)), max_size=10), max_size=3)


@given(
    counts,
    st.none() | st.integers(0, 60),
    st.sampled_from(["Total", "All", "Total tests"]),
    st.sampled_from([*FINAL_STATUSES, "weird"]),
    listings,
    policies,
)
def test_a_pass_only_when_every_limit_holds_whatever_the_listings_and_totals(
    stats: dict[str, int],
    stated_total: int | None,
    total_name: str,
    status: str,
    seen: list[list[tuple[str, int]]],
    policy: Policy,
) -> None:
    statistics = {**stats, **({total_name: stated_total} if stated_total is not None else {})}
    views = [[TestResult("a", f"t{number}", test_status, None) for test_status, number in view] for view in seen]
    first = views[0] if views else []
    failed = [test for test in first if test.status == "failed"]
    flaky = [test for test in first if test.status == "flaky"]
    verdict = evaluate(case(Run("p", "r", status, False, statistics), failed, flaky, *views, policy=policy))
    if not verdict.passed:
        return
    # The oracle, apart from the gate's code: a test counts as often as the one listing showing it most.
    listed: dict[str, int] = {}
    for key in {test for view in seen for test in view}:
        listed[key[0]] = listed.get(key[0], 0) + max(view.count(key) for view in seen)
    real = {name: max(stats.get(name, 0), listed.get(name, 0)) for name in {*stats, *listed}}
    total = max(sum(real.values()), stated_total or 0)
    limit = policy.thresholds
    assert status in FINAL_STATUSES and status not in policy.fail_on
    assert status != "failed" or real.get("failed", 0) + real.get("timed_out", 0) + real.get("interrupted", 0) > 0
    for key in ("failed", "flaky", "skipped", "timed_out", "interrupted"):
        assert getattr(limit, key) is None or real.get(key, 0) <= getattr(limit, key)
    assert limit.failed_rate is None or real.get("failed", 0) <= limit.failed_rate * total + 1e-9
    assert limit.flaky_rate is None or real.get("flaky", 0) <= limit.flaky_rate * total + 1e-9
    assert total >= limit.min_tests
    assert verdict.total == total


def oracle_passes(final: dict[str, int], status: str, failed_limit: int | None, flaky_limit: int | None) -> bool:
    """What the verdict must be, computed apart from the gate's own code."""
    failed, flaky = final.get("failed", 0), final.get("flaky", 0)
    return (
        status in ("passed", "failed")
        and (status != "failed" or failed + final.get("timed_out", 0) + final.get("interrupted", 0) > 0)
        and (failed_limit is None or failed <= failed_limit)
        and (flaky_limit is None or flaky <= flaky_limit)
        and sum(final.values()) >= 1
        # Timed-out and interrupted tests fail the gate by default (limit 0), like failed ones.
        and final.get("timed_out", 0) == 0
        and final.get("interrupted", 0) == 0
    )


TRANSIENT = [
    {"status": 429},
    {"status": 429, "retry_after": "0"},
    {"status": 500},
    {"status": 502},
    {"status": 503},
    {"status": 504},
    {"reset": True},
    {"html": True},
    {"truncate": True},
]


@settings(max_examples=examples(20, fuzz=500))
@given(
    final=st.fixed_dictionaries(
        {
            "passed": st.integers(0, 4),
            "failed": st.integers(0, 3),
            "flaky": st.integers(0, 3),
            "timed_out": st.integers(0, 1),
        }
    ),
    final_status=st.sampled_from([None, "passed", "failed", "timedOut", "interrupted", "exploded"]),
    polls=st.integers(0, 3),
    faults=st.lists(st.sampled_from(TRANSIENT), max_size=4),
    failed_limit=st.none() | st.integers(0, 2),
    flaky_limit=st.none() | st.integers(0, 2),
)
def test_no_sequence_of_faults_and_states_gives_a_false_pass(
    final: dict[str, int],
    final_status: str | None,
    polls: int,
    faults: list[dict[str, Any]],
    failed_limit: int | None,
    flaky_limit: int | None,
) -> None:
    run = SimRun(counts=final, finish_after_polls=polls, final_status=final_status, specs=3)
    status = final_status or ("failed" if final["failed"] or final["timed_out"] else "passed")
    status = {"timedOut": "timed_out"}.get(status, status)
    expected = oracle_passes(final, status, failed_limit, flaky_limit) and status not in ("timed_out", "interrupted")
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "gate.yml"
        config.write_text(
            f"thresholds: {{failed: {'null' if failed_limit is None else failed_limit}, "
            f"flaky: {'null' if flaky_limit is None else flaky_limit}}}\n"
        )
        with Simulator(Scenario(runs=[run], api_key=API_KEY, faults=faults)) as sim:
            env = {
                "PLAYDASH_API_KEY": API_KEY,
                "PLAYDASH_BASE_URL": sim.base_url,
                "PLAYDASH_PROJECT_ID": "pdqmxlz",
                "PLAYDASH_RUN_ID": "kftwnab",
                "PLAYDASH_POLL_INTERVAL": "0.01s",
                "PLAYDASH_MAX_POLL_INTERVAL": "0.02s",
                "PLAYDASH_TIMEOUT": "20s",
            }
            # Polls and retries (a Retry-After too) waited in simulated time.
            code = run_main(["--config", config], env, cwd=Path(folder), clock=FakeClock().for_the_gate()).code
    assert code in (0, 1)
    assert (code == 0) == expected
