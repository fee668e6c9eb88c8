"""One frozen Settings built from flags, action inputs (INPUT_*) and PLAYDASH_* variables, in that order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from gate.ci import MAX_BRANCH, branch_name
from gate.errors import SetupError
from gate.flight import DEFAULT_IN_FLIGHT, MAX_IN_FLIGHT
from gate.settings.sources import (
    DEFAULT_CONFIG,
    DEFAULT_MAX_POLL_INTERVAL,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_TIMEOUT,
    MIN_IN_FLIGHT,
    SETTING_CHARS,
    Sources,
    quoted,
)
from gate.settings.values import (
    ID,
    SUBDOMAIN,
    header_secret,
    parse_base_url,
    parse_duration,
    parse_run_url,
    run_page,
)
from gate.text import cut


@dataclass(frozen=True)
class RunById:
    """The run named by its ids (given, or read from its dashboard address)."""

    project_id: str
    run_id: str


@dataclass(frozen=True)
class RunByBuildId:
    """The run to be found by the CI build id its reporter was given (it may not exist yet)."""

    project_id: str
    ci_build_id: str


@dataclass(frozen=True)
class SavedAnswer:
    """A saved Get run answer to judge offline: a file, or `-` for standard input."""

    source: str

    @property
    def where(self) -> str:
        """How messages name it."""
        return "standard input" if self.source == "-" else self.source


Target = RunById | RunByBuildId | SavedAnswer


@dataclass(frozen=True)
class Connection:
    """How to reach the API: online only. The key is never part of its repr."""

    api_root: str
    api_key: str = field(repr=False)


@dataclass(frozen=True)
class Settings:
    """Everything the gate needs to run, checked once: what names the run, how to reach the API, the limits.

    `connection` is None exactly when the target is a SavedAnswer; `workspace_url` (for the run's link)
    may be given offline too.
    """

    target: Target
    connection: Connection | None
    workspace_url: str | None
    config_path: Path | None
    timeout: float
    poll_interval: float
    max_poll_interval: float
    on_unavailable: Literal["fail", "pass"] = "fail"
    # `report`: a failing run or no verdict exits 0, and every report says what the gate would have done.
    mode: Literal["enforce", "report"] = "enforce"
    # The branch the change merges into, as given (--target-branch); else the CI's (gate.ci) is used.
    target_branch: str | None = None
    debug: bool = False
    # The most requests to NeetoPlaydash in flight at once (`--max-in-flight`), across everything the gate asks.
    max_in_flight: int = DEFAULT_IN_FLIGHT

    @property
    def project_id(self) -> str | None:
        """The project's id when the settings name it (online)."""
        return None if isinstance(self.target, SavedAnswer) else self.target.project_id

    @property
    def run_id(self) -> str | None:
        """The run's id when the settings name it."""
        return self.target.run_id if isinstance(self.target, RunById) else None

    @property
    def run_url(self) -> str | None:
        """The run's page in the NeetoPlaydash dashboard, once its id is known."""
        if self.workspace_url and self.project_id and self.run_id:
            return run_page(self.workspace_url, self.project_id, self.run_id)
        return None


def _workspace(sources: Sources, from_run_url: tuple[str, str] | None) -> tuple[str, str]:
    base, base_name = sources.value("base_url")
    sub, sub_name = sources.value("subdomain")
    from_sub = None
    if sub is not None:
        if not SUBDOMAIN.match(sub.strip()):
            raise SetupError(
                f"{sub_name} must be the workspace's subdomain only (e.g. acme for acme.neetoplaydash.com), "
                f"not {quoted(sub)}; give a full address with --base-url"
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
            f"{base_name} ({cut(from_base[1], SETTING_CHARS)}) and {sub_name} ({from_sub[1]}) name different "
            "workspaces; give only one"
        )
    return from_base


def _identifier(sources: Sources, dest: str) -> str | None:
    raw, name = sources.value(dest)
    if raw is None:
        return None
    if not ID.match(raw.strip()):
        raise SetupError(f"{name} must be an id of letters, digits, '-' or '_' (e.g. pdqmxlz), not {quoted(raw)}")
    return raw.strip()


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
    return header_secret(raw, name, "an API key")


def github_token(sources: Sources) -> str | None:
    """The GitHub token, from the action input or GITHUB_TOKEN, checked as the key is; None when not given."""
    raw, name = sources.value("github_token")
    return None if raw is None else header_secret(raw, name, "a GitHub token")


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
            f"{name}: the config file {cut(str(path), 2 * SETTING_CHARS)} does not exist (or is not a file); "
            "fix the path or drop it"
        )
    return path


