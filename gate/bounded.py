"""Every body the gate reads, read within bounds, and the one table of those bounds.

A body's bytes are bounded while they come; its JSON values are counted, and the memory its text will take
is measured, before any of it is decoded or built; a path is read only when it is a regular file, or, where
the caller gives a deadline, a pipe or a device within the time left. The answers of NeetoPlaydash and of
GitHub, `--from-file`, the config, scenario files and the event payload are all read through here.
"""

from __future__ import annotations

import ctypes
import functools
import json
import math
import os
import re
import select
import stat
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from gate.deadline import Deadline, TimeUp

KiB = 1024
MiB = 1024 * KiB


@dataclass(frozen=True)
class Limit:
    """The bounds of one kind of body: its bytes, its JSON values (keys included) and the memory of its text."""

    what: str
    max_bytes: int
    max_items: int
    # The most memory its text (and every string parsed from it) may take, each character at the width
    # Python holds it; None: four times `max_bytes`, the most any text of that many bytes can take.
    max_text: int | None = None

    @property
    def text_bound(self) -> int:
        """The most memory the text may take."""
        return self.max_text if self.max_text is not None else 4 * self.max_bytes


# The limits, by kind of body: the one place they are defined (docs/faults-and-security.md shows them).
# The gate's peak memory is what they allow at once: eight answers arriving (pages and result histories are
# fetched eight at a time) and one being decoded and built (one at a time: `PARSING`), on top of what is
# kept (`Kept`). bench/run.py (`hostile`) measures it against a server sending the worst of each.
RUN_ANSWER = Limit("Get run or List runs answer", 4 * MiB, 300_000)  # a page of 100 specs, or of 100 runs
HISTORY_ANSWER = Limit("result histories answer", 2 * MiB, 200_000)  # one test's results on every branch
# A page of 100 comments of GitHub's longest (65,536 characters, 4 bytes each at most), with their metadata.
GITHUB_ANSWER = Limit("GitHub answer", 100 * (4 * 65_536 + 16 * KiB), 200_000, max_text=27 * MiB)
SAVED_ANSWER = Limit("saved answer", 16 * MiB, 1_200_000, max_text=32 * MiB)  # every page of a run, at once
SCENARIO_FILE = Limit("scenario file", 4 * MiB, 200_000)
EVENT_PAYLOAD = Limit("event payload", 8 * MiB, 200_000, max_text=8 * MiB)  # one pull request event
# The thresholds file: its items are YAML nodes (aliases counting as all they repeat), counted by config/yaml_loader.py.
CONFIG_FILE = Limit("thresholds file", 1 * MiB, 100_000)
LIMITS = (RUN_ANSWER, HISTORY_ANSWER, GITHUB_ANSWER, SAVED_ANSWER, SCENARIO_FILE, EVENT_PAYLOAD, CONFIG_FILE)

# What the gate keeps of a run's answers while it judges: one listing of its tests (the failed and flaky
# pages, with the baseline's), and the result histories looked up.
MAX_KEPT_TESTS = 96 * MiB
MAX_KEPT_HISTORIES = 32 * MiB
# What one test and one history entry take when kept, beyond their longer texts (a test's spec and title, an
# entry's branch and run id): the object, its number and id, and the listing's own bookkeeping. A real run
# of 100,000 tests keeps about 600 bytes a test, texts included; these are counted at about as much.
TEST_BYTES = 450
HISTORY_ENTRY_BYTES = 200

# Bytes read from a file or a pipe at a time.
CHUNK = 64 * KiB
# A body past this size is large: from the first one on, blocks this large go back to the system when freed.
LARGE = 1 * MiB
# glibc's mallopt() parameter for the size from which a block is mapped on its own (malloc.h).
_M_MMAP_THRESHOLD = -3
# Decoding and building is where an answer takes the most memory (its bytes, its text and its values at
# once): one body at a time, whichever thread reads it, while the others wait for their bytes. (The GIL
# runs one at a time anyway.) Re-entrant: a reader that holds it (`client.read_answer`) may call `loads`.
PARSING = threading.RLock()

# A body that is valid UTF-8 and has these holds characters (or escapes) that Python keeps at 4 bytes, or at 2.
_ASTRAL = re.compile(rb"[\xf0-\xf4]|\\u[dD][89abAB]")
_WIDE = re.compile(rb"[\xc4-\xef]|\\u(?:0[1-9a-fA-F]|[1-9a-fA-F])")
_CONTINUATION = bytes(range(0x80, 0xC0))
# An integer literal longer than this is past the float range (about 1.8e308) whatever its digits; int() of
# one past 4,300 digits would even raise. Such a number is read as an infinity, as 1e999 is.
_MAX_INT_DIGITS = 400


class OverLimit(Exception):
    """A body past a bound of its kind; `reason` says which, as the end of a sentence naming the body."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OutOfTime(Exception):
    """The deadline came while a pipe or a device was still being read (or before it wrote anything)."""


class NotAFile(OSError):
    """A path that is no regular file, where only one is read; `reason` as for OverLimit."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def shown_size(size: int) -> str:
    """`4 MiB`, `26.6 MiB`, `512 KiB`: a limit in words."""
    if size >= MiB:
        return f"{size // MiB} MiB" if size % MiB == 0 else f"{size / MiB:.1f} MiB"
    return f"{size // KiB} KiB" if size % KiB == 0 else f"{size:,} bytes"


