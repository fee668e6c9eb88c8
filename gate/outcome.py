"""What one invocation of the gate came to, on any exit path: one Ending on one immutable Outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from gate.ci import CiInfo
from gate.ending import Ending, VerdictWord
from gate.evaluate import Verdict
from gate.model import Run, TestResult


@dataclass(frozen=True)
class Outcome:
    """The ending and its message, the run as last seen, its verdict, and how the gate got there."""

    ending: Ending
    # Mapped from the ending by the CLI, once; reporters show it, never branch on it.
    exit_code: int
    message: str
    version: str
    project_id: str | None = None
    run_id: str | None = None
    run_url: str | None = None
    run: Run | None = None
    result: Verdict | None = None
    config_source: str | None = None
    # What kind of error ended the gate (setup, timeout, unavailable, unusable_answer, cancelled).
    error_kind: str | None = None
    waited: float = 0.0
    requests: int = 0
    notes: tuple[str, ...] = field(default=())
    ci: CiInfo | None = None
    baseline_url: str | None = None
    # The branch the change merges into (--target-branch, or the CI's), and where it came from.
    target_branch: str | None = None
    target_source: str | None = None
    # False in report mode (`--mode report`); `would_exit` is then the exit code the gate would have given.
    enforced: bool = True
    would_exit: int | None = None
    # The run's label in a gate of several runs (its project's name, or its id).
    label: str | None = None
    # Each run's own Outcome: the one run's (itself) in a gate of one, none before the runs were named.
    runs: tuple[Outcome, ...] = ()

    @property
    def several(self) -> bool:
        """Whether this is the Outcome of a gate of several runs, its own fields the gate's."""
        return len(self.runs) > 1

    @property
    def overruled(self) -> bool:
        """Whether report mode let the pipeline go on where the gate would have stopped it."""
        return not self.enforced and self.would_exit is not None and self.would_exit != self.exit_code

    @property
    def verdict(self) -> VerdictWord:
        """`pass`, `fail` or `error`."""
        return self.ending.word

    @property
    def failed_tests(self) -> tuple[TestResult, ...]:
        """The failed tests that count (the verdict's; none without a verdict)."""
        return self.result.failed_tests if self.result else ()

    @property
    def flaky_tests(self) -> tuple[TestResult, ...]:
        """The flaky tests that count."""
        return self.result.flaky_tests if self.result else ()


@dataclass
class Observed:
    """What the job has learned so far, kept for the reports of any exit path (errors included)."""

    run: Run | None = None
    run_id: str | None = None
    run_url: str | None = None
    # The baseline run's page, when a baseline run was found and the workspace is known.
    baseline_url: str | None = None
    requests: Callable[[], int] = lambda: 0
    elapsed: Callable[[], float] = lambda: 0.0
    config_source: str | None = None
    notes: list[str] = field(default_factory=list)
