"""The command line: `main(argv, env, stdout, stderr) -> int`, the only place an ending becomes an exit code."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Mapping, Sequence
from contextlib import redirect_stderr, redirect_stdout, suppress
from typing import TYPE_CHECKING, NoReturn, TextIO

from gate.cli.boundary import out_of_memory
from gate.cli.guard import guarded
from gate.cli.parser import build_parser
from gate.clock import REAL, Clock
from gate.ending import Ending
from gate.errors import SetupError

if TYPE_CHECKING:
    from gate.cli.comment import CommentClock

__all__ = ["console_main", "main"]


def main(
    argv: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    stdin: TextIO | None = None,
    *,
    clock: Clock = REAL,
    comment_clock: CommentClock | None = None,
) -> int:
    """Parse the command line and run; returns the exit code (0 pass, 1 fail, 2 set-up error, 3 no verdict).

    `clock`: the time of every deadline, wait and date (a simulated one in tests); `comment_clock`: the pull
    request comment's budget and first wait (by default 20 s, 1 s).
    """
    started = clock.monotonic()
    env = dict(os.environ) if env is None else dict(env)
    # Everything written to either stream from here on passes the one guard (see gate/cli/guard.py).
    out = guarded(out or sys.stdout)
    err, stdin = guarded(err or sys.stderr, out), stdin or sys.stdin
    try:
        with redirect_stdout(out), redirect_stderr(err):  # argparse's --help and --version
            args = build_parser().parse_args(argv)
    except SetupError as error:
        if "quarantine" in (sys.argv[1:] if argv is None else argv):
            # `quarantine suggest` writes nothing but its YAML: a command line refused is said on stderr alone.
            from gate.cli.quarantine import refused  # noqa: PLC0415

            return refused(error, err)
        from gate.cli.run import flags_refused  # noqa: PLC0415 - each command's code is loaded by the command

        return flags_refused(error, env, out, err)
    # Each command loads its own code here, and only its own: `--help`, `--version` and `validate` never load
    # the job (nor `requests`), and the gate never loads the demo's simulator.
    if args.command == "validate":
        from gate.cli.validate import validate  # noqa: PLC0415
        from gate.cli.verdict import exit_code  # noqa: PLC0415

        valid = validate(args, env, out, err, today=clock.today())
        return exit_code(Ending.PASSED if valid else Ending.SETUP_ERROR)
    # The action's `demo` input (true, pass or fail): the whole job inside the container, against the simulator.
    action_demo = env.get("INPUT_DEMO", "").strip().lower()
    if args.command == "demo" or (args.command is None and action_demo in ("true", "pass", "fail")):
        from gate.cli.demo import Play, demo  # noqa: PLC0415

        play = Play.asked(args) if args.command == "demo" else Play.of_the_action(failing=action_demo == "fail")
        return demo(args, env, out, err, stdin, play=play, clock=clock)
    if args.command == "quarantine":
        from gate.cli.quarantine import suggest  # noqa: PLC0415

        return suggest(args, env, out, err, stdin, started=started, clock=clock)
    from gate.cli.run import gate  # noqa: PLC0415

    return gate(args, env, out, err, stdin, started=started, clock=clock, comment_clock=comment_clock)


def console_main() -> NoReturn:
    """The `playdash-gate` command: once the reports are written, the process ends, whatever its threads do.

    Every report file is closed by the time `main` returns, so once the two streams are flushed nothing is
    left to do. The process then ends at once (`os._exit`) rather than through the interpreter's shutdown:
    - threads still fetching a page or sleeping before a retry (after a cancel or an error) must not keep
      a CI job alive until some timeout;
    - tearing down every module and object costs a CI step about as much again as importing `requests`
      (measured in `bench/`), for nothing the step can use.
    """
    # A stream closed by the caller (`>&-`) is None here: write nowhere rather than fail on it.
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - lives as long as the process
    # Both streams behind the guard, for all that writes to them, the gate or not (a traceback, a warning).
    sys.stdout = guarded(sys.stdout)
    sys.stderr = guarded(sys.stderr, sys.stdout)
    try:
        code = main()
    except SystemExit as done:  # --help and --version end through argparse
        code = (
            done.code
            if isinstance(done.code, int) and not isinstance(done.code, bool)
            else (0 if done.code is None else 2)
        )
    except MemoryError:
        # Past the error boundary too, running out of memory is no bug: said in one line, no traceback.
        with suppress(Exception):
            print(f"playdash-gate: {out_of_memory('before its reports were written')}", file=sys.stderr)
        code = 3
    except BaseException:  # noqa: BLE001 - nothing may end the command with a code that reads as a verdict
        # Past the error boundary (a stream that cannot be written, say): never 0 or 1, and say why if possible.
        with suppress(Exception):
            traceback.print_exc()
            print("playdash-gate: unexpected error; no verdict (exit 3)", file=sys.stderr)
        code = 3
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):
            stream.flush()
    os._exit(code if 0 <= code <= 3 else 3)  # a code past the documented four never reads as a verdict
