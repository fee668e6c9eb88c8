"""Several runs in one gate (a monorepo, a matrix): named together, judged at once, one verdict, one set of reports.

`main()` in-process against the simulator serving several projects, over real HTTP, on the simulated clock.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from gate.clock import Clock
from gate.simulator import SimRun
from gate.simulator.server import Simulator
from tests.conftest import API_KEY, assert_valid_verdict, config, gate_env

WEB = SimRun(project_id="web", run_id="rweb", counts={"passed": 20, "failed": 2}, finish_after_polls=2)
API = SimRun(project_id="api", run_id="rapi", counts={"passed": 30, "flaky": 1}, finish_after_polls=1)
DOCS = SimRun(project_id="docs", run_id="rdocs", counts={"passed": 5})


def urls(sim: Simulator, *runs: SimRun) -> str:
    """The runs' addresses, one a line, as a variable or an input holds them."""
    return "\n".join(f"{sim.base_url}/projects/{run.project_id}/runs/{run.run_id}" for run in runs)


def many_env(sim: Simulator, *runs: SimRun, **extra: str) -> dict[str, str]:
    """The gate pointed at several runs of the simulator by their addresses."""
    env = gate_env(sim, PLAYDASH_RUN_URL=urls(sim, *runs), **extra)
    for name in ("PLAYDASH_PROJECT_ID", "PLAYDASH_RUN_ID", "PLAYDASH_BASE_URL"):
        env.pop(name)
    return env


def gets(sim: Simulator, project: str) -> list[dict[str, object]]:
    """The requests the simulator saw for a project's runs."""
    return [request for request in sim.requests if f"/projects/{project}/" in str(request["path"])]


def test_three_runs_one_failing_give_one_failed_gate_and_every_report(
    simulator, run_cli, simulated: Clock, tmp_path: Path
) -> None:
    sim = simulator(WEB, API, DOCS)
    env = many_env(
        sim,
        WEB,
        API,
        DOCS,
        PLAYDASH_JUNIT_FILE=str(tmp_path / "junit.xml"),
        PLAYDASH_RERUN_FILE=str(tmp_path / "rerun-{project}.txt"),
    )
    result = run_cli(env=env, clock=simulated)
    assert result.code == 1, result.output
    # One block per run, then one line for the gate.
    assert result.stdout.count("── ") == 3
    assert "web: failed: 2 failed tests (limit 0)" in result.stdout
    assert "api: passed: 31 tests, 0 failed, 1 flaky" in result.stdout
    assert result.stdout.rstrip().endswith("✖ gate failed: 3 runs: 1 failed (web), 2 passed   (exit 1)")
    # Progress lines say which run they are about; the polls are not folded in log groups that would interleave.
    assert "[web] waiting: " in result.stdout and "[api] finished: passed" in result.stdout
    # The summary: the overview first, then a section per run, a passed one folded.
    summary = result.summary
    assert summary.startswith("## ❌ Playwright gate failed — 3 runs: 1 failed \\(web\\), 2 passed")
    assert summary.index("| web |") < summary.index("| api |") < summary.index("| docs |")
    assert "### ❌ web: failed — 2 failed tests" in summary
    assert "<details><summary>✅ api: passed — 31 tests, 0 failed, 1 flaky</summary>" in summary
    # The JSON verdict: version 3, the gate's ending and totals on top, each run's version 2 object in `runs`.
    verdict = result.verdict
    assert (verdict["schema_version"], verdict["verdict"], verdict["exit_code"]) == (3, "fail", 1)
    assert verdict["totals"]["runs"] == 3 and verdict["totals"]["failed"] == 1 and verdict["totals"]["passed"] == 2
    assert verdict["totals"]["failed_tests"] == 2 and verdict["totals"]["tests"] == 58
    assert [(run["label"], run["verdict"], run["schema_version"]) for run in verdict["runs"]] == [
        ("web", "fail", 2),
        ("api", "pass", 2),
        ("docs", "pass", 2),
    ]
    assert [test["title"] for test in verdict["runs"][0]["failed_tests"]] == ["failed test 1", "failed test 2"]
    assert verdict["project_id"] is None and verdict["failed_tests"] is None
    # JUnit: one test suite per run; a rerun file per run.
    junit = (tmp_path / "junit.xml").read_text()
    assert junit.count("<testsuite ") == 3 and '<testsuite name="web" tests="8" failures="3"' in junit
    assert (tmp_path / "rerun-web.txt").read_text() == "spec-0000.spec.ts\nspec-0001.spec.ts\n"
    assert (tmp_path / "rerun-api.txt").read_text() == ""
    assert all(request["key_ok"] for request in sim.requests)
    assert API_KEY not in result.output + summary


