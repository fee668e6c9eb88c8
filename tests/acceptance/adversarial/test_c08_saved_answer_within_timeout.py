"""Class 8 (and 7): a saved answer that never finishes arriving cannot hold the gate past --timeout.

`curl ... | playdash-gate --from-file -` with a stalled curl, or a FIFO nobody writes: the read is
abandoned at the deadline, the reports go out, and the gate gives no verdict (exit 3).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from tests.conftest import run_main


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
