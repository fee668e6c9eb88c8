"""The console: every line the gate prints goes through here, redacted, made one line, and behind the guard."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from contextlib import suppress
from typing import TextIO

from gate.cli.guard import GuardedStream, guarded
from gate.redact import Redactor
from gate.report import github as github_report
from gate.text import sanitise


class Console:
    """Every line the gate prints goes through here: the key is redacted, and the streams are behind the guard,
    so that no line is a workflow command but the gate's own."""

    def __init__(
        self, out: TextIO, err: TextIO, secret: str | None, github: bool = False, also: tuple[str | None, ...] = ()
    ) -> None:
        self.out: GuardedStream = guarded(out)
        self.err: GuardedStream = guarded(err, self.out)
        self.github = github
        # `also`: other secrets redacted like the key (the GitHub token, when the gate comments).
        self.redactor = Redactor([secret, *also])
        # The runs of a gate judged at once print from their threads: whole lines, one writer at a time.
        self._lock = threading.RLock()

    def redact(self, text: str) -> str:
        """Hide the key in any spelling a sink may give it, wherever it might have crept in."""
        return self.redactor.text(text)

    def print(self, text: str, *, error: bool = False) -> None:
        """Print lines of report text, each made one line (the guard cuts any that would be a command)."""
        lines = [sanitise(line) for line in self.redact(text).split("\n")]
        with self._lock:
            self.write_to(self.err if error else self.out, "".join(line + "\n" for line in lines))

    def command(self, text: str) -> None:
        """A workflow command of the gate's own (already escaped), printed on one line, and only in Actions."""
        if self.github:
            self._own(sanitise(self.redact(text)))

    def mask(self, secret: str) -> None:
        """Ask the runner to hide the secret in all later logs: the first thing printed in Actions."""
        if self.github:
            for line in github_report.mask(secret):
                self._own(line)

    def _own(self, line: str) -> None:
        """One of the gate's own commands: the only line the guard lets through as it is."""
        try:
            with self._lock:
                self.out.command(line)
        except BrokenPipeError:
            _gone(self.out)

    @staticmethod
    def write_to(stream: TextIO, text: str) -> None:
        """Write and flush; a reader that went away (`| head`) must not change the verdict."""
        try:
            stream.write(text)
            stream.flush()
        except BrokenPipeError:
            _gone(stream)

    def debug(self, message: str) -> None:
        """A debug line: `::debug::` in Actions, else on stderr."""
        if self.github:
            self.command(github_report.debug(message))
        else:
            self.print(f"debug: {message}", error=True)


def _gone(stream: TextIO) -> None:
    """Nobody reads the stream any more: later writes go nowhere rather than fail."""
    with suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


def colour(env: Mapping[str, str], stream: TextIO) -> bool:
    """ANSI colour only on a terminal, and never with NO_COLOR or TERM=dumb."""
    if "NO_COLOR" in env or env.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())
