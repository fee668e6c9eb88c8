"""Counts in words, with the noun agreeing: `1 failed test`, `2 failed tests`, `1,204 runs`."""

from __future__ import annotations


def noun(count: int, one: str, many: str | None = None) -> str:
    """The noun for `count`: `one` for exactly 1, else `many` (by default `one` + "s")."""
    return one if count == 1 else (many if many is not None else one + "s")


def plural(count: int, one: str, many: str | None = None) -> str:
    """`count` and its noun, thousands separated: `1 failed test`, `0 failed tests`, `1,204 more runs`."""
    return f"{count:,} {noun(count, one, many)}"
