"""The sinks only some runs ask for: report files (written whole and atomically, or through to a device or a
pipe), the rerun list, and GitHub's annotations and outputs. Loaded by gate/cli/run.py when a run asks for
one of them (and by the pull request comment's file), so that a run reporting to the console alone never
defines them.
"""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from gate.cli.console import Console
from gate.cli.guard import guarded_if_output
from gate.cli.sinks import RERUN_TITLE, CommentSink, comment_address, warn
from gate.outcome import Outcome
from gate.plural import plural
from gate.report import github as github_report
from gate.report.rerun import rerun_list
from gate.settings import RERUN_PROJECT

if sys.platform != "win32":  # Windows has no O_NONBLOCK to clear either
    import fcntl


@dataclass(frozen=True)
class FileReporter:
    """A report written to a file: whole (atomically, 0644) or appended (the step summary)."""

    what: str
    path: Path
    render: Callable[[Outcome], Iterable[str]]
    console: Console
    append: bool = False

    def report(self, outcome: Outcome) -> None:
        write_file(self.path, self.render(outcome), self.console, append=self.append, what=self.what)


@dataclass
class RerunReporter:
    """`--rerun-file`: the spec files to run again, one per line; names left out or missing are one warning.
    `written` tells the outputs written after it whether there is a file to name."""

    path: Path
    console: Console
    what: str = "rerun file"
    written: bool = field(default=False, init=False)

    def report(self, outcome: Outcome) -> None:
        runs = outcome.runs if outcome.several else (outcome,)
        files = rerun_paths(self.path, runs)
        written = [self._write(run, path) for run, path in files]  # each written, whatever became of the others
        self.written = bool(written) and all(written)

    def _write(self, outcome: Outcome, path: Path) -> bool:
        rerun = rerun_list(outcome)
        lines = [f"{name}\n" for name in rerun.files]
        written = write_file(path, lines, self.console, append=False, what=self.what)
        problems = [] if written else ["it could not be written (see above), so there is no list to rerun"]
        if rerun.left_out:
            problems.append(
                f"{plural(rerun.left_out, 'spec file name')} from the API left out, not being a plain relative path "
                "(absolute, `..`, a leading `-`, a control, space or shell character)"
            )
        if rerun.unlisted:
            problems.append(
                f"{plural(rerun.unlisted, 'test')} counted against the gate not listed by the API, so their "
                "spec files may be missing"
            )
        if problems:
            state = "incomplete" if written else "missing"
            warn(self.console, f"the rerun file {path} is {state}: {'; '.join(problems)}", title=RERUN_TITLE)
        return written


def rerun_paths(path: Path, runs: Sequence[Outcome]) -> list[tuple[Outcome, Path]]:
    """Each run's rerun file: the path as given, `{project}` in its name made the run's project id (with its run
    id when two runs of one project are judged); none for a run whose project is not known."""
    if RERUN_PROJECT not in path.name:
        return [(run, path) for run in runs[:1]]
    projects = [run.project_id for run in runs]
    found = []
    for run, project in zip(runs, projects, strict=True):
        if project is None:
            continue
        name = f"{project}-{run.run_id}" if projects.count(project) > 1 and run.run_id else project
        found.append((run, path.with_name(path.name.replace(RERUN_PROJECT, name))))
    return found


@dataclass(frozen=True)
class AnnotationsReporter:
    """GitHub's annotations: the verdict, then the failed and flaky tests, as workflow commands."""

    console: Console
    what: str = "annotations"

    def report(self, outcome: Outcome) -> None:
        for line in github_report.annotation_lines(outcome):
            self.console.command(line)


@dataclass(frozen=True)
class OutputsReporter:
    """The action's outputs, appended to `$GITHUB_OUTPUT`."""

    console: Console
    output_file: Path
    json_path: str
    comment: CommentSink | None = None
    rerun_path: str = ""
    rerun: RerunReporter | None = None
    what: str = "outputs"

    def report(self, outcome: Outcome) -> None:
        # The rerun file's path only when the file is there to read.
        rerun_path = self.rerun_path if self.rerun is not None and self.rerun.written else ""
        values = github_report.output_values(outcome, self.json_path, comment_address(self.comment), rerun_path)
        write_file(self.output_file, [github_report.outputs_text(values)], self.console, append=True, what=self.what)


def write_file(path: Path, pieces: Iterable[str], console: Console, *, append: bool, what: str) -> bool:
    """Write a report file piece by piece, the key redacted; whether it was written (a failure is said on
    stderr, the verdict stands).

    A new or regular file is written whole and renamed into place (a link there is replaced, never
    followed). A device or a pipe (`/dev/stdout` in a container) is written through, opened without
    waiting for a reader; the process's own output redirected to a file is refused rather than cut.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        where = "through" if append else _destination(path)
        if where == "own output":
            raise OSError(f"it is this process's own output, redirected to a file: name the {what}'s own file")
        if where == "through":
            for stream in (console.out, console.err):
                with suppress(OSError, ValueError):
                    stream.flush()
            with _open_through(path, append=append) as handle:
                # This process's own stdout or stderr by another name: behind the guard, as the console is.
                guarded_if_output(handle, console.out, console.err).writelines(_redacted(pieces, console))
            return True
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=path.parent, delete=False, prefix=f".{path.name}."
        ) as temporary:
            try:
                temporary.writelines(_redacted(pieces, console))
            except BaseException:
                # A report that broke half-way is not left behind as a stray file.
                temporary.close()
                os.unlink(temporary.name)
                raise
        try:
            # Temporary files are private (0600); a report is read by the CI's other steps and users.
            os.chmod(temporary.name, 0o644)
            os.replace(temporary.name, path)
        except OSError:
            # Say a folder stands where the report should go: the written text is not left beside it.
            os.unlink(temporary.name)
            raise
    except OSError as exc:
        console.print(f"warning: could not write the {what} to {path}: {exc.strerror or exc}", error=True)
        return False
    return True


def _destination(path: Path) -> str:
    """`replace` (absent, a regular file, a link to one, a folder), `through` (a device, a pipe, a socket,
    or a link to one) or `own output` (a link to the file this process's stdout or stderr writes to)."""
    try:
        if stat.S_ISREG(path.lstat().st_mode):
            return "replace"
        target = path.stat()
    except OSError:
        return "replace"  # absent, or a dangling link: replaced by the report
    if stat.S_ISCHR(target.st_mode) or stat.S_ISFIFO(target.st_mode) or stat.S_ISSOCK(target.st_mode):
        return "through"
    for fd in (1, 2):
        with suppress(OSError):
            if stat.S_ISREG(target.st_mode) and os.path.samestat(target, os.fstat(fd)):
                return "own output"
    return "replace"


def _open_through(path: Path, *, append: bool) -> TextIO:
    """Open for writing without waiting for a reader (a pipe nobody reads fails at once, never hangs)."""
    flags = os.O_WRONLY | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_NONBLOCK", 0)
    if append:
        flags |= os.O_APPEND | os.O_CREAT
    fd = os.open(path, flags, 0o644)
    try:
        if sys.platform != "win32":
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    except OSError:
        os.close(fd)
        raise
    return os.fdopen(fd, "w", encoding="utf-8")


def _redacted(pieces: Iterable[str], console: Console, size: int = 1 << 16) -> Iterator[str]:
    """The pieces redacted in blocks of about `size` characters: one scan per block, not per piece."""
    block: list[str] = []
    length = 0
    for piece in pieces:
        block.append(piece)
        length += len(piece)
        if length >= size:
            yield console.redact("".join(block))
            block, length = [], 0
    if block:
        yield console.redact("".join(block))
