"""Reading the API's answers (through `gate.bounded`): their status, Retry-After, and the server's words made safe."""

from __future__ import annotations

import calendar
import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

import requests

from gate.bounded import (
    CHUNK,
    PARSING,
    RUN_ANSWER,
    Limit,
    OutOfTime,
    OverLimit,
    decode,
    loads,
    parse,
    read_chunks,
    too_large,
)
from gate.deadline import Deadline
from gate.errors import SetupError, UnusableAnswerError
from gate.plural import plural
from gate.redact import Redactor
from gate.text import SERVER_TEXT_LIMIT, server_text

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
# A Retry-After beyond this (or past year 9999, or too long to be a number) is "longer than any deadline";
# capping keeps it a finite number that arithmetic and messages can handle.
RETRY_AFTER_CAP = 10.0**10
# No zone is further than this from UTC (the farthest are +14:00 and -12:00); an offset beyond is no date.
MAX_ZONE_OFFSET = 24 * 3600
_DELAY_SECONDS = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_REFUSED_HINTS = {
    400: "the API refused the request as malformed; check the project id and the run id",
    401: "the API key was refused; check the key's secret (PLAYDASH_API_KEY, or the action's `api-key`) and that "
    "it belongs to this workspace (base URL or subdomain)",
    403: "the API key is not allowed to read this project; check the key's workspace and permissions",
    404: "the project or run was not found; check the project id, the run id and the workspace (base URL or subdomain)",
    422: "the API refused the request's parameters; check the project id and the run id",
}
_NETWORK_REASONS = (
    "Connection refused",
    "Connection reset",
    "Name or service not known",
    "Temporary failure in name resolution",
    "nodename nor servname",
    "Remote end closed",
    "IncompleteRead",
    "timed out",
    "Connection aborted",
)


