"""The one bounded reader: bytes bounded while they come, JSON values counted and text measured before anything
is built, paths read only when regular (or within the deadline), and what is kept counted."""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gate import bounded
from gate.bounded import (
    LIMITS,
    Kept,
    Limit,
    NotAFile,
    OutOfTime,
    OverLimit,
    count_items,
    decode,
    loads,
    read_chunks,
    read_path,
    read_stream,
    text_size,
)
from gate.deadline import Deadline

SMALL = Limit("test body", 1000, 100)
POSIX = pytest.mark.skipif(os.name != "posix", reason="FIFOs and /dev/zero are POSIX")


def _built(value: Any) -> int:
    """How many values (keys included) json builds for `value`."""
    if isinstance(value, dict):
        return 1 + sum(1 + _built(item) for item in value.values())
    if isinstance(value, list):
        return 1 + sum(map(_built, value))
    return 1


def _payload(text: str) -> int:
    """The bytes Python holds a text's characters in: its length times its widest character's width."""
    widest = max(map(ord, text), default=0)
    return len(text) * (1 if widest < 0x100 else 2 if widest < 0x10000 else 4)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=40,
)


@settings(deadline=None)
@given(JSON, st.booleans())
@example({}, False)
@example([[], {}, [[]]], False)
@example({"a": [1, {"b": "[,:{"}]}, True)
@example("\U0001f600", False)
def test_the_count_of_items_is_never_below_what_json_builds(value: Any, ascii_only: bool) -> None:
    for separators in ((",", ":"), (", ", ": ")):
        body = json.dumps(value, ensure_ascii=ascii_only, separators=separators).encode()
        assert count_items(body) >= _built(json.loads(body))


@settings(deadline=None)
@given(JSON, st.booleans())
@example("\U0001f600" + "a" * 100, True)  # an ASCII text whose escape makes the string 4 bytes a character
@example("\U0001f600" + "a" * 100, False)
@example({"é" * 50: "ā" * 50}, False)
@example(["\ud800" + "a" * 40], True)  # a lone surrogate, escaped
@example("ÿ" * 80, False)  # Latin-1: one byte a character in memory, two in UTF-8
def test_the_text_size_is_never_below_what_the_text_and_its_strings_take(value: Any, ascii_only: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    size = text_size(body)
    text = body.decode("utf-8", "surrogatepass")
    assert size >= _payload(text)
    assert size >= max(map(_payload, _strings(json.loads(text))), default=0)


def test_a_body_of_braces_is_refused_before_anything_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[object] = []
    monkeypatch.setattr(bounded.json, "loads", lambda *args, **kwargs: built.append(args))
    body = b"[" + b"{}," * 400 + b"{}]"
    with pytest.raises(OverLimit, match=r"holds more than 100 JSON values \(up to 803 by its commas"):
        loads(body, Limit("test body", 10_000, 100))
    assert built == []


def test_a_body_within_its_values_needs_no_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bounded, "count_items", lambda _body: pytest.fail("counted a body that cannot hold more"))
    assert loads(b'{"a": [1, 2, 3]}', Limit("test body", 1000, 100)) == {"a": [1, 2, 3]}


def test_a_text_too_wide_for_its_limit_is_refused_before_it_is_decoded() -> None:
    limit = Limit("test body", 1000, 1000, max_text=400)
    assert loads(b'"' + b"a" * 390 + b'"', limit) == "a" * 390
    with pytest.raises(OverLimit, match=r"would take 1,556 bytes of memory as text, more than 400 bytes"):
        loads(('"\U0001f600' + "a" * 386 + '"').encode(), limit)  # one emoji: every character at 4 bytes
    with pytest.raises(OverLimit, match="as text"):
        loads(b'"\\ud83d\\ude00' + b"a" * 300 + b'"', limit)  # the same, escaped: the string is 4 bytes wide


def test_numbers_past_the_float_range_are_infinities() -> None:
    assert loads(b"[1" + b"0" * 500 + b", -1" + b"0" * 500 + b", 7]", SMALL) == [float("inf"), float("-inf"), 7]


def _endless(chunk: bytes, sent: list[int]) -> Iterator[bytes]:
    while True:
        sent.append(len(chunk))
        yield chunk


