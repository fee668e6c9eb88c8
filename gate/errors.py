"""The gate's own errors: each carries its exit code and a message fit for users."""

from __future__ import annotations

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_SETUP = 2
EXIT_NO_VERDICT = 3


class GateError(Exception):
    """An expected failure: a message for the user and the exit code it ends with."""

    exit_code = EXIT_NO_VERDICT

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SetupError(GateError):
    """Something the user must fix: a flag, an input, the config, the key, the ids."""

    exit_code = EXIT_SETUP


class ConfigError(SetupError):
    """The thresholds file is unusable; `problems` lists every problem found, each with its key path."""

    def __init__(self, source: str, problems: list[str]) -> None:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"the config {source} is not valid:\n{lines}")
        self.source = source
        self.problems = problems


class NoVerdictError(GateError):
    """The gate could not reach a verdict (exit 3)."""

    exit_code = EXIT_NO_VERDICT


class ApiUnavailableError(NoVerdictError):
    """The API could not be reached, or kept failing, until the deadline."""


class UnusableAnswerError(NoVerdictError):
    """The API answered with something the gate cannot judge."""


class StillRunningError(NoVerdictError):
    """The run was still in progress when the deadline came."""


class CancelledError(NoVerdictError):
    """The gate was stopped by a signal (a cancelled job, Ctrl-C)."""
