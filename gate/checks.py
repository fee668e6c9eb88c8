"""A check: one rule of the gate applied to a run, what was found, the limit, and whether it held."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Comparison = Literal["<=", ">=", "not in"]

CHECK_NAMES = {
    "failed": "failed tests",
    "flaky": "flaky tests",
    "skipped": "skipped tests",
    "timed_out": "timed-out tests",
    "interrupted": "interrupted tests",
    "failed_rate": "failed rate",
    "flaky_rate": "flaky rate",
    "min_tests": "tests run",
    "status": "final status",
    "new_failures": "new failures",
    "unknown_statuses": "tests of unknown status",
    "forgiven": "forgiven failures",
    "new_flaky": "newly flaky tests",
}


@dataclass(frozen=True)
class Check:
    """One rule applied to the run: what was found, the limit, and whether it held."""

    key: str
    actual: int | float | str
    comparison: Comparison
    limit: int | float | tuple[str, ...]
    passed: bool
    detail: str = ""

    @property
    def name(self) -> str:
        """The check as a reader calls it."""
        return CHECK_NAMES.get(self.key, self.key)
