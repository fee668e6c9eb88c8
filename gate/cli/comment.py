"""The pull request comment, a sink like the others: after the console's verdict, before the reports that
carry its address (see `reporters`).

It never changes the exit code: whatever GitHub does, the gate says so in one warning and the verdict stands
(only running out of memory, as in any sink, ends the gate with no verdict).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gate import __version__
from gate.cli.boundary import signals_cancel
from gate.cli.console import Console
from gate.cli.files import write_file
from gate.cli.sinks import CommentSink, warn
from gate.clock import REAL, Clock, utc_now
from gate.comment.api import GitHubApi, Refused, Unavailable, Unusable
from gate.comment.body import gate_comment
from gate.comment.sticky import Written, write
from gate.comment.target import (
    CommentOptions,
    Skip,
    comment_key,
    comment_options,
    former_key,
    locate,
    marker,
    project_of,
    settled_key,
)
from gate.deadline import Deadline, TimeUp
from gate.ending import Ending
from gate.errors import CancelledError, GateError, SetupError
from gate.outcome import Outcome
from gate.settings import Sources, optional_path

TITLE = "Pull request comment not written"
FORK_ADVICE = (
    "The job's token needs `permissions: pull-requests: write`; on a pull request from a fork the token is "
    "read-only whatever the workflow asks, so comment from a second workflow on `workflow_run` "
    "(see docs/pull-request-comment.md)"
)


@dataclass(frozen=True)
class CommentClock:
    """The comment's time: its budget from the verdict on, how long past it its thread is waited for, and the
    first wait before a retry (then doubling, to a cap); read on the gate's one `Clock`."""

    # Enough for a few retries, short enough for a cancelled job.
    budget: float = 20.0
    grace: float = 0.5
    first_wait: float = 1.0


