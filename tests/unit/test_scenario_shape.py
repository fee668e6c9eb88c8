"""The scenario file's shipped JSON Schema is the one generated from its shape; the simulator's checker and
the schema agree on the shipped examples, on broken scenarios and on a wrong value for every key."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from gate.schema import section_schema
from gate.shape import Entries, Key, Section
from gate.simulator import Scenario, SimRun
from gate.simulator import schema as schema_module
from gate.simulator.library import EXAMPLES, example_names
from gate.simulator.scenarios import ScenarioError
from gate.simulator.shape import KINDS, RUN, SCENARIO, problems

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads(resources.files("gate.simulator").joinpath("scenario.schema.json").read_text(encoding="utf-8"))
# A value of the wrong kind for each kind of value ("json" takes anything).
WRONG = {
    "text": 5,
    "maybe_text": ["main"],
    "texts": "smoke",
    "count": -1,
    "seconds": "4s",
    "fraction": 1.5,
    "bool": "yes",
    "http": 99,
    "status": "timed out",
    "run_status": "borked",
    "object": [],
}
BROKEN: list[Any] = [
    [],
    {"runs": {}},
    {"runs": [{"run_id": 7}]},
    {"runs": [{"counts": {"failed": "2"}}]},
    {"runs": [{"counts": {"failed": True}}]},
    {"runs": [{"tests": [{"spec": "a", "title": "b", "status": "ok"}]}]},
    {"runs": [{"tests": [{"title": "b", "status": "passed"}]}]},
    {"runs": [{"finish_after_seconds": 1e6}]},
    {"faults": [{"status": 700}]},
    {"faults": "503"},
    {"random_faults": [{"reset": 1}]},
    {"demo": {"config": None}},
    {"description": ["x"]},
    {"histories": []},
]


def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(SCHEMA)


def test_the_shipped_schema_is_the_generated_one() -> None:
    assert schema_module.build_schema() == SCHEMA
    assert schema_module.SHIPPED.read_text(encoding="utf-8") == schema_module.schema_text()
    assert schema_module.main(["--check"]) == 0
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_the_shape_names_every_field_of_a_run_and_of_a_scenario() -> None:
    assert list(RUN.keys) == [field.name for field in dataclasses.fields(SimRun)]
    assert list(SCENARIO.keys) == [field.name for field in dataclasses.fields(Scenario)] + ["$schema"]


def test_the_wheel_carries_the_schema_and_the_examples() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"gate.simulator" = ["*.json"]' in pyproject
    assert '"gate.simulator.examples" = ["*.json", "*.yml"]' in pyproject
    assert resources.files("gate.simulator.examples").joinpath("flaky.json").is_file()


@pytest.mark.parametrize("name", example_names())
def test_every_example_follows_the_schema_and_loads(name: str) -> None:
    data = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    assert not list(validator().iter_errors(data))
    scenario = Scenario.from_file(EXAMPLES / f"{name}.json")
    assert scenario.description and len(scenario.description) < 140
    assert scenario.runs


@pytest.mark.parametrize("data", BROKEN, ids=lambda data: json.dumps(data)[:40])
def test_the_checker_and_the_schema_refuse_the_same_broken_scenarios(data: Any) -> None:
    assert list(validator().iter_errors(data))
    with pytest.raises(ScenarioError):
        Scenario.from_dict(data)


def wrong_values(shape: Section, where: list[str]) -> list[tuple[list[str], str, Any]]:
    """For every key of every shape, once: its path, its kind and a value of the wrong kind."""
    cases = []
    for name, key in shape.keys.items():
        value = key.value.item if isinstance(key.value, Entries) else key.value
        path = [*where, name] + (["0"] if isinstance(key.value, Entries) else [])
        if isinstance(key.value, Entries):
            cases.append(([*where, name], "list", 3))
        if isinstance(value, Section):
            cases.append((path, "object", 3))
            cases += wrong_values(value, path)
        elif value in WRONG:
            cases.append((path, value, WRONG[value]))
    return cases


def nest(path: list[str], value: Any) -> Any:
    """{"runs": [{"counts": {"failed": value}}]} from ["runs", "0", "counts", "failed"]."""
    if not path:
        return value
    inner = nest(path[1:], value)
    return [inner] if path[0] == "0" else {path[0]: inner}


def required_filled(data: Any) -> Any:
    """The required keys of a test, added where a case names a test, so that only the wrong value is wrong."""
    runs = data.get("runs") if isinstance(data, dict) else None
    for run in runs if isinstance(runs, list) else []:
        tests = run.get("tests") if isinstance(run, dict) else None
        for test in tests if isinstance(tests, list) else []:
            if isinstance(test, dict):
                test.setdefault("spec", "a.spec.ts")
                test.setdefault("title", "t")
                test.setdefault("status", "passed")
    return data


@pytest.mark.parametrize(
    ("path", "kind", "value"), wrong_values(SCENARIO, []), ids=lambda item: item if isinstance(item, str) else None
)
def test_a_wrong_value_for_any_key_is_refused_naming_the_key_never_a_type_error(
    path: list[str], kind: str, value: Any
) -> None:
    data = required_filled(nest(path, value))
    named = ".".join(path).replace(".0", "[0]")
    with pytest.raises(ScenarioError) as raised:
        Scenario.from_dict(data)
    assert str(raised.value).startswith(f"{named}: expected "), str(raised.value)
    assert list(validator().iter_errors(data)), f"the schema accepts {data}"


def test_a_key_added_to_the_shape_is_checked_and_in_the_schema() -> None:
    """The room left for what is to come (a run's `traces`, say): one Key, and both sides know it."""
    traces = Key(Entries("object", nullable=False), "Playwright traces of its tests.")
    run = Section(keys={**RUN.keys, "traces": traces}, nullable=False, shared_as="run")
    assert problems({"traces": [{}]}, run) == []
    assert problems({"traces": [1]}, run) == ["traces[0]: expected an object, got a number 1"]
    assert problems({"traces": [{}]}, RUN) == [
        "traces: unknown key; known keys: " + ", ".join(RUN.keys),
    ]
    # `histories` came that way: result histories by test id.
    assert problems({"histories": {"t1": []}}, RUN) == []
    assert problems({"histories": [1]}, RUN) == ["histories: expected an object, got a list [1]"]


def test_a_file_names_itself_in_every_message(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    for text, problem in [
        ("{", "is not JSON"),
        ('{"runs": [{"spec": 3}]}', "runs[0].spec: unknown key"),
        ("[1]", "the scenario: expected an object, got a list [1]"),
    ]:
        path.write_text(text)
        with pytest.raises(
            ScenarioError, match="^" + str(path).replace("\\", "\\\\") + ": " + problem.replace("[", r"\[")
        ):
            Scenario.from_file(path)
    with pytest.raises(ScenarioError, match="cannot be read"):
        Scenario.from_file(tmp_path / "missing.json")


def test_every_part_of_the_shape_language_is_checked_as_the_schema_says() -> None:
    """Null where a shape allows it, a bound on a list's length, one of some keys: the checker and the schema
    written from the same shape agree, should a scenario ever use them (the thresholds file does)."""
    item = Section({"a": Key("count"), "b": Key("count")}, one_of=("a", "b"))
    shape = Section({"items": Key(Entries(item, max_items=2))}, nullable=False)
    defs: dict[str, Any] = {}
    schema = {**section_schema(shape, lambda kind, _key, _defs: dict(KINDS[kind].schema), defs), "$defs": defs}
    cases: list[tuple[Any, list[str]]] = [
        ({"items": None}, []),
        ({"items": [None, {"a": 1, "b": 2}]}, []),
        ({"items": [{}]}, ["items[0]: give a or b (or more than one)"]),
        ({"items": [{"a": 1}] * 3}, ["items: expected at most 2 items, got 3"]),
        ({"items": [{"a": -1}]}, ["items[0].a: expected a whole number from 0 to 1000000, got a number -1"]),
        (None, ["the scenario: expected an object, got null"]),
    ]
    for data, expected in cases:
        assert problems(data, shape) == expected
        assert bool(list(jsonschema.Draft202012Validator(schema).iter_errors(data))) == bool(expected), data
