"""End to end through the installed CLI against the simulator serving runs on several branches:
quarantine, rules, warnings, baseline, fail fast, and them together."""

from __future__ import annotations

import re
from pathlib import Path

from gate.simulator import SimRun
from tests.acceptance.test_action import parse_command
from tests.conftest import config, gate_env

# The thresholds file the gate reads by default, in the folder it runs in.
DEFAULT_FILE = ".playdash-gate.yml"

FUTURE, PAST = "2099-12-31", "2020-01-01"


def make_tests(*items: tuple[str, str, str]) -> list[dict]:
    return [{"spec": spec, "title": title, "status": status, "duration": 1.0} for spec, title, status in items] + [
        {"spec": "home.spec.ts", "title": f"fine {i}", "status": "passed", "duration": 1.0} for i in range(5)
    ]


CHECKOUT = make_tests(
    ("checkout/pay.spec.ts", "applies a 10% coupon", "failed"), ("search.spec.ts", "finds by SKU", "flaky")
)


def test_a_quarantined_failure_passes_and_is_listed(simulator, run_cli, tmp_path: Path) -> None:
    config(
        tmp_path,
        f"""
quarantine:
  - spec: "checkout/*.spec.ts"
    test: "applies a * coupon"
    reason: "PAY-123: payment sandbox is flaky"
    owner: "@payments"
    until: {FUTURE}
  - test: "never matches"
    reason: "old"
    until: {FUTURE}
""",
        DEFAULT_FILE,
    )
    result = run_cli(env=gate_env(simulator(SimRun(tests=CHECKOUT, final_status="failed"))))
    assert result.code == 0, result.output
    assert "QUARANT checkout/pay.spec.ts › applies a 10% coupon" in result.stdout
    assert "<details><summary>Quarantined tests (1)</summary>" in result.summary
    assert "| failed tests | 0 (+1 quarantined) | ≤ 0 | ✅ |" in result.summary
    assert f"@payments · until {FUTURE}" in result.summary and "days left" not in result.summary
    verdict = result.verdict
    assert verdict["quarantined_tests"][0]["reason"] == "PAY-123: payment sandbox is flaky"
    assert verdict["quarantined_tests"][0]["days_left"] > 1000
    assert verdict["unused_quarantine"][0]["entry"] == "quarantine[1]"
    assert "quarantine[1] (test 'never matches') matched no failed or flaky test" in result.stdout
    assert verdict["checks"][0] == {
        "name": "failed",
        "label": "failed tests",
        "actual": 0,
        "comparison": "<=",
        "limit": 0,
        "passed": True,
        "detail": None,
    }


def test_an_expired_quarantine_no_longer_applies_and_warns(simulator, run_cli, tmp_path: Path) -> None:
    config(
        tmp_path,
        f"""
quarantine:
  - spec: "checkout/*"
    reason: "PAY-123"
    until: {PAST}
""",
        DEFAULT_FILE,
    )
    env = {
        **gate_env(simulator(SimRun(tests=CHECKOUT, final_status="failed"))),
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(tmp_path / "out"),
    }
    result = run_cli(env=env)
    assert result.code == 1
    assert result.verdict["expired_quarantine"][0]["until"] == PAST
    warnings = [parse_command(line) for line in result.stdout.splitlines() if line.startswith("::warning title=")]
    assert any("expired on 2020-01-01" in message for _n, _p, message in warnings)
    assert "### Warnings" in result.summary and "expired on 2020\\-01\\-01" not in result.summary


def test_rules_make_release_branches_stricter(simulator, run_cli, tmp_path: Path) -> None:
    config(
        tmp_path,
        """
thresholds: {failed: 0, flaky: 5}
rules:
  - when: {branch: "release/*"}
    thresholds: {flaky: 0}
""",
        DEFAULT_FILE,
    )
    feature = run_cli(
        env=gate_env(simulator(SimRun(tests=make_tests(("a.spec.ts", "f", "flaky")), branch="feature/x")))
    )
    assert feature.code == 0, feature.output
    assert feature.verdict["rules_applied"] == []
    release = run_cli(
        env=gate_env(simulator(SimRun(tests=make_tests(("a.spec.ts", "f", "flaky")), branch="release/1.2")))
    )
    assert release.code == 1
    assert release.verdict["rules_applied"] == [{"index": 0, "branch": "release/*", "tags": []}]
    assert release.verdict["effective_limits"]["flaky"] == 0
    assert "Rules applied: rules\\[0\\] \\(branch 'release/\\*'\\)" in release.summary


