"""Several runs named: flags given again, variables and inputs one a line (or, for project ids, separated by
commas or spaces), each run once, at most 20, of one workspace."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gate.errors import SetupError
from gate.settings import MAX_RUNS, RunByBuildId, RunById, Sources, resolve

WORKSPACE = "https://acme.neetoplaydash.com"
KEY = {"PLAYDASH_API_KEY": "k-123"}


def targets(flags: dict[str, object] | None = None, **env: str) -> tuple[object, ...]:
    return resolve(Sources(flags=flags or {}, env={**KEY, **env})).targets


def url(project: str, run: str) -> str:
    return f"{WORKSPACE}/projects/{project}/runs/{run}"


def test_project_ids_in_a_variable_part_at_lines_commas_and_spaces() -> None:
    found = targets(
        PLAYDASH_PROJECT_ID="web,api \r\n docs\t\nadmin,,", PLAYDASH_CI_BUILD_ID="b-1", PLAYDASH_SUBDOMAIN="acme"
    )
    assert found == tuple(RunByBuildId(project, "b-1") for project in ("web", "api", "docs", "admin"))


def test_an_input_takes_several_too_and_wins_over_the_variable() -> None:
    env = {"INPUT_PROJECT-ID": "web\napi", "PLAYDASH_PROJECT_ID": "ignored", "PLAYDASH_CI_BUILD_ID": "b"}
    assert [target.project_id for target in targets(**env, PLAYDASH_SUBDOMAIN="acme")] == ["web", "api"]


def test_a_flag_given_again_is_one_value_each_never_split() -> None:
    flags = {"project_id": ["web", "api"], "ci_build_id": "b", "subdomain": "acme"}
    assert [target.project_id for target in targets(flags)] == ["web", "api"]
    with pytest.raises(SetupError, match="--project-id must be an id of letters, digits"):
        targets({"project_id": ["web api"], "ci_build_id": "b", "subdomain": "acme"})


@pytest.mark.parametrize("separator", ["\u2028", "\x85", "\x0c", "\x1c", "\u3000"])
def test_a_character_only_other_readers_end_a_line_at_is_refused_not_split(separator: str) -> None:
    if not separator.isascii():  # ASCII whitespace parts project ids, as spaces do
        with pytest.raises(SetupError, match="PLAYDASH_PROJECT_ID must be an id"):
            targets(PLAYDASH_PROJECT_ID=f"web{separator}api", PLAYDASH_CI_BUILD_ID="b", PLAYDASH_SUBDOMAIN="acme")
    with pytest.raises(SetupError, match="PLAYDASH_RUN_URL must "):
        targets(PLAYDASH_RUN_URL=f"{url('web', 'r1')}{separator}{url('api', 'r2')}")


def test_run_urls_one_a_line_give_the_runs_and_the_workspace() -> None:
    settings = resolve(
        Sources(flags={}, env={**KEY, "PLAYDASH_RUN_URL": f"{url('web', 'r1')}\r\n\n{url('api', 'r2')}\n"})
    )
    assert settings.targets == (RunById("web", "r1"), RunById("api", "r2"))
    assert settings.workspace_url == WORKSPACE and settings.several


def test_the_limit_counts_runs_once_each() -> None:
    many = [url(f"p{index}", "r") for index in range(MAX_RUNS)]
    again = [address.replace("https://", "HTTPS://") + "/" for address in many[:5]]
    assert len(targets(PLAYDASH_RUN_URL="\n".join(many + again))) == MAX_RUNS
    with pytest.raises(SetupError, match="21 runs named \\(PLAYDASH_RUN_URL\\): one gate judges at most 20"):
        targets(PLAYDASH_RUN_URL="\n".join([*many, url("p99", "r")]))


def test_a_run_url_of_another_workspace_is_refused() -> None:
    with pytest.raises(SetupError, match="names runs of two workspaces"):
        targets(PLAYDASH_RUN_URL=f"{url('web', 'r1')}\nhttps://evil.example.com/projects/api/runs/r2")


@given(
    st.lists(st.tuples(st.sampled_from(["web", "api", "Web"]), st.sampled_from(["r1", "r2"])), min_size=1, max_size=8)
)
@example([("web", "r1"), ("web", "r1")])
@example([("web", "r1"), ("Web", "r1")])
def test_each_run_named_is_judged_once_in_the_order_first_named(named: list[tuple[str, str]]) -> None:
    spellings = [url(project, run) + ("/?tab=tests" if index % 2 else "") for index, (project, run) in enumerate(named)]
    found = targets(PLAYDASH_RUN_URL="\n".join(spellings))
    assert found == tuple(RunById(project, run) for project, run in dict.fromkeys(named))
