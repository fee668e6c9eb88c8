"""Where raw settings come from (flags, INPUT_* action inputs, PLAYDASH_* variables), and their names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gate.flight import DEFAULT_IN_FLIGHT, MAX_IN_FLIGHT
from gate.text import shown

API_SUFFIX = "/api/external/v1"
DEFAULT_CONFIG = ".playdash-gate.yml"
DEFAULT_TIMEOUT = 30 * 60.0
# First wait between polls, and the cap of its growth: see "Why these intervals" in the README.
DEFAULT_POLL_INTERVAL = 2.0
DEFAULT_MAX_POLL_INTERVAL = 15.0
# No duration setting may exceed a day: no CI job runs longer, and a bound keeps every later sum of
# seconds (deadlines, timers, sleeps) far from the limits where it would overflow.
MAX_DURATION = 24 * 3600.0
# A setting quoted back in a message is cut to this many characters: enough for an address, never a flood.
SETTING_CHARS = 100
# The fewest requests in flight at once: one at a time (the most, and the default, are the bound's own).
MIN_IN_FLIGHT = 1
# What parts the values of a `words` setting given by a variable or an input: ASCII commas and whitespace only.
_WORDS = re.compile(r"[,\s]+", re.ASCII)


@dataclass(frozen=True)
class Option:
    """A setting's names: its flag, its action input and its environment variable."""

    dest: str
    flag: str | None
    env: str | None
    input: str | None
    help: str
    metavar: str = "VALUE"
    # A setting that may name several things: its flag given again, its variable or input one a line
    # (`lines`), or also separated by commas or spaces (`words`).
    several: Literal["", "lines", "words"] = ""


