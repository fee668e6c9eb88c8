"""The job: locate -> watch -> gather -> evaluate against the API, or a saved answer judged offline."""

from __future__ import annotations

import dataclasses
import datetime
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from gate import __version__
from gate.bounded import (
    MAX_KEPT_TESTS,
    SAVED_ANSWER,
    Kept,
    NotAFile,
    OutOfTime,
    OverLimit,
    read_path,
    read_stream,
    take_json,
)
from gate.client import PlaydashClient
from gate.config.types import Policy
from gate.deadline import Deadline, TimeUp
from gate.errors import ApiUnavailableError, NoVerdictError, SetupError, UnusableAnswerError
from gate.evaluate import Case, Verdict, evaluate
from gate.flight import InFlight
from gate.history import Lookups
from gate.ids import is_id
from gate.job.events import Debug, Event, Listener, Noted, Retrying, SavedRunRead, Watching
from gate.job.gather import HistoryLookup, gather, tests_of
from gate.job.locate import locate
from gate.job.watch import FailFast, Watched, ensure_finished, watch
from gate.known import known_failure
from gate.listing import read_listing
from gate.model import Page, Run, TestResult, parse_page, parse_run
from gate.outcome import Observed
from gate.plural import plural
from gate.policy import InForce, PolicyInForce
from gate.redact import Redactor
from gate.retry import Polling
from gate.settings import Connection, RunByBuildId, RunById, SavedAnswer, Settings, run_page


@dataclass(frozen=True)
class Judged:
    """A run and the verdict on it (the verdict carries the failed and flaky tests it counted)."""

    run: Run
    verdict: Verdict
    # The result histories looked up (None: none asked for, or none looked up before the verdict).
    lookups: Lookups | None = None


def judge_online(
    target: RunById | RunByBuildId,
    connection: Connection,
    settings: Settings,
    policy: Policy,
    *,
    listener: Listener,
    observed: Observed,
    today: datetime.date,
    deadline: Deadline,
    ci_branch: str | None = None,
    target_branch: str | None = None,
    in_flight: InFlight | None = None,
) -> Judged:
    """Against the API: locate the run, watch it until it finishes, gather its tests, evaluate.

    `in_flight`: the one bound on requests in flight, shared by every run of the gate (its own when not given).
    """
    # Every request of the job takes a place in the bound.
    client = _client(connection, settings, deadline, listener, in_flight or InFlight(deadline, settings.max_in_flight))
    observed.requests = lambda: client.requests_made
    listener = _noting(listener, observed)
    polling = Polling(deadline, settings.poll_interval, settings.max_poll_interval, deadline.sleep, random.Random())
    project_id = target.project_id
    # The policy in force for the run as seen: at each poll (fail fast), and once it has finished.
    in_force_for = PolicyInForce(policy, ci_branch=ci_branch, today=today, target_branch=target_branch)
    try:
        run_id = locate(target, client, polling, listener)
        observed.run_id = run_id
        observed.run_url = run_page(settings.workspace_url, project_id, run_id) if settings.workspace_url else None
        listener(Watching(project_id, run_id, observed.run_url, policy.source))
        history = HistoryLookup(client, project_id, run_id)
        watched, fail_fast = _watch(
            client, project_id, run_id, polling, listener, observed=observed, in_force_for=in_force_for, history=history
        )
        if watched.stopped_early is not None:
            if fail_fast.note:
                listener(Noted(fail_fast.note))
            return Judged(watched.run, watched.stopped_early)
        run, first_page = watched.run, watched.first_page
        in_force = in_force_for(run)
        try:
            gathered = gather(
                client,
                project_id=project_id,
                run_id=run_id,
                run=run,
                first_page=first_page,
                in_force=in_force,
                listener=listener,
                history=history,
                first_spec_ids=watched.first_spec_ids,
            )
        except ApiUnavailableError as unavailable:
            return _already_seen(run, first_page, in_force, unavailable, listener)
    finally:
        # Pages may still be fetched in the background (a cancel, an error): they give up at once.
        deadline.expire()
        client.close()
    passed = () if gathered.passed is None else (gathered.passed,)
    listings = (first_page, *gathered.listings, *passed)
    baseline = gathered.baseline
    if baseline is not None and baseline.run_id and settings.workspace_url:
        observed.baseline_url = run_page(settings.workspace_url, project_id, baseline.run_id)
    case = Case(run, listings, in_force, baseline, gathered.lookups, passed_listed=gathered.passed is not None)
    return Judged(run, evaluate(case), gathered.lookups)


