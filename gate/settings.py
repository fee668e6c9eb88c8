"""One frozen Settings built from flags, action inputs (INPUT_*) and PLAYDASH_* variables, in that order."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from gate.errors import SetupError

API_SUFFIX = "/api/external/v1"
DEFAULT_CONFIG = ".playdash-gate.yml"
# Inside GitHub Actions the JSON verdict is always written, here in the workspace, for the `json` output.
DEFAULT_ACTION_JSON = "playdash-gate-verdict.json"
DEFAULT_TIMEOUT = 30 * 60.0
# First wait between polls, and the cap of its growth: see "Why these intervals" in the README.
DEFAULT_POLL_INTERVAL = 2.0
DEFAULT_MAX_POLL_INTERVAL = 15.0
# No duration setting may exceed a day: no CI job runs longer, and a bound keeps every later sum of
# seconds (deadlines, timers, sleeps) far from the limits where it would overflow.
MAX_DURATION = 24 * 3600.0
# A value quoted back in a message is cut to this many characters: enough for an address, never a flood.
SHOWN_CHARS = 100
_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h)?\s*$", re.IGNORECASE)
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SUBDOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Option:
    """A setting's names: its flag, its action input and its environment variable."""

    dest: str
    flag: str | None
    env: str | None
    input: str | None
    help: str
    metavar: str = "VALUE"


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
    Option("project_id", "--project-id", "PLAYDASH_PROJECT_ID", "project-id", "the project's id, e.g. pdqmxlz", "ID"),
    Option("run_id", "--run-id", "PLAYDASH_RUN_ID", "run-id", "the run's id, e.g. kftwnab", "ID"),
    Option(
        "run_url",
        "--run-url",
        "PLAYDASH_RUN_URL",
        "run-url",
        "the run's dashboard address (.../projects/ID/runs/ID): gives both ids and the workspace",
        "URL",
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
        "json_file", "--json-file", "PLAYDASH_JSON_FILE", "json-file", "machine-readable verdict, written whole", "PATH"
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
class Settings:
    """Everything the gate needs to run, checked; the API key is never part of its repr.

    The run is named one way: `run_id` (with `project_id`), or `ci_build_id` (with `project_id`), or
    `from_file` (a saved answer: no workspace, key or ids needed).
    """

    api_root: str | None
    workspace_url: str | None
    api_key: str | None = field(repr=False)
    project_id: str | None
    run_id: str | None
    ci_build_id: str | None
    from_file: str | None
    config_path: Path | None
    timeout: float
    poll_interval: float
    max_poll_interval: float
    on_unavailable: Literal["fail", "pass"] = "fail"
    debug: bool = False

    @property
    def run_url(self) -> str | None:
        """The run's page in the NeetoPlaydash dashboard, once its id is known."""
        if self.workspace_url and self.project_id and self.run_id:
            return run_page(self.workspace_url, self.project_id, self.run_id)
        return None


def run_page(workspace_url: str, project_id: str, run_id: str) -> str:
    """A run's dashboard address."""
    return f"{workspace_url}/projects/{project_id}/runs/{run_id}"


@dataclass(frozen=True)
class Sources:
    """Where raw values come from: parsed flags, and the environment (which also carries action inputs)."""

    flags: Mapping[str, object]
    env: Mapping[str, str]

    def value(self, dest: str) -> tuple[str | None, str]:
        """The raw value of a setting and the name it came by (flag, INPUT_*, variable); empty means unset."""
        option = OPTIONS_BY_DEST[dest]
        flag_value = self.flags.get(dest)
        if option.flag and flag_value not in (None, ""):
            return str(flag_value), option.flag
        if option.input:
            for name in action_input_names(option.input):
                if self.env.get(name, "").strip():
                    return self.env[name], f"input `{option.input}`"
        if option.env and self.env.get(option.env, "").strip():
            return self.env[option.env], option.env
        return None, option.flag or option.env or dest

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


def shown(raw: str) -> str:
    """A raw value as a message quotes it: its repr, cut to SHOWN_CHARS characters with "…"."""
    return _cut(repr(raw.strip()[: SHOWN_CHARS + 1]), SHOWN_CHARS)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_duration(raw: str, name: str) -> float:
    """`90`, `90s`, `1.5s`, `500ms`, `15m`, `1h` to seconds (more than zero, at most 24 hours)."""
    match = _DURATION.match(raw)
    seconds = float(match.group(1)) * _UNITS[(match.group(2) or "s").lower()] if match else math.nan
    if not seconds > 0:  # also NaN: no match
        raise SetupError(f"{name} must be a duration above zero such as 90, 90s, 1.5s, 15m or 1h, not {shown(raw)}")
    if seconds > MAX_DURATION:
        raise SetupError(f"{name} must be at most 24h (86400s), not {shown(raw)}; give a duration such as 30m or 2h")
    return seconds


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: the only hosts plain http:// may reach."""
    if host.lower() == "localhost":
        return True
    import ipaddress  # noqa: PLC0415 - needed only for plain http://

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_base_url(raw: str, name: str) -> tuple[str, str]:
    """A workspace address or API root to (api_root, workspace_url); https only, but for loopback."""
    parts = urlsplit(raw.strip())
    host = parts.hostname or ""
    problem = ""
    if parts.scheme not in ("http", "https") or not host:
        problem = "must be an address such as https://acme.neetoplaydash.com"
    elif len(host) > 253:
        problem = "has a host name longer than 253 characters, which no workspace has"
    elif parts.username or parts.password:
        problem = "must not hold a user name or password; the key goes in PLAYDASH_API_KEY"
    elif parts.query or parts.fragment:
        problem = "must not have a query (?...) or fragment (#...)"
    elif parts.scheme == "http" and not is_loopback(host):
        problem = (
            "must use https:// (plain http:// is allowed only for 127.0.0.1, localhost and ::1), "
            "since the key travels in a header"
        )
    if problem:
        raise SetupError(f"{name} {problem}; got {shown(raw)}")
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        raise SetupError(f"{name} has a port that is not a number from 1 to 65535; got {shown(raw)}") from None
    netloc = f"[{host}]" if ":" in host else host
    path = parts.path.rstrip("/")
    workspace_path = path[: -len(API_SUFFIX)] if path.endswith(API_SUFFIX) else path
    workspace = f"{parts.scheme}://{netloc}{port}{workspace_path}"
    return workspace + API_SUFFIX, workspace


def _workspace(sources: Sources, from_run_url: tuple[str, str] | None) -> tuple[str, str]:
    base, base_name = sources.value("base_url")
    sub, sub_name = sources.value("subdomain")
    from_sub = None
    if sub is not None:
        if not _SUBDOMAIN.match(sub.strip()):
            raise SetupError(
                f"{sub_name} must be the workspace's subdomain only (e.g. acme for acme.neetoplaydash.com), "
                f"not {shown(sub)}; give a full address with --base-url"
            )
        from_sub = parse_base_url(f"https://{sub.strip().lower()}.neetoplaydash.com", sub_name)
    if base is None:
        if from_sub is None and from_run_url is not None:
            return from_run_url
        if from_sub is None:
            raise SetupError(
                f"no workspace given: set {sources.label('subdomain')} (e.g. acme), {sources.label('base_url')} "
                f"or {sources.label('run_url')}"
            )
        return from_sub
    from_base = parse_base_url(base, base_name)
    if from_sub is not None and from_sub != from_base:
        raise SetupError(
            f"{base_name} ({_cut(from_base[1], SHOWN_CHARS)}) and {sub_name} ({from_sub[1]}) name different "
            "workspaces; give only one"
        )
    return from_base


def _identifier(sources: Sources, dest: str) -> str | None:
    raw, name = sources.value(dest)
    if raw is None:
        return None
    if not _ID.match(raw.strip()):
        raise SetupError(f"{name} must be an id of letters, digits, '-' or '_' (e.g. pdqmxlz), not {shown(raw)}")
    return raw.strip()


_RUN_PATH = re.compile(
    r"^(?P<prefix>.*?)/projects/(?P<project>[A-Za-z0-9_-]{1,64})/runs/(?P<run>[A-Za-z0-9_-]{1,64})/?$"
)


def parse_run_url(raw: str, name: str) -> tuple[tuple[str, str], str, str]:
    """A run's dashboard address to ((api_root, workspace_url), project_id, run_id); query and fragment ignored."""
    parts = urlsplit(raw.strip())
    match = _RUN_PATH.match(parts.path)
    if not match or not parts.netloc:
        raise SetupError(f"{name} must be a run's address ending in /projects/PROJECT_ID/runs/RUN_ID, not {shown(raw)}")
    workspace = parse_base_url(f"{parts.scheme}://{parts.netloc}{match.group('prefix')}", name)
    return workspace, match.group("project"), match.group("run")


def _build_id(sources: Sources) -> str | None:
    raw, name = sources.value("ci_build_id")
    if raw is None:
        return None
    value = raw.strip()
    if len(value) > 200 or not value.isprintable():
        raise SetupError(f"{name} must be the printable build id the reporter was given (200 characters at most)")
    return value


@dataclass(frozen=True)
class RunName:
    """How the run was named, checked: ids, or a build id to find it by, and a workspace from a run URL."""

    project_id: str | None
    run_id: str | None
    ci_build_id: str | None
    workspace: tuple[str, str] | None


def run_name(sources: Sources) -> RunName:
    """Exactly one way of naming the run; two that disagree (or a build id beside an id) is a set-up error."""
    project_id, run_id = _identifier(sources, "project_id"), _identifier(sources, "run_id")
    build_id = _build_id(sources)
    url, url_name = sources.value("run_url")
    given = [
        sources.value(dest)[1]
        for dest, value in (("run_id", run_id), ("run_url", url), ("ci_build_id", build_id))
        if value is not None
    ]
    if not given:
        raise SetupError(
            f"no run named: set {sources.label('run_id')} (with {sources.label('project_id')}), "
            f"{sources.label('run_url')}, or {sources.label('ci_build_id')} (with the project id)"
        )
    if build_id is not None and len(given) > 1:
        raise SetupError(f"{' and '.join(given)} both name the run; give only one of them")
    workspace = None
    if url is not None:
        workspace, url_project, url_run = parse_run_url(url, url_name)
        for what, mine, theirs in (("run", run_id, url_run), ("project", project_id, url_project)):
            if mine is not None and mine != theirs:
                dest = f"{what}_id"
                raise SetupError(
                    f"{sources.value(dest)[1]} ({mine}) and {url_name} ({theirs}) name different {what}s; give only one"
                )
        project_id, run_id = url_project, url_run
    if project_id is None:
        raise SetupError(f"no project id given: set {sources.label('project_id')} (e.g. pdqmxlz)")
    return RunName(project_id, run_id, build_id, workspace)


def api_key(sources: Sources) -> str:
    """The key, from the action input or PLAYDASH_API_KEY; checked without ever being shown."""
    raw, name = sources.value("api_key")
    if raw is None:
        raise SetupError(
            f"no API key given: set {sources.label('api_key')} (from a CI secret; the key is never taken as a flag)"
        )
    key = raw.strip()
    if any(ch.isspace() or not ch.isprintable() for ch in key):
        raise SetupError(f"{name} holds spaces, line breaks or control characters inside it; copy the key again")
    return key


def config_path(sources: Sources) -> Path | None:
    """The thresholds file: the one given, else .playdash-gate.yml where it exists, else None (built-ins)."""
    raw, name = sources.value("config")
    default = sources.path(DEFAULT_CONFIG)
    if raw is None or (name.startswith("input") and raw.strip() == DEFAULT_CONFIG):
        # The action declares the default name, so an input equal to it counts as "not chosen".
        return default if default.is_file() else None
    path = sources.path(raw.strip())
    if not path.is_file():
        raise SetupError(
            f"{name}: the config file {_cut(str(path), 2 * SHOWN_CHARS)} does not exist (or is not a file); "
            "fix the path or drop it"
        )
    return path


def optional_path(sources: Sources, dest: str) -> Path | None:
    """An output file's path, or None; tolerant, so that reports can be written even after a set-up error."""
    raw, _name = sources.value(dest)
    if raw and raw.strip():
        return sources.path(raw.strip())
    if dest == "json_file" and sources.in_actions:
        return sources.path(DEFAULT_ACTION_JSON)
    return None


def _duration(sources: Sources, dest: str, default: float) -> float:
    raw, name = sources.value(dest)
    return default if raw is None else parse_duration(raw, name)


def _on_unavailable(sources: Sources) -> Literal["fail", "pass"]:
    raw, name = sources.value("on_unavailable")
    value = (raw or "fail").strip().lower()
    if value == "pass":
        return "pass"
    if value != "fail":
        raise SetupError(f"{name} must be fail (the default: no verdict fails the job) or pass, not {shown(raw or '')}")
    return "fail"


def resolve(sources: Sources) -> Settings:
    """Check every setting and build Settings, or raise the first SetupError with what to fix."""
    timeout = _duration(sources, "timeout", DEFAULT_TIMEOUT)
    poll = _duration(sources, "poll_interval", DEFAULT_POLL_INTERVAL)
    max_poll = _duration(sources, "max_poll_interval", max(DEFAULT_MAX_POLL_INTERVAL, poll))
    if max_poll < poll:
        raise SetupError(
            f"{sources.value('max_poll_interval')[1]} ({max_poll:g}s) is shorter than "
            f"{sources.value('poll_interval')[1]} ({poll:g}s); the cap must be at least the first wait"
        )
    config = config_path(sources)
    on_unavailable = _on_unavailable(sources)
    debug = sources.env.get("RUNNER_DEBUG") == "1" or bool(sources.flags.get("debug"))

    def build(**run: Any) -> Settings:
        return Settings(
            config_path=config,
            timeout=timeout,
            poll_interval=poll,
            max_poll_interval=max_poll,
            on_unavailable=on_unavailable,
            debug=debug,
            **run,
        )

    from_file, _name = sources.value("from_file")
    if from_file is not None:
        # Offline: the ids come from the saved answer; a workspace, when given, only makes the link.
        has_workspace = sources.value("base_url")[0] or sources.value("subdomain")[0]
        api_root, workspace_url = _workspace(sources, None) if has_workspace else (None, None)
        return build(
            api_root=api_root,
            workspace_url=workspace_url,
            api_key=None,
            project_id=None,
            run_id=None,
            ci_build_id=None,
            from_file=from_file.strip(),
        )
    name = run_name(sources)
    api_root, workspace_url = _workspace(sources, name.workspace)
    return build(
        api_root=api_root,
        workspace_url=workspace_url,
        api_key=api_key(sources),
        project_id=name.project_id,
        run_id=name.run_id,
        ci_build_id=name.ci_build_id,
        from_file=None,
    )
