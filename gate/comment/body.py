"""The comment's text: the step summary's Markdown, cut to GitHub's limit, with the marker and who wrote it when."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass

from gate.ci import workflow_run_url
from gate.outcome import Outcome
from gate.report.summary import summary
from gate.text import link, markdown

# GitHub refuses a comment longer than this many characters (not bytes): 422 "body is too long".
MAX_COMMENT_CHARS = 65_536
# When the summary is too long, it is rendered again with its lists of tests cut to fewer bytes, the largest
# of these that fits: the checks and the footer stay. The last is under the limit in characters whatever the
# text (a character is at least a byte), so the safety cut below rarely has work to do.
SHORT_SUMMARY_BYTES = (130_000, 110_000, 90_000, 60_000)
# Room kept for the line that says what was left out.
NOTE_ROOM = 1_000
_OPEN = re.compile(r"<details\b", re.IGNORECASE)
_CLOSE = re.compile(r"</details\s*>", re.IGNORECASE)
_CLOSING = "</details>"
# `@name` after a non-word character is a mention that notifies `name`; `@&#8203;name` reads the same, silently.
# After a backtick too: titles are escaped and never make code spans, so `` `@name` `` notifies as well.
_MENTION = re.compile(r"(?<![A-Za-z0-9_])@(?=[A-Za-z0-9])")


@dataclass(frozen=True)
class Signature:
    """Who wrote the comment, and when: the workflow run's page, the workflow's and job's names, the time."""

    written_at: datetime.datetime
    workflow_run_url: str | None = None
    workflow: str | None = None
    job: str | None = None


def gate_comment(outcome: Outcome, marker: str, env: Mapping[str, str], written_at: datetime.datetime) -> str:
    """The comment the gate posts, signed by the CI's workflow run, workflow and job (the comment file's too)."""
    signature = Signature(written_at, workflow_run_url(env), env.get("GITHUB_WORKFLOW"), env.get("GITHUB_JOB"))
    return comment_body(outcome, marker, signature)


def silence_mentions(text: str) -> str:
    """The text with no `@mention` left to notify anyone (a test title may hold one)."""
    return _MENTION.sub("@&#8203;", text)


def comment_body(outcome: Outcome, marker: str, signature: Signature) -> str:
    """The whole comment: the marker, the summary (cut to fit, every `<details>` closed), then who wrote it when."""
    footer = _footer(signature)
    head = marker + "\n\n"
    full = silence_mentions(summary(outcome))
    if len(head) + len(full) + len(footer) <= MAX_COMMENT_CHARS:
        return head + full + footer
    room = MAX_COMMENT_CHARS - len(head) - len(footer) - NOTE_ROOM
    for max_bytes in SHORT_SUMMARY_BYTES:
        short = silence_mentions(summary(outcome, max_bytes=max_bytes))
        if len(short) <= room:
            break
    kept = whole_lines(short, room)
    note = _left_out(len(full) - len(kept), outcome.run_url, signature.workflow_run_url)[:NOTE_ROOM]
    return head + kept + note + footer


def whole_lines(text: str, limit: int) -> str:
    """Whole lines of `text` within `limit` characters, with every `<details>` still open closed after them."""
    if len(text) <= limit:
        return text
    kept: list[str] = []
    used = depth = 0
    for line in text.split("\n"):
        after = max(0, depth + len(_OPEN.findall(line)) - len(_CLOSE.findall(line)))
        if used + len(line) + 1 + after * (len(_CLOSING) + 2) > limit:
            break
        kept.append(line)
        used += len(line) + 1
        depth = after
    kept += ["", _CLOSING] * depth
    return "\n".join(kept) + "\n"


def _left_out(characters: int, run_url: str | None, workflow_run_url: str | None) -> str:
    named = (("the run in NeetoPlaydash", run_url), ("the workflow run's summary", workflow_run_url))
    links = [link(words, url) for words, url in named if url]
    where = " and ".join(links) if links else "the workflow run's step summary"
    return (
        f"\n> ✂️ Shortened to fit GitHub's limit of {MAX_COMMENT_CHARS:,} characters per comment: "
        f"{max(0, characters):,} characters of the report are left out here, from the longest lists of tests "
        f"(each says how many it leaves out). Everything is in {where}.\n"
    )


def _footer(signature: Signature) -> str:
    when = signature.written_at.astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    run = link("workflow run", signature.workflow_run_url)
    names = " · ".join(markdown(name, 100) for name in (signature.workflow, signature.job) if name)
    by = f"{run} ({names})" if names else run
    return f"\n<sub>Written {when} by the {by}; updated in place on every run.</sub>\n"
