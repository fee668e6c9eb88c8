"""Words the reporters share: headlines, checks and counts, durations, quarantine and history notes.

How untrusted text is made inert (escapes, one line, links) is gate/text.py's, the one text toolkit.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Sequence

from gate.checks import Check
from gate.config.types import QuarantineEntry
from gate.ending import Ending
from gate.evaluate import Verdict
from gate.history import CLASS_ORDER, TestHistory, class_words
from gate.model import Run, TestResult, is_total_name
from gate.outcome import Outcome
from gate.plural import plural
from gate.policy import MAX_QUARANTINE_MATCHES, days_left, matches_every_test
from gate.text import inline


def duration(seconds: float | None) -> str:
    """3.2 s, 3m 02s, 1h 05m."""
    if seconds is None:
        return "?"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def clock(seconds: float) -> str:
    """Elapsed time as m:ss (h:mm:ss past an hour)."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def actual_text(check: Check) -> str:
    """What was found, as a reader wants it (rates as percentages)."""
    if check.key.endswith("_rate") and isinstance(check.actual, float):
        return percent(check.actual)
    return str(check.actual)


def limit_text(check: Check, ascii_only: bool = False) -> str:
    """The limit with its comparison: `<= 0`, `>= 1`, `not timed_out / interrupted`."""
    if isinstance(check.limit, tuple):
        return ("not " + " / ".join(check.limit)) if check.limit else "a known final status"
    value = percent(check.limit) if check.key.endswith("_rate") else str(check.limit)
    symbol = check.comparison if ascii_only else {"<=": "≤", ">=": "≥"}.get(check.comparison, check.comparison)
    return f"{symbol} {value}"


def percent(rate: float) -> str:
    """0.0245 -> 2.45%."""
    return f"{rate * 100:.2f}".rstrip("0").rstrip(".") + "%"


# Beyond this many days, a quarantine's time left is shown as its date.
DAYS_IN_A_YEAR = 365
_PLURAL_WORD = re.compile(r"\b(test|failure)s\b")


def singular(name: str) -> str:
    """One of a plural name the reports use: `failed tests` -> `failed test`, `new failures` -> `new failure`."""
    return _PLURAL_WORD.sub(r"\1", name, count=1)


def counted_text(check: Check) -> str:
    """What a check found, with its name agreeing: `1 failed test`, `3 failed tests`, `2.5% failed rate`."""
    if isinstance(check.actual, int) and not isinstance(check.actual, bool):
        # The check names are plural ("failed tests", "new failures", "tests of unknown status").
        return plural(check.actual, singular(check.name), check.name)
    return f"{actual_text(check)} {check.name}"


def tests_run(count: int | float | str) -> str:
    """`only 1 test run`, `only 0 tests run`."""
    return f"only {plural(count, 'test')} run" if isinstance(count, int) else f"only {count} tests run"


def check_reason(check: Check) -> str:
    """A failed check in a few words: `3 failed tests (limit 0)`, `1 failed test (limit 0)`."""
    if check.key == "status":
        return check.detail or f"final status {check.actual}"
    if check.key == "min_tests":
        return f"{tests_run(check.actual)} (at least {check.limit} required)"
    return f"{counted_text(check)} (limit {limit_text(check, ascii_only=True).split(' ', 1)[1]})"


def headline(outcome: Outcome) -> str:
    """The one line that answers "did it pass, and why", for every exit path."""
    if outcome.several:
        return runs_headline(outcome.runs)
    if not outcome.ending.judged or outcome.result is None:
        return outcome.message.splitlines()[0] if outcome.message else "no verdict"
    return verdict_headline(outcome.result)


# How each run ended, in a few words, the gravest first (a run not waited for is told apart from no verdict).
_RUN_ENDS = (
    ("setup_error", "could not run"),
    ("failed", "failed"),
    ("cancelled", "cancelled"),
    ("not_waited_for", "not waited for"),
    ("no_verdict", "gave no verdict"),
    ("let_through", "let through without a verdict"),
    ("passed", "passed"),
)
# The labels a headline names for each way of ending; the report lists every run.
_NAMED = 3


