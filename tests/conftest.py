"""Shared fixtures: no real network, a fake clock, the simulator and the installed CLI in a subprocess; and
`case()`, a run put to `evaluate` as the job puts it."""

from __future__ import annotations

import datetime
import functools
import io
import ipaddress
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import pytest
from hypothesis import HealthCheck, settings

from gate import cli
from gate.clock import REAL, Clock, utc_now
from gate.config.types import Policy
from gate.evaluate import BaselineRun, Case
from gate.history import Lookups
from gate.model import Run, TestResult
from gate.policy import PolicyInForce
from gate.simulator import Scenario, SimRun, Simulator

if TYPE_CHECKING:
    from gate.cli.comment import CommentClock

API_KEY = "pdk_live_S3cr3tK3y_for_tests_only"

# The same examples on every run in CI (a property never passes by the luck of a draw); fresh ones when fuzzing.
# Counts per property come from `tests.properties.examples`.
_PROPERTY_SETTINGS: dict[str, Any] = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("ci", max_examples=40, derandomize=True, **_PROPERTY_SETTINGS)
settings.register_profile("fuzz", max_examples=20_000, **_PROPERTY_SETTINGS)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _no_real_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection to a host other than loopback fails the test: tests never touch the internet."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else None
        if host is not None:
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = host == "localhost"
            if not loopback:
                raise AssertionError(f"a test tried to reach the network: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def for_the_gate(self) -> Clock:
        """This clock as `main()`'s: every wait of the gate moves it on at once, and the wall clock with it."""
        start, origin = utc_now(), self.now
        return Clock(self, self.sleep, lambda: start + datetime.timedelta(seconds=self.now - origin))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def simulated(clock: FakeClock) -> Clock:
    """A simulated time for `main()` (see FakeClock.for_the_gate); `clock` reads where it has got to."""
    return clock.for_the_gate()


@pytest.fixture
def simulator() -> Iterator[Callable[..., Simulator]]:
    """Start simulators for a test (`simulator(runs=[...], faults=[...])`); all are stopped afterwards."""
    started: list[Simulator] = []

    def start(*runs: SimRun, **scenario: Any) -> Simulator:
        scenario.setdefault("api_key", API_KEY)
        sim = Simulator(Scenario(runs=list(runs) or [SimRun()], **scenario)).start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


def cli_command() -> list[str]:
    """The installed console script beside this Python, else `python -m gate`."""
    script = Path(sys.executable).with_name("playdash-gate")
    if script.exists():
        return [str(script)]
    found = shutil.which("playdash-gate")
    return [found] if found else [sys.executable, "-m", "gate"]


@dataclass
class CliResult:
    """What a run of the CLI left: exit code, streams, and the report files."""

    code: int
    stdout: str
    stderr: str
    summary: str
    json_path: Path

    @functools.cached_property
    def verdict(self) -> dict[str, Any]:
        """The JSON verdict, checked against the published schema: each test that reads a verdict checks it."""
        return checked_verdict(self.json_path.read_text(encoding="utf-8"), self.json_path.name)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


VERDICT_SCHEMA = Path(__file__).resolve().parents[1] / "gate" / "schema" / "verdict.schema.json"


@functools.cache
def _verdict_validator() -> Any:
    import jsonschema

    schema = json.loads(VERDICT_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def checked_verdict(text: str, name: str = "the JSON verdict") -> dict[str, Any]:
    """A JSON verdict the gate wrote, parsed, once it is checked against the published schema."""
    document = json.loads(text)
    problems = [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message[:300]}"
        for error in _verdict_validator().iter_errors(document)
    ]
    assert not problems, f"{name} does not match {VERDICT_SCHEMA.name}:\n" + "\n".join(problems[:10])
    assert isinstance(document, dict)
    return document


def assert_valid_verdict(path: Path) -> None:
    """The JSON verdict in `path` validates against the published schema."""
    checked_verdict(path.read_text(encoding="utf-8"), path.name)


def _report_file(env: Mapping[str, str], names: Sequence[str], cwd: Path) -> Path | None:
    """Where the gate was told to write a report (a relative name is the workspace's in Actions, else `cwd`'s)."""
    in_actions = env.get("GITHUB_ACTIONS") == "true" and env.get("GITHUB_WORKSPACE")
    base = Path(env["GITHUB_WORKSPACE"]) if in_actions else cwd
    given = next((env[name].strip() for name in names if env.get(name, "").strip()), None)
    return base / given if given else None


def _result(code: int, stdout: str, stderr: str, env: Mapping[str, str], cwd: Path) -> CliResult:
    """What a run left: its streams, its step summary, and where its JSON verdict is (checked as it is read)."""
    summary = _report_file(env, ("GITHUB_STEP_SUMMARY",), cwd)
    text = summary.read_text(encoding="utf-8") if summary is not None and summary.is_file() else ""
    json_path = _report_file(env, ("PLAYDASH_JSON_FILE", "INPUT_JSON-FILE", "INPUT_JSON_FILE"), cwd)
    return CliResult(code, stdout, stderr, text, json_path or cwd / "no-json-verdict-asked.json")


def run_main(
    args: Sequence[str | os.PathLike[str]],
    env: Mapping[str, str],
    *,
    cwd: Path | None = None,
    stdin: str | TextIO = "",
    clock: Clock = REAL,
    comment_clock: CommentClock | None = None,
    streams: tuple[TextIO, TextIO] | None = None,
) -> CliResult:
    """The one way the tests run the gate in-process: `gate.cli.main` as if started in `cwd` (by default, where
    the tests run) with exactly `env` and `stdin` (a text, or an open stream: a pipe, a device), and `clock` (a
    simulated one where time matters); its step summary read back, its JSON verdict checked against the schema
    when the test reads it.

    `streams`: what it writes to instead of two texts (real pipes, for the stream guard); then read them there.
    """
    out, err = (io.StringIO(), io.StringIO()) if streams is None else streams
    before = os.getcwd()
    cwd = cwd or Path(before)
    os.chdir(cwd)
    try:
        stream = io.StringIO(stdin) if isinstance(stdin, str) else stdin
        code = cli.main(
            [os.fspath(arg) for arg in args], dict(env), out, err, stream, clock=clock, comment_clock=comment_clock
        )
    finally:
        os.chdir(before)
    said = (
        (out.getvalue(), err.getvalue()) if isinstance(out, io.StringIO) and isinstance(err, io.StringIO) else ("", "")
    )
    return _result(code, *said, env, cwd)


def validate_config(*args: str | os.PathLike[str], cwd: Path | None = None) -> CliResult:
    """`playdash-gate validate ARGS` in-process, with no environment."""
    return run_main(["validate", *args], {}, cwd=cwd)


def config(folder: Path, text: str, name: str | None = None) -> Path:
    """A config file of `text` in `folder`: `name`, or a name no other file there has (`gate-N.yml`)."""
    path = folder / (name or f"gate-{len(list(folder.iterdir()))}.yml")
    path.write_text(text, encoding="utf-8")
    return path


def _reports(tmp_path: Path, counter: Iterator[int]) -> dict[str, str]:
    """The variables that send the step summary and the JSON verdict to files of their own."""
    number = next(counter)
    return {
        "GITHUB_STEP_SUMMARY": str(tmp_path / f"summary-{number}.md"),
        "PLAYDASH_JSON_FILE": str(tmp_path / f"verdict-{number}.json"),
    }


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., CliResult]:
    """`run_main` with only the given variables (beside a summary and a JSON verdict of its own), in `tmp_path`."""
    counter = iter(range(1000))

    def run(
        *args: str,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        stdin_text: str = "",
        clock: Clock = REAL,
        comment_clock: CommentClock | None = None,
    ) -> CliResult:
        full_env = {**_reports(tmp_path, counter), **(env or {})}
        return run_main(args, full_env, cwd=cwd or tmp_path, stdin=stdin_text, clock=clock, comment_clock=comment_clock)

    return run


