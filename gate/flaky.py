"""Flaky tests judged by their history: the newly flaky (passed in every past run), and those of unknown
history, never counted (pure, like `gate.evaluate`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gate.checks import Check
from gate.config.types import History, QuarantineEntry
from gate.history import TestHistory, history_of
from gate.model import TestResult
from gate.plural import plural
from gate.policy import EntryMatcher

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


def released(
    entries: Sequence[QuarantineEntry],
    by_status: Mapping[str, Sequence[TestResult]],
    classed: Mapping[str, TestHistory],
    branch: str,
) -> tuple[tuple[QuarantineEntry, ...], tuple[Release, ...]]:
    """Of the entries in force that quarantined no failed or flaky test: those that matched no test listed (of
    any status: the passed tests they match were listed), and those ready to release: every test they matched
    passed in this run, and the history of each is `new` (at least min_runs past runs, every one passed). A test
    not looked up is unknown: no release."""
    matcher = EntryMatcher(entries)
    matching: dict[str, list[TestResult]] = {entry.key_path: [] for entry in entries}
    for tests in by_status.values():
        for test in tests:
            for entry in matcher(test):
                matching[entry.key_path].append(test)
    unused: list[QuarantineEntry] = []
    ready: list[Release] = []
    for entry in entries:
        matched = tuple(matching[entry.key_path])
        if not matched:
            unused.append(entry)
            continue
        pasts = [history_of(test, classed) for test in matched]
        if all(test.status == "passed" for test in matched) and all(past.klass == "new" for past in pasts):
            fewest = min(past.runs for past in pasts)
            said = plural(len(matched), "test")
            whose = "its" if len(matched) == 1 else "each of their"
            evidence = f"{said} passed in this run and in {whose} past runs on {branch} ({fewest:,} at least)"
            ready.append(Release(entry, matched, evidence))
    return tuple(unused), tuple(ready)


def new_flaky_check(limit: int, newly: Sequence[TestResult], section: History | None) -> Check:
    """The newly flaky tests against their limit; without a history section nothing can be judged (fail closed)."""
    if section is None:
        return Check("new_flaky", 0, "<=", limit, passed=False, detail="no `history` section is in force to judge it")
    detail = f"flaky now, and passed in each of at least {section.min_runs} past runs on {section.branch}"
    return Check("new_flaky", len(newly), "<=", limit, len(newly) <= limit, detail)