def _watch(
    client: PlaydashClient,
    project_id: str,
    run_id: str,
    polling: Polling,
    listener: Listener,
    *,
    observed: Observed,
    in_force_for: PolicyInForce,
    history: HistoryLookup,
) -> tuple[Watched, FailFast]:
    """Watch the run, remembering each state seen, with fail fast when the policy asks for it."""

    def remember(run: Run) -> None:
        observed.run = run

    def failed_now() -> list[TestResult]:
        # Each look at the failed tests (at any poll) keeps its own listing, dropped after it.
        return tests_of(client, project_id, run_id, ["failed"], Kept(MAX_KEPT_TESTS, "the failed tests"))["failed"]

    fail_fast = FailFast(
        in_force_for, failed_now, look_up=lambda run, in_force, tests: history(run, in_force, tests, listener)
    )
    stop_early = fail_fast if in_force_for.policy.fail_fast else None
    watched = watch(client, project_id, run_id, polling, listener, last_seen=remember, stop_early=stop_early)
    return watched, fail_fast


def _client(
    connection: Connection, settings: Settings, deadline: Deadline, listener: Listener, in_flight: InFlight
) -> PlaydashClient:
    """The one client of a gate: its deadline, its bound on requests in flight, the first backoff no longer than
    the first poll, debug lines."""
    return PlaydashClient(
        connection.api_root,
        connection.api_key,
        deadline,
        user_agent=f"playdash-gate/{__version__}",
        sleep=deadline.sleep,
        backoff_initial=min(1.0, settings.poll_interval),
        debug=(lambda message: listener(Debug(message))) if settings.debug else None,
        on_retry=lambda answered, attempts, wait: listener(
            Retrying(answered, attempts, wait, deadline.elapsed(), deadline.remaining())
        ),
        in_flight=in_flight,
    )


def _already_seen(
    run: Run, first_page: Sequence[TestResult], in_force: InForce, unavailable: ApiUnavailableError, listener: Listener
) -> Judged:
    """What was already seen still decides: a finished run whose counts or status fail a check that neither
    quarantine nor history can change fails, whatever became unavailable afterwards; else no verdict."""
    seen = known_failure(run, first_page, in_force)
    if seen is None:
        if in_force.quarantine and known_failure(run, first_page, dataclasses.replace(in_force, quarantine=())):
            # Its globs may match any number of the failures not listed: what was seen cannot decide alone.
            listener(
                Noted(
                    f"the run's own counts would fail the gate, but the failed tests could not be listed, and "
                    f"{plural(len(in_force.quarantine), 'quarantine entry', 'quarantine entries')} in force may "
                    "let any number of them through: which ones cannot be known without the list"
                )
            )
        raise unavailable
    note = (
        f"the failed and flaky tests could not be listed ({unavailable.message.split('. ')[0]}); "
        "the run's own counts and status already fail the gate"
    )
    listener(Noted(note))
    return Judged(run, seen)


def _noting(listener: Listener, observed: Observed) -> Listener:
    """The listener, and every note kept for the reports too."""

    def tell(event: Event) -> None:
        if isinstance(event, Noted):
            observed.notes.append(event.text)
        listener(event)

    return tell


