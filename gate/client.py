"""PlaydashClient: NeetoPlaydash's calls, on the one transport, each retried with the one retry within the deadline.

What is the client's own: the API's root and key, what its statuses mean, and its messages.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import quote

from gate.answers import RETRY_AFTER_CAP, error_text, parse_retry_after, refused
from gate.bounded import HISTORY_ANSWER, PARSING, RUN_ANSWER, Limit, OverLimit, decode, parse
from gate.deadline import Deadline, TimeUp
from gate.errors import ApiUnavailableError, SetupError, UnusableAnswerError
from gate.flight import InFlight
from gate.model import parse_run_list
from gate.plural import plural
from gate.redact import Redactor
from gate.redirects import MAX_REDIRECTS, api_origin
from gate.retry import MIN_REQUEST_SECONDS, RETRY_JITTER, Backoff, NoTimeToSend, TransientFault, Tried, retry
from gate.text import server_text
from gate.transport import EndlessRedirects, Reply, Transport, Unresolved

# How long past the deadline an attempt may run before it is abandoned.
DEADLINE_GRACE = 0.25
# A host name that has never resolved during this gate is a typo, not an outage: give up after this many
# consecutive failures to resolve it, or this long after the first, whichever comes first.
MAX_UNRESOLVED_ATTEMPTS = 3
MAX_UNRESOLVED_SECONDS = 60.0
# Attempts at one test's result histories: a history API that is down makes the test unknown, soon.
HISTORY_ATTEMPTS = 3
# Whom a refusal to send names: the secret, and the setting of the address.
NAMES = ("the key", "--base-url (PLAYDASH_BASE_URL)")
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
_REFUSED_HINTS = {
    400: "the API refused the request as malformed; check the project id and the run id",
    401: "the API key was refused; check the key's secret (PLAYDASH_API_KEY, or the action's `api-key`) and that "
    "it belongs to this workspace (base URL or subdomain)",
    403: "the API key is not allowed to read this project; check the key's workspace and permissions",
    404: "the project or run was not found; check the project id, the run id and the workspace (base URL or subdomain)",
    422: "the API refused the request's parameters; check the project id and the run id",
}


@dataclass(frozen=True)
class Reading:
    """How one call's answer is read: its bounds, and what it is turned into as it is read."""

    limit: Limit
    convert: Callable[[Any], Any] | None