def _in_flight(sources: Sources) -> int:
    raw, name = sources.value("max_in_flight")
    if raw is None:
        return DEFAULT_IN_FLIGHT
    value = raw.strip()
    # ASCII digits only (int() would also take `٤`, `+4` or `4_0`), and few of them (int() of thousands raises).
    if not (value.isascii() and value.isdigit() and len(value) <= 3 and MIN_IN_FLIGHT <= int(value) <= MAX_IN_FLIGHT):
        raise SetupError(
            f"{name} must be a whole number from {MIN_IN_FLIGHT} to {MAX_IN_FLIGHT} (the most requests to "
            f"NeetoPlaydash in flight at once; default {DEFAULT_IN_FLIGHT}), not {quoted(raw)}"
        )
    return int(value)


def _duration(sources: Sources, dest: str, default: float) -> float:
    raw, name = sources.value(dest)
    return default if raw is None else parse_duration(raw, name)


# The words of the settings that choose between ways, the default first, each with what it means.
ON_UNAVAILABLE = {"fail": "the default: no verdict fails the job", "pass": "no verdict lets the job pass, loudly"}
MODES = {
    "enforce": "the default: the gate's exit code decides the job",
    "report": "a failing run or no verdict exits 0, and every report says so",
}


def _choice(sources: Sources, dest: str, meanings: Mapping[str, str]) -> str:
    """One of a setting's words (the first is the default), case and spaces aside; else what each would mean."""
    raw, name = sources.value(dest)
    words = list(meanings)
    value = (raw or words[0]).strip().lower()
    if value not in meanings:
        choices = " or ".join(f"{word} ({meaning})" for word, meaning in meanings.items())
        raise SetupError(f"{name} must be {choices}, not {quoted(raw or '')}")
    return value


def _target_branch(sources: Sources) -> str | None:
    raw, name = sources.value("target_branch")
    if raw is None or not raw.strip():
        return None
    value = branch_name(raw)
    if value is None:
        raise SetupError(
            f"{name} must be a branch's name (such as main or release/1.0: no spaces, no control characters, "
            f"at most {MAX_BRANCH} characters), not {quoted(raw)}"
        )
    return value


def report_mode_asked(sources: Sources) -> bool:
    """Whether `--mode report` is asked for, read leniently: the reports of a set-up error say it too."""
    raw, _name = sources.value("mode")
    return (raw or "").strip().lower() == "report"


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
    unavailable = _choice(sources, "on_unavailable", ON_UNAVAILABLE)
    on_unavailable: Literal["fail", "pass"] = "pass" if unavailable == "pass" else "fail"
    mode: Literal["enforce", "report"] = "report" if _choice(sources, "mode", MODES) == "report" else "enforce"
    target_branch = _target_branch(sources)
    in_flight = _in_flight(sources)

    def build(target: Target, connection: Connection | None, workspace_url: str | None) -> Settings:
        return Settings(
            target=target,
            connection=connection,
            workspace_url=workspace_url,
            config_path=config,
            timeout=timeout,
            poll_interval=poll,
            max_poll_interval=max_poll,
            on_unavailable=on_unavailable,
            mode=mode,
            target_branch=target_branch,
            debug=sources.debug,
            max_in_flight=in_flight,
        )

    from_file, _name = sources.value("from_file")
    if from_file is not None:
        # Offline: the ids come from the saved answer; a workspace, when given, only makes the link.
        has_workspace = sources.value("base_url")[0] or sources.value("subdomain")[0]
        workspace_url = _workspace(sources, None)[1] if has_workspace else None
        return build(SavedAnswer(from_file.strip()), None, workspace_url)
    name = run_name(sources)
    api_root, workspace_url = _workspace(sources, name.workspace)
    connection = Connection(api_root, api_key(sources))
    assert name.project_id is not None  # run_name refuses a run named without its project
    if name.run_id is not None:
        return build(RunById(name.project_id, name.run_id), connection, workspace_url)
    assert name.ci_build_id is not None  # run_name refuses a run not named at all
    return build(RunByBuildId(name.project_id, name.ci_build_id), connection, workspace_url)