OPTIONS = (
    Option(
        "base_url",
        "--base-url",
        "PLAYDASH_BASE_URL",
        "base-url",
        "workspace address, e.g. https://acme.neetoplaydash.com (the API root .../api/external/v1 too)",
        "URL",
    ),
    Option(
        "subdomain",
        "--subdomain",
        "PLAYDASH_SUBDOMAIN",
        "subdomain",
        "shorthand for https://NAME.neetoplaydash.com",
        "NAME",
    ),
    Option("api_key", None, "PLAYDASH_API_KEY", "api-key", "the API key (environment only, never a flag)"),
    Option(
        "project_id",
        "--project-id",
        "PLAYDASH_PROJECT_ID",
        "project-id",
        "the project's id, e.g. pdqmxlz; again for each project of a build (with --ci-build-id)",
        "ID",
        several="words",
    ),
    Option("run_id", "--run-id", "PLAYDASH_RUN_ID", "run-id", "the run's id, e.g. kftwnab", "ID"),
    Option(
        "run_url",
        "--run-url",
        "PLAYDASH_RUN_URL",
        "run-url",
        "the run's dashboard address (.../projects/ID/runs/ID): gives both ids and the workspace; again for each "
        "run to judge in one gate",
        "URL",
        several="lines",
    ),
    Option(
        "ci_build_id",
        "--ci-build-id",
        "PLAYDASH_CI_BUILD_ID",
        "ci-build-id",
        "find the run by the ciBuildId its reporter was given (waits for it to appear)",
        "ID",
    ),
    Option(
        "config",
        "--config",
        "PLAYDASH_CONFIG",
        "config",
        f"thresholds file (default: {DEFAULT_CONFIG} when it exists, else built-in defaults)",
        "PATH",
    ),
    Option(
        "timeout",
        "--timeout",
        "PLAYDASH_TIMEOUT",
        "timeout",
        "longest the whole gate may take, e.g. 30m (default 30m, at most 24h)",
        "DUR",
    ),
    Option(
        "poll_interval",
        "--poll-interval",
        "PLAYDASH_POLL_INTERVAL",
        "poll-interval",
        f"first wait between polls, then growing (default {DEFAULT_POLL_INTERVAL:g}s, at most 24h)",
        "DUR",
    ),
    Option(
        "max_poll_interval",
        "--max-poll-interval",
        "PLAYDASH_MAX_POLL_INTERVAL",
        "max-poll-interval",
        f"cap of the wait between polls (default {DEFAULT_MAX_POLL_INTERVAL:g}s, at most 24h)",
        "DUR",
    ),
    Option(
        "max_in_flight",
        "--max-in-flight",
        "PLAYDASH_MAX_IN_FLIGHT",
        "max-in-flight",
        f"the most requests to NeetoPlaydash in flight at once, {MIN_IN_FLIGHT} to {MAX_IN_FLIGHT} (default "
        f"{DEFAULT_IN_FLIGHT}); a Retry-After on any of them holds back the others too",
        "N",
    ),
    Option(
        "summary_file",
        "--summary-file",
        "GITHUB_STEP_SUMMARY",
        None,
        "Markdown summary, appended (default $GITHUB_STEP_SUMMARY)",
        "PATH",
    ),
    Option(
        "on_unavailable",
        "--on-unavailable",
        "PLAYDASH_ON_UNAVAILABLE",
        "on-unavailable",
        "fail (default) or pass: what to do when the API stays unavailable and no verdict can be reached",
        "POLICY",
    ),
    Option(
        "target_branch",
        "--target-branch",
        "PLAYDASH_TARGET_BRANCH",
        "target-branch",
        "the branch the change merges into, for rules with `when: {target_branch: ...}` (default: the merge "
        "queue's or pull request's base, from the CI)",
        "BRANCH",
    ),
    Option(
        "mode",
        "--mode",
        "PLAYDASH_MODE",
        "mode",
        "enforce (default) or report: in report mode a failing run or no verdict exits 0, and every report says "
        "what the gate would have done (set-up errors still exit 2)",
        "MODE",
    ),
    Option(
        "json_file", "--json-file", "PLAYDASH_JSON_FILE", "json-file", "machine-readable verdict, written whole", "PATH"
    ),
    Option(
        "rerun_file",
        "--rerun-file",
        "PLAYDASH_RERUN_FILE",
        "rerun-file",
        "the spec files of the tests that count against the gate (failed, timed out, interrupted), one per line, "
        "for a rerun command; empty when none",
        "PATH",
    ),
    Option(
        "junit_file",
        "--junit-file",
        "PLAYDASH_JUNIT_FILE",
        "junit-file",
        "JUnit XML report (a test case per check, plus failed and flaky tests), for GitLab, Jenkins, CircleCI",
        "PATH",
    ),
    Option(
        "markdown_file",
        "--markdown-file",
        "PLAYDASH_MARKDOWN_FILE",
        "markdown-file",
        "the summary's Markdown, written whole (for buildkite-agent annotate, artifacts)",
        "PATH",
    ),
    Option(
        "comment_file",
        "--comment-file",
        "PLAYDASH_COMMENT_FILE",
        "comment-file",
        "the pull request comment's exact Markdown, written whole with or without --comment (to preview it, or "
        "to post it with another CI's tool); needs no token nor pull request",
        "PATH",
    ),
    Option(
        "comment",
        "--comment",
        "PLAYDASH_COMMENT",
        "comment",
        "off (default), always or on-failure: the verdict as one pull request comment, updated in place",
        "WHEN",
    ),
    Option(
        "pull_request",
        "--pull-request",
        "PLAYDASH_PULL_REQUEST",
        "pull-request",
        "the pull request to comment on (default: the event's, for pull_request and pull_request_target)",
        "NUMBER",
    ),
    Option(
        "comment_key",
        "--comment-key",
        "PLAYDASH_COMMENT_KEY",
        "comment-key",
        "which comment is this gate's (default: workflow, job and project); matrix legs must set their own",
        "KEY",
    ),
    Option("github_token", None, "GITHUB_TOKEN", "github-token", "the token to comment with (never a flag)"),
    Option(
        "from_file",
        "--from-file",
        "PLAYDASH_FROM_FILE",
        None,
        "judge a saved Get run answer (a page, or a JSON list of pages; - for standard input) offline",
        "PATH",
    ),
)
OPTIONS_BY_DEST = {option.dest: option for option in OPTIONS}


