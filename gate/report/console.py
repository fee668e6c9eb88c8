"""The console report: progress lines while waiting, then the verdict, the checks and the tests."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict
from typing import Any

from gate.checks import CHECK_NAMES
from gate.config.types import COUNT_KEYS, RATE_KEYS, Policy
from gate.ending import Ending
from gate.evaluate import Verdict
from gate.model import Run, TestResult
from gate.outcome import Outcome
from gate.plural import noun, plural
from gate.policy import InForce, days_left, expiring, matches_every_test
from gate.report.text import (
    actual_text,
    by_class,
    clock,
    counts_text,
    duration,
    every_test_text,
    headline,
    history_words,
    limit_text,
    percent,
    quarantine_note,
    quarantined_beside,
    release_texts,
    report_only_text,
    run_end_words,
    strip,
    warning_texts,
)
from gate.text import inline

MAX_LISTED = 100
_COLOURS = {"red": "31", "green": "32", "yellow": "33", "bold": "1", "dim": "2"}


class Style:
    """ANSI colour on a terminal only; the words carry the meaning either way."""

    def __init__(self, colour: bool) -> None:
        self.colour = colour

    def __call__(self, text: str, name: str) -> str:
        return f"\033[{_COLOURS[name]}m{text}\033[0m" if self.colour else text


def banner(version: str, project_id: str, run_id: str, run_url: str) -> str:
    """The first line: what is gated, and where to see it."""
    return f"playdash-gate {version} · run {run_id} of project {project_id} · {run_url}"


def progress_line(run: Run, elapsed: float, next_wait: float) -> str:
    """One line per poll of a run still in progress."""
    wait = f"{next_wait:.1f}s" if next_wait < 10 else f"{next_wait:.0f}s"
    return f"waiting: {inline(run.status, 40)} · {counts_text(run)} · {clock(elapsed)} elapsed · next poll in {wait}"


def retry_line(answered: str, attempts: int, next_wait: float, left: float) -> str:
    """One line for a burst of trouble with the API: what it answered, when the next try is, the time left."""
    wait = f"{next_wait:.1f}s" if next_wait < 10 else duration(next_wait)
    return (
        f"API trouble: {inline(answered, 160)} · {plural(attempts, 'attempt')} so far · next try in {wait} · "
        f"{duration(left)} left before the timeout"
    )


def finished_line(run: Run) -> str:
    """The line printed once the run has finished."""
    took = f" in {duration(run.duration)}" if run.duration is not None else ""
    return f"finished: {inline(run.status, 40)}{took} · {counts_text(run)}"


def _test_lines(
    label: str,
    tests: Iterable[TestResult],
    total: int,
    style: Style,
    colour: str,
    *,
    note: Callable[[TestResult], str | None] | None = None,
) -> list[str]:
    """One line per test, grouped by spec; with a note (history), the given order (new first) is kept."""
    by_spec: dict[tuple[int, str], list[TestResult]] = defaultdict(list)
    for order, test in enumerate(tests):
        by_spec[(order, test.spec) if note else (0, test.spec)].append(test)
    lines: list[str] = []
    for (_order, spec), spec_tests in by_spec.items():
        for test in spec_tests:
            if len(lines) == MAX_LISTED:
                more = plural(total - MAX_LISTED, f"more {label.lower()} test")
                lines.append(f"... and {more} (see the summary or the run)")
                return lines
            said = note(test) if note else None
            extra = f"   [{inline(said, 300)}]" if said else ""
            lines.append(f"{style(label.ljust(7), colour)} {inline(spec, 200)} › {inline(test.title, 300)}{extra}")
    return lines


def render(outcome: Outcome, colour: bool = False) -> str:
    """The report printed when the gate ends, on every exit path: with several runs, a block for each, then the
    gate's line."""
    style = Style(colour)
    if not outcome.several:
        return "\n".join([*_body(outcome, style), final_line(outcome, style)])
    lines = []
    for run in outcome.runs:
        label = inline(run.label or "?", 100)
        lines += ["", style(f"── {label} ──", "bold"), *_body(run, style), run_line(run, style)]
    notes = [f"note: {inline(note, 500)}" for note in outcome.notes]
    return "\n".join([*lines, "", *notes, final_line(outcome, style)])


