"""What one invocation of the gate learned, on any exit path: the one input of every reporter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from gate.ci import CiInfo
from gate.evaluate import Verdict
from gate.model import Run, TestResult

VerdictWord = Literal["pass", "fail", "error"]


@dataclass(frozen=True)
class Outcome:
    """The verdict (or the error), the run as last seen, its tests, and how the gate got there."""

    verdict: VerdictWord
    exit_code: int
    message: str
    version: str
    project_id: str | None = None
    run_id: str | None = None
    run_url: str | None = None
    run: Run | None = None
    result: Verdict | None = None
    failed_tests: tuple[TestResult, ...] = ()
    flaky_tests: tuple[TestResult, ...] = ()
    config_source: str | None = None
    error_kind: str | None = None
    waited: float = 0.0
    requests: int = 0
    notes: tuple[str, ...] = field(default=())
    ci: CiInfo | None = None
    # No verdict (the API stayed unavailable), let through because the user chose --on-unavailable pass.
    passed_on_unavailable: bool = False


@dataclass
class Observed:
    """What the job has learned so far, kept for the reports of any exit path (errors included)."""

    run: Run | None = None
    run_id: str | None = None
    run_url: str | None = None
    requests: Callable[[], int] = lambda: 0
    elapsed: Callable[[], float] = lambda: 0.0
    config_source: str | None = None
    notes: list[str] = field(default_factory=list)
