"""A rule the tests keep by lint, not by test (run by .ci/run's lint step; sizes and imports are .ci/shape.py's).

- No test asserts on the gate's source text: none calls `inspect.getsource` or `ast.parse`, nor names a file
  of `gate/` ending in `.py` (tests assert behaviour: exit codes, messages, reports, requests made).

Exits 1 listing every breach, 0 when there is none.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE_READS = [
    re.compile(r"\binspect\.getsource"),
    re.compile(r"\bast\.parse\("),
    re.compile(r"""["']gate["']\s*/.*\.py["']"""),
    re.compile(r"""["']gate/[\w/]*\.py["']"""),
]


def breaches() -> list[str]:
    """Every line of a test that reads the gate's source."""
    found = []
    for test in sorted((ROOT / "tests").rglob("*.py")):
        for number, line in enumerate(test.read_text(encoding="utf-8").splitlines(), start=1):
            if any(pattern.search(line) for pattern in SOURCE_READS):
                found.append(f"{test.relative_to(ROOT)}:{number}: a test reads the gate's source: {line.strip()}")
    return found


def main() -> int:
    """Print the breaches; 1 when there are any."""
    found = breaches()
    for breach in found:
        print(breach)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
