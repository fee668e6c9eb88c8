"""The run model: names normalised, descriptive fields tolerated, deciding fields strict."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from gate.errors import UnusableAnswerError
from gate.model import normalise_name, parse_page, parse_run
from gate.text import shown

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "get-run-example.json"
DOCUMENTED: dict[str, Any] = {
    "project_id": "pdqmxlz",
    "run_id": "kftwnab",
    "status": "passed",
    "is_running": False,
    "run_statistics": [{"name": "Passed", "value": 38}, {"name": "Failed", "value": 2}, {"name": "Flaky", "value": 1}],
    "specs": [
        {
            "spec_id": "wbnxtyz",
            "file_name": "cart.spec.ts",
            "tests": [{"test_id": "v", "title": "adds an item", "status": "passed", "duration": 3.21}],
        }
    ],
    "pagination": {"total_records": 42, "total_pages": 3, "current_page_number": 1, "page_size": 15},
}


def body(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(DOCUMENTED)
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("name", "normal"),
    [
        ("Timed out", "timed_out"),
        ("timedOut", "timed_out"),
        ("timed_out", "timed_out"),
        ("TIMED-OUT", "timed_out"),
        ("Passed", "passed"),
        (" Flaky ", "flaky"),
        ("Did not run", "did_not_run"),
        ("didNotRun", "did_not_run"),
        ("failing", "failing"),
        ("", "unnamed"),
    ],
)
def test_names_are_normalised(name: str, normal: str) -> None:
    assert normalise_name(name) == normal


@pytest.mark.skipif(not EXAMPLE.exists(), reason="the shared API example is beside the project")
def test_the_documented_example_parses() -> None:
    run = parse_run(json.loads(EXAMPLE.read_text()))
    assert (run.status, run.is_running, run.total) == ("passed", False, 41)
    assert run.statistics == {"passed": 38, "failed": 2, "flaky": 1}
    assert (run.branch, run.author, run.total_shards, run.tags) == ("main", "Oliver Smith", 4, ("smoke", "nightly"))


def test_missing_statistics_are_zero_and_extras_are_kept() -> None:
    run = parse_run(
        body(
            run_statistics=[
                {"name": "Skipped", "value": 3},
                {"name": "Timed out", "value": 1},
                {"name": "timedOut", "value": 1},
                {"name": "Brand new", "value": 2},
            ]
        )
    )
    assert run.count("failed") == 0
    assert run.count("timed_out") == 2
    assert run.count("brand_new") == 2
    assert run.total == 7


def test_unknown_fields_and_statuses_are_accepted() -> None:
    run = parse_run(body(status="exploded", surprise={"a": 1}))
    assert run.status == "exploded"


def test_descriptive_fields_of_odd_types_are_tolerated() -> None:
    run = parse_run(body(branch=12, author=None, tags="nope", total_shards="4", duration="long", commit_name=["x"]))
    assert (run.branch, run.author, run.tags, run.total_shards, run.duration, run.commit_name) == (
        "12",
        None,
        (),
        None,
        None,
        None,
    )


def test_lone_surrogates_are_replaced() -> None:
    run = parse_run(
        json.loads('{"is_running": false, "status": "passed", "run_statistics": [], "commit_name": "bad \\ud800 text"}')
    )
    assert run.commit_name is not None
    run.commit_name.encode("utf-8")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([], "the answer is list"),
        ({k: v for k, v in DOCUMENTED.items() if k != "is_running"}, "no `is_running`"),
        ({k: v for k, v in DOCUMENTED.items() if k != "run_statistics"}, "no `run_statistics`"),
        (body(is_running="false"), "`is_running` is 'false'"),
        (body(is_running=None), "`is_running` is None"),
        (body(is_running=0), "`is_running` is 0"),
        (body(run_statistics={"Passed": 1}), "`run_statistics` is dict"),
        (body(run_statistics=[{"name": "Failed", "value": -1}]), "run_statistics[0].value` is -1"),
        (body(run_statistics=[{"name": "Failed", "value": 1.5}]), "run_statistics[0].value` is 1.5"),
        (body(run_statistics=[{"name": "Failed", "value": "2"}]), "run_statistics[0].value` is '2'"),
        (body(run_statistics=[{"name": "Failed", "value": True}]), "run_statistics[0].value` is True"),
        (body(run_statistics=[{"value": 1}]), "run_statistics[0].name` is None"),
        (body(run_statistics=["Failed"]), "run_statistics[0]` is str"),
        (body(status=None), "`status` is None"),
        (body(status=""), "`status` is ''"),
    ],
)
def test_fields_that_decide_must_be_right(data: object, problem: str) -> None:
    with pytest.raises(UnusableAnswerError, match="cannot be used") as caught:
        parse_run(data)
    assert problem in caught.value.message


def test_a_page_lists_tests_with_their_spec() -> None:
    page = parse_page(body(), 1)
    assert (page.page_number, page.total_pages, page.spec_ids) == (1, 3, ("wbnxtyz",))
    assert page.tests[0].spec == "cart.spec.ts" and page.tests[0].status == "passed"
    assert page.tests[0].spec_id == "wbnxtyz"


def test_a_test_knows_its_specs_real_id_only_and_is_equal_whatever_it() -> None:
    specs = [
        {"spec_id": spec_id, "file_name": "a.spec.ts", "tests": [{"test_id": "t1", "title": "t", "status": "failed"}]}
        for spec_id in ("s1", "not an id", None)
    ]
    tests = parse_page(body(specs=specs), 1).tests
    assert [test.spec_id for test in tests] == ["s1", None, None]
    assert tests[0] == tests[1] == tests[2] and len(set(tests)) == 1
    # Equal, so not ordered either way (a tuple's order would put one before the other).
    with pytest.raises(TypeError, match="not ordered"):
        sorted(tests)


def test_a_page_without_pagination_is_the_only_page() -> None:
    page = parse_page({k: v for k, v in DOCUMENTED.items() if k != "pagination"}, 1)
    assert page.total_pages == 1


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (body(specs={"a": 1}), "`specs` is dict"),
        (body(specs=[{"file_name": 3, "tests": []}]), "file_name` is 3"),
        (body(specs=[{"file_name": "a", "tests": None}]), "tests` is NoneType"),
        (body(specs=[{"file_name": "a", "tests": [{"title": 1, "status": "failed"}]}]), "no string `title`"),
        (body(pagination={"total_pages": "3", "current_page_number": 1}), "total_pages` is '3'"),
        (body(pagination={"total_pages": 3, "current_page_number": 2}), "page 1 was asked for but page 2 came back"),
    ],
)
def test_malformed_pages_are_unusable(data: object, problem: str) -> None:
    with pytest.raises(UnusableAnswerError) as caught:
        parse_page(data, 1)
    assert problem in caught.value.message


def deep(levels: int, leaf: object = "x", kind: str = "list") -> object:
    """A value nested `levels` deep, built without recursion."""
    value = leaf
    for _ in range(levels):
        value = [value] if kind == "list" else {"a": value}
    return value


HUGE = 10**4000  # arrives as a Python int (json.loads reads up to 4,300 digits); str() of it is fine, past 4,300 not
HUGER = 10**5000  # str() and repr() raise ValueError: no message may try


def ident(value: object) -> str | None:
    """Test ids for values pytest cannot print (ints past 4,300 digits) or should not (deep nesting)."""
    return shown(value)[:30] if isinstance(value, (int, list, dict)) and not isinstance(value, bool) else None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (182.45, 182.45),
        (0, 0.0),
        (-0.0, 0.0),
        (315_000_000, 315_000_000.0),
        (float("nan"), None),
        (float("inf"), None),
        (float("-inf"), None),
        (-1, None),
        (-0.5, None),
        (400_000_000, None),  # over ten years
        (1e300, None),
        (10**30, None),
        (HUGER, None),
        (True, None),
        ("3.2", None),
        (None, None),
        ([1.0], None),
        (deep(500), None),
    ],
    ids=ident,
)
def test_durations_that_are_no_real_number_of_seconds_are_unknown(value: object, seconds: float | None) -> None:
    page_body = body(
        duration=value,
        specs=[{"spec_id": "s", "file_name": "a", "tests": [{"title": "t", "status": "passed", "duration": value}]}],
    )
    run, page = parse_run(page_body), parse_page(page_body, 1)
    for got in (run.duration, page.tests[0].duration):
        assert got == seconds
        assert got is None or (isinstance(got, float) and str(got)[0] != "-")


COUNT_FIELDS = {
    "statistic": lambda v: body(run_statistics=[{"name": "Failed", "value": v}]),
    "total_shards": lambda v: body(total_shards=v),
    "total_pages": lambda v: body(pagination={"total_pages": v, "current_page_number": 1}),
    "current_page_number": lambda v: body(pagination={"total_pages": 3, "current_page_number": v}),
    "total_records": lambda v: body(pagination={"total_pages": 3, "current_page_number": 1, "total_records": v}),
    "page_size": lambda v: body(pagination={"total_pages": 3, "current_page_number": 1, "page_size": v}),
}
NO_COUNTS = [3.0, 3.5, 1e3, float("nan"), float("inf"), float("-inf"), -1, 10**9 + 1, 10**30, HUGE, HUGER]


@pytest.mark.parametrize("field", COUNT_FIELDS)
@pytest.mark.parametrize("value", NO_COUNTS, ids=ident)
def test_numbers_that_are_no_sane_count_make_the_answer_unusable(field: str, value: object) -> None:
    data = COUNT_FIELDS[field](value)
    parse = parse_run if field in ("statistic", "total_shards") else lambda answer: parse_page(answer, 1)
    with pytest.raises(UnusableAnswerError, match="not a whole number from 0 to 1,000,000,000") as caught:
        parse(data)
    assert len(caught.value.message) < 400  # never the thousands of digits themselves


@pytest.mark.parametrize("field", ["total_shards", "total_records", "page_size"])
@pytest.mark.parametrize("value", [None, "4", True, [4], {"n": 4}, deep(300)], ids=ident)
def test_descriptive_counts_of_another_kind_are_unknown(field: str, value: object) -> None:
    data = COUNT_FIELDS[field](value)
    assert parse_run(data).total_shards is None
    assert parse_page(data, 1).total_pages == 3


def test_counts_up_to_the_bound_are_taken() -> None:
    data = body(run_statistics=[{"name": "Passed", "value": 10**9}], total_shards=10**9)
    run = parse_run(data)
    assert (run.count("passed"), run.total_shards) == (10**9, 10**9)


def test_duplicate_statistics_may_not_add_up_past_the_bound() -> None:
    data = body(run_statistics=[{"name": "Failed", "value": 10**9}, {"name": "failed", "value": 1}])
    with pytest.raises(UnusableAnswerError, match="more than 1,000,000,000 tests failed"):
        parse_run(data)


@pytest.mark.parametrize(
    "value", [float("nan"), float("inf"), HUGER, 10**31, deep(800), deep(800, kind="dict")], ids=ident
)
@pytest.mark.parametrize("key", ["commit_name", "branch", "author", "commit_id", "ci_build_id", "created_at", "run_id"])
def test_descriptive_fields_holding_odd_numbers_or_deep_nesting_are_unknown(key: str, value: object) -> None:
    run = parse_run(body(**{key: value}, tags=[value, "smoke", deep(800)]))
    assert getattr(run, key) in (None, "")
    assert run.tags == ("smoke",)


@pytest.mark.parametrize(
    "data",
    [
        body(status=deep(800)),
        body(status=HUGER),
        body(is_running=deep(800, kind="dict")),
        body(run_statistics=deep(800)),
        body(run_statistics=[deep(800, kind="dict")]),
        body(run_statistics=[{"name": deep(800), "value": 1}]),
        body(run_statistics=[{"name": HUGER, "value": 1}]),
        body(run_statistics=[{"name": "Failed", "value": deep(800)}]),
        body(run_statistics=[{"name": "Failed", "value": "9" * 5000}]),
    ],
    ids=range(9),
)
def test_deciding_fields_with_odd_values_are_unusable_with_a_short_message(data: object) -> None:
    with pytest.raises(UnusableAnswerError) as caught:
        parse_run(data)
    assert len(caught.value.message) < 400


@pytest.mark.parametrize(
    "specs",
    [
        deep(800),
        [deep(800, kind="dict")],
        [{"spec_id": "s", "file_name": deep(800), "tests": []}],
        [{"spec_id": "s", "file_name": HUGER, "tests": []}],
        [{"spec_id": "s", "file_name": "a", "tests": deep(800, kind="dict")}],
        [{"spec_id": "s", "file_name": "a", "tests": [deep(800)]}],
        [{"spec_id": "s", "file_name": "a", "tests": [{"title": deep(800), "status": "failed"}]}],
    ],
    ids=range(7),
)
def test_malformed_specs_are_unusable_with_a_short_message(specs: object) -> None:
    with pytest.raises(UnusableAnswerError) as caught:
        parse_page(body(specs=specs), 1)
    assert len(caught.value.message) < 400


@pytest.mark.parametrize(
    ("test_id", "kept"),
    [
        ("vhrscje", "vhrscje"),
        ("t-000_1", "t-000_1"),
        ("a" * 64, "a" * 64),
        ("a" * 65, None),
        ("", None),
        ("has space", None),
        ("#1/0", None),
        ("line\nbreak", None),
        ("../x", None),
        (7, None),
        (HUGER, None),
        (None, None),
        (deep(800), None),
    ],
    ids=ident,
)
def test_a_test_keeps_its_id_when_it_looks_like_one(test_id: object, kept: str | None) -> None:
    data = body(
        specs=[{"spec_id": "s", "file_name": "a", "tests": [{"test_id": test_id, "title": "t", "status": "x"}]}]
    )
    assert parse_page(data, 1).tests[0].test_id == kept


def test_specs_without_a_usable_id_get_fallback_ids_no_real_id_can_equal() -> None:
    odd = ["#2/1", "2:1", deep(800), HUGER, None, "", "ok-id", 21]
    specs = [{"spec_id": spec_id, "file_name": f"f{i}", "tests": []} for i, spec_id in enumerate(odd)]
    specs.append({"file_name": "no id", "tests": []})
    ids = parse_page(body(specs=specs, pagination={"total_pages": 3, "current_page_number": 2}), 2).spec_ids
    assert ids == ("#2/0", "#2/1", "#2/2", "#2/3", "#2/4", "#2/5", "ok-id", "#2/7", "#2/8")
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    ("statistics", "total"),
    [
        ({"Passed": 9, "Failed": 1, "Total": 10}, 10),
        ({"Passed": 9, "Failed": 1, "total": 25}, 25),
        ({"Passed": 9, "Failed": 1, "Total": 4}, 10),
        ({"Passed": 9, "Failed": 1, "All": 10}, 10),
        ({"Passed": 9, "Failed": 1, "ALL": 10}, 10),
        ({"Passed": 9, "Failed": 1, "Total tests": 10}, 10),
        ({"Passed": 9, "Failed": 1, "totalTests": 10}, 10),
        ({"Passed": 9, "Failed": 1, "All tests": 12}, 12),
        ({"Passed": 9, "Failed": 1, "Tests": 10}, 10),
        ({"Passed": 9, "Failed": 1, "Number of tests": 10}, 10),
        ({"Passed": 9, "Failed": 1, "Total": 10, "All": 10}, 10),
        ({"Total": 7}, 7),
        ({"Passed": 9, "Failed": 1, "All passed": 2}, 12),  # a status, not a total
        ({"Passed": 9, "Failed": 1, "Count": 2}, 12),
    ],
)
def test_a_total_statistic_is_a_total_not_one_more_status(statistics: dict[str, int], total: int) -> None:
    run = parse_run(body(run_statistics=[{"name": name, "value": value} for name, value in statistics.items()]))
    assert run.total == total


def test_a_spec_without_tests_still_gives_its_id() -> None:
    specs = [
        {"spec_id": "t1", "file_name": "empty.spec.ts", "tests": []},
        {"file_name": "nameless.spec.ts", "tests": []},
    ]
    page = parse_page(body(specs=specs), 1)
    assert page.tests == () and page.spec_ids == ("t1", "#1/1")
