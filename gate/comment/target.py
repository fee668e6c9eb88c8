"""Where the comment goes: its settings checked, the pull request, the repository, the API, and the gate's marker."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote, urlsplit

from gate.ci import repository
from gate.errors import SetupError
from gate.event import UnreadableEvent, read_event
from gate.redact import Redactor
from gate.redirects import Origin, UnfollowableUrl, connection_origin, prepared_url
from gate.settings import Sources, github_token, is_loopback, quoted, run_names

Mode = Literal["off", "always", "on-failure"]
MODES: tuple[Mode, ...] = ("off", "always", "on-failure")
DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"
# Issue and pull request numbers are 32-bit in GitHub's API.
MAX_NUMBER = 2**31 - 1
PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")
MARKER_PREFIX = "<!-- playdash-gate: "
MARKER_SUFFIX = " -->"
# What a key given by the user may hold: nothing that could end the HTML comment or start markup.
# (Each is used with fullmatch: `$` would let a trailing newline through.)
_KEY = re.compile(r"[A-Za-z0-9 ._:/@+=,()-]{1,100}")
_NUMBER = re.compile(r"[0-9]{1,10}")


@dataclass(frozen=True)
class CommentOptions:
    """When to comment, on which pull request (None: from the event), and under which key (None: the default)."""

    mode: Mode
    pull_request: int | None = None
    key: str | None = None


def comment_options(sources: Sources) -> CommentOptions:
    """The comment's settings, checked; a bad value is a SetupError naming the flag, input and variable."""
    raw, name = sources.value("comment")
    mode = (raw or "off").strip().lower()
    if mode not in MODES:
        raise SetupError(
            f"{name} must be off (the default), always or on-failure, not {quoted(raw or '')} "
            f"(set by {sources.label('comment')})"
        )
    number = None
    raw_number, number_name = sources.value("pull_request")
    if raw_number is not None:
        number = pull_request_number(raw_number.strip())
        if number is None:
            raise SetupError(
                f"{number_name} must be a pull request's number such as 42, not {quoted(raw_number)} "
                f"(set by {sources.label('pull_request')})"
            )
    if mode != "off":
        # Checked with the other settings, before any request: a token no header can carry is a set-up error.
        github_token(sources)
    key = None
    raw_key, key_name = sources.value("comment_key")
    if raw_key is not None:
        key = raw_key.strip()
        if not _KEY.fullmatch(key) or "--" in key:
            raise SetupError(
                f"{key_name} must be 1 to 100 letters, digits, spaces or . _ : / @ + = , ( ) - (no `--`), "
                f"not {quoted(raw_key)} (set by {sources.label('comment_key')})"
            )
        if not secret_free(key, sources):
            # Redacted in the marker, it would never be found again: a new comment on every run.
            raise SetupError(
                f"{key_name} holds part of the API key or of the GitHub token, which the gate never writes "
                f"anywhere: choose another key (set by {sources.label('comment_key')})"
            )
    return CommentOptions(mode, number, key)


def secret_free(text: str, sources: Sources) -> bool:
    """Whether the text holds no part of the API key or of the GitHub token that the gate would redact."""
    api_key, _name = sources.value("api_key")
    return Redactor([api_key, comment_token(sources)]).clean(text)


def comment_token(sources: Sources) -> str | None:
    """The GitHub token when commenting may be on (any --comment but off): it must be masked before anything."""
    raw_mode, _name = sources.value("comment")
    if (raw_mode or "off").strip().lower() == "off":
        return None
    token, _name = sources.value("github_token")
    return token.strip() if token and token.strip() else None


def pull_request_number(text: str) -> int | None:
    """A pull request number from text: digits only, 1 to 2**31 - 1, else None."""
    if not _NUMBER.fullmatch(text):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_NUMBER else None


def event_pull_request(env: Mapping[str, str]) -> int | None:
    """`.pull_request.number` of the event payload for pull_request and pull_request_target; None for other events.

    The payload is untrusted (`gate.event`): only a true integer in range is taken; else UnreadableEvent says why.
    """
    if env.get("GITHUB_EVENT_NAME") not in PULL_REQUEST_EVENTS:
        return None
    payload = read_event(env)
    pull = payload.get("pull_request") if isinstance(payload, dict) else None
    number = pull.get("number") if isinstance(pull, dict) else None
    if isinstance(number, int) and not isinstance(number, bool) and 1 <= number <= MAX_NUMBER:
        return number
    raise UnreadableEvent(f"it holds no `pull_request.number` that is a whole number from 1 to {MAX_NUMBER}")


@dataclass(frozen=True)
class Place:
    """Where the comment goes: the API's root and origin, the repository, the pull request, and the token."""

    api_root: str
    origin: Origin
    repository: str
    number: int
    token: str = field(repr=False)
    # The web server (GITHUB_SERVER_URL): the only one a comment's address from GitHub may be on; None if unusable.
    server: str | None = DEFAULT_SERVER_URL

    @property
    def comments_url(self) -> str:
        """The pull request's conversation comments (a pull request is an issue)."""
        return f"{self.api_root}/repos/{self.repository}/issues/{self.number}/comments"

    def comment_url(self, comment_id: int) -> str:
        """One comment, to update it."""
        return f"{self.api_root}/repos/{self.repository}/issues/comments/{comment_id}"


@dataclass(frozen=True)
class Skip:
    """Why no request is made: a note (no pull request) or a warning (no token, no repository, a bad address)."""

    message: str
    warning: bool