def test_a_single_run_keeps_every_version_2_field_at_the_top(simulator, run_cli, simulated: Clock) -> None:
    sim = simulator(SimRun(counts={"passed": 3, "failed": 1}))
    result = run_cli(env=gate_env(sim), clock=simulated)
    assert result.code == 1
    verdict = result.verdict
    assert verdict["schema_version"] == 3 and verdict["project_id"] == "pdqmxlz"
    assert [test["title"] for test in verdict["failed_tests"]] == ["failed test 1"]
    (run,) = verdict["runs"]
    assert run["schema_version"] == 2 and run["failed_tests"] == verdict["failed_tests"]
    assert {key: value for key, value in run.items() if key not in ("schema_version", "label")} == {
        key: value for key, value in verdict.items() if key not in ("schema_version", "totals", "runs")
    }
    assert verdict["totals"] == {**verdict["totals"], "runs": 1, "failed": 1, "tests": 4, "failed_tests": 1}


def test_each_project_of_a_build_is_found_by_its_build_id(simulator, run_cli, simulated: Clock) -> None:
    runs = [
        SimRun(project_id=project, run_id=f"r{project}", ci_build_id="b-77", counts={"passed": 4})
        for project in ("web", "api", "docs")
    ]
    sim = simulator(*runs)
    env = gate_env(sim, PLAYDASH_CI_BUILD_ID="b-77", PLAYDASH_PROJECT_ID="web, api\ndocs")
    env.pop("PLAYDASH_RUN_ID")
    result = run_cli(env=env, clock=simulated)
    assert result.code == 0, result.output
    assert "✔ gate passed: 3 runs: 3 passed   (exit 0)" in result.stdout
    assert [run["run_id"] for run in result.verdict["runs"]] == ["rweb", "rapi", "rdocs"]
    # Each project's List runs was read: the run of the build was found in its own project.
    assert {
        str(request["path"]).split("/")[-2] for request in sim.requests if str(request["path"]).endswith("/runs")
    } == {
        "web",
        "api",
        "docs",
    }


def test_project_ids_as_repeated_flags(simulator, run_cli, simulated: Clock) -> None:
    runs = [SimRun(project_id=project, run_id=f"r{project}", ci_build_id="b-8") for project in ("web", "api")]
    sim = simulator(*runs)
    env = gate_env(sim)
    for name in ("PLAYDASH_PROJECT_ID", "PLAYDASH_RUN_ID"):
        env.pop(name)
    result = run_cli("--project-id", "web", "--project-id", "api", "--ci-build-id", "b-8", env=env, clock=simulated)
    assert result.code == 0, result.output
    assert [run["label"] for run in result.verdict["runs"]] == ["web", "api"]


