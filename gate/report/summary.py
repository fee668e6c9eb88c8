"""The step summary of a gate: its one run's (gate/report/markdown.py), or with several runs an overview (a row a
run) and then a section for each run, folded when it passed, all within the summary's size."""

from __future__ import annotations

from gate.ending import Ending
from gate.outcome import Outcome
from gate.plural import plural
from gate.report import markdown as run_summary
from gate.report.markdown import ICONS, MAX_SUMMARY_BYTES, TAIL_RESERVE, joined, top
from gate.report.text import duration, run_end_words
from gate.text import link, markdown


def summary(outcome: Outcome, max_bytes: int = MAX_SUMMARY_BYTES) -> str:
    """The whole summary for this exit path, never more than `max_bytes`."""
    return several_runs(outcome, max_bytes) if outcome.several else run_summary.render(outcome, max_bytes)


def several_runs(outcome: Outcome, max_bytes: int) -> str:
    """A gate of several runs: its headline, an overview (a row a run), then a section for each run, folded when
    it passed, each within its share of `max_bytes`."""
    lines = top(outcome)
    lines += [
        "",
        "| run | branch | verdict | failed | flaky | quarantined | forgiven | |",
        "|---|---|---|--:|--:|--:|--:|---|",
    ]
    for run in outcome.runs:
        result = run.result
        numbers: tuple[int, ...] = (result.counts.get("failed", 0), result.counts.get("flaky", 0)) if result else ()
        numbers += (len(result.quarantined), len(result.forgiven)) if result else ()
        counts = [f"{number:,}" for number in numbers] if result else ["–"] * 4
        branch = f"<code>{markdown(run.run.branch, 100)}</code>" if run.run and run.run.branch else "–"
        opened = link("run", run.run_url) if run.run_url else ""
        row = [markdown(run.label or "?", 100), branch, f"{ICONS[run.ending]} {run_end_words(run)}", *counts, opened]
        lines.append("| " + " | ".join(row) + " |")
    for note in outcome.notes:
        lines += ["", f"> {markdown(note, 500)}"]
    footer = (
        f"<sub>playdash-gate {outcome.version} · config {markdown(outcome.config_source or 'not read', 200)} · "
        f"waited {duration(outcome.waited)}, {plural(outcome.requests, 'request')}</sub>"
    )
    used = sum(len(line.encode()) + 1 for line in lines) + len(footer.encode()) + TAIL_RESERVE
    share = max(0, max_bytes - used) // len(outcome.runs) - TAIL_RESERVE
    for run in outcome.runs:
        section = run_summary.render(run, max(0, share), part=True)
        if run.ending is Ending.PASSED:
            heading, _, body = section.partition("\n")
            lines += [
                "",
                f"<details><summary>{heading.removeprefix('### ')}</summary>",
                "",
                body.strip(),
                "",
                "</details>",
            ]
        else:
            lines += ["", section]
    return joined([*lines, "", footer, ""])
