"""The one definition of a scenario file's shape, and the checker that reads a file against it.

The checker (`problems`) and the shipped JSON Schema (`schema.py`, scenario.schema.json) both come from
here: a key added here (a run's `histories`, say) is known to both at once, and named in every message.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeAlias

from gate.text import shown

# Bounds on what a scenario says: far beyond any real run, near enough to keep the server's sums small.
MAX_COUNT = 1_000_000
# The tests a scenario's runs hold in all: the simulator (in the demo, the gate's own process) builds each one.
MAX_TESTS = 200_000
MAX_SECONDS = 24 * 3600.0
# The statuses a test may have, as the API spells them.
TEST_STATUSES = ("passed", "failed", "flaky", "skipped", "timedOut", "interrupted")

# What a single value is:
#   text      a text              maybe_text  a text or null         texts   a list of texts
#   count     a whole number from 0 to MAX_COUNT                      seconds a number from 0 to MAX_SECONDS
#   fraction  a number from 0 to 1                                    bool    true or false
#   http      an HTTP status code (100 to 599)                        status  one of TEST_STATUSES
#   json      any JSON value (an answer's body, a header's value)     object  any JSON object
Kind: TypeAlias = Literal[
    "text", "maybe_text", "texts", "count", "seconds", "fraction", "bool", "http", "status", "json", "object"
]


@dataclass(frozen=True)
class Key:
    """One key of an object: what its value is, what it means, whether it must be given."""

    value: Kind | Obj | ListOf
    description: str
    required: bool = False


@dataclass(frozen=True)
class Obj:
    """An object of known keys; any other key is refused, naming it. `name`: its entry in the schema's $defs."""

    keys: Mapping[str, Key]
    name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class ListOf:
    """A list of values of one kind or shape."""

    item: Kind | Obj


COUNTS = Obj(
    name="counts",
    description="How many tests end in each status (the tests are made up from these counts).",
    keys={
        name: Key("count", f"{name.replace('_', ' ').capitalize()} tests.")
        for name in ("passed", "failed", "flaky", "skipped", "timed_out", "interrupted")
    },
)

TEST = Obj(
    name="test",
    description="One test of the run, as the API lists it.",
    keys={
        "spec": Key("text", "The spec file's name, e.g. checkout/pay.spec.ts.", required=True),
        "title": Key("text", "The test's title.", required=True),
        "status": Key("status", "passed, failed, flaky, skipped, timedOut or interrupted.", required=True),
        "duration": Key("seconds", "How long the test took, in seconds."),
        "test_id": Key("text", "Its id (default: t000000, t000001, … in order)."),
    },
)

FAULT = Obj(
    name="fault",
    description="One scripted fault, played on one request: give one of its kinds (status, reset, html, …).",
    keys={
        "status": Key("http", "Answer with this HTTP status (429, 503, …) and a JSON error body."),
        "retry_after": Key("json", "With status: the Retry-After header's value."),
        "body": Key("json", "With status: the JSON body, instead of a generic error."),
        "reset": Key("bool", "Reset the connection."),
        "html": Key("bool", "Answer 200 with an HTML page (a proxy's error page)."),
        "truncate": Key("bool", "Answer 200 with a body cut in the middle."),
        "stall": Key("seconds", "Send the start of a body, then nothing for this long."),
        "trickle": Key("seconds", "Send a space every 0.1 s for this long, never finishing the body."),
        "delay": Key("seconds", "Wait this long, then answer normally."),
        "redirect": Key("text", "Redirect to this address."),
        "code": Key("http", "With redirect: the status (default 302)."),
        "raw": Key("json", "Answer 200 with this body: a text as is, any other value as JSON."),
    },
)

RUN = Obj(
    name="run",
    description="One scripted run: its tests, how it progresses, and what its answers say.",
    keys={
        "project_id": Key("text", "The project's id (default pdqmxlz)."),
        "run_id": Key("text", "The run's id (default kftwnab)."),
        "counts": Key(COUNTS, "Its tests by final status (default 38 passed, 1 flaky); ignored when tests is given."),
        "specs": Key("count", "How many spec files the counted tests are spread over (default 8)."),
        "finish_after_polls": Key("count", "Still running until polled this many times (default 0: finished)."),
        "finish_after_seconds": Key("seconds", "Still running until this long after the simulator started."),
        "final_status": Key("maybe_text", "The finished run's status (default: failed if a test failed, else passed)."),
        "tests": Key(ListOf(TEST), "Its tests, each named (instead of counts)."),
        "final_patch": Key("object", "Fields merged into the finished run's answer (e.g. a status it may not have)."),
        "drop_fields": Key("texts", "Fields left out of the finished run's answer."),
        "repeat_first_page": Key("bool", "Serve the first page of tests whatever page is asked for (a broken API)."),
        "appears_after_lists": Key("count", "Missing from List runs for this many listings (a run reported late)."),
        "created_at": Key("text", "When it was created, ISO 8601; List runs shows the newest first."),
        "branch": Key("maybe_text", "Its branch (default main)."),
        "commit_name": Key("text", "Its commit message."),
        "commit_id": Key("text", "Its commit's SHA."),
        "author": Key("text", "The commit's author."),
        "ci_build_id": Key("text", "The ciBuildId its reporter was given (default gh-actions-4821)."),
        "tags": Key("texts", "Its tags (default [smoke])."),
        "total_shards": Key("count", "How many shards reported into it (default 4)."),
        "duration": Key("seconds", "The finished run's duration in seconds, as the API reports it (default 182.45)."),
        "histories": Key(
            "object",
            "Result histories by test id, each a list of entries as the API writes them ({status, started_at, "
            "run_id, run: {branch, ...}}), served within the `days` window ending at `result_history_started_at`.",
        ),
    },
)