def test_the_same_run_named_twice_under_two_spellings_is_one_run(simulator, run_cli, simulated: Clock) -> None:
    sim = simulator(DOCS)
    host = sim.base_url.replace("http://", "HTTP://")
    env = many_env(sim, DOCS)
    env["PLAYDASH_RUN_URL"] += f"\n  {host}/projects/docs/runs/rdocs/?tab=tests#top  \n"
    result = run_cli(env=env, clock=simulated)
    assert result.code == 0, result.output
    # One run: judged once, and reported as a gate of one run is.
    assert len(result.verdict["runs"]) == 1 and result.verdict["project_id"] == "docs"
    assert "── " not in result.stdout and result.summary.startswith("## ✅ Playwright gate passed — 5 tests")
    assert len([r for r in gets(sim, "docs") if not r["query"]]) == 1


def test_twenty_runs_are_judged_and_twenty_one_refused(simulator, run_cli, simulated: Clock) -> None:
    runs = [SimRun(project_id=f"p{index:02d}", run_id="r", counts={"passed": 1}) for index in range(21)]
    sim = simulator(*runs)
    result = run_cli(env=many_env(sim, *runs[:20]), clock=simulated)
    assert result.code == 0, result.output
    assert result.verdict["totals"]["passed"] == 20
    before = len(sim.requests)
    refused = run_cli(env=many_env(sim, *runs), clock=simulated)
    assert refused.code == 2
    assert "21 runs named (PLAYDASH_RUN_URL): one gate judges at most 20" in refused.stderr
    assert len(sim.requests) == before  # refused before any request


@pytest.mark.parametrize(
    ("env", "flags", "said"),
    [
        ({"PLAYDASH_PROJECT_ID": "web,ap$i", "PLAYDASH_CI_BUILD_ID": "b"}, [], "PLAYDASH_PROJECT_ID must be an id"),
        ({"PLAYDASH_PROJECT_ID": "web\u2028api", "PLAYDASH_CI_BUILD_ID": "b"}, [], "PLAYDASH_PROJECT_ID must be an id"),
        (
            {"PLAYDASH_PROJECT_ID": "web api", "PLAYDASH_RUN_ID": "r"},
            [],
            "PLAYDASH_RUN_ID names one run, of one project",
        ),
        ({}, ["--project-id", "web", "--project-id", "api", "--run-id", "r"], "--run-id names one run"),
        ({"PLAYDASH_PROJECT_ID": "web"}, ["--run-url", "{url}", "--run-url", "{url2}"], "give the addresses alone"),
        ({}, ["--run-url", "{url}", "--run-url", "https://evil.example/projects/x/runs/y"], "two workspaces"),
        (
            {"PLAYDASH_RERUN_FILE": "rerun.txt"},
            ["--run-url", "{url}", "--run-url", "{url2}"],
            "PLAYDASH_RERUN_FILE names one file, but the gate judges 2 runs",
        ),
    ],
    ids=["odd characters", "line separator", "run id and two projects", "flags", "ids and urls", "origin", "rerun"],
)
def test_runs_named_wrongly_are_a_set_up_error_before_any_request(
    simulator, run_cli, simulated: Clock, env: dict[str, str], flags: list[str], said: str
) -> None:
    sim = simulator(WEB, API)
    filled = [
        flag.format(url=f"{sim.base_url}/projects/web/runs/rweb", url2=f"{sim.base_url}/projects/api/runs/rapi")
        for flag in flags
    ]
    base = gate_env(sim)
    for name in ("PLAYDASH_PROJECT_ID", "PLAYDASH_RUN_ID"):
        base.pop(name)
    result = run_cli(*filled, env={**base, **env}, clock=simulated)
    assert result.code == 2, result.output
    assert said in result.stderr
    assert sim.requests == []
    assert "evil.example" not in "".join(str(request) for request in sim.requests)


