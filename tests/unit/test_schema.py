"""The shipped JSON Schema is the one generated from the config's shape, and it agrees with the loader:
on every example config, on invalid ones, and on every key the shape defines."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import yaml

from gate.config import schema as schema_module
from gate.config.parse import parse_policy, policy_problems
from gate.config.schema import build_schema
from gate.config.shape import FILE, RULE_HISTORY, THRESHOLD_KEYS, Kind
from gate.config.types import COUNT_KEYS, Thresholds
from gate.config.yaml_loader import load_yaml
from gate.shape import Entries, Key, Named, Section

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads(resources.files("gate.schema").joinpath("playdash-gate.schema.json").read_text())
EXAMPLES = sorted(path for path in (ROOT / "examples").rglob("*.yml") if "playdash-gate" in path.name)
IMPOSSIBLE_DAYS = ["2027-02-30", "2026-13-01", "2026-00-10", "2026-04-31", "2026-01-32", "0000-01-01", "99999-01-01"]
INVALID = [
    {"thresholds": {"faild": 0}},
    {"thresholds": {"failed": -1}},
    {"thresholds": {"failed": "two"}},
    {"thresholds": {"failed": 1.5}},
    {"thresholds": {"flaky": True}},
    {"thresholds": {"failed_rate": "150%"}},
    {"thresholds": {"failed_rate": "100.5%"}},
    {"thresholds": {"failed_rate": 2}},
    {"thresholds": {"flaky_rate": -0.1}},
    {"thresholds": {"flaky_rate": "ten"}},
    {"thresholds": [1]},
    {"status": {"fail_on": ["exploded"]}},
    {"status": {"fail_on": ["passed"]}},
    {"status": {"fail_on": "timed_out"}},
    {"status": {"failon": []}},
    {"version": 2},
    {"version": True},
    {"extra": 1},
    ["failed"],
    "failed: 0",
    {"warn": {"flaky": -1}},
    {"warn": {"flakey": 1}},
    {"quarantine": [{"spec": "a.spec.ts", "until": "2026-12-31"}]},
    {"quarantine": [{"spec": "a.spec.ts", "reason": "r"}]},
    {"quarantine": [{"reason": "r", "until": "2026-12-31"}]},
    {"quarantine": [{"spec": "a", "reason": "r", "until": "someday"}]},
    {"quarantine": [{"spec": "a", "reason": "", "until": "2026-12-31"}]},
    {"quarantine": [{"spec": "a", "reason": "r", "until": "2026-12-31", "ticket": 1}]},
    {"quarantine": {"spec": "a"}},
    {"rules": [{"thresholds": {"flaky": 0}}]},
    {"rules": [{"when": {}, "thresholds": {"flaky": 0}}]},
    {"rules": [{"when": {"branch": "main", "tag": ["x"]}}]},
    {"rules": [{"when": {"tags": "nightly"}}]},
    {"rules": [{"when": {"branch": "main"}, "thresholds": {"flaky": "x"}}]},
    {"baseline": {"new_failures": 0}},
    {"baseline": {"branch": "main", "new_failures": -1}},
    {"fail_fast": "yes"},
    {"thresholds": {"failed": 1_000_000_001}},
    {"thresholds": {"timed_out": -1}},
    {"baseline": {"branch": "main", "new_failures": 10**12}},
    *({"quarantine": [{"spec": "a", "reason": "r", "until": day}]} for day in IMPOSSIBLE_DAYS),
    {"rules": [{"when": {"branh": "main"}}]},
    {"quarantine": [{"spec": "a", "reason": "r", "owner": "", "until": "2026-12-31"}]},
    {"quarantine": [{"spec": "a", "reason": "r", "owner": "  ", "until": "2026-12-31"}]},
    {"rules": [{"when": {"tags": [" "]}}]},
]
VALID: list[object] = [
    None,
    {},
    {"version": 1},
    {"thresholds": None},
    {"thresholds": {"failed": None, "flaky": 0, "failed_rate": "2%", "flaky_rate": 0.1, "min_tests": 2.0}},
    {"thresholds": {"failed_rate": " 2.5 % ", "flaky_rate": "100%"}},
    {"status": {"fail_on": ["timedOut", "interrupted", "failed"]}},
    {"status": {"fail_on": []}},
    {"warn": {"flaky": 2, "min_tests": 10}},
    {
        "quarantine": [
            {
                "spec": "checkout/*.spec.ts",
                "test": "applies a * coupon",
                "reason": "PAY-123",
                "owner": "@payments",
                "until": "2026-12-31",
            },
            {"test": "t", "reason": "r", "until": "2027-01-01"},
        ]
    },
    {
        "rules": [
            {"when": {"branch": "release/*"}, "thresholds": {"flaky": 0}},
            {"when": {"tags": ["nightly"]}, "thresholds": {"failed_rate": "5%"}, "warn": {"flaky": 10}},
            {"when": {"branch": "main", "tags": ["smoke"]}, "status": {"fail_on": ["failed"]}},
        ]
    },
    {"baseline": {"branch": "main", "new_failures": 0}},
    {"baseline": {"branch": "main"}},
    {"fail_fast": True},
    {"thresholds": {"timed_out": None, "interrupted": 1, "failed": 1_000_000_000}},
    {"quarantine": [{"spec": "a", "reason": "r", "until": "2028-02-29"}]},
    {"quarantine": [{"spec": "a", "reason": "r" * 1000, "owner": "o" * 1000, "until": "2026-12-31"}]},
]
TOO_BIG = {
    "a reason over 1,000 characters": {"quarantine": [{"spec": "a", "reason": "r" * 1001, "until": "2026-12-31"}]},
    "a glob over 1,000 characters": {"quarantine": [{"spec": "a" * 1001, "reason": "r", "until": "2026-12-31"}]},
    "a tag over 1,000 characters": {"rules": [{"when": {"tags": ["t" * 1001]}}]},
    "over 1,000 quarantine entries": {"quarantine": [{"spec": "a", "reason": "r", "until": "2026-12-31"}] * 1001},
    "over 1,000 rules": {"rules": [{"when": {"branch": "main"}}] * 1001},
}


def schema_accepts(data: object) -> bool:
    """As an editor sees the file: YAML dates are the text they were written as."""
    as_json = json.loads(json.dumps(data, default=str))
    return not list(jsonschema.Draft202012Validator(SCHEMA).iter_errors(as_json))


def loader_accepts(data: object) -> bool:
    return not policy_problems(data)[1]


def test_the_schema_is_a_valid_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_example_config_is_valid_under_both(path: Path) -> None:
    data = load_yaml(path.read_text(), str(path))
    assert schema_accepts(data)
    assert loader_accepts(data)


def test_there_are_example_configs() -> None:
    assert EXAMPLES


@pytest.mark.parametrize("data", VALID, ids=repr)
def test_valid_configs_are_accepted_by_both(data: object) -> None:
    assert schema_accepts(data)
    assert loader_accepts(data)


@pytest.mark.parametrize("data", INVALID, ids=repr)
def test_invalid_configs_are_refused_by_both(data: object) -> None:
    assert not schema_accepts(data)
    assert not loader_accepts(data)


@pytest.mark.parametrize("data", TOO_BIG.values(), ids=TOO_BIG.keys())
def test_configs_over_a_bound_are_refused_by_both(data: object) -> None:
    assert not schema_accepts(data)
    assert not loader_accepts(data)


@pytest.mark.parametrize("key", [*COUNT_KEYS, "min_tests"])
def test_the_schema_states_the_defaults_the_loader_uses(key: str) -> None:
    default = getattr(Thresholds(), key)
    description = SCHEMA["$defs"]["limits"]["properties"][key]["description"]
    assert (f"default {default}" if default is not None else "default: no limit") in description


def test_the_documented_config_reference_is_valid() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    block = (
        text.split("`.playdash-gate.yml` (version 1; every section optional):")[1].split("```yaml")[1].split("```")[0]
    )
    data = yaml.safe_load(block)
    assert schema_accepts(data) and loader_accepts(data)


def test_the_shipped_schema_is_the_one_the_shape_gives() -> None:
    assert build_schema() == SCHEMA, "run `python -m gate.config.schema` to write the schema from gate/config/shape.py"


def test_the_schema_command_checks_and_writes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert schema_module.main(["--check"]) == 0  # the shipped file, byte for byte
    target = tmp_path / "schema.json"
    target.write_text(json.dumps(SCHEMA))  # the same schema, written otherwise
    assert schema_module.main(["--check", "--path", str(target)]) == 1
    assert "not the schema the shape gives: write it with `python -m gate.config.schema`" in (capsys.readouterr().out)
    assert schema_module.main(["--path", str(target)]) == 0
    assert json.loads(target.read_text()) == build_schema()
    assert schema_module.main(["--check", "--path", str(target)]) == 0
    assert schema_module.main(["--check", "--path", str(tmp_path / "missing.json")]) == 1
    assert "cannot be read" in capsys.readouterr().out


def test_the_schema_command_runs_as_a_module(tmp_path: Path) -> None:
    target = tmp_path / "schema.json"
    done = subprocess.run(
        [sys.executable, "-m", "gate.config.schema", "--path", str(target)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(target.read_text()) == SCHEMA


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: str(path.relative_to(ROOT)))
def test_check_jsonschema_accepts_every_example_config(path: Path) -> None:
    schema_file = resources.files("gate.schema").joinpath("playdash-gate.schema.json")
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema_file), str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


# The defaults the schema shows editors are the ones the loader uses when a key is left out.
LEFT_OUT = parse_policy({"status": {}, "baseline": {"branch": "main"}}, "gate.yml")  # every key with a default left out
LOADER_DEFAULTS: dict[tuple[str, ...], object] = {
    **{("$defs", "limits", key): getattr(LEFT_OUT.thresholds, key) for key in THRESHOLD_KEYS},
    ("$defs", "status", "fail_on"): list(LEFT_OUT.fail_on),
    ("fail_fast",): LEFT_OUT.fail_fast,
    ("baseline", "new_failures"): LEFT_OUT.baseline.new_failures if LEFT_OUT.baseline else "no baseline",
}


def schema_at(path: tuple[str, ...]) -> dict[str, Any]:
    """The schema of a key, by its path through the properties of the file or of one of its $defs."""
    node: dict[str, Any] = SCHEMA["$defs"][path[1]] if path[0] == "$defs" else SCHEMA
    for part in path[2:] if path[0] == "$defs" else path:
        node = node["properties"][part]
    return node


@pytest.mark.parametrize("path", LOADER_DEFAULTS, ids=".".join)
def test_the_schema_defaults_are_the_loaders(path: tuple[str, ...]) -> None:
    assert schema_at(path)["default"] == LOADER_DEFAULTS[path]


def test_the_loader_reads_the_version_the_schema_gives_as_default() -> None:
    # (`fail_fast` given in both: a file with no key at all is an empty file, and its source says so.)
    version = SCHEMA["properties"]["version"]["default"]
    assert parse_policy({"version": version, "fail_fast": False}, "f") == parse_policy({"fail_fast": False}, "f")


# For each kind the shape knows: values both accept, and values both refuse (each named by its key path).
GOOD: dict[Kind, list[object]] = {
    "count": [0, 3, 2.0, 1_000_000_000],
    "rate": [0, 0.5, 1, "2%", " 2.5 % ", "100%"],
    "glob": ["checkout/*.spec.ts", "a [x] ?"],
    "text": ["PAY-123", "t" * 1000],
    "date": ["2026-12-31", "2028-02-29"],
    "statuses": [[], ["failed", "timedOut", "interrupted"]],
    "tags": [[], ["nightly", "smoke"]],
    "bool": [True, False],
    "version": [1],
    "whole": [],  # from the key's bounds (see `judged`)
    "classes": [[], ["flaky"], ["broken", "flaky"]],
}
BAD: dict[Kind, list[object]] = {
    "count": [-1, 1.5, "two", True, 1_000_000_001, [1]],
    "rate": [-0.1, 2, "150%", "ten", True, [1]],
    "glob": ["", " ", "a\nb", "g" * 1001, 1, ["a"]],
    "text": ["", "  ", "t" * 1001, 1, ["a"]],
    "date": ["someday", "2027-02-30", "2026-13-01", 20261231],
    "statuses": ["failed", ["passed"], [1]],
    "tags": ["nightly", [" "], ["t" * 1001], [1]],
    "bool": ["yes", 1, None],
    "version": [2, True, "1", None],
    "whole": [1.5, "two", True, None, [1]],
    "classes": ["flaky", ["new"], ["unknown"], [1]],
}
# Null means "no limit" or "none" for these kinds, and "not given" for a text that is not required.
NULL_ACCEPTED: set[Kind] = {"count", "rate", "statuses", "classes"}


def minimal(section: Section) -> dict[str, Any]:
    """The least a mapping of this section must hold to be valid: its required keys, and one of `one_of`."""
    needed = [*section.required, *section.one_of[:1]]
    if section is RULE_HISTORY:
        needed.append("branch")  # a rule's history needs one when the file has no `history` section
    return {name: sample(section.keys[name].value) for name in needed}


def sample(value: Kind | Section | Entries | Named) -> object:
    if isinstance(value, Section):
        return minimal(value)
    if isinstance(value, Entries):
        return [minimal(value.item)]
    if isinstance(value, Named):
        return {"web": minimal(value.item)}
    return GOOD[value][0]


Put = Callable[[object], object]


def sections(section: Section, put: Put, prefix: str) -> Iterator[tuple[str, Section, Put]]:
    """Every mapping the shape defines: the start of its keys' paths, its Section, and how to put one there."""
    yield prefix, section, put
    for name, key in section.keys.items():
        if isinstance(key.value, Section):
            yield from sections(key.value, put_key(put, section, name), f"{prefix}{name}.")
        elif isinstance(key.value, Entries):
            yield from sections(key.value.item, put_entry(put, section, name), f"{prefix}{name}[0].")
        elif isinstance(key.value, Named):
            yield from sections(key.value.item, put_named(put, section, name), f"{prefix}{name}.web.")


