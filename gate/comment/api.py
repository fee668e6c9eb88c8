"""GitHub's REST API for one pull request's comments: GitHub's headers, statuses and messages, on the one transport.

Where a request may go and how its answer is read is `gate.transport`'s (as for NeetoPlaydash), within
`gate.bounded`'s limits; faults are retried with the gate's one retry, within a deadline of the comment's own.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar
from urllib.parse import urljoin

from gate.answers import parse_retry_after
from gate.bounded import GITHUB_ANSWER, OverLimit, loads, take_json
from gate.deadline import Deadline
from gate.redact import Redactor
from gate.redirects import MAX_REDIRECTS, Origin, UnfollowableUrl, connection_origin
from gate.redirects import prepared_url as prepare
from gate.retry import MIN_REQUEST_SECONDS, RETRY_JITTER, Backoff, TransientFault, Tried, retry
from gate.text import server_text
from gate.transport import EndlessRedirects, Reply, Transport, link_to

T = TypeVar("T")
# What a refusal to send the token names: the secret, and the setting of the address.
NAMES = ("the GitHub token", "GITHUB_API_URL")
# A pull request with more comments than this (100 a page) is not read to its end: see `comments`.
MAX_PAGES = 50
PER_PAGE = 100
# A Link header longer than this is not read (GitHub's name a few pages, in a few hundred characters).
MAX_LINK_CHARS = 16_384


class Refused(Exception):
    """GitHub refused the request (a 4xx that is not a rate limit): `status`, and what it said."""

    def __init__(self, status: int, said: str) -> None:
        super().__init__(f"HTTP {status}" + (f": {said}" if said else ""))
        self.status = status
        self.said = said


class Unusable(Exception):
    """An answer or a link the gate will not act on: not the JSON expected, another origin, too many pages."""


class Unavailable(Exception):
    """GitHub stayed unavailable (429, 5xx, the network) until the comment's deadline, or asked (`asked`, its
    Retry-After in seconds) for a wait longer than the time left (`left`)."""

    def __init__(self, attempts: int, last: str, asked: float | None = None, left: float = 0.0) -> None:
        super().__init__(f"{attempts} attempt{'s' if attempts != 1 else ''}; last: {last}")
        self.asked, self.left = asked, left


@dataclass(frozen=True)
class Answer:
    """A 2xx answer: its JSON (redacted) and its `Link` header."""

    data: Any
    link: str


class GitHubApi:
    """The few calls a sticky comment needs, with GitHub's headers, on one origin, within one deadline."""

    def __init__(
        self,
        origin: Origin,
        token: str,
        deadline: Deadline,
        *,
        user_agent: str = "playdash-gate",
        sleep: Callable[[float], None] | None = None,
        rng: random.Random | None = None,
        first_wait: float = 1.0,
        max_wait: float = 8.0,
    ) -> None:
        # What was asked and answered, for --debug (RUNNER_DEBUG=1): read once the work is done.
        self.log: list[str] = []
        self.deadline = deadline
        self.redactor = Redactor([token])
        self.sleep = sleep or deadline.sleep
        self.backoff = Backoff(first_wait, max_wait, RETRY_JITTER, rng or random.Random())
        # Exactly the headers GitHub documents; the token only ever in Authorization, never in a URL.
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": user_agent,
        }
        self.transport = Transport(
            origin,
            headers,
            deadline,
            self.redactor,
            names=NAMES,
            late="the comment's time was up before the request could be sent",
            debug=lambda line: self.log.append(f"GitHub: {line}"),
        )

    def close(self) -> None:
        """Release the connection pool."""
        self.transport.close()

    def retrying(self, operation: Callable[[], T]) -> T:
        """Run `operation` until it does not meet a transient fault, with backoff, within the deadline."""
        return retry(
            operation,
            self.deadline,
            self.backoff,
            sleep=self.sleep,
            on_fault=lambda tried: self.log.append(f"GitHub: transient fault ({tried.fault})"),
            give_up=self._give_up,
        )

    def _give_up(self, tried: Tried) -> NoReturn:
        fault = tried.fault
        assert fault is not None  # only faults are retried
        left = self.deadline.remaining()
        # Named as GitHub's wish only when the wish itself leaves no time (not the backoff, nor its jitter).
        wish = fault.retry_after
        asked = wish if wish and wish + MIN_REQUEST_SECONDS >= left else None
        raise Unavailable(tried.attempts, fault.description, asked, left)

    def comments(self, first_url: str) -> Iterator[Mapping[str, Any]]:
        """Every comment of an issue, page by page, following `Link: rel="next"` on this origin only."""
        url = f"{first_url}?per_page={PER_PAGE}&page=1"
        seen = {url}
        for _page in range(MAX_PAGES):
            answer = self.request("GET", url)
            if not isinstance(answer.data, list):
                raise Unusable("the list of comments is not a JSON list")
            yield from (item for item in answer.data if isinstance(item, Mapping))
            following = next_link(answer.link)
            if following is None:
                return
            try:
                url = prepare(urljoin(url, following))
                same = connection_origin(url) == self.transport.origin
            except UnfollowableUrl as exc:
                raise Unusable(f"the next page's address is not usable ({exc})") from None
            if not same:
                raise Unusable("the next page of comments is on another origin; the token is not sent there")
            if url in seen:
                raise Unusable("the pages of comments repeat")
            seen.add(url)
        raise Unusable(
            f"the list of comments did not end within {MAX_PAGES} pages, where the gate stops reading "
            "(its comment may be on a later page)"
        )

    def request(self, method: str, url: str, body: Mapping[str, Any] | None = None) -> Answer:
        """One request, redirects followed on this origin only; TransientFault, Refused or Unusable otherwise."""
        try:
            with self.transport.request(method, url, json=body, limit=GITHUB_ANSWER) as reply:
                return self._read(reply, written=method != "GET")
        except EndlessRedirects:
            raise Unusable(f"GitHub redirected more than {MAX_REDIRECTS} times") from None

    def _read(self, reply: Reply, *, written: bool) -> Answer:
        status = reply.status
        try:
            body = reply.read()
            if not 200 <= status < 300:
                said = message(body, self.redactor, self.deadline)
                if status == 429 or 500 <= status < 600 or (status == 403 and rate_limited(reply.headers, said)):
                    reason = said or server_text(reply.reason, self.redactor, 100)
                    retry_after = parse_retry_after(reply.headers.get("Retry-After"))
                    raise TransientFault(f"HTTP {status} {reason}".strip(), retry_after)
                raise Refused(status, said)
            size = len(body)
            data = take_json(body, GITHUB_ANSWER)  # the longest page of comments: its bytes go as it is built
        except OverLimit as exc:
            if written and 200 <= status < 300:
                self.log.append(f"GitHub: HTTP {status} to a write, but the answer {exc.reason}")
                return Answer(None, "")
            raise Unusable(f"GitHub's answer {exc.reason}; the gate does not read it") from None
        except (ValueError, RecursionError, OverflowError):
            if written:
                # A 2xx to a write means written: trying again would write it again. Its address is unknown.
                self.log.append(f"GitHub: HTTP {status} to a write, but the body is not JSON ({size} bytes)")
                return Answer(None, "")
            raise TransientFault(f"HTTP {status} but the body is not JSON ({size} bytes)") from None
        # Within the comment's deadline: a page of escapes is long to read, and the work stops when time is up.
        return Answer(self.redactor.data(data, self.deadline), reply.headers.get("Link", ""))


