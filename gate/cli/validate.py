"""`playdash-gate validate`: check a thresholds file and show the policy it gives (no network, no key)."""

from __future__ import annotations

import argparse
import datetime
from collections.abc import Mapping
from typing import TextIO

from gate.cli.console import Console
from gate.config.load import load_policy
from gate.config.parse import EMPTY
from gate.errors import SetupError
from gate.policy import in_force
from gate.report.console import policy_lines
from gate.settings import DEFAULT_CONFIG, Sources


def validate(
    args: argparse.Namespace, env: Mapping[str, str], out: TextIO, err: TextIO, *, today: datetime.date
) -> bool:
    """Whether the file is valid; every problem is listed with its key path, else the policy in force."""
    sources = Sources(flags={}, env=env)
    path = sources.path(args.path) if args.path else sources.path(DEFAULT_CONFIG)
    if args.path is None and not path.exists():
        Console.write_to(out, f"no {DEFAULT_CONFIG} here: the built-in defaults apply\n")
        policy = load_policy(None)
    else:
        try:
            policy = load_policy(path)
        except SetupError as error:
            Console(out, err, None).print(f"✖ {error.message}", error=True)
            return False
        Console.write_to(out, f"✔ {path} is valid\n")
        if policy.source.endswith(f"({EMPTY})"):
            Console.write_to(out, f"note: {path} is empty or holds only comments: the built-in defaults apply\n")
    tags = [tag.strip() for tag in args.tags.split(",") if tag.strip()]
    shown = in_force(policy, args.branch, tags, today, args.target_branch)
    Console(out, err, None).print("\n".join(policy_lines(policy, shown)))
    return True