def put_key(put: Put, section: Section, name: str) -> Put:
    """How to make a valid document with a given value under the key `name` of a mapping put by `put`."""
    return lambda value: put({**minimal(section), name: value})


def put_entry(put: Put, section: Section, name: str) -> Put:
    """How to make a valid document with a given mapping as the one entry of the list under `name`."""
    put_list = put_key(put, section, name)
    return lambda entry: put_list([entry])


def put_named(put: Put, section: Section, name: str) -> Put:
    """How to make a valid document with a given mapping under the one name (`web`) of the mapping under `name`."""
    put_mapping = put_key(put, section, name)
    return lambda entry: put_mapping({"web": entry})


SECTIONS = {prefix: (section, put) for prefix, section, put in sections(FILE, lambda mapping: mapping, "")}
KEYS = {
    f"{prefix}{name}": (key, put_key(put, section, name))
    for prefix, (section, put) in SECTIONS.items()
    for name, key in section.keys.items()
}


def judged(key: Key) -> tuple[list[object], list[object]]:
    """The values of a key that both must accept, and those both must refuse."""
    value = key.value
    if isinstance(value, Section):
        return [minimal(value), *([None] if value.nullable else [])], ["x", [1], *([] if value.nullable else [None])]
    if isinstance(value, Entries):
        too_many = [minimal(value.item)] * (value.max_items + 1)
        return [None, [], [minimal(value.item)]], ["x", {"a": 1}, [1], too_many]
    if isinstance(value, Named):
        item = minimal(value.item)
        too_many = {f"p{index}": item for index in range((value.max_items or 0) + 1)}
        return [None, {}, {"web": item}], ["x", [1], {"web": 1}, {"we b": item}, {"": item}, too_many]
    null_accepted = value in NULL_ACCEPTED or (value == "text" and not key.required)
    if value == "whole":
        return [key.minimum, key.maximum, float(key.minimum)], [key.minimum - 1, key.maximum + 1, *BAD[value]]
    return [*GOOD[value], *([None] if null_accepted else [])], BAD[value]


