"""One comment per key on a pull request: the gate's newest carrying its marker is updated, else one is written."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from gate.comment.api import GitHubApi, Refused
from gate.comment.target import MAX_NUMBER, Place
from gate.text import link_address

Action = Literal["created", "updated", "unchanged"]
# Comment ids are 64-bit.
MAX_COMMENT_ID = 2**63 - 1
# The login of the bot that writes with a workflow's own token (GITHUB_TOKEN).
ACTIONS_BOT = "github-actions[bot]"
# People whose comment carrying the marker may be the gate's, written with their personal access token.
TRUSTED_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})


@dataclass(frozen=True)
class Written:
    """What became of the comment: created, updated, or left alone (on-failure, a pass, no earlier comment)."""

    action: Action
    url: str | None = None


def own_comment(comments: Iterable[Mapping[str, Any]], marker: str, former: str | None = None) -> int | None:
    """The id of the newest comment carrying exactly this marker and written by the gate's kind of author, or None.

    The marker is predictable (workflow, job and project are public), so carrying it is not enough: only a
    bot's comment (the workflow's token, a GitHub App's; GitHub's own Actions bot first) or one by the
    repository's owner, a member or a collaborator (a personal access token writes as a person) is the
    gate's. A marker copied by anyone else is ignored, and the gate writes a comment of its own.
    Without one carrying `marker`, the gate's newest carrying `former` (the key before the project was
    known) is its comment.
    """
    best: tuple[int, int, int] | None = None
    for comment in comments:
        body, comment_id = comment.get("body"), comment.get("id")
        if not isinstance(body, str):
            continue
        # The gate writes its marker as the first line: a comment that quotes or mentions it is not the gate's.
        first_line = body.split("\n", 1)[0].strip()
        if first_line == marker:
            by_marker = 2
        elif former is not None and first_line == former:
            by_marker = 1
        else:
            continue
        if not isinstance(comment_id, int) or isinstance(comment_id, bool) or not 0 < comment_id <= MAX_COMMENT_ID:
            continue
        by_author = author_rank(comment)
        if by_author and (best is None or (by_marker, by_author, comment_id) > best):
            best = (by_marker, by_author, comment_id)
    return None if best is None else best[2]


def author_rank(comment: Mapping[str, Any]) -> int:
    """How surely the comment's author is the gate: 2 GitHub Actions' bot, 1 another bot or the repository's
    people (owner, member, collaborator), 0 anyone else (whose comment is never taken for the gate's)."""
    user = comment.get("user")
    if isinstance(user, Mapping) and user.get("type") == "Bot":
        return 2 if user.get("login") == ACTIONS_BOT else 1
    association = comment.get("author_association")
    return 1 if isinstance(association, str) and association in TRUSTED_ASSOCIATIONS else 0


def comment_address(data: Any, server: str | None) -> str | None:
    """The comment's `html_url` from GitHub's answer when it is a link address (gate/links.py) on the GitHub
    server (`server`, from GITHUB_SERVER_URL) with its scheme and port; else None."""
    url = link_address(data.get("html_url")) if isinstance(data, Mapping) else None
    server = link_address(server)
    return url if url is not None and server is not None and _site(url) == _site(server) else None


def _site(address: str) -> tuple[str, str, int]:
    """Scheme, host and port (the scheme's default when none is written) of a link address."""
    parts = urlsplit(address)
    return parts.scheme, parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def write(
    api: GitHubApi, place: Place, marker: str, body: str, *, write_new: bool, former: str | None = None
) -> Written:
    """Update the gate's comment, or write one when `write_new`; the whole exchange is retried on transient faults.

    Retrying from the listing, not just the write, means a write whose answer was lost is found, and
    updated, rather than written twice. A comment found by the `former` marker gets `marker` with the body.
    """
    assert 0 < place.number <= MAX_NUMBER

    def once() -> Written:
        found = own_comment(api.comments(place.comments_url), marker, former)
        if found is None and not write_new:
            return Written("unchanged")
        if found is not None:
            try:
                answer = api.request("PATCH", place.comment_url(found), {"body": body})
                return Written("updated", comment_address(answer.data, place.server))
            except Refused as refused:
                # Deleted since the listing (which the token could read, so the repository is no mistake):
                # a comment anew, as if none had been found.
                if refused.status != 404:
                    raise
            if not write_new:
                return Written("unchanged")
        answer = api.request("POST", place.comments_url, {"body": body})
        return Written("created", comment_address(answer.data, place.server))

    return api.retrying(once)
