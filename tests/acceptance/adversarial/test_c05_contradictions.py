"""Class 5: an answer that contradicts itself. Pages that repeat earlier pages (whatever ids they carry) make
the answer unusable, and every status counts the larger of its statistic and the tests listed anywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.adversarial.hostile import Reply, Request, hostile, run_body, run_gate, spec
from tests.conftest import config

FUTURE = "2099-12-31"


def clean(result: Any, code: int) -> dict[str, Any]:
    assert result.code == code, result.stdout + result.stderr
    assert "Traceback" not in result.everything
    verdict: dict[str, Any] = result.verdict
    assert verdict["exit_code"] == code
    return verdict


def failed_spec(file_name: str, *titles: str, spec_id: str | None, test_ids: str | None) -> dict[str, Any]:
    """A spec of failed tests; `spec_id` None leaves the id out, `test_ids` is a prefix (None: no ids)."""
    entry = spec(file_name, *((title, "failed") for title in titles))
    if spec_id is None:
        del entry["spec_id"]
    else:
        entry["spec_id"] = spec_id
    for index, test in enumerate(entry["tests"]):
        if test_ids is None:
            del test["test_id"]
        else:
            test["test_id"] = f"{test_ids}{index}"
    return entry


# Page 1 of the failed tests, and what a hostile server serves as pages 2 and 3 instead of new tests.
REPEATS = {
    "same page, new spec ids": lambda page: [
        failed_spec("checkout.spec.ts", "pays", "refunds", spec_id=f"s{page}", test_ids="t")
    ],
    "same page, new spec and test ids": lambda page: [
        failed_spec("checkout.spec.ts", "pays", "refunds", spec_id=f"s{page}", test_ids=f"p{page}-")
    ],
    "same page, no ids at all": lambda page: [
        failed_spec("checkout.spec.ts", "pays", "refunds", spec_id=None, test_ids=None)
    ],
    "same tests, another order, new ids": lambda page: [
        failed_spec("checkout.spec.ts", "refunds", "pays", spec_id=f"x{page}", test_ids=None)
    ],
    "same tests split in two specs, new ids": lambda page: [
        failed_spec("checkout.spec.ts", "pays", spec_id=f"a{page}", test_ids=f"a{page}"),
        failed_spec("checkout.spec.ts", "refunds", spec_id=f"b{page}", test_ids=f"b{page}"),
    ],
}
# Repeats told only by the ids page 1 carries.
REPEATS_OF_IDS = {
    "a part of page 1, same test ids": lambda page: [
        {
            **failed_spec("checkout.spec.ts", "refunds", spec_id=f"z{page}", test_ids=None),
            "tests": [{"test_id": "t1", "title": "refunds", "status": "failed", "duration": 1.0}],
        }
    ],
    "a spec id of page 1": lambda page: [failed_spec("other.spec.ts", f"new {page}", spec_id="s1", test_ids="n")],
}


def paged_failures(later_pages: Any, *, failed: int = 6, no_ids_on_page_one: bool = False) -> Any:
    """A finished failed run whose failed tests fill three pages: page 1, then `later_pages(page)`."""

    def handler(request: Request) -> Reply:
        page = int(request.query.get("page", "1"))
        if page == 1:
            ids: dict[str, Any] = {"spec_id": None, "test_ids": None} if no_ids_on_page_one else {}
            specs = [failed_spec("checkout.spec.ts", "pays", "refunds", **{"spec_id": "s1", "test_ids": "t", **ids})]
        else:
            specs = later_pages(page)
        total_pages = 3 if request.query.get("status") else 1
        body = run_body(
            status="failed", counts={"passed": 10, "failed": failed}, specs=specs, total_pages=total_pages, page=page
        )
        return Reply(body=body)

    return hostile(handler)


@pytest.mark.parametrize(
    ("how", "no_ids_on_page_one"),
    [*((how, False) for how in [*REPEATS, *REPEATS_OF_IDS]), *((how, True) for how in REPEATS)],
)
def test_pages_that_repeat_earlier_pages_give_no_verdict(tmp_path: Path, how: str, no_ids_on_page_one: bool) -> None:
    later_pages = {**REPEATS, **REPEATS_OF_IDS}[how]
    with paged_failures(later_pages, no_ids_on_page_one=no_ids_on_page_one) as server:
        result = run_gate(tmp_path, base_url=server.url)
    verdict = clean(result, 3)
    assert verdict["error_kind"] == "unusable_answer"
    assert "pagination cannot be trusted" in verdict["message"]


@pytest.mark.parametrize("how", ["same page, new spec and test ids", "same page, no ids at all"])
def test_repeating_quarantined_tests_cannot_hide_real_failures(tmp_path: Path, how: str) -> None:
    """Six failed, two of them quarantined: served three times over, they would explain all six."""
    gate_config = config(
        tmp_path,
        f"quarantine:\n  - spec: checkout.spec.ts\n    reason: known\n    until: {FUTURE}\n",
    )
    with paged_failures(REPEATS[how], failed=6) as server:
        result = run_gate(tmp_path, "--config", gate_config, base_url=server.url)
    assert clean(result, 3)["error_kind"] == "unusable_answer"


# Pages that look alike but are not repeats: the gate must read them and judge.
LOOK_ALIKES = {
    "new tests of the same file": lambda page: [
        failed_spec("checkout.spec.ts", f"pays {page}", f"refunds {page}", spec_id=f"s{page}", test_ids="t")
    ],
    "the same titles in another file": lambda page: [
        failed_spec(f"checkout-{page}.spec.ts", "pays", "refunds", spec_id=f"s{page}", test_ids="t")
    ],
    "one title twice in a spec": lambda page: [
        failed_spec(f"param-{page}.spec.ts", "adds", "adds", spec_id=f"s{page}", test_ids=f"p{page}")
    ],
    "page 1's file again beside a new one": lambda page: [
        failed_spec("checkout.spec.ts", "pays", "refunds", spec_id=f"s{page}", test_ids=f"q{page}"),
        failed_spec(f"more-{page}.spec.ts", "works", spec_id=f"m{page}", test_ids="m"),
    ],
}


@pytest.mark.parametrize("how", LOOK_ALIKES)
def test_pages_that_only_look_alike_are_read_and_judged(tmp_path: Path, how: str) -> None:
    with paged_failures(LOOK_ALIKES[how]) as server:
        result = run_gate(tmp_path, "--config", config(tmp_path, "thresholds: {failed: 100}\n"), base_url=server.url)
    verdict = clean(result, 0)
    assert len(verdict["failed_tests"]) >= 6


def test_with_a_quarantine_look_alike_pages_still_count(tmp_path: Path) -> None:
    gate_config = config(
        tmp_path,
        f"quarantine:\n  - spec: checkout.spec.ts\n    reason: known\n    until: {FUTURE}\n",
    )
    with paged_failures(LOOK_ALIKES["the same titles in another file"]) as server:
        verdict = clean(run_gate(tmp_path, "--config", gate_config, base_url=server.url), 1)
    failed = next(check for check in verdict["checks"] if check["name"] == "failed")
    assert failed["actual"] == 4  # six failed, two of them quarantined


LIMITED = ["failed", "flaky", "skipped", "timed_out", "interrupted"]


@pytest.mark.parametrize("status", LIMITED)
def test_tests_the_run_lists_count_when_its_statistics_and_filtered_pages_deny_them(
    tmp_path: Path, status: str
) -> None:
    """The run's own first page lists a test of a status its statistics put at 0, and the filtered pages
    list none: the listed test counts, and the limit of 0 fails the gate."""

    def handler(request: Request) -> Reply:
        listed = [] if request.query.get("status") else [spec("a.spec.ts", ("odd one", status), ("fine", "passed"))]
        return Reply(body=run_body(status="passed", counts={"passed": 10}, specs=listed))

    limits = f"thresholds: {{{status}: 0}}\n"
    with hostile(handler) as server:
        result = run_gate(tmp_path, "--config", config(tmp_path, limits), base_url=server.url)
    verdict = clean(result, 1)
    check = next(check for check in verdict["checks"] if check["name"] == status)
    assert (check["actual"], check["passed"]) == (1, False)
