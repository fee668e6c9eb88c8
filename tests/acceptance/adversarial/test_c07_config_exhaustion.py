"""Class 7: a config file cannot exhaust the machine or flood the logs. Alias bombs, deep nesting, huge
files, thousands of problems and huge values are each refused quickly with a short message naming the file
and what to do: through `validate` and through the gate (--config, PLAYDASH_CONFIG, the `config` input)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from gate.config import yaml_loader
from gate.config.shape import MAX_ENTRIES
from gate.config.yaml_loader import MAX_NODES
from tests.acceptance.adversarial.hostile import Reply, hostile, run_body, run_gate
from tests.conftest import config, validate_config

MESSAGE_LIMIT = 10_000
SUMMARY_LIMIT = 20_000


def laughs(levels: int = 9, width: int = 9, *, inside: str = "thresholds: {{failed: *l{last}}}\n") -> str:
    """The billion laughs as lists: each level repeats the one before `width` times."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n" + inside.format(last=levels - 1)


def mapping_laughs(levels: int = 9, width: int = 9) -> str:
    """The same with mappings: every key of a level holds the whole level before it."""
    lines = [f"m0: &m0 {{{', '.join(f'k{j}: lol' for j in range(width))}}}"]
    lines += [f"m{i}: &m{i} {{{', '.join(f'k{j}: *m{i - 1}' for j in range(width))}}}" for i in range(1, levels)]
    return "\n".join(lines) + f"\nwarn: *m{levels - 1}\n"


def merge_laughs(levels: int = 40) -> str:
    """Merge keys (`<<`) that each merge the level before twice: the flattened mappings double every level."""
    lines = ["b0: &b0 {failed: 0, flaky: 1, skipped: 2}"]
    lines += [f"b{i}: &b{i} {{<<: [*b{i - 1}, *b{i - 1}], k{i}: 1}}" for i in range(1, levels)]
    return "\n".join(lines) + f"\nthresholds: {{<<: *b{levels - 1}}}\n"


def bomb_in_quarantine() -> str:
    return laughs(inside="quarantine: *l{last}\n")


def many_aliases_of_one_value(count: int = MAX_NODES + 1) -> str:
    """Not a bomb, just a flat list of one alias more than the values a file may hold: each counts."""
    return "s: &s lol\nrules: [" + ", ".join(["*s"] * count) + "]\n"


BOMBS: dict[str, Callable[[], str]] = {
    "billion laughs (lists)": laughs,
    "billion laughs (mappings)": mapping_laughs,
    "billion laughs (merge keys)": merge_laughs,
    "billion laughs under quarantine": bomb_in_quarantine,
    "a wide, shallow bomb": lambda: laughs(levels=3, width=400),
    f"{MAX_NODES + 1:,} aliases of one value": many_aliases_of_one_value,
}
LOOPS = {
    "a list holding itself": "a: &a [*a]\n",
    "a mapping holding itself": "a: &a {x: *a}\n",
    "a loop through a merge key": "a: &a {<<: *a}\n",
    "a loop two levels down": "a: &a [[x, [*a]]]\n",
}


