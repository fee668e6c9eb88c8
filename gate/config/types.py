"""What a checked thresholds file gives the gate: a frozen Policy and its parts."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

BUILT_IN = "built-in defaults"
# The limits by kind, as the gate reads them at run time (the shape's LIMITS section, tested to agree):
# counts of tests by status, and rates. Kept here so that a run without a config file never loads the shape.
COUNT_KEYS = ("failed", "flaky", "skipped", "timed_out", "interrupted")
RATE_KEYS = ("failed_rate", "flaky_rate")


@dataclass(frozen=True)
class Thresholds:
    """Hard limits: the most tests of a status allowed, the most rates (fractions), the fewest tests run."""

    failed: int | None = 0
    flaky: int | None = None
    skipped: int | None = None
    # Playwright counts a timed-out or interrupted test as a failure; so does the gate, by default.
    timed_out: int | None = 0
    interrupted: int | None = 0
    failed_rate: float | None = None
    flaky_rate: float | None = None
    min_tests: int = 1
    # Most flaky tests whose history on the branch never failed (needs a `history` section; None: off).
    new_flaky: int | None = None


@dataclass(frozen=True)
class QuarantineEntry:
    """Known-broken tests (by spec and/or title glob) that do not count until a date, with a reason."""

    index: int
    spec: str | None
    test: str | None
    reason: str
    until: datetime.date
    owner: str | None = None
    # The list it is in: the top level's, or a project's (`projects.web.quarantine`).
    section: str = "quarantine"

    @property
    def key_path(self) -> str:
        """Where it is in the file: `quarantine[0]`, `projects.web.quarantine[0]`."""
        return f"{self.section}[{self.index}]"

    @property
    def label(self) -> str:
        """How the entry is named in reports: its key path and what it matches."""
        what = " and ".join(f"{key} {value!r}" for key, value in (("spec", self.spec), ("test", self.test)) if value)
        return f"{self.key_path} ({what})"


# The classes of a failed test whose failures a policy may forgive: never `new` nor `unknown`.
FORGIVABLE = ("flaky", "broken")


@dataclass(frozen=True)
class History:
    """Learn from a test's past results on a branch: which failures were flaky or broken before this run."""

    branch: str
    days: int = 14
    min_runs: int = 3
    forgive: tuple[str, ...] = ()
    max_forgiven: int = 10
    max_lookups: int = 50


@dataclass(frozen=True)
class Rule:
    """Limits for runs on some branches or with some tags; applied in order, key by key."""

    index: int
    branch: str | None
    tags: tuple[str, ...]
    thresholds: Mapping[str, Any]
    warn: Mapping[str, Any]
    fail_on: tuple[str, ...] | None = None
    # The keys of `history` this rule sets (merged key by key over the top-level section).
    history: Mapping[str, Any] = field(default_factory=dict)
    # A glob of the branch the change merges into (a pull request's base, a merge queue's target).
    target_branch: str | None = None
    # The list it is in: the top level's, or a project's (`projects.web.rules`).
    section: str = "rules"

    @property
    def label(self) -> str:
        """How the rule is named in reports."""
        parts = [f"branch {self.branch!r}"] if self.branch else []
        parts += [f"tags {', '.join(self.tags)}"] if self.tags else []
        parts += [f"target branch {self.target_branch!r}"] if self.target_branch else []
        return f"{self.section}[{self.index}] ({' and '.join(parts)})"


@dataclass(frozen=True)
class Baseline:
    """Compare with the newest finished run on a branch: at most this many new failures."""

    branch: str
    new_failures: int = 0


@dataclass(frozen=True)
class Project:
    """A project's own policy (`projects.<id>`): the keys it gives, merged key by key over the top level."""

    project_id: str
    name: str | None = None
    thresholds: Mapping[str, Any] = field(default_factory=dict)
    fail_on: tuple[str, ...] | None = None
    rules: tuple[Rule, ...] = ()
    quarantine: tuple[QuarantineEntry, ...] = ()
    history: Mapping[str, Any] = field(default_factory=dict)
    baseline: Baseline | None = None

    @property
    def warn(self) -> Mapping[str, Any]:
        """A project gives no `warn` of its own (its rules may): merged as a rule's, it changes nothing."""
        return {}


@dataclass(frozen=True)
class Policy:
    """What the gate demands of a finished run, and where that came from."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    fail_on: tuple[str, ...] = ("timed_out", "interrupted")
    source: str = BUILT_IN
    warn: Mapping[str, Any] = field(default_factory=dict)
    quarantine: tuple[QuarantineEntry, ...] = ()
    rules: tuple[Rule, ...] = ()
    baseline: Baseline | None = None
    fail_fast: bool = False
    history: History | None = None
    # Each project's own policy, by project id (`projects:`).
    projects: Mapping[str, Project] = field(default_factory=dict)
