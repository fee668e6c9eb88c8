"""What a run's own counts and status already decide, when its tests cannot be listed: a failure that no
listing, quarantine or history could turn into a pass (pure, like `gate.evaluate`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace

from gate.dates import parse_timestamp
from gate.evaluate import Case, Verdict, evaluate, limit_checks
from gate.model import Run, TestResult
from gate.plural import plural
from gate.policy import InForce


def forgivable_at_most(run: Run, in_force: InForce) -> int | None:
    """The most failed tests quarantine and history could take out of the count, whatever the tests listed
    and the histories say; None when there is no bound.

    Quarantine has none: its globs may match every failed and flaky test. History forgives only failed
    tests (never flaky ones), only those looked up (`max_lookups`), none when the run has no usable
    `created_at` (nothing is looked up), and a verdict that forgives more than `max_forgiven` fails anyway.
    """
    if in_force.quarantine:
        return None
    section = in_force.history
    if section is None or not in_force.forgiving or parse_timestamp(run.created_at) is None:
        return 0
    return min(section.max_forgiven, section.max_lookups)


def could_change(verdict: Verdict, run: Run, in_force: InForce) -> bool:
    """Whether listing the tests could still make every failed check of a verdict made without them hold.

    Listing the tests only raises the counts (the larger of the statistics and the tests wins); only
    quarantine and history lower them, by `forgivable_at_most` failed tests (and quarantine the flaky ones
    too). A `failed` status is explained by the failed tests, so the listing may still change that check,
    unless the policy fails on it outright.
    """
    at_most = forgivable_at_most(run, in_force)
    lowest = dict(verdict.counts)
    if at_most is None:
        lowest["failed"] = lowest["flaky"] = 0
    else:
        lowest["failed"] = max(0, lowest.get("failed", 0) - at_most)
    holding = {check.key for check in limit_checks(asdict(in_force.thresholds), lowest, verdict.total) if check.passed}
    for check in verdict.failed_checks:
        if check.key == "status":
            if run.status != "failed" or "failed" in in_force.fail_on:
                return False
        elif check.key not in holding:
            return False
    return True


def known_failure(run: Run, tests: Sequence[TestResult], in_force: InForce) -> Verdict | None:
    """The failing verdict a finished run's own counts and status already give, or None if listing could change it.

    With a history section that forgives, the verdict says how little history could have forgiven.
    """
    verdict = evaluate(Case(run, (tests,), in_force))
    if verdict.passed or could_change(verdict, run, in_force):
        return None
    at_most = forgivable_at_most(run, in_force)
    if not in_force.forgiving or at_most is None:
        return verdict
    section = in_force.history
    assert section is not None  # forgiving: a section with classes to forgive
    if at_most == 0 and parse_timestamp(run.created_at) is None:
        why = "history forgives nothing here: the run has no usable creation date (`created_at`) to look it up by"
    else:
        why = (
            f"history could forgive at most {plural(at_most, 'failed test')} (history.max_forgiven "
            f"{section.max_forgiven}, history.max_lookups {section.max_lookups}), too few to change the verdict"
        )
    return replace(verdict, notes=(*verdict.notes, why))
