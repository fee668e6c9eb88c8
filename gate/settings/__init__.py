"""The gate's settings: raw sources (flags, INPUT_*, PLAYDASH_*), checked values, and one frozen Settings."""

from __future__ import annotations

from gate.settings.resolve import (
    RERUN_PROJECT,
    Connection,
    RunByBuildId,
    RunById,
    SavedAnswer,
    Settings,
    Target,
    api_key,
    config_path,
    github_token,
    resolve,
)
from gate.settings.runs import MAX_RUNS, run_name, run_names
from gate.settings.sources import (
    API_SUFFIX,
    DEFAULT_CONFIG,
    DEFAULT_MAX_POLL_INTERVAL,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_TIMEOUT,
    MAX_DURATION,
    OPTIONS,
    OPTIONS_BY_DEST,
    Option,
    Sources,
    action_input_names,
    optional_path,
    quoted,
)
from gate.settings.values import is_loopback, parse_base_url, parse_duration, parse_run_url, run_page

__all__ = [
    "API_SUFFIX",
    "DEFAULT_CONFIG",
    "DEFAULT_MAX_POLL_INTERVAL",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_TIMEOUT",
    "MAX_DURATION",
    "MAX_RUNS",
    "OPTIONS",
    "OPTIONS_BY_DEST",
    "RERUN_PROJECT",
    "Connection",
    "Option",
    "RunByBuildId",
    "RunById",
    "SavedAnswer",
    "Settings",
    "Sources",
    "Target",
    "action_input_names",
    "api_key",
    "config_path",
    "github_token",
    "is_loopback",
    "optional_path",
    "parse_base_url",
    "parse_duration",
    "parse_run_url",
    "quoted",
    "resolve",
    "run_name",
    "run_names",
    "run_page",
]
