"""The shape rules of gate/ that a linter does not check: imports inside functions only at the entry points,
no function over 80 lines, no module over 400. Run by .ci/run's lint step; prints each breach, exits 1 if any."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The three places that import late, for start-up time (docs/architecture.md, "No work at import time"):
# the command dispatch, the thresholds file (PyYAML and the checker), and the gate's run (the job, the
# comment, the reports a run asks for). Everything else imports at module top.
ENTRY_POINTS = frozenset({"gate/cli/__init__.py", "gate/config/load.py", "gate/cli/run.py"})
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 400


def breaches(path: Path, name: str) -> list[str]:
    """What in one module breaks the rules, one line each."""
    text = path.read_text(encoding="utf-8")
    found = []
    late: dict[int, str] = {}  # line -> the innermost function around it (ast.walk goes outside in)
    lines = len(text.splitlines())
    if lines > MAX_MODULE_LINES:
        found.append(f"{name}: {lines} lines, over {MAX_MODULE_LINES}")
    for node in ast.walk(ast.parse(text, name)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            assert node.end_lineno is not None
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"{name}:{node.lineno}: {node.name}() is {length} lines, over {MAX_FUNCTION_LINES}")
            if name not in ENTRY_POINTS:
                late.update((inner.lineno, node.name) for inner in ast.walk(node) if _imports(inner))
    for line, function in sorted(late.items()):
        found.append(
            f"{name}:{line}: an import inside {function}(): import at module top, or load the module from an entry "
            f"point ({', '.join(sorted(ENTRY_POINTS))})"
        )
    return found


def _imports(node: ast.AST) -> bool:
    """An import statement, or a call that imports (`importlib.import_module`, `__import__`)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(node, ast.Call):
        called = node.func
        return (isinstance(called, ast.Name) and called.id == "__import__") or (
            isinstance(called, ast.Attribute) and called.attr == "import_module"
        )
    return False


def main() -> int:
    """Check every module of gate/; 0 when all keep the rules."""
    found = [
        line
        for path in sorted((ROOT / "gate").rglob("*.py"))
        for line in breaches(path, path.relative_to(ROOT).as_posix())
    ]
    print("\n".join(found) or "gate/: imports, functions and modules within the rules")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
