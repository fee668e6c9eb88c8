"""Locate: the run's id, given or found through List runs by the CI build id its reporter was given
(waiting for it to appear); and the baseline run, the newest finished run on a branch.

List runs is read here only, through the one paging loop over it (`runs_listed`): newest pages first,
at most MAX_LIST_PAGES of them.
"""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from gate.client import PlaydashClient
from gate.dates import EARLIEST, parse_timestamp
from gate.deadline import Deadline
from gate.errors import NoVerdictError, UnusableAnswerError
from gate.ids import fold, is_id
from gate.job.events import BuildNotListedYet, Listener, LookingForBuild, Noted
from gate.plural import plural
from gate.retry import Polling, poll_until
from gate.settings import RunByBuildId, RunById

# Runs are listed newest first: the run of a build that is running now is on the first pages.
MAX_LIST_PAGES = 5
# A page of List runs: its runs, and the number of pages.
ListPage = Callable[[int], tuple[list[Mapping[str, Any]], int]]


@dataclass(frozen=True)
class Found:
    """The run found for a build id, and what the reader should know about how it was chosen."""

    run_id: str
    note: str | None = None


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


def runs_listed(list_page: ListPage, max_pages: int = MAX_LIST_PAGES) -> Iterator[Mapping[str, Any]]:
    """The runs of the newest pages of List runs, newest first, each run once: the one paging loop over List runs.

    A run is its `run_id`, case folded: listed again (on a later page, or twice on one), it is not yielded
    again. A page after the first that brings no run not seen already ends the paging: a server that ignores
    the page asked for (and says no page number) sends page 1 again, which is no page 2.
    """
    seen: set[str] = set()
    page, total_pages = 1, 1
    while page <= min(total_pages, max_pages):
        runs, total_pages = list_page(page)
        seen_before, fresh = len(seen), []
        for run in runs:
            run_id = run.get("run_id")
            key = fold(run_id) if is_id(run_id) else None
            if key is None or key not in seen:
                fresh.append(run)
            if key is not None:
                seen.add(key)
        if page > 1 and len(seen) == seen_before:
            return
        yield from fresh
        page += 1


def scan(list_page: ListPage, build_id: str, max_pages: int = MAX_LIST_PAGES) -> Found | None:
    """Look through the newest pages of List runs for runs of this build id; the newest one wins."""
    matches = [run for run in runs_listed(list_page, max_pages) if str(run.get("ci_build_id", "")) == build_id]
    usable = [run for run in matches if is_id(run.get("run_id"))]
    if not usable:
        if matches:
            raise UnusableAnswerError(
                f"List runs has {plural(len(matches), 'run')} of the build id {build_id!r}, but none with a usable "
                "`run_id` (an id of letters, digits, '-' or '_'); name the run with --run-id or --run-url instead"
            )
        return None

    # Newest first as listed; a `created_at` that is a date settles it (as a moment: text does not sort
    # `11:00+02:00` before `10:00Z`), and a run without one ranks below every run with one.
    def newness(item: tuple[int, Mapping[str, Any]]) -> tuple[bool, datetime.datetime, int]:
        created = parse_timestamp(item[1].get("created_at"))
        return created is not None, created or EARLIEST, -item[0]

    newest = max(enumerate(usable), key=newness)[1]
    note = None
    if len(usable) > 1:
        others = ", ".join(str(run["run_id"]) for run in usable if run is not newest)
        note = (
            f"{len(usable)} runs have the build id {build_id}; the gate took the newest, {newest['run_id']} "
            f"(also: {others})"
        )
    return Found(str(newest["run_id"]), note)


def find_run(
    list_page: ListPage,
    build_id: str,
    deadline: Deadline,
    *,
    poll_interval: float,
    max_poll_interval: float,
    on_wait: Callable[[float], None],
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> Found:
    """Scan until a run of this build id appears (it may start after the gate), within the deadline."""

    def not_found(_last: Found | None) -> NoReturn:
        raise NoVerdictError(
            f"no run with the build id {build_id!r} appeared in the newest {MAX_LIST_PAGES} pages of runs within "
            f"{deadline.seconds:.0f}s. Check that the reporter's ciBuildId is exactly this value, that the tests "
            "reported to this project, or raise --timeout"
        )

    found = poll_until(
        lambda: scan(list_page, build_id),
        lambda found: found is None,
        deadline,
        initial=poll_interval,
        cap=max_poll_interval,
        on_wait=lambda _found, wait: on_wait(wait),
        give_up=not_found,
        sleep=sleep,
        rng=rng,
    )
    if found is None:  # the loop only ends on a run found, or raises
        not_found(None)
    return found


def find_baseline(
    list_page: ListPage,
    branch: str,
    exclude_run_id: str,
    max_pages: int = MAX_LIST_PAGES,
) -> str | None:
    """The newest finished run on `branch` other than this one, from the newest pages of List runs."""
    for run in runs_listed(list_page, max_pages):
        run_id = run.get("run_id")
        finished_there = run.get("branch") == branch and run.get("is_running") is False
        if finished_there and is_id(run_id) and fold(run_id) != fold(exclude_run_id):
            return str(run_id)
    return None
