"""Recognise the CI system the gate runs in, from the environment: its name, the job's link, commit and branch."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from gate.text import link_address, link_root

_REPOSITORY_PART = re.compile(r"[A-Za-z0-9_.-]{1,100}")
_NUMBER = re.compile(r"[0-9]{1,20}")
_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class CiInfo:
    """Where the gate runs; every field may be unknown (the job's link is an http(s) address or None)."""

    name: str
    job_url: str | None = None
    commit: str | None = None
    branch: str | None = None


def repository(raw: str | None) -> str | None:
    """`owner/name` from GITHUB_REPOSITORY, or None when it is missing or not a repository's name."""
    parts = (raw or "").strip().split("/")
    if len(parts) != 2 or not all(_REPOSITORY_PART.fullmatch(part) and part not in (".", "..") for part in parts):
        return None
    return "/".join(parts)


def workflow_run_url(env: Mapping[str, str], *, attempt: bool = False) -> str | None:
    """The workflow run's page, GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID (with
    `/attempts/N` past the first attempt, when asked), or None unless every part is beyond doubt."""
    server, repo = link_root(env.get("GITHUB_SERVER_URL")), repository(env.get("GITHUB_REPOSITORY"))
    run = env.get("GITHUB_RUN_ID", "").strip()
    if not (server and repo and _NUMBER.fullmatch(run)):
        return None
    url = f"{server}/{repo}/actions/runs/{run}"
    tries = env.get("GITHUB_RUN_ATTEMPT", "").strip()
    if attempt and _NUMBER.fullmatch(tries) and tries.lstrip("0") not in ("", "1"):
        url += f"/attempts/{tries}"
    return link_address(url)


def _github(env: Mapping[str, str]) -> CiInfo:
    # On a pull request the head branch is what the reader knows the change by.
    branch = env.get("GITHUB_HEAD_REF") or env.get("GITHUB_REF_NAME")
    return CiInfo("GitHub Actions", workflow_run_url(env, attempt=True), env.get("GITHUB_SHA"), branch)


def _buildkite(env: Mapping[str, str]) -> CiInfo:
    url = link_address(env.get("BUILDKITE_BUILD_URL"))
    job = env.get("BUILDKITE_JOB_ID", "")
    if url and "#" not in url and _JOB_ID.fullmatch(job):
        url = link_address(f"{url}#{job}")
    return CiInfo("Buildkite", url, env.get("BUILDKITE_COMMIT"), env.get("BUILDKITE_BRANCH"))


def _jenkins(env: Mapping[str, str]) -> CiInfo:
    branch = env.get("BRANCH_NAME") or env.get("GIT_BRANCH")
    return CiInfo("Jenkins", link_address(env.get("BUILD_URL")), env.get("GIT_COMMIT"), branch)


def detect(env: Mapping[str, str]) -> CiInfo | None:
    """The CI system named by its own variables, or None on a developer's machine. A job's link that is not
    an http(s) address beyond doubt (`javascript:...`) is left out: the gate shows it nowhere."""
    if env.get("GITHUB_ACTIONS") == "true":
        return _github(env)
    if env.get("GITLAB_CI"):
        branch = env.get("CI_COMMIT_REF_NAME") or env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
        return CiInfo("GitLab CI", link_address(env.get("CI_JOB_URL")), env.get("CI_COMMIT_SHA"), branch)
    if env.get("CIRCLECI"):
        url = link_address(env.get("CIRCLE_BUILD_URL"))
        return CiInfo("CircleCI", url, env.get("CIRCLE_SHA1"), env.get("CIRCLE_BRANCH"))
    if env.get("BUILDKITE"):
        return _buildkite(env)
    if env.get("JENKINS_URL"):
        return _jenkins(env)
    return None
