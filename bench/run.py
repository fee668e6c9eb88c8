"""The benchmark harness: what a pipeline pays for the gate, measured against the simulator on 127.0.0.1
with added latency, side by side with a naive baseline (bench/baseline.py), several times each.

    python bench/run.py --record   # the full run, recorded in bench/results.json (about 15 minutes)
    python bench/run.py --quick    # a look in under 2 minutes: prints its table, records nothing
    python bench/run.py --only large --repeat 3 --latency 0.05   # prints; add --record to keep it

Scenarios: latency (runs finishing after 10 s, 60 s, 300 s; time compressed by --scale, intervals
and latency compressed alike, results scaled back), finished (whole-process time on a finished run
against `python -c "import requests"`), large (2,000 specs with 20,000 failed and 5,000 flaky tests,
and 100,000 tests for memory), faults (20% 503 and a 429 storm), many (five runs of 5,000 tests in one gate,
against one alone), history (the result histories of 50
failed tests, with and without a history section), floor (the large run's CPU time against bench/floor.py, the
least a script listing its failed tests does), in_flight (the large run with and without latency, for each
--max-in-flight), reading (what the bounded reader costs on a real
listing of 100,000 tests), hostile (peak memory against the worst answers and files of each kind, at and
past the limits of gate/bounded.py), container (build, size, start), guard (the JSON and JUnit reports of
100,000 tests written as they are and through the stream guard), redaction (the redactor over every report
of 100,000 failed tests, clean and with the key echoed).
"""

from __future__ import annotations

import argparse
import base64
import datetime
import itertools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gate.simulator import Scenario, SimRun, Simulator  # noqa: E402

KEY = "bench-key-0123456789"
GATE = [str(Path(sys.executable).with_name("playdash-gate"))]
BASELINE = [sys.executable, str(ROOT / "bench" / "baseline.py")]


def spread(values: list[float]) -> dict[str, float]:
    """Median and spread (min, max) of repeated measurements."""
    return {
        "median": round(statistics.median(values), 4),
        "min": round(min(values), 4),
        "max": round(max(values), 4),
        "n": len(values),
    }


def run_process(command: list[str], env: dict[str, str]) -> tuple[int, float, int]:
    """Run a command; its exit code, wall time, and peak RSS in KiB (see `run_measured`)."""
    code, took, peak, _cpu = run_measured(command, env)
    return code, took, peak


