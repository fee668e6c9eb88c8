"""GitHub's event payload (`GITHUB_EVENT_PATH`): read once per question, within bounds, as untrusted JSON."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gate.bounded import EVENT_PAYLOAD, NotAFile, OverLimit, loads, read_path


class UnreadableEvent(Exception):
    """The event payload could not be read as GitHub writes it: why (a sentence fragment)."""


def read_event(env: Mapping[str, str]) -> Any:
    """The payload as JSON values; UnreadableEvent says why not.

    Only a regular file is read (a FIFO would wait for a writer forever: it is refused, never waited on),
    within the event payload's limits (`gate.bounded`).
    """
    raw_path = env.get("GITHUB_EVENT_PATH", "")
    if not raw_path.strip():
        raise UnreadableEvent("GITHUB_EVENT_PATH is not set")
    try:
        return loads(read_path(Path(raw_path), EVENT_PAYLOAD), EVENT_PAYLOAD)
    except (OverLimit, NotAFile) as exc:
        raise UnreadableEvent(f"it {exc.reason}, which no event payload of GitHub's is") from None
    except OSError as exc:
        raise UnreadableEvent(f"it cannot be read ({exc.strerror or type(exc).__name__})") from None
    except (ValueError, RecursionError):
        raise UnreadableEvent("it is not JSON") from None


def branch_of_ref(ref: object) -> str | None:
    """`refs/heads/main` -> `main`; None for anything else (a tag, a number, a ref of no branch)."""
    if isinstance(ref, str) and ref.startswith("refs/heads/") and len(ref) > len("refs/heads/"):
        return ref.removeprefix("refs/heads/")
    return None
