"""Property tests: no input makes the model or the rules fail oddly, and nothing yields a false pass.

Example counts are small for CI; `HYPOTHESIS_PROFILE=fuzz python -m pytest tests/test_properties.py`
runs a long fuzz (see the README).
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gate import cli
from gate.config import Policy, Thresholds, policy_problems
from gate.errors import GateError
from gate.evaluate import evaluate
from gate.model import FINAL_STATUSES, Run, TestResult, parse_page, parse_run
from gate.simulator import Scenario, SimRun, Simulator
from tests.conftest import API_KEY

settings.register_profile("ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("fuzz", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
STATUS_WORDS = ["passed", "failed", "timedOut", "interrupted", "running", "passing", "failing", "Passed", "weird", ""]
STAT_NAMES = ["Passed", "Failed", "Flaky", "Skipped", "Timed out", "timedOut", "Interrupted", "Other"]
statistics = st.lists(
    st.fixed_dictionaries(
        {
            "name": st.sampled_from(STAT_NAMES) | st.text(max_size=8),
            "value": st.integers(-2, 50) | st.floats() | st.text(max_size=3) | st.none(),
        }
    ),
    max_size=6,
)
run_like = st.fixed_dictionaries(
    {},
    optional={
        "is_running": st.booleans() | json_values,
        "status": st.sampled_from(STATUS_WORDS) | json_values,
        "run_statistics": statistics | json_values,
        "branch": json_values,
        "tags": json_values,
        "total_shards": json_values,
        "duration": json_values,
        "specs": st.lists(
            st.fixed_dictionaries({"file_name": st.text(max_size=5) | json_values, "tests": json_values}), max_size=3
        )
        | json_values,
        "pagination": st.fixed_dictionaries({"total_pages": json_values, "current_page_number": json_values})
        | json_values,
    },
)


@given(run_like | json_values)
def test_the_model_raises_only_the_gates_own_errors(data: Any) -> None:
    for parse in (parse_run, lambda body: parse_page(body, 1)):
        with contextlib.suppress(GateError):
            parse(data)


@given(
    json_values
    | st.fixed_dictionaries({}, optional={"thresholds": json_values, "status": json_values, "version": json_values})
)
def test_the_config_check_raises_nothing_and_accepts_only_what_it_can_use(data: Any) -> None:
    policy, problems = policy_problems(data)
    assert (policy is None) == bool(problems)


limits = st.none() | st.integers(0, 6)
rates = st.none() | st.floats(0, 1)
policies = st.builds(
    Policy,
    thresholds=st.builds(
        Thresholds,
        failed=limits,
        flaky=limits,
        skipped=limits,
        timed_out=limits,
        interrupted=limits,
        failed_rate=rates,
        flaky_rate=rates,
        min_tests=st.integers(0, 20),
    ),
    fail_on=st.lists(st.sampled_from(["failed", "timed_out", "interrupted"]), unique=True).map(tuple),
)
counts = st.dictionaries(
    st.sampled_from(["passed", "failed", "flaky", "skipped", "timed_out", "interrupted", "x"]),
    st.integers(0, 8),
    max_size=7,
)


@given(counts, st.sampled_from([*FINAL_STATUSES, "weird"]), st.integers(0, 8), st.integers(0, 8), policies)
def test_a_pass_only_when_every_limit_holds(
    stats: dict[str, int], status: str, listed_failed: int, listed_flaky: int, policy: Policy
) -> None:
    run = Run("p", "r", status, False, stats)
    failed = [TestResult("a", str(i), "failed", None) for i in range(listed_failed)]
    flaky = [TestResult("a", str(i), "flaky", None) for i in range(listed_flaky)]
    verdict = evaluate(run, failed, flaky, policy)
    if not verdict.passed:
        return
    limit = policy.thresholds
    n_failed, n_flaky = max(stats.get("failed", 0), listed_failed), max(stats.get("flaky", 0), listed_flaky)
    real = {**stats, "failed": n_failed, "flaky": n_flaky}
    total = sum(real.values())
    assert status in FINAL_STATUSES and status not in policy.fail_on
    assert status != "failed" or n_failed > 0
    for key in ("failed", "flaky", "skipped", "timed_out", "interrupted"):
        assert getattr(limit, key) is None or real.get(key, 0) <= getattr(limit, key)
    assert limit.failed_rate is None or n_failed <= limit.failed_rate * total + 1e-9
    assert limit.flaky_rate is None or n_flaky <= limit.flaky_rate * total + 1e-9
    assert total >= limit.min_tests


def oracle_passes(final: dict[str, int], status: str, failed_limit: int | None, flaky_limit: int | None) -> bool:
    """What the verdict must be, computed apart from the gate's own code."""
    failed, flaky = final.get("failed", 0), final.get("flaky", 0)
    return (
        status in ("passed", "failed")
        and (status != "failed" or failed > 0)
        and (failed_limit is None or failed <= failed_limit)
        and (flaky_limit is None or flaky <= flaky_limit)
        and sum(final.values()) >= 1
    )


TRANSIENT = [
    {"status": 429},
    {"status": 429, "retry_after": "0"},
    {"status": 500},
    {"status": 502},
    {"status": 503},
    {"status": 504},
    {"reset": True},
    {"html": True},
    {"truncate": True},
]


@settings(max_examples=int(os.environ.get("GATE_CLI_EXAMPLES", "20")))
@given(
    final=st.fixed_dictionaries(
        {
            "passed": st.integers(0, 4),
            "failed": st.integers(0, 3),
            "flaky": st.integers(0, 3),
            "timed_out": st.integers(0, 1),
        }
    ),
    final_status=st.sampled_from([None, "passed", "failed", "timedOut", "interrupted", "exploded"]),
    polls=st.integers(0, 3),
    faults=st.lists(st.sampled_from(TRANSIENT), max_size=4),
    failed_limit=st.none() | st.integers(0, 2),
    flaky_limit=st.none() | st.integers(0, 2),
)
def test_no_sequence_of_faults_and_states_gives_a_false_pass(
    final: dict[str, int],
    final_status: str | None,
    polls: int,
    faults: list[dict[str, Any]],
    failed_limit: int | None,
    flaky_limit: int | None,
) -> None:
    run = SimRun(counts=final, finish_after_polls=polls, final_status=final_status, specs=3)
    status = final_status or ("failed" if final["failed"] or final["timed_out"] else "passed")
    status = {"timedOut": "timed_out"}.get(status, status)
    expected = oracle_passes(final, status, failed_limit, flaky_limit) and status not in ("timed_out", "interrupted")
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "gate.yml"
        config.write_text(
            f"thresholds: {{failed: {'null' if failed_limit is None else failed_limit}, "
            f"flaky: {'null' if flaky_limit is None else flaky_limit}}}\n"
        )
        with Simulator(Scenario(runs=[run], api_key=API_KEY, faults=faults)) as sim:
            env = {
                "PLAYDASH_API_KEY": API_KEY,
                "PLAYDASH_BASE_URL": sim.base_url,
                "PLAYDASH_PROJECT_ID": "pdqmxlz",
                "PLAYDASH_RUN_ID": "kftwnab",
                "PLAYDASH_POLL_INTERVAL": "0.01s",
                "PLAYDASH_MAX_POLL_INTERVAL": "0.02s",
                "PLAYDASH_TIMEOUT": "20s",
            }
            code = cli.main(["--config", str(config)], env=env, out=io.StringIO(), err=io.StringIO())
    assert code in (0, 1)
    assert (code == 0) == expected
