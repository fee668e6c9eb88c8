"""Class 5: an answer whose statistics and tests disagree is judged by the larger count, through the CLI.

The tests counted are those of every page the gate holds: the poll's own first page as well as the pages
listed by status. Statistics that say nothing failed cannot hide the failed tests an answer lists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.adversarial.hostile import Reply, Request, hostile, run_body, run_gate, spec

FAILED_SPEC = spec("checkout.spec.ts", ("pays by card", "failed"), ("pays by voucher", "passed"))


def serve(first: dict[str, Any], by_status: dict[str, list[dict[str, Any]]] | None = None):
    """The poll answers `first`; a request filtered by status answers the specs given for it (or none)."""

    def handler(request: Request) -> Reply:
        status = request.query.get("status")
        if status is None:
            return Reply(body=first)
        return Reply(body=run_body(counts={}, specs=(by_status or {}).get(status, [])))

    return handler


@pytest.mark.parametrize(
    "statistics",
    [
        {"passed": 2, "failed": 0},
        {"passed": 2},
        {},
    ],
    ids=["failed-0", "failed-absent", "no-statistics"],
)
@pytest.mark.parametrize("listed_by_status", [True, False], ids=["listed-by-status", "only-on-first-page"])
def test_failed_tests_on_the_first_page_fail_the_gate(
    tmp_path: Path, statistics: dict[str, int], listed_by_status: bool
) -> None:
    first = run_body(status="passed", counts=statistics, specs=[FAILED_SPEC])
    pages = {"failed": [spec("checkout.spec.ts", ("pays by card", "failed"))]} if listed_by_status else {}
    with hostile(serve(first, pages)) as server:
        result = run_gate(tmp_path, base_url=server.url)
    assert result.code == 1, result.stdout
    assert result.verdict["verdict"] == "fail"
    failed = next(check for check in result.verdict["checks"] if check["name"] == "failed")
    assert failed["actual"] >= 1
    # The gate asked for the failed tests although the statistics counted none.
    assert any(request.query.get("status") == "failed" for request in server.requests)


def test_flaky_tests_listed_against_the_statistics_count(tmp_path: Path) -> None:
    config = tmp_path / "gate.yml"
    config.write_text("thresholds:\n  flaky: 0\n")
    first = run_body(status="passed", counts={"passed": 1, "flaky": 0}, specs=[spec("a.ts", ("retried", "flaky"))])
    with hostile(serve(first, {"flaky": [spec("a.ts", ("retried", "flaky"))]})) as server:
        result = run_gate(tmp_path, "--config", str(config), base_url=server.url)
    assert result.code == 1
    assert [test["title"] for test in result.verdict["flaky_tests"]] == ["retried"]


@pytest.mark.parametrize("status", ["timedOut", "timed_out", "interrupted"])
def test_timed_out_and_interrupted_tests_listed_but_not_counted_fail(tmp_path: Path, status: str) -> None:
    first = run_body(status="passed", counts={"passed": 1}, specs=[spec("a.ts", ("slow", status))])
    with hostile(serve(first)) as server:
        result = run_gate(tmp_path, base_url=server.url)
    assert result.code == 1, result.stdout


def test_more_failed_tests_listed_than_counted_take_the_larger_count(tmp_path: Path) -> None:
    first = run_body(status="failed", counts={"passed": 5, "failed": 1})
    listed = [spec(f"s{i}.ts", ("broke", "failed")) for i in range(4)]
    with hostile(serve(first, {"failed": listed})) as server:
        result = run_gate(tmp_path, base_url=server.url)
    assert result.code == 1
    failed = next(check for check in result.verdict["checks"] if check["name"] == "failed")
    assert failed["actual"] == 4


def test_a_page_repeated_without_spec_ids_is_refused(tmp_path: Path) -> None:
    """Two pages with the same tests are one page served twice: the answer's pagination cannot be trusted."""
    page = [{"file_name": "a.ts", "tests": [{"title": "t", "status": "failed"}]}]

    def handler(request: Request) -> Reply:
        if "status" not in request.query:
            return Reply(body=run_body(status="failed", counts={"failed": 2}))
        number = int(request.query.get("page", "1"))
        return Reply(body=run_body(counts={}, specs=page, total_pages=2, page=number))

    with hostile(handler) as server:
        result = run_gate(tmp_path, base_url=server.url)
    assert result.code == 3
    assert "repeat" in result.verdict["message"]


