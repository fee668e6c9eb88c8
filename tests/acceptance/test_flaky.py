"""Newly flaky tests end to end: `main()` in-process against the simulator's histories over real HTTP."""

from __future__ import annotations

import datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
import yaml

from gate.simulator import SimRun
from gate.simulator.scenarios import history
from tests.conftest import API_KEY, gate_env

RUN_URL = "https://acme.neetoplaydash.com/projects/pdqmxlz/runs/kftwnab"

HISTORY = "history:\n  branch: main\n  min_runs: 3\n"
STABLE = ["passed"] * 5
FLAKY = ["passed", "failed", "passed", "passed"]


def config(folder: Path, text: str) -> None:
    (folder / ".playdash-gate.yml").write_text(text, encoding="utf-8")


def flaky_run(*ids: str, failed: tuple[str, ...] = (), **histories: list[dict[str, Any]]) -> SimRun:
    """A run with flaky tests (and failed ones) of these ids, and five passed tests without history."""
    tests = [
        {"test_id": test_id, "spec": "cart.spec.ts", "title": f"test {test_id}", "status": status, "duration": 1.0}
        for status, named in (("failed", failed), ("flaky", ids))
        for test_id in named
    ]
    tests += [{"spec": "home.spec.ts", "title": f"fine {i}", "status": "passed", "duration": 1.0} for i in range(5)]
    return SimRun(tests=tests, histories=dict(histories))


def history_paths(sim: Any) -> list[str]:
    return [request["path"] for request in sim.requests if request["path"].endswith("/result_histories")]


def test_a_newly_flaky_test_fails_the_gate_and_a_known_flaky_one_does_not(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, HISTORY + "thresholds:\n  new_flaky: 0\n  flaky: null\n")
    sim = simulator(flaky_run("tnew", "tknown", tnew=history(STABLE), tknown=history(FLAKY)))
    result = run_cli(env=gate_env(sim))
    assert result.code == 1, result.output
    checks = {check["name"]: check for check in result.verdict["checks"]}
    assert (checks["new_flaky"]["actual"], checks["new_flaky"]["limit"], checks["new_flaky"]["passed"]) == (1, 0, False)
    assert [test["title"] for test in result.verdict["new_flaky_tests"]] == ["test tnew"]
    assert result.verdict["new_flaky_tests"][0]["history"] == {
        "class": "new",
        "runs": 5,
        "failures": 0,
        "last": ["passed"] * 5,
    }
    assert "1 newly flaky test (limit 0)" in result.stdout
    assert "NEWFLKY cart.spec.ts › test tnew" in result.stdout
    assert "### Newly flaky tests (1)" in result.summary
    assert "History on the branch, newest first: ✅ passed · ❌ failed · ⌛ timed out · 🔁 flaky" in result.summary
    assert len(history_paths(sim)) == 2


def test_failed_tests_are_looked_up_before_flaky_ones_within_max_lookups(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, HISTORY + "  max_lookups: 2\nthresholds:\n  new_flaky: 0\n  failed: null\n  flaky: null\n")
    sim = simulator(
        flaky_run("tflaky", failed=("tf1", "tf2"), tflaky=history(STABLE), tf1=history(STABLE), tf2=history(FLAKY))
    )
    result = run_cli(env=gate_env(sim))
    # The flaky test was beyond max_lookups: unknown, never counted as newly flaky, and said why.
    assert result.code == 0, result.output
    assert sorted(path.split("/")[-2] for path in history_paths(sim)) == ["tf1", "tf2"]
    assert result.verdict["new_flaky_tests"] == []
    assert result.verdict["flaky_tests"][0]["history"]["class"] == "unknown"
    note = "1 flaky test of unknown history on main not counted as newly flaky (1: not looked up"
    assert note in result.stdout
    assert any(said.startswith(note) for said in result.verdict["notes"])