def totals(outcome: Outcome) -> dict[str, int]:
    """The gate's totals over its runs: how many ended each way, and their tests by what counted."""
    runs = outcome.runs
    ends = Counter(run_end(run) for run in runs)
    found = {"runs": len(runs), **{key: ends[key] for key, _words in _RUN_ENDS}}
    found["tests"] = sum(run.result.total for run in runs if run.result)
    for name in ("failed", "flaky"):
        found[name + "_tests"] = sum(run.result.counts.get(name, 0) for run in runs if run.result)
    found["quarantined_tests"] = sum(len(run.result.quarantined) for run in runs if run.result)
    found["forgiven_tests"] = sum(len(run.result.forgiven) for run in runs if run.result)
    return found


def run_end(outcome: Outcome) -> str:
    """How one run of a gate ended, as `_RUN_ENDS` names it."""
    if outcome.error_kind == "not_waited_for":
        return "not_waited_for"
    return str(outcome.ending.value)


def run_end_words(outcome: Outcome) -> str:
    """How one run of a gate ended, in words: `failed`, `not waited for`."""
    return dict(_RUN_ENDS)[run_end(outcome)]


def runs_headline(runs: Sequence[Outcome]) -> str:
    """A gate of several runs in one line: `3 runs: 1 failed (web), 2 passed`."""
    ends = Counter(run_end(run) for run in runs)
    parts = []
    for key, words in _RUN_ENDS:
        if not ends[key]:
            continue
        named = [inline(run.label or "?", 60) for run in runs if run_end(run) == key]
        shown = ", ".join(named[:_NAMED]) + (", …" if len(named) > _NAMED else "")
        parts.append(f"{ends[key]} {words}" + (f" ({shown})" if key != "passed" else ""))
    return f"{plural(len(runs), 'run')}: {', '.join(parts)}"


# What ended the gate without a verdict, in a few words for a headline: the message itself goes below it.
_ERROR_REASONS = {
    "setup": "set-up error",
    "timeout": "the run was still running at --timeout",
    "unavailable": "the API was unavailable",
    "unusable_answer": "the API's answer could not be used",
    "cancelled": "cancelled",
    "not_waited_for": "not waited for (fail fast)",
}


def short_reason(outcome: Outcome) -> str:
    """A few words on why there is no verdict (`set-up error`), for a headline; the message says the rest."""
    known = _ERROR_REASONS.get(outcome.error_kind or "")
    if known:
        return known
    first = outcome.message.splitlines()[0] if outcome.message else "no verdict"
    return inline(re.split(r"[;.] ", first, maxsplit=1)[0], 100)


def verdict_headline(result: Verdict) -> str:
    """Why a verdict is what it is: the checks that failed, or what passed."""
    if not result.passed:
        return "; ".join(check_reason(check) for check in result.failed_checks)
    counts = result.counts
    text = f"{plural(result.total, 'test')}, {counts.get('failed', 0):,} failed, {counts.get('flaky', 0):,} flaky"
    if result.quarantined:
        text += f", {len(result.quarantined):,} quarantined"
    if result.forgiven:
        text += f", {len(result.forgiven):,} forgiven"
    if result.warnings:
        text += f", {plural(len(result.warnings), 'warning')}"
    return text


def breakdown_text(run: Run) -> str:
    """The run's own count by status: `38 passed · 3 failed · 1 flaky · 2 skipped`, the rarer ones when present."""
    order = ("passed", "failed", "flaky", "skipped", "timed_out", "interrupted")
    named = [(name, run.count(name)) for name in order if name in order[:3] or run.count(name)]
    named += sorted((n, v) for n, v in run.statistics.items() if n not in order and v and not is_total_name(n))
    return " · ".join(f"{value:,} {inline(name.replace('_', ' '), 40)}" for name, value in named)


