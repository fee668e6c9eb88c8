"""The machine-readable verdict: one JSON document, written whole."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from typing import Any

from gate.checks import Check
from gate.config.types import QuarantineEntry
from gate.ending import Ending
from gate.evaluate import Verdict
from gate.model import Run, TestResult
from gate.outcome import Outcome
from gate.policy import days_left
from gate.report.text import totals

# 2: `history` on failed and flaky tests, `forgiven_tests`, and the `forgiven` check (fields added since, such
# as `new_flaky_tests` and `quarantine_release`, trip no reader of version 2).
# 3: several runs in one gate: `totals`, and `runs` holding each run's version 2 object; a gate of one run keeps
# every field of version 2 at the top level too.
SCHEMA_VERSION = 3
RUN_SCHEMA_VERSION = 2
# What `JSONEncoder(ensure_ascii=False).encode` does with a string, without the method around it.
_escape = json.encoder.encode_basestring


def _test(test: TestResult) -> dict[str, Any]:
    return {"spec": test.spec, "title": test.title, "status": test.status, "duration": test.duration}


def _history(test: TestResult, result: Verdict | None) -> dict[str, Any] | None:
    """A failed or flaky test's history on the branch (None when no history was asked for)."""
    history = result.history_of(test) if result else None
    if history is None:
        return None
    return {"class": history.klass, "runs": history.runs, "failures": history.failures, "last": list(history.last)}


def _with_history(test: TestResult, result: Verdict | None) -> dict[str, Any]:
    """A failed or flaky test with its history on the branch (null when no history was asked for)."""
    return {**_test(test), "history": _history(test, result)}


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
        "new_flaky_tests": [_with_history(test, result) for test in (result.new_flaky if result else ())]
        if with_tests
        else None,
        "quarantined_tests": _quarantined(result) if with_tests else None,
        "expired_quarantine": [_entry(entry) for entry in (result.expired_quarantine if result else ())],
        "unused_quarantine": [_entry(entry) for entry in (result.unused_quarantine if result else ())],
        "quarantine_release": [
            {
                "entry": _entry(ready.entry),
                "tests": [_with_history(t, result) for t in ready.tests],
                "evidence": ready.evidence,
            }
            for ready in (result.quarantine_release if result else ())
        ],
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


LISTS = ("new_failures", "new_flaky_tests", "failed_tests", "forgiven_tests", "flaky_tests", "quarantined_tests")


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
    encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode

    def history(test: TestResult) -> str:
        shown = _history(test, result)
        return "null" if shown is None else encode(shown)

    # Without a history section every history is null: written as such, not asked of each test.
    histories = history if result is not None and result.history is not None else _no_history
    lists: dict[str, Iterable[str]] = {
        "new_failures": _lines(result.new_failures if result else (), encode, None),
        "new_flaky_tests": _lines(result.new_flaky if result else (), encode, histories),
        "failed_tests": _lines(outcome.failed_tests, encode, histories),
        "forgiven_tests": _lines(result.forgiven if result else (), encode, histories),
        "flaky_tests": _lines(outcome.flaky_tests, encode, histories),
        "quarantined_tests": map(encode, _quarantined(result)),
    }
    for name, lines in lists.items():
        yield f',\n{indent}"{name}": ['
        for index, line in enumerate(lines):
            yield ("," if index else "") + f"\n{indent}  " + line
        yield f"\n{indent}]"


def _no_history(_test: TestResult) -> str:
    return "null"


def _lines(
    tests: Iterable[TestResult], encode: Callable[[Any], str], history: Callable[[TestResult], str] | None
) -> Iterator[str]:
    """Each test as `json.dumps` writes `_test(test)`, or `_with_history` when `history` (its history's JSON) is
    given, on one line.

    Written directly, not by an encoder per test (a large run lists a hundred thousand): each spec file and
    status encoded once, a title by the string escape the encoder itself calls (`ensure_ascii=False`), a
    duration as json writes a float.
    """
    known: dict[str, str] = {}
    for test in tests:
        spec, status, duration = known.get(test.spec), known.get(test.status), test.duration
        if spec is None:
            spec = known[test.spec] = encode(test.spec)
        if status is None:
            status = known[test.status] = encode(test.status)
        if duration is None:
            number = "null"
        elif type(duration) is float and math.isfinite(duration):
            number = float.__repr__(duration)
        else:
            number = encode(duration)  # as json does, NaN refused
        line = f'{{"spec": {spec}, "title": {_escape(test.title)}, "status": {status}, "duration": {number}'
        if history is _no_history:
            yield line + ', "history": null}'
        elif history is not None:
            yield line + ', "history": ' + history(test) + "}"
        else:
            yield line + "}"