def too_large(limit: Limit, size: int | None) -> OverLimit:
    """The refusal of a body past `limit.max_bytes`: `size` is how much came (None: by its declared length)."""
    amount = f"{size:,} bytes or more" if size is not None else "by its declared length"
    return OverLimit(f"is larger than {shown_size(limit.max_bytes)} ({amount})")


# -- reading ------------------------------------------------------------------------------------


def read_chunks(chunks: Iterable[bytes], limit: Limit, deadline: Deadline) -> bytearray:
    """The bytes of a stream of chunks (an HTTP body), refused once past the limit, and never past the deadline."""
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > LARGE:
            large_blocks_returned()
        if len(body) > limit.max_bytes:
            raise too_large(limit, len(body))
        if deadline.expired():
            raise OutOfTime("the deadline came while the body was still arriving")
    return body


def read_path(path: Path, limit: Limit, deadline: Deadline | None = None) -> bytearray:
    """The bytes of a file within the limit.

    A regular file is read (refused at once when its size is past the limit). Anything else (a pipe, a FIFO,
    a device such as /dev/zero) is read only with a deadline, and never past it: opened without waiting for a
    writer, each read waits for bytes no longer than the time left. Without a deadline it is NotAFile, as a
    folder always is. Other errors of the file are OSErrors (FileNotFoundError, PermissionError, ...).
    """
    nonblocking = getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, os.O_RDONLY | nonblocking | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0))
    try:
        if nonblocking:
            # Opened without waiting for a writer; read as any descriptor is, once `select` says it can be.
            os.set_blocking(fd, True)
        return _read_fd(fd, limit, deadline)
    finally:
        os.close(fd)


