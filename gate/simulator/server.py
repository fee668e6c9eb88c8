"""The simulator's server: a real ThreadingHTTPServer answering Get run and List runs, and playing faults."""

from __future__ import annotations

import json
import math
import random
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from gate.dates import EARLIEST, parse_timestamp
from gate.simulator.scenarios import TEST_STATUS_NAMES, Scenario, SimRun, histories_answer, spec_ids_of, tests_of

API_PREFIX = "/api/external/v1"
STATISTIC_NAMES = {
    "passed": "Passed",
    "failed": "Failed",
    "flaky": "Flaky",
    "skipped": "Skipped",
    "timed_out": "Timed out",
    "interrupted": "Interrupted",
}


class _State:
    """What the server has seen and how far each run has got; shared by the handler threads."""

    def __init__(self, scenario: Scenario, clock: Callable[[], float]) -> None:
        self.scenario = scenario
        self.clock = clock
        self.lock = threading.Lock()
        self.faults: deque[dict[str, Any]] = deque(scenario.faults)
        self.run_faults = {(run.project_id, run.run_id): deque(run.faults) for run in scenario.runs}
        self.rng = random.Random(scenario.seed)
        self.polls: dict[tuple[str, str], int] = {}
        self.started = clock()
        self.requests: list[dict[str, Any]] = []
        self.finished_at: dict[tuple[str, str], float] = {}
        self.tests = {(run.project_id, run.run_id): tests_of(run) for run in scenario.runs}
        self.spec_ids = {key: spec_ids_of(tests) for key, tests in self.tests.items()}
        self.grouped: dict[tuple[str, str, str | None], dict[str, list[dict[str, Any]]]] = {}
        self.pages: dict[tuple[str, str, str | None, int, int], bytes] = {}
        self.waiting = self.most_waiting = 0  # requests being answered at once: now, and at most


