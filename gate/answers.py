"""What the APIs' answers say beyond their data: Retry-After, Neeto's error bodies, and the server's words made safe."""

from __future__ import annotations

import calendar
import email.utils
import math
import re
from collections.abc import Mapping
from datetime import datetime, timezone

from gate.bounded import RUN_ANSWER, Limit, OverLimit, loads
from gate.redact import Redactor
from gate.text import SERVER_TEXT_LIMIT, server_text

# A Retry-After beyond this (or past year 9999, or too long to be a number) is "longer than any deadline";
# capping keeps it a finite number that arithmetic and messages can handle.
RETRY_AFTER_CAP = 10.0**10
# No zone is further than this from UTC (the farthest are +14:00 and -12:00); an offset beyond is no date.
MAX_ZONE_OFFSET = 24 * 3600
_DELAY_SECONDS = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


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


def refused(what: str, over: OverLimit) -> str:
    """The message of answers refused past a bound: what they are, which bound, and why the gate stops."""
    return f"{what} {over.reason}; the gate stops there rather than run out of memory (see its limits in the docs)"
