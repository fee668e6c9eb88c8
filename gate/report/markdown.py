"""The step summary: GitHub-flavoured Markdown, verdict first, every API string escaped, under 1 MiB."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from gate.ending import Ending
from gate.evaluate import Verdict
from gate.history import CLASS_ORDER
from gate.model import Run, TestResult
from gate.outcome import Outcome
from gate.plural import noun, plural
from gate.report.text import (
    STRIP_LEGEND,
    actual_text,
    breakdown_text,
    by_class,
    check_reason,
    counts_text,
    duration,
    headline,
    history_headline,
    history_words,
    limit_text,
    quarantine_note,
    quarantined_beside,
    release_texts,
    report_only_text,
    run_end_words,
    short_reason,
    singular,
    strip,
    warning_texts,
)
from gate.text import link, markdown

# GitHub drops a step summary over 1 MiB whole; stay clear of it, other steps may append too.
MAX_SUMMARY_BYTES = 1_000_000
TAIL_RESERVE = 2_000
# An error's details (a config's problems) are listed up to this many lines: the summary stays small.
MAX_DETAIL_LINES = 30


def _headline(outcome: Outcome, *, part: bool = False) -> str:
    # Without a verdict the headline stays short (what kind of error); the message goes below it.
    reason = markdown(headline(outcome) if outcome.ending.judged or outcome.several else short_reason(outcome), 500)
    if part:
        # A run of several: its label and how it ended, a level below the gate's headline.
        return f"### {ICONS[outcome.ending]} {markdown(outcome.label or '?', 100)}: {run_end_words(outcome)} — {reason}"
    headlines = {
        Ending.PASSED: "## ✅ Playwright gate passed",
        Ending.FAILED: "## ❌ Playwright gate failed",
        Ending.LET_THROUGH: "## ⚠️ Playwright gate gave no verdict and let the job pass (on-unavailable: pass)",
        Ending.SETUP_ERROR: "## ⚠️ Playwright gate could not run",
        Ending.NO_VERDICT: "## ⚠️ Playwright gate gave no verdict",
        Ending.CANCELLED: "## ⚠️ Playwright gate gave no verdict",
    }
    return f"{headlines[outcome.ending]} — {reason}"


ICONS = {
    Ending.PASSED: "✅",
    Ending.FAILED: "❌",
    Ending.LET_THROUGH: "⚠️",
    Ending.SETUP_ERROR: "⚠️",
    Ending.NO_VERDICT: "⚠️",
    Ending.CANCELLED: "⚠️",
}


def _run_line(run: Run) -> str:
    parts = []
    if run.commit_name:
        parts.append(f"**{markdown(run.commit_name, 120)}**")
    where = []
    if run.branch:
        where.append(f"<code>{markdown(run.branch, 100)}</code>")
    if run.commit_id:
        where.append(f"<code>{markdown(run.commit_id[:7], 7)}</code>")
    if where:
        parts.append(" @ ".join(where))
    if run.author:
        parts.append(markdown(run.author, 80))
    took = f" in {duration(run.duration)}" if run.duration is not None else ""
    parts.append(f"{markdown(run.status, 40)}{took}")
    if run.total_shards:
        parts.append(plural(run.total_shards, "shard"))
    if run.tags:
        parts.append(" ".join(f"<code>{markdown(tag, 40)}</code>" for tag in run.tags[:10]))
    return " · ".join(parts)


def _checks_table(outcome: Outcome) -> list[str]:
    if outcome.result is None:
        return []
    lines = ["| check | actual | limit | |", "|---|---:|---:|:-:|"]
    for check in outcome.result.checks:
        mark = "✅" if check.passed else "❌"
        actual = markdown(actual_text(check), 60) + quarantined_beside(check, outcome.result)
        lines.append(f"| {check.name} | {actual} | {markdown(limit_text(check), 80)} | {mark} |")
    failing = [check for check in outcome.result.failed_checks if check.detail]
    lines += [""] + [f"> {markdown(check_reason(check), 300)}" for check in failing] if failing else []
    return lines


Note = Callable[[TestResult], tuple[int, str]]


def _tests_block(tests: Sequence[TestResult], budget: int, note: Note | None = None) -> tuple[list[str], int]:
    """Tests grouped by spec, as many as fit in `budget` bytes; returns the lines and how many were left out.

    With a note (history), tests are grouped by the note's rank, then by spec, and each line ends with it.
    """
    by_spec: dict[tuple[int, str], list[TestResult]] = defaultdict(list)
    for test in tests:
        by_spec[(note(test)[0] if note else 0, test.spec)].append(test)
    lines: list[str] = []
    used = 0
    shown = 0
    for (_rank, spec), spec_tests in by_spec.items():
        header = ["", f"**{markdown(spec, 200)}**"]
        cost = sum(len(line.encode()) + 1 for line in header)
        if used + cost > budget:
            break
        lines += header
        used += cost
        for test in spec_tests:
            took = f" — {duration(test.duration)}" if test.duration is not None else ""
            said = f" — {text}" if note and (text := note(test)[1]) else ""
            line = f"- {markdown(test.title, 300)}{took}{said}"
            if used + len(line.encode()) + 1 > budget:
                return lines, len(tests) - shown
            lines.append(line)
            used += len(line.encode()) + 1
            shown += 1
    return lines, len(tests) - shown


def _section(
    title: str, tests: Sequence[TestResult], counted: int, budget: int, *, folded: bool, note: Note | None = None
) -> list[str]:
    if not counted and not tests:
        return []
    body, left_out = _tests_block(tests, budget, note)
    unlisted = max(0, counted - len(tests))
    name = title.lower()
    if left_out:
        body += [
            "",
            f"…and {plural(left_out, 'more ' + singular(name), 'more ' + name)} — see the run in NeetoPlaydash",
        ]
    if unlisted:
        counted_words = f"{plural(unlisted, singular(name), name)} {noun(unlisted, 'was', 'were')}"
        body += ["", f"{counted_words} counted but not listed by the API"]
    heading = f"{title} ({max(counted, len(tests)):,})"
    if folded:
        return ["", f"<details><summary>{heading}</summary>", *body, "", "</details>"]
    return ["", f"### {heading}", *body]


def _what_happened(outcome: Outcome) -> list[str]:
    """The run's own count by status, or without a verdict: the run as last seen, and the message in full."""
    run = outcome.run
    if outcome.ending.judged:
        return ["", f"Tests in the run: {markdown(breakdown_text(run), 500)}"] if run is not None else []
    lines = ["", f"Last seen: {markdown(run.status, 40)} · {markdown(counts_text(run), 300)}"] if run else []
    first, *details = outcome.message.splitlines() or ["no verdict"]
    lines += ["", markdown(first, 2000)]
    shown = details[:MAX_DETAIL_LINES]
    lines += ["", *(f"- {markdown(line.strip().removeprefix('- '), 500)}" for line in shown)] if shown else []
    if len(details) > len(shown):
        lines.append(f"- …and {plural(len(details) - len(shown), 'more line')}: see the log")
    return lines