def test_one_runs_api_failing_while_the_others_pass_gives_no_verdict(simulator, run_cli, simulated: Clock) -> None:
    broken = SimRun(project_id="api", run_id="rapi", faults=[{"status": 503}] * 400)
    sim = simulator(WEB, broken, DOCS)
    result = run_cli(env=many_env(sim, DOCS, broken, PLAYDASH_TIMEOUT="30s"), clock=simulated)
    assert result.code == 3, result.output
    assert "3 runs" not in result.stdout and "2 runs: 1 gave no verdict (api), 1 passed" in result.stderr
    runs = {run["label"]: run for run in result.verdict["runs"]}
    assert runs["api"]["error_kind"] == "unavailable" and runs["docs"]["verdict"] == "pass"
    # Each run keeps its own retries: the healthy one was not slowed to the broken one's end.
    assert len(gets(sim, "docs")) == 1
    let_through = run_cli(
        env=many_env(sim, DOCS, broken, PLAYDASH_TIMEOUT="30s", PLAYDASH_ON_UNAVAILABLE="pass"), clock=simulated
    )
    assert let_through.code == 0, let_through.output
    assert let_through.verdict["passed_on_unavailable"] is True
    assert let_through.verdict["totals"]["let_through"] == 1


def test_a_retry_after_past_the_deadline_on_one_run_holds_no_other_run_back(simulator, run_cli) -> None:
    # The API throttles one project for an hour: that run gives up at once, and its wish must not pause the
    # requests the runs share, or the failing run would end unanswered and `--on-unavailable pass` let it through.
    throttled = SimRun(project_id="api", run_id="rapi", faults=[{"status": 429, "retry_after": 3600}] * 400)
    sim = simulator(WEB, throttled)
    env = many_env(sim, WEB, throttled, PLAYDASH_TIMEOUT="3s", PLAYDASH_ON_UNAVAILABLE="pass")
    result = run_cli(env=env)  # the real clock: the pause it must not take would be waited in real time
    assert result.code == 1, result.output
    runs = {run["label"]: run for run in result.verdict["runs"]}
    assert runs["web"]["verdict"] == "fail" and runs["api"]["error_kind"] == "unavailable"


def test_a_saved_answer_is_refused_where_projects_give_their_own_policy(run_cli, tmp_path: Path) -> None:
    # The top level allows 50 failures; the project none: a saved answer cannot say whose it is, so no pass.
    path = config(tmp_path, "thresholds:\n  failed: 50\nprojects:\n  web:\n    thresholds: {failed: 0}\n")
    saved = Path(__file__).resolve().parents[1] / "data" / "get-run-example.json"
    result = run_cli("--from-file", str(saved), "--config", str(path))
    assert result.code == 2, result.output
    assert "--from-file: the config" in result.stderr and "`projects:`" in result.stderr


def test_a_failure_wins_over_no_verdict_and_a_set_up_error_over_both(simulator, run_cli, simulated: Clock) -> None:
    broken = SimRun(project_id="api", run_id="rapi", faults=[{"status": 503}] * 400)
    sim = simulator(WEB, broken, DOCS)
    failed = run_cli(env=many_env(sim, WEB, broken, PLAYDASH_TIMEOUT="30s"), clock=simulated)
    assert failed.code == 1 and failed.verdict["verdict"] == "fail", failed.output
    missing = SimRun(project_id="gone", run_id="rgone")
    env = many_env(sim, WEB, broken, missing, PLAYDASH_TIMEOUT="30s")
    setup = run_cli(env=env, clock=simulated)
    assert setup.code == 2, setup.output
    assert setup.verdict["error_kind"] == "setup" and setup.verdict["totals"]["setup_error"] == 1


def test_fail_fast_ends_the_gate_at_the_first_run_that_fails(
    simulator, run_cli, simulated: Clock, tmp_path: Path
) -> None:
    endless = SimRun(project_id="slow", run_id="rslow", finish_after_polls=10_000)
    sim = simulator(WEB, endless)
    env = many_env(sim, endless, WEB, PLAYDASH_CONFIG=str(config(tmp_path, "fail_fast: true\n")))
    result = run_cli(env=env, clock=simulated)
    assert result.code == 1, result.output
    runs = {run["label"]: run for run in result.verdict["runs"]}
    assert runs["slow"]["error_kind"] == "not_waited_for" and runs["slow"]["status"] == "running"
    assert "2 runs: 1 failed (web), 1 not waited for (slow)" in result.stdout
    assert "slow: not waited for: the run of web failed the gate first" in result.stdout


