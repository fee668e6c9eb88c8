"""The policy in force for one run: rules by branch and tags merged in order, quarantine by date.

Pure: the branch, the tags and today's date are given, never read here. The job resolves the policy in
force once per state of the run (`PolicyInForce`) and passes it down: to fail fast, the gathering of
histories, the evaluation and the reports.
"""

from __future__ import annotations

import datetime
import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import Any, NamedTuple, Protocol

from gate.config.types import Baseline, History, Policy, QuarantineEntry, Rule, Thresholds
from gate.model import Run, TestResult

EXPIRING_DAYS = 7
# A quarantine entry matching more failed or flaky tests than this in one run is reported as too broad.
MAX_QUARANTINE_MATCHES = 20
# A glob of these characters alone (`*`, `**`, `*/*`, `*.*`) names no test in particular: it matches them all.
_NAMES_NOTHING = frozenset("*?/. ")


@dataclass(frozen=True)
class InForce:
    """The policy in force for a branch and tags on a day: the limits its rules give, the rules that made
    them, the quarantine entries by state, and the sections that apply to every run."""

    thresholds: Thresholds
    warn: Mapping[str, Any]
    fail_on: tuple[str, ...]
    rules_applied: tuple[Rule, ...]
    # The quarantine entries that apply today, and those that no longer do (all of them without a date).
    quarantine: tuple[QuarantineEntry, ...]
    expired_quarantine: tuple[QuarantineEntry, ...]
    # The history section in force (None: no history is asked for, and none is looked up).
    history: History | None
    baseline: Baseline | None
    fail_fast: bool
    # What it was resolved for: the deciding branch, the tags, and the day quarantine is judged by.
    branch: str | None
    tags: tuple[str, ...]
    today: datetime.date | None
    # The branch the change merges into (a pull request's base, a merge queue's target), when known.
    target_branch: str | None = None

    @property
    def forgiving(self) -> bool:
        """Whether history may forgive failures (a class to forgive is named)."""
        return self.history is not None and bool(self.history.forgive)

    @property
    def judges_new_flaky(self) -> bool:
        """Whether a limit of newly flaky tests is in force (hard or soft)."""
        return self.thresholds.new_flaky is not None or self.warn.get("new_flaky") is not None


def rule_applies(rule: Rule, branch: str | None, tags: Iterable[str], target_branch: str | None = None) -> bool:
    """A rule applies when its branch glob matches (if it has one), its target branch glob matches the branch the
    change merges into (if it has one), and any of its tags is the run's (if any)."""
    if rule.branch is not None and (branch is None or not fnmatchcase(branch, rule.branch)):
        return False
    if rule.target_branch is not None and (target_branch is None or not fnmatchcase(target_branch, rule.target_branch)):
        return False
    return not rule.tags or bool(set(rule.tags) & set(tags))


def applies_on(entry: QuarantineEntry, today: datetime.date | None) -> bool:
    """An entry applies through its `until` day (UTC); with no date known, none applies (fail closed)."""
    return today is not None and today <= entry.until


def days_left(entry: QuarantineEntry, today: datetime.date) -> int:
    """Days the entry still applies after today (0 on its last day)."""
    return (entry.until - today).days


def expiring(entry: QuarantineEntry, today: datetime.date) -> bool:
    """Whether an entry in force stops applying within EXPIRING_DAYS (its last day included): time to act on it."""
    return 0 <= days_left(entry, today) < EXPIRING_DAYS


def deciding_branch(run_branch: str | None, ci_branch: str | None) -> str | None:
    """The branch whose rules apply: the run's own, and the CI's only when the run names none.

    The run's branch is what was tested; the CI job reading it may run elsewhere (a gate job on `main`
    judging a run of `release/1.2`, a merge ref of a pull request).
    """
    return run_branch or ci_branch


class Layer(Protocol):
    """What is merged key by key over the limits: a rule that applies, or a project's own policy."""

    @property
    def thresholds(self) -> Mapping[str, Any]: ...
    @property
    def warn(self) -> Mapping[str, Any]: ...
    @property
    def fail_on(self) -> tuple[str, ...] | None: ...
    @property
    def history(self) -> Mapping[str, Any]: ...


class Limits(NamedTuple):
    """The sections a layer merges over: the limits, the soft limits, the failing statuses, the history."""

    thresholds: Thresholds
    warn: Mapping[str, Any]
    fail_on: tuple[str, ...]
    history: History | None


def merged(limits: Limits, layer: Layer) -> Limits:
    """A layer's keys over the limits, key by key: the one way rules and projects are merged."""
    history = limits.history
    if layer.history:
        # The config guarantees a branch once merged: the layer's own or the section below it.
        history = replace(history, **layer.history) if history else History(**layer.history)
    return Limits(
        replace(limits.thresholds, **layer.thresholds),
        {**limits.warn, **layer.warn},
        layer.fail_on if layer.fail_on is not None else limits.fail_on,
        history,
    )


def for_project(policy: Policy, project_id: str | None) -> Policy:
    """The policy for a project's runs: its own keys (`projects.<id>`) merged over the top level's, its rules and
    quarantine entries after the top level's, its baseline instead of the top level's; the top level's when the
    project has none."""
    project = policy.projects.get(project_id) if project_id is not None else None
    if project is None:
        return policy
    limits = merged(Limits(policy.thresholds, policy.warn, policy.fail_on, policy.history), project)
    return replace(
        policy,
        thresholds=limits.thresholds,
        fail_on=limits.fail_on,
        history=limits.history,
        rules=(*policy.rules, *project.rules),
        quarantine=(*policy.quarantine, *project.quarantine),
        baseline=project.baseline or policy.baseline,
    )