def top(outcome: Outcome, *, part: bool = False) -> list[str]:
    """The headline, a report-only warning, the history's classes, the run, its target branch and its links."""
    lines = [_headline(outcome, part=part), ""]
    report_only = report_only_text(outcome)
    if report_only:
        lines += [f"> ⚠️ **{markdown(report_only, 500)}**", ""]
    classes = history_headline(outcome.result) if outcome.result is not None else None
    if classes:
        lines += [f"**{markdown(classes, 500)}**", ""]
    if outcome.result is not None and outcome.result.history is not None:
        lines += [f"<sub>{STRIP_LEGEND}</sub>", ""]
    if outcome.run is not None:
        lines.append(_run_line(outcome.run))
    if outcome.target_branch:
        lines.append(
            f"Target branch <code>{markdown(outcome.target_branch, 255)}</code> "
            f"(from {markdown(outcome.target_source or 'the CI', 100)})"
        )
    links = []
    if outcome.run_url:
        links.append(link("Open the run in NeetoPlaydash", outcome.run_url))
    ci = outcome.ci
    if ci and ci.job_url:
        links.append(link(f"{markdown(ci.name, 40)} job", ci.job_url))
    if links:
        lines.append(" · ".join(links))
    lines += _baseline_line(outcome)
    return lines


