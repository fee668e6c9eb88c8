"""GitHub Actions: workflow commands (mask, groups, annotations, debug) and `$GITHUB_OUTPUT`, as the runner reads."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from gate.ending import Ending
from gate.model import TestResult
from gate.outcome import Outcome
from gate.plural import plural
from gate.report.text import headline, history_words, quarantine_note, report_only_text, warning_texts
from gate.text import command_data, command_property, inline

# GitHub shows at most 10 annotations of each kind per step.
MAX_ANNOTATIONS = 10
OUTPUT_NAMES = (
    "verdict",
    "exit-code",
    "status",
    "total",
    "passed",
    "failed",
    "flaky",
    "skipped",
    "quarantined",
    "forgiven",
    "new-failures",
    "run-url",
    "json",
    "rerun-file",
    "comment-url",
    "runs",
)
# A label is cut to this in the `runs` output: 20 runs stay a few kilobytes, far within the runner's limits.
RUN_LABEL_CHARS = 100


def command(name: str, message: str = "", **properties: str) -> str:
    """`::name key=value,...::message`, with untrusted text escaped and made one line."""
    props = ",".join(f"{key}={command_property(inline(value, 500))}" for key, value in properties.items() if value)
    return f"::{name}{' ' + props if props else ''}::{command_data(message)}"


def mask(secret: str) -> list[str]:
    """`::add-mask::` lines that hide a secret (each of its lines) in all later logs."""
    return [f"::add-mask::{command_data(part)}" for part in secret.splitlines() if part.strip()]


def group(title: str) -> str:
    """Open a folded group in the log."""
    return command("group", inline(title, 200))


def end_group() -> str:
    """Close the folded group."""
    return "::endgroup::"


def debug(message: str) -> str:
    """A line shown only when debug logging is on."""
    return command("debug", inline(message, 2000))


def _verdict(outcome: Outcome, gate: str = "Playwright gate") -> str:
    """The verdict's annotation: `gate` names the gate, or one run of several (`Playwright gate · web`)."""
    reason = inline(headline(outcome), 1000)
    if outcome.ending is Ending.PASSED:
        return command("notice", reason, title=f"{gate} passed")
    if outcome.ending is Ending.FAILED:
        return command("error", reason, title=f"{gate} failed")
    if outcome.ending is Ending.LET_THROUGH:
        title = f"{gate} gave no verdict: let through by on-unavailable: pass"
        return command("warning", inline(outcome.message, 1000), title=title)
    setup = outcome.ending is Ending.SETUP_ERROR
    title = f"{gate} could not run" if setup else f"{gate} gave no verdict"
    return command("error", inline(outcome.message, 1000), title=title)


def annotation_lines(outcome: Outcome) -> list[str]:
    """The verdict, then an error per failed test and a warning per quarantined failure and per flaky test,
    within GitHub's caps; with several runs, the gate's verdict, each run's that did not pass, and their failed
    tests."""
    lines: list[str] = []
    report_only = report_only_text(outcome)
    if report_only:
        lines.append(command("warning", report_only, title="Playwright gate: report-only"))
    lines.append(_verdict(outcome))
    if outcome.several:
        return lines + _runs_annotations(outcome.runs, MAX_ANNOTATIONS - 1)
    soft = warning_texts(outcome)[: MAX_ANNOTATIONS - 2]
    lines += [command("warning", inline(text, 1000), title="Playwright gate warning") for text in soft]
    errors_left = MAX_ANNOTATIONS - sum(line.startswith("::error") for line in lines)
    warnings_left = MAX_ANNOTATIONS - sum(line.startswith("::warning") for line in lines)
    result = outcome.result
    # A failure forgiven by history is a warning (with its class on the branch): it did not fail the gate.
    failed = [test for test in outcome.failed_tests if not (result and result.is_forgiven(test))]
    forgiven = list(result.forgiven) if result else []
    flaky = outcome.flaky_tests
    # A quarantined failure let through is a warning (with the entry that let it through), never silent.
    quarantined = [(test, entry) for test, entry in (result.quarantined if result else ()) if test.status == "failed"]
    today = result.today if result else None
    notes = [
        f" (let through by {inline(entry.label, 200)}: {inline(quarantine_note(entry, today), 300)})"
        for _t, entry in quarantined
    ]
    quarantined_room, rest = _share(warnings_left, len(quarantined), len(forgiven) + len(flaky))
    forgiven_room, flaky_room = _share(rest, len(forgiven), len(flaky))
    lines += _test_annotations("error", "Failed", failed, errors_left, notes=_classes(outcome, failed))
    lines += _test_annotations(
        "warning",
        "Quarantined failure",
        [test for test, _entry in quarantined],
        quarantined_room,
        notes=notes,
        one="failure",
    )
    lines += _test_annotations(
        "warning", "Forgiven failure", forgiven, forgiven_room, notes=_classes(outcome, forgiven), one="failure"
    )
    lines += _test_annotations("warning", "Flaky", flaky, flaky_room)
    return lines


def _runs_annotations(runs: Sequence[Outcome], room: int) -> list[str]:
    """Each run that did not pass (its verdict), then the failed tests of those that failed, within `room` of each
    kind (the gate's own verdict already shown)."""
    lines = [
        _verdict(run, f"Playwright gate · {inline(run.label or '?', 100)}")
        for run in runs
        if run.ending is not Ending.PASSED
    ]
    lines = lines[:room]
    for run in runs:
        result = run.result
        failed = [test for test in run.failed_tests if not (result and result.is_forgiven(test))]
        left = room - sum(line.startswith("::error") for line in lines)
        word = f"Failed in {inline(run.label or '?', 100)}"
        lines += _test_annotations("error", word, failed, left, notes=_classes(run, failed))
    return lines