def api_root(raw: str | None) -> tuple[str, Origin]:
    """GITHUB_API_URL (default api.github.com) checked: https, or http to loopback only; ValueError if not."""
    text = (raw or "").strip() or DEFAULT_API_URL
    if any(char == "\\" or char.isspace() or not char.isprintable() for char in text):
        raise ValueError("it holds a backslash, a space or a control character")
    parts = urlsplit(text)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError("it is not an http:// or https:// address")
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        raise ValueError("it holds a user name, a password, a query or a fragment")
    if parts.scheme == "http" and not is_loopback(host):
        raise ValueError("plain http:// is allowed only to 127.0.0.1, localhost and ::1, since the token travels")
    root = text.rstrip("/")
    try:
        return root, connection_origin(prepared_url(root))
    except UnfollowableUrl as exc:
        raise ValueError(str(exc)) from None


def web_address(raw: str | None) -> str | None:
    """GitHub's web address from GITHUB_SERVER_URL, as strictly as its API's (https, or http to loopback only),
    else None: the comment's address is taken from GitHub's answer only when it is on this server."""
    try:
        return api_root(raw)[0] if raw and raw.strip() else None
    except ValueError:
        return None


def locate(options: CommentOptions, sources: Sources) -> Place | Skip:
    """Where to comment, or why not: no pull request is a note; no token, repository or usable API a warning."""
    env = sources.env
    if env.get("GITHUB_EVENT_NAME") == "merge_group":
        # The queue tests a merge of several pull requests: a comment on one of them would say what is not its own.
        return Skip(
            "not written on a merge queue run (merge_group): the verdict is the queue's required check",
            warning=False,
        )
    try:
        number = options.pull_request or event_pull_request(env)
    except UnreadableEvent as exc:
        return Skip(
            f"the event payload (GITHUB_EVENT_PATH) could not be read: {exc}; so the pull request of this "
            f"{quoted(env.get('GITHUB_EVENT_NAME', ''))} event is unknown and no comment is written. "
            f"Give its number with {sources.label('pull_request')}",
            warning=True,
        )
    if number is None:
        event = quoted(env.get("GITHUB_EVENT_NAME", "") or "none")
        return Skip(
            f"no pull request to comment on (event {event}); the comment is written on pull_request and "
            f"pull_request_target events, or on the one given by {sources.label('pull_request')}",
            warning=False,
        )
    token = comment_token(sources) or ""
    if not token:
        return Skip(
            "no usable GitHub token to comment with: give the action's `github-token` input (its default, "
            "${{ github.token }}, works) or GITHUB_TOKEN, with `permissions: pull-requests: write`",
            warning=True,
        )
    try:
        github_token(sources)  # its shape: a set-up error at the start already (comment_options)
    except SetupError as exc:
        return Skip(exc.message, warning=True)
    repo = repository(env.get("GITHUB_REPOSITORY"))
    if repo is None:
        return Skip(
            f"GITHUB_REPOSITORY ({quoted(env.get('GITHUB_REPOSITORY', ''))}) does not name a repository as "
            "owner/name, so there is nowhere to comment; GitHub Actions sets it, set it yourself elsewhere",
            warning=True,
        )
    try:
        root, origin = api_root(env.get("GITHUB_API_URL"))
    except ValueError as exc:
        return Skip(
            f"GITHUB_API_URL ({quoted(env.get('GITHUB_API_URL', ''))}) is not usable: {exc}; "
            "the token is sent nowhere else than GitHub's API",
            warning=True,
        )
    raw_server = env.get("GITHUB_SERVER_URL", "")
    server = web_address(raw_server) if raw_server.strip() else DEFAULT_SERVER_URL
    return Place(root, origin, repo, number, token, server)


def comment_key(options: CommentOptions, env: Mapping[str, str], project_id: str | None) -> str:
    """The key of this gate's comment: the one given, else workflow, job and project (each made inert)."""
    if options.key:
        return options.key
    parts = (env.get("GITHUB_WORKFLOW", ""), env.get("GITHUB_JOB", ""), project_id or "")
    return " / ".join(quote(part.strip()[:100], safe=" ._:/@+=,()") or "-" for part in parts)


def settled_key(sources: Sources, project_id: str | None) -> str:
    """The comment's key as the settings give it, read leniently (a bad --comment-key is a set-up error said
    elsewhere): the comment file's marker is the posted comment's."""
    try:
        options = comment_options(sources)
    except SetupError:
        options = CommentOptions("off")
    return comment_key(options, sources.env, project_id or project_of(sources))


def former_key(options: CommentOptions, env: Mapping[str, str], project_id: str | None) -> str | None:
    """The default key with the project unknown (`-`), which a set-up error before the project was known gave
    the comment; None when a key is given or the project is still unknown. The gate takes that comment over."""
    if options.key or not project_id:
        return None
    unknown = comment_key(options, env, None)
    return unknown if unknown != comment_key(options, env, project_id) else None


def marker(key: str) -> str:
    """The hidden marker the gate finds its own comment by."""
    return f"{MARKER_PREFIX}{key}{MARKER_SUFFIX}"


def project_of(sources: Sources) -> str | None:
    """The project's id as the settings name it (the projects', `+` between them, when the gate judges several),
    read leniently (so that a set-up error keeps the same key)."""
    try:
        projects = dict.fromkeys(name.project_id for name in run_names(sources) if name.project_id)
    except SetupError:
        return None
    return "+".join(projects) or None
