"""The thresholds file to Python data: read within a size, then parsed by the bounded YAML loader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gate.bounded import CONFIG_FILE, NotAFile, OverLimit, read_path, shown_size
from gate.config.yaml_loader import load_yaml
from gate.errors import ConfigError

MAX_FILE_BYTES = CONFIG_FILE.max_bytes


def read_yaml_file(path: Path) -> Any:
    """The file's YAML as Python data: refused when too big, unreadable, not a regular file, not UTF-8, or not
    YAML the gate reads."""
    source = str(path)
    try:
        raw = read_path(path, CONFIG_FILE)  # a regular file only: a FIFO or a device is refused, never waited on
    except OverLimit:
        raise ConfigError(
            source,
            [
                f"the file is larger than {shown_size(MAX_FILE_BYTES)} ({MAX_FILE_BYTES:,} bytes); a thresholds "
                "file is a few KB: is it the right file?"
            ],
        ) from None
    except NotAFile as exc:
        raise ConfigError(source, [f"the file {exc.reason}; give the thresholds file itself"]) from None
    except FileNotFoundError:
        raise ConfigError(source, ["the file does not exist"]) from None
    except OSError as exc:
        raise ConfigError(source, [f"the file cannot be read: {exc.strerror or exc}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(source, [f"the file is not UTF-8 text (byte {exc.start}); save it as UTF-8"]) from None
    return load_yaml(text, source)
