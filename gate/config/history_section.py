"""The `history` section, at the top level and in rules: checked against its shape, key by key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gate.config.problems import Problems, glob_value
from gate.config.shape import HISTORY
from gate.config.types import FORGIVABLE, History, Project
from gate.shape import Key, Section
from gate.text import shown


def _whole(value: object, key: Key, path: str, problems: Problems) -> int | None:
    assert key.maximum is not None  # the shape bounds every whole number (config/shape.py)
    number = int(value) if isinstance(value, float) and value.is_integer() else value
    if isinstance(number, bool) or not isinstance(number, int) or not key.minimum <= number <= key.maximum:
        problems.add(path, f"must be a whole number from {key.minimum:,} to {key.maximum:,}, not {shown(value)}")
        return None
    return number


def _classes(value: object, path: str, problems: Problems) -> tuple[str, ...] | None:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.add(path, f"must be a list of {' and/or '.join(FORGIVABLE)}, not {shown(value)}")
        return None
    chosen: list[str] = []
    for index, item in enumerate(value):
        if item not in FORGIVABLE or not isinstance(item, str):
            never = " (new and unknown failures are never forgiven)" if item in ("new", "unknown") else ""
            problems.add(f"{path}[{index}]", f"must be one of {', '.join(FORGIVABLE)}, not {shown(item)}{never}")
            return None
        if item not in chosen:
            chosen.append(item)
    return tuple(chosen)


def history_keys(data: object, path: str, problems: Problems, section: Section) -> dict[str, Any] | None:
    """The keys a `history` section gives, checked (None when it is absent or null)."""
    data = problems.section(data, path, section, "a mapping with `branch` (a glob such as main)")
    if data is None:
        return None
    values: dict[str, Any] = {}
    for name, key in section.keys.items():
        where = f"{path}.{name}"
        if name not in data:
            if key.required:
                problems.add(where, "is required: the branch to learn from, a glob such as main")
            continue
        value = data[name]
        if key.value == "glob":
            got: object = glob_value(value, where, problems)
            if value is None:
                problems.add(where, "must be a glob such as main, not null")
        elif key.value == "classes":
            got = _classes(value, where, problems)
        else:
            got = _whole(value, key, where, problems)
        if got is not None:
            values[name] = got
    return values


def parse_history(data: object, problems: Problems) -> History | None:
    """The top-level `history` section, when it is given and valid."""
    keys = history_keys(data, "history", problems, HISTORY)
    return History(**keys) if keys is not None and "branch" in keys else None


def check_rule_branches(rules: object, top: History | None, problems: Problems, section: str = "rules") -> None:
    """A rule's `history` needs a branch once merged: its own, or the top-level section's."""
    if top is not None or not isinstance(rules, list):
        return
    for index, rule in enumerate(rules):
        history = rule.get("history") if isinstance(rule, Mapping) else None
        if isinstance(history, Mapping) and "branch" not in history:
            problems.add(
                f"{section}[{index}].history.branch",
                "is required here: there is no top-level `history` section to take the branch from",
            )


def check_new_flaky(limits: Mapping[str, Any], path: str, has_history: bool, problems: Problems) -> None:
    """`new_flaky` is judged by history: a limit of it where no `history` section applies is a problem naming both."""
    if limits.get("new_flaky") is not None and not has_history:
        where = (
            "at the top level, or in this rule"
            if ".rules[" in f".{path}"
            else "at the top level, or in this project"
            if path.startswith("projects.")
            else "at the top level"
        )
        problems.add(
            f"{path}.new_flaky",
            "needs a `history` section (history.branch): a test is newly flaky by its past results on that branch; "
            f"add `history:` ({where}) or remove new_flaky",
        )


def check_project_branches(project: Project, data: object, problems: Problems) -> None:
    """With no top-level `history`, a project's `history` needs its own branch, and its rules' theirs unless the
    project's section gives one."""
    if project.history and "branch" not in project.history:
        problems.add(
            f"projects.{project.project_id}.history.branch",
            "is required here: there is no top-level `history` section to take the branch from",
        )
    rules = data.get("rules") if isinstance(data, Mapping) else None
    own = History(**project.history) if "branch" in project.history else None
    check_rule_branches(rules, own, problems, f"projects.{project.project_id}.rules")
