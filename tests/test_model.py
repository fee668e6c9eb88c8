"""The run model: names normalised, descriptive fields tolerated, deciding fields strict."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from gate.errors import UnusableAnswerError
from gate.model import normalise_name, parse_page, parse_run

EXAMPLE = Path(__file__).resolve().parents[2] / "shared" / "api" / "get-run-example.json"
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
