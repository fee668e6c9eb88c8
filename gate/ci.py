"""Recognise the CI system the gate runs in, from the environment: its name, the job's link, commit and branch."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class CiInfo:
    """Where the gate runs; every field may be unknown."""

    name: str
    job_url: str | None = None
    commit: str | None = None
    branch: str | None = None


def _github(env: Mapping[str, str]) -> CiInfo:
    server, repo, run = env.get("GITHUB_SERVER_URL"), env.get("GITHUB_REPOSITORY"), env.get("GITHUB_RUN_ID")
    url = f"{server}/{repo}/actions/runs/{run}" if server and repo and run else None
    if url and env.get("GITHUB_RUN_ATTEMPT", "1") not in ("", "1"):
        url += f"/attempts/{env['GITHUB_RUN_ATTEMPT']}"
    # On a pull request the head branch is what the reader knows the change by.
    branch = env.get("GITHUB_HEAD_REF") or env.get("GITHUB_REF_NAME")
    return CiInfo("GitHub Actions", url, env.get("GITHUB_SHA"), branch)


def _jenkins(env: Mapping[str, str]) -> CiInfo:
    branch = env.get("BRANCH_NAME") or env.get("GIT_BRANCH")
    return CiInfo("Jenkins", env.get("BUILD_URL"), env.get("GIT_COMMIT"), branch)


def detect(env: Mapping[str, str]) -> CiInfo | None:
    """The CI system named by its own variables, or None on a developer's machine."""
    if env.get("GITHUB_ACTIONS") == "true":
        return _github(env)
    if env.get("GITLAB_CI"):
        branch = env.get("CI_COMMIT_REF_NAME") or env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
        return CiInfo("GitLab CI", env.get("CI_JOB_URL"), env.get("CI_COMMIT_SHA"), branch)
    if env.get("CIRCLECI"):
        return CiInfo("CircleCI", env.get("CIRCLE_BUILD_URL"), env.get("CIRCLE_SHA1"), env.get("CIRCLE_BRANCH"))
    if env.get("BUILDKITE"):
        url = env.get("BUILDKITE_BUILD_URL")
        if url and env.get("BUILDKITE_JOB_ID"):
            url += f"#{env['BUILDKITE_JOB_ID']}"
        return CiInfo("Buildkite", url, env.get("BUILDKITE_COMMIT"), env.get("BUILDKITE_BRANCH"))
    if env.get("JENKINS_URL"):
        return _jenkins(env)
    return None