class PlaydashClient:
    """Reads NeetoPlaydash's external API; every call respects one overall deadline."""

    def __init__(
        self,
        api_root: str,
        api_key: str,
        deadline: Deadline,
        *,
        user_agent: str = "playdash-gate",
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        debug: Callable[[str], None] | None = None,
        on_retry: Callable[[str, int, float], None] | None = None,
        in_flight: InFlight | None = None,
    ) -> None:
        """`in_flight`: the one bound on requests in flight that the runs of a gate share (each request holds a
        place of it while it is sent and read)."""
        self.api_root = api_root.rstrip("/")
        # Every request takes a place in the gate's one bound on requests in flight (its own, when not given).
        self.in_flight = in_flight or InFlight(deadline)
        # Every text the server sends is redacted where it enters the gate, before any cut or escape.
        self.redactor = Redactor([api_key])
        self.deadline = deadline
        self.sleep = sleep
        self.backoff = Backoff(backoff_initial, backoff_max, RETRY_JITTER, rng or random.Random())
        said = debug or (lambda _message: None)
        self.debug: Callable[[str], None] = lambda message: said(self.redactor.text(message))
        # Told of every wait after a transient fault (what the API answered, attempts so far, the wait), even
        # without --debug: the job shows a burst of trouble, so that an outage is never a silent console.
        self.on_retry = on_retry
        headers = {"X-Api-Key": api_key, "Accept": "application/json", "User-Agent": user_agent}
        self.transport = Transport(
            api_origin(self.api_root),
            headers,
            deadline,
            self.redactor,
            names=NAMES,
            late="the deadline came before the request could be sent",
            debug=self.debug,
            connections=self.in_flight.limit,
        )
        self._lock = threading.Lock()
        # How often (and since when) the API's host name has failed to resolve, while it never has.
        self._unresolved = 0
        self._first_unresolved: float | None = None

    @property
    def requests_made(self) -> int:
        """Requests sent so far (redirects followed count too)."""
        return self.transport.requests_made

    def close(self) -> None:
        """Release the connection pool."""
        self.transport.close()

    def get_run(
        self, project_id: str, run_id: str, *, convert: Callable[[Any], Any] | None = None, **params: str | int
    ) -> Any:
        """`GET /projects/{project_id}/runs/{run_id}` with optional status/page/page_size, as JSON (or as
        `convert` makes it, while the answer is read: see `get_json`)."""
        path = f"/projects/{quote(project_id, safe='')}/runs/{quote(run_id, safe='')}"
        return self.get_json(path, params, convert=convert)

    def result_histories(
        self,
        project_id: str,
        run_id: str,
        test_id: str,
        *,
        days: int,
        anchor: str,
        convert: Callable[[Any], Any] | None = None,
    ) -> Any:
        """`GET .../runs/{run_id}/test_entities/{test_id}/result_histories` for a window of `days` ending at
        `anchor`, as JSON or `convert`ed (retries, redirects and redaction as for Get run; its own bounds)."""
        path = (
            f"/projects/{quote(project_id, safe='')}/runs/{quote(run_id, safe='')}"
            f"/test_entities/{quote(test_id, safe='')}/result_histories"
        )
        # A lookup that keeps failing can only ever make a test unknown: a few attempts, not the whole deadline.
        return self.get_json(
            path,
            {"days": days, "result_history_started_at": anchor},
            attempts=HISTORY_ATTEMPTS,
            limit=HISTORY_ANSWER,
            convert=convert,
        )

    def list_runs(self, project_id: str, page: int, page_size: int = 100) -> tuple[list[Mapping[str, Any]], int]:
        """One page of List runs, newest first, as (runs, total_pages) (see `gate.model.parse_run_list`)."""
        # Both spellings of the page: NeetoPlaydash's pagination page says `page_number`, its Get run page `page`.
        query = {"page": page, "page_number": page, "page_size": page_size}
        return parse_run_list(self.get_json(f"/projects/{quote(project_id, safe='')}/runs", query), page)

    def get_json(
        self,
        path: str,
        params: Mapping[str, str | int] | None = None,
        *,
        attempts: int | None = None,
        limit: Limit = RUN_ANSWER,
        convert: Callable[[Any], Any] | None = None,
    ) -> Any:
        """GET a path under the API root; transient faults are retried with backoff until the deadline (or
        until `attempts` were made). The answer is read within `limit`; `convert` (a parser of the model)
        turns it into what is kept while it is read, so that the answer's values never outlive it."""
        query = dict(params or {})
        reading = Reading(limit, convert)

        def attempt() -> Any:
            # Socket timeouts bound each read, not the whole answer: a server that trickles its answer is
            # left behind at the deadline (its connection closed with the process).
            try:
                return self.deadline.within(
                    lambda: self._attempt(path, query, reading), grace=DEADLINE_GRACE, name="request"
                )
            except TimeUp:
                raise TransientFault("the answer was still arriving when the deadline came") from None
            except TransientFault as fault:
                asked = fault.retry_after
                if (
                    asked is not None
                    and self.backoff.honours(asked)
                    and asked + MIN_REQUEST_SECONDS < self.deadline.remaining()
                ):
                    # The server asked for a pause: every request sharing the bound waits it out, not this one alone.
                    # A pause past the deadline is waited by no one: it would hold every other run and lookup
                    # back until the deadline, and end them unanswered, for a request that can only give up.
                    self.in_flight.pause(asked)
                raise

        return retry(
            attempt,
            self.deadline,
            self.backoff,
            sleep=self.sleep,
            budget=attempts,
            on_wait=self._waiting,
            give_up=self._give_up,
        )

    def _waiting(self, tried: Tried, wait: float) -> None:
        self.debug(f"transient fault ({tried.fault}); retrying in {wait:.1f}s")
        if self.on_retry is not None and tried.fault is not None:
            self.on_retry(tried.fault.description, tried.attempts, wait)

    def _give_up(self, tried: Tried) -> NoReturn:
        fault, answered = tried.fault, tried.answered
        if isinstance(fault, NoTimeToSend) and answered is not None:
            # What the API last did is what the user needs, not that the deadline then stopped a retry.
            fault = TransientFault(f"{answered.description}; then {fault.description}", answered.retry_after)
        if fault is not None and (fault.retry_after or 0) >= self.deadline.remaining() > 0:
            raise ApiUnavailableError(
                f"the API is unavailable: it asked the gate to wait {_asked_wait(fault.retry_after or 0)} "
                f"(Retry-After), beyond the deadline ({self.deadline.remaining():.0f}s left); last answer: "
                f"{fault.description}. Try again later or raise --timeout"
            )
        raise ApiUnavailableError(
            f"the API stayed unavailable until the deadline ({plural(tried.attempts, 'attempt')}; "
            f"last: {fault}). Check NeetoPlaydash's status and the network, or raise --timeout"
        )

    def _attempt(self, path: str, params: dict[str, str | int], reading: Reading) -> Any:
        try:
            # The place is held until the body is read; decoding and parsing it leave the place to another.
            with (
                self.in_flight.place(),
                self.transport.request("GET", self.api_root + path, params=params, limit=reading.limit) as reply,
            ):
                body = read_body(reply, reading.limit)
            return read_answer(reply, body, self.redactor, reading)
        except Unresolved as fault:
            self._unresolved_host(fault.reason)
            raise
        except EndlessRedirects:
            raise SetupError(
                f"the API redirected more than {MAX_REDIRECTS} times; check --base-url (PLAYDASH_BASE_URL)"
            ) from None

    def _unresolved_host(self, reason: str) -> None:
        """Count a failure to resolve the API's host name; a name that never resolved soon ends the gate.

        A name that resolved earlier in this gate is a DNS hiccup and stays transient; one that never
        did is almost surely a mistyped subdomain or address, which no wait until the deadline would fix.
        """
        with self._lock:
            if self.transport.reached:
                return
            self._unresolved += 1
            now = self.deadline.elapsed()
            if self._first_unresolved is None:
                self._first_unresolved = now
            failures, since = self._unresolved, now - self._first_unresolved
        if failures >= MAX_UNRESOLVED_ATTEMPTS or since >= MAX_UNRESOLVED_SECONDS:
            raise SetupError(
                f"the API's host name {self.transport.origin.host} could not be resolved ({reason}; "
                f"{plural(failures, 'attempt')} over {since:.0f}s) and never has during this gate. Check the "
                "workspace: --subdomain (PLAYDASH_SUBDOMAIN, the action's `subdomain`) or --base-url "
                "(PLAYDASH_BASE_URL, `base-url`); if it is right, check the runner's DNS and network"
            )


