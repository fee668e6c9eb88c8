"""Class 8 (and 7): a saved answer that never finishes arriving cannot hold the gate past --timeout.

`curl ... | playdash-gate --from-file -` with a stalled curl, or a FIFO nobody writes: the read is
abandoned at the deadline, the reports go out, and the gate gives no verdict (exit 3).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from gate.clock import Clock
from tests.acceptance.adversarial.hostile import run_body
from tests.conftest import API_KEY, run_main


def test_standard_input_that_never_ends_gives_no_verdict_at_the_deadline(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    stdin = os.fdopen(read_end, "r")
    json_path = tmp_path / "v.json"
    env = {"PLAYDASH_TIMEOUT": "1s", "PLAYDASH_JSON_FILE": str(json_path)}
    try:
        result = run_main(["--from-file", "-"], env, cwd=tmp_path, stdin=stdin)
    finally:
        # The writer goes away only now: the reader the gate abandoned ends, and the pipe can be closed.
        os.close(write_end)
        for thread in threading.enumerate():
            if thread.name == "saved-answer":
                thread.join(5)
        stdin.close()
    assert result.code == 3
    assert "nothing more came from standard input within --timeout" in result.stderr
    assert '"verdict": "error"' in json_path.read_text()


def test_a_saved_answer_long_to_redact_gives_no_verdict_at_the_timeout(tmp_path: Path) -> None:
    """Titles that hold the key's fragment only through escapes are long to redact (a 14 MB file ran 59 s with
    --timeout 5s): the work stops at --timeout, no verdict, and the summary says so. The gate's clock reads its
    start 1,000 s in the past, so nothing waits for real."""
    fragment = "".join(f"%{byte:02X}" for byte in API_KEY[:8].encode())
    tests = [{"title": fragment * 50, "status": "failed", "test_id": f"t{n}"} for n in range(20)]
    saved = json.dumps(run_body(specs=[{"spec_id": "s", "file_name": "a.ts", "tests": tests}], counts={"Failed": 20}))
    start = iter([time.monotonic() - 1_000])
    clock = Clock(monotonic=lambda: next(start, None) or time.monotonic())
    json_path = tmp_path / "v.json"
    env = {"PLAYDASH_API_KEY": API_KEY, "PLAYDASH_TIMEOUT": "5s", "PLAYDASH_JSON_FILE": str(json_path)}
    env["GITHUB_STEP_SUMMARY"] = str(tmp_path / "summary.md")
    result = run_main(["--from-file", "-"], env, cwd=tmp_path, stdin=saved, clock=clock)
    assert result.code == 3, result.stderr
    assert "could not be judged within --timeout (5s)" in result.stderr
    assert "could not be judged within" in result.summary
    assert json.loads(json_path.read_text())["verdict"] == "error"
    assert API_KEY not in result.stdout + result.stderr + result.summary
