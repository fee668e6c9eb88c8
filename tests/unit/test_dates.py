"""The one reader of the API's date-times: ISO 8601 with its offset, read strictly, alike on every Python."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gate.dates import EARLIEST, LATEST, MAX_CHARS, parse_timestamp, timestamp_text

UTC = datetime.timezone.utc
MOMENT = datetime.datetime(2026, 6, 27, 9, 14, 25, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06-27T09:14:25.000Z", MOMENT),  # the API's own spelling
        ("2026-06-27T09:14:25Z", MOMENT),
        ("2026-06-27t09:14:25z", MOMENT),
        ("2026-06-27 09:14:25.000000+00:00", MOMENT),
        ("2026-06-27T11:14:25+02:00", MOMENT),
        ("2026-06-27T03:44:25-05:30", MOMENT),
        ("2026-06-28T09:13:25+23:59", MOMENT),  # the largest offset there is
        ("2026-06-27T09:14:25.1Z", MOMENT.replace(microsecond=100_000)),
        ("2026-06-27T09:14:25.12Z", MOMENT.replace(microsecond=120_000)),
        ("2026-06-27T09:14:25.1234Z", MOMENT.replace(microsecond=123_400)),
        ("2026-06-27T09:14:25.123456Z", MOMENT.replace(microsecond=123_456)),
        ("2026-06-27T09:14:25.123456789Z", MOMENT.replace(microsecond=123_456)),  # nanoseconds, cut
        ("1970-01-01T00:00:00Z", EARLIEST),
    ],
)
def test_a_date_time_with_its_offset_is_read_in_utc(text: str, expected: datetime.datetime) -> None:
    got = parse_timestamp(text)
    assert got == expected
    assert got is not None and got.utcoffset() == datetime.timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("2026-06-27T09:14:25", id="no-offset: its moment is not known"),
        pytest.param("2026-06-27T09:14:25.000", id="no-offset-fraction"),
        pytest.param("2026-06-27T09:14:25+99:00", id="offset-99h"),
        pytest.param("2026-06-27T09:14:25+24:00", id="offset-a-day"),
        pytest.param("2026-06-27T09:14:25+02:60", id="offset-60-minutes"),
        pytest.param("2026-06-27T09:14:25-0200", id="offset-without-colon"),
        pytest.param("2026-06-27T09:14:25+02", id="offset-hours-only"),
        pytest.param("2026-06-27T09:14:25-00:00", id="offset-unknown-local"),
        pytest.param("2026-06-27T09:14:25.000+05:30:00", id="offset-with-seconds"),
        pytest.param("0000-01-01T00:00:00Z", id="year-0"),
        pytest.param("0001-01-01T00:00:00+01:00", id="before-year-1-in-utc"),
        pytest.param("9999-12-31T23:59:59-01:00", id="after-year-9999-in-utc"),
        pytest.param("1969-12-31T23:59:59Z", id="before-1970"),
        pytest.param("9000-01-01T00:00:00Z", id="year-9000"),
        pytest.param("9" * 400 + "-01-01T00:00:00Z", id="400-digit-year"),
        pytest.param("+02026-06-27T09:14:25Z", id="expanded-year"),
        pytest.param("2026-06-27T09:14:25\x00Z", id="nul"),
        pytest.param("2026-06-27T09:14:25Z\x00", id="nul-after"),
        pytest.param("\x002026-06-27T09:14:25Z", id="nul-before"),
        pytest.param("２０２６-06-27T09:14:25Z", id="fullwidth-digits"),
        pytest.param("٢٠٢٦-06-27T09:14:25Z", id="arabic-indic-digits"),
        pytest.param("2026-06-27T09:14:2５Z", id="one-fullwidth-digit"),
        pytest.param("2026-06-27T09:14:25.٠٠٠Z", id="arabic-indic-fraction"),
        pytest.param("2026-06-27T09:14:25Ｚ", id="fullwidth-z"),
        pytest.param(" 2026-06-27T09:14:25Z", id="space-before"),
        pytest.param("2026-06-27T09:14:25Z\n", id="newline-after"),
        pytest.param("2026-06-27x09:14:25Z", id="separator-x"),
        pytest.param("2026-06-27", id="date-only"),
        pytest.param("2026-06-27T09Z", id="hours-only"),
        pytest.param("2026-06-27T09:14Z", id="no-seconds"),
        pytest.param("20260627T091425Z", id="basic-format"),
        pytest.param("2026-W26-6T09:14:25Z", id="week-date"),
        pytest.param("2026-178T09:14:25Z", id="ordinal-date"),
        pytest.param("2026-06-27T24:00:00Z", id="hour-24"),
        pytest.param("2026-06-30T23:59:60Z", id="leap-second"),
        pytest.param("2026-02-30T00:00:00Z", id="february-30"),
        pytest.param("2026-06-27T09:14:25,000Z", id="decimal-comma"),
        pytest.param("2026-06-27T09:14:25.Z", id="empty-fraction"),
        pytest.param("2026-06-27T09:14:25.1234567890Z", id="ten-digit-fraction"),
        pytest.param("2026-06-27T09:14:25.-1Z", id="signed-fraction"),
        pytest.param("2026-06-27T09:14:25ZZ", id="two-z"),
        pytest.param("2026-06-27T09:14:25+00:00Z", id="offset-and-z"),
        pytest.param("", id="empty"),
        pytest.param("yesterday", id="words"),
        pytest.param(1751100000, id="a-number"),
        pytest.param(None, id="null"),
        pytest.param(["2026-06-27T09:14:25Z"], id="a-list"),
    ],
)
def test_anything_else_is_no_date(text: object) -> None:
    assert parse_timestamp(text) is None


def test_the_api_spelling_is_written_back() -> None:
    assert timestamp_text(MOMENT) == "2026-06-27T09:14:25.000Z"
    two_hours_east = datetime.timezone(datetime.timedelta(hours=2))
    later = datetime.datetime(2026, 6, 27, 11, 14, 25, 999_999, tzinfo=two_hours_east)
    assert timestamp_text(later) == "2026-06-27T09:14:25.999Z"


offsets = st.integers(-(24 * 60 - 1), 24 * 60 - 1).map(
    lambda minutes: datetime.timezone(datetime.timedelta(minutes=minutes))
)
moments = st.datetimes(
    min_value=datetime.datetime(1970, 1, 2), max_value=datetime.datetime(8999, 12, 30), timezones=offsets
)
# What a moment keeps of its microseconds when written to the second, the millisecond or the microsecond.
KEPT = {"seconds": 1_000_000, "milliseconds": 1_000, "microseconds": 1}


@given(moments, st.sampled_from(["T", "t", " "]), st.sampled_from(sorted(KEPT)))
@example(datetime.datetime(2026, 6, 27, 9, 14, 25, tzinfo=UTC), "T", "milliseconds")
def test_every_moment_as_isoformat_writes_it_is_read_back(moment: datetime.datetime, sep: str, timespec: str) -> None:
    kept = moment.replace(microsecond=moment.microsecond // KEPT[timespec] * KEPT[timespec])
    assert parse_timestamp(moment.isoformat(sep, timespec)) == kept
    assert parse_timestamp(timestamp_text(moment)) == moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@given(moments, st.integers(0, 40), st.characters())
@example(datetime.datetime(9999, 12, 31, tzinfo=UTC), 0, "9")  # no OverflowError on the way to UTC
@example(datetime.datetime(2026, 6, 27, 9, 14, 25, tzinfo=UTC), 19, "\x00")
@example(datetime.datetime(2026, 6, 27, 9, 14, 25, tzinfo=UTC), 3, "\uff16")  # a fullwidth 6
def test_a_date_with_any_character_changed_is_read_or_refused_never_more(
    moment: datetime.datetime, where: int, character: str
) -> None:
    text = moment.isoformat(timespec="milliseconds")
    changed = text[:where] + character + text[where + 1 :]
    got = parse_timestamp(changed)
    assert got is None or (changed.isascii() and got.tzinfo is UTC and EARLIEST <= got < LATEST)


@given(st.text(max_size=MAX_CHARS + 4))
@example("2026-06-27T09:14:25\x00Z")
@example("\u0662\u0660\u0662\u0666-06-27T09:14:25Z")
def test_any_text_is_a_utc_moment_in_range_or_none(text: str) -> None:
    got = parse_timestamp(text)
    assert got is None or (text.isascii() and got.tzinfo is UTC and EARLIEST <= got < LATEST)