def run_line(run: Outcome, style: Style | None = None) -> str:
    """The last line of a run's block in a gate of several: how it ended, and why (its exit code is the gate's)."""
    style = style or Style(False)
    colours = {Ending.PASSED: "green", Ending.FAILED: "red", Ending.SETUP_ERROR: "red"}
    text = f"{inline(run.label or '?', 100)}: {run_end_words(run)}: {inline(headline(run), 2000)}"
    return style(text, colours.get(run.ending, "yellow"))


def _body(outcome: Outcome, style: Style) -> list[str]:
    """A run's checks, tests, warnings and notes (all but the verdict's line)."""
    lines: list[str] = []
    result = outcome.result
    if result is not None:
        rows = [
            (
                check.name,
                inline(actual_text(check), 40),
                # Beside the count, not in it: the numbers stay aligned.
                quarantined_beside(check, result),
                limit_text(check, ascii_only=True),
                "ok" if check.passed else "FAIL",
            )
            for check in result.checks
        ]
        name_width = max(len("check"), *(len(r[0]) for r in rows))
        actual_width = max(len("actual"), *(len(r[1]) for r in rows))
        beside_width = max(0, *(len(r[2]) for r in rows))
        limit_width = max(len("limit"), *(len(r[3]) for r in rows))
        lines.append("")
        lines.append(f"  {'check'.ljust(name_width)}  {'actual'.rjust(actual_width)}{' ' * beside_width}   limit")
        for name, actual, beside, limit, mark in rows:
            mark_text = style(mark, "green" if mark == "ok" else "red")
            lines.append(
                f"  {name.ljust(name_width)}  {actual.rjust(actual_width)}{beside.ljust(beside_width)}   "
                f"{limit.ljust(limit_width)}  {mark_text}"
            )
        lines.append("")
    failed, flaky = outcome.failed_tests, outcome.flaky_tests
    # Forgiven failures are listed with the failed tests, though the count leaves them out.
    failed_total = result.counts.get("failed", 0) + len(result.forgiven) if result else len(failed)
    flaky_total = result.counts.get("flaky", 0) if result else len(flaky)
    if result and result.new_failures:
        lines += _test_lines("NEW", result.new_failures, len(result.new_failures), style, "red")
    if result and result.history is not None:
        notes = _history_note(result)
        lines += _test_lines("FAILED", by_class(result), max(failed_total, len(failed)), style, "red", note=notes)
    else:
        lines += _test_lines("FAILED", failed, max(failed_total, len(failed)), style, "red")
    if failed_total > len(failed):
        unlisted = failed_total - len(failed)
        lines.append(
            f"({plural(unlisted, 'failed test')} {noun(unlisted, 'was', 'were')} counted but not listed by the API)"
        )
    if result:
        for test, entry in result.quarantined[:MAX_LISTED]:
            lines.append(
                f"{style('QUARANT', 'dim')} {inline(test.spec, 200)} › {inline(test.title, 300)}   "
                f"[{inline(quarantine_note(entry, result.today), 300)}]"
            )
        if len(result.quarantined) > MAX_LISTED:
            more = plural(len(result.quarantined) - MAX_LISTED, "more quarantined test")
            lines.append(f"... and {more} (see the summary or the run)")
    flaky_note = _history_note(result) if result and result.history is not None else None
    if result and result.new_flaky:
        lines += _test_lines("NEWFLKY", result.new_flaky, len(result.new_flaky), style, "red", note=flaky_note)
    lines += _test_lines("FLAKY", flaky, max(flaky_total, len(flaky)), style, "yellow", note=flaky_note)
    for status, label in (("timed_out", "TIMEOUT"), ("interrupted", "INTERR")):
        stopped = result.listed.get(status, ()) if result else ()
        lines += _test_lines(label, stopped, len(stopped), style, "red")
    for text in warning_texts(outcome):
        lines.append(style(f"warning: {inline(text, 500)}", "yellow"))
    if result and result.rules_applied:
        lines.append("rules applied: " + ", ".join(inline(rule.label, 200) for rule in result.rules_applied))
    if result and result.stopped_early:
        lines.append("stopped early (fail_fast): the run was still in progress")
    for note in (*release_texts(outcome), *outcome.notes):
        lines.append(f"note: {inline(note, 500)}")
    if outcome.run_url:
        lines.append(f"run: {outcome.run_url}")
    return lines


def _history_note(result: Verdict) -> Callable[[TestResult], str | None]:
    """A failed or flaky test's class on the branch and its last results, newest first."""

    def note(test: TestResult) -> str | None:
        words = history_words(result, test)
        history = result.history_of(test)
        return f"{words} {strip(history)}".rstrip() if words and history else words

    return note