def test_the_walk_reaches_every_mapping_and_key() -> None:
    assert set(SECTIONS) == {
        *("", "thresholds.", "status.", "warn.", "quarantine[0].", "baseline."),
        *("rules[0].", "rules[0].when.", "rules[0].thresholds.", "rules[0].warn.", "rules[0].status."),
        *("history.", "rules[0].history."),
        *("projects.web.", "projects.web.thresholds.", "projects.web.status.", "projects.web.quarantine[0]."),
        *("projects.web.rules[0].", "projects.web.rules[0].when.", "projects.web.rules[0].thresholds."),
        *("projects.web.rules[0].warn.", "projects.web.rules[0].status.", "projects.web.rules[0].history."),
        *("projects.web.history.", "projects.web.baseline."),
    }
    assert {"version", "thresholds.min_tests", "quarantine[0].until", "rules[0].when.tags"} <= set(KEYS)
    assert {"rules[0].status.fail_on", "baseline.new_failures", "fail_fast"} <= set(KEYS)


@pytest.mark.parametrize("path", KEYS)
def test_every_key_the_shape_defines_is_judged_alike_by_both(path: str) -> None:
    key, bare = KEYS[path]
    # A limit of newly flaky tests needs a history section (a rule between keys the loader checks).
    with_history = {"history": {"branch": "main"}} if path.endswith("new_flaky") else {}

    def put(value: object) -> object:
        document = bare(value)
        return {**document, **with_history} if isinstance(document, dict) else document

    accepted, refused = judged(key)
    for value in accepted:
        document = put(value)
        assert schema_accepts(document), (path, value)
        assert loader_accepts(document), (path, value, policy_problems(document)[1])
    for value in refused:
        document = put(value)
        assert not schema_accepts(document), (path, value)
        problems = policy_problems(document)[1]
        assert any(problem.startswith(path) for problem in problems), (path, value, problems)