def test_a_cancel_ends_every_run_and_reports_what_each_had_reached(simulator, run_cli, tmp_path: Path) -> None:
    first = SimRun(project_id="web", run_id="rweb", finish_after_polls=100_000)
    second = SimRun(project_id="api", run_id="rapi", finish_after_polls=100_000)
    sim = simulator(first, second)
    env = many_env(sim, first, second, PLAYDASH_POLL_INTERVAL="0.05s", PLAYDASH_MAX_POLL_INTERVAL="0.05s")

    def cancel_once_both_are_polled() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if len(gets(sim, "web")) > 1 and len(gets(sim, "api")) > 1:
                # Only while the gate waits (its runs never finish): its handler turns the signal into a cancel.
                os.kill(os.getpid(), signal.SIGTERM)
                return
            time.sleep(0.01)

    threading.Thread(target=cancel_once_both_are_polled, daemon=True).start()
    result = run_cli(env=env)
    assert result.code == 3, result.output
    assert result.verdict["error_kind"] == "cancelled" and result.verdict["totals"]["cancelled"] == 2
    for run in result.verdict["runs"]:
        assert run["error_kind"] == "cancelled" and run["status"] == "running"
    assert "Last seen: running" in result.summary


def test_the_runs_output_is_compact_json_and_the_counts_are_sums(simulator, run_cli, simulated: Clock, tmp_path):
    sim = simulator(WEB, API)
    output = tmp_path / "github_output"
    env = many_env(sim, WEB, API, GITHUB_ACTIONS="true", GITHUB_OUTPUT=str(output))
    result = run_cli(env=env, clock=simulated)
    assert result.code == 1
    lines = output.read_text().split("\n")
    # Each value is one line of its heredoc (the `runs` JSON too: compact, on one line).
    values = {line.split("<<")[0]: lines[index + 1] for index, line in enumerate(lines) if "<<ghadelimiter_" in line}
    assert (values["verdict"], values["exit-code"], values["failed"], values["flaky"], values["total"]) == (
        "fail",
        "1",
        "2",
        "1",
        "53",
    )
    runs = json.loads(values["runs"])
    assert [(run["label"], run["verdict"], run["failed"]) for run in runs] == [("web", "fail", 2), ("api", "pass", 0)]
    assert "\n" not in values["runs"] and len(values["runs"]) < 1_000
    # One annotation for the gate, one for the failed run, then its failed tests.
    assert "::error title=Playwright gate failed::" in result.stdout
    assert "::error title=Playwright gate · web failed::" in result.stdout
    assert (
        "::error file=spec-0000.spec.ts,title=Failed in web%3A failed test 1::Failed in web: failed test 1"
        in result.stdout
    )
    assert_valid_verdict(result.json_path)


PROJECTS = """\
thresholds: {failed: 0}
projects:
  web:
    name: Web shop
    thresholds: {failed: 3}
    quarantine:
      - {test: "failed test 2", reason: "SHOP-7", until: 2099-12-31}
  docs: {name: "Docs <b>|`x`"}
  gone: {name: Retired}
"""


