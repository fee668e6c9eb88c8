"""What the job tells as it goes: events for a listener (the CLI wires it to the console and to GitHub).

Nothing under the job prints: it only says what happened, and the listener decides how to show it.
Events are named tuples: immutable, and far cheaper to define at start-up than dataclasses.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from gate.model import Run


class LookingForBuild(NamedTuple):
    """The run is named by a CI build id: the gate looks for it in List runs."""

    build_id: str
    project_id: str


class BuildNotListedYet(NamedTuple):
    """No run of the build id yet: the gate looks again after `next_wait` seconds."""

    build_id: str
    elapsed: float
    next_wait: float


class Noted(NamedTuple):
    """Something the reader should know (also kept for the reports)."""

    text: str


class Watching(NamedTuple):
    """The run is known: the gate starts polling it."""

    project_id: str
    run_id: str
    run_url: str | None
    config_source: str


class Polled(NamedTuple):
    """The run is still in progress; the next poll comes after `next_wait` seconds."""

    run: Run
    elapsed: float
    next_wait: float


class StoppedWatching(NamedTuple):
    """Polling ended, however it ended (finished, stopped early, an error)."""

    run_id: str


class Finished(NamedTuple):
    """The run has finished."""

    run: Run


class StoppedEarly(NamedTuple):
    """Fail fast: the run is still in progress but already has more failed tests than allowed."""

    failed: int


class BaselineFound(NamedTuple):
    """The run a baseline compares with, and how many of its tests failed."""

    run_id: str
    branch: str
    failed: int


class SavedRunRead(NamedTuple):
    """A saved answer was read (offline)."""

    run_id: str | None
    project_id: str | None
    where: str
    pages: int


class Retrying(NamedTuple):
    """A request met a transient fault (`answered`: what the API did); it is tried again after `next_wait`
    seconds, `elapsed` into the gate's deadline with `left` seconds of it left."""

    answered: str
    attempts: int
    next_wait: float
    elapsed: float
    left: float


class Debug(NamedTuple):
    """A detail for debug logging (each request and its answer)."""

    message: str


Event = (
    LookingForBuild
    | BuildNotListedYet
    | Noted
    | Watching
    | Polled
    | StoppedWatching
    | Finished
    | StoppedEarly
    | BaselineFound
    | SavedRunRead
    | Retrying
    | Debug
)


class Listener(Protocol):
    """Told of every event, in order."""

    def __call__(self, event: Event) -> None: ...