def counts_text(run: Run) -> str:
    """`12 passed, 1 failed` from the run's statistics, in a stable order."""
    order = ("passed", "failed", "flaky", "skipped", "timed_out", "interrupted")
    names = [n for n in order if n in run.statistics] + sorted(n for n in run.statistics if n not in order)
    parts = [f"{run.statistics[name]} {inline(name.replace('_', ' '), 40)}" for name in names]
    return ", ".join(parts) or "no tests counted yet"


def quarantine_note(entry: QuarantineEntry, today: datetime.date | None) -> str:
    """`PAY-123: sandbox is flaky · @payments · 5 days left` (beyond a year, `until 2099-01-01`)."""
    parts = [entry.reason]
    if entry.owner:
        parts.append(entry.owner)
    if today is not None:
        left = days_left(entry, today)
        if left < 0:
            parts.append(f"expired on {entry.until}")
        elif left == 0:
            parts.append("last day")
        else:
            # "26,687 days left" reads as a number to work out; a date that far off reads at once.
            parts.append(f"until {entry.until}" if left > DAYS_IN_A_YEAR else f"{plural(left, 'day')} left")
    return " · ".join(parts)


def quarantined_beside(check: Check, result: Verdict) -> str:
    """What a failed or flaky count left out, to show beside it: ` (+2 quarantined)`, ` (+2 forgiven)`, or ''."""
    if check.key not in ("failed", "flaky"):
        return ""
    taken = sum(1 for test, _entry in result.quarantined if test.status == check.key)
    forgiven = len(result.forgiven) if check.key == "failed" else 0
    parts = [f"+{taken:,} quarantined"] * bool(taken) + [f"+{forgiven:,} forgiven"] * bool(forgiven)
    return f" ({', '.join(parts)})" if parts else ""


def every_test_text(entry: QuarantineEntry) -> str:
    """The warning on an entry whose globs name no test in particular."""
    return (
        f"{entry.label} matches every test: it would let any broken run pass; "
        "narrow it to the spec file or the tests it is for"
    )


def broad_quarantine_texts(result: Verdict) -> list[str]:
    """A warning for each entry in force that is too broad: it matches every test, or let through too many.

    An entry is charged with the tests it quarantined (the first entry to match a test takes it): counted in
    one pass, where matching every entry against every test would cost entries times tests once more.
    """
    in_force = {entry.key_path: entry for _test, entry in result.quarantined}
    in_force.update((entry.key_path, entry) for entry in result.unused_quarantine)
    taken = Counter(entry.key_path for _test, entry in result.quarantined)
    texts = []
    # In the file's order: the top level's entries, then each project's.
    for index, entry in sorted(in_force.items(), key=lambda item: (item[1].section != "quarantine", item[1].index)):
        if matches_every_test(entry):
            texts.append(every_test_text(entry))
        elif taken[index] > MAX_QUARANTINE_MATCHES:
            texts.append(
                f"{entry.label} matched {plural(taken[index], 'failed or flaky test')} of this run, more than "
                f"{MAX_QUARANTINE_MATCHES}: it is too broad and could let a broken run pass; "
                "narrow it to the tests it is for"
            )
    return texts


def report_only_text(outcome: Outcome) -> str | None:
    """In report mode, what the gate would have done, when it is not what the pipeline was told; else None."""
    if not outcome.overruled:
        return None
    would = "failed the gate" if outcome.ending is Ending.FAILED else "ended with no verdict"
    return (
        f"report-only: this run would have {would} (exit {outcome.would_exit}); "
        f"--mode report let the pipeline go on (exit {outcome.exit_code})"
    )


