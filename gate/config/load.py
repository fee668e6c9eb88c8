"""The thresholds file, from its path to a Policy: read within bounds, parsed as YAML, checked."""

from __future__ import annotations

from pathlib import Path

from gate.config.types import Policy
from gate.errors import ConfigError


def load_policy(path: Path | None) -> Policy:
    """Read and check a thresholds file; None gives the built-in defaults (and loads nothing more)."""
    if path is None:
        return Policy()
    from gate.config.parse import parse_policy  # noqa: PLC0415 - the shape and the checker, only for a file
    from gate.config.reader import read_yaml_file  # noqa: PLC0415
    from gate.config.yaml_loader import DuplicateKeys  # noqa: PLC0415

    try:
        data = read_yaml_file(path)
    except DuplicateKeys as duplicated:
        # Every problem at once: the keys given twice, then whatever else the file holds.
        problems = list(duplicated.problems)
        try:
            parse_policy(duplicated.data, str(path))
        except ConfigError as more:
            problems += more.problems
        # Each list is capped already (the first problems, then how many more): together they stay short.
        raise ConfigError(str(path), problems) from None
    return parse_policy(data, str(path))