def message(body: bytes | bytearray, redactor: Redactor, deadline: Deadline | None = None) -> str:
    """GitHub's error `message` (and the first error's), redacted (within the deadline) and cut, or ''."""
    try:
        data = loads(body, GITHUB_ANSWER)
    except (ValueError, RecursionError, OverflowError, OverLimit):
        return ""
    if not isinstance(data, Mapping):
        return ""
    parts = [data["message"]] if isinstance(data.get("message"), str) else []
    errors = data.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        first = errors[0].get("message") or errors[0].get("code")
        if isinstance(first, str):
            parts.append(first)
    return server_text(redactor.text(": ".join(parts), deadline), None, 200)


def rate_limited(headers: Mapping[str, str], said: str) -> bool:
    """Whether a 403 is GitHub's (secondary) rate limit, which is worth waiting for, not a refusal."""
    return (
        "Retry-After" in headers
        or headers.get("X-RateLimit-Remaining", "").strip() == "0"
        or "rate limit" in said.lower()
    )


def next_link(header: str) -> str | None:
    """The `rel="next"` address of a Link header, or None; Unusable when the header is past its bound."""
    if not header:
        return None
    if len(header) > MAX_LINK_CHARS:
        # Not "no next page": the gate's comment may be on the pages it cannot read.
        raise Unusable(f"the Link header of the list of comments is longer than {MAX_LINK_CHARS:,} characters")
    return link_to(header, "next")
