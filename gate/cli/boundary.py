"""The one error boundary of the CLI, and the signals that cancel the gate."""

from __future__ import annotations

import signal
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType

from gate.cli.console import Console
from gate.deadline import out_of_threads
from gate.errors import CancelledError, GateError, NoVerdictError, Unexpected


class ErrorBoundary:
    """Turns any error of the gate into the error that ends it: expected ones as they are, running out of
    memory as a no-verdict error that says so, a bug as a no-verdict error (its traceback printed), so that
    every exit path still reports."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.error: GateError | None = None

    def __enter__(self) -> ErrorBoundary:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, _traceback: TracebackType | None
    ) -> bool:
        if error is None:
            return False
        if isinstance(error, GateError):
            self.error = error
            return True
        if isinstance(error, MemoryError) or out_of_threads(error):
            # Not a bug to report with a traceback: an answer or a file too large for the machine (or no room
            # left for a thread, wherever one is started). What held the memory is let go with the error (its
            # frames), so that every report can still be written.
            self.error = NoVerdictError(out_of_memory("before it reached a verdict"))
            return True
        if isinstance(error, Exception):
            self.console.print("".join(traceback.format_exception(error)), error=True)
            self.error = Unexpected(
                f"unexpected error ({type(error).__name__}); this is a bug in playdash-gate, please report it"
            )
            return True
        return False


def out_of_memory(when: str) -> str:
    """What a MemoryError means to the user, wherever it was raised (`when`: "while writing the JSON verdict")."""
    return (
        f"the gate ran out of memory {when} (MemoryError): an answer or a file was too large to hold; no verdict. "
        "Give the job more memory, or check what the API (or the file given) sends"
    )


@contextmanager
def signals_cancel() -> Iterator[None]:
    """SIGTERM (a cancelled CI job) and SIGINT stop the gate at once, as a CancelledError."""

    def cancel(signum: int, _frame: FrameType | None) -> None:
        raise CancelledError(f"the gate was cancelled ({signal.Signals(signum).name}) before it reached a verdict")

    try:
        previous = {sig: signal.signal(sig, cancel) for sig in (signal.SIGTERM, signal.SIGINT)}
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