def _classes(outcome: Outcome, tests: Sequence[TestResult]) -> list[str]:
    """Each test's class on the history branch, as an annotation's note (none without history)."""
    result = outcome.result
    if result is None or result.history is None:
        return []
    return [f" ({inline(history_words(result, test) or '', 300)})" for test in tests]


def _share(room: int, first: int, second: int) -> tuple[int, int]:
    """Room for two lists: half each at least (the first the odd one), and what one leaves to the other."""
    room = max(0, room)
    first_room = min(first, max(room - second, (room + 1) // 2))
    return first_room, room - first_room


def _test_annotations(
    kind: str, word: str, tests: Sequence[TestResult], room: int, *, notes: Sequence[str] = (), one: str = "test"
) -> list[str]:
    if room <= 0 or not tests:
        return []
    shown = tests if len(tests) <= room else tests[: room - 1]
    lines = [
        command(
            kind,
            f"{word}: {inline(test.title, 500)}{notes[index] if index < len(notes) else ''}",
            file=test.spec,
            title=f"{word}: {inline(test.title, 200)}",
        )
        for index, test in enumerate(shown)
    ]
    if len(shown) < len(tests):
        more = plural(len(tests) - len(shown), f"more {word.lower().split()[0]} {one}")
        lines.append(command(kind, f"…and {more}: see the step summary or the run"))
    return lines


def output_values(
    outcome: Outcome, json_path: str, comment_url: str | None = None, rerun_path: str = ""
) -> dict[str, str]:
    """The action's outputs for this exit path (empty where unknown), the pull request comment's address too; with
    several runs the counts are the sums of those known, and `runs` says each run's."""
    values = _run_values(outcome) if not outcome.several else _summed([_run_values(run) for run in outcome.runs])
    return {
        "verdict": outcome.verdict,
        "exit-code": str(outcome.exit_code),
        **values,
        "json": json_path,
        "rerun-file": rerun_path,
        "comment-url": comment_url or "",
        "runs": json.dumps([_run_summary(run) for run in outcome.runs], separators=(",", ":")),
    }


# The outputs a gate of several runs sums over its runs (the others are the gate's, or empty).
_SUMMED = ("total", "passed", "failed", "flaky", "skipped", "quarantined", "forgiven", "new-failures")


def _summed(runs: Sequence[dict[str, str]]) -> dict[str, str]:
    """The runs' counts summed, each over the runs that know it (empty when none does)."""
    summed = dict.fromkeys(("status", "run-url"), "")
    for name in _SUMMED:
        known = [int(values[name]) for values in runs if values[name]]
        summed[name] = str(sum(known)) if known else ""
    return summed


def _run_summary(run: Outcome) -> dict[str, object]:
    """One run in the `runs` output: its label and ids, how it ended, what failed, its page."""
    values = _run_values(run)
    return {
        "label": inline(run.label or "", RUN_LABEL_CHARS),
        "project_id": run.project_id,
        "run_id": run.run_id,
        "verdict": run.verdict,
        "exit_code": run.exit_code,
        "failed": int(values["failed"]) if values["failed"] else None,
        "flaky": int(values["flaky"]) if values["flaky"] else None,
        "url": run.run_url,
    }


def _run_values(outcome: Outcome) -> dict[str, str]:
    """A run's own outputs (empty where unknown)."""
    run = outcome.run
    counts = outcome.result.counts if outcome.result else (dict(run.statistics) if run else {})
    total = outcome.result.total if outcome.result else (run.total if run else None)
    known = run is not None

    result = outcome.result

    def count(name: str) -> str:
        return str(counts.get(name, 0)) if known else ""

    # New failures exist only against a baseline run: empty (unknown) when none was compared. The check's count,
    # which counts the failures not listed as new too (fail closed).
    compared = [check.actual for check in (result.checks if result else ()) if check.key == "new_failures"]

    return {
        "status": run.status if run else "",
        "total": "" if total is None else str(total),
        "passed": count("passed"),
        "failed": count("failed"),
        "flaky": count("flaky"),
        "skipped": count("skipped"),
        "quarantined": str(len(result.quarantined)) if result else "",
        "forgiven": str(len(result.forgiven)) if result else "",
        "new-failures": str(compared[0]) if compared else "",
        "run-url": outcome.run_url or "",
    }


def outputs_text(values: dict[str, str]) -> str:
    """`$GITHUB_OUTPUT` text: every value in the heredoc form, with a random delimiter not found in it."""
    chunks = []
    for name, value in values.items():
        delimiter = f"ghadelimiter_{os.urandom(16).hex()}"
        while delimiter in value:
            delimiter = f"ghadelimiter_{os.urandom(16).hex()}"
        chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(chunks)


def workspace_relative(path: Path, workspace: str | None) -> str:
    """A path inside the workspace as later steps see it (relative), else as it is."""
    if workspace:
        try:
            return str(PurePosixPath(path.resolve().relative_to(Path(workspace).resolve())))
        except ValueError:
            pass
    return str(path)
