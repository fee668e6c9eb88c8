"""The rerun list: the spec files of the tests that count against the gate, one per line, for a rerun command.

File names come from the API and are untrusted: the list is meant for a shell (`npx playwright test $(cat …)`),
so a name that is not a plain relative path is left out and counted, never written.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from gate.outcome import Outcome

# The statuses whose tests count against the gate as failures (Playwright counts a timed-out test as failed).
RERUN_STATUSES = ("failed", "timed_out", "interrupted")
# Characters a shell would read as more than a name in `$(cat file)` (globs, quotes, expansions, escapes), and
# those Playwright's filter reads as a regular expression's (`new RegExp(name)`: `c++.spec.ts` is no pattern,
# `a+b.spec.ts` never matches itself); a `.` is kept, as it matches itself (and only ever more).
_SHELL = frozenset("*?[]{}'\"`$\\!;&|<>()~#+^")
# Playwright reads a name ending in `:12` or `:12:5` as a file and a line: it would run less than the file.
_LINE = re.compile(r":[0-9]+(:[0-9]+)?$")
# Code points no font shows though Unicode calls them letters or marks (Hangul fillers, variation selectors,
# the combining grapheme joiner, Khmer's inherent vowels): a name with one looks like another name.
_INVISIBLE = frozenset(
    (0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0, *range(0x180B, 0x1810), *range(0xFE00, 0xFE10))
).union(range(0xE0100, 0xE01F0))
# A spec file's path is not longer than this (file systems allow 4,096 bytes; no suite needs more).
MAX_NAME = 1024
# Unicode categories no file name of a test suite needs: controls, format characters (bidi overrides,
# zero-width joiners), surrogates, private use, unassigned, and separators (spaces and line ends).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})


class RerunList(NamedTuple):
    """The spec files to run again, sorted and each once; how many names were left out as unsafe; how many
    tests counted against the gate were not listed by the API (so the list may be short of their files)."""

    files: tuple[str, ...]
    left_out: int
    unlisted: int


def is_plain_relative_path(name: str) -> bool:
    """Whether a file name from the API is a plain relative path that a shell passes on as it is."""
    if not name or len(name) > MAX_NAME or name.startswith(("-", "/")) or (len(name) > 1 and name[1] == ":"):
        return False
    if _LINE.search(name):
        return False
    if any(part in ("", ".", "..") for part in name.split("/")):
        return False
    return not any(
        ch in _SHELL or ch == "\ufffd" or ord(ch) in _INVISIBLE or unicodedata.category(ch) in _REFUSED_CATEGORIES
        for ch in name
    )


def rerun_list(outcome: Outcome) -> RerunList:
    """What `--rerun-file` holds: the spec files of the failed (not quarantined, not forgiven), timed-out and
    interrupted tests of the verdict; nothing without a verdict."""
    result = outcome.result
    if result is None:
        return RerunList((), 0, 0)
    tests = [test for test in result.failed_tests if not result.is_forgiven(test)]
    tests += [test for status in RERUN_STATUSES[1:] for test in result.listed.get(status, ())]
    names = {test.spec for test in tests}
    plain = sorted(name for name in names if is_plain_relative_path(name))
    listed_failed = len(result.listed.get("failed", ()))
    counted = {status: result.counts.get(status, 0) for status in RERUN_STATUSES}
    unlisted = max(0, counted["failed"] + len(result.forgiven) + _quarantined_failed(outcome) - listed_failed)
    unlisted += sum(max(0, counted[status] - len(result.listed.get(status, ()))) for status in RERUN_STATUSES[1:])
    return RerunList(tuple(plain), len(names) - len(plain), unlisted)


def _quarantined_failed(outcome: Outcome) -> int:
    result = outcome.result
    return sum(test.status == "failed" for test, _entry in result.quarantined) if result else 0