def warning_texts(outcome: Outcome) -> list[str]:
    """Everything a reader should be warned of: soft limits exceeded, quarantine expired or unused, notes."""
    result = outcome.result
    if result is None:
        return []
    texts = [
        f"{counted_text(c)} (warn above {limit_text(c, ascii_only=True).split(' ', 1)[1]})"
        if c.comparison == "<="
        else f"{tests_run(c.actual)} (warn below {c.limit})"
        for c in result.warnings
    ]
    texts += broad_quarantine_texts(result)
    texts += [
        f"{e.label} expired on {e.until} and no longer applies: fix the tests or extend it ({e.reason})"
        for e in result.expired_quarantine
    ]
    texts += [
        f"{e.label} expires {_in_days(days_left(e, result.today)) if result.today else 'soon'} (until {e.until}): "
        f"fix the tests, or extend it ({e.reason})"
        for e in result.expiring_quarantine
    ]
    unused = "failed, flaky or passed test in this run" if result.release_judged else "failed or flaky test"
    texts += [f"{e.label} matched no {unused}: remove it if the tests are fixed" for e in result.unused_quarantine]
    texts += list(result.notes)
    return texts


def _in_days(left: int) -> str:
    return "today" if left == 0 else f"in {plural(left, 'day')}"


def release_texts(outcome: Outcome) -> list[str]:
    """A note for each quarantine entry ready to release: its tests passed here and in every past run."""
    result = outcome.result
    return [
        f"{ready.entry.label} is ready to release: {ready.evidence}; remove it from the quarantine"
        for ready in (result.quarantine_release if result else ())
    ]


# A past result as the strip shows it, newest first: ✅✅❌✅❌.
_STRIP = {"passed": "✅", "failed": "❌", "timed_out": "⌛", "flaky": "🔁"}
# The strip's one line of legend, for a reader who has not read docs/reports.md.
STRIP_LEGEND = "History on the branch, newest first: " + " · ".join(
    f"{mark} {status.replace('_', ' ')}" for status, mark in _STRIP.items()
)


def strip(history: TestHistory) -> str:
    """The test's last results on the branch, newest first, one mark each."""
    return "".join(_STRIP.get(status, "?") for status in history.last)


def by_class(result: Verdict) -> list[TestResult]:
    """The failed tests, new failures first, then unknown ones, then those known broken or flaky; forgiven
    ones last (the order is stable within a class)."""
    if result.history is None:
        return list(result.failed_tests)

    def rank(test: TestResult) -> tuple[bool, int]:
        history = result.history_of(test)
        return result.is_forgiven(test), CLASS_ORDER.index(history.klass) if history else 0

    return sorted(result.failed_tests, key=rank)


def history_words(result: Verdict, test: TestResult) -> str | None:
    """`known flaky on main, forgiven (2 of 5 failed)`, `new (8 passed)`, `unknown: ...`; None without history."""
    history = result.history_of(test)
    if history is None or result.history is None:
        return None
    words = class_words(history, result.history.branch)
    if history.klass == "new" and test.status == "flaky":
        words = "newly flaky"
    if result.is_forgiven(test):
        words += ", forgiven"
    if history.klass == "unknown" and history.reason:
        return f"{words}: {history.reason}"
    return (
        f"{words} ({history.failures} of {history.runs} failed)"
        if history.failures
        else f"{words} ({history.runs} passed)"
    )


def history_headline(result: Verdict) -> str | None:
    """`3 failed: 1 new, 2 known flaky on main, forgiven`: the failed tests counted by class."""
    if result.history is None or not result.failed_tests:
        return None
    groups: dict[tuple[str, bool], int] = {}
    for test in result.failed_tests:
        history = result.history_of(test)
        klass = history.klass if history else "unknown"
        key = (klass, result.is_forgiven(test))
        groups[key] = groups.get(key, 0) + 1
    parts = []
    for klass in CLASS_ORDER:
        for forgiven in (False, True):
            count = groups.get((klass, forgiven), 0)
            if count:
                words = class_words(TestHistory(klass), result.history.branch)
                parts.append(f"{count:,} {words}" + (", forgiven" if forgiven else ""))
    return f"{len(result.failed_tests):,} failed: " + ", ".join(parts)