def test_an_endless_stream_is_refused_past_its_limit_while_it_streams() -> None:
    sent: list[int] = []
    with pytest.raises(OverLimit, match=r"is larger than 1,000 bytes \(1,024 bytes or more\)"):
        read_chunks(_endless(b"x" * 256, sent), SMALL, Deadline(60))
    assert sum(sent) == 1024  # not one chunk more than the one that crossed the limit


def test_a_stream_still_coming_at_the_deadline_is_given_up(clock: Any) -> None:
    started = clock.now
    deadline = Deadline(5, clock=clock)

    def slow() -> Iterator[bytes]:
        while True:
            clock.sleep(1)
            yield b" "

    with pytest.raises(OutOfTime):
        read_chunks(slow(), SMALL, deadline)
    assert clock.now - started <= 6  # given up at the first chunk past the deadline


def test_a_regular_file_past_its_limit_is_refused_by_its_size_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:
        handle.truncate(10**12)  # sparse: a terabyte that takes no room
    with pytest.raises(OverLimit, match=r"larger than 1,000 bytes \(1,000,000,000,000 bytes or more\)"):
        read_path(path, SMALL)


def test_a_regular_file_within_its_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_bytes(b'{"ok": true}')
    assert read_path(path, SMALL) == b'{"ok": true}'
    assert read_path(path, SMALL, Deadline(60)) == b'{"ok": true}'


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(NotAFile, match=r"is not a regular file \(a folder\)"):
        read_path(tmp_path, SMALL, Deadline(60))


@POSIX
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_an_endless_device_is_refused_past_its_limit_or_without_a_deadline(device: str, tmp_path: Path) -> None:
    with pytest.raises(OverLimit, match="larger than 1,000 bytes"):
        read_path(Path(device), SMALL, Deadline(60))
    with pytest.raises(NotAFile, match=r"not a regular file \(a device\)"):
        read_path(Path(device), SMALL)
    link = tmp_path / "link.json"
    link.symlink_to(device)
    with pytest.raises(NotAFile, match=r"not a regular file \(a device\)"):
        read_path(link, SMALL)


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    path = tmp_path / "fifo.json"
    os.mkfifo(path)
    return path


def _timed(function: Any, *args: Any) -> tuple[BaseException | None, float]:
    started = time.monotonic()
    try:
        function(*args)
    except BaseException as error:  # noqa: BLE001 - returned to be looked at
        return error, time.monotonic() - started
    return None, time.monotonic() - started


def test_a_fifo_nobody_writes_is_given_up_at_the_deadline(fifo: Path) -> None:
    error, took = _timed(read_path, fifo, SMALL, Deadline(0.3))
    assert isinstance(error, OutOfTime) and "nothing came" in str(error)
    assert took < 2


def test_a_fifo_without_a_deadline_is_refused_without_waiting(fifo: Path) -> None:
    error, took = _timed(read_path, fifo, SMALL)
    assert isinstance(error, NotAFile) and "(a pipe)" in str(error)
    assert took < 1


def _writer(path: Path, pieces: list[bytes], pause: float, stop: threading.Event) -> threading.Thread:
    def write() -> None:
        fd = os.open(path, os.O_WRONLY)
        try:
            for piece in pieces:
                if stop.wait(pause):
                    return
                os.write(fd, piece)
        except OSError:
            pass  # the reader went away
        finally:
            os.close(fd)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def test_a_fifo_that_writes_slowly_forever_is_given_up_at_the_deadline(fifo: Path) -> None:
    stop = threading.Event()
    writer = _writer(fifo, [b" "] * 10_000, 0.02, stop)
    try:
        error, took = _timed(read_path, fifo, SMALL, Deadline(0.4))
    finally:
        stop.set()
        writer.join(5)
    assert isinstance(error, OutOfTime) and "nothing more came" in str(error)
    assert took < 2


def test_a_fifo_that_writes_and_ends_is_read(fifo: Path) -> None:
    writer = _writer(fifo, [b'{"a": ', b"1}"], 0.01, threading.Event())
    assert read_path(fifo, SMALL, Deadline(5)) == b'{"a": 1}'
    writer.join(5)