class Simulator:
    """The fake server; use as a context manager, or start() and stop()."""

    def __init__(
        self,
        scenario: Scenario | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`clock`: the monotonic time the runs take theirs by (`finish_after_seconds`); a test's simulated one
        moves on only as the gate sleeps."""
        self.state = _State(scenario or Scenario(), clock)
        handler = type("Handler", (_Handler,), {"state": self.state})
        # Room for 128 connections waiting to be accepted (5 by default: a 6th at once waited a second for its SYN).
        self.server = type("Server", (ThreadingHTTPServer,), {"request_queue_size": 128})((host, port), handler)
        self.server.daemon_threads = True
        # A short poll interval: stop() returns at once instead of after up to half a second.
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), name="simulator", daemon=True)

    @property
    def base_url(self) -> str:
        """The workspace address to give the gate (http://127.0.0.1:PORT)."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request seen: path, query, whether the key was right, the Accept header."""
        with self.state.lock:
            return list(self.state.requests)

    def finished_at(self, project_id: str, run_id: str) -> float | None:
        """When (by the simulator's clock) the run was first answered as finished."""
        return self.state.finished_at.get((project_id, run_id))

    def start(self) -> Simulator:
        """Serve in a background thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes: with Nagle's algorithm on, the body would wait for the client's
    # delayed ACK (about 40 ms on Linux), and every answer would take that much longer than scripted.
    disable_nagle_algorithm = True
    state: _State

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Quiet: the tests and the demo read the gate's output, not the server's."""

    def do_GET(self) -> None:
        """Answer Get run, List runs or result histories, after the scripted fault, the latency and the key check."""
        state = self.state
        url = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        with state.lock:
            key_ok = self.headers.get("X-Api-Key") == state.scenario.api_key
            seen = {"path": url.path, "query": query, "key_ok": key_ok, "accept": self.headers.get("Accept")}
            state.requests.append({**seen, "time": state.clock()})
            parts = url.path.removeprefix(API_PREFIX).strip("/").split("/")
            own = state.run_faults.get((parts[1], parts[3])) if len(parts) == 4 and parts[0] == "projects" else None
            fault = own.popleft() if own else state.faults.popleft() if state.faults else None
            random_fault = state.scenario.fault_rate and state.scenario.random_faults
            if fault is None and random_fault and state.rng.random() < state.scenario.fault_rate:
                fault = state.rng.choice(state.scenario.random_faults)
            state.waiting += 1
            state.most_waiting = max(state.most_waiting, state.waiting)
        if state.scenario.latency:
            time.sleep(state.scenario.latency)
        with state.lock:
            state.waiting -= 1  # counted until now: no answer has left yet, so none was read
        if fault and self._fault(fault):
            return
        if self.headers.get("X-Api-Key") != state.scenario.api_key:
            self._json(401, {"error": "Could not authenticate, invalid API Key"})
            return
        if len(parts) == 4 and parts[0] == "projects" and parts[2] == "runs":
            self._get_run(parts[1], parts[3], query)
        elif len(parts) == 3 and parts[0] == "projects" and parts[2] == "runs":
            self._list_runs(parts[1], query)
        elif len(parts) == 7 and parts[0] == "projects" and parts[4:7:2] == ["test_entities", "result_histories"]:
            run = self._find(parts[1], parts[3])
            try:
                answer = histories_answer(run, parts[5], query) if run else None
            except ValueError:
                self._json(422, {"error": "days must be a number"})
                return
            self._json(200, answer) if answer is not None else self._json(404, {"error": "Run not found"})
        else:
            self._json(404, {"error": "Not found"})

    # -- faults ---------------------------------------------------------------------------------

    def _fault(self, fault: dict[str, Any]) -> bool:
        """Serve a scripted fault; False when the fault only delays the real answer."""
        if "delay" in fault:
            time.sleep(float(fault["delay"]))
            return False
        if fault.get("reset"):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        elif "status" in fault:
            headers = {"Retry-After": str(fault["retry_after"])} if "retry_after" in fault else {}
            self._json(int(fault["status"]), fault.get("body", {"error": f"simulated {fault['status']}"}), headers)
        elif fault.get("html"):
            self._send(200, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
        elif fault.get("truncate"):
            self._partial(b'{"is_running": false, "run_statis', seconds=0)
        elif "stall" in fault:
            self._partial(b'{"is_running": ', seconds=float(fault["stall"]))
        elif "trickle" in fault:
            self._partial(b" ", seconds=float(fault["trickle"]), every=0.1)
        elif "redirect" in fault:
            self.send_response(int(fault.get("code", 302)))
            self.send_header("Location", str(fault["redirect"]))
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif "raw" in fault:
            raw = fault["raw"]
            text = raw if isinstance(raw, str) else json.dumps(raw)
            # A lone surrogate cannot be UTF-8: it is sent as the replacement character rather than crash.
            self._send(200, text.encode("utf-8", "replace"), "application/json")
        else:
            return False
        self.close_connection = True
        return True

    def _partial(self, chunk: bytes, seconds: float, every: float = 0.0) -> None:
        """Promise a long body, send `chunk` (again every `every` seconds, a trickle), and never finish it."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        until = time.monotonic() + seconds
        try:
            self.wfile.write(chunk)
            self.wfile.flush()
            while every and time.monotonic() < until:
                time.sleep(every)
                self.wfile.write(chunk)
                self.wfile.flush()
            time.sleep(max(0.0, until - time.monotonic()))
        except OSError:
            pass  # the gate went away, as it should

    # -- answers --------------------------------------------------------------------------------

    def _send(self, code: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, code: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._send(code, json.dumps(data).encode(), "application/json; charset=utf-8", headers)

    def _find(self, project_id: str, run_id: str) -> SimRun | None:
        for run in self.state.scenario.runs:
            if run.project_id == project_id and run.run_id == run_id:
                return run
        return None

    def _progress(self, run: SimRun, count_poll: bool) -> float:
        """How far the run has got, from 0 to 1; each unfiltered poll moves a poll-scripted run on."""
        state = self.state
        key = (run.project_id, run.run_id)
        with state.lock:
            polls = state.polls.get(key, 0) + (1 if count_poll else 0)
            state.polls[key] = polls
        fractions = [1.0]
        if run.finish_after_polls:
            fractions.append(polls / (run.finish_after_polls + 1))
        if run.finish_after_seconds:
            fractions.append((state.clock() - state.started) / run.finish_after_seconds)
        progress = min(fractions)
        if progress >= 1.0:
            with state.lock:
                state.finished_at.setdefault(key, state.clock())
        return progress

    def _body(self, run: SimRun, progress: float) -> dict[str, Any]:
        done = progress >= 1.0
        tests = self.state.tests[(run.project_id, run.run_id)]
        shown = tests if done else tests[: math.floor(len(tests) * progress)]
        counts: dict[str, int] = {}
        for test in shown:
            key = "timed_out" if test["status"] == "timedOut" else test["status"]
            counts[key] = counts.get(key, 0) + 1
        if done:
            status = run.final_status or ("failed" if counts.get("failed") or counts.get("timed_out") else "passed")
        else:
            status = "failing" if counts.get("failed") else ("running" if not shown else "passing")
        body: dict[str, Any] = {
            "project_id": run.project_id,
            "run_id": run.run_id,
            "commit_id": run.commit_id,
            "created_at": run.created_at,
            "commit_name": run.commit_name,
            "status": status,
            "duration": run.duration if done else None,
            "ci_build_id": run.ci_build_id,
            "branch": run.branch,
            "author": run.author,
            "tags": run.tags,
            "is_running": not done,
            "run_statistics": [
                {"name": STATISTIC_NAMES.get(name, name), "value": value} for name, value in counts.items()
            ],
            "total_shards": run.total_shards,
        }
        if done:
            body.update(run.final_patch)
            for name in run.drop_fields:
                body.pop(name, None)
        return body

    def _specs(self, run: SimRun, progress: float, wanted: str | None) -> dict[str, list[dict[str, Any]]]:
        """The tests shown so far, of the status asked for, grouped by spec (memoised once the run is done)."""
        key = (run.project_id, run.run_id, wanted)
        if progress >= 1.0 and key in self.state.grouped:
            return self.state.grouped[key]
        tests = self.state.tests[(run.project_id, run.run_id)]
        if progress < 1.0:
            tests = tests[: math.floor(len(tests) * progress)]
        specs: dict[str, list[dict[str, Any]]] = {}
        for test in tests:
            if wanted is None or test["status"] == TEST_STATUS_NAMES.get(wanted, wanted):
                specs.setdefault(test["spec"], []).append(test)
        if progress >= 1.0:
            self.state.grouped[key] = specs
        return specs

    def _get_run(self, project_id: str, run_id: str, query: dict[str, str]) -> None:
        run = self._find(project_id, run_id)
        if run is None:
            self._json(404, {"error": "Run not found"})
            return
        try:
            page = int(query.get("page", "1"))
            page_size = int(query.get("page_size", "30"))
        except ValueError:
            self._json(422, {"error": "page and page_size must be numbers"})
            return
        if page < 1 or not 1 <= page_size <= 100:
            self._json(422, {"error": "page must be 1 or more and page_size from 1 to 100"})
            return
        wanted = query.get("status")
        progress = self._progress(run, count_poll=wanted is None and page == 1)
        page_key = (project_id, run_id, wanted, page, page_size)
        if progress >= 1.0 and page_key in self.state.pages:
            self._send(200, self.state.pages[page_key], "application/json; charset=utf-8")
            return
        body = self._body(run, progress)
        specs = self._specs(run, progress, wanted)
        names = list(specs)
        total_pages = max(1, math.ceil(len(names) / page_size))
        first = 0 if run.repeat_first_page else (page - 1) * page_size
        chosen = names[first : first + page_size]
        spec_ids = self.state.spec_ids[(run.project_id, run.run_id)]
        body["specs"] = [
            {
                "spec_id": spec_ids.get(name, name),
                "file_name": name,
                "tests": [
                    {
                        "test_id": t.get("test_id"),
                        "title": t["title"],
                        "status": t["status"],
                        "duration": t.get("duration"),
                    }
                    for t in specs[name]
                ],
            }
            for name in chosen
        ]
        body["pagination"] = {
            "total_records": len(names),
            "total_pages": total_pages,
            "current_page_number": page,
            "page_size": page_size,
        }
        patched = run.final_patch.get("pagination")
        if progress >= 1.0 and isinstance(patched, dict):
            body["pagination"] = {**patched, "current_page_number": page}
        elif progress >= 1.0 and "pagination" in run.final_patch:
            body["pagination"] = patched  # anything else as it is: an answer the gate must refuse
        encoded = json.dumps(body).encode()
        if progress >= 1.0:
            # A finished run's pages never change: serve them again without the work (the benchmarks
            # measure the gate and the latency, not this server's JSON encoding).
            self.state.pages[page_key] = encoded
        self._send(200, encoded, "application/json; charset=utf-8")

    def _list_runs(self, project_id: str, query: dict[str, str]) -> None:
        state = self.state
        with state.lock:
            lists = state.polls.get((project_id, "<list>"), 0) + 1
            state.polls[(project_id, "<list>")] = lists
        runs = [run for run in state.scenario.runs if run.project_id == project_id]
        if not runs:
            self._json(404, {"error": "Project not found"})
            return
        try:
            # `page_number` as NeetoPlaydash's pagination page names it, else `page` as its Get run page does.
            page = int(query.get("page_number", query.get("page", "1")))
            page_size = int(query.get("page_size", "30"))
        except ValueError:
            self._json(422, {"error": "page_number, page and page_size must be numbers"})
            return
        visible = [run for run in runs if lists > run.appears_after_lists]
        # Newest first: the scenario lists runs oldest first.
        visible.sort(key=lambda run: parse_timestamp(run.created_at) or EARLIEST, reverse=True)
        chosen = visible[(page - 1) * page_size : page * page_size]
        bodies = [self._body(run, self._progress(run, count_poll=False)) for run in chosen]
        total_pages = max(1, math.ceil(len(visible) / page_size))
        self._json(
            200,
            {
                "runs": bodies,
                "pagination": {
                    "total_records": len(visible),
                    "total_pages": total_pages,
                    "current_page_number": page,
                    "page_size": page_size,
                },
            },
        )
