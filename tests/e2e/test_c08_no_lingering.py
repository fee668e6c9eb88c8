"""Class 8: once the reports are written, the process is gone, whatever its threads were waiting for.

These run the installed command in a subprocess, since only a real process can linger. The bound
checked is generous (a fraction of the deadline the threads would otherwise wait for), never tight.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

from tests.acceptance.adversarial.hostile import API_KEY, Reply, Request, hostile, run_body, spec
from tests.conftest import cli_command

DEADLINE = "120s"
# Far below the deadline: a process that ends within this did not wait for its threads.
GONE_WITHIN = 15.0


def start_gate(tmp_path: Path, base_url: str) -> tuple[subprocess.Popen[str], Path]:
    verdict = tmp_path / "verdict.json"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONIOENCODING": "utf-8",
        "PLAYDASH_API_KEY": API_KEY,
        "PLAYDASH_BASE_URL": base_url,
        "PLAYDASH_PROJECT_ID": "pdqmxlz",
        "PLAYDASH_RUN_ID": "kftwnab",
        "PLAYDASH_POLL_INTERVAL": "0.05s",
        "PLAYDASH_TIMEOUT": DEADLINE,
        "PLAYDASH_JSON_FILE": str(verdict),
    }
    process = subprocess.Popen(
        cli_command(), env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    return process, verdict


def many_failed_pages(stalled: threading.Event, broken_page: int | None = None):
    """A finished run with 20 pages of failed tests: page 1 answers, the others stall (or one is garbage)."""

    def handler(request: Request) -> Reply:
        if "status" not in request.query:
            return Reply(body=run_body(status="failed", counts={"failed": 2000}))
        page = int(request.query.get("page", "1"))
        if page == broken_page:
            return Reply(body={"specs": "not a list"})
        if page > 1:
            stalled.set()
            return Reply(body=run_body(counts={}, page=page, total_pages=20), stall=60)
        return Reply(body=run_body(counts={}, specs=[spec("a.ts", ("t", "failed"))], total_pages=20))

    return handler


def test_sigterm_while_pages_stall_ends_the_process_at_once(tmp_path: Path) -> None:
    stalled = threading.Event()
    with hostile(many_failed_pages(stalled)) as server:
        process, verdict = start_gate(tmp_path, server.url)
        try:
            assert stalled.wait(30), "the gate never asked for the later pages"
            time.sleep(0.3)
            sent = time.monotonic()
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=GONE_WITHIN)
            gone_after = time.monotonic() - sent
        finally:
            process.kill()
            stdout, stderr = process.communicate()
    assert process.returncode == 3, stderr
    assert gone_after < GONE_WITHIN
    assert json.loads(verdict.read_text())["error_kind"] == "cancelled"
    assert "cancelled" in stdout + stderr


def test_an_unusable_page_while_others_stall_ends_the_process_at_once(tmp_path: Path) -> None:
    stalled = threading.Event()
    with hostile(many_failed_pages(stalled, broken_page=3)) as server:
        process, verdict = start_gate(tmp_path, server.url)
        started = time.monotonic()
        try:
            process.wait(timeout=45)
            took = time.monotonic() - started
        finally:
            process.kill()
            _stdout, stderr = process.communicate()
    assert process.returncode == 3, stderr
    assert json.loads(verdict.read_text())["error_kind"] == "unusable_answer"
    # The stalled pages would have held the process for their 60 s (or the 120 s deadline).
    assert took < 30
