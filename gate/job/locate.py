"""Locate: the run's id, given or found by the CI build id its reporter was given (waiting for it)."""

from __future__ import annotations

from gate.client import PlaydashClient
from gate.find import find_run
from gate.job.events import BuildNotListedYet, Listener, LookingForBuild, Noted
from gate.retry import Polling
from gate.settings import RunByBuildId, RunById


def locate(
    target: RunById | RunByBuildId,
    client: PlaydashClient,
    polling: Polling,
    listener: Listener,
) -> str:
    """The run's id: the one given, or the newest run of the build id once List runs shows it."""
    if isinstance(target, RunById):
        return target.run_id
    listener(LookingForBuild(target.ci_build_id, target.project_id))
    found = find_run(
        lambda page: client.list_runs(target.project_id, page),
        target.ci_build_id,
        polling.deadline,
        poll_interval=polling.initial,
        max_poll_interval=polling.cap,
        on_wait=lambda wait: listener(BuildNotListedYet(target.ci_build_id, polling.deadline.elapsed(), wait)),
        sleep=polling.sleep,
        rng=polling.rng,
    )
    if found.note:
        listener(Noted(found.note))
    return found.run_id
