"""The gate's own errors: each carries its ending and a message fit for users."""

from __future__ import annotations

from gate.ending import Ending


class GateError(Exception):
    """An expected failure: a message for the user and the ending it brings."""

    ending = Ending.NO_VERDICT
    # What kind of error it is, for the JSON verdict and the JUnit report.
    kind = "no_verdict"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SetupError(GateError):
    """Something the user must fix: a flag, an input, the config, the key, the ids."""

    ending = Ending.SETUP_ERROR
    kind = "setup"


class ConfigError(SetupError):
    """The thresholds file is unusable; `problems` lists every problem found, each with its key path."""

    def __init__(self, source: str, problems: list[str]) -> None:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"the config {source} is not valid:\n{lines}")
        self.source = source
        self.problems = problems


class NoVerdictError(GateError):
    """The gate could not reach a verdict (exit 3)."""


class Unexpected(GateError):
    """A bug in the gate (its traceback is printed): no verdict, exit 3, whatever `--mode` says."""


class ApiUnavailableError(NoVerdictError):
    """The API could not be reached, or kept failing, until the deadline."""

    kind = "unavailable"


class UnusableAnswerError(NoVerdictError):
    """The API answered with something the gate cannot judge."""

    kind = "unusable_answer"


class StillRunningError(NoVerdictError):
    """The run was still in progress when the deadline came."""

    kind = "timeout"


class CancelledError(NoVerdictError):
    """The gate was stopped by a signal (a cancelled job, Ctrl-C)."""

    ending = Ending.CANCELLED
    kind = "cancelled"


class NotWaitedForError(NoVerdictError):
    """A run of a gate of several that the gate stopped waiting for: another run failed it first (fail fast)."""

    kind = "not_waited_for"
