"""CI detection from each system's own variables (recorded environments)."""

from __future__ import annotations

import os

import pytest

from gate.ci import CiInfo, detect

RECORDED = {
    "github": (
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": "octo/shop",
            "GITHUB_RUN_ID": "4821",
            "GITHUB_RUN_ATTEMPT": "2",
            "GITHUB_SHA": "9fceb02",
            "GITHUB_REF_NAME": "12/merge",
            "GITHUB_HEAD_REF": "feature/x",
            "CI": "true",
        },
        CiInfo("GitHub Actions", "https://github.com/octo/shop/actions/runs/4821/attempts/2", "9fceb02", "feature/x"),
    ),
    "gitlab": (
        {
            "GITLAB_CI": "true",
            "CI": "true",
            "CI_JOB_URL": "https://gitlab.com/o/s/-/jobs/77",
            "CI_COMMIT_SHA": "abc123",
            "CI_COMMIT_REF_NAME": "main",
        },
        CiInfo("GitLab CI", "https://gitlab.com/o/s/-/jobs/77", "abc123", "main"),
    ),
    "circleci": (
        {
            "CIRCLECI": "true",
            "CI": "true",
            "CIRCLE_BUILD_URL": "https://circleci.com/gh/o/s/99",
            "CIRCLE_SHA1": "def456",
            "CIRCLE_BRANCH": "release/1.2",
        },
        CiInfo("CircleCI", "https://circleci.com/gh/o/s/99", "def456", "release/1.2"),
    ),
    "jenkins": (
        {
            "JENKINS_URL": "https://ci.example.com/",
            "BUILD_URL": "https://ci.example.com/job/shop/12/",
            "GIT_COMMIT": "0a1b2c",
            "BRANCH_NAME": "PR-5",
        },
        CiInfo("Jenkins", "https://ci.example.com/job/shop/12/", "0a1b2c", "PR-5"),
    ),
    "buildkite": (
        {
            "BUILDKITE": "true",
            "CI": "true",
            "BUILDKITE_BUILD_URL": "https://buildkite.com/o/s/builds/3",
            "BUILDKITE_JOB_ID": "j-1",
            "BUILDKITE_COMMIT": "fedcba",
            "BUILDKITE_BRANCH": "main",
        },
        CiInfo("Buildkite", "https://buildkite.com/o/s/builds/3#j-1", "fedcba", "main"),
    ),
}


@pytest.mark.parametrize("system", sorted(RECORDED))
def test_each_system_is_recognised(system: str) -> None:
    env, expected = RECORDED[system]
    assert detect(env) == expected


def test_none_on_a_laptop() -> None:
    assert detect({"HOME": "/home/dev", "CI": "true"}) is None


def test_first_attempt_links_to_the_run() -> None:
    env = dict(RECORDED["github"][0], GITHUB_RUN_ATTEMPT="1", GITHUB_HEAD_REF="")
    info = detect(env)
    assert info is not None
    assert info.job_url == "https://github.com/octo/shop/actions/runs/4821"
    assert info.branch == "12/merge"


SHA = "0123456789abcdef0123456789abcdef01234567"
QUEUE = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_EVENT_NAME": "merge_group",
    "GITHUB_REF": f"refs/heads/gh-readonly-queue/release/1.0/pr-12-{SHA}",
    "GITHUB_REF_NAME": f"gh-readonly-queue/release/1.0/pr-12-{SHA}",
    "GITHUB_BASE_REF": "",
}


@pytest.mark.parametrize(
    ("env", "target", "source"),
    [
        (
            {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main"},
            "main",
            "GITHUB_BASE_REF",
        ),
        ({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_BASE_REF": ""}, None, None),
        (
            {"GITLAB_CI": "true", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "develop"},
            "develop",
            "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
        ),
        (
            {"BUILDKITE": "true", "BUILDKITE_PULL_REQUEST_BASE_BRANCH": "main"},
            "main",
            "BUILDKITE_PULL_REQUEST_BASE_BRANCH",
        ),
        ({"BUILDKITE": "true", "BUILDKITE_PULL_REQUEST_BASE_BRANCH": ""}, None, None),
        ({"JENKINS_URL": "https://ci/", "CHANGE_TARGET": "main"}, "main", "CHANGE_TARGET"),
        ({"GITHUB_ACTIONS": "true", "GITHUB_BASE_REF": "main\n::error::x"}, None, None),
        ({"GITHUB_ACTIONS": "true", "GITHUB_BASE_REF": "a b"}, None, None),
        ({"GITHUB_ACTIONS": "true", "GITHUB_BASE_REF": "x" * 256}, None, None),
    ],
)
def test_the_target_branch_comes_from_each_systems_own_variable(env, target, source) -> None:
    info = detect(env)
    assert info is not None and (info.target_branch, info.target_source) == (target, source)


@pytest.mark.parametrize(
    ("payload", "target", "source"),
    [
        ('{"merge_group": {"base_ref": "refs/heads/main"}}', "main", "merge_group.base_ref"),
        ('{"merge_group": {"base_ref": "refs/heads/release/2.x"}}', "release/2.x", "merge_group.base_ref"),
        # Anything else is no branch: the queue's own branch names its base.
        ('{"merge_group": {"base_ref": "refs/tags/v1"}}', "release/1.0", "GITHUB_REF (the merge queue's branch)"),
        ('{"merge_group": {"base_ref": ["refs/heads/main"]}}', "release/1.0", "GITHUB_REF (the merge queue's branch)"),
        ('{"merge_group": {"base_ref": "refs/heads/ma in"}}', "release/1.0", "GITHUB_REF (the merge queue's branch)"),
        ('{"merge_group": "main"}', "release/1.0", "GITHUB_REF (the merge queue's branch)"),
        ("not json", "release/1.0", "GITHUB_REF (the merge queue's branch)"),
        (None, "release/1.0", "GITHUB_REF (the merge queue's branch)"),
    ],
)
def test_a_merge_queue_targets_its_base_ref(tmp_path, payload, target, source) -> None:
    env = dict(QUEUE)
    if payload is not None:
        (tmp_path / "event.json").write_text(payload)
        env["GITHUB_EVENT_PATH"] = str(tmp_path / "event.json")
    info = detect(env)
    assert info is not None and (info.target_branch, info.target_source) == (target, source)


def test_a_merge_queue_with_neither_a_payload_nor_its_branch_has_no_target(tmp_path) -> None:
    fifo = tmp_path / "event"
    os.mkfifo(fifo)  # never waited on: a pipe is refused
    env = dict(QUEUE, GITHUB_REF="refs/heads/gh-readonly-queue/main", GITHUB_EVENT_PATH=str(fifo))
    info = detect(env)
    assert info is not None and info.target_branch is None


def test_a_queue_branch_that_reads_two_ways_names_no_target() -> None:
    env = dict(QUEUE, GITHUB_REF=f"refs/heads/gh-readonly-queue/main/pr-1-{SHA}/pr-2-{SHA}")
    info = detect(env)
    assert info is not None and info.target_branch is None and info.merge_queue
