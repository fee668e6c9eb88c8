"""Recognise the CI system the gate runs in, from the environment: its name, the job's link, commit and branch."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from gate.event import UnreadableEvent, branch_of_ref, read_event
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
    # The branch the change merges into: a pull request's base, a merge queue's target (None on a push).
    target_branch: str | None = None
    # Where the target branch came from, for a reader (`GITHUB_BASE_REF`, `merge_group.base_ref`, ...).
    target_source: str | None = None
    # A GitHub merge queue's run (`merge_group`): its own branch is a temporary one, never the target.
    merge_queue: bool = False


# What a branch name from the environment may be: a git ref's name has no control character nor space.
MAX_BRANCH = 255
# A merge queue's temporary branch: gh-readonly-queue/<base>/pr-<number>-<sha> (the base may hold slashes).
_QUEUE_BRANCH = re.compile(r"refs/heads/gh-readonly-queue/(?P<base>.+)/pr-[0-9]+-[0-9a-f]{40}")
_QUEUE_PART = re.compile(r"/pr-[0-9]+-[0-9a-f]{40}(/|$)")


def branch_name(value: object) -> str | None:
    """A branch name from the environment or a payload, stripped; None when empty, too long or not a name."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > MAX_BRANCH or any(ch.isspace() or not ch.isprintable() for ch in value):
        return None
    return value


def _merge_queue_target(env: Mapping[str, str]) -> tuple[str | None, str]:
    """A merge queue's target branch: `merge_group.base_ref` of the event payload, else the queue's branch."""
    try:
        payload = read_event(env)
    except UnreadableEvent:
        payload = None
    group = payload.get("merge_group") if isinstance(payload, dict) else None
    base = branch_of_ref(group.get("base_ref")) if isinstance(group, dict) else None
    if branch_name(base):
        return branch_name(base), "merge_group.base_ref"
    ref = env.get("GITHUB_REF", "")
    queued = _QUEUE_BRANCH.fullmatch(ref) if len(ref) <= 2 * MAX_BRANCH else None
    # A base that itself reads as a queue's branch part (`main/pr-1-<sha>`) could be cut in two ways: none.
    base = branch_name(queued["base"]) if queued and not _QUEUE_PART.search(queued["base"]) else None
    return (base, "GITHUB_REF (the merge queue's branch)") if base else (None, "")


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
    target, source = _from(env, "GITHUB_BASE_REF")
    queue = env.get("GITHUB_EVENT_NAME") == "merge_group"
    if queue:
        target, source = _merge_queue_target(env)
    url = workflow_run_url(env, attempt=True)
    return CiInfo("GitHub Actions", url, env.get("GITHUB_SHA"), branch, target, source, merge_queue=queue)


def _buildkite(env: Mapping[str, str]) -> CiInfo:
    url = link_address(env.get("BUILDKITE_BUILD_URL"))
    job = env.get("BUILDKITE_JOB_ID", "")
    if url and "#" not in url and _JOB_ID.fullmatch(job):
        url = link_address(f"{url}#{job}")
    target, source = _from(env, "BUILDKITE_PULL_REQUEST_BASE_BRANCH")
    return CiInfo("Buildkite", url, env.get("BUILDKITE_COMMIT"), env.get("BUILDKITE_BRANCH"), target, source)


def _jenkins(env: Mapping[str, str]) -> CiInfo:
    branch = env.get("BRANCH_NAME") or env.get("GIT_BRANCH")
    target, source = _from(env, "CHANGE_TARGET")  # a multibranch pipeline's pull request
    return CiInfo("Jenkins", link_address(env.get("BUILD_URL")), env.get("GIT_COMMIT"), branch, target, source)


def _from(env: Mapping[str, str], name: str) -> tuple[str | None, str | None]:
    value = branch_name(env.get(name))
    return (value, name) if value else (None, None)


def detect(env: Mapping[str, str]) -> CiInfo | None:
    """The CI system named by its own variables, or None on a developer's machine. A job's link that is not
    an http(s) address beyond doubt (`javascript:...`) is left out: the gate shows it nowhere."""
    if env.get("GITHUB_ACTIONS") == "true":
        return _github(env)
    if env.get("GITLAB_CI"):
        branch = env.get("CI_COMMIT_REF_NAME") or env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
        target, source = _from(env, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
        url = link_address(env.get("CI_JOB_URL"))
        return CiInfo("GitLab CI", url, env.get("CI_COMMIT_SHA"), branch, target, source)
    if env.get("CIRCLECI"):
        url = link_address(env.get("CIRCLE_BUILD_URL"))
        return CiInfo("CircleCI", url, env.get("CIRCLE_SHA1"), env.get("CIRCLE_BRANCH"))
    if env.get("BUILDKITE"):
        return _buildkite(env)
    if env.get("JENKINS_URL"):
        return _jenkins(env)
    return None