@pytest.mark.parametrize(
    ("ids", "reason"),
    [
        pytest.param(("tx",), "2 runs in the window, fewer than min_runs (3)", id="too-few-runs"),
        pytest.param(("tx", "TX"), "its id names more than one thing in the run", id="ambiguous-id"),
    ],
)
def test_a_flaky_test_without_evidence_is_unknown_and_never_newly_flaky(
    simulator, run_cli, tmp_path: Path, ids: tuple[str, ...], reason: str
) -> None:
    config(tmp_path, HISTORY + "thresholds:\n  new_flaky: 0\n  flaky: null\n")
    entries = history(["passed"] * 2) if len(ids) == 1 else history(STABLE)
    sim = simulator(flaky_run(*ids, tx=entries, TX=entries))
    result = run_cli(env=gate_env(sim))
    assert result.code == 0, result.output
    assert result.verdict["new_flaky_tests"] == []
    assert "of unknown history on main not counted as newly flaky" in result.stdout
    assert reason in result.stdout


@pytest.mark.parametrize(
    ("limits", "said"),
    [
        pytest.param("", "<summary>Newly flaky tests (1)</summary>", id="listed-without-a-limit"),
        pytest.param("warn:\n  new_flaky: 0\n", "warning: 1 newly flaky test (warn above 0)", id="soft-limit-warns"),
    ],
)
def test_newly_flaky_tests_without_a_hard_limit_are_shown_and_pass(
    simulator, run_cli, tmp_path: Path, limits: str, said: str
) -> None:
    config(tmp_path, HISTORY + "thresholds:\n  flaky: null\n" + limits)
    sim = simulator(flaky_run("tnew", tnew=history(STABLE)))
    result = run_cli(env=gate_env(sim))
    assert result.code == 0, result.output
    assert [test["title"] for test in result.verdict["new_flaky_tests"]] == ["test tnew"]
    assert "new_flaky" not in {check["name"] for check in result.verdict["checks"]}
    assert [warning["name"] for warning in result.verdict["warnings"]] == (["new_flaky"] if limits else [])
    assert said in result.summary + result.stdout


def test_a_rule_may_set_new_flaky_for_its_branch(simulator, run_cli, tmp_path: Path) -> None:
    rule = "rules:\n  - when: {branch: 'feature/*'}\n    thresholds: {new_flaky: 0}\n"
    config(tmp_path, HISTORY + "thresholds:\n  flaky: null\n" + rule)
    sim = simulator(flaky_run("tnew", tnew=history(STABLE)))
    assert run_cli(env=gate_env(sim)).code == 0  # the simulator's run is on main: the rule does not apply
    on_feature = flaky_run("tnew", tnew=history(STABLE))
    on_feature.branch = "feature/x"
    sim = simulator(on_feature)
    assert run_cli(env=gate_env(sim)).code == 1


def test_the_junit_report_fails_a_newly_flaky_test_when_its_check_fails(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, HISTORY + "thresholds:\n  new_flaky: 0\n  flaky: null\n")
    sim = simulator(flaky_run("tnew", "tknown", tnew=history(STABLE), tknown=history(FLAKY)))
    junit = tmp_path / "junit.xml"
    result = run_cli("--junit-file", str(junit), env=gate_env(sim))
    assert result.code == 1
    xml = junit.read_text(encoding="utf-8")
    # The check's case and the newly flaky test's case fail; the known flaky test stays a pass.
    assert xml.count('<failure type="new_flaky"') == 1 and xml.count('<failure type="flaky"') == 1
    assert 'failures="2"' in xml.split("\n")[1]


@pytest.mark.parametrize("where", ["thresholds", "warn"])
def test_new_flaky_without_a_history_section_is_a_config_error_naming_both(run_cli, tmp_path: Path, where: str) -> None:
    config(tmp_path, f"{where}:\n  new_flaky: 0\n")
    result = run_cli("validate")
    assert result.code == 2
    assert f"{where}.new_flaky: needs a `history` section (history.branch)" in result.output


@pytest.mark.parametrize(
    ("projects", "where"),
    [
        ("projects:\n  web:\n    thresholds: {new_flaky: 0}\n", "projects.web.thresholds"),
        (
            "projects:\n  web:\n    rules:\n      - when: {branch: main}\n        thresholds: {new_flaky: 0}\n",
            "projects.web.rules[0].thresholds",
        ),
    ],
)
def test_new_flaky_in_a_project_without_a_history_section_is_a_config_error(
    run_cli, tmp_path: Path, projects: str, where: str
) -> None:
    config(tmp_path, projects)
    result = run_cli("validate")
    assert result.code == 2
    assert f"{where}.new_flaky: needs a `history` section (history.branch)" in result.output
    # The project's own history section is enough.
    config(tmp_path, projects.replace("  web:\n", "  web:\n    history: {branch: main}\n", 1))
    assert run_cli("validate").code == 0


