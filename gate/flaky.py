"""Flaky tests judged by their history: the newly flaky (passed in every past run), and those of unknown
history, never counted (pure, like `gate.evaluate`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gate.config.types import History, QuarantineEntry
from gate.history import TestHistory, history_of
from gate.model import TestResult
from gate.plural import plural

# How many reasons a note on unknown flaky tests names (the rest are counted).
MAX_REASONS = 3


def split_flaky(
    flaky: Sequence[TestResult], classed: Mapping[str, TestHistory]
) -> tuple[tuple[TestResult, ...], tuple[TestResult, ...]]:
    """The flaky tests whose history is `new` (at least min_runs past runs, every one passed), and those whose
    history is unknown (too few runs, not looked up, a lookup that failed, an ambiguous id): the first count
    as newly flaky, the second never do."""
    newly = tuple(test for test in flaky if history_of(test, classed).klass == "new")
    unknown = tuple(test for test in flaky if history_of(test, classed).klass == "unknown")
    return newly, unknown


def unknown_flaky_note(
    unknown: Sequence[TestResult], classed: Mapping[str, TestHistory], section: History
) -> tuple[str, ...]:
    """How many flaky tests were not counted as newly flaky for want of evidence, and why (grouped)."""
    if not unknown:
        return ()
    reasons = Counter(history_of(test, classed).reason or "unknown" for test in unknown)
    named = [f"{count:,}: {reason}" for reason, count in reasons.most_common(MAX_REASONS)]
    rest = len(reasons) - len(named)
    named += [f"{plural(rest, 'other reason')}"] * bool(rest)
    return (
        f"{plural(len(unknown), 'flaky test')} of unknown history on {section.branch} not counted as newly flaky "
        f"({'; '.join(named)})",
    )


@dataclass(frozen=True)
class Release:
    """A quarantine entry ready to release: the tests it matched in this run (all passed), and why, in words."""

    entry: QuarantineEntry
    tests: tuple[TestResult, ...]
    evidence: str
