"""Which runs the settings name: by their addresses, by a build id for each project, or one run by its ids."""

from __future__ import annotations

from dataclasses import dataclass

from gate.errors import SetupError
from gate.settings.sources import SETTING_CHARS, Sources, quoted
from gate.settings.values import ID, parse_run_url
from gate.text import cut


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
    """How a run was named, checked: ids, or a build id to find it by, and a workspace from a run URL."""

    project_id: str | None
    run_id: str | None
    ci_build_id: str | None
    workspace: tuple[str, str] | None


# The most runs one gate judges: each is polled and listed, and a monorepo's pipeline names a handful.
MAX_RUNS = 20


def _project_ids(sources: Sources) -> tuple[tuple[str, ...], str]:
    values, name = sources.values("project_id")
    for raw in values:
        if not ID.match(raw):
            raise SetupError(f"{name} must be an id of letters, digits, '-' or '_' (e.g. pdqmxlz), not {quoted(raw)}")
    return values, name


def _from_urls(sources: Sources, project_ids: tuple[str, ...], run_id: str | None) -> list[RunName]:
    """The runs named by their addresses, all of one workspace; a single one may be named by its ids too."""
    urls, url_name = sources.values("run_url")
    parsed = [parse_run_url(url, url_name) for url in urls]
    workspace = parsed[0][0]
    for other, _project, _run in parsed[1:]:
        if other != workspace:
            raise SetupError(
                f"{url_name} names runs of two workspaces ({cut(workspace[1], SETTING_CHARS)} and "
                f"{cut(other[1], SETTING_CHARS)}); one gate reads one workspace, with one key: gate each workspace's "
                "runs in a gate of its own"
            )
    if len(parsed) > 1 and (project_ids or run_id):
        dest = "project_id" if project_ids else "run_id"
        raise SetupError(
            f"{sources.value(dest)[1]} and several addresses in {url_name} both name the runs; give the addresses alone"
        )
    if len(parsed) == 1:
        _url_workspace, url_project, url_run = parsed[0]
        project_id = project_ids[0] if len(project_ids) == 1 else None
        for what, mine, theirs in (("run", run_id, url_run), ("project", project_id, url_project)):
            if mine is not None and mine != theirs:
                dest = f"{what}_id"
                raise SetupError(
                    f"{sources.value(dest)[1]} ({mine}) and {url_name} ({theirs}) name different {what}s; give only one"
                )
        if len(project_ids) > 1:
            raise SetupError(
                f"{sources.value('project_id')[1]} names several projects, and {url_name} one run; give the runs by "
                f"their addresses alone, or the projects with {sources.label('ci_build_id')}"
            )
    return [RunName(project, run, None, workspace) for _ws, project, run in parsed]


def run_names(sources: Sources) -> tuple[RunName, ...]:
    """The runs the gate judges, each once (a run named twice is one), at most MAX_RUNS: by their addresses, by
    a build id for each project given, or one run by its ids. Ways that disagree are a set-up error."""
    project_ids, project_name = _project_ids(sources)
    run_id = _identifier(sources, "run_id")
    build_id = _build_id(sources)
    urls, _url_name = sources.values("run_url")
    given = [
        sources.value(dest)[1]
        for dest, value in (("run_id", run_id), ("run_url", urls or None), ("ci_build_id", build_id))
        if value is not None
    ]
    if not given:
        raise SetupError(
            f"no run named: set {sources.label('run_id')} (with {sources.label('project_id')}), "
            f"{sources.label('run_url')}, or {sources.label('ci_build_id')} (with the project id)"
        )
    if build_id is not None and len(given) > 1:
        raise SetupError(f"{' and '.join(given)} both name the run; give only one of them")
    if urls:
        names = _from_urls(sources, project_ids, run_id)
    elif not project_ids:
        raise SetupError(f"no project id given: set {sources.label('project_id')} (e.g. pdqmxlz)")
    elif build_id is not None:
        names = [RunName(project, None, build_id, None) for project in project_ids]
    elif len(project_ids) > 1:
        raise SetupError(
            f"{sources.value('run_id')[1]} names one run, of one project, but {project_name} names "
            f"{len(project_ids)}: give one project id, or name the runs by {sources.label('run_url')}, or by "
            f"{sources.label('ci_build_id')} with the project ids"
        )
    else:
        names = [RunName(project_ids[0], run_id, None, None)]
    unique = tuple(dict.fromkeys(names))
    if len(unique) > MAX_RUNS:
        raise SetupError(
            f"{len(unique)} runs named ({given[0]}): one gate judges at most {MAX_RUNS}; split them over several gates"
        )
    return unique


def run_name(sources: Sources) -> RunName:
    """The first run named (the one of a single-run gate): its project names the gate's comment."""
    return run_names(sources)[0]