class TransientFault(Exception):
    """A fault worth retrying (network, 429, 5xx, a garbled answer); `retry_after` is the server's wish."""

    def __init__(self, description: str, retry_after: float | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.retry_after = retry_after


# -- Retry-After --------------------------------------------------------------------------------


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds or as an HTTP date, in seconds from now: finite and >= 0, or None if unreadable.

    Never raises: a number too large, or a date past year 9999, is capped at RETRY_AFTER_CAP (longer than
    any deadline); `inf`, `nan`, exponents and other spellings HTTP does not allow are unreadable (None).
    """
    if not value:
        return None
    value = value.strip()
    if _DELAY_SECONDS.fullmatch(value):
        # Digits only, so float() cannot fail; past the float range it is inf, which the cap turns finite.
        return _finite_delay(float(value))
    import email.utils  # noqa: PLC0415 - only a 429 with a date needs it

    try:
        parsed = email.utils.parsedate_tz(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    year, month, day, hour, minute, second = parsed[:6]
    offset = parsed[9] or 0
    if year > 9999:
        return RETRY_AFTER_CAP
    # Every field bounded before any arithmetic: parsedate_tz hands back whatever digits it was given (a day
    # of 400 digits, an offset of 40), and a number that large turned into a float raises OverflowError.
    if not (
        year >= 1
        and 1 <= month <= 12
        and 1 <= day <= 31
        and 0 <= hour <= 24
        and 0 <= minute <= 59
        and 0 <= second <= 61
        and abs(offset) <= MAX_ZONE_OFFSET
    ):
        return None
    # calendar.timegm is plain arithmetic: no datetime, so no "year out of range" at the edges of 9999.
    when = calendar.timegm((year, month, day, hour, minute, second, 0, 1, 0)) - offset
    return _finite_delay(when - (now or datetime.now(timezone.utc)).timestamp())


def _finite_delay(seconds: float) -> float | None:
    if math.isnan(seconds):
        return None
    return min(RETRY_AFTER_CAP, max(0.0, seconds))


# -- the server's words -------------------------------------------------------------------------


def _scalar(item: object) -> str | None:
    """A JSON scalar as text; None for a nested value (whose str() could recurse without end)."""
    if isinstance(item, str):
        return item
    if isinstance(item, (int, float)) and not isinstance(item, bool):
        return str(item)
    return None


def error_text(
    body: bytes | bytearray,
    limit: int = SERVER_TEXT_LIMIT,
    redactor: Redactor | None = None,
    bounds: Limit = RUN_ANSWER,
) -> str:
    """The message of a Neeto error body (`error`, `errors`, `notice`, `field_errors`), redacted, or ''.

    Redaction comes before the cut: a key echoed across the cut would otherwise survive in part. The body
    is read within the `bounds` of the answer it stands for: one past them says nothing.
    """
    try:
        data = loads(body, bounds)
    except (ValueError, RecursionError, OverLimit):
        return ""
    if not isinstance(data, Mapping):
        return ""
    parts: list[str] = []
    for key in ("error", "notice"):
        if isinstance(data.get(key), str):
            parts.append(data[key])
    if isinstance(data.get("errors"), list):
        parts.extend(text for text in map(_scalar, data["errors"]) if text is not None)
    if isinstance(data.get("field_errors"), list):
        parts.extend(
            f"{_scalar(item.get('field'))}: {_scalar(item.get('message'))}"
            for item in data["field_errors"]
            if isinstance(item, Mapping)
        )
    return server_text("; ".join(parts), redactor, limit)


def network_reason(exc: BaseException) -> str:
    """A short cause for a network error, without the URL (which urllib3 repeats at length)."""
    text = str(exc).lower()
    return next((marker for marker in _NETWORK_REASONS if marker.lower() in text), type(exc).__name__)


# -- one answer ---------------------------------------------------------------------------------


def read_answer(
    response: requests.Response,
    deadline: Deadline,
    redactor: Redactor,
    limit: Limit = RUN_ANSWER,
    convert: Callable[[Any], Any] | None = None,
) -> Any:
    """The JSON of a 2xx answer, redacted, then `convert`ed (to a page of tests, say); TransientFault,
    SetupError or UnusableAnswerError otherwise.

    The body arrives alongside the others in flight; it is decoded, built and converted one answer at a
    time (`PARSING`), so that only one answer at once holds its bytes, its text and its values.
    """
    status = response.status_code
    try:
        body = read_body(response, deadline, limit)
    except OverLimit as exc:
        raise UnusableAnswerError(refused(f"the API's {limit.what}", exc)) from None
    with PARSING:
        if status in RETRIED_STATUSES or 500 <= status < 600:
            reason = server_text(response.reason, redactor, 100)
            raise TransientFault(
                f"HTTP {status} {reason}".strip(),
                parse_retry_after(response.headers.get("Retry-After")),
            )
        if 400 <= status < 500:
            hint = _REFUSED_HINTS.get(status, "the API refused the request; check the flags naming the run")
            said = error_text(body, redactor=redactor, bounds=limit)
            raise SetupError(f"HTTP {status}: {hint}" + (f" (the API said: {said})" if said else ""))
        if not 200 <= status < 300:
            raise UnusableAnswerError(f"the API answered HTTP {status}, which the gate cannot use")
        size = len(body)
        try:
            text = decode(body, limit)
            del body  # the bytes go before the values are built
            # No escape in the text: its strings are its text as it stands, and that holds no secret.
            clean = "\\" not in text and redactor.clean(text)
            data = parse(text)
            del text
        except OverLimit as exc:
            raise UnusableAnswerError(refused(f"the API's {limit.what}", exc)) from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            # Not JSON at all (a proxy's HTML page, an answer cut short): worth another attempt.
            kind = server_text(response.headers.get("Content-Type", "no content type").split(";")[0], redactor, 60)
            raise TransientFault(f"HTTP {status} but the body is not JSON ({kind}, {plural(size, 'byte')})") from None
        except (ValueError, RecursionError, OverflowError) as exc:
            # JSON the gate cannot hold (absurd nesting): the same answer would come again.
            raise UnusableAnswerError(
                f"the API's answer cannot be used: {_unreadable(exc)}. The gate does not guess a verdict from it; "
                "retry later, and report it to NeetoPlaydash if it persists"
            ) from None
        data = data if clean else redactor.data(data)
        return convert(data) if convert else data


def refused(what: str, over: OverLimit) -> str:
    """The message of answers refused past a bound: what they are, which bound, and why the gate stops."""
    return f"{what} {over.reason}; the gate stops there rather than run out of memory (see its limits in the docs)"


def read_body(response: requests.Response, deadline: Deadline, limit: Limit) -> bytearray:
    """The body, read in chunks within `limit` (OverLimit past it) and stopping at the deadline (TransientFault)."""
    declared = response.headers.get("Content-Length", "").strip()
    # Length first: int() of thousands of digits raises, and any such number is past the limit anyway.
    if re.fullmatch(r"[0-9]+", declared) and (len(declared) > 18 or int(declared) > limit.max_bytes):
        raise too_large(limit, None)
    try:
        return read_chunks(response.iter_content(chunk_size=CHUNK), limit, deadline)
    except OutOfTime:
        raise TransientFault("the deadline came while the answer was still arriving") from None
    except requests.RequestException as exc:
        raise TransientFault(f"the answer was cut short ({network_reason(exc)})") from None


def _unreadable(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "it is nested too deeply to read"
    return f"it could not be read ({type(exc).__name__})"
