"""How the GitHub Actions runner reads a step's output, modelled from actions/runner's source for the tests.

- Lines: each stream is read with .NET's `StreamReader.ReadLine`, which ends a line at `\\r\\n`, `\\r` or
  `\\n` (src/Runner.Sdk/ProcessInvoker.cs), decoding UTF-8 with U+FFFD for a bad byte.
- Commands (src/Runner.Common/ActionCommand.cs, src/Runner.Worker/ActionCommandManager.cs): `TryParseV2`
  first, a line that starts with `::` after `TrimStart()` and holds a second `::`; then the legacy
  `TryParse`, `##[name ...]` anywhere in the line. Both compare with the culture's rules, where
  controls and format characters weigh nothing: the model leaves them out before looking, so it finds
  every command the runner could read, and a few it could not (it errs on the side of finding).

The model is written from Unicode categories, not from the guard's tables, so that the two can disagree.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Char.IsWhiteSpace: the Zs, Zl and Zp categories, U+0009 to U+000D, U+0085.
DOTNET_WHITESPACE = (
    "".join(chr(code) for code in range(0x3100) if unicodedata.category(chr(code)) in ("Zs", "Zl", "Zp"))
    + "\t\n\x0b\x0c\r\x85\u3000"
)
# Default ignorable code points outside the Cc, Cf and Cs categories (Unicode's DerivedCoreProperties).
_OTHER_IGNORABLE = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2065\u3164\ufe00-\ufe0f\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
_LINE_END = re.compile("\r\n|\r|\n")


def weighs_nothing(char: str) -> bool:
    """Whether a culture comparison passes over the character."""
    if char in DOTNET_WHITESPACE:
        return False
    return unicodedata.category(char) in ("Cc", "Cf", "Cs") or bool(_OTHER_IGNORABLE.fullmatch(char))


def log_lines(output: str | bytes) -> list[str]:
    """The lines the runner reads from one stream."""
    text = output.decode("utf-8", "replace") if isinstance(output, bytes) else output
    lines = _LINE_END.split(text)
    return lines[:-1] if lines and lines[-1] == "" else lines


@dataclass(frozen=True)
class Command:
    """A command the runner could read: its name and what follows it."""

    name: str
    rest: str
    legacy: bool


def command_in(line: str) -> Command | None:
    """The command the runner could read in one line (the `::` form first, then `##[`), or None."""
    seen = "".join(char for char in line if not weighs_nothing(char))
    head = seen.lstrip(DOTNET_WHITESPACE)
    if head.startswith("::"):
        info, closed, rest = head[2:].partition("::")
        if closed:
            return Command(info.split(" ", 1)[0], rest, legacy=False)
    start = seen.find("##[")
    end = seen.find("]", start) if start >= 0 else -1
    if end >= 0:
        return Command(seen[start + 3 : end].split(" ", 1)[0], seen[end + 1 :], legacy=True)
    return None


def starts_a_command(line: str) -> bool:
    """Stricter than the runner: the line starts with `::` in its eyes (closed or not), or holds `##[`."""
    seen = "".join(char for char in line if not weighs_nothing(char))
    return seen.lstrip(DOTNET_WHITESPACE).startswith("::") or "##[" in seen


def commands(output: str | bytes) -> list[tuple[str, Command]]:
    """Every line of one stream the runner could read as a command, with the command."""
    found = [(line, command_in(line)) for line in log_lines(output)]
    return [(line, command) for line, command in found if command is not None]