@dataclass(frozen=True)
class Sources:
    """Where raw values come from: parsed flags, and the environment (which also carries action inputs)."""

    flags: Mapping[str, object]
    env: Mapping[str, str]

    def value(self, dest: str) -> tuple[str | None, str]:
        """The raw value of a setting and the name it came by (flag, INPUT_*, variable); empty means unset."""
        option = OPTIONS_BY_DEST[dest]
        flag_value = self.flags.get(dest)
        if isinstance(flag_value, list):
            # A flag given again: its values one a line, as its variable would hold them.
            flag_value = "\n".join(str(value) for value in flag_value if str(value).strip())
        if option.flag and flag_value not in (None, ""):
            return str(flag_value), option.flag
        if option.input:
            for name in action_input_names(option.input):
                if self.env.get(name, "").strip():
                    return self.env[name], f"input `{option.input}`"
        if option.env and self.env.get(option.env, "").strip():
            return self.env[option.env], option.env
        return None, option.flag or option.env or dest

    def values(self, dest: str) -> tuple[tuple[str, ...], str]:
        """The values of a setting that may name several things, each stripped, and the name they came by.

        Only a line feed parts the lines (never a character other readers end a line at: that stays in its value,
        which the check of the value then refuses); `words` part at ASCII commas and spaces too.
        """
        raw, name = self.value(dest)
        if raw is None:
            return (), name
        several = OPTIONS_BY_DEST[dest].several
        by_flag = name == OPTIONS_BY_DEST[dest].flag
        parts = raw.split("\n") if several == "lines" or by_flag else _WORDS.split(raw)
        return tuple(part.strip() for part in parts if part.strip()), name

    def label(self, dest: str) -> str:
        """Every name a setting may be given by, for messages about a missing one."""
        option = OPTIONS_BY_DEST[dest]
        names = [n for n in (option.flag, option.env) if n]
        if option.input and self.in_actions:
            names.append(f"input `{option.input}`")
        return " / ".join(names)

    @property
    def in_actions(self) -> bool:
        """Running as a GitHub Actions step."""
        return self.env.get("GITHUB_ACTIONS") == "true"

    @property
    def debug(self) -> bool:
        """Every request logged: --debug, or the runner's debug logging (RUNNER_DEBUG=1)."""
        return self.env.get("RUNNER_DEBUG") == "1" or bool(self.flags.get("debug"))

    def path(self, raw: str) -> Path:
        """A user's path: relative to GITHUB_WORKSPACE inside Actions, else to the working directory."""
        path = Path(raw).expanduser()
        workspace = self.env.get("GITHUB_WORKSPACE")
        if not path.is_absolute() and self.in_actions and workspace:
            return Path(workspace) / path
        return path


def action_input_names(name: str) -> tuple[str, ...]:
    """The variables a runner may set for an input: hyphens kept (INPUT_API-KEY), or as `_`."""
    upper = "INPUT_" + name.replace(" ", "_").upper()
    return (upper, upper.replace("-", "_")) if "-" in upper else (upper,)


def quoted(raw: str) -> str:
    """A setting's raw value as a message quotes it: without the spaces around it, `shown` to SETTING_CHARS."""
    return shown(raw.strip(), SETTING_CHARS)


def optional_path(sources: Sources, dest: str) -> Path | None:
    """An output file's path, or None; tolerant, so that reports can be written even after a set-up error."""
    raw, _name = sources.value(dest)
    if raw and raw.strip():
        return sources.path(raw.strip())
    return None