def nested(kind: str, depth: int) -> str:
    if kind == "flow lists":
        return "[" * depth + "]" * depth + "\n"
    if kind == "flow mappings":
        return "{a: " * depth + "1" + "}" * depth + "\n"
    if kind == "block lists":
        return "- " * depth + "x\n"
    if kind == "block mappings":  # indentation grows: 5,000 levels is some 12 MB, refused for its size
        return "".join(f"{' ' * level}k:\n" for level in range(depth)) + " " * depth + "x: 1\n"
    return "thresholds: " + "[{a: " * (depth // 2) + "1" + "}]" * (depth // 2) + "\n"  # mixed


DEPTH_KINDS = ["flow lists", "flow mappings", "block lists", "block mappings", "mixed flow"]


# A flood of problems: twice MAX_ENTRIES (1,000) items, so each list is past its bound and is checked only to
# it, and a hundred times MAX_PROBLEMS (20) problems. More items are no other case: the checks stop at the bound.
FLOOD = 2 * MAX_ENTRIES


def many_invalid_quarantine_entries(count: int = FLOOD) -> str:
    return "quarantine:\n" + "".join(f"  - {{spec: 'a{i}.spec.ts', until: someday}}\n" for i in range(count))


PROBLEM_FLOODS: dict[str, str] = {
    "2,000 invalid quarantine entries": many_invalid_quarantine_entries(),
    "2,000 invalid rules": "rules:\n" + "".join(f"  - {{when: {{branh: b{i}}}}}\n" for i in range(FLOOD)),
    "2,000 unknown keys": "thresholds:\n" + "".join(f"  faild{i}: {i}\n" for i in range(FLOOD)),
    "2,000 duplicate keys": "thresholds:\n" + "  failed: 1\n" * FLOOD,
    "2,000 bad statuses": "status:\n  fail_on: [" + ", ".join(f"nope{i}" for i in range(FLOOD)) + "]\n",
    "2,000 entries that are no mapping": "quarantine: [" + ", ".join(str(i) for i in range(FLOOD)) + "]\n",
}
HUGE = 900_000  # under the 1 MiB bound of the file: the value itself must be handled
HUGE_VALUES: dict[str, tuple[str, str]] = {
    "a huge reason": (
        f"quarantine: [{{spec: a, reason: '{'r' * HUGE}', until: 2026-12-31}}]\n",
        r"quarantine\[0\]\.reason: is 900,000 characters long; at most 1,000",
    ),
    "a huge glob": (
        f"rules: [{{when: {{branch: '{'b' * HUGE}'}}}}]\n",
        r"rules\[0\]\.when\.branch: is 900,000 characters long",
    ),
    "a huge tag": (
        f"rules: [{{when: {{tags: ['{'t' * HUGE}']}}}}]\n",
        r"rules\[0\]\.when\.tags: must be a list of tags",
    ),
    "a huge date": (
        f"quarantine: [{{spec: a, reason: r, until: '{'2' * HUGE}'}}]\n",
        r"quarantine\[0\]\.until: must be a date",
    ),
    "a huge count": (f"thresholds: {{failed: {'9' * HUGE}}}\n", r"thresholds\.failed: must be a whole number"),
    "a huge float count": (f"thresholds: {{failed: {'9' * HUGE}.5}}\n", r"thresholds\.failed: must be a whole number"),
    "a huge rate": (f"thresholds: {{failed_rate: '{'9' * HUGE}%'}}\n", r"thresholds\.failed_rate: must be a rate"),
    "a huge unknown key": (f"? {'k' * HUGE}\n: 1\n", r"'k{10,}…: unknown key"),
    "a huge plain key (YAML's simple keys stop at 1,024)": (f"{'k' * HUGE}: 1\n", r"YAML syntax error at line 1"),
    "a huge version": (f"version: {'1' * HUGE}\n", r"version: must be 1"),
    "a huge text where a mapping goes": (f"thresholds: '{'x' * HUGE}'\n", r"thresholds: must be a mapping"),
    "a huge tag name": (f"thresholds: !{'x' * HUGE} 1\n", r"unsupported YAML at line 1"),
}


def validate(path: Path) -> tuple[int, str, str]:
    """`playdash-gate validate PATH` in-process: the exit code, stdout and stderr."""
    result = validate_config(str(path))
    return result.code, result.stdout, result.stderr


def write(tmp_path: Path, text: str) -> Path:
    return config(tmp_path, text, "hostile.yml")


def refused_by_validate(path: Path, problem: str) -> str:
    code, out, err = validate(path)
    assert code == 2, out + err[:2000]
    assert "Traceback" not in out + err
    assert len(out) + len(err) < MESSAGE_LIMIT, len(out) + len(err)
    assert str(path) in err
    assert re.search(problem, err), err[:2000]
    return err


def refused(tmp_path: Path, path: Path, problem: str, way: str) -> None:
    """Refused with exit 2 and a short message: by `validate`, or by the gate given the file `way`."""
    if way == "validate":
        refused_by_validate(path, problem)
    else:
        refused_by_the_gate(tmp_path, path, problem, way)


def refused_by_the_gate(tmp_path: Path, path: Path, problem: str, how: str = "--config") -> None:
    with hostile(lambda _request: Reply(body=run_body())) as server:
        if how == "--config":
            result = run_gate(tmp_path, "--config", str(path), base_url=server.url)
        else:
            result = run_gate(tmp_path, base_url=server.url, env={how: str(path)})
    assert result.code == 2, result.stderr[:2000]
    assert "Traceback" not in result.everything
    assert len(result.summary.encode()) < SUMMARY_LIMIT, len(result.summary)
    assert len(result.stderr) + len(result.stdout) < 2 * MESSAGE_LIMIT
    verdict = result.verdict
    assert verdict["error_kind"] == "setup"
    assert len(verdict["message"]) < MESSAGE_LIMIT
    assert str(path) in verdict["message"] and str(path) in result.stderr
    assert re.search(problem, verdict["message"]), verdict["message"][:2000]
    assert re.search(problem, result.summary.replace("\\", "")), result.summary[:2000]


# The ways the file reaches the gate: `validate PATH`, and the gate's flag, variable and action input.
WAYS = ["validate", "--config", "PLAYDASH_CONFIG", "INPUT_CONFIG"]


def each_and_every_way(names: dict[str, object], ways: list[str]) -> list[tuple[str, str]]:
    """Each file through `validate`, and the first through every other way: all ways read a file with one loader,
    so the rest of the cross product repeated the same refusal (each such run composes 100,000 values)."""
    return [(name, "validate") for name in names] + [(next(iter(names)), way) for way in ways if way != "validate"]


@pytest.mark.parametrize(("name", "way"), each_and_every_way(BOMBS, WAYS))
def test_alias_bombs_are_refused_by_their_size(tmp_path: Path, name: str, way: str) -> None:
    problem = r"more than 100,000 values \(aliases counting as all they repeat\)"
    refused(tmp_path, write(tmp_path, BOMBS[name]()), problem, way)


@pytest.mark.parametrize("way", ["validate", "--config"])
@pytest.mark.parametrize("name", LOOPS)
def test_an_alias_inside_what_it_names_is_refused_as_a_loop(tmp_path: Path, name: str, way: str) -> None:
    problem = r"the alias \*a refers to a value that holds it: a loop at line 1"
    refused(tmp_path, write(tmp_path, LOOPS[name]), problem, way)


@pytest.mark.parametrize("way", ["validate", "PLAYDASH_CONFIG"])
@pytest.mark.parametrize(
    ("kind", "depth"),
    # Indented mappings 100,000 deep would be some 5 GB to write: 5,000 deep is already 12 MB.
    [
        (kind, depth)
        for kind in DEPTH_KINDS
        for depth in (5_000, 100_000)
        if (kind, depth) != ("block mappings", 100_000)
    ],
)
def test_deep_nesting_is_refused_without_a_recursion_error(tmp_path: Path, kind: str, depth: int, way: str) -> None:
    # Deeper than 64 levels (or, for indented mappings, a file past 1 MiB; or libyaml's own nesting bound).
    problem = r"nests deeper than 64 levels|nesting depth|larger than 1 MiB"
    refused(tmp_path, write(tmp_path, nested(kind, depth)), problem, way)


@pytest.mark.parametrize("depth", [65, 100, 1_000])
def test_indented_mappings_within_the_file_bound_are_refused_for_their_depth(tmp_path: Path, depth: int) -> None:
    refused_by_validate(write(tmp_path, nested("block mappings", depth)), r"nests deeper than 64 levels")


def test_nesting_within_the_bound_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "warn: " + "[" * 60 + "]" * 60 + "\n")
    code, _out, err = validate(path)
    assert code == 2 and "warn: must be a mapping of limits, not list" in err


