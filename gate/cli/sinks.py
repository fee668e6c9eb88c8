"""The reporters: one interface, one implementation per sink; each writes on its own, on every exit path.

The console's sink is here; the sinks only some runs ask for (report files, the rerun list, GitHub's
annotations and outputs) are in gate/cli/files.py, loaded by gate/cli/run.py when a run asks for one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from gate.cli.boundary import out_of_memory
from gate.cli.console import Console
from gate.outcome import Outcome
from gate.report import console as console_report
from gate.report import github as github_report


class Reporter(Protocol):
    """A sink of the outcome: the console, a report file, GitHub's commands and outputs."""

    @property
    def what(self) -> str:
        """What the sink is called in a warning."""

    def report(self, outcome: Outcome) -> None:
        """Write the outcome to this sink."""


class CommentSink(Reporter, Protocol):
    """The pull request comment (gate/cli/comment.py): a sink like the others, written right after the console,
    whose address the sinks written after it carry."""

    @property
    def url(self) -> str | None:
        """The comment's address once it is written; None before, or when it was not."""

    @property
    def body(self) -> str | None:
        """The comment's text once made for posting; None before, or when it was not."""


def comment_address(comment: CommentSink | None) -> str | None:
    """The comment's address once it is written, for the reports that carry it."""
    return comment.url if comment else None


@dataclass(frozen=True)
class ConsoleReporter:
    """The console report: the checks, the tests, the verdict line; on stderr when there is no verdict."""

    console: Console
    colour: bool
    what: str = "console report"

    def report(self, outcome: Outcome) -> None:
        try:
            text = console_report.render(outcome, colour=self.colour)
        except Exception:
            # The verdict line is never lost, whatever broke the full report.
            first = outcome.message.splitlines()[0] if outcome.message else outcome.verdict
            self.console.print(f"verdict: {outcome.verdict}: {first}   (exit {outcome.exit_code})", error=True)
            raise
        self.console.print(text, error=not outcome.ending.judged)


RERUN_TITLE = "Playwright gate rerun file"


def warn(console: Console, text: str, *, title: str) -> None:
    """One warning: an annotation in GitHub Actions, a `warning:` line on stderr elsewhere."""
    if console.github:
        console.command(github_report.command("warning", text, title=title))
    else:
        console.print(f"warning: {text}", error=True)


def report_everywhere(outcome: Outcome, sinks: Iterable[Reporter], console: Console) -> bool:
    """Each sink on its own: one that breaks is a warning and costs none of the others. Whether memory ran out
    in one: the gate then ends with no verdict (exit 3), whatever the reports already written say."""
    ran_out = False
    for sink in sinks:
        try:
            sink.report(outcome)
        except MemoryError:
            ran_out = True
            console.print(f"error: {out_of_memory(f'while writing the {sink.what}')}", error=True)
        except Exception as error:  # noqa: BLE001 - one broken sink must never cost the others
            console.print(
                f"warning: the {sink.what} could not be written ({type(error).__name__}); this is a bug in "
                "playdash-gate, please report it. The verdict stands",
                error=True,
            )
    return ran_out
