"""What an id of NeetoPlaydash looks like: checked wherever one comes from (flags, answers, saved files)."""

from __future__ import annotations

import re
from typing import TypeGuard

# Project and run ids are short lowercase words (pdqmxlz, kftwnab); letters, digits, '-' and '_' allowed.
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def is_id(value: object) -> TypeGuard[str]:
    """Whether `value` is a string shaped like an id: nothing in it can start a line, a command or a path."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def fold(value: str) -> str:
    """An id as history compares it: case folded, so `RR1`, `Rr1` and `rr1` are one run (folding only merges
    ids, so an id that differs by case alone is never taken for another thing: it fails closed)."""
    return value.casefold()
