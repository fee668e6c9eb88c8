"""The one reader (and writer) of the API's date-times: ISO 8601 read strictly, by the standard library."""

from __future__ import annotations

import datetime

UTC = datetime.timezone.utc
# The longest spelling read: `2026-06-27T09:14:25.123456789+05:30` is 35 characters. A longer text (a year
# of 400 digits) is no date, and is never handed to the parser.
MAX_CHARS = 64
# The moments believed: no run is older, and a window reaching 90 days back from any of them fits in a date.
EARLIEST = datetime.datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime.datetime(9000, 1, 1, tzinfo=UTC)
_SEPARATORS = ("T", "t", " ")
_DIGITS = "0123456789"


def parse_timestamp(value: object) -> datetime.datetime | None:
    """An ISO 8601 date-time with its offset as an aware UTC datetime; None when it is not one.

    What is read is what `datetime.isoformat` writes (`2026-06-27T09:14:25+00:00`, with `.fff` or
    `.ffffff`), after two spellings are brought to it: a final `Z` (the API's own, `…25.000Z`) and a
    fraction of 1 to 9 digits (cut to microseconds). The parsed moment is written back and must give
    the same text, so the answer is the same on Python 3.10 (whose `fromisoformat` reads no more than
    that) and 3.11+ (which reads much more: `20260627T0914`, `2026-W26-6`, `+0200`). Text that is not
    ASCII (fullwidth or Arabic-Indic digits), has no offset (its moment is not known), an offset of a
    day or more (`+99:00`), or a moment before 1970 or after 9000, is no date.
    """
    if not isinstance(value, str) or not 0 < len(value) <= MAX_CHARS or not value.isascii():
        return None
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    head, dot, rest = text.partition(".")
    timespec = "seconds"
    if dot:
        digits = len(rest) - len(rest.lstrip(_DIGITS))
        if not 1 <= digits <= 9:
            return None
        text, timespec = f"{head}.{rest[: min(digits, 6)].ljust(6, '0')}{rest[digits:]}", "microseconds"
    if text[10:11] not in _SEPARATORS:
        return None
    try:
        moment = datetime.datetime.fromisoformat(text)
        if moment.tzinfo is None or moment.isoformat(text[10], timespec) != text:
            return None
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):  # out of range, or past year 1 or 9999 once in UTC
        return None
    return moment if EARLIEST <= moment < LATEST else None


def timestamp_text(moment: datetime.datetime) -> str:
    """A moment in the API's own spelling, in UTC to the millisecond: `2026-06-28T09:14:22.000Z`."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
