"""The machine-readable verdict: one JSON document, written whole."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import Any

from gate.config.types import QuarantineEntry
from gate.ending import Ending
from gate.evaluate import Check, Verdict
from gate.model import Run, TestResult
from gate.outcome import Outcome
from gate.policy import days_left
from gate.report.text import totals

# 2: `history` on failed and flaky tests, `forgiven_tests`, and the `forgiven` check.
# 3: several runs in one gate: `totals`, and `runs` holding each run's version 2 object; a gate of one run keeps
# every field of version 2 at the top level too.
SCHEMA_VERSION = 3
RUN_SCHEMA_VERSION = 2


def _test(test: TestResult) -> dict[str, Any]:
    return {"spec": test.spec, "title": test.title, "status": test.status, "duration": test.duration}


def _with_history(test: TestResult, result: Verdict | None) -> dict[str, Any]:
    """A failed or flaky test with its history on the branch (null when no history was asked for)."""
    history = result.history_of(test) if result else None
    shown = None
    if history is not None:
        shown = {"class": history.klass, "runs": history.runs, "failures": history.failures, "last": list(history.last)}
    return {**_test(test), "history": shown}


def _entry(entry: QuarantineEntry) -> dict[str, Any]:
    return {
        "entry": entry.key_path,
        "spec_glob": entry.spec,
        "test_glob": entry.test,
        "reason": entry.reason,
        "owner": entry.owner,
        "until": entry.until.isoformat(),
    }


def _quarantined(result: Verdict | None) -> list[dict[str, Any]]:
    if result is None:
        return []
    today = result.today
    return [
        {**_test(test), **_entry(entry), "days_left": days_left(entry, today) if today else None}
        for test, entry in result.quarantined
    ]


def _check(check: Check) -> dict[str, Any]:
    return {
        "name": check.key,
        "label": check.name,
        "actual": check.actual,
        "comparison": check.comparison,
        "limit": list(check.limit) if isinstance(check.limit, tuple) else check.limit,
        "passed": check.passed,
        "detail": check.detail or None,
    }


def _run(run: Run) -> dict[str, Any]:
    return {
        "commit_id": run.commit_id,
        "commit_name": run.commit_name,
        "branch": run.branch,
        "author": run.author,
        "ci_build_id": run.ci_build_id,
        "created_at": run.created_at,
        "duration": run.duration,
        "total_shards": run.total_shards,
        "tags": list(run.tags),
    }


def to_dict(outcome: Outcome, with_tests: bool = True, comment_url: str | None = None) -> dict[str, Any]:
    """A run's verdict as plain data, the version 2 object (with the pull request comment's address, once
    written); every field is present on every exit path (null when unknown)."""
    run = outcome.run
    result = outcome.result
    return {
        "schema_version": RUN_SCHEMA_VERSION,
        "verdict": outcome.verdict,
        "exit_code": outcome.exit_code,
        "message": outcome.message,
        "error_kind": outcome.error_kind,
        "passed_on_unavailable": outcome.ending is Ending.LET_THROUGH,
        "target_branch": outcome.target_branch,
        "enforced": outcome.enforced,
        "would_exit": outcome.exit_code if outcome.would_exit is None else outcome.would_exit,
        "project_id": outcome.project_id,
        "run_id": outcome.run_id,
        "url": outcome.run_url,
        "comment_url": comment_url,
        "status": run.status if run else None,
        "is_running": run.is_running if run else None,
        "statistics": dict(run.statistics) if run else {},
        "total": result.total if result else (run.total if run else None),
        "checks": [_check(check) for check in (result.checks if result else ())],
        "failed_tests": [_with_history(test, result) for test in outcome.failed_tests] if with_tests else None,
        "forgiven_tests": [_with_history(test, result) for test in (result.forgiven if result else ())]
        if with_tests
        else None,
        "new_failures": [_test(test) for test in (result.new_failures if result else ())] if with_tests else None,
        "quarantined_tests": _quarantined(result) if with_tests else None,
        "expired_quarantine": [_entry(entry) for entry in (result.expired_quarantine if result else ())],
        "unused_quarantine": [_entry(entry) for entry in (result.unused_quarantine if result else ())],
        "warnings": [
            {
                "name": check.key,
                "label": check.name,
                "actual": check.actual,
                "comparison": check.comparison,
                "limit": check.limit,
            }
            for check in (result.warnings if result else ())
        ],
        "rules_applied": [
            {"index": rule.index, "branch": rule.branch, "tags": list(rule.tags)}
            for rule in (result.rules_applied if result else ())
        ],
        "effective_limits": asdict(result.limits) if result and result.limits else None,
        "stopped_early": bool(result and result.stopped_early),
        "flaky_tests": [_with_history(test, result) for test in outcome.flaky_tests] if with_tests else None,
        "run": None if run is None else _run(run),
        "ci": None
        if outcome.ci is None
        else {
            "name": outcome.ci.name,
            "job_url": outcome.ci.job_url,
            "commit": outcome.ci.commit,
            "branch": outcome.ci.branch,
        },
        "config": outcome.config_source,
        "notes": [*outcome.notes, *(result.notes if result else ())],
        "waited_seconds": round(outcome.waited, 3),
        "requests": outcome.requests,
        "version": outcome.version,
    }


LISTS = ("new_failures", "failed_tests", "forgiven_tests", "flaky_tests", "quarantined_tests")


def chunks(outcome: Outcome, comment_url: str | None = None) -> Iterator[str]:
    """The JSON text in pieces (version 3): the gate's ending and totals, and each run's version 2 object in
    `runs`; a gate of one run (or of none: a set-up error) keeps every version 2 field at the top level too."""
    head = to_dict(outcome, with_tests=False, comment_url=comment_url)
    if not outcome.several:
        # The one run's lists are written after the rest, one test at a time; the gate of several has its runs'.
        head = {key: value for key, value in head.items() if key not in LISTS}
    head = {**head, "schema_version": SCHEMA_VERSION, "totals": totals(outcome)}
    text = json.dumps(head, ensure_ascii=False, allow_nan=False, indent=2)
    yield text[: text.rfind("}")].rstrip()
    if not outcome.several:
        yield from _lists(outcome, "  ")
    yield ',\n  "runs": ['
    for index, run in enumerate(outcome.runs):
        yield ("," if index else "") + "\n"
        yield from _run_chunks(run, comment_url)
    yield "\n  ]\n}\n"


def _run_chunks(outcome: Outcome, comment_url: str | None) -> Iterator[str]:
    """A run's version 2 object, its lists of tests written one test at a time (never held whole twice)."""
    head = {key: value for key, value in to_dict(outcome, False, comment_url).items() if key not in LISTS}
    head["label"] = outcome.label
    text = json.dumps(head, ensure_ascii=False, allow_nan=False)
    yield "    " + text[: text.rfind("}")].rstrip()
    yield from _lists(outcome, "      ")
    yield "\n    }"


def _lists(outcome: Outcome, indent: str) -> Iterator[str]:
    """The lists of tests of a run, as `"name": [...]` members, one test a line."""
    result = outcome.result
    lists: dict[str, Iterable[dict[str, Any]]] = {
        "new_failures": (_test(test) for test in (result.new_failures if result else ())),
        "failed_tests": (_with_history(test, result) for test in outcome.failed_tests),
        "forgiven_tests": (_with_history(test, result) for test in (result.forgiven if result else ())),
        "flaky_tests": (_with_history(test, result) for test in outcome.flaky_tests),
        "quarantined_tests": iter(_quarantined(result)),
    }
    for name, items in lists.items():
        yield f',\n{indent}"{name}": ['
        for index, item in enumerate(items):
            yield ("," if index else "") + f"\n{indent}  " + json.dumps(item, ensure_ascii=False, allow_nan=False)
        yield f"\n{indent}]"
