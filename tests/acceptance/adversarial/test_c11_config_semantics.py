"""Class 11 (config): what the config means. Timed-out and interrupted tests fail the gate by default, as
Playwright counts them failures; and a typo anywhere, `when:` included, is named as the typo with the key
it most likely meant. Through `validate` and the real CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.adversarial.hostile import Reply, hostile, run_body, run_gate
from tests.conftest import config, validate_config


def validate(*args: str) -> tuple[int, str, str]:
    result = validate_config(*args)
    return result.code, result.stdout, result.stderr


def gate(tmp_path: Path, body: dict[str, Any], text: str | None = None) -> tuple[int, dict[str, Any]]:
    args = ("--config", str(config(tmp_path, text))) if text is not None else ()
    with hostile(lambda _request: Reply(body=body)) as server:
        result = run_gate(tmp_path, *args, base_url=server.url)
    assert "Traceback" not in result.everything
    verdict: dict[str, Any] = result.verdict
    assert verdict["exit_code"] == result.code
    return result.code, verdict


def check(verdict: dict[str, Any], name: str) -> tuple[Any, Any, Any]:
    found = next(check for check in verdict["checks"] if check["name"] == name)
    return found["actual"], found["limit"], found["passed"]


STATUSES = ["timed_out", "interrupted"]


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("text", [None, "", "version: 1\n", "thresholds: {failed: 0}\n", "thresholds: {flaky: 3}\n"])
def test_one_timed_out_or_interrupted_test_fails_the_default_limits(
    tmp_path: Path, status: str, text: str | None
) -> None:
    code, verdict = gate(tmp_path, run_body(status="passed", counts={"passed": 9, status: 1}), text)
    assert code == 1
    assert check(verdict, status) == (1, 0, False)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("limit", ["1", "5", "null"])
def test_a_limit_given_for_them_is_the_limit(tmp_path: Path, status: str, limit: str) -> None:
    body = run_body(status="passed", counts={"passed": 9, status: 1})
    code, _verdict = gate(tmp_path, body, f"thresholds: {{{status}: {limit}}}\n")
    assert code == 0


@pytest.mark.parametrize("status", STATUSES)
def test_a_rule_can_raise_the_limit_for_a_branch(tmp_path: Path, status: str) -> None:
    body = run_body(status="passed", counts={"passed": 9, status: 2}, branch="nightly/1")
    text = f"rules:\n  - when: {{branch: 'nightly/*'}}\n    thresholds: {{{status}: 2}}\n"
    assert gate(tmp_path, body, text)[0] == 0
    assert gate(tmp_path, {**body, "branch": "main"}, text)[0] == 1


def test_a_run_without_them_passes_the_defaults(tmp_path: Path) -> None:
    code, verdict = gate(tmp_path, run_body(status="passed", counts={"passed": 10}))
    assert code == 0
    assert check(verdict, "timed_out") == (0, 0, True)
    assert check(verdict, "interrupted") == (0, 0, True)


def test_validate_shows_the_default_limits(tmp_path: Path) -> None:
    code, out, _err = validate(str(config(tmp_path, "version: 1\n")))
    assert code == 0
    assert "timed-out tests <= 0" in out and "interrupted tests <= 0" in out


TYPOS = [
    # (config, the problem in full)
    ("rules: [{when: {branh: main}}]\n", "rules[0].when.branh: unknown key; did you mean `branch`?"),
    ("rules: [{when: {brnach: main}}]\n", "rules[0].when.brnach: unknown key; did you mean `branch`?"),
    ("rules: [{when: {Branch: main}}]\n", "rules[0].when.Branch: unknown key; did you mean `branch`?"),
    ("rules: [{when: {branches: [main]}}]\n", "rules[0].when.branches: unknown key; did you mean `branch`?"),
    ("rules: [{when: {tag: [nightly]}}]\n", "rules[0].when.tag: unknown key; did you mean `tags`?"),
    ("rules: [{when: {tgas: [nightly]}}]\n", "rules[0].when.tgas: unknown key; did you mean `tags`?"),
    ("rules: [{wen: {branch: main}}]\n", "rules[0].wen: unknown key; did you mean `when`?"),
    ("rules: [{when: {branch: main}, threshold: {}}]\n", "rules[0].threshold: unknown key; did you mean `thresholds`?"),
    ("threshold: {failed: 0}\n", "threshold: unknown key; did you mean `thresholds`?"),
    ("quarantaine: []\n", "quarantaine: unknown key; did you mean `quarantine`?"),
    ("fail-fast: true\n", "fail-fast: unknown key; did you mean `fail_fast`?"),
    ("Version: 1\n", "Version: unknown key; did you mean `version`?"),
    ("baselin: {branch: main}\n", "baselin: unknown key; did you mean `baseline`?"),
    ("thresholds: {faild: 0}\n", "thresholds.faild: unknown key; did you mean `failed`?"),
    ("thresholds: {timedOut: 0}\n", "thresholds.timedOut: unknown key; did you mean `timed_out`?"),
    ("thresholds: {timed-out: 0}\n", "thresholds.timed-out: unknown key; did you mean `timed_out`?"),
    ("thresholds: {interupted: 0}\n", "thresholds.interupted: unknown key; did you mean `interrupted`?"),
    ("warn: {flakey: 1}\n", "warn.flakey: unknown key; did you mean `flaky`?"),
    ("thresholds: {min-tests: 1}\n", "thresholds.min-tests: unknown key; did you mean `min_tests`?"),
    ("thresholds: {failedRate: 2%}\n", "thresholds.failedRate: unknown key; did you mean `failed_rate`?"),
    ("status: {failOn: []}\n", "status.failOn: unknown key; did you mean `fail_on`?"),
    ("baseline: {branch: main, new-failures: 0}\n", "baseline.new-failures: unknown key; did you mean `new_failures`?"),
    (
        "quarantine: [{spec: a, reason: r, untill: 2026-12-31}]\n",
        "quarantine[0].untill: unknown key; did you mean `until`?",
    ),
    (
        "quarantine: [{spec: a, reson: r, until: 2026-12-31}]\n",
        "quarantine[0].reson: unknown key; did you mean `reason`?",
    ),
]


@pytest.mark.parametrize(("text", "problem"), TYPOS, ids=[problem.split(":")[0] for _t, problem in TYPOS])
def test_a_typo_is_named_as_the_typo_with_the_key_it_meant(tmp_path: Path, text: str, problem: str) -> None:
    code, _out, err = validate(str(config(tmp_path, text)))
    assert code == 2
    assert f"  - {problem}\n" in err, err


def test_a_typo_in_when_is_the_only_problem_reported_for_it(tmp_path: Path) -> None:
    code, _out, err = validate(str(config(tmp_path, "rules: [{when: {branh: main}}]\n")))
    assert code == 2
    assert err.count("\n  - ") == 1
    assert "is required" not in err and "is empty" not in err


def test_the_gate_names_the_typo_in_when(tmp_path: Path) -> None:
    code, verdict = gate(tmp_path, run_body(), "rules: [{when: {branh: main}}]\n")
    assert code == 2
    assert "rules[0].when.branh: unknown key; did you mean `branch`?" in verdict["message"]


def test_a_typo_beside_a_good_key_in_when_is_named(tmp_path: Path) -> None:
    code, _out, err = validate(str(config(tmp_path, "rules: [{when: {branch: main, tagz: [x]}}]\n")))
    assert code == 2
    assert "rules[0].when.tagz: unknown key; did you mean `tags`?" in err
    assert err.count("\n  - ") == 1


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("rules: [{thresholds: {flaky: 0}}]\n", "rules[0].when: is required: a mapping with `branch`"),
        ("rules: [{when: {}}]\n", "rules[0].when: is empty: give a mapping with `branch`"),
        ("rules: [{when: main}]\n", "rules[0].when: must be a mapping with `branch`"),
        ("rules: [{when: {colour: red}}]\n", "rules[0].when.colour: unknown key; known keys: branch, tags"),
        ("zebra: 1\n", "zebra: unknown key; known keys: version, thresholds, status"),
    ],
)
def test_a_missing_or_unrelated_key_says_what_is_known(tmp_path: Path, text: str, problem: str) -> None:
    code, _out, err = validate(str(config(tmp_path, text)))
    assert code == 2
    assert f"  - {problem}" in err, err
