"""CI detection from each system's own variables (recorded environments)."""

from __future__ import annotations

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