def run_measured(command: list[str], env: dict[str, str]) -> tuple[int, float, int, float]:
    """Run a command; its exit code, wall time, peak RSS in KiB, and CPU time (user and system, its threads').

    The peak is the child's own VmHWM, read from /proc every 5 ms while it runs: wait4's ru_maxrss
    would also count the memory of this process at fork time (the simulator's), which is not the gate's.
    """
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    status = Path(f"/proc/{process.pid}/status")
    while True:
        pid, code, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        try:
            match = re.search(r"^VmHWM:\s+(\d+) kB", status.read_text(), re.MULTILINE)
        except OSError:
            match = None
        if match:
            peak = max(peak, int(match.group(1)))
        time.sleep(0.005)
    took = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(code)  # reaped here: keep Popen from waiting for it again
    return process.returncode, took, peak, usage.ru_utime + usage.ru_stime


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """A command's wall time to its exit, and its CPU time (user and system), its output discarded."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, _status, usage = os.wait4(process.pid, 0)
    took = time.perf_counter() - started
    process.returncode = 0  # reaped here: keep Popen from waiting for it again
    return took, usage.ru_utime + usage.ru_stime


def gate_env(sim: Simulator, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PLAYDASH_API_KEY": KEY,
        "PLAYDASH_BASE_URL": sim.base_url,
        "PLAYDASH_PROJECT_ID": "pdqmxlz",
        "PLAYDASH_RUN_ID": "kftwnab",
        "PLAYDASH_TIMEOUT": "30m",
    }
    env.update(extra)
    return env


def baseline_command(sim: Simulator, poll: float, json_file: str | None = None) -> list[str]:
    command = [
        *BASELINE,
        "--base-url",
        sim.base_url,
        "--project-id",
        "pdqmxlz",
        "--run-id",
        "kftwnab",
        "--poll",
        str(poll),
    ]
    return command + (["--json-file", json_file] if json_file else [])


# -- 1. verdict latency ----------------------------------------------------------------------------


def latency(args: argparse.Namespace) -> dict[str, Any]:
    """How long after the run finishes the gate notices and exits, and the requests it makes on the way."""
    scale = args.scale
    figures: dict[str, Any] = {
        "scale": scale,
        "note": "seconds are real-world: waits measured in compressed "
        "time divided by the scale; process start and exit are not compressed",
    }
    for finish in (10, 60) if args.quick else (10, 60, 300):
        for name, command in (("gate", None), ("baseline", "baseline")):
            noticed, exited, requests = [], [], []
            for _ in range(args.repeat):
                run = SimRun(counts={"passed": 200, "flaky": 2}, specs=40, finish_after_seconds=finish * scale)
                with Simulator(Scenario(runs=[run], api_key=KEY, latency=args.latency * scale)) as sim:
                    if command is None:
                        env = gate_env(
                            sim, PLAYDASH_POLL_INTERVAL=f"{2 * scale}s", PLAYDASH_MAX_POLL_INTERVAL=f"{15 * scale}s"
                        )
                        cmd = GATE
                    else:
                        env = gate_env(sim)
                        cmd = baseline_command(sim, 5 * scale)
                    run_process(cmd, env)
                    end = time.monotonic()
                    finished = sim.state.started + finish * scale
                    seen = sim.finished_at("pdqmxlz", "kftwnab") or end
                    noticed.append((seen - finished) / scale)
                    exited.append((seen - finished) / scale + (end - seen))
                    requests.append(len(sim.requests))
            figures[f"{name}_finish_{finish}s"] = {
                "noticed_after_s": spread(noticed),
                "exited_after_s": spread(exited),
                "requests": spread([float(r) for r in requests]),
            }
    return figures


# -- 2. already finished ---------------------------------------------------------------------------


def finished(args: argparse.Namespace) -> dict[str, Any]:
    """Whole-process time of the gate on a finished run, against importing requests, in the same run.

    The gate and `python -c "import requests"` run turn about, so that both see the same machine: wall time
    (to the process's exit, not polled) and CPU time (steadier still on a busy machine).
    """
    figures: dict[str, Any] = {}
    imports: list[tuple[float, float]] = []
    for label, latency_s in (("no_latency", 0.0), (f"latency_{int(args.latency * 1000)}ms", args.latency)):
        run = SimRun(counts={"passed": 38, "failed": 0, "flaky": 1})
        with Simulator(Scenario(runs=[run], api_key=KEY, latency=latency_s)) as sim:
            env = gate_env(sim)
            gate_times = []
            for _ in range(args.repeat * 4):
                gate_times.append(timed(GATE, env))
                if not latency_s:
                    imports.append(timed([sys.executable, "-c", "import requests"], env))
            requests = len(sim.requests) / (args.repeat * 4)
            figures[label] = {"gate_s": spread([wall for wall, _ in gate_times]), "requests_per_run": requests}
            if not latency_s:
                figures["gate_cpu_s"] = spread([cpu for _, cpu in gate_times])
    bare = [timed([sys.executable, "-c", "pass"], dict(os.environ))[0] for _ in range(args.repeat * 2)]
    version = [timed([*GATE, "--version"], dict(os.environ))[0] for _ in range(args.repeat * 2)]
    figures["python_import_requests_s"] = spread([wall for wall, _ in imports])
    figures["python_import_requests_cpu_s"] = spread([cpu for _, cpu in imports])
    figures["python_bare_s"] = spread(bare)
    figures["gate_version_s"] = spread(version)
    figures["gate_vs_import_requests"] = round(
        figures["no_latency"]["gate_s"]["median"] / figures["python_import_requests_s"]["median"], 2
    )
    figures["gate_vs_import_requests_cpu"] = round(
        figures["gate_cpu_s"]["median"] / figures["python_import_requests_cpu_s"]["median"], 2
    )
    return figures


# -- 3. large runs ---------------------------------------------------------------------------------


def large(args: argparse.Namespace) -> dict[str, Any]:
    """A large run to the full report: wall time, requests and peak memory, gate against baseline."""
    figures: dict[str, Any] = {"latency_s": args.latency}
    cases = {
        "2000_specs_20000_failed_5000_flaky": (LARGE_RUN, True),
        "100000_failed_tests": (SimRun(counts={"failed": 100_000}, specs=10_000), False),
    }
    if args.quick:  # the large run alone: the 100,000-test memory case takes minutes
        del cases["100000_failed_tests"]
    for name, (run, with_baseline) in cases.items():
        tools: list[tuple[str, Callable[[Simulator, str], tuple[list[str], dict[str, str]]]]] = [
            # The same report as the baseline's (a JSON file of the failed and flaky tests) ...
            ("gate", lambda sim, folder: ([*GATE, "--json-file", f"{folder}/v.json"], gate_env(sim))),
            # ... and every report the gate can write.
            (
                "gate_all_reports",
                lambda sim, folder: (
                    [
                        *GATE,
                        "--json-file",
                        f"{folder}/v.json",
                        "--summary-file",
                        f"{folder}/s.md",
                        "--junit-file",
                        f"{folder}/j.xml",
                    ],
                    gate_env(sim),
                ),
            ),
        ]
        if with_baseline:
            tools.append(
                ("baseline", lambda sim, folder: (baseline_command(sim, 5, f"{folder}/b.json"), gate_env(sim)))
            )
        for tool, make in tools:
            walls, rss, requests = [], [], []
            for _ in range(args.repeat):
                with (
                    Simulator(Scenario(runs=[run], api_key=KEY, latency=args.latency)) as sim,
                    tempfile.TemporaryDirectory() as folder,
                ):
                    command, env = make(sim, folder)
                    _code, took, peak = run_process(command, env)
                    walls.append(took)
                    rss.append(peak / 1024)
                    requests.append(float(len(sim.requests)))
            figures[f"{name}_{tool}"] = {
                "wall_s": spread(walls),
                "peak_rss_mb": spread(rss),
                "requests": spread(requests),
            }
        if with_baseline:
            figures[f"{name}_speedup"] = round(
                figures[f"{name}_baseline"]["wall_s"]["median"] / figures[f"{name}_gate"]["wall_s"]["median"], 2
            )
    return figures


# The large run of the `large` scenario, judged or listed again by the floor and the in-flight scenarios.
LARGE_RUN = SimRun(counts={"passed": 5000, "failed": 20000, "flaky": 5000}, specs=2000)


def floor_command(sim: Simulator, out: str, client: str = "requests") -> list[str]:
    """bench/floor.py for the simulator's run: its pages one at a time, parsed, the failed list written."""
    floor = [sys.executable, str(ROOT / "bench" / "floor.py"), "--base-url", sim.base_url, "--out", out]
    return [*floor, "--project-id", "pdqmxlz", "--run-id", "kftwnab", "--client", client]


def floor(args: argparse.Namespace) -> dict[str, Any]:
    """The large run's CPU time against the floor (bench/floor.py, with requests and with urllib3 alone), all
    three turn about, no latency: what the gate's checks, reports and pages in flight cost on top."""
    tools = {
        "gate": lambda sim, folder: [*GATE, "--json-file", f"{folder}/v.json"],
        "floor_requests": lambda sim, folder: floor_command(sim, f"{folder}/f.txt"),
        "floor_urllib3": lambda sim, folder: floor_command(sim, f"{folder}/f.txt", "urllib3"),
    }
    # The same on a run of one failed test: what starting (imports, settings, one poll) costs each of them.
    small = SimRun(counts={"passed": 10, "failed": 1})
    runs = {"": LARGE_RUN, "_small_run": small}
    measured: dict[str, list[tuple[float, float]]] = {name + size: [] for name in tools for size in runs}
    for _ in range(args.repeat * 2):
        for name, make in tools.items():
            for size, run in runs.items():
                with Simulator(Scenario(runs=[run], api_key=KEY)) as sim, tempfile.TemporaryDirectory() as folder:
                    _code, took, _peak, cpu = run_measured(make(sim, folder), gate_env(sim))
                    measured[name + size].append((took, cpu))
    figures: dict[str, Any] = {"load_average_1m": round(os.getloadavg()[0], 1)}
    for name, times in measured.items():
        figures[name] = {"wall_s": spread([wall for wall, _ in times]), "cpu_s": spread([cpu for _, cpu in times])}

    def cpu(name: str) -> float:
        return float(figures[name]["cpu_s"]["median"])

    for name in ("floor_requests", "floor_urllib3"):
        figures[f"gate_cpu_vs_{name}"] = round(cpu("gate") / cpu(name), 2)
        # The large run beyond starting: its pages, checks and report, against the floor's pages and list.
        figures[f"gate_cpu_beyond_start_vs_{name}"] = round(
            (cpu("gate") - cpu("gate_small_run")) / (cpu(name) - cpu(f"{name}_small_run")), 2
        )
    figures["target_cpu_ratio"] = 1.5
    return figures


def in_flight(args: argparse.Namespace) -> dict[str, Any]:
    """Latency hidden: the large run's wall time at `--latency` per answer against no latency, for each bound on
    requests in flight (1 is one page at a time), all turn about."""
    bounds = (1, 4, 8, 16) if args.quick else (1, 2, 4, 8, 16, 32)
    cases = [(bound, latency) for latency in (0.0, args.latency) for bound in bounds]
    walls: dict[tuple[int, float], list[float]] = {case: [] for case in cases}
    most: dict[tuple[int, float], int] = {}
    for _ in range(args.repeat):
        for bound, latency in cases:
            with (
                Simulator(Scenario(runs=[LARGE_RUN], api_key=KEY, latency=latency)) as sim,
                tempfile.TemporaryDirectory() as folder,
            ):
                command = [*GATE, "--json-file", f"{folder}/v.json", "--max-in-flight", str(bound)]
                _code, took, _peak, _cpu = run_measured(command, gate_env(sim))
                walls[(bound, latency)].append(took)
                most[(bound, latency)] = max(most.get((bound, latency), 0), sim.state.most_waiting)
    ms = int(args.latency * 1000)
    figures: dict[str, Any] = {"latency_s": args.latency, "load_average_1m": round(os.getloadavg()[0], 1)}
    for bound in bounds:
        at_zero, at_latency = walls[(bound, 0.0)], walls[(bound, args.latency)]
        figures[f"max_in_flight_{bound}"] = {
            "wall_no_latency_s": spread(at_zero),
            f"wall_{ms}ms_s": spread(at_latency),
            "most_in_flight_seen": most[(bound, args.latency)],
            f"{ms}ms_vs_no_latency": round(statistics.median(at_latency) / statistics.median(at_zero), 2),
            f"one_at_a_time_{ms}ms_vs_this": round(
                statistics.median(walls[(1, args.latency)]) / statistics.median(at_latency), 2
            ),
        }
    figures["targets"] = {f"{ms}ms_vs_no_latency": 1.2, f"one_at_a_time_{ms}ms_vs_this": 3.0}
    return figures


# -- 4. faults -------------------------------------------------------------------------------------


def faults(args: argparse.Namespace) -> dict[str, Any]:
    """Time to verdict and requests under 20% 503s and a 429 storm; the gaps after each 429."""
    figures: dict[str, Any] = {}
    storm = [{"status": 429, "retry_after": "1"}] * 5
    for name, scenario in (
        ("503_20_percent", {"fault_rate": 0.2, "random_faults": [{"status": 503}]}),
        ("429_storm_retry_after_1s", {"faults": storm}),
    ):
        for tool in ("gate", "baseline"):
            walls, requests, gaps = [], [], []
            for seed in range(1 if args.quick else args.repeat):
                run = SimRun(counts={"passed": 300, "failed": 30, "flaky": 10}, specs=200, finish_after_seconds=3)
                with Simulator(Scenario(runs=[run], api_key=KEY, latency=args.latency, seed=seed, **scenario)) as sim:
                    command = GATE if tool == "gate" else baseline_command(sim, 5)
                    _code, took, _rss = run_process(command, gate_env(sim))
                    walls.append(took - 3)
                    requests.append(float(len(sim.requests)))
                    times = [r["time"] for r in sim.requests]
                    gaps += [b - a for a, b in itertools.pairwise(times[: len(storm) + 1])]
            figures[f"{name}_{tool}"] = {"verdict_after_finish_s": spread(walls), "requests": spread(requests)}
            if name.startswith("429") and gaps:
                figures[f"{name}_{tool}"]["least_gap_after_a_429_s"] = round(min(gaps), 3)
    return figures


# -- 4b. several runs ------------------------------------------------------------------------------


def many(args: argparse.Namespace) -> dict[str, Any]:
    """Five runs of 5,000 tests each, finishing at the same moment, judged in one gate, against one such run
    alone: the wall time to the verdict (the issue's budget: at most 1.5 times the one run's), and requests."""
    figures: dict[str, Any] = {"latency_s": args.latency}
    finish = 1.0
    counts = {"passed": 4_650, "failed": 250, "flaky": 100}

    def runs(number: int) -> list[SimRun]:
        return [
            SimRun(
                project_id=f"app{index}", run_id=f"run{index}", counts=counts, specs=400, finish_after_seconds=finish
            )
            for index in range(number)
        ]

    for name, number in (("one_run", 1), ("five_runs", 5)):
        walls, after, requests = [], [], []
        for _ in range(args.repeat):
            with Simulator(Scenario(runs=runs(number), api_key=KEY, latency=args.latency)) as sim:
                env = gate_env(sim, PLAYDASH_POLL_INTERVAL="0.25s", PLAYDASH_MAX_POLL_INTERVAL="0.25s")
                env["PLAYDASH_RUN_URL"] = "\n".join(
                    f"{sim.base_url}/projects/app{index}/runs/run{index}" for index in range(number)
                )
                for name_set in ("PLAYDASH_PROJECT_ID", "PLAYDASH_RUN_ID", "PLAYDASH_BASE_URL"):
                    env.pop(name_set)
                code, took, _rss = run_process(GATE, env)
                assert code == 1, f"{name}: the gate exited {code}, not 1 (each run has failed tests)"
                walls.append(took)
                after.append(took - finish)
                requests.append(float(len(sim.requests)))
        figures[name] = {"wall_s": spread(walls), "verdict_after_finish_s": spread(after), "requests": spread(requests)}
    for figure in ("wall_s", "verdict_after_finish_s"):
        five, one = figures["five_runs"][figure]["median"], figures["one_run"][figure]["median"]
        figures[f"five_over_one_{figure.removesuffix('_s')}"] = round(five / one, 2)
    return figures


# -- 5. history -----------------------------------------------------------------------------------


def history_lookups(args: argparse.Namespace) -> dict[str, Any]:
    """What looking up the history of 50 failed tests adds to the verdict, at `--latency` per answer."""
    from gate.simulator.scenarios import history

    past = ["passed", "failed", "passed", "passed", "passed"]
    tests = [
        {
            "test_id": f"t{index:03d}",
            "spec": f"spec-{index % 10}.spec.ts",
            "title": f"fails {index}",
            "status": "failed",
        }
        for index in range(50)
    ]
    tests += [{"spec": "fine.spec.ts", "title": f"passes {index}", "status": "passed"} for index in range(200)]
    histories = {test["test_id"]: history(past) for test in tests[:50]}
    figures: dict[str, Any] = {"latency_s": args.latency, "failed_tests": 50}
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "history.yml"
        config.write_text("history:\n  branch: main\n  forgive: [flaky]\n  max_forgiven: 50\n")
        plain = Path(folder) / "plain.yml"
        plain.write_text("thresholds: {failed: null}\n")
        for label, path in (("without_history", plain), ("with_history", config)):
            walls, tails, requests = [], [], []
            for _ in range(args.repeat * 2):
                run = SimRun(tests=tests, histories=histories)
                with Simulator(Scenario(runs=[run], api_key=KEY, latency=args.latency)) as sim:
                    _code, took, _rss = run_process(GATE, gate_env(sim, PLAYDASH_CONFIG=str(path)))
                    ended = time.monotonic()
                    walls.append(took)
                    # From the answer of the last page of tests to the end of the process: the lookups (if
                    # any), the verdict and the reports; process start, which only adds noise, is left out.
                    pages = [r["time"] for r in sim.requests if not r["path"].endswith("/result_histories")]
                    tails.append(ended - (max(pages) + args.latency))
                    requests.append(float(len(sim.requests)))
            figures[label] = {"wall_s": spread(walls), "after_last_page_s": spread(tails), "requests": spread(requests)}
    added = (
        figures["with_history"]["after_last_page_s"]["median"]
        - figures["without_history"]["after_last_page_s"]["median"]
    )
    figures["added_to_verdict_s"] = round(added, 3)
    figures["limit_s"] = 0.5
    return figures


# -- 6. the bounded reader's cost ----------------------------------------------------------------


def reading(args: argparse.Namespace) -> dict[str, Any]:
    """What reading within bounds costs on a real listing (100,000 failed tests, 100 pages of about 100 KB):
    the checks gate/bounded.py makes of each page (none runs on pages this size, shown here as if they did),
    what is kept counted, and the decoding and parsing against json.loads as it was. In-process CPU time."""
    import urllib.request

    from gate.bounded import RUN_ANSWER, TEST_BYTES, Kept, _int_or_infinity, count_items, decode, parse, text_size
    from gate.job.gather import _texts
    from gate.model import parse_page

    run = SimRun(counts={"failed": 100_000}, specs=10_000)
    with Simulator(Scenario(runs=[run], api_key=KEY)) as sim:
        bodies = []
        for page in range(1, 101):
            url = f"{sim.base_url}/projects/pdqmxlz/runs/kftwnab?status=failed&page={page}&page_size=100"
            request = urllib.request.Request(url, headers={"X-Api-Key": KEY})
            with urllib.request.urlopen(request) as answer:
                bodies.append(answer.read())
    datas = [json.loads(body) for body in bodies]
    pages = [parse_page(data, number) for number, data in enumerate(datas, start=1)]
    steps: dict[str, Callable[[], object]] = {
        # As answers were read before: json.loads of the bytes, the same reading of numbers.
        "json_loads_as_before_ms": lambda: [json.loads(body, parse_int=_int_or_infinity) for body in bodies],
        "decode_and_parse_ms": lambda: [parse(decode(body, RUN_ANSWER)) for body in bodies],
        "count_of_values_if_it_ran_ms": lambda: [count_items(body) for body in bodies],
        "text_size_if_it_ran_ms": lambda: [text_size(body) for body in bodies],
        "parse_page_ms": lambda: [parse_page(data, number) for number, data in enumerate(datas, start=1)],
        "kept_counted_ms": lambda: [
            Kept(10**12, "bench").charge(len(page.tests), TEST_BYTES, _texts(page.tests)) for page in pages
        ],
    }
    figures: dict[str, Any] = {"pages": len(bodies), "page_kb": round(statistics.mean(map(len, bodies)) / 1024, 1)}
    for name, step in steps.items():
        times = []
        for _ in range(args.repeat * 2):
            started = time.process_time()
            step()
            times.append((time.process_time() - started) * 1000)
        figures[name] = spread(times)
    figures["checks_ran_on_these_pages"] = any(
        len(body) >= RUN_ANSWER.max_items or len(body) * 4 > RUN_ANSWER.text_bound for body in bodies
    )
    return figures


# -- 7. hostile answers and files -----------------------------------------------------------------

MIB = 1024 * 1024


def _run_answer(page: int, total_pages: int, specs: list[dict[str, Any]], failed: int) -> dict[str, Any]:
    from tests.acceptance.adversarial.hostile import run_body

    return run_body(status="failed", counts={"failed": failed}, specs=specs, total_pages=total_pages, page=page)


def _unique_tests_page(page: int) -> bytes:
    """A page of 100 specs of failed tests, just under a Get run answer's limits (4 MiB, 300,000 values), every
    test its own."""
    specs = [
        {
            "spec_id": f"s{page}-{spec}",
            "file_name": f"spec-{page}-{spec}.spec.ts",
            "tests": [
                {
                    "test_id": f"t{page}-{spec}-{test}",
                    "title": f"p{page} s{spec} t{test} " + "x" * 24,
                    "status": "failed",
                    "duration": 1.5,
                }
                for test in range(330)
            ],
        }
        for spec in range(100)
    ]
    return json.dumps(_run_answer(page, 2000, specs, 10**6)).encode()


def _long_title_page(page: int, pages: int = 2000) -> bytes:
    """A page whose one test has a title of 4 MiB less a little: an emoji first, so 16 MiB as a Python text."""
    title = f"{page} \U0001f600" + "a" * (4 * MIB - 4096)
    specs = [
        {
            "spec_id": f"s{page}",
            "file_name": "long.spec.ts",
            "tests": [{"test_id": f"t{page}", "title": title, "status": "failed", "duration": 1.0}],
        }
    ]
    return json.dumps(_run_answer(page, pages, specs, pages if pages < 2000 else 10**6), ensure_ascii=False).encode()


def _wide_history() -> bytes:
    """Result histories of 2 MiB less a little, every entry on a branch whose name is wide (an emoji first)."""
    entry = {
        "status": "passed",
        "started_at": "2026-06-27T09:14:25.000Z",
        "run_id": "r0",
        "run": {"branch": "\U0001f600" + "b" * 20_000},
    }
    entries = [{**entry, "run_id": f"r{index}"} for index in range(100)]
    return json.dumps({"result_histories": entries}, ensure_ascii=False).encode()


def _endless(piece: bytes, total: int, head: bytes = b"", tail: bytes = b"") -> Callable[[], Iterator[bytes]]:
    """Chunks of `piece` making `total` bytes, between a head and a tail: a body sent chunked, never declared."""

    def chunks() -> Iterator[bytes]:
        yield head
        for _ in range(total // len(piece)):
            yield piece
        yield tail

    return chunks


def hostile(args: argparse.Namespace) -> dict[str, Any]:
    """The gate's peak memory against the worst answers and files of each kind, each just within or past its
    limits (gate/bounded.py): the exit code, the peak RSS (MB) and the time each case took."""
    from tests.acceptance.adversarial.hostile import Reply, Request, run_body, spec
    from tests.acceptance.adversarial.hostile import hostile as serve

    braces = b"{}," * MIB
    failed_tests = [(f"fails {index}", "failed") for index in range(8)]
    failing = json.dumps(run_body(status="failed", counts={"failed": 8}, specs=[spec("a.spec.ts", *failed_tests)]))
    history_config = "history:\n  branch: main\n  forgive: [flaky]\n  max_forgiven: 50\n"

    def history_31_mib_of_braces(request: Request) -> Reply:
        # The review's case: eight result histories of 31 MiB of `{}` each, sent chunked (no length declared).
        if request.path.endswith("/result_histories"):
            return Reply(chunks=_endless(braces, 31 * MIB, b'{"result_histories": [', b"{}]}"))
        return Reply(body=failing)

    def pages_of_unique_tests(request: Request) -> Reply:
        page = int(request.query.get("page", "1"))
        return Reply(body=_unique_tests_page(page))

    def pages_of_long_titles(request: Request) -> Reply:
        page = int(request.query.get("page", "1"))
        return Reply(body=_long_title_page(page))

    def pages_of_braces(request: Request) -> Reply:
        head = b'{"is_running": false, "status": "failed", "specs": ['
        return Reply(chunks=_endless(braces, 4 * MIB - 4096, head, b"{}]}"))

    def pages_nested(request: Request) -> Reply:
        return Reply(chunks=_endless(b"[" * 65536, 4 * MIB - 65536))

    def github(request: Request) -> Reply:
        # A page of 100 comments of GitHub's longest (65,536 characters), every one an emoji: 26 MB.
        body = json.dumps([{"id": index, "body": "\U0001f600" * 65_536} for index in range(100)], ensure_ascii=False)
        return Reply(body=body.encode())

    def all_at_once(request: Request) -> Reply:
        # What the gate keeps, near its limits: five tests of 16 MiB titles (80 of the 96 MiB) and their
        # wide histories (the 32 MiB kept of them); then, with all that held, GitHub's widest page.
        if request.path.endswith("/result_histories"):
            return Reply(body=_wide_history())
        if "status" in request.query:
            return Reply(body=_long_title_page(int(request.query.get("page", "1")), pages=5))
        return Reply(body=run_body(status="failed", counts={"failed": 5}))

    cases: dict[str, dict[str, Any]] = {
        "history_8_answers_of_31_mib_of_braces": {"handler": history_31_mib_of_braces, "config": history_config},
        "pages_of_unique_tests_at_the_limit": {"handler": pages_of_unique_tests},
        "pages_of_one_title_of_4_mib_emoji_first": {"handler": pages_of_long_titles},
        "pages_of_4_mib_of_braces": {"handler": pages_of_braces},
        "pages_nested_4_mib_deep": {"handler": pages_nested},
        "github_comments_page_at_the_limit": {"handler": lambda _request: Reply(body=failing), "github": github},
        "kept_near_the_limits_then_githubs_widest_page": {
            "handler": all_at_once,
            "config": history_config,
            "github": github,
        },
    }
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "history.yml"
        config.write_text(history_config)
        event = Path(folder) / "event.json"
        event.write_text(json.dumps({"pull_request": {"number": 7}}))
        for name, case in cases.items():
            with serve(case["handler"]) as server, serve(case.get("github", lambda _r: Reply(body=b"[]"))) as gh:
                env = {
                    "PATH": os.environ.get("PATH", ""),
                    "PLAYDASH_API_KEY": KEY,
                    "PLAYDASH_BASE_URL": server.url,
                    "PLAYDASH_PROJECT_ID": "pdqmxlz",
                    "PLAYDASH_RUN_ID": "kftwnab",
                    "PLAYDASH_TIMEOUT": "2m",
                    "PLAYDASH_JSON_FILE": f"{folder}/v.json",
                }
                if "config" in case:
                    env["PLAYDASH_CONFIG"] = str(config)
                if "github" in case:
                    env.update(
                        GITHUB_API_URL=gh.url,
                        GITHUB_REPOSITORY="acme/shop",
                        GITHUB_EVENT_NAME="pull_request",
                        GITHUB_EVENT_PATH=str(event),
                        GITHUB_TOKEN="ghs_bench_token_0123456789",
                        PLAYDASH_COMMENT="always",
                    )
                figures[name] = _measured(GATE, env, args.repeat)
        saved = {
            "from_file_dev_zero": "/dev/zero",
            "from_file_of_braces_under_16_mib": _written(Path(folder) / "braces.json", b"[" + braces * 5 + b"{}]"),
            "from_file_of_real_tests_at_its_values_limit": _written(Path(folder) / "real.json", _saved_pages(118)),
            "from_file_of_one_emoji_string_of_16_mib": _written(
                Path(folder) / "emoji.json", ('"\U0001f600' + "a" * (16 * MIB - 16) + '"').encode()
            ),
        }
        for name, path in saved.items():
            env = {"PATH": os.environ.get("PATH", ""), "PLAYDASH_JSON_FILE": f"{folder}/v.json"}
            figures[name] = _measured([*GATE, "--from-file", path], env, args.repeat)
    return figures


def _saved_pages(pages: int) -> bytes:
    """A saved answer of `pages` pages of 1,000 failed tests (10 to a spec), as a real run's: just under the
    1,200,000 values a saved answer may hold."""
    listing = []
    for page in range(1, pages + 1):
        specs = [
            {
                "spec_id": f"s{page:03d}{spec:02d}",
                "file_name": f"spec-{page:03d}-{spec:02d}.spec.ts",
                "tests": [
                    {
                        "test_id": f"t{page:03d}{spec:02d}{test}",
                        "title": f"failed test {page}.{spec}.{test}",
                        "status": "failed",
                        "duration": 2.5,
                    }
                    for test in range(10)
                ],
            }
            for spec in range(100)
        ]
        listing.append(_run_answer(page, pages, specs, pages * 1000))
    return json.dumps(listing).encode()


def _written(path: Path, content: bytes) -> str:
    path.write_bytes(content)
    return str(path)


def _measured(command: list[str], env: dict[str, str], repeat: int) -> dict[str, Any]:
    """Exit codes, wall time and peak RSS of a few runs, and why the last one ended (its verdict's message)."""
    codes, walls, peaks = set(), [], []
    for _ in range(max(1, repeat // 2)):
        code, took, peak = run_process(command, env)
        codes.add(code)
        walls.append(took)
        peaks.append(peak / 1024)
    verdict = json.loads(Path(env["PLAYDASH_JSON_FILE"]).read_text())
    return {
        "exit_codes": sorted(codes),
        "wall_s": spread(walls),
        "peak_rss_mb": spread(peaks),
        "why": verdict["message"][:160],
    }


# -- 8. container ----------------------------------------------------------------------------------


def container(args: argparse.Namespace) -> dict[str, Any]:
    """Build from scratch and after a code-only change, the size the image adds, start to first request."""
    tool = ROOT.parent / "shared" / "tools" / "container-check"
    if not tool.exists():
        return {"skipped": "../shared/tools/container-check is not here"}
    figures: dict[str, Any] = {"note": "buildah with the vfs driver and a stand-in base image: slower than docker"}
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "project"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info"))
        tag = f"localhost/gate-bench:{os.getpid()}"
        for label, change in (("scratch", None), ("code_change", "gate/__init__.py")):
            if change:
                with (copy / change).open("a") as handle:
                    handle.write("\n# a code-only change\n")
            extra = ["--no-cache"] if label == "scratch" else []
            del extra  # container-check has no --no-cache: a fresh tag and a fresh copy are the closest
            started = time.monotonic()
            done = subprocess.run(
                [sys.executable, str(tool), "build", "--project", str(copy), "--tag", tag],
                capture_output=True,
                text=True,
                check=False,
            )
            figures[f"build_{label}_s"] = round(time.monotonic() - started, 1)
            size = re.search(r"adds to the base: ([\d.]+) MB", done.stdout)
            figures["image_adds_mb"] = float(size.group(1)) if size else None
            figures[f"build_{label}_cached_steps"] = done.stdout.count("Using cache") + done.stderr.count("Using cache")
        with Simulator(Scenario(runs=[SimRun()], api_key=KEY)) as sim:
            started = time.monotonic()
            subprocess.run(
                [
                    sys.executable,
                    str(tool),
                    "run",
                    "--project",
                    str(copy),
                    "--tag",
                    tag,
                    "--with",
                    f"api-key={KEY}",
                    "--with",
                    f"base-url={sim.base_url}",
                    "--with",
                    "project-id=pdqmxlz",
                    "--with",
                    "run-id=kftwnab",
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            first = sim.requests[0]["time"] if sim.requests else None
            figures["start_to_first_request_s"] = round(first - started, 2) if first else None
    return figures


# -- 7. stream guard -------------------------------------------------------------------------------


def stream_guard(args: argparse.Namespace) -> dict[str, Any]:
    """What the guard on stdout and stderr costs: the JSON and JUnit reports of 100,000 failed tests written
    to /dev/null as they are, and through the guard (in-process: the guard alone, not the whole gate)."""
    from gate.cli.guard import GuardedStream
    from gate.ending import Ending
    from gate.evaluate import Verdict
    from gate.model import TestResult
    from gate.outcome import Outcome
    from gate.report import json_report, junit

    title = "checkout #{}: pays with a [declined] card"
    tests = tuple(
        TestResult(f"specs/area-{n % 2000}/checkout.spec.ts", title.format(n), "failed", 1.2) for n in range(100_000)
    )
    verdict = Verdict(checks=(), counts={"failed": len(tests)}, total=len(tests), failed_tests=tests)
    outcome = Outcome(Ending.FAILED, 1, "gate failed", "bench", result=verdict)
    figures: dict[str, Any] = {}
    for name, render in (("json", json_report.chunks), ("junit", junit.chunks)):
        pieces = list(render(outcome))
        # Written in blocks of 64 KiB, as report files are.
        text = "".join(pieces)
        blocks = [text[start : start + 65536] for start in range(0, len(text), 65536)]
        figures[f"{name}_mb"] = round(len(text.encode()) / 1e6, 1)
        for label, wrap in (("raw", lambda stream: stream), ("guarded", GuardedStream)):
            took = []
            for _ in range(args.repeat):
                with open(os.devnull, "w", encoding="utf-8") as sink:
                    stream = wrap(sink)
                    started = time.perf_counter()
                    for block in blocks:
                        stream.write(block)
                    took.append(time.perf_counter() - started)
            figures[f"{name}_{label}_s"] = spread(took)
    return figures


# -- 8. redaction ----------------------------------------------------------------------------------

# Titles as Playwright suites write them: quotes, brackets, `&`, `<`, `%`, `_`, `#`, emoji (the reports then
# hold every kind of escape the redactor reads: Markdown's backslashes, XML's and HTML's references).
TITLES = [
    "checkout › applies the 'SUMMER_10' coupon (mobile) & shows 20% off <Total>",
    "login_page: rejects an empty password [a11y] #42",
    'search — finds "red shoes" via /api/search?q=red%20shoes',
    "cart: keeps 3 items after a reload ✅",
    "profile › uploads an avatar_v2.png of 1 MB",
]
TOKEN_LIKE = "ghs_" + "Zq9xWvRk7mYpTn3LcB8dF2hJ6sG4aE1uQ0oI"


def redaction(args: argparse.Namespace) -> dict[str, Any]:
    """The redactor over every report of 100,000 failed tests (titles as in TITLES), in the sinks' 64 KiB
    blocks: the clean case for a 20- and a 40-character key and for a key with a GitHub token, and a dirty
    case (the key echoed in base64 and percent-encoded every 1,000 lines)."""
    from gate.redact import Redactor

    tests = [
        {"spec": f"spec-{index % 10_000:04d}.spec.ts", "title": f"{TITLES[index % len(TITLES)]} {index}"}
        | {"status": "failed", "duration": 1.5}
        for index in range(100_000)
    ]
    with Simulator(Scenario(runs=[SimRun(tests=tests)], api_key=KEY)) as sim, tempfile.TemporaryDirectory() as folder:
        reports = [Path(folder) / name for name in ("verdict.json", "summary.md", "junit.xml")]
        command = [*GATE, "--json-file", str(reports[0]), "--summary-file", str(reports[1])]
        command += ["--junit-file", str(reports[2])]
        subprocess.run(command, env=gate_env(sim), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        text = "".join(path.read_text(encoding="utf-8") for path in reports)
    long_key = "pdk_live_4hT9qLw2Xc7Vb0Nm5Rz8Kj3Yf6Gs1Ue"
    lines = text.split("\n")
    echo = f"echo {base64.b64encode(('user:' + long_key).encode()).decode()} {quote(long_key, safe='')}"
    dirty = "\n".join(line if index % 1000 else f"{line} {echo}" for index, line in enumerate(lines))
    figures: dict[str, Any] = {"reports_mb": round(len(text.encode("utf-8")) / 1e6, 1)}
    cases = {
        "clean_key_20_chars": ([KEY], text),
        "clean_key_40_chars": ([long_key], text),
        "clean_key_and_token": ([long_key, TOKEN_LIKE], text),
        "key_echoed_every_1000_lines": ([long_key], dirty),
    }
    for label, (secrets, content) in cases.items():
        redactor = Redactor(secrets)
        blocks = [content[start : start + (1 << 16)] for start in range(0, len(content), 1 << 16)]
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            for block in blocks:
                redactor.text(block)
            times.append(time.perf_counter() - started)
        figures[f"{label}_s"] = spread(times)
    return figures


SCENARIOS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "latency": latency,
    "finished": finished,
    "large": large,
    "floor": floor,
    "in_flight": in_flight,
    "faults": faults,
    "many": many,
    "history": history_lookups,
    "reading": reading,
    "hostile": hostile,
    "container": container,
    "guard": stream_guard,
    "redaction": redaction,
}


def table(results: dict[str, Any]) -> str:
    """The figures as aligned lines, one per measurement: `scenario.figure  median (min-max, n)`."""
    lines: list[str] = []

    def walk(prefix: str, value: object) -> None:
        if isinstance(value, dict) and "median" in value:
            lines.append(f"{prefix:<72} {value['median']:>10} ({value['min']}-{value['max']}, n={value['n']})")
        elif isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else key, inner)
        else:
            lines.append(f"{prefix:<72} {value!s:>10}")

    for name in SCENARIOS:
        if name in results:
            walk(name, results[name])
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short look: fewer cases and repeats, no container")
    parser.add_argument("--record", action="store_true", help="write the results into bench/results.json")
    parser.add_argument("--repeat", type=int, help="runs of each measurement (default 5; 2 with --quick)")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every answer (default 0.05)")
    parser.add_argument("--scale", type=float, help="time compression of the latency scenario (default 0.1)")
    parser.add_argument("--only", action="append", choices=sorted(SCENARIOS), help="run only these scenarios")
    parser.add_argument("--output", help="also write the results as JSON to this file (never the recorded one)")
    args = parser.parse_args()
    recorded = ROOT / "bench" / "results.json"
    if args.record and args.quick:
        parser.error("--quick is a look, not a measurement to keep: run without --quick to --record")
    if args.output and Path(args.output).resolve() == recorded.resolve():
        parser.error("--output names the recorded results: use --record for a full run")
    args.repeat = args.repeat or (2 if args.quick else 5)
    args.scale = args.scale or (0.05 if args.quick else 0.1)
    chosen = args.only or [name for name in SCENARIOS if not (args.quick and name == "container")]
    # --record --only updates those scenarios in the recorded file and keeps the others as they were.
    previous = json.loads(recorded.read_text()) if args.record and args.only and recorded.exists() else {}
    results: dict[str, Any] = {
        **previous,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "settings": {"repeat": args.repeat, "latency_s": args.latency, "scale": args.scale, "quick": args.quick},
    }
    for name in chosen:
        started = time.monotonic()
        results[name] = SCENARIOS[name](args)
        print(f"== {name} ({time.monotonic() - started:.0f}s)", flush=True)
    print(table({name: results[name] for name in chosen}))
    for path in ([recorded] if args.record else []) + ([Path(args.output)] if args.output else []):
        path.write_text(json.dumps(results, indent=2) + "\n")
        print(f"results written to {path}")
    if not args.record:
        print("(not recorded: run the full benchmark with --record to update bench/results.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