@pytest.mark.parametrize(
    ("statistics", "filtered", "listed", "config"),
    [
        # The flaky pages also show a timed-out and an interrupted test, which the statistics deny.
        ({"passed": 10, "flaky": 1}, "flaky", [("wobbly", "flaky"), ("cut off", "interrupted")], ""),
        ({"passed": 10, "flaky": 1}, "flaky", [("wobbly", "flaky"), ("slow", "timedOut")], ""),
        # The flaky pages show a failed test the statistics deny.
        ({"passed": 10, "flaky": 1}, "flaky", [("wobbly", "flaky"), ("broke", "failed")], ""),
        # A quarantined failure beside a timed-out test on the failed pages: the timed-out one still counts.
        (
            {"failed": 1},
            "failed",
            [("known broken", "failed"), ("pays", "timedOut")],
            'quarantine:\n  - test: "known broken"\n    reason: PAY-1\n    until: "2999-01-01"\n',
        ),
    ],
)
def test_every_test_on_a_filtered_page_counts_whatever_its_status(
    tmp_path: Path, statistics: dict[str, int], filtered: str, listed: list[tuple[str, str]], config: str
) -> None:
    path = tmp_path / "gate.yml"
    path.write_text(config or "{}\n")
    status = "failed" if "failed" in statistics else "passed"
    first = run_body(status=status, counts=statistics)
    with hostile(serve(first, {filtered: [spec("cart.spec.ts", *listed)]})) as server:
        result = run_gate(tmp_path, "--config", str(path), base_url=server.url)
    assert result.code == 1, result.stdout
    assert result.verdict["verdict"] == "fail"


QUARANTINE = "quarantine:\n  - {spec: legacy/*, reason: known broken, until: 2999-01-01}\n"


@pytest.mark.parametrize(
    ("config", "pagination"),
    [
        (QUARANTINE, True),  # a test judged by its name: the filtered view must be asked
        ("thresholds: {failed: 1}\n", True),  # at the limit: one more failed test fails the gate
        ("thresholds: {failed: 1}\n", False),  # with no pagination object either
    ],
    ids=["quarantine", "failed-limit", "no-pagination"],
)
def test_a_view_filtered_by_status_that_lists_more_failed_tests_still_counts(
    tmp_path: Path, config: str, pagination: bool
) -> None:
    # The only page lists one failed test, as the statistics count; the view filtered by status lists two.
    # Where more failed tests could change the verdict, the gate asks for it and the larger count wins.
    first = run_body(
        status="failed",
        counts={"passed": 3, "failed": 1},
        specs=[spec("legacy/old.spec.ts", ("known broken", "failed"))],
    )
    if not pagination:
        del first["pagination"]
    more = [spec("legacy/old.spec.ts", ("known broken", "failed")), spec("checkout.spec.ts", ("pays", "failed"))]
    (tmp_path / "gate.yml").write_text(config)
    with hostile(serve(first, {"failed": more})) as server:
        result = run_gate(tmp_path, "--config", str(tmp_path / "gate.yml"), base_url=server.url)
    assert result.code == 1, result.stdout
    assert any(request.query.get("status") == "failed" for request in server.requests)
    assert "checkout.spec.ts" in result.summary


def test_a_failed_test_only_the_flaky_view_lists_fails_the_gate(tmp_path: Path) -> None:
    # The statistics and the only page say 2 passed and 1 flaky; the view filtered by `flaky` lists a
    # whole spec with a failed test in it. Every listing counts: the gate asks, and fails.
    first = run_body(
        status="passed",
        counts={"passed": 2, "flaky": 1},
        specs=[spec("a.spec.ts", ("one", "passed"), ("two", "passed"), ("three", "flaky"))],
    )
    flaky_view = [spec("a.spec.ts", ("three", "flaky"), ("four", "failed"))]
    with hostile(serve(first, {"flaky": flaky_view})) as server:
        result = run_gate(tmp_path, base_url=server.url)
    assert result.code == 1, result.stdout
    assert "1 failed test" in result.stdout
