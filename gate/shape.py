"""The one shape language of the files the gate reads: the keys of a mapping, what each value is, and
whether it must be given.

The thresholds file (gate/config/shape.py) and a simulator scenario (gate/simulator/shape.py) are each
defined once in it; their JSON Schemas are written from that definition (`gate.schema.section_schema`). A
scenario is checked against it by `problems`, kind by kind (`Kind`); the thresholds file by
gate/config/parse.py, whose messages say what each key means, from the keys and bounds defined here.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gate.text import SHOWN_CHARS, shown


class _NoDefault:
    """The default of a key that has none (null is a default: "no limit")."""

    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT = _NoDefault()


@dataclass(frozen=True)
class Key:
    """One key of a mapping: what its value is (a kind's name, a mapping, a list of them), what it means to
    users, whether it must be given, its default, and for a whole number its bounds."""

    value: str | Section | Entries | Named
    description: str | None = None
    required: bool = False
    default: object = NO_DEFAULT
    minimum: int = 0
    maximum: int | None = None


@dataclass(frozen=True)
class Section:
    """A mapping of known keys (null standing for an empty one when `nullable`); any other key is refused."""

    keys: Mapping[str, Key]
    nullable: bool = True
    # The keys of which at least one must be given (quarantine: spec or test; a rule's when: branch or tags).
    one_of: tuple[str, ...] = ()
    # The name the schema gives it in $defs: it is written there once and referred to.
    shared_as: str | None = None
    description: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The known keys, in the order the file and the messages list them."""
        return tuple(self.keys)

    @property
    def required(self) -> tuple[str, ...]:
        """The keys that must be given."""
        return tuple(name for name, key in self.keys.items() if key.required)


@dataclass(frozen=True)
class Entries:
    """A list of values of one kind or mapping (null standing for an empty one when `nullable`), of at most
    `max_items` (None: no bound)."""

    item: str | Section
    max_items: int | None = None
    nullable: bool = True


@dataclass(frozen=True)
class Named:
    """A mapping of names (each matching `pattern`, a regular expression) to values of one kind or mapping (null
    standing for an empty one when `nullable`), of at most `max_items` (None: no bound)."""

    item: str | Section
    pattern: str
    max_items: int | None = None
    nullable: bool = True


@dataclass(frozen=True)
class Kind:
    """A kind of single value as `problems` checks it: its JSON Schema, what it must be, and the test."""

    schema: Mapping[str, Any]
    wanted: str
    fits: Callable[[object], bool]


def is_whole(value: object, minimum: float, maximum: float) -> bool:
    """A whole number (not a bool) from `minimum` to `maximum`."""
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= maximum


def is_number(value: object, minimum: float, maximum: float) -> bool:
    """A finite number (not a bool) from `minimum` to `maximum`."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and minimum <= value <= maximum
    )


def closest(given: object, known: Iterable[str]) -> str | None:
    """The known name a typo most likely meant (`faild`, `branh`, `timedOut`, `fail-on`, `flakey`), if any is close."""
    if not isinstance(given, str) or len(given) > 2 * SHOWN_CHARS:
        return None
    names = tuple(known)
    spelled = given.strip().lower().replace("-", "_").replace(" ", "_")
    squashed = {name.replace("_", "").lower(): name for name in names}
    if spelled.replace("_", "") in squashed:  # timedOut, timed-out, fail on
        return squashed[spelled.replace("_", "")]
    close = difflib.get_close_matches(spelled, names, n=1, cutoff=0.7)
    return close[0] if close else None


def problems(
    data: object, shape: Section, kinds: Mapping[str, Kind], where: str = "", what: str = "the file"
) -> list[str]:
    """Every problem of `data` read as `shape`, each naming its key path (`runs[1].counts.failed: …`);
    `what` names the whole when it is no mapping at all."""
    if data is None and shape.nullable:
        return []
    if not isinstance(data, dict):
        return [f"{where or what}: expected an object, got {_described(data)}"]
    prefix = f"{where}." if where else ""
    found = []
    for key in (key for key in data if key not in shape.keys):
        close = closest(key, shape.keys)
        hint = f"did you mean `{close}`?" if close else f"known keys: {', '.join(shape.keys)}"
        found.append(f"{prefix}{key}: unknown key; {hint}")
    if shape.one_of and not any(name in data for name in shape.one_of):
        found.append(f"{where or what}: give {' or '.join(shape.one_of)} (or more than one)")
    for name, key in shape.keys.items():
        if name not in data:
            if key.required:
                found.append(f"{prefix}{name}: missing (required)")
            continue
        found.extend(_value_problems(key.value, data[name], f"{prefix}{name}", kinds))
    return found


def _value_problems(
    value: str | Section | Entries | Named, data: object, where: str, kinds: Mapping[str, Kind]
) -> list[str]:
    if isinstance(value, Section):
        return problems(data, value, kinds, where)
    if isinstance(value, (Named, Entries)):
        return _many_problems(value, data, where, kinds)
    kind = kinds[value]
    return [] if kind.fits(data) else [f"{where}: expected {kind.wanted}, got {_described(data)}"]


def _many_problems(value: Named | Entries, data: object, where: str, kinds: Mapping[str, Kind]) -> list[str]:
    """A list of items, or a mapping of names to items: null when nullable, its size bounded, each item checked."""
    if data is None and value.nullable:
        return []
    named = isinstance(value, Named)
    if not isinstance(data, dict if named else list):
        return [f"{where}: expected {'an object' if named else 'a list'}, got {_described(data)}"]
    if value.max_items is not None and len(data) > value.max_items:
        return [f"{where}: expected at most {value.max_items:,} {'names' if named else 'items'}, got {len(data):,}"]
    if isinstance(value, Named):
        assert isinstance(data, dict)
        bad = [name for name in data if not isinstance(name, str) or not re.fullmatch(value.pattern, name)]
        if bad:
            return [f"{where}: {shown(bad[0])} is not a name it takes (they match {value.pattern})"]
        items = [(f"{where}.{name}", item) for name, item in data.items()]
    else:
        items = [(f"{where}[{index}]", item) for index, item in enumerate(data)]
    return [found for place, item in items for found in _value_problems(value.item, item, place, kinds)]


def _described(value: object) -> str:
    """`a number 3`, `a text 'x'`, `null`: what a wrong value is, and the value, short."""
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a text", list: "a list", dict: "an object"}
    if value is None:
        return "null"
    return f"{names.get(type(value), type(value).__name__)} {shown(value)}"