def in_force(
    policy: Policy,
    branch: str | None,
    tags: Sequence[str],
    today: datetime.date | None,
    target_branch: str | None = None,
) -> InForce:
    """Merge the rules that apply, in order, key by key, over the top-level limits."""
    limits = Limits(policy.thresholds, dict(policy.warn), policy.fail_on, policy.history)
    applied = []
    for rule in policy.rules:
        if rule_applies(rule, branch, tags, target_branch):
            applied.append(rule)
            limits = merged(limits, rule)
    return InForce(
        thresholds=limits.thresholds,
        warn=limits.warn,
        fail_on=limits.fail_on,
        rules_applied=tuple(applied),
        quarantine=tuple(e for e in policy.quarantine if applies_on(e, today)),
        expired_quarantine=tuple(e for e in policy.quarantine if not applies_on(e, today)),
        history=limits.history,
        baseline=policy.baseline,
        fail_fast=policy.fail_fast,
        branch=branch,
        tags=tuple(tags),
        today=today,
        target_branch=target_branch,
    )


class PolicyInForce:
    """The policy in force for each state of a run: resolved once per branch and tags, here only.

    The run's own branch decides the rules, the CI's only when the run names none. Fail fast judges a run
    at its polls, and a run in progress may name its branch or tags late: a new state is resolved anew,
    the state of the last poll is not (the finished run usually has it too).
    """

    def __init__(
        self,
        policy: Policy,
        *,
        ci_branch: str | None,
        today: datetime.date | None,
        target_branch: str | None = None,
    ) -> None:
        self.policy, self.ci_branch, self.today, self.target_branch = policy, ci_branch, today, target_branch
        self._last: tuple[tuple[str | None, tuple[str, ...]], InForce] | None = None

    def __call__(self, run: Run) -> InForce:
        """The policy in force for the run as it is now."""
        state = (deciding_branch(run.branch, self.ci_branch), tuple(run.tags))
        if self._last is None or self._last[0] != state:
            self._last = (state, in_force(self.policy, *state, self.today, self.target_branch))
        return self._last[1]


def matches(entry: QuarantineEntry, test: TestResult) -> bool:
    """Both globs given must match: `spec` on the spec file name, `test` on the title."""
    return (entry.spec is None or fnmatchcase(test.spec, entry.spec)) and (
        entry.test is None or fnmatchcase(test.title, entry.test)
    )


def matches_every_test(entry: QuarantineEntry) -> bool:
    """Whether every glob the entry gives is wildcards alone (`*`, `**`, `*/*`): it quarantines any failure.

    Known without a run, so `validate` can say it; an entry that merely matches many tests is found in a run.
    """
    globs = [glob for glob in (entry.spec, entry.test) if glob is not None]
    return bool(globs) and all("*" in glob and set(glob) <= _NAMES_NOTHING for glob in globs)


def split_quarantined(
    tests: Iterable[TestResult], entries: Sequence[QuarantineEntry]
) -> tuple[list[TestResult], list[tuple[TestResult, QuarantineEntry]]]:
    """The tests that count, and the quarantined ones with the (first) entry that covers each."""
    if not entries:
        return list(tests), []  # nothing in quarantine: not a test of a large run looked at
    kept: list[TestResult] = []
    quarantined: list[tuple[TestResult, QuarantineEntry]] = []
    matcher = EntryMatcher(entries)
    for test in tests:
        matched = matcher(test) if entries else ()
        if matched:
            quarantined.append((test, matched[0]))
        else:
            kept.append(test)
    return kept, quarantined


class EntryMatcher:
    """Which of some quarantine entries match a test, as `matches` says, for many tests at a bearable cost: the
    spec globs are decided once per spec file name, and each glob is compiled once."""

    def __init__(self, entries: Iterable[QuarantineEntry]) -> None:
        self.entries = tuple(entries)
        self._titles = {e.key_path: re.compile(fnmatch.translate(e.test)).match for e in self.entries if e.test}
        self._specs = {e.key_path: re.compile(fnmatch.translate(e.spec)).match for e in self.entries if e.spec}
        self._by_spec: dict[str, tuple[QuarantineEntry, ...]] = {}
        # Any title glob at all, in one pattern: most tests match none, and are told so in one pass.
        every = [fnmatch.translate(e.test) for e in self.entries if e.test]
        untitled = len(every) < len(self.entries)
        self._any_title = None if untitled else re.compile("|".join(f"(?:{glob})" for glob in every)).match

    def __call__(self, test: TestResult) -> tuple[QuarantineEntry, ...]:
        """The entries that match the test, in their order."""
        if self._any_title is not None and not self._any_title(test.title):
            return ()
        by_spec = self._by_spec.get(test.spec)
        if by_spec is None:
            specs = self._specs
            by_spec = tuple(e for e in self.entries if e.key_path not in specs or specs[e.key_path](test.spec))
            self._by_spec[test.spec] = by_spec  # one per spec file name of the tests the gate holds: bounded
        titles = self._titles
        return tuple(e for e in by_spec if e.key_path not in titles or titles[e.key_path](test.title))
