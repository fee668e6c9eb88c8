"""Watch: poll the run until `is_running` is false, or until fail fast says it has already failed.

Polling with the one retry (`gate.retry`), within the one deadline; a run said to be finished must be
in a final state.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from gate.client import PlaydashClient
from gate.deadline import Deadline
from gate.errors import ApiUnavailableError, StillRunningError, UnusableAnswerError
from gate.evaluate import Case, Listed, Verdict, evaluate_in_progress, listed_tests
from gate.history import Lookups
from gate.job.events import Finished, Listener, Polled, StoppedEarly, StoppedWatching
from gate.known import could_change
from gate.model import IN_PROGRESS_STATUSES, Page, Run, TestResult, parse_page, parse_run
from gate.plural import plural
from gate.policy import InForce, PolicyInForce
from gate.retry import Polling, poll_until


@dataclass(frozen=True)
class Watched:
    """The run as last seen: finished (with the tests its own answer lists), or stopped early (with the
    verdict that stopped it)."""

    run: Run
    first_page: tuple[TestResult, ...] = ()
    stopped_early: Verdict | None = None
    # The API's spec ids of that first page, specs without tests too (an id a test shares names two things).
    first_spec_ids: tuple[str, ...] = ()


def fail_fast_due(run: Run, in_force: InForce) -> bool:
    """Whether a run still in progress already has more failed tests than allowed, by its count alone.

    Only then are its failed tests worth fetching: quarantine can only lower the count.
    """
    limit = in_force.thresholds.failed
    return (
        in_force.fail_fast
        and run.is_running
        and run.status == "failing"
        and limit is not None
        and run.count("failed") > limit
    )


class FailFast:
    """The predicate the watcher consults: true once a run in progress has failed for good.

    When the count alone is past the limit, the failed tests are fetched and judged with the quarantine
    (by the policy in force for the run as polled); the verdict that stopped the watch is kept.
    """

    def __init__(
        self,
        in_force_for: PolicyInForce,
        failed_tests: Callable[[], list[TestResult]],
        *,
        look_up: Callable[[Run, InForce, Listed], Lookups | None] | None = None,
    ) -> None:
        self.in_force_for, self.failed_tests, self.look_up = in_force_for, failed_tests, look_up
        self.verdict: Verdict | None = None
        # Why the verdict was reached without the failed tests, when it was (the API went away).
        self.note: str | None = None

    def __call__(self, run: Run) -> bool:
        in_force = self.in_force_for(run)
        if not fail_fast_due(run, in_force):
            return False
        try:
            failed = self.failed_tests()
        except ApiUnavailableError as unavailable:
            # The count alone is past the limit; only quarantine or history could lower it. When they could
            # not lower it enough, what was already seen decides: the run has failed, whatever became unavailable.
            if could_change(evaluate_in_progress(Case(run, ((),), in_force)), run, in_force):
                raise
            failed = []
            self.note = (
                f"the failed tests could not be listed ({unavailable.message.split('. ')[0]}); "
                "the run's own count of failed tests already fails the gate"
            )
        # Only failures history cannot forgive stop the watch: with classes to forgive, they are looked up first.
        # (A page of failed tests lists whole specs: only the failed tests on it are looked up.)
        really_failed = [test for test in failed if test.status == "failed"]
        lookups = (
            self.look_up(run, in_force, listed_tests((really_failed,), in_force))
            if self.look_up and in_force.forgiving and really_failed
            else None
        )
        verdict = evaluate_in_progress(Case(run, (failed,), in_force, lookups=lookups))
        if verdict.passed:
            return False
        self.verdict = verdict
        return True


def watch(
    client: PlaydashClient,
    project_id: str,
    run_id: str,
    polling: Polling,
    listener: Listener,
    *,
    last_seen: Callable[[Run], None],
    stop_early: FailFast | None = None,
) -> Watched:
    """Poll until `is_running` is false (or fail fast stops it), within the deadline."""
    # The finished run's own answer lists a first page of specs: its tests count too (an answer whose
    # statistics say 0 failed while its specs list failed tests is judged by the tests).
    first_page: list[Page] = []

    def poll() -> Run:
        body = client.get_run(project_id, run_id)
        run = parse_run(body)
        if not run.is_running:
            first_page[:] = [parse_page(body, 1)]
        return run

    try:
        run = wait_until_finished(
            poll,
            polling.deadline,
            poll_interval=polling.initial,
            max_poll_interval=polling.cap,
            on_poll=lambda run, wait: listener(Polled(run, polling.deadline.elapsed(), wait)),
            sleep=polling.sleep,
            rng=polling.rng,
            last_seen=last_seen,
            stop_early=stop_early or (lambda _run: False),
        )
    finally:
        listener(StoppedWatching(run_id))
    if run.is_running and stop_early is not None and stop_early.verdict is not None:
        listener(StoppedEarly(stop_early.verdict.counts.get("failed", 0)))
        return Watched(run, stopped_early=stop_early.verdict)
    listener(Finished(run))
    if not first_page:
        return Watched(run)
    return Watched(run, first_page[0].tests, first_spec_ids=first_page[0].spec_ids)


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
