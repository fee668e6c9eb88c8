"""The one place an ending becomes an exit code, and the one Outcome of an invocation built from what ended it:
each run's own, and the gate's made of theirs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from gate import __version__
from gate.ci import CiInfo
from gate.ending import Ending
from gate.errors import ApiUnavailableError, GateError, Unexpected
from gate.ids import is_id
from gate.outcome import Observed, Outcome
from gate.report.text import runs_headline, verdict_headline
from gate.settings import RunByBuildId, RunById, Settings, Target, run_page

if TYPE_CHECKING:
    from gate.cli.runs import RunEnd
    from gate.job.judge import Judged

# The one place an ending becomes an exit code.
EXIT_CODES = {
    Ending.PASSED: 0,
    Ending.FAILED: 1,
    Ending.SETUP_ERROR: 2,
    Ending.NO_VERDICT: 3,
    Ending.LET_THROUGH: 0,
    Ending.CANCELLED: 3,
}


# In report mode these endings exit 0 (a set-up error is wrong either way; a cancel is the job's own end).
REPORT_ONLY = frozenset({Ending.FAILED, Ending.NO_VERDICT})


def exit_code(ending: Ending) -> int:
    """0 passed (or let through), 1 failed, 2 set-up error, 3 no verdict (or cancelled)."""
    return EXIT_CODES[ending]


def build_outcome(
    judged: Judged | None,
    error: GateError | None,
    observed: Observed,
    settings: Settings | None,
    ci: CiInfo | None,
    *,
    report_only: bool = False,
    target: Target | None = None,
    label: str | None = None,
) -> Outcome:
    """The Outcome of one run (`target`, by its `label`), or of a gate that ended before its runs were named:
    its ending, message and all that was learned on the way.

    `report_only` (`--mode report`, read leniently when the settings could not be): a failing run or no verdict
    exits 0; a set-up error, a cancel and a bug in the gate keep their codes.
    """
    verdict = judged.verdict if judged is not None and error is None else None
    if verdict is not None:
        ending = Ending.PASSED if verdict.passed else Ending.FAILED
        message = ("gate passed: " if verdict.passed else "gate failed: ") + verdict_headline(verdict)
    else:
        error = error or GateError("no verdict")
        unavailable = isinstance(error, ApiUnavailableError)
        let_through = unavailable and settings is not None and settings.on_unavailable == "pass"
        ending, message = (Ending.LET_THROUGH if let_through else error.ending), error.message
    run = judged.run if judged else observed.run
    api_project = run.project_id if run and is_id(run.project_id) else None
    named = target if target is not None else (settings.target if settings else None)
    named_project = named.project_id if isinstance(named, (RunById, RunByBuildId)) else None
    named_run = named.run_id if isinstance(named, RunById) else None
    named_url = (
        run_page(settings.workspace_url, named_project, named_run)
        if settings and settings.workspace_url and named_project and named_run
        else None
    )
    enforced = settings.mode == "enforce" if settings is not None else not report_only
    target_branch, source = (
        (settings.target_branch, "--target-branch / PLAYDASH_TARGET_BRANCH")
        if settings and settings.target_branch
        else (None, None)
    )
    if target_branch is None and ci is not None:
        target_branch, source = ci.target_branch, ci.target_source
    would_exit = exit_code(ending)
    return Outcome(
        ending,
        0 if not enforced and ending in REPORT_ONLY and not isinstance(error, Unexpected) else would_exit,
        message,
        __version__,
        project_id=named_project or api_project,
        run_id=observed.run_id or named_run,
        run_url=observed.run_url or named_url,
        baseline_url=observed.baseline_url,
        run=run,
        result=verdict,
        config_source=observed.config_source,
        error_kind=error.kind if verdict is None and error else None,
        waited=observed.elapsed(),
        requests=observed.requests(),
        notes=tuple(observed.notes),
        ci=ci,
        enforced=enforced,
        would_exit=would_exit,
        target_branch=target_branch,
        target_source=source,
        label=label,
    )


# In a gate of several runs, the gravest exit code of its runs is the gate's: a set-up error anywhere; else a
# failure (certain, whatever the others did); else no verdict; else a pass.
GRAVEST_FIRST = (2, 1, 3, 0)


def gate_outcome(
    ends: Sequence[RunEnd],
    error: GateError | None,
    observed: Observed,
    settings: Settings | None,
    ci: CiInfo | None,
    *,
    report_only: bool,
) -> Outcome:
    """The one Outcome of this invocation: each run's own, and the gate's made of theirs (a gate of one run is
    that run's); or, when the gate ended before its runs were judged, the error's."""
    if error is not None or not ends:
        return build_outcome(None, error, observed, settings, ci, report_only=report_only)
    runs = tuple(
        build_outcome(
            end.judged,
            end.error,
            end.observed,
            settings,
            ci,
            report_only=report_only,
            target=end.target,
            label=end.label,
        )
        for end in ends
    )
    if len(runs) == 1:
        return replace(runs[0], runs=runs)
    # The gravest exit code, and among the runs that give it the gravest ending: the two always agree (in report
    # mode a failure exits 0 as a pass does, and a bug in the gate still exits 3).
    gravest = min(runs, key=lambda run: (GRAVEST_FIRST.index(run.exit_code), GRAVITY.index(run.ending)))
    ending = gravest.ending
    word = {"pass": "gate passed", "fail": "gate failed"}.get(ending.word, "gate gave no verdict")
    first = runs[0]
    return Outcome(
        ending,
        gravest.exit_code,
        f"{word}: {runs_headline(runs)}",
        __version__,
        config_source=observed.config_source,
        error_kind=next(run.error_kind for run in runs if run.ending is ending),
        waited=observed.elapsed(),
        requests=sum(run.requests for run in runs),
        ci=ci,
        enforced=first.enforced,
        would_exit=min((run.would_exit for run in runs if run.would_exit is not None), key=GRAVEST_FIRST.index),
        target_branch=first.target_branch,
        target_source=first.target_source,
        notes=tuple(observed.notes),
        runs=runs,
    )


# The gravest ending of its runs is the gate's (a cancel is graver than a run left without a verdict).
GRAVITY = (Ending.SETUP_ERROR, Ending.FAILED, Ending.CANCELLED, Ending.NO_VERDICT, Ending.LET_THROUGH, Ending.PASSED)