def read_stream(stream: IO[Any], limit: Limit, deadline: Deadline) -> bytearray:
    """The bytes of an open stream (standard input) within the limit and the deadline.

    A stream on a file descriptor is read from it, as a pipe is (never made non-blocking: the descriptor is
    shared with the shell); one in memory (a test's StringIO) is read as it is, within the limit.
    """
    try:
        fd = stream.fileno()
    except (OSError, ValueError):
        text = stream.read(limit.max_bytes + 1)
        data = bytearray(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
        if len(data) > limit.max_bytes:
            raise too_large(limit, len(data)) from None
        return data
    return _read_fd(fd, limit, deadline)


def _read_fd(fd: int, limit: Limit, deadline: Deadline | None) -> bytearray:
    """Read a file descriptor to its end within the limit; a non-regular one only within the deadline."""
    status = os.fstat(fd)
    mode = status.st_mode
    regular = stat.S_ISREG(mode)
    if stat.S_ISDIR(mode):
        raise NotAFile(f"is not a regular file ({_kind(mode)})")
    if regular and status.st_size > limit.max_bytes:
        raise too_large(limit, status.st_size)
    if not regular and deadline is None:
        raise NotAFile(f"is not a regular file ({_kind(mode)})")
    if not regular and not _can_wait():
        assert deadline is not None
        return _read_in_thread(fd, limit, deadline)
    body = bytearray()
    while True:
        if not regular:
            assert deadline is not None
            if not _readable(fd, deadline.remaining()):
                raise OutOfTime(
                    "nothing more came within the time allowed" if body else "nothing came within the time allowed"
                )
        elif deadline is not None and deadline.expired():
            raise OutOfTime("the deadline came while it was being read")
        chunk = os.read(fd, CHUNK)
        if not chunk:
            return body
        body += chunk
        if len(body) > LARGE:
            large_blocks_returned()
        if len(body) > limit.max_bytes:
            raise too_large(limit, len(body))


@functools.cache
def large_blocks_returned() -> None:
    """From now on, on glibc, every block of LARGE bytes or more is mapped on its own and unmapped when freed.

    Otherwise glibc raises that size as large blocks are freed (up to 32 MiB), and keeps later ones in the
    heaps of the threads that made them: a body, its text and its values, freed by eight threads in turn,
    stay counted in the process's memory (measured: up to 347 MB against 190 MB, `bench/run.py`, hostile).
    Elsewhere (macOS, musl, Windows) nothing changes.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # a C library without it
        return
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    mallopt(_M_MMAP_THRESHOLD, LARGE)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "of another kind"


def _can_wait() -> bool:
    """Whether `select` can wait on a pipe or a device: everywhere but Windows, where it takes sockets only."""
    return os.name != "nt"


def _readable(fd: int, seconds: float) -> bool:
    """Whether bytes (or the end) can be read within `seconds`."""
    if seconds <= 0:
        return False
    ready, _, _ = select.select([fd], [], [], seconds)
    return bool(ready)


def _read_in_thread(fd: int, limit: Limit, deadline: Deadline) -> bytearray:
    """Where nothing can wait on a pipe (Windows): read in a daemon thread, abandoned at the deadline.

    The thread reads no more than the limit allows; left blocked on a pipe that never ends, it holds at
    most that, and the command ends without waiting for it.
    """

    def read() -> bytearray:
        body = bytearray()
        while len(body) <= limit.max_bytes:
            chunk = os.read(fd, CHUNK)
            if not chunk:
                break
            body += chunk
        return body

    try:
        body = deadline.within(read, name="bounded-read")
    except TimeUp:
        raise OutOfTime("nothing more came within the time allowed") from None
    if len(body) > limit.max_bytes:
        raise too_large(limit, len(body))
    return body


# -- JSON ---------------------------------------------------------------------------------------


def count_items(body: bytes | bytearray) -> int:
    """At most how many JSON values (keys included) the body holds: one more than its `[`, `{`, `,` and `:`.

    Every value but the first follows one of these (an array's first element its `[`, the others a `,`; an
    object's first key its `{`, the others a `,`, and each value a `:`), and each precedes at most one value;
    those inside strings only make the count higher. Four passes at C speed, and nothing built.
    """
    return 1 + sum(map(body.count, (b"[", b"{", b",", b":")))


def text_size(body: bytes | bytearray) -> int:
    """At most how much memory the body's text takes once decoded, and so every string parsed from it.

    Python holds a text at 1, 2 or 4 bytes a character, as wide as its widest character; a JSON escape
    (`\\ud83d`) can make a parsed string wider than the text it came from, so escapes count too.
    """
    if body.isascii() and b"\\u" not in body:
        return len(body)
    if json.detect_encoding(body) != "utf-8":
        return 2 * len(body)  # UTF-16 or UTF-32: at least 2 bytes a character, at most 4 in memory
    characters = len(body) if body.isascii() else len(body.translate(None, _CONTINUATION))
    width = 4 if _ASTRAL.search(body) else 2 if _WIDE.search(body) else 1
    return characters * width


def decode(body: bytes | bytearray, limit: Limit) -> str:
    """The body's text, once its values are counted and its text measured within the limit (OverLimit if not).

    Nothing is built before both are known: `json.loads` of 31 MiB of `{}` would build millions of objects.
    A body no larger than its limit of values needs no count (each value takes at least a byte).
    """
    if len(body) >= limit.max_items:
        items = count_items(body)
        if items > limit.max_items:
            raise OverLimit(
                f"holds more than {limit.max_items:,} JSON values (up to {items:,} by its commas, colons and brackets)"
            )
    if len(body) * 4 > limit.text_bound:
        size = text_size(body)
        if size > limit.text_bound:
            bound = shown_size(limit.text_bound)
            raise OverLimit(f"would take {shown_size(size)} of memory as text, more than {bound}")
    return body.decode(json.detect_encoding(body), "surrogatepass")


def parse(text: str) -> Any:
    """JSON as the API may write it: NaN and Infinity are floats, and numbers past the float range infinities.

    Only what json cannot read at all (absurd nesting, broken syntax) raises.
    """
    return json.loads(text, parse_int=_int_or_infinity)


def loads(body: bytes | bytearray, limit: Limit) -> Any:
    """The JSON of a body within the limit: `decode`, then `parse`, one body at a time (`PARSING`)."""
    with PARSING:
        return parse(decode(body, limit))


def take_json(body: bytearray, limit: Limit) -> Any:
    """As `loads`, for a body this module read: its bytes are let go (the array emptied) once decoded, so
    that its bytes, its text and its values are never all held at once (the caller's `len(body)` is 0 after)."""
    with PARSING:
        text = decode(body, limit)
        body.clear()
        return parse(text)


def _int_or_infinity(text: str) -> int | float:
    """An integer literal as an int, or as an infinity when no float can hold it (as 1e999 reads as one).

    What it means is the model's to judge: an unknown duration, or a count that makes the answer unusable.
    """
    infinity = -math.inf if text.startswith("-") else math.inf
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        return infinity
    value = int(text)
    try:
        float(value)  # numbers end up in float arithmetic (rates, durations): past its range is infinite
    except OverflowError:
        return infinity
    return value


# -- what is kept -------------------------------------------------------------------------------


class Kept:
    """What the gate keeps of answers (a listing of tests, the result histories), counted as it is kept and
    refused past `limit` bytes: however many pages or histories come, what they leave behind is bounded."""

    def __init__(self, limit: int, what: str) -> None:
        self.limit, self.what = limit, what
        self.used = 0
        self._lock = threading.Lock()

    def charge(self, records: int, per_record: int, texts: Iterable[str]) -> None:
        """Count `records` kept, each `per_record` bytes beyond its `texts`; OverLimit once past the limit."""
        size = records * per_record + sum(map(sys.getsizeof, texts))
        with self._lock:
            fits = self.used + size <= self.limit
            if fits:
                self.used += size
        if not fits:  # what is refused is not kept, and not counted
            raise OverLimit(f"take more than the {shown_size(self.limit)} of memory the gate keeps for {self.what}")
