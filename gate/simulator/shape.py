"""The one definition of a scenario file's shape, in the shape language (gate/shape.py), and its kinds.

The checker (`problems`) and the shipped JSON Schema (`schema.py`, scenario.schema.json) both come from
here: a key added here (a run's `histories`, say) is known to both at once, and named in every message.
"""

from __future__ import annotations

from collections.abc import Mapping

from gate.model import FINAL_STATUSES
from gate.model import TEST_STATUSES as GATE_TEST_STATUSES
from gate.shape import Entries, Key, Kind, Section, is_number, is_whole
from gate.shape import problems as shape_problems

# Bounds on what a scenario says: far beyond any real run, near enough to keep the server's sums small.
MAX_COUNT = 1_000_000
# The tests a scenario's runs hold in all: the simulator (in the demo, the gate's own process) builds each one.
MAX_TESTS = 200_000
MAX_SECONDS = 24 * 3600.0
# The statuses a test may have: the gate's (the API's `status` filter spells `timed_out`), and `timedOut`, the
# run's spelling of it, which scenarios written before took and which reads as the same status.
TEST_STATUSES = (*GATE_TEST_STATUSES, "timedOut")
# The statuses a finished run may end with: those the gate knows, and `timedOut` as the API spells the run's.
# An unknown one (to see the gate refuse it) is scripted with `final_patch`.
RUN_STATUSES = (*sorted(FINAL_STATUSES), "timedOut")

# What a single value is: its JSON Schema, what it must be, and the test, side by side.
KINDS: Mapping[str, Kind] = {
    "text": Kind({"type": "string"}, "a text", lambda value: isinstance(value, str)),
    "maybe_text": Kind(
        {"type": ["string", "null"]}, "a text or null", lambda value: value is None or isinstance(value, str)
    ),
    "texts": Kind(
        {"type": "array", "items": {"type": "string"}},
        "a list of texts",
        lambda value: isinstance(value, list) and all(isinstance(item, str) for item in value),
    ),
    "count": Kind(
        {"type": "integer", "minimum": 0, "maximum": MAX_COUNT},
        f"a whole number from 0 to {MAX_COUNT}",
        lambda value: is_whole(value, 0, MAX_COUNT),
    ),
    "seconds": Kind(
        {"type": "number", "minimum": 0, "maximum": MAX_SECONDS},
        f"a number of seconds from 0 to {MAX_SECONDS:g}",
        lambda value: is_number(value, 0, MAX_SECONDS),
    ),
    "fraction": Kind(
        {"type": "number", "minimum": 0, "maximum": 1}, "a number from 0 to 1", lambda value: is_number(value, 0, 1)
    ),
    "bool": Kind({"type": "boolean"}, "true or false", lambda value: isinstance(value, bool)),
    "http": Kind(
        {"type": "integer", "minimum": 100, "maximum": 599},
        "an HTTP status from 100 to 599",
        lambda value: is_whole(value, 100, 599),
    ),
    "status": Kind(
        {"enum": list(TEST_STATUSES)}, "one of " + ", ".join(TEST_STATUSES), lambda value: value in TEST_STATUSES
    ),
    "run_status": Kind(
        {"enum": [*RUN_STATUSES, None]},
        "one of " + ", ".join(RUN_STATUSES) + " or null",
        lambda value: value is None or value in RUN_STATUSES,
    ),
    "json": Kind({}, "any JSON value", lambda _value: True),  # an answer's body, a header's value
    "object": Kind({"type": "object"}, "an object", lambda value: isinstance(value, dict)),
}


COUNTS = Section(
    nullable=False,
    shared_as="counts",
    description="How many tests end in each status (the tests are made up from these counts).",
    keys={
        name: Key("count", f"{name.replace('_', ' ').capitalize()} tests.")
        for name in ("passed", "failed", "flaky", "skipped", "timed_out", "interrupted")
    },
)

TEST = Section(
    nullable=False,
    shared_as="test",
    description="One test of the run, as the API lists it.",
    keys={
        "spec": Key("text", "The spec file's name, e.g. checkout/pay.spec.ts.", required=True),
        "title": Key("text", "The test's title.", required=True),
        "status": Key(
            "status", "passed, failed, flaky, skipped, timed_out (or timedOut) or interrupted.", required=True
        ),
        "duration": Key("seconds", "How long the test took, in seconds."),
        "test_id": Key("text", "Its id (default: t000000, t000001, … in order)."),
    },
)

FAULT = Section(
    nullable=False,
    shared_as="fault",
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

RUN = Section(
    nullable=False,
    shared_as="run",
    description="One scripted run: its tests, how it progresses, and what its answers say.",
    keys={
        "project_id": Key("text", "The project's id (default pdqmxlz)."),
        "run_id": Key("text", "The run's id (default kftwnab)."),
        "counts": Key(COUNTS, "Its tests by final status (default 38 passed, 1 flaky); ignored when tests is given."),
        "specs": Key("count", "How many spec files the counted tests are spread over (default 8)."),
        "finish_after_polls": Key("count", "Still running until polled this many times (default 0: finished)."),
        "finish_after_seconds": Key("seconds", "Still running until this long after the simulator started."),
        "final_status": Key(
            "run_status",
            "The finished run's status (default: failed if a test failed, else passed); another one is scripted "
            "with final_patch.",
        ),
        "tests": Key(Entries(TEST, nullable=False), "Its tests, each named (instead of counts)."),
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
        "faults": Key(
            Entries(FAULT, nullable=False),
            "Faults played on the next requests for this run (its Get run), one per request, in order, before the "
            "scenario's own: one project's API failing while the others answer.",
        ),
    },
)

DEMO = Section(
    nullable=False,
    shared_as="demo",
    description="What `playdash-gate demo --scenario` gates: by default the last run listed, by its id.",
    keys={
        "run_id": Key("text", "Gate this run (by its id)."),
        "ci_build_id": Key("text", "Gate the run of this CI build id, found through List runs."),
        "config": Key("text", "A thresholds file for the gate, relative to the scenario file."),
    },
)

SCENARIO = Section(
    nullable=False,
    description="A script for the playdash-gate simulator: the runs it serves and the faults it plays. "
    "Every key is optional.",
    keys={
        "runs": Key(
            Entries(RUN, nullable=False), "The runs it serves, oldest first (default: one run, kftwnab, finished)."
        ),
        "api_key": Key("text", "The API key it accepts (default demo-key)."),
        "faults": Key(Entries(FAULT, nullable=False), "Faults played on the next requests, one per request, in order."),
        "fault_rate": Key("fraction", "The share of later requests answered with a random fault (default 0)."),
        "random_faults": Key(Entries(FAULT, nullable=False), "The faults drawn from at random (default: a 503)."),
        "seed": Key("count", "The seed of the random draws, so that a scenario plays the same every time."),
        "latency": Key("seconds", "Seconds added to every answer."),
        "description": Key("text", "What the scenario shows, in one line (`playdash-gate demo --list` shows it)."),
        "demo": Key(DEMO, "What `playdash-gate demo --scenario` gates."),
        "$schema": Key("text", "The schema the file follows, for editors (this one); the simulator ignores it."),
    },
)


def problems(data: object, shape: Section = SCENARIO, where: str = "") -> list[str]:
    """Every problem of `data` read as `shape` (a scenario, or a part of one at `where`), each naming its key
    path (`runs[1].counts.failed: …`)."""
    return shape_problems(data, shape, KINDS, where, what="the scenario")
