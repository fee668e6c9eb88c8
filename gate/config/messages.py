"""How the config's problems show what they are about: keys as key paths show them, lists of problems capped."""

from __future__ import annotations

from gate.plural import plural
from gate.text import SHOWN_CHARS, Unquoted, shown

# A message lists this many problems, then says how many more; each shows a value with `gate.text.shown`.
MAX_PROBLEMS = 20
# A number written with more characters than this is not read as one (int() of a huge text is slow).
MAX_NUMBER_CHARS = 100


class NumberText(Unquoted):
    """A YAML number the loader did not read (too long, or not a number under its tag), kept as its text."""

    # The key it is under then says what it must be, instead of a traceback from inside PyYAML.
    __slots__ = ()


def key_name(key: object) -> str:
    """A mapping key as a key path shows it: as written when short and printable, else cut."""
    if isinstance(key, str) and key.isprintable() and len(key) <= SHOWN_CHARS:
        return key
    return shown(key)


def capped(problems: list[str], total: int) -> list[str]:
    """At most MAX_PROBLEMS problems, then how many more: a message stays small whatever the file."""
    listed = problems[:MAX_PROBLEMS]
    more = total - len(listed)
    return [*listed, f"…and {plural(more, 'more problem')}"] if more > 0 else listed