DEMO = Obj(
    name="demo",
    description="What `playdash-gate demo --scenario` gates: by default the last run listed, by its id.",
    keys={
        "run_id": Key("text", "Gate this run (by its id)."),
        "ci_build_id": Key("text", "Gate the run of this CI build id, found through List runs."),
        "config": Key("text", "A thresholds file for the gate, relative to the scenario file."),
    },
)

SCENARIO = Obj(
    description="A script for the playdash-gate simulator: the runs it serves and the faults it plays. "
    "Every key is optional.",
    keys={
        "runs": Key(ListOf(RUN), "The runs it serves, oldest first (default: one run, kftwnab, finished)."),
        "api_key": Key("text", "The API key it accepts (default demo-key)."),
        "faults": Key(ListOf(FAULT), "Faults played on the next requests, one per request, in order."),
        "fault_rate": Key("fraction", "The share of later requests answered with a random fault (default 0)."),
        "random_faults": Key(ListOf(FAULT), "The faults drawn from at random (default: a 503)."),
        "seed": Key("count", "The seed of the random draws, so that a scenario plays the same every time."),
        "latency": Key("seconds", "Seconds added to every answer."),
        "description": Key("text", "What the scenario shows, in one line (`playdash-gate demo --list` shows it)."),
        "demo": Key(DEMO, "What `playdash-gate demo --scenario` gates."),
        "$schema": Key("text", "The schema the file follows, for editors (this one); the simulator ignores it."),
    },
)


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _kind_problem(kind: Kind, value: object) -> str | None:
    """What is wrong with a value of this kind (`expected …, got …`), or None."""
    match kind:
        case "text" | "maybe_text":
            if isinstance(value, str) or (kind == "maybe_text" and value is None):
                return None
            wanted = "a text" if kind == "text" else "a text or null"
        case "texts":
            if isinstance(value, list) and all(isinstance(item, str) for item in value):
                return None
            wanted = "a list of texts"
        case "count":
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT:
                return None
            wanted = f"a whole number from 0 to {MAX_COUNT}"
        case "seconds":
            if _number(value) and 0 <= value <= MAX_SECONDS:  # type: ignore[operator]
                return None
            wanted = f"a number of seconds from 0 to {MAX_SECONDS:g}"
        case "fraction":
            if _number(value) and 0 <= value <= 1:  # type: ignore[operator]
                return None
            wanted = "a number from 0 to 1"
        case "bool":
            if isinstance(value, bool):
                return None
            wanted = "true or false"
        case "http":
            if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
                return None
            wanted = "an HTTP status from 100 to 599"
        case "status":
            if value in TEST_STATUSES:
                return None
            wanted = "one of " + ", ".join(TEST_STATUSES)
        case "object":
            if isinstance(value, dict):
                return None
            wanted = "an object"
        case "json":
            return None
    return f"expected {wanted}, got {_describe(value)}"


def _describe(value: object) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a text", list: "a list", dict: "an object"}
    if value is None:
        return "null"
    return f"{names.get(type(value), type(value).__name__)} {shown(value)}"


def problems(data: object, shape: Obj = SCENARIO, where: str = "") -> list[str]:
    """Every problem of `data` read as `shape`, each naming its key path (`runs[1].counts.failed: …`)."""
    if not isinstance(data, dict):
        return [f"{where or 'the scenario'}: expected an object, got {_describe(data)}"]
    prefix = f"{where}." if where else ""
    found = []
    unknown = [key for key in data if key not in shape.keys]
    if unknown:
        names = ", ".join(f"{prefix}{key}" for key in unknown)
        noun = "unknown key" if len(unknown) == 1 else "unknown keys"
        found.append(f"{names}: {noun}; known keys: {', '.join(shape.keys)}")
    for name, key in shape.keys.items():
        if name not in data:
            if key.required:
                found.append(f"{prefix}{name}: missing (required)")
            continue
        found.extend(_value_problems(key.value, data[name], f"{prefix}{name}"))
    return found


def _value_problems(value: Kind | Obj | ListOf, data: object, where: str) -> list[str]:
    if isinstance(value, Obj):
        return problems(data, value, where)
    if isinstance(value, ListOf):
        if not isinstance(data, list):
            return [f"{where}: expected a list, got {_describe(data)}"]
        return [
            found for index, item in enumerate(data) for found in _value_problems(value.item, item, f"{where}[{index}]")
        ]
    problem = _kind_problem(value, data)
    return [f"{where}: {problem}"] if problem else []