def read_saved(source: SavedAnswer, stdin: TextIO, deadline: Deadline) -> list[Any]:
    """A saved Get run answer: one page (an object) or several (a list of them).

    Read within the limits of a saved answer (`gate.bounded`): a regular file, or standard input, a pipe or a
    device no longer than --timeout (`curl ... | playdash-gate --from-file -` with a stalled curl, a FIFO
    nobody writes, /dev/zero). What the file is, is a set-up error (exit 2); an answer the gate will not
    judge (too large, too many values, nested too deeply), as for the API's own, gives no verdict (exit 3).
    """
    where = source.where
    try:
        if source.source == "-":
            body = read_stream(stdin, SAVED_ANSWER, deadline)
        else:
            body = read_path(Path(source.source), SAVED_ANSWER, deadline)
        # Read as an answer from the API is read: a non-finite number is data, not a reason to refuse it.
        data = take_json(body, SAVED_ANSWER)
    except FileNotFoundError:
        raise SetupError(f"--from-file: {where} does not exist") from None
    except NotAFile as exc:
        raise SetupError(f"--from-file: {where} {exc.reason}; give the saved answer's file") from None
    except OutOfTime:
        raise NoVerdictError(
            f"--from-file: nothing more came from {where} within --timeout ({deadline.seconds:g}s); "
            "check what writes it, or raise --timeout"
        ) from None
    except OverLimit as exc:
        raise UnusableAnswerError(
            f"--from-file: {where} {exc.reason}, more than the gate judges of a saved answer; save the API's "
            "answer as it came (one run), e.g. curl -H 'X-Api-Key: ...' URL > run.json"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = (exc.strerror if isinstance(exc, OSError) else None) or exc
        raise SetupError(f"--from-file: {where} cannot be read: {reason}") from None
    except json.JSONDecodeError as exc:
        raise SetupError(
            f"--from-file: {where} is not JSON ({exc.msg} at line {exc.lineno}); save the API's "
            "answer as it came, e.g. curl -H 'X-Api-Key: ...' URL > run.json"
        ) from None
    except (ValueError, RecursionError) as exc:
        # JSON that Python will not read: numbers of thousands of digits, nesting past the stack.
        what = "is nested too deeply" if isinstance(exc, RecursionError) else "holds a number too large to read"
        raise UnusableAnswerError(f"--from-file: {where} {what}; the gate does not judge such an answer") from None
    pages = data if isinstance(data, list) else [data]
    if not pages:
        raise SetupError(f"--from-file: {where} holds an empty list; it needs at least one Get run answer")
    return pages


def judge_offline(
    source: SavedAnswer,
    settings: Settings,
    policy: Policy,
    *,
    listener: Listener,
    observed: Observed,
    stdin: TextIO,
    today: datetime.date,
    deadline: Deadline,
    redactor: Redactor,
    ci_branch: str | None = None,
    target_branch: str | None = None,
) -> Judged:
    """A saved answer, judged with the same rules and reports; no network, no key.

    The saved text is as untrusted as an answer: the key (when one is set) is redacted from it as it
    enters, as the client does for the API's answers. All of it within --timeout: no verdict past it.
    """
    try:
        pages = redactor.data(read_saved(source, stdin, deadline), deadline)
    except TimeUp:
        raise _late(source, deadline, "while the key was looked for in it") from None
    run = parse_run(pages[0])
    # Ids from a saved file are untrusted like any answer: one that is not shaped like an id is unknown.
    run_id = run.run_id if is_id(run.run_id) else None
    project_id = run.project_id if is_id(run.project_id) else None
    observed.run, observed.run_id = run, run_id
    if settings.workspace_url and project_id and run_id:
        observed.run_url = run_page(settings.workspace_url, project_id, run_id)
    listener(SavedRunRead(run_id, project_id, source.where, len(pages)))
    ensure_finished(run)

    def page_of(number: int, page: Any) -> Page:
        if deadline.expired():
            raise _late(source, deadline, "while its tests were read")
        # Each saved page is taken as the page it says it is, so pages concatenated in any order are fine.
        pagination = page.get("pagination") if isinstance(page, dict) else None
        return parse_page(
            page, pagination.get("current_page_number", number) if isinstance(pagination, dict) else number
        )

    tests = read_listing(page_of(number, page) for number, page in enumerate(pages, start=1))
    in_force = PolicyInForce(policy, ci_branch=ci_branch, today=today, target_branch=target_branch)(run)
    lookups = None
    if in_force.history is not None:
        # No network offline: every failed test is unknown, and nothing is forgiven (fail closed).
        why = "not looked up for a saved answer (--from-file)"
        _noting(listener, observed)(Noted(f"history is {why}: the failed tests are unknown, and none is forgiven"))
        ids = {test.test_id for test in tests if test.test_id and test.status in ("failed", "flaky")}
        lookups = Lookups(None, run_id or "", {}, dict.fromkeys(ids, why))
    if in_force.baseline is not None:
        _noting(listener, observed)(
            Noted(
                f"the baseline (the newest finished run on {in_force.baseline.branch}) is not looked up for a saved "
                "answer (--from-file): the new-failures check is skipped"
            )
        )
    if deadline.expired():
        raise _late(source, deadline, "before its tests were judged")
    verdict = evaluate(Case(run, (tests,), in_force, lookups=lookups))
    return Judged(run, verdict)


def _late(source: SavedAnswer, deadline: Deadline, when: str) -> NoVerdictError:
    """No verdict on a saved answer at --timeout: the time is the user's, whatever the file holds."""
    return NoVerdictError(
        f"--from-file: {source.where} could not be judged within --timeout ({deadline.seconds:g}s): the time ran "
        f"out {when}; no verdict. Raise --timeout, or check what the file holds (a saved answer of a real run "
        "is judged in seconds)"
    )