def test_an_alias_chain_deeper_than_the_bound_is_refused(tmp_path: Path) -> None:
    """Each anchor is shallow, but the aliases stack them 100 deep."""
    lines = ["d0: &d0 [x]"] + [f"d{i}: &d{i} [*d{i - 1}]" for i in range(1, 100)]
    refused_by_validate(write(tmp_path, "\n".join(lines) + "\n"), r"nests deeper than 64 levels \(aliases counting")


@pytest.mark.parametrize("way", ["validate", "--config"])
@pytest.mark.parametrize("content", ["sparse", "repeated comments", "repeated valid keys", "one long line"])
def test_a_50_mb_file_is_refused_before_it_is_read(tmp_path: Path, content: str, way: str) -> None:
    path = tmp_path / "huge.yml"
    size = 50 * 1024 * 1024
    with path.open("wb") as handle:
        if content == "sparse":
            handle.write(b"thresholds: {failed: 0}\n")
            handle.truncate(size)
        else:
            chunk = {
                "repeated comments": b"# nothing to see\n",
                "repeated valid keys": b"version: 1\n",
                "one long line": b"x",
            }[content] * 65_536
            for _ in range(size // len(chunk) + 1):
                handle.write(chunk)
    refused(tmp_path, path, r"the file is larger than 1 MiB \(1,048,576 bytes\); .* is it the right file\?", way)


def test_a_file_just_under_the_bound_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, "# " + "x" * (1024 * 1024 - 20) + "\nversion: 1\n")
    code, out, _err = validate(path)
    assert code == 0 and "is valid" in out


