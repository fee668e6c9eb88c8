"""How the gate ends: one closed set of states (the CLI alone maps them to exit codes)."""

from __future__ import annotations

from enum import Enum
from typing import Literal

VerdictWord = Literal["pass", "fail", "error"]


class Ending(Enum):
    """How the gate ended: the one state every reporter branches on (the CLI maps it to an exit code)."""

    PASSED = "passed"
    FAILED = "failed"
    SETUP_ERROR = "setup_error"
    NO_VERDICT = "no_verdict"
    # No verdict (the API stayed unavailable), let through because the user chose --on-unavailable pass.
    LET_THROUGH = "let_through"
    CANCELLED = "cancelled"

    @property
    def word(self) -> VerdictWord:
        """`pass`, `fail` or `error`: the verdict as the JSON and the outputs give it."""
        return {Ending.PASSED: "pass", Ending.FAILED: "fail"}.get(self, "error")  # type: ignore[return-value]

    @property
    def judged(self) -> bool:
        """Whether the gate reached a verdict on the run (passed or failed)."""
        return self in (Ending.PASSED, Ending.FAILED)