@pytest.fixture
def run_installed(tmp_path: Path) -> Callable[..., CliResult]:
    """The installed console script in a subprocess (an end-to-end test), with a clean environment."""
    counter = iter(range(1000))

    def run(
        *args: str,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = 60,
        stdin_text: str = "",
    ) -> CliResult:
        base_env = {key: os.environ[key] for key in ("PATH", "HOME", "SYSTEMROOT", "LANG") if key in os.environ}
        base_env.update({**_reports(tmp_path, counter), "PYTHONIOENCODING": "utf-8"})
        base_env.update(env or {})
        completed = subprocess.run(
            [*cli_command(), *args],
            env=base_env,
            cwd=cwd or tmp_path,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            encoding="utf-8",
            input=stdin_text,
        )
        return _result(completed.returncode, completed.stdout, completed.stderr, base_env, cwd or tmp_path)

    return run


# Each CI by the variables that make it recognised, and the variable its job link is built from.
CI_LINKS = {
    "GitHub Actions": (
        {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/shop", "GITHUB_RUN_ID": "42"},
        "GITHUB_SERVER_URL",
    ),
    "GitLab CI": ({"GITLAB_CI": "true"}, "CI_JOB_URL"),
    "CircleCI": ({"CIRCLECI": "true"}, "CIRCLE_BUILD_URL"),
    "Buildkite": ({"BUILDKITE": "true", "BUILDKITE_JOB_ID": "j-1"}, "BUILDKITE_BUILD_URL"),
    "Jenkins": ({"JENKINS_URL": "https://ci.example.com/"}, "BUILD_URL"),
}


def gate_env(sim: Simulator, **extra: str) -> dict[str, str]:
    """The environment that points the gate at a simulator, with fast polling."""
    env = {
        "PLAYDASH_API_KEY": API_KEY,
        "PLAYDASH_BASE_URL": sim.base_url,
        "PLAYDASH_PROJECT_ID": "pdqmxlz",
        "PLAYDASH_RUN_ID": "kftwnab",
        "PLAYDASH_POLL_INTERVAL": "0.02s",
        "PLAYDASH_MAX_POLL_INTERVAL": "0.05s",
        "PLAYDASH_TIMEOUT": "20s",
    }
    env.update(extra)
    return env


def case(
    run: Run,
    *listings: Sequence[TestResult],
    policy: Policy | None = None,
    today: datetime.date | None = None,
    branch: str | None = None,
    baseline: BaselineRun | None = None,
    lookups: Lookups | None = None,
) -> Case:
    """A run and its listings for `evaluate`, with the policy in force resolved as the job resolves it: by the
    run's branch (the CI's `branch` when the run names none), its tags, and `today`."""
    in_force = PolicyInForce(policy or Policy(), ci_branch=branch, today=today)(run)
    return Case(run, listings, in_force, baseline=baseline, lookups=lookups)
