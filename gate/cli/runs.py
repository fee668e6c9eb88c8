"""The runs of one gate, judged at once: each in a thread of its own within the one deadline, each to its own end.

Loaded by `cli/run.py` with the job, once the settings are good. A gate of one run judges it in this thread, as
any gate did before several runs could be named: one path, with one run.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from gate.cli.boundary import ErrorBoundary
from gate.cli.console import Console
from gate.config.types import Policy
from gate.deadline import Deadline, start
from gate.errors import CancelledError, GateError, NotWaitedForError
from gate.job.judge import Judged
from gate.outcome import Observed
from gate.settings import RunById, SavedAnswer, Target

# How long (in real seconds) the gate waits for the runs it stopped (fail fast, a cancel) to end: their waits end
# at once and their requests soon after; one still under way then is left behind, reported as it was.
STOP_GRACE = 5.0


@dataclass
class RunEnd:
    """One run of the gate: what names it, its label, its own deadline (within the gate's), what was learned on
    the way, and how it ended (a verdict, or the error that ended it)."""

    target: Target
    label: str
    deadline: Deadline
    observed: Observed
    judged: Judged | None = None
    error: GateError | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _settled: bool = field(default=False, repr=False)

    @property
    def failed(self) -> bool:
        """Whether the run has a verdict, and it fails the gate."""
        return self.judged is not None and self.error is None and not self.judged.verdict.passed

    @property
    def settled(self) -> bool:
        """Whether the run has ended."""
        return self._settled

    def settle(self, judged: Judged | None, error: GateError | None, *, again: bool = False) -> None:
        """How the run ended, once (`again`: the gate stopped it, whatever it then ended with): a run left behind
        keeps the end the gate gave it."""
        with self._lock:
            if again or not self._settled:
                self.judged, self.error, self._settled = judged, error, True


def labels(targets: Sequence[Target], policy: Policy) -> list[str]:
    """Each run's label: its project's `name` in the config, else its id; with the run's id when two runs of one
    project are judged."""
    projects = [None if isinstance(target, SavedAnswer) else target.project_id for target in targets]
    found = []
    for target, project in zip(targets, projects, strict=True):
        if project is None:
            found.append("saved answer")
            continue
        named = policy.projects.get(project)
        label = named.name if named is not None and named.name else project
        if projects.count(project) > 1 and isinstance(target, RunById):
            label = f"{label} · run {target.run_id}"
        found.append(label)
    return found


def judge_runs(ends: Sequence[RunEnd], judge: Callable[[RunEnd], Judged], console: Console, *, fail_fast: bool) -> None:
    """Judge each run to its end: the one run in this thread; several each in a thread of its own. With fail fast,
    the first run that fails stops the others (not waited for); a cancel stops them all, each as it had got."""
    if len(ends) == 1:
        _judge(ends[0], judge, console)
        return
    done: queue.Queue[RunEnd] = queue.Queue()
    threads = []
    for end in ends:
        thread = threading.Thread(target=_worker, args=(end, judge, console, done), name="run", daemon=True)
        start(thread)
        threads.append(thread)
    stop: GateError | None = None
    try:
        for _ in ends:
            end = done.get()
            if fail_fast and end.failed:
                stop = NotWaitedForError(
                    f"the run of {end.label} failed the gate first, and `fail_fast` ends the gate "
                    "at the first run that fails"
                )
                break
    except CancelledError as cancel:
        stop = cancel
    if stop is not None:
        _stop(ends, threads, stop)


def _stop(ends: Sequence[RunEnd], threads: Sequence[threading.Thread], stop: GateError) -> None:
    """Stop the runs still under way, and give each the error that stopped it (with what it had seen); a run that
    had already ended keeps its end, and a verdict reached while stopping is never taken back."""
    under_way = [end for end in ends if not end.settled]
    for end in ends:
        end.deadline.expire()
    until = time.monotonic() + STOP_GRACE
    for thread in threads:
        thread.join(max(0.0, until - time.monotonic()))
    for end in under_way:
        if end.judged is None:
            end.settle(None, stop, again=True)


def _worker(end: RunEnd, judge: Callable[[RunEnd], Judged], console: Console, done: queue.Queue[RunEnd]) -> None:
    try:
        _judge(end, judge, console)
    finally:
        done.put(end)


def _judge(end: RunEnd, judge: Callable[[RunEnd], Judged], console: Console) -> None:
    """One run judged within its own error boundary: whatever ends it is its own end, never the others'."""
    judged = None
    with ErrorBoundary(console) as boundary:
        judged = judge(end)
    end.settle(judged if boundary.error is None else None, boundary.error)
