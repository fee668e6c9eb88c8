"""The job's progress, shown: each event of the job as console lines and GitHub's log groups."""

from __future__ import annotations

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
    SavedRunRead,
    StoppedEarly,
    StoppedWatching,
    Watching,
)
from gate.plural import plural
from gate.report import console as console_report
from gate.report import github as github_report


class ConsoleProgress:
    """The listener the CLI gives the job: progress lines on the console, the polls folded in Actions."""

    def __init__(self, console: Console, *, debug: bool = False) -> None:
        self.console, self.debug = console, debug

    def __call__(self, event: Event) -> None:
        say = self.console.print
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
            self.console.command(github_report.group(f"Waiting for run {event.run_id} to finish"))
        elif isinstance(event, Polled):
            say(console_report.progress_line(event.run, event.elapsed, event.next_wait))
        elif isinstance(event, StoppedWatching):
            self.console.command(github_report.end_group())
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
        elif isinstance(event, Debug) and self.debug:
            self.console.debug(event.message)