def test_the_ci_branch_is_used_when_the_run_has_none(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, "rules:\n  - when: {branch: 'release/*'}\n    thresholds: {flaky: 0}\n", DEFAULT_FILE)
    sim = simulator(SimRun(tests=make_tests(("a.spec.ts", "f", "flaky")), branch=None))
    result = run_cli(env={**gate_env(sim), "GITLAB_CI": "true", "CI_COMMIT_REF_NAME": "release/9"})
    assert result.code == 1
    assert result.verdict["rules_applied"][0]["index"] == 0


def test_tag_rules_and_soft_warnings(simulator, run_cli, tmp_path: Path) -> None:
    config(
        tmp_path,
        """
warn: {flaky: 0}
rules:
  - when: {tags: [nightly]}
    warn: {flaky: 5}
""",
        DEFAULT_FILE,
    )
    flaky = make_tests(("a.spec.ts", "f1", "flaky"), ("a.spec.ts", "f2", "flaky"))
    smoke = run_cli(
        env={
            **gate_env(simulator(SimRun(tests=flaky, tags=["smoke"]))),
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(tmp_path / "o"),
        }
    )
    assert smoke.code == 0
    assert smoke.verdict["verdict"] == "pass"
    assert smoke.verdict["warnings"] == [
        {"name": "flaky", "label": "flaky tests", "actual": 2, "comparison": "<=", "limit": 0}
    ]
    assert "::warning title=Playwright gate warning::2 flaky tests (warn above 0)" in smoke.stdout
    assert "### Warnings (1)" in smoke.summary
    nightly = run_cli(env=gate_env(simulator(SimRun(tests=flaky, tags=["nightly"]))))
    assert nightly.code == 0 and nightly.verdict["warnings"] == []


def baseline_runs(current: list[dict], base: list[dict], current_branch: str = "feature/x") -> list[SimRun]:
    return [
        SimRun(
            run_id="older",
            branch="main",
            tests=make_tests(("a.spec.ts", "ancient", "failed")),
            created_at="2026-11-01T00:00:00Z",
            final_status="failed",
        ),
        SimRun(
            run_id="base",
            branch="main",
            tests=base,
            created_at="2026-11-20T00:00:00Z",
            final_status="failed" if any(t["status"] == "failed" for t in base) else None,
        ),
        SimRun(
            run_id="running-main",
            branch="main",
            tests=base,
            created_at="2026-11-27T00:00:00Z",
            finish_after_polls=10**9,
        ),
        SimRun(
            run_id="kftwnab",
            branch=current_branch,
            tests=current,
            created_at="2026-11-28T00:00:00Z",
            final_status="failed",
        ),
    ]


def test_baseline_lists_new_failures_first(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, "thresholds: {failed: null}\nbaseline: {branch: main, new_failures: 0}\n", DEFAULT_FILE)
    current = make_tests(("a.spec.ts", "known broken", "failed"), ("b.spec.ts", "broke today", "failed"))
    base = make_tests(("a.spec.ts", "known broken", "failed"))
    result = run_cli(env=gate_env(simulator(*baseline_runs(current, base))))
    assert result.code == 1, result.output
    assert "baseline: run base on main (1 failed test there)" in result.stdout
    assert [t["title"] for t in result.verdict["new_failures"]] == ["broke today"]
    # The new failures failed the gate: open, first; the failed tests (no limit on them) folded below.
    assert result.summary.index("### New failures (1)") < result.summary.index(
        "<details><summary>Failed tests (2)</summary>"
    )
    assert "NEW     b.spec.ts › broke today" in result.stdout
    # The run compared with is named and linked, with its branch; each failure that fails there too is marked.
    assert "Compared with [run base](" in result.summary and "/projects/pdqmxlz/runs/base)" in result.summary
    assert "on <code>main</code>: 1 of the 2 failed tests listed also fails there" in result.summary
    assert re.search(r"^- known broken — [0-9.]+ s — also failing on main$", result.summary, re.M)
    assert re.search(r"^- broke today — [0-9.]+ s$", result.summary, re.M)
    check = next(c for c in result.verdict["checks"] if c["name"] == "new_failures")
    assert (check["actual"], check["passed"]) == (1, False)


