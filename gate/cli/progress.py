"""The job's progress, shown: each event of the job as console lines and GitHub's log groups."""

from __future__ import annotations

from collections.abc import Callable

from gate import __version__
from gate.cli.console import Console
from gate.job.events import (
    BaselineFound,
    BuildNotListedYet,
    Debug,
    Event,
    Finished,
    LookingForBuild,
    Noted,
    Polled,
    Retrying,
    SavedRunRead,
    StoppedEarly,
    StoppedWatching,
    Watching,
)
from gate.plural import plural
from gate.report import console as console_report
from gate.report import github as github_report
from gate.text import inline

# A burst of trouble with the API is one line, then at most one line this often while it lasts.
RETRY_LINE_EVERY = 15.0


class ConsoleProgress:
    """The listener the CLI gives the job: progress lines on the console, the polls folded in Actions."""

    def __init__(self, console: Console, *, debug: bool = False, label: str | None = None) -> None:
        """`label`: the run's, when the gate judges several at once: each line says which run it is about, and
        the polls are not folded in a log group (the runs' lines come mixed, and groups do not nest)."""
        self.console, self.debug, self.label = console, debug, label
        # When (on the deadline's clock) the last line about trouble with the API was printed.
        self.said_retry: float | None = None

    def __call__(self, event: Event) -> None:
        prefix = prefix_of(self.label)

        def say(text: str) -> None:
            self.console.print(prefix + text)

        self._tell(event, say)

    def _group(self, command: str) -> None:
        if self.label is None:
            self.console.command(command)

    def _tell(self, event: Event, say: Callable[[str], None]) -> None:
        if isinstance(event, LookingForBuild):
            say(
                f"playdash-gate {__version__} · finding the run of build {event.build_id} in project {event.project_id}"
            )
        elif isinstance(event, BuildNotListedYet):
            say(
                f"waiting: no run of build {event.build_id} yet · {event.elapsed:.0f}s elapsed · "
                f"next look in {event.next_wait:.1f}s"
            )
        elif isinstance(event, Noted):
            say(f"note: {event.text}")
        elif isinstance(event, Watching):
            say(console_report.banner(__version__, event.project_id, event.run_id, event.run_url or ""))
            if event.config_source != "built-in defaults":
                say(f"config: {event.config_source}")
            self._group(github_report.group(f"Waiting for run {event.run_id} to finish"))
        elif isinstance(event, Polled):
            say(console_report.progress_line(event.run, event.elapsed, event.next_wait))
        elif isinstance(event, StoppedWatching):
            self._group(github_report.end_group())
        elif isinstance(event, Finished):
            say(console_report.finished_line(event.run))
        elif isinstance(event, StoppedEarly):
            say(
                f"fail fast: the run is still in progress but already has {plural(event.failed, 'failed test')} "
                "(not quarantined), more than allowed; stopping now"
            )
        elif isinstance(event, BaselineFound):
            say(f"baseline: run {event.run_id} on {event.branch} ({plural(event.failed, 'failed test')} there)")
        elif isinstance(event, SavedRunRead):
            pages = plural(event.pages, "page")
            say(
                f"playdash-gate {__version__} · saved run {event.run_id or '?'} of project "
                f"{event.project_id or '?'} from {event.where} ({pages})"
            )
        elif isinstance(event, Retrying):
            if self.said_retry is None or event.elapsed - self.said_retry >= RETRY_LINE_EVERY:
                self.said_retry = event.elapsed
                say(console_report.retry_line(event.answered, event.attempts, event.next_wait, event.left))
        elif isinstance(event, Debug) and self.debug:
            self.console.debug(prefix_of(self.label) + event.message)


def prefix_of(label: str | None) -> str:
    """What begins each progress line of a run when the gate judges several: `[web] `."""
    return f"[{inline(label, 100)}] " if label is not None else ""