def final_line(outcome: Outcome, style: Style | None = None) -> str:
    """The last line: the verdict in words, and the exit code."""
    style = style or Style(False)
    reason = inline(headline(outcome), 2000)
    report_only = report_only_text(outcome)
    exit_code = f"   (exit {outcome.exit_code})" + (f"\n{style(report_only.upper(), 'yellow')}" if report_only else "")
    if outcome.ending is Ending.PASSED:
        return style(f"✔ gate passed: {reason}", "green") + exit_code
    if outcome.ending is Ending.FAILED:
        return style(f"✖ gate failed: {reason}", "red") + exit_code
    if outcome.ending is Ending.LET_THROUGH:
        return style(f"⚠ NO VERDICT, LET THROUGH by --on-unavailable pass: {reason}", "yellow") + exit_code
    detail = "".join(f"\n  {inline(line, 500)}" for line in outcome.message.splitlines()[1:])
    setup = outcome.ending is Ending.SETUP_ERROR
    mark, label, colour = ("✖", "set-up error", "red") if setup else ("⚠", "gate gave no verdict", "yellow")
    return style(f"{mark} {label}: {reason}", colour) + detail + exit_code


def policy_lines(policy: Policy, in_force: InForce) -> list[str]:
    """The policy in force for a branch and tags, in words, for `validate`."""
    branch, tags, today = in_force.branch, in_force.tags, in_force.today
    lines = [
        f"  for branch {branch or '(any)'}"
        + (f" and tags {', '.join(tags)}" if tags else "")
        + (f" merging into {in_force.target_branch}" if in_force.target_branch else "")
        + ":"
    ]
    lines.append(f"  thresholds: {_limits_text(asdict(in_force.thresholds))}")
    if in_force.warn:
        lines.append(f"  warn: {_limits_text(in_force.warn)}")
    fail_on = ", ".join(in_force.fail_on) or "nothing but unknown statuses"
    lines.append(f"  final status: fails on {fail_on}, and on any unknown status")
    if policy.rules:
        applied = ", ".join(rule.label for rule in in_force.rules_applied) or "none"
        lines.append(f"  rules applied: {applied} (of {len(policy.rules)})")
    if in_force.baseline:
        lines.append(
            f"  baseline: the newest finished run on {in_force.baseline.branch}; "
            f"at most {plural(in_force.baseline.new_failures, 'new failure')}"
        )
        strict = [key for key in ("failed", "failed_rate") if getattr(in_force.thresholds, key) == 0]
        if strict:
            fix = {
                "failed": "give `failed: null` (no limit) where the baseline should decide",
                "failed_rate": "raise `failed_rate` or remove it where the baseline should decide",
            }[strict[0]]
            lines.append(
                f"  warning: `thresholds.{strict[0]}: 0` already fails the gate on any failure, so the baseline can "
                f"never change the verdict; {fix}, and keep 0 for the branches that need it in a rule"
            )
    if in_force.fail_fast:
        lines.append("  fail fast: on, while the run is failing")
    if in_force.history:
        section = in_force.history
        forgive = " and ".join(section.forgive) or "no"
        lines.append(
            f"  history: results on {section.branch} over {section.days} days, at least {section.min_runs} per test; "
            f"forgives {forgive} failures, at most {section.max_forgiven}; looks up at most {section.max_lookups} tests"
        )
    for entry in policy.quarantine:
        if today is not None and entry in in_force.quarantine:
            left = days_left(entry, today)
            state = f"in force, EXPIRING in {plural(left, 'day')}" if expiring(entry, today) else "in force"
        else:
            state = "EXPIRED: no longer applies"
        lines.append(f"  {entry.label}: {state} (until {entry.until}) · {quarantine_note(entry, today)}")
        if matches_every_test(entry):
            lines.append(f"  warning: {every_test_text(entry)}")
    return lines


def _limits_text(limits: Mapping[str, Any]) -> str:
    rules = [f"{CHECK_NAMES[key]} <= {limits[key]}" for key in COUNT_KEYS if limits.get(key) is not None]
    rules += [f"{CHECK_NAMES[key]} <= {percent(limits[key])}" for key in RATE_KEYS if limits.get(key) is not None]
    if limits.get("min_tests") is not None:
        rules.append(f"tests run >= {limits['min_tests']}")
    if limits.get("new_flaky") is not None:
        rules.append(f"{CHECK_NAMES['new_flaky']} <= {limits['new_flaky']}")
    return "; ".join(rules) or "none"