def test_a_projects_new_flaky_fails_its_run(simulator, run_cli, tmp_path: Path) -> None:
    run = flaky_run("tnew", tnew=history(STABLE))
    own = "    history: {branch: main, min_runs: 3}\n    thresholds: {new_flaky: 0}\n"
    config(tmp_path, f"thresholds:\n  flaky: null\nprojects:\n  {run.project_id}:\n{own}")
    result = run_cli(env=gate_env(simulator(run)))
    assert result.code == 1
    assert [test["title"] for test in result.verdict["new_flaky_tests"]] == ["test tnew"]


def test_a_run_without_a_history_section_makes_no_history_request(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, "thresholds:\n  flaky: null\n")
    sim = simulator(flaky_run("tnew", tnew=history(STABLE)))
    result = run_cli(env=gate_env(sim))
    assert result.code == 0
    assert history_paths(sim) == []
    assert result.verdict["new_flaky_tests"] == []


# -- quarantine suggest ---------------------------------------------------------------------------------------

SUGGEST_CONFIG = HISTORY + "quarantine:\n  - spec: old.spec.ts\n    reason: JIRA-1\n    until: 2099-01-01\n"


def suggest_run(*tests: tuple[str, str, str, list[str]]) -> SimRun:
    """A run of (id, status, title, past statuses) tests, and five passed ones."""
    listed = [
        {"test_id": test_id, "spec": "cart.spec.ts", "title": title, "status": status, "duration": 1.0}
        for test_id, status, title, _past in tests
    ]
    listed += [{"spec": "home.spec.ts", "title": f"fine {i}", "status": "passed", "duration": 1.0} for i in range(5)]
    return SimRun(tests=listed, histories={test_id: history(past) for test_id, _s, _t, past in tests})


def suggest_env(sim: Any, **extra: str) -> dict[str, str]:
    """The gate's variables, and those of the reports a CI sets: suggest must write none of them."""
    return gate_env(sim, **extra)


def test_suggest_prints_entries_that_validate_once_pasted_and_writes_nothing_else(
    simulator, run_cli, tmp_path: Path, simulated
) -> None:
    config(tmp_path, SUGGEST_CONFIG)
    sim = simulator(
        suggest_run(
            ("t1", "flaky", "applies a coupon", ["passed", "failed", "passed", "flaky", "passed"]),
            ("t2", "failed", "pays by card", ["failed", "failed", "passed", "passed"]),
            ("t3", "flaky", "rarely flaky", ["passed"] * 9 + ["flaky"]),
            ("t4", "failed", "too new", ["failed", "failed"]),
        )
    )
    result = run_cli("quarantine", "suggest", "--min-rate", "20%", env=suggest_env(sim), clock=simulated)
    assert result.code == 0, result.output
    yaml_text = result.stdout
    # Most unstable first; below the rate, or with fewer than min_runs past runs, nothing.
    assert yaml_text.index('"pays by card"') < yaml_text.index('"applies a coupon"')
    assert "rarely flaky" not in yaml_text and "too new" not in yaml_text
    reason = "failed or was flaky in 2 of 4 past runs on main since 2026-06-14 (failed in this run)"
    assert f'reason: "{reason}"' in yaml_text
    until = simulated.today() + datetime.timedelta(days=14)
    assert f"until: {until.isoformat()}" in yaml_text
    assert "# owner:" in yaml_text
    # Pasted under the config's `quarantine:`, it validates.
    pasted = tmp_path / "pasted.yml"
    pasted.write_text(SUGGEST_CONFIG + yaml_text, encoding="utf-8")
    checked = run_cli("validate", str(pasted))
    assert checked.code == 0, checked.output
    assert "quarantine[2]" in checked.stdout
    # Nothing else written: no step summary, no JSON verdict (the variables are set), progress on stderr.
    assert result.summary == ""
    assert not result.json_path.exists()
    assert "finished" in result.stderr


