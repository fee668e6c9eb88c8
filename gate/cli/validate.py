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
from gate.policy import for_project, in_force
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
    console = Console(out, err, None)
    project = args.project_id
    if project is not None and project not in policy.projects:
        known = ", ".join(policy.projects) or "none"
        console.print(
            f"note: `projects:` has no {project} (it has: {known}): the top level's policy applies to its runs"
        )
    elif project is not None:
        named = policy.projects[project].name
        console.print(
            f"project {project}{f' ({named})' if named else ''}: projects.{project} merged over the top level"
        )
    shown = in_force(for_project(policy, project), args.branch, tags, today, args.target_branch)
    console.print("\n".join(policy_lines(for_project(policy, project), shown)))
    if project is None and policy.projects:
        console.print(f"projects with a policy of their own (see each with --project-id): {', '.join(policy.projects)}")
    return True