def test_each_project_is_judged_by_its_own_policy_and_named_by_it(
    simulator, run_cli, simulated: Clock, tmp_path: Path
) -> None:
    sim = simulator(WEB, API, DOCS)
    env = many_env(sim, WEB, API, DOCS, PLAYDASH_CONFIG=str(config(tmp_path, PROJECTS)))
    result = run_cli(env=env, clock=simulated)
    # web's own limit (3 failed) lets its 2 failures through; the others keep the top level's.
    assert result.code == 0, result.output
    runs = {run["label"]: run for run in result.verdict["runs"]}
    assert set(runs) == {"Web shop", "api", "Docs <b>|`x`"}
    web = runs["Web shop"]
    assert web["effective_limits"]["failed"] == 3
    assert [test["entry"] for test in web["quarantined_tests"]] == ["projects.web.quarantine[0]"]
    assert runs["api"]["effective_limits"]["failed"] == 0
    # A label is text from the config: made inert in each format.
    assert "Docs &lt;b&gt;" in result.summary
    assert "<b>" not in result.summary
    # A project in `projects:` that no run is of: a warning, in the console and the reports.
    assert "warning: the config's `projects:` names gone, which no run of this gate is of" in result.stderr
    assert "names gone, which no run of this gate is of" in result.summary


def test_validate_shows_the_policy_in_force_for_a_project(tmp_path: Path) -> None:
    from tests.conftest import validate_config

    path = config(tmp_path, PROJECTS)
    shown = validate_config(str(path), "--project-id", "web", cwd=tmp_path)
    assert shown.code == 0, shown.output
    assert "project web (Web shop): projects.web merged over the top level" in shown.stdout
    assert "thresholds: failed tests <= 3" in shown.stdout
    assert "projects.web.quarantine[0] (test 'failed test 2'): in force" in shown.stdout
    top = validate_config(str(path), cwd=tmp_path)
    assert "thresholds: failed tests <= 0" in top.stdout
    assert "projects with a policy of their own (see each with --project-id): web, docs, gone" in top.stdout
    other = validate_config(str(path), "--project-id", "api", cwd=tmp_path)
    assert "`projects:` has no api" in other.stdout and "failed tests <= 0" in other.stdout


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('projects:\n  "we b": {}\n', "projects: 'we b' is not a project id"),
        ("projects:\n  web: {thresholds: {faild: 1}}\n", "projects.web.thresholds.faild: unknown key"),
        ("projects:\n  web: {warn: {failed: 1}}\n", "projects.web.warn: unknown key"),
        ("projects:\n  web: {history: {days: 3}}\n", "projects.web.history.branch: is required here"),
        ("projects:\n  web: 5\n", "projects.web: must be a mapping"),
        ("projects: [web]\n", "projects: must be a mapping of project ids"),
    ],
)
def test_a_bad_projects_section_is_named_by_its_key_path(tmp_path: Path, text: str, problem: str) -> None:
    from tests.conftest import validate_config

    result = validate_config(str(config(tmp_path, text)), cwd=tmp_path)
    assert result.code == 2
    assert problem in result.stderr, result.stderr


def test_two_runs_of_one_project_are_told_apart(simulator, run_cli, simulated: Clock, tmp_path: Path) -> None:
    first = SimRun(project_id="web", run_id="chromium", counts={"passed": 3, "failed": 1})
    second = SimRun(project_id="web", run_id="firefox", counts={"passed": 4})
    sim = simulator(first, second)
    env = many_env(sim, first, second, PLAYDASH_RERUN_FILE=str(tmp_path / "rerun-{project}.txt"))
    result = run_cli(env=env, clock=simulated)
    assert result.code == 1, result.output
    assert [run["label"] for run in result.verdict["runs"]] == ["web · run chromium", "web · run firefox"]
    assert (tmp_path / "rerun-web-chromium.txt").read_text() == "spec-0000.spec.ts\n"
    assert (tmp_path / "rerun-web-firefox.txt").read_text() == ""


def test_report_mode_lets_a_failing_gate_of_several_runs_through(simulator, run_cli, simulated: Clock) -> None:
    sim = simulator(WEB, DOCS)
    result = run_cli(env=many_env(sim, WEB, DOCS, PLAYDASH_MODE="report"), clock=simulated)
    assert result.code == 0, result.output
    verdict = result.verdict
    assert (verdict["verdict"], verdict["exit_code"], verdict["would_exit"], verdict["enforced"]) == (
        "fail",
        0,
        1,
        False,
    )
