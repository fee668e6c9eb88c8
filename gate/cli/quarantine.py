"""`playdash-gate quarantine suggest`: the run named as for the gate, the histories of its failed and flaky tests
looked up, and YAML quarantine entries for the unstable ones on stdout; nothing else is written anywhere."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
from collections.abc import Mapping
from typing import TextIO

from gate.ci import detect as detect_ci
from gate.cli.boundary import ErrorBoundary, signals_cancel
from gate.cli.console import Console
from gate.cli.parser import SUGGEST_REFUSES
from gate.cli.run import judge
from gate.cli.verdict import exit_code
from gate.clock import Clock
from gate.config.parse import parse_rate
from gate.config.types import Policy
from gate.dates import parse_timestamp
from gate.ending import Ending
from gate.errors import GateError, NoVerdictError, SetupError
from gate.outcome import Observed
from gate.plural import plural
from gate.report.text import percent
from gate.settings import SavedAnswer, Sources, resolve
from gate.settings.sources import OPTIONS_BY_DEST
from gate.suggest import DEFAULT_MIN_RATE, render, suggestions

COMMAND = "quarantine suggest"


def _min_rate(raw: str | None) -> float:
    """`--min-rate`: a rate as thresholds write one (`20%` or 0.2); a SetupError naming the flag otherwise."""
    if raw is None:
        return DEFAULT_MIN_RATE
    rate = parse_rate(raw)
    if rate is None:
        raise SetupError(f"--min-rate: must be a rate from 0% to 100%, written like 20% or 0.2, not {raw!r}")
    return rate


def _with_history(policy: Policy) -> Policy:
    """The policy as suggest uses it: a history section is needed (the branch to learn from); fail fast is off,
    since the flaky tests are looked up only once the run has finished."""
    if policy.history is None and not any(rule.history for rule in policy.rules):
        raise SetupError(
            f"{COMMAND} learns from the tests' past results: the config ({policy.source}) needs a `history` "
            "section, e.g. `history: {branch: main}`"
        )
    return dataclasses.replace(policy, fail_fast=False)


def refused(error: GateError, err: TextIO) -> int:
    """What ends `quarantine suggest` before its YAML: the message on stderr, the gate's exit code."""
    Console(err, err, None).print(f"playdash-gate {COMMAND}: {error.message}", error=True)
    return exit_code(error.ending)


def suggest(
    args: argparse.Namespace,
    env: Mapping[str, str],
    out: TextIO,
    err: TextIO,
    stdin: TextIO,
    *,
    started: float,
    clock: Clock,
) -> int:
    """Look up the histories of the run's failed and flaky tests; print YAML entries for the unstable ones."""
    sources = Sources(flags=vars(args), env=env)
    raw_key, _name = sources.value("api_key")
    secret = raw_key.strip() if raw_key else None
    # Progress and messages on stderr: stdout holds the YAML alone, to paste or redirect.
    messages = Console(err, err, secret)
    text = ""
    with ErrorBoundary(messages) as boundary, signals_cancel():
        text = _suggested(args, sources, messages, stdin, started=started, clock=clock)
    if boundary.error is not None:
        messages.print(f"playdash-gate {COMMAND}: {boundary.error.message}", error=True)
        return exit_code(boundary.error.ending)
    Console(out, err, secret).print(text.rstrip("\n"))
    return exit_code(Ending.PASSED)


def _suggested(
    args: argparse.Namespace, sources: Sources, messages: Console, stdin: TextIO, *, started: float, clock: Clock
) -> str:
    """The YAML for the run the settings name; a GateError for what stops it."""
    given = [str(OPTIONS_BY_DEST[dest].flag) for dest in SUGGEST_REFUSES if getattr(args, dest, None) not in (None, "")]
    if given:
        raise SetupError(
            f"{', '.join(given)}: {COMMAND} writes nothing but its YAML to stdout (no report, no comment) and looks "
            "the run up through the API; drop the flag"
        )
    min_rate = _min_rate(args.min_rate)
    settings = resolve(sources)
    if isinstance(settings.target, SavedAnswer):
        raise SetupError(
            f"{settings.target.where}: {COMMAND} looks the histories up through the API, not in a saved answer; "
            "name the run with --run-id, --run-url or --ci-build-id"
        )
    if settings.several:
        raise SetupError(
            f"{COMMAND} looks up one run's tests, and {len(settings.targets)} runs are named (--run-url or "
            "--project-id given more than once, PLAYDASH_RUN_URL or PLAYDASH_PROJECT_ID holding several); name one"
        )
    ci = detect_ci(sources.env)
    (end,) = judge(settings, messages, Observed(), stdin, ci, started=started, clock=clock, adjust=_with_history)
    if end.error is not None or end.judged is None:
        raise end.error or NoVerdictError("the run could not be judged")
    judged, observed = end.judged, end.observed
    verdict, lookups = judged.verdict, judged.lookups
    section = verdict.history
    if section is None or lookups is None:
        raise SetupError(
            f"no `history` section is in force for this run (branch {judged.run.branch or 'unknown'}): the rules "
            "that give one do not apply to it; add a top-level `history` section"
        )
    if lookups.failed and not lookups.found:
        reasons = "; ".join(sorted(set(lookups.failed.values()))[:3])
        raise NoVerdictError(
            f"the history of none of the {plural(len(lookups.failed), 'test')} could be looked up ({reasons}); "
            "nothing can be suggested"
        )
    anchor = parse_timestamp(judged.run.created_at)
    since = (anchor - datetime.timedelta(days=section.days)).date() if anchor else None
    heading = (
        f"playdash-gate {COMMAND} · run {observed.run_id or '?'} · history on {section.branch}: tests that failed "
        f"or were flaky in at least {percent(min_rate)} of at least {plural(section.min_runs, 'past run')} "
        f"in {plural(section.days, 'day')} (at most {section.max_lookups} looked up, failed ones first)"
    )
    found = suggestions(verdict, min_rate)
    return render(found, branch=section.branch, since=since, today=clock.today(), heading=heading)
