"""`quarantine suggest`: the failed and flaky tests of a run whose history on the branch is unstable enough to
quarantine, as YAML entries to paste under a config's `quarantine:` (pure: the verdict and the day are given)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from gate.config.shape import MAX_TEXT
from gate.evaluate import Verdict
from gate.model import TestResult
from gate.plural import plural
from gate.text import cut, glob_literal, inline, yaml_quoted

# How long a suggested entry applies: two weeks, then it expires and `validate` and the gate say so.
SUGGESTED_DAYS = 14
DEFAULT_MIN_RATE = 0.2


@dataclass(frozen=True)
class Suggestion:
    """A test to quarantine: its globs (None: left out), how often it failed or was flaky in past runs, of how many."""

    test: TestResult
    spec: str | None
    title: str | None
    failures: int
    runs: int

    @property
    def rate(self) -> float:
        """The share of its past runs it failed or was flaky in."""
        return self.failures / self.runs


def _glob(text: str) -> str | None:
    """A glob matching the text, cut to the config's bound; None when it would hold nothing but spaces."""
    glob = glob_literal(text, MAX_TEXT)
    return glob if glob.strip() else None


def suggestions(verdict: Verdict, min_rate: float) -> list[Suggestion]:
    """The failed and flaky tests (not quarantined) whose history counts at least min_runs past runs, of which
    at least `min_rate` failed or were flaky; most unstable first. A test whose spec and title give no glob
    is left out (an entry must name the tests it is for), as is one with no title (it would take a whole spec)."""
    section = verdict.history
    if section is None:
        return []
    # One entry per pair of globs: a test listed twice (failed, then flaky), or parametrized under one title.
    found: dict[tuple[str | None, str], Suggestion] = {}
    for test in (*verdict.failed_tests, *verdict.flaky_tests):
        history = verdict.history_of(test)
        if history is None or history.runs < max(1, section.min_runs):
            continue
        title = _glob(test.title)
        if title is None or history.failures / history.runs < min_rate:
            continue
        spec = _glob(test.spec)
        now = Suggestion(test, spec, title, history.failures, history.runs)
        before = found.get((spec, title))
        if before is None or (now.rate, now.failures) > (before.rate, before.failures):
            found[(spec, title)] = now
    return sorted(found.values(), key=lambda s: (-s.rate, -s.failures, s.test.spec, s.test.title))


def evidence(suggestion: Suggestion, branch: str, since: datetime.date | None) -> str:
    """`failed or was flaky in 4 of 12 past runs on main since 2026-11-20 (flaky in this run)`."""
    when = f" since {since.isoformat()}" if since else ""
    said = (
        f"failed or was flaky in {suggestion.failures:,} of {plural(suggestion.runs, 'past run')} on {branch}{when} "
        f"({inline(suggestion.test.status, 40)} in this run)"
    )
    return cut(said, MAX_TEXT)


def render(
    found: list[Suggestion], *, branch: str, since: datetime.date | None, today: datetime.date, heading: str
) -> str:
    """The YAML entries, with comments, to paste under `quarantine:`; `owner` left to fill in as a comment.

    Every text is one double-quoted scalar (`yaml_quoted`): a title cannot end its line, its scalar or add a key.
    """
    until = today + datetime.timedelta(days=SUGGESTED_DAYS)
    lines = [f"# {line}" for line in heading.splitlines()]
    if not found:
        lines.append("# No test to suggest.")
        return "\n".join(lines) + "\n"
    lines.append("# Paste under `quarantine:` in your config, fill in each owner, then run `playdash-gate validate`.")
    for suggestion in found:
        named = [("spec", suggestion.spec), ("test", suggestion.title)]
        first = True
        for key, glob in named:
            if glob is not None:
                lines.append(f"  {'- ' if first else '  '}{key}: {yaml_quoted(glob)}")
                first = False
        lines.append(f"    reason: {yaml_quoted(evidence(suggestion, branch, since))}")
        lines.append('    # owner: "@team"   # who fixes it: fill in, and uncomment')
        lines.append(f"    until: {until.isoformat()}")
    return "\n".join(lines) + "\n"
