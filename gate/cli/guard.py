"""The one guard on the process's stdout and stderr: the Actions runner reads no workflow command from them
but the gate's own.

How the runner reads a step's output (actions/runner): both streams of the process are read line by line
with .NET's `StreamReader.ReadLine`, which ends a line at `\\n`, at `\\r` and at `\\r\\n`, nothing else
(`ProcessInvoker`); every line of either stream goes to `OutputManager.OnDataReceived`, which hands a line
holding `::` or `##[` to `ActionCommandManager.TryProcessCommand`, whose `::stop-commands::` pause is one
state for both streams. `ActionCommand.TryParseV2` takes a line that starts with `::` after `TrimStart()`
(every Unicode white space: tab, vertical tab, form feed, NEL, U+00A0, U+2028, the U+2000 spaces...);
`ActionCommand.TryParse` takes the legacy `##[name ...]data` anywhere in a line. Both compare with the
culture's rules, in which the zero-width and control characters weigh nothing, so `:\\u200b:` may read
as `::`.

So a line is neutralised when, after white space and characters that weigh nothing, it starts with `:`,
nothing-weighing characters, `:`; and wherever `#`, `#`, `[` follow each other so. A space goes before
the `:` or the `[` that would complete the marker (`::error::x` becomes `: :error::x`, `##[x` becomes
`## [x`): one character, nothing removed, and a line without a marker is written exactly as it came.
The gate's own commands (`Console.command`, `Console.mask`) are the only lines written as they are.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import suppress
from types import TracebackType
from typing import IO, TextIO

# The two classes below hold the characters themselves, not escapes for the regular expression parser to
# read: the same patterns, compiled at every start in about 3.3 ms rather than 4.6 ms.
# White space .NET's TrimStart() removes (Char.IsWhiteSpace), but the line ends `\r` and `\n`.
_SPACE = "\t\x0b\x0c \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Characters a culture comparison passes over: controls, format characters (zero-width, bidi, tags, the
# Arabic number signs...), the other default ignorables (variation selectors, fillers), lone surrogates.
_NOTHING = (
    "\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\xad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
    "\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff"
    "\uffa0\ufff0-\ufffb\ud800-\udfff\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
_LEAD = _SPACE + _NOTHING
# A marker ends where the cut goes: before the `:` or `[` that would complete it. Each pattern starts with
# one literal character, which the regular expression engine finds fast; the one after `\r` is looked for
# only in text that holds one (reports hardly ever do).
_AFTER_NEWLINE = re.compile(rf"\n[{_LEAD}]*:[{_NOTHING}]*(?=:)")
_AFTER_RETURN = re.compile(rf"\r[{_LEAD}]*:[{_NOTHING}]*(?=:)")
_LEGACY = re.compile(rf"#[{_NOTHING}]*#[{_NOTHING}]*(?=\[)")
_BLANK = re.compile(rf"[{_LEAD}]+")
_COLON = re.compile(rf"[{_LEAD}]*:[{_NOTHING}]*")
_HASHES = re.compile(rf"#[{_NOTHING}]*(?:#[{_NOTHING}]*)?\Z")
CUT = " "

# Where the line being written stands, as the shortest text that matches the same way: nothing on it yet;
# only white space; white space and one `:`; anything else, ending in `#` or `##` (or neither).
LINE_START, BLANK, COLON = "\n", "\n\t", "\n:"


def neutralise(text: str, head: str = LINE_START) -> tuple[str, str]:
    """`text` with every command marker cut, given where its line stands (`head`); and where it ends."""
    work = head + text
    patterns = (_AFTER_NEWLINE, _AFTER_RETURN, _LEGACY) if "\r" in work else (_AFTER_NEWLINE, _LEGACY)
    cuts = sorted(match.end() for pattern in patterns for match in pattern.finditer(work))
    if cuts:
        pieces: list[str] = []
        last = len(head)
        for cut in cuts:
            pieces += (work[last:cut], CUT)
            last = cut
        pieces.append(work[last:])
        text = "".join(pieces)
    end = max(text.rfind("\n"), text.rfind("\r"))
    return text, _head(text[end + 1 :] if end >= 0 else head + text)


def _head(line: str) -> str:
    """The shortest text standing for this unfinished line (it starts at the line's start, or with `x`)."""
    if line.startswith(LINE_START):
        line = line[1:]
    if not line:
        return LINE_START
    if _BLANK.fullmatch(line):
        return BLANK
    if _COLON.fullmatch(line):
        return COLON
    hashes = _HASHES.search(line)
    return "x" + "#" * (hashes.group().count("#") if hashes else 0)


class Line:
    """Where the line being written into one pipe or file stands: shared by every guard writing there."""

    def __init__(self) -> None:
        self.head = LINE_START
        self.lock = threading.RLock()


class GuardedStream(TextIO):
    """A text stream (stdout, stderr, or a report written through to them) behind the guard.

    Each write is neutralised and flushed at once, so that two guards sharing a line (stdout and a report
    written to /dev/stdout) reach the pipe in the order their line state saw them.
    """

    def __init__(self, stream: TextIO, line: Line | None = None) -> None:
        self.stream = stream
        self.line = line or Line()

    def write(self, text: str) -> int:
        """Write the text with every command marker cut; returns the length given."""
        with self.line.lock:
            safe, self.line.head = neutralise(text, self.line.head)
            self.stream.write(safe)
            self.stream.flush()
        return len(text)

    def command(self, line: str) -> None:
        """One workflow command of the gate's own, written as it is, on a line of its own."""
        if "\n" in line or "\r" in line:
            self.write(line + "\n")  # never more than one line passes unguarded
            return
        with self.line.lock:
            self.stream.write(("" if self.line.head == LINE_START else "\n") + line + "\n")
            self.stream.flush()
            self.line.head = LINE_START

    def writelines(self, lines: Iterable[str]) -> None:
        """Write each piece through the guard."""
        for text in lines:
            self.write(text)

    def same_file(self, other: IO[str] | int) -> bool:
        """Whether `other` (a stream or a descriptor) writes into the same pipe, terminal or file as this one."""
        return self.stream is other or _same_file(self.stream, other)

    def flush(self) -> None:
        """Flush the stream beneath."""
        self.stream.flush()

    def fileno(self) -> int:
        """The descriptor beneath (an io.UnsupportedOperation for a stream in memory)."""
        return self.stream.fileno()

    def isatty(self) -> bool:
        """Whether the stream beneath is a terminal."""
        return self.stream.isatty()

    def close(self) -> None:
        """Flush only: the stream beneath belongs to whoever opened it."""
        with suppress(OSError, ValueError):
            self.stream.flush()

    @property
    def closed(self) -> bool:
        return self.stream.closed

    @property
    def encoding(self) -> str:
        return self.stream.encoding

    @property
    def errors(self) -> str | None:
        return self.stream.errors

    @property
    def buffer(self) -> IO[bytes]:  # type: ignore[override]
        # Bytes written here would pass the guard: there are none in the gate, and none may be.
        raise AttributeError("a guarded stream takes text only")

    @property
    def line_buffering(self) -> bool:
        return False

    @property
    def newlines(self) -> None:
        return None

    @property
    def name(self) -> str:
        return str(getattr(self.stream, "name", "<guarded>"))

    @property
    def mode(self) -> str:
        return "w"

    def readable(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, n: int = -1) -> str:
        raise OSError("a guarded stream is written, never read")

    def readline(self, limit: int = -1) -> str:
        raise OSError("a guarded stream is written, never read")

    def readlines(self, hint: int = -1) -> list[str]:
        raise OSError("a guarded stream is written, never read")

    def seek(self, offset: int, whence: int = 0) -> int:
        raise OSError("a guarded stream cannot seek")

    def tell(self) -> int:
        raise OSError("a guarded stream cannot tell")

    def truncate(self, size: int | None = None) -> int:
        raise OSError("a guarded stream cannot be truncated")

    def __iter__(self) -> Iterator[str]:
        raise OSError("a guarded stream is written, never read")

    def __next__(self) -> str:
        raise OSError("a guarded stream is written, never read")

    def __enter__(self) -> GuardedStream:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def guarded(stream: TextIO, *beside: GuardedStream) -> GuardedStream:
    """The stream behind the guard (itself if it is one), sharing its line with a guard of the same pipe or file."""
    if isinstance(stream, GuardedStream):
        return stream
    for other in beside:
        if other.same_file(stream):
            return GuardedStream(stream, other.line)
    return GuardedStream(stream)


def guarded_if_output(handle: TextIO, *streams: GuardedStream) -> TextIO:
    """A report written through to a device or a pipe: guarded when it is this process's stdout or stderr
    (`/dev/stdout`, `/dev/fd/2`, `/proc/self/fd/1`, the same pipe or terminal by another name), else as it is."""
    for stream in streams:
        if stream.same_file(handle):
            return GuardedStream(handle, stream.line)
    if any(_same_file(handle, fd) for fd in (1, 2)):
        return GuardedStream(handle)
    return handle


def _same_file(first: IO[str] | int, second: IO[str] | int) -> bool:
    try:
        stats = [os.fstat(item if isinstance(item, int) else item.fileno()) for item in (first, second)]
    except (OSError, ValueError, AttributeError):  # a stream in memory, or closed
        return False
    return os.path.samestat(stats[0], stats[1])
