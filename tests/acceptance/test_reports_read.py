"""In-process, against the simulator: the reports as a person reads them (plurals, what failed the gate open,
quarantine beside the counts and as warnings, entries too broad, the run's breakdown), and `validate`."""

from __future__ import annotations

from pathlib import Path

from gate.simulator import SimRun
from tests.acceptance.test_action import parse_command
from tests.acceptance.test_policy_runs import CHECKOUT, DEFAULT_FILE, FUTURE, make_tests
from tests.conftest import config, gate_env

EVERY_TEST = "quarantine[0] (spec '*') matches every test: it would let any broken run pass"


def actions_env(sim, tmp_path: Path) -> dict[str, str]:
    return {**gate_env(sim), "GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(tmp_path / "out")}


def test_a_flaky_limit_failing_the_gate_opens_the_flaky_list(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, "thresholds: {failed: 0, flaky: 0}\n", DEFAULT_FILE)
    tests = make_tests(("search.spec.ts", "finds by SKU", "flaky"))
    result = run_cli(env=gate_env(simulator(SimRun(tests=tests))))
    assert result.code == 1, result.output
    assert result.stdout.splitlines()[-1] == "✖ gate failed: 1 flaky test (limit 0)   (exit 1)"
    lines = result.summary.splitlines()
    assert lines[0] == "## ❌ Playwright gate failed — 1 flaky test \\(limit 0\\)"
    assert "Tests in the run: 5 passed · 0 failed · 1 flaky" in lines
    assert lines.index("### Flaky tests (1)") < lines.index("| check | actual | limit | |")
    assert "<details><summary>Flaky tests (1)</summary>" not in lines


def test_a_quarantine_of_every_test_is_flagged_and_its_failure_is_a_warning(simulator, run_cli, tmp_path: Path) -> None:
    config(tmp_path, f'quarantine:\n  - spec: "*"\n    reason: "PAY-123"\n    until: {FUTURE}\n', DEFAULT_FILE)
    sim = simulator(SimRun(tests=CHECKOUT, final_status="failed"))
    result = run_cli(env=actions_env(sim, tmp_path))
    assert result.code == 0, result.output
    commands = [parse_command(line) for line in result.stdout.splitlines() if line.startswith("::warning")]
    quarantined = [(props, message) for _name, props, message in commands if "Quarantined" in message]
    assert len(quarantined) == 1
    props, message = quarantined[0]
    assert props == {"file": "checkout/pay.spec.ts", "title": "Quarantined failure: applies a 10% coupon"}
    assert message.startswith("Quarantined failure: applies a 10% coupon (let through by quarantine[0] (spec '*'): ")
    assert message.endswith(f" · until {FUTURE})")
    assert any(message.startswith(EVERY_TEST) for _name, _props, message in commands)
    assert any(line.startswith(f"warning: {EVERY_TEST}") for line in result.stdout.splitlines())
    assert "quarantine\\[0\\] \\(spec '\\*'\\) matches every test" in result.summary
    assert "| failed tests | 0 (+1 quarantined) | ≤ 0 | ✅ |" in result.summary.splitlines()


def test_validate_says_an_entry_of_wildcards_matches_every_test(run_cli, tmp_path: Path) -> None:
    (tmp_path / "q.yml").write_text(
        f'quarantine:\n  - spec: "*/*"\n    reason: "all of it"\n    until: {FUTURE}\n'
        f'  - spec: "checkout/*"\n    reason: "PAY-1"\n    until: {FUTURE}\n'
    )
    result = run_cli("validate", "q.yml", env={})
    assert result.code == 0, result.output
    warnings = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("warning:")]
    assert warnings == [
        "warning: quarantine[0] (spec '*/*') matches every test: it would let any broken run pass; "
        "narrow it to the spec file or the tests it is for"
    ]
