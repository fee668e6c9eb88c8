"""Watch the run until `is_running` is false (or fail fast says stop): polling with backoff, one deadline."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import NoReturn

from gate.deadline import Deadline
from gate.errors import StillRunningError, UnusableAnswerError
from gate.model import IN_PROGRESS_STATUSES, Run
from gate.plural import plural
from gate.retry import poll_until


def wait_until_finished(
    fetch: Callable[[], Run],
    deadline: Deadline,
    *,
    poll_interval: float,
    max_poll_interval: float,
    on_poll: Callable[[Run, float], None],
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    last_seen: Callable[[Run], None] = lambda _run: None,
    stop_early: Callable[[Run], bool] = lambda _run: False,
) -> Run:
    """Fetch the run until it has finished; raise StillRunningError at the deadline.

    `on_poll(run, next_wait)` is told of every poll that found the run in progress; `last_seen` of
    every run fetched, so that a timeout or a cancel can still report what was last seen. A run still
    in progress for which `stop_early(run)` is true is returned as it is (fail fast decides there).
    """
    stopped: list[Run] = []

    def poll() -> Run:
        run = fetch()
        last_seen(run)
        if run.is_running and stop_early(run):
            stopped.append(run)
        return run

    def still_running(run: Run | None) -> NoReturn:
        counts = f" ({run.status}, {plural(run.total, 'test')} counted so far)" if run else ""
        raise StillRunningError(
            f"the run was still running when the deadline came after {deadline.seconds:.0f}s{counts}. "
            "Raise --timeout if runs take longer, or check in NeetoPlaydash why the run did not finish"
        )

    run = poll_until(
        poll,
        lambda run: run.is_running and not stopped,
        deadline,
        initial=poll_interval,
        cap=max_poll_interval,
        on_wait=on_poll,
        give_up=still_running,
        sleep=sleep,
        rng=rng,
    )
    return run if stopped else ensure_finished(run)


def ensure_finished(run: Run) -> Run:
    """A run said to be finished must not still carry an in-progress status: no verdict on such a run."""
    if run.is_running:
        raise StillRunningError(
            f"the run is still in progress ({run.status}, {plural(run.total, 'test')} counted so far); "
            "judge it once it has finished"
        )
    if run.status in IN_PROGRESS_STATUSES:
        raise UnusableAnswerError(
            f"the API says the run has finished (`is_running` is false) but its status is still "
            f"`{run.status}`; the gate gives no verdict on a run in that state. Retry once the run settles"
        )
    return run
