"""The thresholds file, from its path to a Policy: read within bounds, parsed as YAML, checked."""

from __future__ import annotations

from pathlib import Path

from gate.config.types import Policy


def load_policy(path: Path | None) -> Policy:
    """Read and check a thresholds file; None gives the built-in defaults (and loads nothing more)."""
    if path is None:
        return Policy()
    from gate.config.parse import parse_policy  # noqa: PLC0415 - the shape and the checker, only for a file
    from gate.config.reader import read_yaml_file  # noqa: PLC0415

    return parse_policy(read_yaml_file(path), str(path))