@pytest.mark.parametrize("prefix", [prefix for prefix in SECTIONS if prefix], ids=str)
def test_every_mapping_refuses_a_key_it_does_not_know_by_both(prefix: str) -> None:
    section, put = SECTIONS[prefix]
    document = put({**minimal(section), "bogus": 1})
    assert not schema_accepts(document)
    assert f"{prefix}bogus: unknown key; known keys: {', '.join(section.names)}" in policy_problems(document)[1]


@pytest.mark.parametrize(
    ("document", "valid"),
    [
        ({"rules": [{"when": {"branch": "x"}, "history": {"days": 3}}]}, False),
        ({"history": None, "rules": [{"when": {"branch": "x"}, "history": {"days": 3}}]}, False),
        ({"history": {"branch": "main"}, "rules": [{"when": {"branch": "x"}, "history": {"days": 3}}]}, True),
        ({"rules": [{"when": {"branch": "x"}, "history": {"branch": "dev"}}]}, True),
        ({"rules": [{"when": {"branch": "x"}, "history": None}]}, True),
        ({"projects": {"web": {"history": {"days": 3}}}}, False),
        ({"projects": {"web": {"rules": [{"when": {"branch": "x"}, "history": {"days": 3}}]}}}, False),
        (
            {"projects": {"web": {"history": {"branch": "main"}, "rules": [{"when": {"branch": "x"}, "history": {}}]}}},
            True,
        ),
        ({"history": {"branch": "main"}, "projects": {"web": {"history": {"days": 3}}}}, True),
    ],
)
def test_a_rules_history_needs_a_branch_once_merged_by_both(document: dict[str, Any], valid: bool) -> None:
    assert schema_accepts(document) is valid
    assert loader_accepts(document) is valid