def test_where_nothing_can_wait_on_a_pipe_a_thread_reads_it_and_is_abandoned_at_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bounded, "_can_wait", lambda: False)  # as on Windows
    # A pipe whose writer is there before it is read (a FIFO's writer may come after the read, which then ends
    # at once: Windows has no FIFOs, so that race is not the thread's to wait out).
    pipe_read, pipe_write = os.pipe()
    try:
        writer = threading.Thread(
            target=lambda: [time.sleep(0.01), os.write(pipe_write, b"[1, 2]"), os.close(pipe_write)]
        )
        writer.start()
        assert read_path(Path(f"/proc/self/fd/{pipe_read}"), SMALL, Deadline(5)) == b"[1, 2]"
        writer.join(5)
    finally:
        os.close(pipe_read)
    read_end, write_end = os.pipe()
    try:
        error, took = _timed(read_stream, os.fdopen(read_end, "rb", closefd=False), SMALL, Deadline(0.3))
        assert isinstance(error, OutOfTime) and took < 2
    finally:
        os.close(write_end)  # the abandoned reader sees the end, and its thread ends
        for thread in threading.enumerate():
            if thread.name == "bounded-read":
                thread.join(5)
        os.close(read_end)


def test_standard_input_in_memory_is_read_within_its_limit() -> None:
    assert read_stream(io.StringIO('{"é": 1}'), SMALL, Deadline(1)) == '{"é": 1}'.encode()
    with pytest.raises(OverLimit, match="larger than 1,000 bytes"):
        read_stream(io.StringIO("x" * 5000), SMALL, Deadline(1))


def test_what_is_kept_is_refused_past_its_limit_and_a_refusal_is_not_counted() -> None:
    kept = Kept(1000, "the tests of a test")
    kept.charge(2, 100, ["a" * 10])
    used = kept.used
    assert used == 200 + sys.getsizeof("a" * 10)
    with pytest.raises(OverLimit, match="take more than the 1,000 bytes of memory the gate keeps for the tests of"):
        kept.charge(1, 100, ["b" * 1000])
    assert kept.used == used
    kept.charge(1, 100, [])  # what still fits is kept


def test_every_limit_allows_what_it_exists_for() -> None:
    for limit in LIMITS:
        assert limit.max_items <= limit.max_bytes  # a value takes a byte at least: more could never be reached
        assert limit.max_bytes <= limit.text_bound <= 4 * limit.max_bytes
    # GitHub: a page of 100 comments of 65,536 characters, in the widest UTF-8 (4 bytes each), fits, with
    # room for each comment's metadata (user, reactions, addresses: about 3 KB in GitHub's answers).
    comment = json.dumps({"id": 10**12, "body": "\U0001f600" * 65_536, "metadata": "x" * 3000}, ensure_ascii=False)
    page = ("[" + ", ".join([comment] * 100) + "]").encode()
    assert len(page) <= bounded.GITHUB_ANSWER.max_bytes
    assert text_size(page) <= bounded.GITHUB_ANSWER.text_bound
    assert len(decode(page, bounded.GITHUB_ANSWER)) == len(page.decode())


def test_the_faults_page_shows_every_limit_as_it_is_defined() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "faults-and-security.md").read_text(encoding="utf-8")
    for limit in LIMITS:
        row = next(line for line in page.splitlines() if line.startswith(f"| {limit.what} |"))
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[2] == bounded.shown_size(limit.max_bytes), limit
        assert cells[3].startswith(f"{limit.max_items:,}"), limit
        assert cells[4] == bounded.shown_size(limit.text_bound), limit
    assert f"at {bounded.shown_size(bounded.MAX_KEPT_TESTS)}, however many pages" in page
    assert f"result histories at {bounded.shown_size(bounded.MAX_KEPT_HISTORIES)}" in page


def test_from_the_first_large_body_on_large_blocks_go_back_to_the_system(monkeypatch: pytest.MonkeyPatch) -> None:
    called: list[bool] = []
    original = bounded.large_blocks_returned
    monkeypatch.setattr(bounded, "large_blocks_returned", lambda: called.append(True))
    read_chunks(iter([b"x" * bounded.LARGE]), Limit("test body", 4 * bounded.LARGE, 10), Deadline(60))
    assert called == []  # a body this small changes nothing
    read_chunks(iter([b"x" * bounded.LARGE, b"x"]), Limit("test body", 4 * bounded.LARGE, 10), Deadline(60))
    assert called == [True]
    original.__wrapped__()  # and doing so is harmless here, whatever the C library
