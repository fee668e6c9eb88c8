"""The simulator's script: the runs it serves, the faults it plays, and the tests each run holds."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.bounded import SCENARIO_FILE, NotAFile, OverLimit, loads, read_path
from gate.dates import parse_timestamp, timestamp_text
from gate.shape import Section
from gate.simulator.shape import MAX_TESTS, RUN, SCENARIO, problems

TEST_STATUS_NAMES = {"timed_out": "timedOut"}


class ScenarioError(ValueError):
    """A scenario that does not fit its shape: each problem names its key, and `source` its file (if any)."""

    def __init__(self, problems: list[str], source: str = "") -> None:
        super().__init__(f"{source}: " * bool(source) + "; ".join(problems))
        self.problems, self.source = problems, source


def _refuse_problems(data: object, shape: Section, where: str = "") -> None:
    found = problems(data, shape, where)
    if found:
        raise ScenarioError(found)


@dataclass
class SimRun:
    """One scripted run: its final counts, how long it takes to finish, and overrides of its answers."""

    project_id: str = "pdqmxlz"
    run_id: str = "kftwnab"
    counts: dict[str, int] = field(default_factory=lambda: {"passed": 38, "failed": 0, "flaky": 1})
    specs: int = 8
    finish_after_polls: int = 0
    finish_after_seconds: float = 0.0
    final_status: str | None = None
    tests: list[dict[str, Any]] | None = None
    final_patch: dict[str, Any] = field(default_factory=dict)
    drop_fields: list[str] = field(default_factory=list)
    repeat_first_page: bool = False
    appears_after_lists: int = 0
    created_at: str = "2026-06-28T09:14:22.000Z"
    branch: str | None = "main"
    commit_name: str = "Fix flaky checkout spec"
    commit_id: str = "9fceb02e1d2c4bb6a1f3f6b0c8e7d5a1b2c3d4e5"
    author: str = "Oliver Smith"
    ci_build_id: str = "gh-actions-4821"
    tags: list[str] = field(default_factory=lambda: ["smoke"])
    total_shards: int = 4
    duration: float = 182.45
    # Result histories by test id, served as they are scripted (filtered by the `days` window ending at
    # `result_history_started_at`); an entry whose `started_at` does not parse is served unfiltered.
    histories: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Faults played on this run's own requests (Get run, its pages), before the scenario's.
    faults: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "") -> SimRun:
        """A run from a scenario file's mapping; an unknown key is a ValueError naming it (at `where`)."""
        _refuse_problems(data, RUN, where)
        return cls(**data)


@dataclass
class Scenario:
    """The server's script: runs, the API key it accepts, queued faults and random ones, added latency."""

    runs: list[SimRun] = field(default_factory=lambda: [SimRun()])
    api_key: str = "demo-key"
    faults: list[dict[str, Any]] = field(default_factory=list)
    fault_rate: float = 0.0
    random_faults: list[dict[str, Any]] = field(default_factory=lambda: [{"status": 503}])
    seed: int = 0
    latency: float = 0.0
    description: str = ""
    demo: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """A scenario from a JSON file's mapping, checked against its shape (a ScenarioError names each key)."""
        _refuse_problems(data, SCENARIO)
        rest = {key: value for key, value in data.items() if key != "$schema"}
        runs = [SimRun.from_dict(run, where=f"runs[{index}]") for index, run in enumerate(rest.pop("runs", [{}]))]
        made = sum(len(run.tests) if run.tests is not None else sum(run.counts.values()) for run in runs)
        if made > MAX_TESTS:
            raise ScenarioError(
                [f"runs: the runs hold {made:,} tests in all, more than the simulator makes ({MAX_TESTS:,})"]
            )
        return cls(runs=runs, **rest)

    @classmethod
    def from_file(cls, path: Path) -> Scenario:
        """A scenario from a JSON file; any problem (unreadable, not JSON, a key wrong) is a ScenarioError naming it."""
        try:
            # A regular file only: a FIFO or a device is refused, never waited on (`gate.bounded`).
            data = loads(read_path(path, SCENARIO_FILE), SCENARIO_FILE)
        except (OverLimit, NotAFile) as exc:
            raise ScenarioError([f"{exc.reason}; a scenario is a JSON file of a few KB"], str(path)) from None
        except OSError as exc:
            raise ScenarioError([f"cannot be read ({exc.strerror or exc})"], str(path)) from None
        except UnicodeDecodeError:
            raise ScenarioError(["is not UTF-8 text"], str(path)) from None
        except ValueError as exc:
            raise ScenarioError([f"is not JSON ({exc})"], str(path)) from None
        except RecursionError:
            raise ScenarioError(["is nested too deeply to read"], str(path)) from None
        try:
            return cls.from_dict(data)
        except ScenarioError as exc:
            raise ScenarioError(exc.problems, str(path)) from None


