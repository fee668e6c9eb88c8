"""A config's problems, collected so that the user sees them all at once; a typo named with the key it meant."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gate.config.messages import MAX_PROBLEMS, capped, key_name
from gate.config.shape import MAX_TEXT
from gate.settings.sources import OPTIONS_BY_DEST
from gate.shape import Section, closest
from gate.text import shown


class Problems:
    """Collects every problem of a config so that the user sees them all at once (the first MAX_PROBLEMS)."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.count = 0

    @property
    def full(self) -> bool:
        """No further problem would be listed: work spent describing one is wasted."""
        return self.count >= MAX_PROBLEMS

    def add(self, path: str, message: str) -> None:
        self.count += 1
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(f"{path}: {message}")

    def listed(self) -> list[str]:
        """The problems as a message lists them."""
        return capped(self.items, self.count)

    def section(self, data: object, path: str, section: Section, expected: str) -> Mapping[Any, Any] | None:
        """A section's mapping with its unknown keys named; None when it is absent, or (said) not a mapping."""
        if data is None:
            return None
        if not isinstance(data, Mapping):
            self.add(path, f"must be {expected}, not {type(data).__name__}")
            return None
        self.unknown_keys(data, section, f"{path}.")
        return data

    def unknown_keys(self, data: Mapping[Any, Any], section: Section, prefix: str) -> None:
        """Each key of `data` the section does not know, named with the known key it most likely meant."""
        allowed = section.names
        for key in data:
            if key not in allowed:
                if self.full:
                    self.add("", "")
                    continue
                close = closest(key, allowed)
                setting = None if close else _setting(key)
                if setting is not None:
                    hint = f"; {setting}"
                else:
                    hint = f"; did you mean `{close}`?" if close else f"; known keys: {', '.join(allowed)}"
                self.add(f"{prefix}{key_name(key)}", f"unknown key{hint}")


def _setting(key: object) -> str | None:
    """Where a setting of the command goes, when the file names one (`timeout:`), else None."""
    name = key.strip().lower().replace("-", "_") if isinstance(key, str) and len(key) <= 60 else None
    option = OPTIONS_BY_DEST.get(name or "")
    if option is None:
        return None
    ways = [way for way in (option.flag, option.env) if way]
    ways += [f"the action's `{option.input}` input"] if option.input else []
    return f"it is a setting of the command, not of this file: give it with {', '.join(ways)}"


def glob_value(value: object, path: str, problems: Problems) -> str | None:
    """A glob (`*`, `?`, `[...]`): a non-empty one-line text whose brackets close."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or "\n" in value:
        problems.add(path, f'must be a glob such as "checkout/*.spec.ts", not {shown(value)}')
        return None
    if len(value) > MAX_TEXT:
        problems.add(path, f"is {len(value):,} characters long; at most {MAX_TEXT:,}")
        return None
    if value.count("[") != value.count("]"):
        problems.add(path, f"is not a valid glob: its brackets do not close ({shown(value)})")
        return None
    return value