def test_thousands_of_problems_list_twenty_and_a_count(tmp_path: Path) -> None:
    err = refused_by_validate(write(tmp_path, PROBLEM_FLOODS["2,000 invalid quarantine entries"]), "more problems")
    assert err.count("\n  - ") == 21
    # 2,000 entries: one problem for their number, then two for each of the first 1,000 checked.
    assert err.rstrip().endswith("  - …and 1,981 more problems")


@pytest.mark.parametrize(("name", "way"), each_and_every_way(PROBLEM_FLOODS, ["validate", "PLAYDASH_CONFIG"]))
def test_thousands_of_problems_give_a_short_list_and_a_count(tmp_path: Path, name: str, way: str) -> None:
    refused(tmp_path, write(tmp_path, PROBLEM_FLOODS[name]), r"…and \d[\d,]* more problems", way)


@pytest.mark.parametrize("way", ["validate", "--config"])
@pytest.mark.parametrize("name", HUGE_VALUES)
def test_huge_values_are_named_by_their_key_and_shown_short(tmp_path: Path, name: str, way: str) -> None:
    text, problem = HUGE_VALUES[name]
    path = write(tmp_path, text)
    if way == "validate":
        assert len(refused_by_validate(path, problem)) < 1_000
    else:
        refused_by_the_gate(tmp_path, path, problem)


@pytest.fixture
def pure_python_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    """PyYAML without libyaml (a build from source): the bounds are the loader's own, not libyaml's."""
    monkeypatch.setattr(yaml_loader, "LOADER", yaml_loader.PureLoader)


SMALL_HOSTILE: dict[str, tuple[str, str]] = {
    "billion laughs": (laughs(), "more than 100,000 values"),
    "merge laughs": (merge_laughs(), "more than 100,000 values"),
    "a loop": ("a: &a [*a]\n", "a loop"),
    "100,000-deep flow lists": (nested("flow lists", 100_000), "nests deeper than 64 levels"),
    "5,000-deep block lists": (nested("block lists", 5_000), "nests deeper than 64 levels"),
    "an impossible date": ("quarantine: [{spec: a, reason: r, until: 2027-02-30}]\n", r"2027-02-30 is not a date"),
    "a huge count": (f"thresholds: {{failed: {'9' * 5_000}}}\n", "thresholds.failed: must be a whole number"),
    "a NUL character": ("thresholds: {failed: \x00}\n", "YAML syntax error"),
    "an unhashable key": ("? [a]\n: b\n", "found unhashable key"),
}


@pytest.mark.usefixtures("pure_python_yaml")
@pytest.mark.parametrize("name", SMALL_HOSTILE)
def test_without_libyaml_the_same_files_are_refused_the_same_way(tmp_path: Path, name: str) -> None:
    text, problem = SMALL_HOSTILE[name]
    refused_by_validate(write(tmp_path, text), re.escape(problem))
