"""Class 12, every read is bounded: an answer, a saved answer, a scenario or a config that is endless, huge,
made of millions of `{}`, nested past reading, or a pipe that never ends, is refused with a message naming
the flag or the answer, with the right exit code, within --timeout (bytes, values before they are built,
time). At a cheaper scale than the review's 31 MiB answers: bench/run.py (`hostile`) measures those.

The event payload (GITHUB_EVENT_PATH) and GitHub's answers are tested with the comment, in
tests/acceptance/test_pull_request_comment.py; running out of memory anyway, in test_out_of_memory.py.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gate.clock import REAL, Clock
from gate.config.yaml_loader import MAX_NODES
from tests.acceptance.adversarial.hostile import Reply, Request, hostile, run_body, run_gate, spec
from tests.conftest import run_main

MIB = 1024 * 1024
POSIX = pytest.mark.skipif(os.name != "posix", reason="FIFOs and /dev/zero are POSIX")
FAILED = [
    {
        "spec_id": "sckout",
        "file_name": "checkout.spec.ts",
        "tests": [{"test_id": f"tpays{index}", "title": f"pays {index}", "status": "failed"} for index in range(8)],
    }
]
FAILING = run_body(status="failed", counts={"failed": 8}, specs=FAILED)
HISTORY = "history:\n  branch: main\n  forgive: [flaky, broken]\n  max_forgiven: 50\n"


def endless(piece: bytes, head: bytes = b"", pause: float = 0.0) -> Callable[[], Iterator[bytes]]:
    """A body that never ends (sent chunked), `pause` seconds between its pieces."""

    def chunks() -> Iterator[bytes]:
        yield head
        while True:
            if pause:
                time.sleep(pause)
            yield piece

    return chunks


def sized(piece: bytes, total: int, head: bytes = b"", tail: bytes = b"") -> Callable[[], Iterator[bytes]]:
    """A body of about `total` bytes of `piece`, sent chunked (no length declared)."""

    def chunks() -> Iterator[bytes]:
        yield head
        for _ in range(total // len(piece)):
            yield piece
        yield tail

    return chunks


# -- answers over HTTP -----------------------------------------------------------------------------


def answering(history: Reply | None = None, page: Reply | None = None) -> Callable[[Request], Reply]:
    """A failed run of 8 failed tests; its pages of tests and its result histories as given."""

    def handler(request: Request) -> Reply:
        if request.path.endswith("/result_histories"):
            return history or Reply(body={"result_histories": []})
        if "status" in request.query and page is not None:
            return page
        return Reply(body=FAILING)

    return handler


@pytest.mark.parametrize(
    "history",
    [
        Reply(chunks=sized(b"{}," * 65536, 3 * MIB, b'{"result_histories": [', b"{}]}")),
        Reply(body=b"[]", content_length=31 * MIB),
        Reply(body=b'{"result_histories": [' + b"{}," * 300_000 + b"{}]}"),
    ],
    ids=["3-mib-of-braces-chunked", "31-mib-declared", "braces-within-its-bytes"],
)
def test_result_histories_past_their_limits_make_their_tests_unknown(tmp_path: Path, history: Reply) -> None:
    config = tmp_path / "gate.yml"
    config.write_text(HISTORY)
    with hostile(answering(history)) as server:
        result = run_gate(tmp_path, "--config", str(config), base_url=server.url)
    assert result.code == 1, result.everything  # nothing is forgiven: the failures count
    assert "the history of 8 tests on main could not be looked up (the answer could not be used)" in result.stdout
    assert "Traceback" not in result.everything


@pytest.mark.parametrize(
    ("page", "refusal"),
    [
        (Reply(chunks=endless(b"[" * 65536)), "the API's Get run or List runs answer is larger than 4 MiB"),
        (Reply(body=b"{}", content_length=10**12), "larger than 4 MiB (by its declared length)"),
        (
            Reply(chunks=sized(b"{}," * 65536, MIB, b'{"specs": [', b"{}]}")),
            "the API's Get run or List runs answer holds more than 300,000 JSON values",
        ),
        (Reply(body=b"[" * 200_000 + b"]" * 200_000), "it is nested too deeply to read"),
    ],
    ids=["chunked-without-end", "length-past-the-limit", "braces-within-its-bytes", "nested-200000-deep"],
)
def test_a_page_past_its_limits_gives_no_verdict_naming_the_limit(tmp_path: Path, page: Reply, refusal: str) -> None:
    with hostile(answering(page=page)) as server:
        result = run_gate(tmp_path, base_url=server.url)
    assert result.code == 3, result.everything
    assert refusal in result.verdict["message"]
    assert result.verdict["error_kind"] == "unusable_answer"
    assert "Traceback" not in result.everything


@pytest.mark.parametrize(
    "page",
    [
        Reply(chunks=endless(b" ", b"{", pause=0.05)),
        Reply(body=json.dumps(FAILING), content_length=10**6),
        Reply(body=json.dumps(FAILING) + " " * 10**6, content_length=100),
    ],
    ids=["trickle-forever", "length-longer-than-the-body", "length-shorter-than-the-body"],
)
def test_an_answer_that_never_arrives_whole_gives_no_verdict_at_the_deadline(
    tmp_path: Path, page: Reply, simulated: Clock
) -> None:
    # An endless answer holds the socket (its timeout is the wall clock's); a cut one is retried in simulated time.
    clock = REAL if page.chunks else simulated
    with hostile(lambda _request: page) as server:
        result = run_gate(tmp_path, base_url=server.url, timeout="1s", clock=clock)
    assert result.code == 3, result.everything
    assert result.verdict["error_kind"] == "unavailable"
    assert "the API stayed unavailable until the deadline" in result.verdict["message"]


def unique_tests(request: Request) -> Reply:
    """Pages (50 of them) of 500 failed tests each, every one its own."""
    number = int(request.query.get("page", "1"))
    tests = [(f"page {number} test {index}", "failed") for index in range(500)]
    body = run_body(
        status="failed",
        counts={"failed": 25_000},
        specs=[spec(f"p{number}.spec.ts", *tests)],
        total_pages=50,
        page=number,
    )
    return Reply(body=body, headers={})


def test_pages_past_what_the_gate_keeps_give_no_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gate.job.gather.MAX_KEPT_TESTS", 1 * MIB)
    with hostile(unique_tests) as server:
        result = run_gate(tmp_path, base_url=server.url)
    assert result.code == 3, result.everything
    message = result.verdict["message"]
    assert message.startswith("the failed tests of the run take more than the 1 MiB of memory the gate keeps")
    assert "rather than run out of memory" in message
    assert len(server.requests) < 50  # it stopped reading


def test_histories_past_what_the_gate_keeps_leave_the_rest_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gate.simulator.scenarios import history

    monkeypatch.setattr("gate.job.gather.MAX_KEPT_HISTORIES", 64 * 1024)
    config = tmp_path / "gate.yml"
    config.write_text(HISTORY)
    past = Reply(body={"result_histories": history(["failed", "passed"] * 60)})
    with hostile(answering(past)) as server:
        result = run_gate(tmp_path, "--config", str(config), base_url=server.url)
    assert result.code == 1, result.everything
    assert "the gate keeps no more result histories (64 KiB of them)" in result.stdout


# -- files: --from-file, demo --scenario, --config ---------------------------------------------------


def slow_writer(path: Path) -> Callable[[], None]:
    """Write a byte to the FIFO every 50 ms, forever (until stopped); returns the stop."""
    stop = threading.Event()

    def write() -> None:
        try:
            fd = os.open(path, os.O_WRONLY)
        except OSError:
            return
        try:
            while not stop.wait(0.05):
                os.write(fd, b" ")
        except OSError:
            pass  # the reader went away
        finally:
            os.close(fd)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()

    def stopping() -> None:
        stop.set()
        # A writer still waiting for a reader to open the FIFO is let through (by a read end opened without
        # waiting itself), and ends.
        os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
        thread.join(5)

    return stopping


def hostile_file(tmp_path: Path, kind: str, size: int) -> tuple[Path, Callable[[], None]]:
    """A path of the kind asked for, past a limit of `size` bytes where it has one; and what ends it."""
    path = tmp_path / f"{kind}.json"
    done: Callable[[], None] = lambda: None  # noqa: E731
    if kind in ("dev-zero", "dev-urandom"):
        return Path(f"/dev/{kind.removeprefix('dev-')}"), done
    if kind == "symlink-to-dev-zero":
        path.symlink_to("/dev/zero")
    elif kind.startswith("fifo"):
        os.mkfifo(path)
        if kind == "fifo-writing-slowly-forever":
            done = slow_writer(path)
    elif kind == "huge-regular-file":
        with path.open("wb") as handle:
            handle.truncate(size + 1)  # sparse: no room taken
    elif kind == "braces-within-its-bytes":
        path.write_bytes(b"[" + b"{}," * (min(size, 8 * MIB) // 3 - 1) + b"{}]")
    elif kind == "nested-deeply":
        path.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    elif kind == "folder":
        path.mkdir()
    return path, done


KINDS = [
    "dev-zero",
    "dev-urandom",
    "symlink-to-dev-zero",
    "fifo-nobody-writes",
    "fifo-writing-slowly-forever",
    "huge-regular-file",
    "braces-within-its-bytes",
    "nested-deeply",
    "folder",
]
SAVED_REFUSALS = {
    "dev-zero": (3, "is larger than 16 MiB"),
    "dev-urandom": (3, "is larger than 16 MiB"),
    "symlink-to-dev-zero": (3, "is larger than 16 MiB"),
    "fifo-nobody-writes": (3, "nothing more came from"),
    "fifo-writing-slowly-forever": (3, "nothing more came from"),
    "huge-regular-file": (3, "is larger than 16 MiB (16,777,217 bytes or more)"),
    "braces-within-its-bytes": (3, "holds more than 1,200,000 JSON values"),
    "nested-deeply": (3, "is nested too deeply"),
    "folder": (2, "is not a regular file (a folder)"),
}


@POSIX
@pytest.mark.parametrize("kind", KINDS)
def test_a_hostile_saved_answer_is_refused_naming_the_flag(tmp_path: Path, kind: str) -> None:
    """--from-file: what the file is (a folder) is a set-up error; what it holds or sends (too much, too
    deep, nothing in time) gives no verdict, as the same from the API would."""
    path, done = hostile_file(tmp_path, kind, 16 * MIB)
    try:
        result = run_gate(tmp_path, "--from-file", str(path), timeout="1s")
    finally:
        done()
    code, refusal = SAVED_REFUSALS[kind]
    assert result.code == code, result.everything
    message = result.verdict["message"]
    assert message.startswith("--from-file: ") and str(path) in message
    assert refusal in message
    assert "Traceback" not in result.everything


@POSIX
def test_standard_input_that_is_endless_is_refused_at_its_limit(tmp_path: Path) -> None:
    json_path = tmp_path / "v.json"
    with open("/dev/zero", encoding="latin-1") as stdin:
        result = run_main(["--from-file", "-"], {"PLAYDASH_JSON_FILE": str(json_path)}, cwd=tmp_path, stdin=stdin)
    assert result.code == 3
    assert "--from-file: standard input is larger than 16 MiB" in result.stderr
    assert '"verdict": "error"' in json_path.read_text()


SCENARIO_REFUSALS = {
    "dev-zero": "is not a regular file (a device)",
    "dev-urandom": "is not a regular file (a device)",
    "symlink-to-dev-zero": "is not a regular file (a device)",
    "fifo-nobody-writes": "is not a regular file (a pipe)",
    "fifo-writing-slowly-forever": "is not a regular file (a pipe)",
    "huge-regular-file": "is larger than 4 MiB (4,194,305 bytes or more)",
    "braces-within-its-bytes": "holds more than 200,000 JSON values",
    "nested-deeply": "is nested too deeply to read",
    "folder": "is not a regular file (a folder)",
}


@POSIX
@pytest.mark.parametrize("kind", KINDS)
def test_a_hostile_scenario_is_a_set_up_error_at_once(tmp_path: Path, run_cli, kind: str) -> None:
    path, done = hostile_file(tmp_path, kind, 4 * MIB)
    try:
        result = run_cli("demo", "--scenario", str(path))
    finally:
        done()
    assert result.code == 2, result.output
    assert f"demo: --scenario {path}: {SCENARIO_REFUSALS[kind]}" in result.stderr
    assert "Traceback" not in result.output


def test_a_scenario_of_more_tests_than_the_simulator_makes_is_refused(tmp_path: Path, run_cli) -> None:
    scenario = tmp_path / "many.json"
    scenario.write_text(json.dumps({"runs": [{"counts": {"failed": 150_000}}, {"counts": {"passed": 60_000}}]}))
    result = run_cli("demo", "--scenario", str(scenario))
    assert result.code == 2
    assert "runs: the runs hold 210,000 tests in all, more than the simulator makes (200,000)" in result.stderr


CONFIG_REFUSALS = {
    "dev-zero": "is not a regular file (a device)",
    "dev-urandom": "is not a regular file (a device)",
    "symlink-to-dev-zero": "is not a regular file (a device)",
    "fifo-nobody-writes": "is not a regular file (a pipe)",
    "fifo-writing-slowly-forever": "is not a regular file (a pipe)",
    "huge-regular-file": "the file is larger than 1 MiB (1,048,576 bytes)",
    "braces-within-its-bytes": "the file holds more than 100,000 values",
    "nested-deeply": "nesting depth",  # libyaml's own bound, before the gate's 64 levels
    "folder": "is not a regular file (a folder)",
}


@POSIX
@pytest.mark.parametrize("kind", KINDS)
def test_a_hostile_config_is_a_set_up_error_at_once(tmp_path: Path, run_cli, kind: str) -> None:
    """`validate` reads the path it is given (the gate itself takes a regular file only: see below)."""
    path, done = hostile_file(tmp_path, kind, 1 * MIB)
    if kind == "braces-within-its-bytes":
        path.write_text("[" + "{}, " * MAX_NODES + "{}]")  # YAML: a flow sequence of empty mappings, one too many
    try:
        result = run_cli("validate", str(path))
    finally:
        done()
    assert result.code == 2, result.output
    assert f"the config {path} is not valid" in result.stderr
    assert CONFIG_REFUSALS[kind] in result.stderr
    assert "Traceback" not in result.output


@POSIX
@pytest.mark.parametrize("kind", ["dev-zero", "symlink-to-dev-zero", "fifo-nobody-writes", "folder"])
def test_the_gate_takes_only_a_regular_file_as_its_config(tmp_path: Path, kind: str) -> None:
    path, done = hostile_file(tmp_path, kind, 1 * MIB)
    try:
        result = run_gate(tmp_path, "--config", str(path), base_url="http://127.0.0.1:9")
    finally:
        done()
    assert result.code == 2, result.everything
    assert f"--config: the config file {path} does not exist (or is not a file)" in result.verdict["message"]


@POSIX
def test_a_config_swapped_for_a_fifo_after_it_was_checked_is_refused_without_waiting(tmp_path: Path) -> None:
    """Between the settings' look (a regular file) and the read, the path becomes a FIFO: never waited on."""
    from gate.config.reader import read_yaml_file
    from gate.errors import ConfigError

    path = tmp_path / "gate.yml"
    os.mkfifo(path)
    with pytest.raises(ConfigError, match=r"the file is not a regular file \(a pipe\); give the thresholds file"):
        read_yaml_file(path)
