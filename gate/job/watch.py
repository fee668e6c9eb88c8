"""Watch: poll the run until it has finished, or until fail fast says it has already failed."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from gate.client import PlaydashClient
from gate.config import Policy
from gate.errors import ApiUnavailableError
from gate.evaluate import Verdict, evaluate
from gate.history import Lookups
from gate.job.events import Finished, Listener, Polled, StoppedEarly, StoppedWatching
from gate.model import Page, Run, TestResult, parse_page, parse_run
from gate.policy import Effective, deciding_branch, effective
from gate.retry import Polling
from gate.wait import wait_until_finished


@dataclass(frozen=True)
class Watched:
    """The run as last seen: finished (with the tests its own answer lists), or stopped early (with the
    verdict that stopped it)."""

    run: Run
    first_page: tuple[TestResult, ...] = ()
    stopped_early: Verdict | None = None


def fail_fast_due(run: Run, policy: Policy, *, today: datetime.date, ci_branch: str | None) -> bool:
    """Whether a run still in progress already has more failed tests than allowed, by its count alone.

    Only then are its failed tests worth fetching: quarantine can only lower the count. The run's own
    branch decides the rules; the CI's only when the run has none.
    """
    limit = effective(policy, deciding_branch(run.branch, ci_branch), run.tags, today).thresholds.failed
    return (
        policy.fail_fast
        and run.is_running
        and run.status == "failing"
        and limit is not None
        and run.count("failed") > limit
    )


class FailFast:
    """The predicate the watcher consults: true once a run in progress has failed for good.

    When the count alone is past the limit, the failed tests are fetched and judged with the quarantine;
    the verdict that stopped the watch is kept.
    """

    def __init__(
        self,
        policy: Policy,
        failed_tests: Callable[[], list[TestResult]],
        *,
        today: datetime.date,
        ci_branch: str | None,
        look_up: Callable[[Run, Effective, list[TestResult]], Lookups | None] | None = None,
    ) -> None:
        self.policy, self.failed_tests, self.today, self.ci_branch = policy, failed_tests, today, ci_branch
        self.look_up = look_up
        self.verdict: Verdict | None = None
        # Why the verdict was reached without the failed tests, when it was (the API went away).
        self.note: str | None = None

    def __call__(self, run: Run) -> bool:
        if not fail_fast_due(run, self.policy, today=self.today, ci_branch=self.ci_branch):
            return False
        power = effective(self.policy, deciding_branch(run.branch, self.ci_branch), run.tags, self.today)
        try:
            failed = self.failed_tests()
        except ApiUnavailableError as unavailable:
            # The count alone is past the limit; only quarantine or history could lower it. With neither,
            # what was already seen decides: the run has failed, whatever became unavailable.
            if power.in_force or power.forgiving:
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
            self.look_up(run, power, really_failed) if self.look_up and power.forgiving and really_failed else None
        )
        verdict = evaluate(
            run, failed, [], self.policy, today=self.today, branch=self.ci_branch, in_progress=True, lookups=lookups
        )
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
    return Watched(run, first_page[0].tests)