@dataclass
class CommentReporter:
    """The verdict as one comment on the pull request, created or updated in place (see `gate.comment`)."""

    options: CommentOptions
    sources: Sources
    console: Console
    # Whether the requests made are logged (--debug, or the runner's RUNNER_DEBUG=1): resolved by the caller.
    debug: bool = False
    timing: CommentClock = field(default_factory=CommentClock)
    # The gate's clock: the footer's time, and the budget's.
    clock: Clock = REAL
    what: str = field(default="pull request comment", init=False)
    # The comment's address once written: the reports after it carry it.
    url: str | None = field(default=None, init=False)
    # The body posted, once made: the comment file (--comment-file) is then the very same text.
    body: str | None = field(default=None, init=False)

    def report(self, outcome: Outcome) -> None:
        """Write or update the comment and keep its address; whatever goes wrong is one warning, the verdict
        stands (running out of memory is left to `report_everywhere`, as in any sink)."""
        try:
            self.url = self.post(outcome)
        except MemoryError:
            raise
        except Exception as error:  # noqa: BLE001 - a broken comment must never cost the other reports
            self.failed(outcome, f"unexpected error ({type(error).__name__}); this is a bug in playdash-gate")

    def post(self, outcome: Outcome) -> str | None:
        """Write or update the comment; its address, or None (and a note or one warning saying why)."""
        if outcome.ending is Ending.CANCELLED:
            self.say("comment: not written, since the gate was cancelled (the job is being stopped)")
            return None
        place = locate(self.options, self.sources)
        if isinstance(place, Skip):
            self.say(f"comment: {place.message}", warning=place.warning)
            return None
        env = self.sources.env
        project = outcome.project_id or project_of(self.sources)
        key = comment_key(self.options, env, project)
        former = former_key(self.options, env, project)
        if self.console.redact(marker(key)) != marker(key):
            self.failed(
                outcome,
                f"the comment's key (the workflow, the job and the project) holds part of the API key or of the "
                f"GitHub token, so its marker would be redacted and never found again; give a key of your own "
                f"with {self.sources.label('comment_key')}",
            )
            return None
        # Redacted again, as every sink is: the last line of defence for the key and the token.
        body = self.console.redact(gate_comment(outcome, marker(key), env, self.clock.now()))
        self.body = body
        write_new = self.options.mode == "always" or outcome.ending is not Ending.PASSED
        budget = self.timing.budget
        deadline = Deadline(budget, self.clock.monotonic, pause=self.clock.sleep)
        api = GitHubApi(
            place.origin,
            place.token,
            deadline,
            user_agent=f"playdash-gate/{__version__}",
            first_wait=self.timing.first_wait,
        )

        def work() -> Written:
            try:
                return write(
                    api, place, marker(key), body, write_new=write_new, former=marker(former) if former else None
                )
            finally:
                api.close()

        written: Written | None = None
        error: BaseException | None = None
        try:
            # In a thread of its own: no answer, however slowly it trickles in, holds the gate past the budget.
            with signals_cancel():
                written = deadline.within(work, grace=self.timing.grace, name="comment")
        except CancelledError:
            deadline.expire()
            self.failed(outcome, "the gate was cancelled while writing it")
            return None
        except Exception as caught:  # noqa: BLE001 - the deadline's, GitHub's or a bug: told apart below
            error = caught
        if self.debug:
            for line in list(api.log):
                self.console.debug(line)
        if isinstance(error, TimeUp):
            deadline.expire()
            # Said as it is: GitHub slow to answer, or answers too long to read (the work stops at the deadline).
            self.failed(
                outcome,
                f"its {budget:.0f}s ran out before it was written (GitHub answered too slowly, or its answers "
                "took too long to read)",
            )
            return None
        if written is not None:
            return self.written(written, place.number)
        if isinstance(error, MemoryError):
            raise MemoryError  # not one more warning: the gate ends with no verdict (see report_everywhere)
        self.failed(outcome, self.why(error))
        return None

    def written(self, written: Written, number: int) -> str | None:
        """Say what became of the comment; its address when it was written."""
        if written.action == "unchanged":
            self.say(
                f"comment: the gate passed and pull request #{number} has no earlier comment of it to update; "
                "nothing written (--comment on-failure)"
            )
            return None
        where = written.url or "GitHub gave no usable address for it"
        self.say(f"comment: {written.action} on pull request #{number}: {where}")
        return written.url

    def why(self, error: object) -> str:
        """What went wrong, and what to do, for one warning."""
        if isinstance(error, Refused):
            hints = {
                401: "GitHub refused the token: check the action's `github-token` input or GITHUB_TOKEN",
                403: FORK_ADVICE,
                404: "Check GITHUB_REPOSITORY and the pull request's number "
                f"({self.sources.label('pull_request')}); a token that cannot see the repository gets 404 too",
                422: "GitHub refused the comment's content; if it persists, report it to playdash-gate",
            }
            hint = hints.get(error.status, "GitHub refused the request. " + FORK_ADVICE)
            return f"GitHub answered {error}. {hint}"
        if isinstance(error, Unavailable) and error.asked is not None:
            return (
                f"GitHub asked the gate to wait {error.asked:.0f}s (Retry-After), more than the "
                f"{error.left:.0f}s left of the comment's {self.timing.budget:.0f}s, so it stopped without waiting "
                f"({error}); re-run the job later to write it"
            )
        if isinstance(error, Unavailable):
            return (
                f"GitHub's API stayed unavailable within the comment's {self.timing.budget:.0f}s, leaving no time "
                f"for another try ({error}); re-run the job to write it"
            )
        if isinstance(error, Unusable):
            return f"{error}; the gate acts on nothing it cannot trust"
        if isinstance(error, (SetupError, GateError)):
            return error.message
        name = type(error).__name__ if isinstance(error, BaseException) else "no result"
        return f"unexpected error ({name}); this is a bug in playdash-gate, please report it"

    def failed(self, outcome: Outcome, reason: str) -> None:
        """One warning: the comment was not written, why and what to do; the verdict stands."""
        self.say(
            f"the pull request comment was not written: {reason}. The verdict stands ({outcome.verdict}, "
            f"exit {outcome.exit_code})",
            warning=True,
        )

    def say(self, text: str, *, warning: bool = False) -> None:
        """A note on the console, or one warning (an annotation in GitHub Actions)."""
        if not warning:
            self.console.print(text)
        else:
            warn(self.console, text, title=TITLE)


def comment_sink(
    sources: Sources, console: Console, *, debug: bool, timing: CommentClock, clock: Clock
) -> CommentReporter | None:
    """The comment sink when --comment asks for one; None when off or when its own settings are unusable
    (that set-up error is reported by every other sink)."""
    try:
        options = comment_options(sources)
    except SetupError:
        return None
    return None if options.mode == "off" else CommentReporter(options, sources, console, debug, timing, clock)


@dataclass(frozen=True)
class CommentFileReporter:
    """`--comment-file`: the pull request comment's very text, posted or not; no token nor pull request needed."""

    path: Path
    sources: Sources
    console: Console
    comment: CommentSink | None = None
    now: Callable[[], datetime.datetime] = utc_now
    what: str = "comment file"

    def report(self, outcome: Outcome) -> None:
        posted = self.comment.body if self.comment else None
        write_file(
            self.path, [self._made(outcome) if posted is None else posted], self.console, append=False, what=self.what
        )

    def _made(self, outcome: Outcome) -> str:
        key = settled_key(self.sources, outcome.project_id)
        return gate_comment(outcome, marker(key), self.sources.env, self.now())


def comment_file_sink(
    sources: Sources, console: Console, comment: CommentReporter | None, clock: Clock
) -> CommentFileReporter | None:
    """`--comment-file` when it is asked for: the comment's very text, posted or not."""
    path = optional_path(sources, "comment_file")
    return CommentFileReporter(path, sources, console, comment, clock.now) if path else None
