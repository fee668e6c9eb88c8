"""How the config's problems show what they are about: values and keys cut short, lists of problems capped."""

from __future__ import annotations

from gate.plural import plural

# A message lists this many problems, then says how many more; each shows a value cut to SHOWN_CHARS.
MAX_PROBLEMS = 20
SHOWN_CHARS = 60
# A number written with more characters than this is not read as one (int() of a huge text is slow).
MAX_NUMBER_CHARS = 100


class NumberText(str):
    """A YAML number the loader did not read (too long, or not a number under its tag), kept as its text."""

    # The key it is under then says what it must be, instead of a traceback from inside PyYAML.
    __slots__ = ()


def shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """A value as a message shows it: its repr, cut to about `limit` characters with "…", whatever its size."""
    if isinstance(value, NumberText):
        piece = str.__str__(value[: limit + 1])
        text = piece if piece.isprintable() else repr(piece)
    elif isinstance(value, str):
        text = repr(value[: limit + 1])
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4 * limit:
        text = f"a number of about {int(value.bit_length() * 0.30103)} digits"
    else:
        import reprlib  # noqa: PLC0415 - only when a message shows a value

        # reprlib looks at a few items of a few levels: the cost is bounded however big the value is.
        brief = reprlib.Repr()
        brief.maxlevel, brief.maxdict, brief.maxlist, brief.maxtuple, brief.maxset = 2, 4, 4, 4, 4
        brief.maxstring = brief.maxother = brief.maxlong = limit
        try:
            text = brief.repr(value)
        except (ValueError, RecursionError):
            text = f"a {type(value).__name__}"
    return cut(text, limit)


def cut(text: str, limit: int) -> str:
    """The text, or its first `limit` - 1 characters and "…"."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def one_line(text: str, limit: int) -> str:
    """The text on one line (runs of whitespace made one space), cut to `limit` characters."""
    return cut(" ".join(text[: limit * 2].split()), limit)


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