def test_suggest_without_a_history_section_is_a_setup_error(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, "thresholds:\n  flaky: null\n")
    sim = simulator(suggest_run(("t1", "flaky", "x", ["passed", "failed"] * 3)))
    result = run_cli("quarantine", "suggest", env=suggest_env(sim))
    assert result.code == 2
    assert "needs a `history` section" in result.stderr
    assert result.stdout == ""
    assert sim.requests == []


def test_suggest_names_one_run_not_several(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, HISTORY)
    sim = simulator(suggest_run(("t1", "flaky", "x", ["passed", "failed"] * 3)))
    env = {**suggest_env(sim), "PLAYDASH_RUN_ID": "", "PLAYDASH_CI_BUILD_ID": "b1", "PLAYDASH_PROJECT_ID": "p1\np2"}
    result = run_cli("quarantine", "suggest", env=env)
    assert result.code == 2
    assert "quarantine suggest looks up one run's tests, and 2 runs are named" in result.stderr
    assert result.stdout == ""
    assert sim.requests == []


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--min-rate", "120%"], "--min-rate: must be a rate from 0% to 100%"),
        (["--json-file", "x.json"], "--json-file: quarantine suggest writes nothing but its YAML"),
        (["--from-file", "run.json"], "--from-file: quarantine suggest writes nothing but its YAML"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_suggest_refuses_what_it_cannot_use_by_name(run_cli, tmp_path: Path, args: list[str], said: str) -> None:
    config(tmp_path, HISTORY)
    result = run_cli("quarantine", "suggest", *args, env={"PLAYDASH_API_KEY": API_KEY, "PLAYDASH_RUN_URL": RUN_URL})
    assert result.code == 2
    assert said in result.stderr
    assert result.stdout == ""
    assert result.summary == "" and not result.json_path.exists()


def test_suggest_gives_the_no_verdict_code_when_no_history_could_be_looked_up(
    simulator, run_cli, tmp_path: Path
) -> None:
    config(tmp_path, HISTORY)
    # The run and its flaky page answer; the one history lookup is refused.
    faults = [{"delay": 0}, {"delay": 0}, {"status": 403}]
    sim = simulator(suggest_run(("t1", "flaky", "x", ["passed", "failed"] * 3)), faults=faults)
    result = run_cli("quarantine", "suggest", env=suggest_env(sim))
    assert result.code == 3, result.output
    assert "the history of none of the 1 test could be looked up (the lookup was refused (HTTP 403))" in result.stderr
    assert result.stdout == ""


HOSTILE_TITLES = {
    "new-entry": 'x\n- test: "*"\n  reason: all\n  until: 2099-01-01',
    "key-value": "checkout: total: 3",
    "comment": "pays # not a comment",
    "quotes": "it's \"quoted\" \\ and 'single'",
    "controls": "bell\x07 esc\x1b[2J nel\x85 ls\u2028 ps\u2029 cr\r tab\t bom\ufeff del\x7f",
    "globs": "a*b?c[d]e]f[",
    "very-long": "long " * 5_000,
    "blank-ish": "   ",
}


@pytest.mark.parametrize("title", HOSTILE_TITLES.values(), ids=HOSTILE_TITLES.keys())
def test_suggest_keeps_a_hostile_title_one_quoted_glob_that_matches_it(
    simulator, run_cli, tmp_path: Path, title: str
) -> None:
    config(tmp_path, SUGGEST_CONFIG)
    sim = simulator(suggest_run(("t1", "flaky", title, ["passed", "failed", "passed", "failed"])))
    result = run_cli("quarantine", "suggest", env=suggest_env(sim))
    assert result.code == 0, result.output
    pasted = tmp_path / "pasted.yml"
    pasted.write_text(SUGGEST_CONFIG + result.stdout, encoding="utf-8")
    entries = yaml.safe_load(pasted.read_text(encoding="utf-8"))["quarantine"]
    if not title.strip():
        assert len(entries) == 1  # a title of spaces gives no glob: no entry that would take the whole spec
        return
    assert len(entries) == 2, result.stdout
    entry = entries[1]
    assert set(entry) == {"spec", "test", "reason", "until"}
    assert len(entry["test"]) <= 1_000
    assert fnmatchcase(title, entry["test"]) and fnmatchcase("cart.spec.ts", entry["spec"])
    assert run_cli("validate", str(pasted)).code == 0


def test_suggest_never_prints_the_key_a_title_holds(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, SUGGEST_CONFIG)
    titles = [f"leaks {API_KEY}", f"split {API_KEY[:12]}\n{API_KEY[12:]}", f"long {'x' * 990}{API_KEY}"]
    sim = simulator(
        suggest_run(*((f"t{i}", "flaky", title, ["passed", "failed"] * 2) for i, title in enumerate(titles)))
    )
    result = run_cli("quarantine", "suggest", env=suggest_env(sim))
    assert result.code == 0, result.output
    assert API_KEY not in result.stdout + result.stderr
    assert API_KEY[:12] not in result.stdout and API_KEY[12:] not in result.stdout


# -- quarantine that cleans itself -----------------------------------------------------------------------------


def quarantine_config(today: datetime.date) -> str:
    soon = today + datetime.timedelta(days=3)
    entries = [
        ("fixed now", "2099-01-01"),
        ("still flaky", "2099-01-01"),
        ("gone", "2099-01-01"),
        ("failing of late", "2099-01-01"),
        ("expiring soon", soon.isoformat()),
    ]
    listed = "".join(
        f"  - test: {title}\n    reason: JIRA-{index}\n    until: {until}\n"
        for index, (title, until) in enumerate(entries)
    )
    return HISTORY + "thresholds:\n  flaky: null\nquarantine:\n" + listed


def quarantine_run() -> SimRun:
    tests = [
        ("t1", "fixed now", "passed", ["passed"] * 5),
        ("t2", "still flaky", "flaky", ["passed", "failed", "passed"]),
        ("t4", "failing of late", "passed", ["passed", "failed", "passed", "passed"]),
        ("t5", "expiring soon", "passed", ["passed", "failed", "passed"]),
    ]
    listed = [
        {"test_id": test_id, "spec": "cart.spec.ts", "title": title, "status": status, "duration": 1.0}
        for test_id, title, status, _past in tests
    ]
    listed += [{"spec": "home.spec.ts", "title": f"fine {i}", "status": "passed", "duration": 1.0} for i in range(5)]
    return SimRun(tests=listed, histories={test_id: history(past) for test_id, _t, _s, past in tests})


def test_the_note_counts_only_the_failed_or_flaky_tests_not_looked_up(
    simulator, run_cli, tmp_path: Path, simulated
) -> None:
    # t2 (quarantined: not a candidate) and the passed tests idle entries match are looked up after the flaky
    # ones; with one lookup, the one flaky test left over is what the note counts, not the passed ones too.
    config(tmp_path, quarantine_config(simulated.today()).replace("min_runs: 3\n", "min_runs: 3\n  max_lookups: 1\n"))
    run = quarantine_run()
    for test_id in ("t9", "t10"):
        run.tests.append(
            {"test_id": test_id, "spec": "c.spec.ts", "title": test_id, "status": "flaky", "duration": 1.0}
        )
    result = run_cli(env=gate_env(simulator(run)), clock=simulated)
    assert "1 failed or flaky tests were not looked up (history.max_lookups is 1)" in result.stdout, result.output


def test_a_quarantine_entry_whose_tests_pass_here_and_before_is_ready_to_release(
    simulator, run_cli, tmp_path: Path, simulated
) -> None:
    config(tmp_path, quarantine_config(simulated.today()))
    sim = simulator(quarantine_run())
    result = run_cli(env=gate_env(sim), clock=simulated)
    assert result.code == 0, result.output  # a note: the verdict is unchanged
    verdict = result.verdict
    assert [ready["entry"]["entry"] for ready in verdict["quarantine_release"]] == ["quarantine[0]"]
    ready = verdict["quarantine_release"][0]
    assert [test["title"] for test in ready["tests"]] == ["fixed now"]
    assert ready["tests"][0]["history"]["class"] == "new"
    assert ready["evidence"] == "1 test passed in this run and in its past runs on main (5 at least)"
    said = "quarantine[0] (test 'fixed now') is ready to release: 1 test passed in this run"
    assert f"note: {said}" in result.stdout
    assert "### Quarantine ready to release (1)" in result.summary
    # An entry that matched no test at all is unused; one matching tests that passed here is not.
    assert [entry["entry"] for entry in verdict["unused_quarantine"]] == ["quarantine[2]"]
    assert "quarantine[2] (test 'gone') matched no failed, flaky or passed test in this run" in result.stdout
    assert "expires in 3 days" in result.stdout and "quarantine[4] (test 'expiring soon') expires" in result.stdout
    # The passed tests were listed (only those an entry matches are kept) and looked up; the quarantined
    # flaky test was not.
    asked = [request["query"].get("status") for request in sim.requests if request["path"].endswith("kftwnab")]
    assert "passed" in asked
    assert sorted(path.split("/")[-2] for path in history_paths(sim)) == ["t1", "t4", "t5"]


def test_without_a_history_section_release_is_not_judged_and_no_passed_page_is_asked(
    simulator, run_cli, tmp_path: Path, simulated
) -> None:
    text = quarantine_config(simulated.today()).replace(HISTORY, "")
    config(tmp_path, text)
    sim = simulator(quarantine_run())
    result = run_cli(env=gate_env(sim), clock=simulated)
    assert result.code == 0, result.output
    assert result.verdict["quarantine_release"] == []
    assert all(request["query"].get("status") != "passed" for request in sim.requests)
    assert history_paths(sim) == []
    # Unused means what the gate can tell without the passed tests: no failed or flaky test matched.
    assert "quarantine[0] (test 'fixed now') matched no failed or flaky test" in result.stdout
    assert "expires in 3 days" in result.stdout


def test_passed_tests_that_cannot_be_listed_leave_the_verdict_alone(
    simulator, run_cli, tmp_path: Path, simulated
) -> None:
    config(tmp_path, quarantine_config(simulated.today()))
    # The run, its flaky page: then the passed page is refused every time.
    faults = [{"delay": 0}, {"delay": 0}] + [{"status": 503}] * 40
    sim = simulator(quarantine_run(), faults=faults)
    result = run_cli(env=gate_env(sim, PLAYDASH_TIMEOUT="3s"), clock=simulated)
    assert "quarantine release is not judged: the passed tests could not be listed" in result.stdout, result.output
    assert result.verdict["quarantine_release"] == []


def test_the_flaky_history_demo_shows_all_three(run_cli, simulated) -> None:
    result = run_cli("demo", "--scenario", "flaky-history", "--poll-interval", "0.01s", clock=simulated)
    assert result.code == 1, result.output
    assert "NEWFLKY checkout.spec.ts › applies a coupon   [newly flaky (6 passed)" in result.stdout
    assert "search.spec.ts › finds a product by SKU   [known flaky on main, forgiven" in result.stdout
    assert "quarantine[0] (spec 'payments.spec.ts' and test 'pays in the sandbox') is ready to release" in result.stdout
    assert "History on the branch, newest first: ✅ passed" in result.summary
    assert [ready["entry"]["entry"] for ready in result.verdict["quarantine_release"]] == ["quarantine[0]"]


def test_a_hostile_newly_flaky_title_stays_inert_in_every_report(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, HISTORY + "thresholds:\n  new_flaky: 0\n  flaky: null\n")
    title = f"x\n::error::PWN [link](javascript:alert(1)) <b>{API_KEY}</b> \u2028::stop-commands::y"
    tests = [{"test_id": "tnew", "spec": "a.spec.ts", "title": title, "status": "flaky", "duration": 1.0}]
    sim = simulator(SimRun(tests=tests, histories={"tnew": history(STABLE)}))
    junit = tmp_path / "junit.xml"
    result = run_cli("--junit-file", str(junit), env=gate_env(sim))
    assert result.code == 1, result.output
    written = result.stdout + result.stderr + result.summary + junit.read_text(encoding="utf-8")
    assert API_KEY not in written
    assert not any(line.lstrip().startswith("::error::PWN") for line in result.stdout.splitlines())
    assert "::stop-commands::" not in "\n".join(line[:20] for line in result.stdout.splitlines())
    assert "](javascript:" not in result.summary and "<b>" not in result.summary
