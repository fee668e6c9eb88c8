"""One frozen Settings built from flags, action inputs (INPUT_*) and PLAYDASH_* variables, in that order."""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
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
        "longest the whole gate may take, e.g. 30m (default 30m)",
        "DUR",
    ),
    Option(
        "poll_interval",
        "--poll-interval",
        "PLAYDASH_POLL_INTERVAL",
        "poll-interval",
        f"first wait between polls, then growing (default {DEFAULT_POLL_INTERVAL:g}s)",
        "DUR",
    ),
    Option(
        "max_poll_interval",
        "--max-poll-interval",
        "PLAYDASH_MAX_POLL_INTERVAL",
        "max-poll-interval",
        f"cap of the wait between polls (default {DEFAULT_MAX_POLL_INTERVAL:g}s)",
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
        "json_file", "--json-file", "PLAYDASH_JSON_FILE", "json-file", "machine-readable verdict, written whole", "PATH"
    ),
)
OPTIONS_BY_DEST = {option.dest: option for option in OPTIONS}


@dataclass(frozen=True)
class Settings:
    """Everything the gate needs to run, checked; the API key is never part of its repr."""

    api_root: str
    workspace_url: str
    api_key: str = field(repr=False)
    project_id: str
    run_id: str
    config_path: Path | None
    timeout: float
    poll_interval: float
    max_poll_interval: float
    summary_file: Path | None
    json_file: Path | None
    debug: bool = False

    @property
    def run_url(self) -> str:
        """The run's page in the NeetoPlaydash dashboard."""
        return f"{self.workspace_url}/projects/{self.project_id}/runs/{self.run_id}"


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


def parse_duration(raw: str, name: str) -> float:
    """`90`, `90s`, `1.5s`, `500ms`, `15m`, `1h` to seconds (more than zero)."""
    match = _DURATION.match(raw)
    seconds = float(match.group(1)) * _UNITS[(match.group(2) or "s").lower()] if match else math.nan
    if not seconds > 0 or math.isinf(seconds):
        raise SetupError(f"{name} must be a duration above zero such as 90, 90s, 1.5s, 15m or 1h, not {raw!r}")
    return seconds


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: the only hosts plain http:// may reach."""
    if host.lower() == "localhost":
        return True
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
        raise SetupError(f"{name} {problem}; got {raw.strip()!r}")
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        raise SetupError(f"{name} has a port that is not a number; got {raw.strip()!r}") from None
    netloc = f"[{host}]" if ":" in host else host
    path = parts.path.rstrip("/")
    workspace_path = path[: -len(API_SUFFIX)] if path.endswith(API_SUFFIX) else path
    workspace = f"{parts.scheme}://{netloc}{port}{workspace_path}"
    return workspace + API_SUFFIX, workspace


def _workspace(sources: Sources) -> tuple[str, str]:
    base, base_name = sources.value("base_url")
    sub, sub_name = sources.value("subdomain")
    from_sub = None
    if sub is not None:
        if not _SUBDOMAIN.match(sub.strip()):
            raise SetupError(
                f"{sub_name} must be the workspace's subdomain only (e.g. acme for acme.neetoplaydash.com), "
                f"not {sub.strip()!r}; give a full address with --base-url"
            )
        from_sub = parse_base_url(f"https://{sub.strip().lower()}.neetoplaydash.com", sub_name)
    if base is None:
        if from_sub is None:
            raise SetupError(
                f"no workspace given: set {sources.label('subdomain')} (e.g. acme) or {sources.label('base_url')}"
            )
        return from_sub
    from_base = parse_base_url(base, base_name)
    if from_sub is not None and from_sub != from_base:
        raise SetupError(
            f"{base_name} ({from_base[1]}) and {sub_name} ({from_sub[1]}) name different workspaces; give only one"
        )
    return from_base


def _identifier(sources: Sources, dest: str) -> str:
    raw, name = sources.value(dest)
    if raw is None:
        raise SetupError(f"no {dest.replace('_', ' ')} given: set {sources.label(dest)}")
    if not _ID.match(raw.strip()):
        raise SetupError(f"{name} must be an id of letters, digits, '-' or '_' (e.g. pdqmxlz), not {raw.strip()!r}")
    return raw.strip()


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
        raise SetupError(f"{name}: the config file {path} does not exist (or is not a file); fix the path or drop it")
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


def resolve(sources: Sources) -> Settings:
    """Check every setting and build Settings, or raise the first SetupError with what to fix."""
    api_root, workspace_url = _workspace(sources)
    timeout = _duration(sources, "timeout", DEFAULT_TIMEOUT)
    poll = _duration(sources, "poll_interval", DEFAULT_POLL_INTERVAL)
    max_poll = _duration(sources, "max_poll_interval", max(DEFAULT_MAX_POLL_INTERVAL, poll))
    if max_poll < poll:
        raise SetupError(
            f"{sources.value('max_poll_interval')[1]} ({max_poll:g}s) is shorter than "
            f"{sources.value('poll_interval')[1]} ({poll:g}s); the cap must be at least the first wait"
        )
    return Settings(
        api_root=api_root,
        workspace_url=workspace_url,
        api_key=api_key(sources),
        project_id=_identifier(sources, "project_id"),
        run_id=_identifier(sources, "run_id"),
        config_path=config_path(sources),
        timeout=timeout,
        poll_interval=poll,
        max_poll_interval=max_poll,
        summary_file=optional_path(sources, "summary_file"),
        json_file=optional_path(sources, "json_file"),
        debug=sources.env.get("RUNNER_DEBUG") == "1" or bool(sources.flags.get("debug")),
    )