def history(
    statuses: Iterable[str],
    *,
    branch: str = "main",
    anchor: str = "2026-06-28T09:14:22.000Z",
    hours_apart: float = 20.0,
    run_prefix: str = "hist",
) -> list[dict[str, Any]]:
    """Result history entries as the API writes them, newest first, one every `hours_apart` before `anchor`."""
    end = parse_timestamp(anchor)
    if end is None:
        raise ValueError(f"history(anchor={anchor!r}): not a date-time the gate reads")
    entries = []
    for index, status in enumerate(statuses):
        started = end - datetime.timedelta(hours=hours_apart * (index + 1))
        entries.append(
            {
                "status": status,
                "duration": 2.5,
                "started_at": timestamp_text(started),
                "run_id": f"{run_prefix}{index:03d}",
                "run": {
                    "commit_name": f"Commit {index}",
                    "branch": branch,
                    "author": "Oliver Smith",
                    "tags": [],
                    "commit_id": f"{index:040x}",
                    "ci_build_id": f"gh-{index}",
                    "duration": 120.0,
                    "status": "passed" if status == "passed" else "failed",
                },
            }
        )
    return entries


def histories_answer(run: SimRun, test_id: str, query: Mapping[str, str]) -> dict[str, Any]:
    """The result histories of a test as the API answers them: the window of `days` (default 7) ending at
    `result_history_started_at` (default now); entries whose date does not parse are served as they are."""
    days = int(query.get("days", "7"))
    end = parse_timestamp(query.get("result_history_started_at")) or datetime.datetime.now(datetime.timezone.utc)
    start = end - datetime.timedelta(days=days)
    served = []
    for entry in run.histories.get(test_id, []):
        when = parse_timestamp(entry.get("started_at")) if isinstance(entry, dict) else None
        if when is None or start <= when <= end:
            served.append(entry)
    return {"result_histories": served}


def tests_of(run: SimRun) -> list[dict[str, Any]]:
    """The run's tests, each with an id of its own that every view of the run shows alike, as the API does."""
    if run.tests is not None:
        return [{"test_id": f"t{index:06d}", **test} for index, test in enumerate(run.tests)]
    tests = []
    index = 0
    for status in ("failed", "flaky", "timed_out", "interrupted", "skipped", "passed"):
        for number in range(run.counts.get(status, 0)):
            spec = index % max(1, run.specs)
            tests.append(
                {
                    "spec": f"spec-{spec:04d}.spec.ts",
                    "title": f"{status.replace('_', ' ')} test {number + 1}",
                    "status": TEST_STATUS_NAMES.get(status, status),
                    "duration": round(0.5 + (index % 37) / 10, 2),
                    "test_id": f"t{index:06d}",
                }
            )
            index += 1
    return tests


def spec_ids_of(tests: list[dict[str, Any]]) -> dict[str, str]:
    """Each spec's id, by file name in order of first appearance; its own, whatever view (status, page) shows it."""
    return {name: f"s{index:05d}" for index, name in enumerate(dict.fromkeys(test["spec"] for test in tests))}