def test_no_baseline_run_skips_the_check_with_a_warning(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, "thresholds: {failed: null}\nbaseline: {branch: develop}\n", DEFAULT_FILE)
    current = make_tests(("b.spec.ts", "broke today", "failed"))
    result = run_cli(env=gate_env(simulator(*baseline_runs(current, current))))
    assert result.code == 0, result.output
    assert "no finished run on the baseline branch 'develop' was found" in result.stdout
    assert any("new-failures check was skipped" in note for note in result.verdict["notes"])


def test_fail_fast_stops_a_failing_run_early(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, "thresholds: {failed: 1}\nfail_fast: true\n", DEFAULT_FILE)
    sim = simulator(SimRun(counts={"failed": 20, "passed": 20}, finish_after_polls=50))
    result = run_cli(env=gate_env(sim, PLAYDASH_TIMEOUT="60s"))
    assert result.code == 1, result.output
    assert "fail fast: the run is still in progress" in result.stdout
    assert result.verdict["stopped_early"] is True and result.verdict["is_running"] is True
    assert "Stopped early" in result.summary


def test_fail_fast_is_off_by_default(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, "thresholds: {failed: 1}\n", DEFAULT_FILE)
    sim = simulator(SimRun(counts={"failed": 20, "passed": 20}, finish_after_polls=200))
    result = run_cli(env=gate_env(sim, PLAYDASH_TIMEOUT="1.5s"))
    assert result.code == 3


def test_a_quarantined_test_on_a_release_branch_with_a_baseline(simulator, run_cli, tmp_path: Path) -> None:
    config(
        tmp_path,
        f"""
thresholds: {{failed: 0, flaky: 5}}
quarantine:
  - test: "known broken"
    reason: "BUG-1"
    until: {FUTURE}
rules:
  - when: {{branch: "release/*"}}
    thresholds: {{flaky: 0}}
baseline: {{branch: main, new_failures: 0}}
""",
        DEFAULT_FILE,
    )
    current = make_tests(("a.spec.ts", "known broken", "failed"))
    base = make_tests(("c.spec.ts", "something else", "failed"))
    result = run_cli(env=gate_env(simulator(*baseline_runs(current, base, "release/3.0"))))
    assert result.code == 0, result.output
    verdict = result.verdict
    assert verdict["new_failures"] == []
    assert verdict["quarantined_tests"][0]["title"] == "known broken"
    assert verdict["rules_applied"][0]["branch"] == "release/*"
    flaky = make_tests(("a.spec.ts", "known broken", "failed"), ("d.spec.ts", "wobbly", "flaky"))
    stricter = run_cli(env=gate_env(simulator(*baseline_runs(flaky, base, "release/3.0"))))
    assert stricter.code == 1
    assert "1 flaky test (limit 0)" in stricter.stdout


def test_validate_shows_the_policy_for_a_branch_and_tags(run_cli, tmp_path: Path) -> None:
    config(
        tmp_path,
        f"""
thresholds: {{failed: 0, flaky: 5}}
quarantine:
  - spec: "a*"
    reason: "r"
    until: {FUTURE}
  - spec: "b*"
    reason: "gone"
    until: {PAST}
rules:
  - when: {{branch: "release/*"}}
    thresholds: {{flaky: 0}}
  - when: {{tags: [nightly]}}
    warn: {{flaky: 10}}
""",
        DEFAULT_FILE,
    )
    result = run_cli("validate", "--branch", "release/1", "--tags", "nightly,smoke", env={})
    assert result.code == 0, result.output
    assert "flaky tests <= 0" in result.stdout and "warn: flaky tests <= 10" in result.stdout
    assert "rules applied: rules[0] (branch 'release/*'), rules[1] (tags nightly) (of 2)" in result.stdout
    assert "quarantine[0] (spec 'a*'): in force" in result.stdout
    assert "quarantine[1] (spec 'b*'): EXPIRED" in result.stdout
    plain = run_cli("validate", "--branch", "main", env={})
    assert "flaky tests <= 5" in plain.stdout and "rules applied: none (of 2)" in plain.stdout
