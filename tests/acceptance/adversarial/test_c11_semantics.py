"""Class 11: what the answer means. The run's own branch picks the rules (the CI's only when the run names
none), and a `Total` statistic is the total, not one more status to add up; through the real CLI."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.adversarial.hostile import Reply, Request, hostile, run_body, run_gate, spec
from tests.conftest import config


def rules_for(tmp_path: Path, branch_glob: str, *, fail_fast: bool = False) -> str:
    """Zero failed tests allowed, five on branches matching `branch_glob`."""
    return config(
        tmp_path,
        f"thresholds: {{failed: 0}}\nfail_fast: {str(fail_fast).lower()}\n"
        f"rules:\n  - when: {{branch: {json.dumps(branch_glob)}}}\n    thresholds: {{failed: 5}}\n",
    )


def three_failed(branch: Any, **extra: Any) -> dict[str, Any]:
    tests = [(f"breaks {i}", "failed") for i in range(3)] + [("works", "passed")]
    fields: dict[str, Any] = {"status": "failed", "branch": branch, **extra}
    return run_body(counts={"passed": 10, "failed": 3}, specs=[spec("a.spec.ts", *tests)], **fields)


def serve_body(body: dict[str, Any]) -> Any:
    return hostile(lambda _request: Reply(body=body))


def clean(result: Any, code: int, json_file: Path | None = None) -> dict[str, Any]:
    assert result.code == code, result.stdout + result.stderr
    assert "Traceback" not in result.everything
    verdict: dict[str, Any] = json.loads(json_file.read_text()) if json_file else result.verdict
    assert verdict["exit_code"] == code
    return verdict


GITHUB_PUSH = "push"
GITHUB_PR = "pull_request"


def ci_env(ci_branch: str | None, how: str, tmp_path: Path) -> dict[str, Any]:
    """The CI's own variables naming its branch (None: the CI names none)."""
    if how == GITHUB_PR:
        return {"GITHUB_HEAD_REF": ci_branch, "GITHUB_REF_NAME": "42/merge" if ci_branch else None}
    if how == "gitlab":
        # Not a GitHub step: the reports go where they are named, here under tmp_path.
        github = dict.fromkeys(("GITHUB_ACTIONS", "GITHUB_WORKSPACE", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"))
        reports = {f"PLAYDASH_{kind}_FILE": str(tmp_path / f"gitlab.{kind.lower()}") for kind in ("JSON", "JUNIT")}
        return {**github, **reports, "PLAYDASH_MARKDOWN_FILE": "", "GITLAB_CI": "true", "CI_COMMIT_REF_NAME": ci_branch}
    return {"GITHUB_REF_NAME": ci_branch}


@pytest.mark.parametrize("how", [GITHUB_PUSH, GITHUB_PR, "gitlab"])
@pytest.mark.parametrize(
    ("run_branch", "ci_branch", "rule_glob", "code"),
    [
        # The run's branch decides, whatever branch the CI job runs on.
        ("main", "feature/x", "main", 0),
        ("main", "feature/x", "feature/*", 1),
        ("release/1.2", "main", "release/*", 0),
        ("release/1.2", "main", "main", 1),
        ("main", "main", "main", 0),
        # The CI's branch only when the run names none (null, empty, or a value no branch can be).
        (None, "main", "main", 0),
        ("", "main", "main", 0),
        ([["main"]], "main", "main", 0),
        (None, "feature/x", "main", 1),
        (None, None, "main", 1),
    ],
)
def test_the_runs_own_branch_picks_the_rules_before_the_cis(
    tmp_path: Path, run_branch: Any, ci_branch: str | None, rule_glob: str, code: int, how: str, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)  # whatever the CI, no report lands in the project
    env = ci_env(ci_branch, how, tmp_path)
    with serve_body(three_failed(run_branch)) as server:
        result = run_gate(tmp_path, "--config", rules_for(tmp_path, rule_glob), base_url=server.url, env=env)
    verdict = clean(result, code, tmp_path / "gitlab.json" if how == "gitlab" else None)
    assert verdict["ci"]["branch"] == ci_branch
    assert [rule["index"] for rule in verdict["rules_applied"]] == ([0] if code == 0 else [])
    failed_check = next(check for check in verdict["checks"] if check["name"] == "failed")
    assert (failed_check["actual"], failed_check["limit"]) == (3, 5 if code == 0 else 0)


@pytest.mark.parametrize(
    ("run_branch", "ci_branch", "rule_glob", "stops_early"),
    [
        ("main", "feature/x", "main", False),  # the run's rule allows 5: fail fast has no cause to stop
        ("main", "feature/x", "feature/*", True),  # the CI's rule is not the run's: 0 allowed, stop at once
        (None, "main", "main", False),
        (None, "feature/x", "main", True),
    ],
)
def test_fail_fast_uses_the_same_branch_as_the_verdict(
    tmp_path: Path, run_branch: str | None, ci_branch: str, rule_glob: str, stops_early: bool
) -> None:
    polls = itertools.count()

    def handler(request: Request) -> Reply:
        still_running = "status" not in request.query and next(polls) < 3
        return Reply(
            body=three_failed(run_branch, is_running=still_running, status="failing" if still_running else "failed")
        )

    with hostile(handler) as server:
        result = run_gate(
            tmp_path,
            "--config",
            rules_for(tmp_path, rule_glob, fail_fast=True),
            base_url=server.url,
            env={"GITHUB_REF_NAME": ci_branch},
        )
    verdict = clean(result, 1 if stops_early else 0)
    assert verdict["stopped_early"] is stops_early


TOTAL_SPELLINGS = ["Total", "total", "TOTAL", "All", "all", "Total tests", "totalTests", "All tests", "Number of tests"]


def with_statistics(*stats: tuple[str, int], status: str = "failed") -> dict[str, Any]:
    body = run_body(status=status, specs=[spec("a.spec.ts", ("breaks", "failed"))] if status == "failed" else [])
    body["run_statistics"] = [{"name": name, "value": value} for name, value in stats]
    return body


@pytest.mark.parametrize("name", TOTAL_SPELLINGS)
@pytest.mark.parametrize(
    ("limits", "code"),
    [
        # 1 failed of 10. Were the total added as a status, it would be 1 of 20: these would pass.
        ("{failed: null, min_tests: 11}", 1),
        ('{failed: null, failed_rate: "9%"}', 1),
        ('{failed: null, failed_rate: "10%", min_tests: 10}', 0),
    ],
)
def test_a_total_statistic_is_the_total_not_one_more_status(tmp_path: Path, name: str, limits: str, code: int) -> None:
    body = with_statistics(("Passed", 9), ("Failed", 1), (name, 10))
    with serve_body(body) as server:
        result = run_gate(tmp_path, "--config", config(tmp_path, f"thresholds: {limits}\n"), base_url=server.url)
    verdict = clean(result, code)
    assert verdict["total"] == 10
    assert "20 tests" not in result.everything


@pytest.mark.parametrize("name", TOTAL_SPELLINGS)
def test_a_total_larger_than_the_statuses_is_the_total(tmp_path: Path, name: str) -> None:
    body = with_statistics(("Passed", 3), (name, 50), status="passed")
    with serve_body(body) as server:
        result = run_gate(tmp_path, "--config", config(tmp_path, "thresholds: {min_tests: 50}\n"), base_url=server.url)
    assert clean(result, 0)["total"] == 50


@pytest.mark.parametrize("name", TOTAL_SPELLINGS)
def test_a_total_smaller_than_the_statuses_changes_nothing(tmp_path: Path, name: str) -> None:
    body = with_statistics(("Passed", 30), ("Failed", 1), (name, 2))
    with serve_body(body) as server:
        result = run_gate(tmp_path, "--config", config(tmp_path, "thresholds: {failed: 1}\n"), base_url=server.url)
    assert clean(result, 0)["total"] == 31


@pytest.mark.parametrize("name", ["All passed", "Count", "Retried", "Did not run", "Failures", "Failed tests"])
def test_other_statistics_are_statuses_that_add_up_and_fail_as_unknown(tmp_path: Path, name: str) -> None:
    """A statistic the gate does not know is no total: it adds up, and its tests fail the gate (what it
    cannot judge, it does not pass)."""
    body = with_statistics(("Passed", 9), ("Failed", 1), (name, 10))
    with serve_body(body) as server:
        result = run_gate(tmp_path, "--config", config(tmp_path, "thresholds: {failed: 1}\n"), base_url=server.url)
    verdict = clean(result, 1)
    assert verdict["total"] == 20
    unknown = next(check for check in verdict["checks"] if check["name"] == "unknown_statuses")
    assert (unknown["actual"], unknown["passed"]) == (10, False)


@pytest.mark.parametrize(("status", "limit_key"), [("timed_out", "timed_out"), ("interrupted", "interrupted")])
def test_the_default_limits_of_timed_out_and_interrupted_tests_apply(
    tmp_path: Path, status: str, limit_key: str
) -> None:
    body = run_body(status="passed", counts={"passed": 10, status: 1})
    with serve_body(body) as server:
        verdict = clean(run_gate(tmp_path, base_url=server.url), 1)
    check = next(check for check in verdict["checks"] if check["name"] == limit_key)
    assert (check["actual"], check["limit"], check["passed"]) == (1, 0, False)