def render(outcome: Outcome, max_bytes: int = MAX_SUMMARY_BYTES, *, part: bool = False) -> str:
    """The whole summary of a run for this exit path, never more than `max_bytes` (the lists of tests are cut
    first); `part`: the section of one run of several (gate/report/summary.py), without the footer."""
    lines = top(outcome, part=part)
    lines += _what_happened(outcome)
    for note in outcome.notes:
        lines += ["", f"> {markdown(note, 500)}"]
    footer = (
        f"<sub>playdash-gate {outcome.version} · config {markdown(outcome.config_source or 'not read', 200)} · "
        f"waited {duration(outcome.waited)}, {plural(outcome.requests, 'request')}</sub>"
    )
    result = outcome.result
    counts = result.counts if result else {}
    failed_tests, flaky_tests = outcome.failed_tests, outcome.flaky_tests
    tail: list[str] = []
    for text in warning_texts(outcome):
        tail.append(f"- ⚠️ {markdown(text, 500)}")
    if tail:
        tail = ["", f"### Warnings ({len(tail)})", "", *tail]
    ready = release_texts(outcome)
    if ready:
        tail += ["", f"### Quarantine ready to release ({len(ready)})", ""]
        tail += [f"- ℹ️ {markdown(text, 500)}" for text in ready]
    if result and result.rules_applied:
        tail += ["", "Rules applied: " + ", ".join(markdown(rule.label, 200) for rule in result.rules_applied)]
    if result and result.stopped_early:
        tail += ["", "Stopped early (`fail_fast`): the run was still in progress."]
    tail += ["", *_checks_table(outcome)]
    used = sum(len(line.encode()) + 1 for line in (*lines, *tail)) + len(footer.encode()) + TAIL_RESERVE
    # What failed the gate is open, above the checks; every other list is folded, below them.
    failing = {check.key for check in result.failed_checks} if result else set()
    sections: list[str] = []
    history_note = _history_note(result) if result is not None and result.history is not None else None
    # What is new comes first: the failures the baseline did not have, the tests that history says became flaky.
    for title, tests, key, share, noted in (
        ("New failures", result.new_failures if result else (), "new_failures", 4, None),
        ("Newly flaky tests", result.new_flaky if result else (), "new_flaky", 5, history_note),
    ):
        if tests:
            budget = max(0, (max_bytes - used) // share)
            sections += _section(title, tests, len(tests), budget, folded=key not in failing, note=noted)
    used += sum(len(line.encode()) + 1 for line in sections)
    failed = _section(
        "Failed tests",
        by_class(result) if result is not None else failed_tests,
        counts.get("failed", 0) + (len(result.forgiven) if result else 0),
        max(0, (max_bytes - used) // 2),
        folded=not (failing & _FAILED_LIST_CHECKS),
        note=_with_baseline(result, history_note),
    )
    used += sum(len(line.encode()) + 1 for line in failed)
    quarantined = _quarantined(outcome, max(0, (max_bytes - used) // 3))
    used += sum(len(line.encode()) + 1 for line in quarantined)
    flaky = _section(
        "Flaky tests",
        flaky_tests,
        counts.get("flaky", 0),
        # Half of what is left when timed-out or interrupted tests are listed after them.
        max(0, max_bytes - used)
        // (2 if result and (result.listed.get("timed_out") or result.listed.get("interrupted")) else 1),
        folded=not (failing & _FLAKY_LIST_CHECKS),
        note=history_note,
    )
    used += sum(len(line.encode()) + 1 for line in flaky)
    stopped = _stopped(result, failing, max(0, max_bytes - used))
    parts = (sections, failed, quarantined, flaky, *stopped)
    opened = [line for part in parts if part is not quarantined and _is_open(part) for line in part]
    folded = [line for part in parts if not _is_open(part) for line in part]
    return joined([*lines, *opened, *tail, *folded, *(("", footer, "") if not part else ())])


def joined(whole: Sequence[str]) -> str:
    """The lines, one blank line between blocks, however the blocks above began and ended."""
    return "\n".join(line for index, line in enumerate(whole) if line or index == 0 or whole[index - 1])


# The checks whose failure the failed (or flaky) tests explain: when one fails the gate, the list is open.
_FAILED_LIST_CHECKS = frozenset({"failed", "failed_rate", "status", "forgiven"})
_FLAKY_LIST_CHECKS = frozenset({"flaky", "flaky_rate"})


def _is_open(section: Sequence[str]) -> bool:
    return len(section) > 1 and section[1].startswith("### ")


def _history_note(result: Verdict) -> Note:
    """A test's rank (new first, forgiven last) and its class and last results on the branch, newest first."""

    def note(test: TestResult) -> tuple[int, str]:
        history = result.history_of(test)
        words = markdown(history_words(result, test) or "", 300)
        marks = f" {strip(history)}" if history and history.last else ""
        klass = history.klass if history else "unknown"
        rank = CLASS_ORDER.index(klass) + (len(CLASS_ORDER) if result.is_forgiven(test) else 0)
        return rank, f"{words}{marks}"

    return note


def _stopped(result: Verdict | None, failing: set[str], budget: int) -> list[list[str]]:
    """The timed-out and the interrupted tests listed, each a section, open when their check failed the gate."""
    sections = []
    for status, title in (("timed_out", "Timed-out tests"), ("interrupted", "Interrupted tests")):
        listed = result.listed.get(status, ()) if result else ()
        if listed:
            sections.append(_section(title, listed, len(listed), budget // 2, folded=status not in failing))
    return sections


def _with_baseline(result: Verdict | None, note: Note | None) -> Note | None:
    """The note of a failed test, and whether it also fails on the baseline branch, when one was compared."""
    if result is None or result.baseline is None:
        return note
    branch = markdown(result.baseline_branch or "the baseline branch", 100)

    def noted(test: TestResult) -> tuple[int, str]:
        rank, said = note(test) if note else (0, "")
        if result.fails_on_baseline(test):
            said = f"{said} · also failing on {branch}" if said else f"also failing on {branch}"
        return rank, said

    return noted


def _baseline_line(outcome: Outcome) -> list[str]:
    """The run the baseline compared with (linked) and its branch, and how many failures also fail there."""
    result = outcome.result
    if result is None or result.baseline is None or result.baseline.run_id is None:
        return []
    there = sum(map(result.fails_on_baseline, result.failed_tests))
    run = link(f"run {markdown(result.baseline.run_id, 100)}", outcome.baseline_url)
    branch = markdown(result.baseline_branch or "?", 100)
    return [
        f"Compared with {run} on <code>{branch}</code>: {there} of the "
        f"{plural(len(result.failed_tests), 'failed test')} listed also {noun(there, 'fails', 'fail')} there"
    ]


def _quarantined(outcome: Outcome, budget: int) -> list[str]:
    """Quarantined tests, never silently dropped: each with the entry's reason, owner and days left."""
    result = outcome.result
    if result is None or not result.quarantined:
        return []
    # Folded: quarantined tests never fail the gate; the checks table counts them beside what counted.
    lines = ["", f"<details><summary>Quarantined tests ({len(result.quarantined):,})</summary>", ""]
    used = 0
    for shown, (test, entry) in enumerate(result.quarantined):
        line = (
            f"- {markdown(test.spec, 200)} › {markdown(test.title, 300)} ({test.status}) — "
            f"{markdown(quarantine_note(entry, result.today), 300)}"
        )
        if used + len(line.encode()) + 1 > budget:
            lines.append(f"- …and {plural(len(result.quarantined) - shown, 'more quarantined test')}")
            break
        lines.append(line)
        used += len(line.encode()) + 1
    return [*lines, "", "</details>"]
