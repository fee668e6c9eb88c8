"""Merge queues and the target branch: rules by `target_branch`, the queue's base found, no comment there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.simulator import SimRun
from tests.conftest import gate_env

SHA = "0123456789abcdef0123456789abcdef01234567"
QUEUE_BRANCH = f"gh-readonly-queue/main/pr-12-{SHA}"
CONFIG = """\
thresholds: {failed: 5}
rules:
  - when: {target_branch: main}
    thresholds: {failed: 0}
"""


def _queue_env(sim, tmp_path: Path, **extra: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps({"merge_group": {"base_ref": "refs/heads/main", "head_ref": f"refs/heads/{QUEUE_BRANCH}"}})
    )
    return gate_env(
        sim,
        GITHUB_ACTIONS="true",
        GITHUB_EVENT_NAME="merge_group",
        GITHUB_EVENT_PATH=str(event),
        GITHUB_REF=f"refs/heads/{QUEUE_BRANCH}",
        GITHUB_REF_NAME=QUEUE_BRANCH,
        GITHUB_BASE_REF="",
        GITHUB_REPOSITORY="octo/shop",
        GITHUB_TOKEN="ghs_Zq8VxW3kL9mN2pR7tY4uB6cD1eF5gH0jK",
        **extra,
    )


@pytest.fixture
def queued(simulator):
    # The run reported from the queue carries the queue's temporary branch, never `main`.
    return simulator(SimRun(counts={"passed": 20, "failed": 2}, branch=QUEUE_BRANCH))


def test_a_merge_queue_run_is_judged_by_the_rules_of_its_target_branch(queued, run_cli, tmp_path) -> None:
    (tmp_path / "gate.yml").write_text(CONFIG)
    result = run_cli("--config", "gate.yml", "--comment", "on-failure", env=_queue_env(queued, tmp_path))
    assert result.code == 1, result.output  # rules[0] (target branch main) applies: failed 0
    assert "Rules applied: rules\\[0\\] \\(target branch 'main'\\)" in result.summary
    assert "Target branch <code>main</code> (from merge\\_group.base\\_ref)" in result.summary
    assert result.verdict["target_branch"] == "main"
    assert "target branch main (merge_group.base_ref)" in result.stdout
    # No comment in the queue, and nothing asked of GitHub: one note.
    notes = [line for line in result.output.splitlines() if "merge queue run" in line]
    assert notes == [
        "comment: not written on a merge queue run (merge_group): the verdict is the queue's required check"
    ]
    assert "::warning" not in result.stdout.replace("::warning file=", "")


def test_the_target_branch_given_wins_over_the_ci(queued, run_cli, tmp_path) -> None:
    (tmp_path / "gate.yml").write_text(CONFIG)
    result = run_cli("--config", "gate.yml", "--target-branch", "develop", env=_queue_env(queued, tmp_path))
    assert result.code == 0, result.output  # the rule for main does not apply: failed 2 <= 5
    assert result.verdict["target_branch"] == "develop"


def test_a_pull_request_targets_its_base(simulator, run_cli, tmp_path) -> None:
    (tmp_path / "gate.yml").write_text(CONFIG)
    sim = simulator(SimRun(counts={"passed": 20, "failed": 2}, branch="feature/x"))
    env = gate_env(sim, GITHUB_ACTIONS="true", GITHUB_EVENT_NAME="pull_request", GITHUB_BASE_REF="main")
    assert run_cli("--config", "gate.yml", env=env).code == 1
    env["GITHUB_BASE_REF"] = "release/1.0"
    assert run_cli("--config", "gate.yml", env=env).code == 0


@pytest.mark.parametrize("value", ["a b", "main\n::error::x", "x" * 256])
def test_a_target_branch_that_is_no_branch_is_a_set_up_error(simulator, run_cli, value) -> None:
    result = run_cli(env=gate_env(simulator(SimRun()), PLAYDASH_TARGET_BRANCH=value))
    assert result.code == 2
    assert "PLAYDASH_TARGET_BRANCH must be a branch's name" in result.stderr
    assert "::error::x" not in result.stdout


def test_validate_shows_a_rule_on_the_target_branch(run_cli, tmp_path) -> None:
    (tmp_path / "gate.yml").write_text(CONFIG + "  - when: {target_brnch: main}\n    thresholds: {failed: 1}\n")
    result = run_cli("validate", "gate.yml", env={})
    assert result.code == 2
    assert "rules[1].when.target_brnch: unknown key; did you mean `target_branch`?" in result.stderr


@pytest.mark.parametrize(("config", "code"), [(CONFIG, 2), ("thresholds: {failed: 5}\n", 0)], ids=["rule", "no-rule"])
def test_a_queue_run_whose_target_cannot_be_read_refuses_rules_on_it(queued, run_cli, tmp_path, config, code) -> None:
    """Fail closed: `failed: 0` for main must not give way to the top level's `failed: 5` unseen."""
    (tmp_path / "gate.yml").write_text(config)
    env = {**_queue_env(queued, tmp_path), "GITHUB_REF": "refs/heads/somewhere"}
    (tmp_path / "event.json").write_text("not json")
    result = run_cli("--config", "gate.yml", env=env)
    assert result.code == code, result.output
    if code == 2:
        assert "merge queue's run (merge_group), but the branch it merges into could not be read" in result.stderr
        assert "--target-branch" in result.stderr


def test_a_target_branch_given_is_said_on_the_console(queued, run_cli, tmp_path) -> None:
    (tmp_path / "gate.yml").write_text(CONFIG)
    result = run_cli("--config", "gate.yml", "--target-branch", "develop", env=_queue_env(queued, tmp_path))
    assert "target branch: develop (--target-branch / PLAYDASH_TARGET_BRANCH)" in result.stdout


def test_validate_shows_the_policy_for_a_target_branch(run_cli, tmp_path) -> None:
    (tmp_path / "gate.yml").write_text(CONFIG + "baseline: {branch: main}\n")
    shown = run_cli("validate", "gate.yml", "--target-branch", "main", env={})
    assert shown.code == 0, shown.output
    assert "for branch (any) merging into main:" in shown.stdout
    assert "rules applied: rules[0] (target branch 'main')" in shown.stdout
    # failed: 0 into main: the baseline cannot change a verdict on pull requests into main.
    assert "`thresholds.failed: 0` already fails the gate on any failure" in shown.stdout
    elsewhere = run_cli("validate", "gate.yml", "--target-branch", "develop", env={})
    assert "rules applied: none" in elsewhere.stdout and "already fails the gate" not in elsewhere.stdout
