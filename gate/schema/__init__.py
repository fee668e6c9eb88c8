"""The JSON Schemas shipped with the package (the thresholds file, the verdict), and the one way a schema
generated from a shape is put together, written and checked (`python -m gate.config.schema`,
`python -m gate.simulator.schema`)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def document(
    *, schema_id: str, title: str, description: str, body: dict[str, Any], defs: dict[str, Any]
) -> dict[str, Any]:
    """A draft 2020-12 schema document around a generated body and its definitions."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id,
        "title": title,
        "description": description,
        **body,
        "$defs": defs,
    }


def schema_text(schema: dict[str, Any]) -> str:
    """A schema as a shipped file holds it."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_or_check(argv: Sequence[str] | None, *, prog: str, what: str, shipped: Path, text: Callable[[], str]) -> int:
    """Write the shipped schema from its shape, or with --check say whether it is up to date (exit 1 if not)."""
    parser = argparse.ArgumentParser(prog=prog, description=f"Write (or --check) the JSON Schema of {what}.")
    parser.add_argument("--check", action="store_true", help="compare only: exit 1 when the file is not up to date")
    parser.add_argument("--path", type=Path, default=shipped, help=f"the schema file (default: {shipped})")
    args = parser.parse_args(argv)
    wanted = text()
    path: Path = args.path
    if args.check:
        try:
            current = path.read_text(encoding="utf-8")
        except OSError as exc:
            print(f"{path}: cannot be read ({exc.strerror or exc}); write it with `{prog}`")
            return 1
        if current != wanted:
            print(f"{path} is not the schema the shape gives: write it with `{prog}`")
            return 1
        print(f"{path} is up to date")
        return 0
    path.write_text(wanted, encoding="utf-8")
    print(f"wrote {path}")
    return 0