def read_body(reply: Reply, limit: Limit) -> bytearray:
    """The answer's body, read within its limit (UnusableAnswerError past it)."""
    try:
        return reply.read()
    except OverLimit as exc:
        raise UnusableAnswerError(refused(f"the API's {limit.what}", exc)) from None


def read_answer(reply: Reply, body: bytearray, redactor: Redactor, reading: Reading) -> Any:
    """The JSON of a 2xx answer (its body read), redacted, then `convert`ed (to a page of tests, say);
    TransientFault, SetupError or UnusableAnswerError otherwise.

    The body arrives alongside the others in flight; it is decoded, built and converted one answer at a
    time (`PARSING`), so that only one answer at once holds its bytes, its text and its values.
    """
    status, limit = reply.status, reading.limit
    with PARSING:
        if status in RETRIED_STATUSES or 500 <= status < 600:
            reason = server_text(reply.reason, redactor, 100)
            raise TransientFault(f"HTTP {status} {reason}".strip(), parse_retry_after(reply.headers.get("Retry-After")))
        if 400 <= status < 500:
            hint = _REFUSED_HINTS.get(status, "the API refused the request; check the flags naming the run")
            said = error_text(body, redactor=redactor, bounds=limit)
            raise SetupError(f"HTTP {status}: {hint}" + (f" (the API said: {said})" if said else ""))
        if not 200 <= status < 300:
            raise UnusableAnswerError(f"the API answered HTTP {status}, which the gate cannot use")
        size = len(body)
        try:
            text = decode(body, limit)
            body.clear()  # the bytes go before the values are built (the caller holds the array too)
            # No escape in the text: its strings are its text as it stands, and that holds no secret.
            clean = "\\" not in text and redactor.clean(text)
            data = parse(text)
            del text
        except OverLimit as exc:
            raise UnusableAnswerError(refused(f"the API's {limit.what}", exc)) from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            # Not JSON at all (a proxy's HTML page, an answer cut short): worth another attempt.
            kind = server_text(reply.headers.get("Content-Type", "no content type").split(";")[0], redactor, 60)
            raise TransientFault(f"HTTP {status} but the body is not JSON ({kind}, {plural(size, 'byte')})") from None
        except (ValueError, RecursionError, OverflowError) as exc:
            # JSON the gate cannot hold (absurd nesting): the same answer would come again.
            raise UnusableAnswerError(
                f"the API's answer cannot be used: {_unreadable(exc)}. The gate does not guess a verdict from it; "
                "retry later, and report it to NeetoPlaydash if it persists"
            ) from None
        data = data if clean else redactor.data(data)
        return reading.convert(data) if reading.convert else data


def _unreadable(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "it is nested too deeply to read"
    return f"it could not be read ({type(exc).__name__})"


def _asked_wait(seconds: float) -> str:
    """A Retry-After wait for a message: in seconds, or in words when absurd (never `infs` nor 400 digits)."""
    if not math.isfinite(seconds) or seconds >= RETRY_AFTER_CAP:
        return "for centuries"  # RETRY_AFTER_CAP is over 300 years
    return f"{seconds:.0f}s"
