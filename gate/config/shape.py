"""The one definition of the thresholds file's shape, in the shape language (gate/shape.py): its keys,
their kinds, bounds, defaults and descriptions.

The checker (`parse`) takes its known keys, required keys and bounds from here, and the JSON Schema
(`schema`) is generated from here: a key added, renamed or bounded here is so for both at once.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

from gate.config.types import Baseline, History, Policy, Thresholds
from gate.shape import Entries, Key, Named, Section

# The only version of the file this gate reads.
VERSION = 1
# Bounds on what the file says (the loader bounds what it builds: size, values, depth).
MAX_COUNT = 1_000_000_000
MAX_TEXT = 1_000
MAX_ENTRIES = 1_000
# The most projects `projects:` names (a gate judges at most 20 runs; a shared file may serve several gates).
MAX_PROJECTS = 200
# A project's id, as the gate checks one wherever it comes from (gate/ids.py).
PROJECT_ID = "^[A-Za-z0-9_-]{1,64}$"
# The spellings `status.fail_on` takes, to their normalised names.
FAIL_ON_SPELLINGS = {
    "failed": "failed",
    "timed_out": "timed_out",
    "timedOut": "timed_out",
    "interrupted": "interrupted",
}
FAILABLE_STATUSES = ("failed", "timed_out", "interrupted")

# What a single value is:
#   count     a whole number from 0 to MAX_COUNT, or null for no limit
#   rate      a fraction from 0 to 1 or a percentage text such as "2%", or null for no limit
#   glob      a one-line glob (`*`, `?`, `[...]`) of at most MAX_TEXT characters
#   text      a text with something other than spaces in it, of at most MAX_TEXT characters
#   date      a day, written 2026-12-31
#   statuses  a list of run statuses (the keys of FAIL_ON_SPELLINGS), or null for none
#   tags      a list of texts
#   bool      true or false
#   version   VERSION
#   whole     a whole number from the key's `minimum` to its `maximum` (both given; never null)
#   classes   a list of the classes of a failed test history may forgive (FORGIVABLE), or null for none
Kind: TypeAlias = Literal[
    "count", "rate", "glob", "text", "date", "statuses", "tags", "bool", "version", "whole", "classes"
]


_THRESHOLDS = Thresholds()
_POLICY = Policy()

LIMITS = Section(
    shared_as="limits",
    keys={
        "failed": Key("count", "Most failed tests allowed (default 0; null for no limit).", default=_THRESHOLDS.failed),
        "flaky": Key("count", "Most flaky tests allowed (default: no limit).", default=_THRESHOLDS.flaky),
        "skipped": Key("count", "Most skipped tests allowed (default: no limit).", default=_THRESHOLDS.skipped),
        "timed_out": Key(
            "count",
            "Most timed-out tests allowed (default 0: Playwright counts a timed-out test as a failure; "
            "null for no limit).",
            default=_THRESHOLDS.timed_out,
        ),
        "interrupted": Key(
            "count",
            "Most interrupted tests allowed (default 0: an interrupted test did not pass; null for no limit).",
            default=_THRESHOLDS.interrupted,
        ),
        "failed_rate": Key(
            "rate", 'Most failed / total, as 0.02 or "2%" (default: no limit).', default=_THRESHOLDS.failed_rate
        ),
        "flaky_rate": Key(
            "rate", 'Most flaky / total, as 0.1 or "10%" (default: no limit).', default=_THRESHOLDS.flaky_rate
        ),
        "min_tests": Key(
            "count", "Fewest tests the run must hold (default 1, so an empty run fails).", default=_THRESHOLDS.min_tests
        ),
        "new_flaky": Key(
            "count",
            "Most newly flaky tests allowed: flaky now, and passed in every one of at least history.min_runs past "
            "runs on history.branch (needs a `history` section; default: no limit).",
            default=_THRESHOLDS.new_flaky,
        ),
    },
)

STATUS = Section(
    shared_as="status",
    keys={
        "fail_on": Key(
            "statuses",
            "Final run statuses that fail the gate (default: timed_out and interrupted).",
            default=_POLICY.fail_on,
        ),
    },
)

QUARANTINE_ENTRY = Section(
    nullable=False,
    one_of=("spec", "test"),
    keys={
        "spec": Key("glob", "Glob on the spec file name."),
        "test": Key("glob", "Glob on the test title."),
        "reason": Key("text", "Why (a ticket).", required=True),
        "owner": Key("text", "Who fixes it."),
        "until": Key(
            "date",
            "The last day (UTC) the entry applies, e.g. 2026-12-31: a real day (not 2027-02-30).",
            required=True,
        ),
    },
)

_HISTORY = History(branch="main")


def _history(*, branch_required: bool) -> Section:
    """The `history` section: at the top level its branch is required; in a rule, any key may be left out
    (merged over the top level), but a branch must be known once merged."""
    return Section(
        shared_as=None,
        keys={
            "branch": Key("glob", "Learn from runs on this branch (a glob, like rules).", required=branch_required),
            "days": Key(
                "whole",
                "The window: days back from the run's creation, 1 to 90.",
                default=_HISTORY.days,
                minimum=1,
                maximum=90,
            ),
            "min_runs": Key(
                "whole",
                "Fewer past runs of a test on the branch in the window (each run once) make it unknown (at least 1).",
                default=_HISTORY.min_runs,
                minimum=1,
                maximum=MAX_COUNT,
            ),
            "forgive": Key(
                "classes",
                "Classes of failed tests that do not count: flaky and/or broken (never new or unknown).",
                default=_HISTORY.forgive,
            ),
            "max_forgiven": Key(
                "whole",
                "More forgiven failures than this fail the gate (check `forgiven`).",
                default=_HISTORY.max_forgiven,
                maximum=MAX_COUNT,
            ),
            "max_lookups": Key(
                "whole",
                "At most this many tests looked up, failed ones first (1 to 500); the rest are unknown.",
                default=_HISTORY.max_lookups,
                minimum=1,
                maximum=500,
            ),
        },
    )


HISTORY = _history(branch_required=True)
RULE_HISTORY = _history(branch_required=False)

WHEN = Section(
    nullable=False,
    one_of=("branch", "tags", "target_branch"),
    keys={
        "branch": Key("glob"),
        "tags": Key("tags"),
        "target_branch": Key(
            "glob",
            "The branch a pull request or a merge queue merges into (see --target-branch), as a glob.",
        ),
    },
)

RULE = Section(
    nullable=False,
    keys={
        "when": Key(WHEN, required=True),
        "thresholds": Key(LIMITS),
        "warn": Key(LIMITS),
        "status": Key(STATUS),
        "history": Key(RULE_HISTORY, "Keys of `history` for these runs, merged over the top-level section."),
    },
)

BASELINE = Section(
    keys={
        "branch": Key("text", required=True),
        "new_failures": Key("count", default=Baseline.__dataclass_fields__["new_failures"].default),
    },
)

# The sections a project may give of its own (`projects.<id>`) are these very keys: what is added to one is
# added to both.
THRESHOLDS_KEY = Key(LIMITS, "Hard limits: a run over any of them fails the gate.")
STATUS_KEY = Key(STATUS, "Rules on the run's final status.")
QUARANTINE_KEY = Key(
    Entries(QUARANTINE_ENTRY, MAX_ENTRIES), "Known-broken tests that do not count until a date; each with a reason."
)
RULES_KEY = Key(
    Entries(RULE, MAX_ENTRIES),
    "Limits for some branches or tags, applied in order; later rules override earlier ones, key by key.",
)
BASELINE_KEY = Key(
    BASELINE, "Compare with the newest finished run on a branch: most tests failing now that did not fail there."
)

PROJECT = Section(
    shared_as="project",
    description="A project's own policy: its keys merged key by key over the top level's (its rules and quarantine "
    "entries after the top level's).",
    keys={
        "name": Key("text", "How the reports name this project's run (default: its project id)."),
        "thresholds": THRESHOLDS_KEY,
        "status": STATUS_KEY,
        "rules": RULES_KEY,
        "quarantine": QUARANTINE_KEY,
        "history": Key(RULE_HISTORY, "Keys of `history` for this project's runs, merged over the top-level section."),
        "baseline": BASELINE_KEY,
    },
)

FILE = Section(
    description="What a NeetoPlaydash Playwright run must meet to pass the gate. Every section is optional.",
    keys={
        "version": Key("version", "The version of this file's format: 1.", default=VERSION),
        "thresholds": THRESHOLDS_KEY,
        "status": STATUS_KEY,
        "warn": Key(LIMITS, "Soft limits (the keys of thresholds): exceeded, they warn; the verdict stays pass."),
        "quarantine": QUARANTINE_KEY,
        "rules": RULES_KEY,
        "baseline": BASELINE_KEY,
        "fail_fast": Key(
            "bool",
            "Fail while the run is still failing, once the failed count exceeds the limit (off by default); with "
            "several runs, the first run that fails ends the gate.",
            default=_POLICY.fail_fast,
        ),
        "history": Key(
            HISTORY,
            "Class each failed test by its past results on a branch (new, flaky, broken, unknown); "
            "forgive the flaky or broken ones, within a bound.",
        ),
        "projects": Key(
            Named(PROJECT, PROJECT_ID, MAX_PROJECTS),
            "Each project's own policy, by project id (when one gate judges the runs of several projects).",
        ),
    },
)

TOP_KEYS = FILE.names
# The limits that count no status: the fewest tests run, and the flaky tests that history says are new.
NOT_STATUSES = ("min_tests", "new_flaky")
# The statuses a limit counts: every count of `thresholds` but those of NOT_STATUSES.
COUNT_KEYS = tuple(name for name, key in LIMITS.keys.items() if key.value == "count" and name not in NOT_STATUSES)
RATE_KEYS = tuple(name for name, key in LIMITS.keys.items() if key.value == "rate")
THRESHOLD_KEYS = LIMITS.names
