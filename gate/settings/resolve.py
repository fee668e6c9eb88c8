"""One frozen Settings built from flags, action inputs (INPUT_*) and PLAYDASH_* variables, in that order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from gate.ci import MAX_BRANCH, branch_name
from gate.errors import SetupError
from gate.flight import DEFAULT_IN_FLIGHT, MAX_IN_FLIGHT
from gate.settings.runs import RunName, run_names
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
    SUBDOMAIN,
    header_secret,
    parse_base_url,
    parse_duration,
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

    # The runs to judge, one or several (at most MAX_RUNS), each once; a saved answer is judged alone.
    targets: tuple[Target, ...]
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
    def target(self) -> Target:
        """The first run named: the only one of a single-run gate."""
        return self.targets[0]

    @property
    def several(self) -> bool:
        """Whether the gate judges several runs."""
        return len(self.targets) > 1

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

    def build(targets: tuple[Target, ...], connection: Connection | None, workspace_url: str | None) -> Settings:
        return Settings(
            targets=targets,
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
        return build((SavedAnswer(from_file.strip()),), None, workspace_url)
    names = run_names(sources)
    _rerun_file_per_run(sources, len(names))
    api_root, workspace_url = _workspace(sources, names[0].workspace)
    connection = Connection(api_root, api_key(sources))
    return build(tuple(map(_target, names)), connection, workspace_url)


def _target(name: RunName) -> RunById | RunByBuildId:
    assert name.project_id is not None  # run_names refuses a run named without its project
    if name.run_id is not None:
        return RunById(name.project_id, name.run_id)
    assert name.ci_build_id is not None  # run_names refuses a run not named at all
    return RunByBuildId(name.project_id, name.ci_build_id)


# What `--rerun-file` holds where each run's list goes: the run's label (its project id, or its name).
RERUN_PROJECT = "{project}"


def _rerun_file_per_run(sources: Sources, runs: int) -> None:
    """With several runs the rerun list is one file per run: the file's name must say where each goes."""
    raw, name = sources.value("rerun_file")
    if runs > 1 and raw is not None and RERUN_PROJECT not in raw:
        raise SetupError(
            f"{name} names one file, but the gate judges {runs} runs, each with its own list to rerun: put "
            f"{RERUN_PROJECT} in the name (e.g. rerun-{RERUN_PROJECT}.txt), which becomes each run's project"
        )
