"""The machine-readable verdict: one JSON document, written whole."""

from __future__ import annotations

import json
from typing import Any

from gate.model import TestResult
from gate.outcome import Outcome

SCHEMA_VERSION = 1


def _test(test: TestResult) -> dict[str, Any]:
    return {"spec": test.spec, "title": test.title, "status": test.status, "duration": test.duration}


def to_dict(outcome: Outcome) -> dict[str, Any]:
    """The verdict as plain data; every field is present on every exit path (null when unknown)."""
    run = outcome.run
    result = outcome.result
    return {
        "schema_version": SCHEMA_VERSION,
        "verdict": outcome.verdict,
        "exit_code": outcome.exit_code,
        "message": outcome.message,
        "error_kind": outcome.error_kind,
        "passed_on_unavailable": outcome.passed_on_unavailable,
        "project_id": outcome.project_id,
        "run_id": outcome.run_id,
        "url": outcome.run_url,
        "status": run.status if run else None,
        "is_running": run.is_running if run else None,
        "statistics": dict(run.statistics) if run else {},
        "total": result.total if result else (run.total if run else None),
        "checks": [
            {
                "name": check.key,
                "label": check.name,
                "actual": check.actual,
                "comparison": check.comparison,
                "limit": list(check.limit) if isinstance(check.limit, tuple) else check.limit,
                "passed": check.passed,
                "detail": check.detail or None,
            }
            for check in (result.checks if result else ())
        ],
        "failed_tests": [_test(test) for test in outcome.failed_tests],
        "flaky_tests": [_test(test) for test in outcome.flaky_tests],
        "run": None
        if run is None
        else {
            "commit_id": run.commit_id,
            "commit_name": run.commit_name,
            "branch": run.branch,
            "author": run.author,
            "ci_build_id": run.ci_build_id,
            "created_at": run.created_at,
            "duration": run.duration,
            "total_shards": run.total_shards,
            "tags": list(run.tags),
        },
        "ci": None
        if outcome.ci is None
        else {
            "name": outcome.ci.name,
            "job_url": outcome.ci.job_url,
            "commit": outcome.ci.commit,
            "branch": outcome.ci.branch,
        },
        "config": outcome.config_source,
        "notes": list(outcome.notes),
        "waited_seconds": round(outcome.waited, 3),
        "requests": outcome.requests,
        "version": outcome.version,
    }


def render(outcome: Outcome) -> str:
    """The JSON text (UTF-8, no NaN, stable key order)."""
    return json.dumps(to_dict(outcome), ensure_ascii=False, allow_nan=False, indent=2) + "\n"
