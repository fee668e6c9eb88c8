"""History-aware verdicts end to end: `main()` in-process against the simulator and hostile servers on loopback,
counting the requests made."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gate.clock import Clock
from gate.simulator import SimRun
from gate.simulator.scenarios import history
from tests.acceptance.adversarial.hostile import API_KEY, RUN_PATH, Reply, Request, hostile, run_body, run_gate
from tests.acceptance.adversarial.test_c04_key_never_leaks import assert_no_trace
from tests.conftest import gate_env

CONFIG = "history:\n  branch: main\n  forgive: [flaky]\n  min_runs: 3\n"
FLAKY = ["passed", "failed", "passed", "passed"]


def config(folder: Path, text: str = CONFIG) -> None:
    (folder / ".playdash-gate.yml").write_text(text, encoding="utf-8")


def failing_run(*ids: str, **histories: list[dict[str, Any]]) -> SimRun:
    tests = [
        {
            "test_id": test_id,
            "spec": "checkout.spec.ts",
            "title": f"test {test_id}",
            "status": "failed",
            "duration": 1.0,
        }
        for test_id in ids
    ]
    tests += [{"spec": "home.spec.ts", "title": f"fine {i}", "status": "passed", "duration": 1.0} for i in range(5)]
    return SimRun(tests=tests, histories=dict(histories))


def history_requests(requests: list[dict[str, Any]]) -> list[str]:
    return [request["path"] for request in requests if request["path"].endswith("/result_histories")]


BAD_ENTRIES = [
    {"status": "passed", "started_at": "not a date", "run": {"branch": "main"}},
    {"status": "passed", "started_at": "2026-06-27T09:00:00Z", "run": {"branch": None}},
    {"status": None, "started_at": "2026-06-27T09:00:00Z", "run": {"branch": "main"}},
    {"status": "passed", "started_at": "2026-06-27T09:00:00Z"},
    "passed",
]

# The judged run's own results (its run id) are never its history.
OWN_RUN = [{**item, "run_id": "kftwnab"} for item in history(["passed"] * 4)]


@pytest.mark.parametrize(
    ("entries", "klass", "runs", "code"),
    [
        pytest.param(history(["passed"] * 5), "new", 5, 1, id="new"),
        pytest.param(history(FLAKY), "flaky", 4, 0, id="flaky-forgiven"),
        pytest.param(history(["failed", "timed_out", "failed", "passed"]), "broken", 4, 1, id="broken"),
        pytest.param(history(["passed", "failed"]), "unknown", 2, 1, id="too-short"),
        pytest.param(history(["passed"] * 5, branch="develop"), "unknown", 0, 1, id="other-branch"),
        pytest.param(history(["passed"] * 5, hours_apart=24 * 15), "unknown", 0, 1, id="outside-the-window"),
        pytest.param(BAD_ENTRIES + history(["passed"] * 2), "unknown", 2, 1, id="malformed"),
        pytest.param(OWN_RUN, "unknown", 0, 1, id="own-run-left-out"),
    ],
)
def test_a_failed_test_is_classed_by_its_history_on_the_branch(
    simulator, run_cli, tmp_path: Path, entries: list[dict[str, Any]], klass: str, runs: int, code: int
) -> None:
    config(tmp_path)
    sim = simulator(failing_run("tcheckout", tcheckout=entries))
    result = run_cli(env=gate_env(sim))
    assert result.code == code, result.output
    shown = result.verdict["failed_tests"][0]["history"]
    assert (shown["class"], shown["runs"]) == (klass, runs)
    assert len(history_requests(sim.requests)) == 1
    forgiven = [test["title"] for test in result.verdict["forgiven_tests"]]
    assert forgiven == (["test tcheckout"] if code == 0 else [])


def test_the_demo_case_forgives_two_known_flaky_failures_and_fails_on_the_new_one(
    simulator, run_cli, tmp_path: Path
) -> None:
    config(tmp_path)
    sim = simulator(
        failing_run(
            "tnew",
            "tflaky1",
            "tflaky2",
            tnew=history(["passed"] * 6),
            tflaky1=history(FLAKY),
            tflaky2=history(["flaky", "passed", "passed"]),
        )
    )
    result = run_cli(env=gate_env(sim))
    assert result.code == 1
    assert "3 failed: 1 new, 2 known flaky on main, forgiven" in result.summary
    assert "✅❌✅✅" in result.summary
    # New failures first, in the summary and on the console.
    assert result.summary.index("test tnew") < result.summary.index("test tflaky1")
    assert "[new (6 passed)" in result.stdout
    verdict = result.verdict
    checks = {check["name"]: check for check in verdict["checks"]}
    assert (checks["failed"]["actual"], checks["forgiven"]["actual"], checks["forgiven"]["limit"]) == (1, 2, 10)
    assert verdict["schema_version"] == 3
    assert verdict["failed_tests"][1]["history"] == {
        "class": "flaky",
        "runs": 4,
        "failures": 1,
        "last": ["passed", "failed", "passed", "passed"],
    }
    assert len(verdict["failed_tests"]) == 3 and len(verdict["forgiven_tests"]) == 2
    assert verdict["flaky_tests"] == []


def test_more_forgiven_failures_than_max_forgiven_fail_the_gate(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, CONFIG + "  max_forgiven: 1\n")
    sim = simulator(failing_run("ta", "tb", ta=history(FLAKY), tb=history(FLAKY)))
    result = run_cli(env=gate_env(sim))
    assert result.code == 1
    failed = [check["name"] for check in result.verdict["checks"] if not check["passed"]]
    assert failed == ["forgiven"]
    assert "2 forgiven failures (limit 1)" in result.stdout


def test_without_a_history_section_no_history_is_asked_for(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, "thresholds: {failed: 5}\n")
    sim = simulator(failing_run("ta", "tb", ta=history(FLAKY)))
    result = run_cli(env=gate_env(sim))
    assert result.code == 0
    assert history_requests(sim.requests) == []
    assert result.verdict["failed_tests"][0]["history"] is None
    assert "forgiven" not in [check["name"] for check in result.verdict["checks"]]


def test_at_most_max_lookups_tests_are_looked_up_and_the_rest_are_unknown(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, CONFIG + "  max_lookups: 2\n")
    ids = [f"t{index}" for index in range(5)]
    sim = simulator(failing_run(*ids, **{test_id: history(FLAKY) for test_id in ids}))
    result = run_cli(env=gate_env(sim))
    assert len(history_requests(sim.requests)) == 2
    assert len(result.verdict["forgiven_tests"]) == 2
    assert result.code == 1
    assert "3 failed or flaky tests were not looked up (history.max_lookups is 2)" in result.stdout


def test_a_rules_history_applies_to_its_branch(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, "rules:\n  - when: {branch: 'feature/*'}\n    history: {branch: main, forgive: [flaky]}\n")
    run = failing_run("ta", ta=history(FLAKY))
    run.branch = "feature/tax"
    assert run_cli(env=gate_env(simulator(run))).code == 0
    run.branch = "main"
    sim = simulator(run)
    assert run_cli(env=gate_env(sim)).code == 1
    assert history_requests(sim.requests) == []


def test_fail_fast_with_forgive_looks_failures_up_first(simulator, run_cli, tmp_path: Path, simulated: Clock) -> None:
    config(tmp_path, CONFIG + "fail_fast: true\n")
    forgiven_only = failing_run("ta", "tb", ta=history(FLAKY), tb=history(FLAKY))
    forgiven_only.finish_after_polls = 3
    sim = simulator(forgiven_only)
    result = run_cli(env=gate_env(sim), clock=simulated)
    assert result.code == 0 and result.verdict["stopped_early"] is False
    # Each test looked up once, however many polls saw it fail.
    assert sorted(history_requests(sim.requests)) == sorted(set(history_requests(sim.requests)))
    new_one = failing_run("ta", "tb", ta=history(FLAKY), tb=history(["passed"] * 4))
    new_one.finish_after_polls = 40
    result = run_cli(env=gate_env(simulator(new_one)), clock=simulated)
    assert result.code == 1 and result.verdict["stopped_early"] is True


def test_the_demo_shows_history(run_cli, simulated: Clock) -> None:
    result = run_cli("demo", "--scenario", "history", clock=simulated)
    assert result.code == 1
    assert "3 failed: 1 new, 2 known flaky on main, forgiven" in result.summary
    assert "known flaky on main, forgiven" in result.stdout


# -- hostile history answers --------------------------------------------------------------------------


def _run_with(history_reply: Callable[[Request], Reply], titles: tuple[str, str] = ("new one", "known one")):
    specs = [
        {
            "spec_id": "s1",
            "file_name": "a.spec.ts",
            "tests": [
                {"test_id": "tnew", "title": titles[0], "status": "failed", "duration": 1.0},
                {"test_id": "tknown", "title": titles[1], "status": "failed", "duration": 1.0},
            ],
        }
    ]

    def handler(request: Request) -> Reply:
        if request.path == RUN_PATH:
            return Reply(body=run_body(status="failed", counts={"passed": 8, "failed": 2}, specs=specs))
        if request.path.endswith("/result_histories"):
            return history_reply(request)
        return Reply(404, {"error": "not found"})

    return handler


def _known_flaky(request: Request) -> Reply:
    past = history(["passed"] * 4) if "/tnew/" in request.path else history(FLAKY)
    return Reply(body={"result_histories": past})


@pytest.mark.parametrize(
    ("reply", "timeout"),
    [
        pytest.param(Reply(404, {"error": f"no such entity {API_KEY}"}), "10s", id="404"),
        pytest.param(Reply(403, {"error": "forbidden"}), "10s", id="403"),
        pytest.param(Reply(503, {"error": "down"}), "1.5s", id="503-after-retries"),
        pytest.param(Reply(200, b"<html>proxy</html>", {"Content-Type": "text/html"}), "1.5s", id="not-json"),
        pytest.param(Reply(200, {"result_histories": "all passed"}), "10s", id="no-list"),
        pytest.param(Reply(200, [1, 2]), "10s", id="not-an-object"),
    ],
)
def test_an_unavailable_or_unusable_history_is_unknown_and_forgives_nothing(
    tmp_path: Path, simulated: Clock, reply: Reply, timeout: str
) -> None:
    config(tmp_path)
    with hostile(_run_with(lambda _request: Reply(reply.status, reply.body, dict(reply.headers)))) as server:
        result = run_gate(
            tmp_path,
            base_url=server.url,
            timeout=timeout,
            clock=simulated,
            env={"PLAYDASH_CONFIG": str(tmp_path / ".playdash-gate.yml")},
        )
    assert result.code == 1, result.stdout + result.stderr
    verdict = result.verdict
    assert [test["history"]["class"] for test in verdict["failed_tests"]] == ["unknown", "unknown"]
    assert verdict["forgiven_tests"] == []
    assert "could not be looked up" in result.stdout
    assert_no_trace(API_KEY, result.everything)


def test_forgiven_failures_are_warnings_and_skipped_tests_in_every_sink(tmp_path: Path) -> None:
    config(tmp_path)
    with hostile(_run_with(_known_flaky)) as server:
        result = run_gate(tmp_path, base_url=server.url, env={"PLAYDASH_CONFIG": str(tmp_path / ".playdash-gate.yml")})
    assert result.code == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("::error") and "Failed: new one" in line for line in lines)
    assert any(line.startswith("::warning") and "Forgiven failure: known one" in line for line in lines)
    assert not any(line.startswith("::error") and "known one" in line for line in lines)
    assert 'failures="1"' in result.junit.split("NeetoPlaydash run")[1].split("\n")[0]
    assert '<skipped message="forgiven (failed): known flaky on main, forgiven' in result.junit
    assert "2 failed: 1 new, 1 known flaky on main, forgiven" in result.summary


def test_hostile_history_text_is_inert_and_the_key_never_leaks(tmp_path: Path) -> None:
    config(tmp_path)
    evil = "\n::error title=pwned::owned\r\u2028" + API_KEY

    def reply(request: Request) -> Reply:
        past = history(FLAKY)
        past[0]["status"] = evil
        past[1]["run"]["branch"] = "main"
        past.append({"status": "failed", "started_at": evil, "run": {"branch": evil}, "run_id": evil})
        if "/tnew/" in request.path:
            past = [{**item, "run": {**item["run"], "branch": evil}} for item in past]
        return Reply(body={"result_histories": past}, headers={"X-Echo": API_KEY})

    titles = ("new one\n::error::fake " + API_KEY, "known\r::warning::fake")
    with hostile(_run_with(reply, titles)) as server:
        result = run_gate(tmp_path, base_url=server.url, env={"PLAYDASH_CONFIG": str(tmp_path / ".playdash-gate.yml")})
    assert result.code == 1
    assert_no_trace(API_KEY, result.everything)
    for line in result.stdout.splitlines():
        assert not line.startswith(("::error::fake", "::warning::fake", "::error title=pwned"))
    assert "::error title=pwned" not in result.summary
    statuses = {status for test in result.verdict["failed_tests"] for status in test["history"]["last"]}
    assert statuses <= {"passed", "failed", "timed_out", "flaky"}
    requests = [request for request in server.requests if request.path.endswith("/result_histories")]
    assert {request.query["days"] for request in requests} == {"14"}
    assert {request.query["result_history_started_at"] for request in requests} == {"2026-06-28T09:14:22.000Z"}


def test_a_saved_answer_forgives_nothing_and_says_why(run_cli, tmp_path: Path) -> None:
    config(tmp_path)
    specs = [
        {"spec_id": "s1", "file_name": "a.spec.ts", "tests": [{"test_id": "ta", "title": "t", "status": "failed"}]}
    ]
    saved = tmp_path / "run.json"
    saved.write_text(json.dumps(run_body(status="failed", counts={"passed": 3, "failed": 1}, specs=specs)))
    result = run_cli("--from-file", str(saved))
    assert result.code == 1
    assert result.verdict["failed_tests"][0]["history"]["class"] == "unknown"
    assert "history is not looked up for a saved answer" in result.summary


def test_validate_shows_the_history_in_force(run_cli, tmp_path: Path) -> None:
    config(tmp_path, CONFIG + "rules:\n  - when: {branch: 'feature/*'}\n    history: {days: 30}\n")
    result = run_cli("validate", "--branch", "feature/x")
    assert result.code == 0, result.output
    assert "history: results on main over 30 days, at least 3 per test; forgives flaky failures" in result.stdout


def test_the_checks_show_the_forgiven_beside_the_failed_count(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path)
    sim = simulator(failing_run("ta", "tb", ta=history(FLAKY), tb=history(["passed"] * 3)))
    result = run_cli(env=gate_env(sim))
    assert "| failed tests | 1 (+1 forgiven) | ≤ 0 | ❌ |" in result.summary
    assert "1 (+1 forgiven)" in result.stdout


# -- from an outside review --------------------------------------------------------------------------------


def _spec(*tests: tuple[str, str, str]) -> dict[str, Any]:
    """A spec of (test_id, title, status) tests."""
    return {
        "spec_id": "s1",
        "file_name": "a.spec.ts",
        "tests": [{"test_id": i, "title": t, "status": s, "duration": 1.0} for i, t, s in tests],
    }


def _in_progress_then(finished_after: int, spec: dict[str, Any], failed_listing: Callable[[], Reply] | None = None):
    """A run failing while in progress for a few polls, then finished; its failed-tests view lists `spec`."""
    polls = [0]

    def handler(request: Request) -> Reply:
        if request.path == RUN_PATH and "status" not in request.query:
            polls[0] += 1
            running = polls[0] <= finished_after
            counts = {"passed": 3, "failed": 1}
            return Reply(
                body=run_body(
                    status="failing" if running else "failed", is_running=running, counts=counts, specs=[spec]
                )
            )
        if request.path == RUN_PATH:
            return (
                failed_listing() if failed_listing else Reply(body=run_body(status="failed", counts={}, specs=[spec]))
            )
        if request.path.endswith("/result_histories"):
            return Reply(body={"result_histories": history(FLAKY)})
        return Reply(404, {"error": "not found"})

    return handler


def test_fail_fast_looks_up_only_the_failed_tests_of_a_failing_spec(tmp_path: Path) -> None:
    # The failed-tests view lists whole specs: the passing tests beside a failure are not looked up (nor
    # spend max_lookups), so the one failure, known flaky, is forgiven and the run is not stopped early.
    config(tmp_path, CONFIG + "  max_lookups: 1\nfail_fast: true\n")
    spec = _spec(("tf", "breaks", "failed"), ("tp1", "fine 1", "passed"), ("tp2", "fine 2", "passed"))
    with hostile(_in_progress_then(3, spec)) as server:
        result = run_gate(tmp_path, base_url=server.url, env={"PLAYDASH_CONFIG": str(tmp_path / ".playdash-gate.yml")})
    assert result.code == 0, result.stdout
    assert result.verdict["stopped_early"] is False
    assert [r.path.split("/")[-2] for r in server.requests if r.path.endswith("/result_histories")] == ["tf"]


def test_fail_fast_with_forgive_never_stops_early_when_the_failed_tests_cannot_be_listed(
    tmp_path: Path, simulated: Clock
) -> None:
    config(tmp_path, CONFIG + "fail_fast: true\n")
    spec = _spec(("tf", "breaks", "failed"))
    down = _in_progress_then(2, spec, lambda: Reply(503, {"error": "down"}))
    with hostile(down) as server:
        result = run_gate(
            tmp_path,
            base_url=server.url,
            timeout="3s",
            clock=simulated,
            env={"PLAYDASH_CONFIG": str(tmp_path / ".playdash-gate.yml")},
        )
    # History might have forgiven the failure: no early stop, and no claim that the count alone fails it.
    assert result.verdict["stopped_early"] is False
    assert "already fails the gate" not in result.stdout
    assert result.code == 3, result.stdout


def test_a_history_api_that_is_down_costs_a_few_attempts_not_the_deadline(tmp_path: Path) -> None:
    config(tmp_path)
    with hostile(_run_with(lambda _request: Reply(503, {"error": "down"}))) as server:
        result = run_gate(
            tmp_path, base_url=server.url, timeout="10m", env={"PLAYDASH_CONFIG": str(tmp_path / ".playdash-gate.yml")}
        )
    assert result.code == 1, result.stdout
    looked_up = [r.path.split("/")[-2] for r in server.requests if r.path.endswith("/result_histories")]
    assert sorted(looked_up) == ["tknown"] * 3 + ["tnew"] * 3  # three attempts each, then unknown


def test_a_test_id_shared_by_tests_of_other_names_forgives_nothing(tmp_path: Path) -> None:
    config(tmp_path)
    spec = _spec(("same", "checkout works", "failed"), ("same", "login works", "failed"))

    def handler(request: Request) -> Reply:
        if request.path == RUN_PATH:
            return Reply(body=run_body(status="failed", counts={"passed": 8, "failed": 2}, specs=[spec]))
        return Reply(body={"result_histories": history(FLAKY)})

    with hostile(handler) as server:
        result = run_gate(tmp_path, base_url=server.url, env={"PLAYDASH_CONFIG": str(tmp_path / ".playdash-gate.yml")})
    assert result.code == 1, result.stdout
    assert result.verdict["forgiven_tests"] == []
    assert "its id names more than one thing in the run" in result.stdout + result.summary


CREATED_AT = "2026-06-28T09:14:22.000Z"  # the judged run's creation, as run_body writes it


def _failing(history_reply: Callable[[Request], Reply], specs: list[dict[str, Any]] | None = None, **run: Any):
    """A finished run whose one failed test is `tknown` (unless `specs` say otherwise); histories by the reply."""
    listed = specs or [_spec(("tknown", "known one", "failed"), ("tfine", "fine one", "passed"))]

    def handler(request: Request) -> Reply:
        if request.path == RUN_PATH:
            counts = {"passed": 8, "failed": 1}
            return Reply(body=run_body(status="failed", counts=counts, specs=listed, **run))
        if request.path.endswith("/result_histories"):
            return history_reply(request)
        return Reply(404, {"error": "not found"})

    return handler


def _gate(tmp_path: Path, handler: Callable[[Request], Reply], forgive: str = "[flaky, broken]"):
    config(tmp_path, f"history:\n  branch: main\n  forgive: {forgive}\n  min_runs: 3\n")
    with hostile(handler) as server:
        result = run_gate(tmp_path, base_url=server.url, env={"PLAYDASH_CONFIG": str(tmp_path / ".playdash-gate.yml")})
    asked = [request for request in server.requests if request.path.endswith("/result_histories")]
    return result, asked


def _as(entries: list[dict[str, Any]], **changes: Any) -> list[dict[str, Any]]:
    return [{**item, **changes} for item in entries]


def _one_run(statuses: list[str]) -> list[dict[str, Any]]:
    """One past run listed once per status, at a time of its own each (a retried test, a server repeating)."""
    return _as(history(statuses), run_id="hsame")


FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
# hist001 failed a day before the judged run's creation, and again after it: no evidence either way.
_BEFORE_AND_AFTER = [
    *history(FLAKY),
    {**history(["failed"], anchor="2026-06-29T09:14:22.000Z")[0], "run_id": "hist001"},
]


@pytest.mark.parametrize(
    ("entries", "forgive"),
    [
        # Each of these was forgiven before (exit 0): one past run counted as several, or no evidence as some.
        pytest.param(_one_run(["failed", "passed", "failed"]), "[flaky]", id="one-run-failed-passed-failed"),
        pytest.param(_one_run(["failed"] * 3), "[broken]", id="one-failed-run-listed-three-times"),
        pytest.param(_one_run(["passed", "failed", "passed", "passed"]), "[flaky]", id="one-run-listed-four-times"),
        pytest.param(_as(history(FLAKY), run_id=None), "[flaky]", id="entries-without-run-id"),
        pytest.param(
            [{key: value for key, value in item.items() if key != "run_id"} for item in history(FLAKY)],
            "[flaky]",
            id="entries-with-no-run-id-key",
        ),
        pytest.param(_as(history(FLAKY), run_id="not an id"), "[flaky]", id="entries-whose-run-id-is-no-id"),
        pytest.param(_as(history(FLAKY), run_id=7), "[flaky]", id="entries-whose-run-id-is-a-number"),
        pytest.param(
            [{**item, "started_at": item["started_at"].replace(".000Z", "+99:00")} for item in history(FLAKY)],
            "[flaky]",
            id="offset-99-hours",
        ),
        pytest.param(
            [{**item, "started_at": item["started_at"].replace(".000Z", "")} for item in history(FLAKY)],
            "[flaky]",
            id="dates-without-offset",
        ),
        pytest.param(
            [{**item, "started_at": item["started_at"][:-1] + "\x00Z"} for item in history(FLAKY)],
            "[flaky]",
            id="nul-in-date",
        ),
        pytest.param(
            [{**item, "started_at": item["started_at"].translate(FULLWIDTH)} for item in history(FLAKY)],
            "[flaky]",
            id="fullwidth-digits",
        ),
        pytest.param(
            [{**item, "started_at": "0000" + item["started_at"][4:]} for item in history(FLAKY)],
            "[flaky]",
            id="year-0",
        ),
        pytest.param(
            [{**item, "started_at": "9" * 400 + item["started_at"][4:]} for item in history(FLAKY)],
            "[flaky]",
            id="400-digit-year",
        ),
        pytest.param(_as(history(FLAKY), started_at=None), "[flaky]", id="undated"),
        pytest.param(_as(history(FLAKY), started_at=CREATED_AT), "[flaky]", id="at-created-at"),
        pytest.param(
            history(FLAKY, anchor="2026-06-29T09:14:22.000Z", hours_apart=5), "[flaky]", id="after-created-at"
        ),
        pytest.param(_BEFORE_AND_AFTER, "[flaky]", id="a-run-before-created-at-and-again-after"),
    ],
)
def test_history_that_is_no_evidence_forgives_nothing(
    tmp_path: Path, entries: list[dict[str, Any]], forgive: str
) -> None:
    result, asked = _gate(tmp_path, _failing(lambda _request: Reply(body={"result_histories": entries})), forgive)
    assert result.code == 1, result.stdout
    assert len(asked) == 1
    [test] = result.verdict["failed_tests"]
    assert test["history"]["class"] == "unknown"
    assert result.verdict["forgiven_tests"] == []


def test_the_same_history_told_once_per_run_is_still_forgiven(tmp_path: Path) -> None:
    # The rules take evidence away only where it is not evidence: one entry per run, the API's own dates.
    result, asked = _gate(tmp_path, _failing(lambda _request: Reply(body={"result_histories": history(FLAKY)})))
    assert len(asked) == 1
    assert result.code == 0, result.stdout
    assert result.verdict["failed_tests"][0]["history"] == {
        "class": "flaky",
        "runs": 4,
        "failures": 1,
        "last": FLAKY,
    }


@pytest.mark.parametrize(
    "created_at",
    [
        None,
        "",
        "yesterday",
        "2026-06-28T09:14:22",
        "2026-06-28T09:14:22+99:00",
        "0001-01-05T00:00:00Z",
        "1900-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "２０２６-06-28T09:14:22Z",
        1782638062,
    ],
)
def test_a_run_without_a_usable_creation_date_gets_no_history_and_says_why(tmp_path: Path, created_at: object) -> None:
    # A server that serves whatever the anchor sent asks for: a window ending "now" would be filled.
    def around_the_anchor(request: Request) -> Reply:
        return Reply(body={"result_histories": history(FLAKY, anchor=request.query["result_history_started_at"])})

    result, asked = _gate(tmp_path, _failing(around_the_anchor, created_at=created_at))
    assert result.code == 1, result.stdout + result.stderr
    assert asked == []
    assert result.verdict["forgiven_tests"] == []
    why = "history is not looked up: the run has no usable creation date (`created_at`) to end the window at"
    assert why in result.stdout and why in result.summary.replace("\\", "")
    assert "unknown: the run has no usable creation date" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "specs",
    [
        pytest.param([{**_spec(("tknown", "known one", "failed")), "spec_id": "tknown"}], id="a-test-and-its-own-spec"),
        pytest.param(
            [_spec(("tknown", "known one", "failed")), {**_spec(("tother", "fine", "passed")), "spec_id": "tknown"}],
            id="a-test-and-another-spec",
        ),
    ],
)
def test_an_id_that_names_two_things_in_the_run_forgives_nothing(tmp_path: Path, specs: list[dict[str, Any]]) -> None:
    result, asked = _gate(tmp_path, _failing(lambda _request: Reply(body={"result_histories": history(FLAKY)}), specs))
    assert result.code == 1, result.stdout
    assert len(asked) == 1 and result.verdict["forgiven_tests"] == []
    assert "its id names more than one thing in the run (tests, or a test and a spec)" in result.stdout


def test_a_spec_id_shown_in_one_view_only_still_names_two_things(tmp_path: Path) -> None:
    # The run's own answer gives the spec an id of its own; the failed tests' view gives it the test's.
    own, filtered = (
        _spec(("tknown", "known one", "failed")),
        {**_spec(("tknown", "known one", "failed")), "spec_id": "tknown"},
    )

    def handler(request: Request) -> Reply:
        if request.path == RUN_PATH:
            specs = [filtered if "status" in request.query else own]
            return Reply(body=run_body(status="failed", counts={"passed": 8, "failed": 1}, specs=specs))
        return Reply(body={"result_histories": history(FLAKY)})

    result, _asked = _gate(tmp_path, handler)
    assert result.code == 1, result.stdout
    assert result.verdict["forgiven_tests"] == []


@pytest.mark.parametrize(
    "tests",
    [
        # One failed test listed twice while the statistics count two: the second failure is never listed.
        (("ta", "breaks", "failed"), ("ta", "breaks", "failed")),
        # A failed test's id is also a passing test's: its history may be the passing test's.
        (("same", "breaks", "failed"), ("same", "fine", "passed")),
    ],
    ids=["listed-twice", "shared-with-a-passing-test"],
)
def test_one_history_never_forgives_two_listed_tests(tmp_path: Path, tests: tuple[tuple[str, str, str], ...]) -> None:
    config(tmp_path)
    failed = sum(status == "failed" for _i, _t, status in tests)

    def handler(request: Request) -> Reply:
        if request.path == RUN_PATH:
            counts = {"passed": 5, "failed": max(failed, 2)}
            return Reply(body=run_body(status="failed", counts=counts, specs=[_spec(*tests)]))
        return Reply(body={"result_histories": history(FLAKY)})

    with hostile(handler) as server:
        result = run_gate(tmp_path, base_url=server.url, env={"PLAYDASH_CONFIG": str(tmp_path / ".playdash-gate.yml")})
    assert result.code == 1, result.stdout
    assert result.verdict["forgiven_tests"] == []


def test_a_repeated_history_entry_counts_once_toward_min_runs(tmp_path: Path) -> None:
    config(tmp_path)
    [passed, failed] = history(["passed", "failed"])
    repeated = [passed, failed, failed, failed]  # two real results, the second one repeated

    def handler(request: Request) -> Reply:
        if request.path == RUN_PATH:
            return Reply(
                body=run_body(
                    status="failed", counts={"passed": 5, "failed": 1}, specs=[_spec(("tf", "breaks", "failed"))]
                )
            )
        return Reply(body={"result_histories": repeated})

    with hostile(handler) as server:
        result = run_gate(tmp_path, base_url=server.url, env={"PLAYDASH_CONFIG": str(tmp_path / ".playdash-gate.yml")})
    assert result.code == 1, result.stdout
    [test] = result.verdict["failed_tests"]
    assert test["history"]["class"] == "unknown" and test["history"]["runs"] == 2


# -- from the review of #19: what history could forgive is bounded; ids fold; re-runs are no evidence --------


def _listing_down(counts: dict[str, int], **run: Any) -> Callable[[Request], Reply]:
    """A finished run by its counts; every listing of its tests and every history answers 503 until the deadline."""

    def handler(request: Request) -> Reply:
        if request.path == RUN_PATH and "status" not in request.query:
            return Reply(body=run_body(status="failed", counts=counts, **run))
        return Reply(503, {"error": "down"})

    return handler


@pytest.mark.parametrize("on_unavailable", ["pass", "fail"])
@pytest.mark.parametrize(
    ("section", "run", "why"),
    [
        pytest.param(
            "forgive: [flaky]", {}, "history could forgive at most 10 failed tests (history.max_forgiven 10", id="max"
        ),
        pytest.param(
            "forgive: [flaky, broken]\n  max_forgiven: 100\n  max_lookups: 20",
            {},
            "history could forgive at most 20 failed tests (history.max_forgiven 100, history.max_lookups 20)",
            id="lookups",
        ),
        pytest.param(
            "forgive: [flaky]\n  max_forgiven: 100",
            {"created_at": None},
            "history forgives nothing here: the run has no usable creation date",
            id="undated",
        ),
    ],
)
def test_failures_beyond_what_history_could_forgive_fail_when_the_tests_cannot_be_listed(
    tmp_path: Path, simulated: Clock, on_unavailable: str, section: str, run: dict[str, Any], why: str
) -> None:
    # 50 failures, of which history could forgive at most 10 (or 20, or none): what was seen fails the gate.
    config(tmp_path, f"history:\n  branch: main\n  {section}\n")
    with hostile(_listing_down({"passed": 10, "failed": 50}, **run)) as server:
        result = run_gate(
            tmp_path,
            "--on-unavailable",
            on_unavailable,
            base_url=server.url,
            timeout="1s",
            clock=simulated,
            env={"PLAYDASH_CONFIG": str(tmp_path / ".playdash-gate.yml")},
        )
    assert result.code == 1, result.stdout + result.stderr
    assert result.verdict["passed_on_unavailable"] is False
    for sink in (result.stdout, result.summary):
        assert "could not be listed" in sink and "50 failed tests" in sink
        assert why in sink.replace("\\", "")


def test_failures_history_could_all_forgive_give_no_verdict_when_the_tests_cannot_be_listed(
    tmp_path: Path, simulated: Clock
) -> None:
    config(tmp_path, "history:\n  branch: main\n  forgive: [flaky]\n  max_forgiven: 50\n")
    with hostile(_listing_down({"passed": 10, "failed": 50})) as server:
        env = {"PLAYDASH_CONFIG": str(tmp_path / ".playdash-gate.yml")}
        no_verdict = run_gate(tmp_path, base_url=server.url, timeout="1s", clock=simulated, env=env)
        let_through = run_gate(
            tmp_path, "--on-unavailable", "pass", base_url=server.url, timeout="1s", clock=simulated, env=env
        )
    assert no_verdict.code == 3, no_verdict.stdout
    assert let_through.code == 0 and let_through.verdict["passed_on_unavailable"] is True


def test_flaky_tests_history_never_forgives_fail_when_the_tests_cannot_be_listed(
    tmp_path: Path, simulated: Clock
) -> None:
    config(tmp_path, "thresholds: {flaky: 0}\nhistory:\n  branch: main\n  forgive: [flaky, broken]\n")
    with hostile(_listing_down({"passed": 10, "flaky": 3})) as server:
        result = run_gate(
            tmp_path,
            "--on-unavailable",
            "pass",
            base_url=server.url,
            timeout="1s",
            clock=simulated,
            env={"PLAYDASH_CONFIG": str(tmp_path / ".playdash-gate.yml")},
        )
    assert result.code == 1, result.stdout
    assert "3 flaky tests (limit 0)" in result.stdout


def test_fail_fast_past_what_history_could_forgive_stops_early_when_the_failed_tests_cannot_be_listed(
    tmp_path: Path,
    simulated: Clock,
) -> None:
    # Still running with 50 failures, history forgiving at most 10: failed, whatever the listing does.
    config(tmp_path, CONFIG + "fail_fast: true\n")
    spec = _spec(("tf", "breaks", "failed"))
    body = run_body(status="failing", is_running=True, counts={"passed": 3, "failed": 50}, specs=[spec])

    def handler(request: Request) -> Reply:
        return Reply(503, {"error": "down"}) if "status" in request.query else Reply(body=body)

    with hostile(handler) as server:
        result = run_gate(
            tmp_path,
            "--on-unavailable",
            "pass",
            base_url=server.url,
            timeout="3s",
            clock=simulated,
            env={"PLAYDASH_CONFIG": str(tmp_path / ".playdash-gate.yml")},
        )
    assert result.code == 1, result.stdout
    assert result.verdict["stopped_early"] is True
    assert "could not be listed" in result.summary


FLAKY_AS_SEEN = history(FLAKY)
# The judged run is `kftwnab`, created at CREATED_AT, of commit 9fceb02e... and build gh-actions-4821.
_OWN = {"commit_id": "9fceb02e1d2c4bb6a1f3f6b0c8e7d5a1b2c3d4e5", "ci_build_id": "gh-actions-4821"}


def _entries(*items: tuple[str, str, float], **run: str) -> list[dict[str, Any]]:
    """Entries of (run_id, status, hours before the judged run's creation), their runs' fields as `run` says."""
    listed = []
    for run_id, status, hours in items:
        [item] = history([status], hours_apart=hours)
        listed.append({**item, "run_id": run_id, "run": {**item["run"], **run}})
    return listed


@pytest.mark.parametrize(
    "entries",
    [
        pytest.param(
            _entries(("rr1", "passed", 20), ("RR1", "failed", 21), ("Rr1", "passed", 22)), id="one-run-3-cases"
        ),
        pytest.param(
            _entries(("r1", "passed", 20), ("r2", "passed", 21), ("KFTWNAB", "failed", 0.001)),
            id="the-judged-run-in-capitals",
        ),
        pytest.param(
            [
                *_entries(("ra", "passed", 50), ("rb", "passed", 30)),
                *_entries(("a1", "failed", 2), commit_id=_OWN["commit_id"].upper(), ci_build_id="gh-actions-4821-1"),
            ],
            id="a-re-run-of-the-same-commit",
        ),
        pytest.param(
            [
                *_entries(("ra", "passed", 50), ("rb", "passed", 30)),
                *_entries(("a1", "failed", 2), commit_id="f" * 40, ci_build_id="GH-ACTIONS-4821"),
            ],
            id="an-earlier-attempt-of-the-same-build",
        ),
    ],
)
def test_history_that_is_the_judged_run_or_its_own_build_forgives_nothing(
    tmp_path: Path, entries: list[dict[str, Any]]
) -> None:
    result, asked = _gate(tmp_path, _failing(lambda _request: Reply(body={"result_histories": entries})), "[flaky]")
    assert result.code == 1, result.stdout
    assert len(asked) == 1
    assert result.verdict["failed_tests"][0]["history"]["class"] == "unknown"
    assert result.verdict["forgiven_tests"] == []


def test_a_re_run_of_the_same_commit_is_named_as_why_the_test_is_unknown(tmp_path: Path) -> None:
    entries = [
        *_entries(("ra", "passed", 50), ("rb", "passed", 30), ("rc", "passed", 25)),
        *_entries(("a1", "failed", 2), commit_id=_OWN["commit_id"]),
    ]
    result, _asked = _gate(tmp_path, _failing(lambda _request: Reply(body={"result_histories": entries})), "[flaky]")
    assert result.code == 1, result.stdout
    assert result.verdict["failed_tests"][0]["history"]["class"] == "unknown"
    assert "1 past run of this run's own commit or CI build (a re-run is no second opinion)" in result.stdout


@pytest.mark.parametrize(
    ("run", "missing"),
    [({"commit_id": None}, "`commit_id`"), ({"commit_id": None, "ci_build_id": ""}, "`commit_id` nor `ci_build_id`")],
)
def test_a_run_without_its_commit_or_build_says_so_when_history_forgave(
    tmp_path: Path, run: dict[str, Any], missing: str
) -> None:
    result, _asked = _gate(tmp_path, _failing(lambda _request: Reply(body={"result_histories": FLAKY_AS_SEEN}), **run))
    assert result.code == 0, result.stdout
    note = f"the run has no {missing}: past runs of its own commit or CI build (a re-run of the job) could not"
    assert note in result.stdout and note in result.summary.replace("\\", "")


def test_a_run_with_its_commit_and_build_says_nothing_of_them(tmp_path: Path) -> None:
    result, _asked = _gate(tmp_path, _failing(lambda _request: Reply(body={"result_histories": FLAKY_AS_SEEN})))
    assert result.code == 0, result.stdout
    assert "could not be left out" not in result.everything


@pytest.mark.parametrize(
    "specs",
    [
        pytest.param(
            [
                _spec(("tknown", "known one", "failed")),
                {"spec_id": "tknown", "file_name": "empty.spec.ts", "tests": []},
            ],
            id="a-spec-without-tests",
        ),
        pytest.param(
            [_spec(("tknown", "known one", "failed")), {**_spec(("tother", "fine", "passed")), "spec_id": "TKNOWN"}],
            id="a-spec-in-capitals",
        ),
        pytest.param(
            [_spec(("tknown", "known one", "failed"), ("TKnown", "another", "passed"))], id="a-test-in-capitals"
        ),
    ],
)
def test_an_id_that_names_two_things_whatever_its_case_or_its_tests_forgives_nothing(
    tmp_path: Path, specs: list[dict[str, Any]]
) -> None:
    result, asked = _gate(tmp_path, _failing(lambda _request: Reply(body={"result_histories": FLAKY_AS_SEEN}), specs))
    assert result.code == 1, result.stdout
    assert len(asked) == 1 and result.verdict["forgiven_tests"] == []
    assert "its id names more than one thing in the run" in result.stdout


def test_a_spec_without_tests_on_the_failed_tests_pages_names_its_id_too(tmp_path: Path) -> None:
    failing_spec = _spec(("tknown", "known one", "failed"))
    empty = {"spec_id": "tknown", "file_name": "empty.spec.ts", "tests": []}

    def handler(request: Request) -> Reply:
        if request.path == RUN_PATH:
            specs = [failing_spec, empty] if "status" in request.query else [failing_spec]
            return Reply(body=run_body(status="failed", counts={"passed": 8, "failed": 1}, specs=specs))
        return Reply(body={"result_histories": FLAKY_AS_SEEN})

    result, _asked = _gate(tmp_path, handler)
    assert result.code == 1, result.stdout
    assert result.verdict["forgiven_tests"] == []


def test_a_quarantine_in_force_when_the_tests_cannot_be_listed_is_said_to_keep_the_counts_from_deciding(
    tmp_path: Path,
) -> None:
    """Its globs may match any number of the failures not listed (projects, repeat-each): no bound holds, so no
    verdict (let through only by --on-unavailable pass), and the reports say why the counts could not decide."""
    entry = "quarantine:\n  - {spec: checkout.spec.ts, test: 'pays by card', reason: CDN, until: 2999-01-01}\n"
    config(tmp_path, entry)
    with hostile(_listing_down({"passed": 10, "failed": 50})) as server:
        env = {"PLAYDASH_CONFIG": str(tmp_path / ".playdash-gate.yml")}
        result = run_gate(tmp_path, "--on-unavailable", "pass", base_url=server.url, timeout="1s", env=env)
    assert result.code == 0 and result.verdict["passed_on_unavailable"] is True
    said = "1 quarantine entry in force may let any number of them through"
    assert said in result.stdout + result.stderr and said in result.summary
