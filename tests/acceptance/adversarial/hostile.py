"""The one hostile NeetoPlaydash on loopback, and the gate run as a GitHub step against it.

The simulator (`gate.simulator`) is the NeetoPlaydash that keeps to the API: the demo, the benchmarks and the
tests of the gate's behaviour use it, with its scripted faults. This server is its counterpart for what no
honest server does and the simulator will never script: any status line, header or body a test writes (a
length that lies, an endless chunked body, a key echoed back in any spelling). Each test scripts it with a
function from a request to a `Reply`; `run_gate` runs the gate (through `tests.conftest.run_main`) with every
sink on (console, step summary, JSON, JUnit, Markdown, outputs, annotations) and returns them all, so a test
can check the exit code, the verdict, and that no sink leaked or broke.
"""

from __future__ import annotations

import base64
import functools
import html
import html.entities
import json
import os
import re
import threading
import time
import urllib.parse
import xml.sax.saxutils
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from gate.clock import REAL, Clock
from tests.conftest import checked_verdict, run_main

API_KEY = "pd_live_K3y.with-*odd*_chars"
API = "/api/external/v1"
RUN_PATH = f"{API}/projects/pdqmxlz/runs/kftwnab"


@dataclass
class Request:
    """What the gate sent."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    port: int


@dataclass
class Reply:
    """What the hostile server answers: a status, headers, a body (JSON-encoded unless bytes or str)."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0  # seconds to wait before answering
    content_length: int | None = None  # lie about the length (the body is then cut short)
    reason: str | None = None  # the status line's reason phrase (the standard one when None)
    # Sent chunked instead of `body`, piece by piece as made (endless, or slow, as the test likes); the
    # server stops when the gate hangs up.
    chunks: Callable[[], Iterator[bytes]] | None = None

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8", "surrogatepass")
        return json.dumps(self.body).encode()


Handler = Callable[[Request], Reply]


class HostileServer:
    """A real HTTP server on 127.0.0.1 answering whatever `handler` says; records every request."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                request = Request(
                    url.path,
                    {key: values[-1] for key, values in parse_qs(url.query).items()},
                    dict(self.headers.items()),
                    server.port,
                )
                with server._lock:
                    server.requests.append(request)
                reply = server.handler(request)
                if reply.stall:
                    time.sleep(reply.stall)
                body = reply.encoded()
                try:
                    self.send_response(reply.status, reply.reason)
                    self.send_header("Content-Type", reply.headers.pop("Content-Type", "application/json"))
                    if reply.chunks is not None:
                        self.send_header("Transfer-Encoding", "chunked")
                    else:
                        length = reply.content_length if reply.content_length is not None else len(body)
                        self.send_header("Content-Length", str(length))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    if "Connection" not in reply.headers:
                        # Said, as it is done: a client that kept the connection for its next attempt (one
                        # right after, in simulated time) would find it closed and count an attempt lost.
                        self.send_header("Connection", "close")
                    self.end_headers()
                    if reply.chunks is None:
                        self.wfile.write(body)
                    else:
                        for chunk in reply.chunks():
                            if chunk:
                                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except OSError:
                    pass
                self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        # Polled every 2 ms for a shutdown: stopping the server at the end of a test waits for that poll.
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.002,), daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> HostileServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def keys_seen(self) -> list[str | None]:
        """The `X-Api-Key` of every request, in order."""
        return [request.headers.get("X-Api-Key") for request in self.requests]


@contextmanager
def hostile(handler: Handler) -> Iterator[HostileServer]:
    """Serve `handler` for the duration of a `with` block."""
    with HostileServer(handler) as server:
        yield server


def statistics(**counts: int) -> list[dict[str, Any]]:
    """`run_statistics` from counts: failed=3 -> [{"name": "Failed", "value": 3}]."""
    names = {"timed_out": "Timed out"}
    return [{"name": names.get(key, key.capitalize()), "value": value} for key, value in counts.items()]


def run_body(
    *,
    status: str = "passed",
    is_running: bool = False,
    counts: dict[str, int] | None = None,
    specs: list[dict[str, Any]] | None = None,
    total_pages: int = 1,
    page: int = 1,
    **extra: Any,
) -> dict[str, Any]:
    """A Get run answer like the documented example; `extra` overrides or adds fields."""
    body: dict[str, Any] = {
        "project_id": "pdqmxlz",
        "run_id": "kftwnab",
        "commit_id": "9fceb02e1d2c4bb6a1f3f6b0c8e7d5a1b2c3d4e5",
        "created_at": "2026-06-28T09:14:22.000Z",
        "commit_name": "Fix flaky checkout spec",
        "status": status,
        "duration": 182.45,
        "ci_build_id": "gh-actions-4821",
        "branch": "main",
        "author": "Oliver Smith",
        "tags": ["smoke"],
        "is_running": is_running,
        "run_statistics": statistics(**(counts if counts is not None else {"passed": 10})),
        "total_shards": 1,
        "specs": specs or [],
        "pagination": {
            "total_records": len(specs or []),
            "total_pages": total_pages,
            "current_page_number": page,
            "page_size": 100,
        },
    }
    body.update(extra)
    return body


def spec(file_name: str, *tests: tuple[str, str], spec_id: str | None = None) -> dict[str, Any]:
    """A spec with tests given as (title, status)."""
    return {
        "spec_id": spec_id or f"s-{file_name}",
        "file_name": file_name,
        "tests": [
            {"test_id": f"t-{file_name}-{i}", "title": title, "status": status, "duration": 1.0}
            for i, (title, status) in enumerate(tests)
        ],
    }


@dataclass
class GateResult:
    """Every sink of one run of the gate."""

    code: int
    stdout: str
    stderr: str
    summary: str
    outputs_text: str
    json_text: str
    junit: str
    markdown: str

    @functools.cached_property
    def verdict(self) -> dict[str, Any]:
        """The JSON verdict, checked against the published schema."""
        return checked_verdict(self.json_text)

    @property
    def everything(self) -> str:
        """All the text the gate wrote anywhere."""
        return "\n".join(
            (self.stdout, self.stderr, self.summary, self.outputs_text, self.json_text, self.junit, self.markdown)
        )


def run_gate(
    tmp_path: Path,
    *args: str | os.PathLike[str],
    base_url: str | None = None,
    env: dict[str, str] | None = None,
    stdin: str = "",
    timeout: str = "10s",
    clock: Clock = REAL,
) -> GateResult:
    """`run_main` as a GitHub step (GITHUB_ACTIONS=true, RUNNER_DEBUG=1) with every report on."""
    workspace = tmp_path / f"ws-{time.monotonic_ns()}"
    workspace.mkdir()
    files = {name: workspace / name for name in ("summary.md", "outputs", "verdict.json", "junit.xml", "report.md")}
    files["summary.md"].write_text("")
    files["outputs"].write_text("")
    full_env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_STEP_SUMMARY": str(files["summary.md"]),
        "GITHUB_OUTPUT": str(files["outputs"]),
        "RUNNER_DEBUG": "1",
        "PLAYDASH_API_KEY": API_KEY,
        "PLAYDASH_PROJECT_ID": "pdqmxlz",
        "PLAYDASH_RUN_ID": "kftwnab",
        "PLAYDASH_POLL_INTERVAL": "0.02s",
        "PLAYDASH_MAX_POLL_INTERVAL": "0.05s",
        "PLAYDASH_TIMEOUT": timeout,
        "PLAYDASH_JSON_FILE": "verdict.json",
        "PLAYDASH_JUNIT_FILE": "junit.xml",
        "PLAYDASH_MARKDOWN_FILE": "report.md",
    }
    if base_url:
        full_env["PLAYDASH_BASE_URL"] = base_url
    full_env.update(env or {})
    full_env = {key: value for key, value in full_env.items() if value is not None}
    ran = run_main(args, full_env, cwd=workspace, stdin=stdin, clock=clock)

    def read(name: str) -> str:
        path = files[name]
        return path.read_text(encoding="utf-8") if path.exists() else ""

    return GateResult(
        ran.code,
        ran.stdout,
        ran.stderr,
        read("summary.md"),
        read("outputs"),
        read("verdict.json"),
        read("junit.xml"),
        read("report.md"),
    )


# -- a secret as a server may echo it ---------------------------------------------------------------------------


def _base64(text: str, *, url: bool = False, padded: bool = True) -> str:
    encoded = (base64.urlsafe_b64encode if url else base64.b64encode)(text.encode()).decode()
    return encoded if padded else encoded.rstrip("=")


def _each(secret: str, spell: Callable[[str], str], every: int = 1) -> str:
    """The secret with every `every`-th character spelled by `spell`, the others as they are."""
    return "".join(spell(char) if index % every == 0 else char for index, char in enumerate(secret))


def _percent(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode())


@functools.cache
def _reference_names() -> dict[str, str]:
    """A named HTML character reference for each character that has one (`_` is `&lowbar;`)."""
    names: dict[str, str] = {}
    for name, value in html.entities.html5.items():
        if name.endswith(";") and len(value) == 1:
            names.setdefault(value, f"&{name}")
    return names


_MIX = [lambda c: c, _percent, lambda c: f"\\u{ord(c):04x}", lambda c: f"&#{ord(c)};", lambda c: f"&#x{ord(c):X};"]

# Every form the Actions runner's masker registers for a secret (actions/runner, ValueEncoders), the
# runner's own example of base64 behind a prefix at each byte alignment, and the spellings a hostile server
# may choose beyond them: escapes of any subset of the characters, in either case, nested, or mixed.
SPELLINGS: dict[str, Callable[[str], str]] = {
    "plain": lambda s: s,
    "base64 (runner)": _base64,
    "base64 shifted by one byte (runner)": lambda s: _base64(s[1:]),
    "base64 shifted by two bytes (runner)": lambda s: _base64(s[2:]),
    "URI data (runner)": lambda s: urllib.parse.quote(s, safe=""),
    "JSON string (runner)": lambda s: json.dumps(s)[1:-1],
    "XML data (runner)": lambda s: xml.sax.saxutils.escape(s, {'"': "&quot;", "'": "&apos;"}),
    "expression string (runner)": lambda s: s.replace("'", "''"),
    "base64 of x-access-token: and it": lambda s: _base64("x-access-token:" + s),
    "base64 of user: and it": lambda s: _base64("user:" + s),
    "base64 of tok: and it": lambda s: _base64("tok:" + s),
    "base64 without padding": lambda s: _base64(s, padded=False),
    "URL-safe base64 inside a blob": lambda s: _base64("k:" + s + "\x00and more", url=True, padded=False),
    "base64 of a blob, URL-quoted": lambda s: urllib.parse.quote(_base64("x-access-token:" + s), safe=""),
    "percent, every character": lambda s: _each(s, _percent),
    "percent, lower-case hex": lambda s: _each(s, _percent).lower(),
    "percent, every other character": lambda s: _each(s, _percent, 2),
    "percent, twice over": lambda s: _each(s, _percent).replace("%", "%25"),
    "\\u, every character": lambda s: _each(s, lambda c: f"\\u{ord(c):04x}"),
    "\\u, upper-case hex, every third character": lambda s: _each(s, lambda c: f"\\u{ord(c):04X}", 3),
    "\\x, every character": lambda s: _each(s, lambda c: f"\\x{ord(c):02x}"),
    "decimal references": lambda s: _each(s, lambda c: f"&#{ord(c)};"),
    "hex references": lambda s: _each(s, lambda c: f"&#x{ord(c):x};"),
    "hex references, zeros and no semicolon": lambda s: _each(s, lambda c: f"&#X000{ord(c):X}"),
    "named references": lambda s: _each(s, lambda c: _reference_names().get(c, c)),
    "a backslash before each punctuation": lambda s: _each(s, lambda c: c if c.isalnum() else "\\" + c),
    "every escape, mixed": lambda s: "".join(_MIX[index % len(_MIX)](c) for index, c in enumerate(s)),
}


def _unescaped(text: str) -> str:
    """One round of every decoding, by the standard library where it has one."""
    text = urllib.parse.unquote(text, errors="replace")
    text = html.unescape(text)
    text = re.sub(
        r"\\(?:u([0-9A-Fa-f]{4})|x([0-9A-Fa-f]{2})|([!-/:-@\[-`{-~]))",
        lambda m: chr(int(m[1] or m[2], 16)) if m[1] or m[2] else m[3],
        text,
    )
    return text.replace("''", "'")


def traces(secret: str, text: str, size: int = 8) -> list[str]:
    """What of the secret the text still shows: `size` characters of it read as they stand, after every
    escape is decoded (three times over), or `size` bytes of it decoded from any run of base64 characters
    at any alignment. Independent of the gate's redactor: the standard library does the decoding."""
    found = []
    pieces = {secret[start : start + size] for start in range(len(secret) - size + 1)}
    raw = secret.encode()
    byte_pieces = {raw[start : start + size] for start in range(len(raw) - size + 1)}
    # Any of the pieces, in one search: most runs show none, and are looked at once rather than once a piece.
    any_piece = re.compile(b"|".join(map(re.escape, sorted(byte_pieces)))) if byte_pieces else None
    views = [text]
    for _ in range(3):
        views.append(_unescaped(views[-1]))
    for depth, view in enumerate(views):
        found += [f"{piece!r} after {depth} decodings" for piece in pieces if piece in view]
        for run in re.findall(r"[A-Za-z0-9+/_-]{8,}", view):
            standard = run.translate(str.maketrans("-_", "+/"))
            for offset in range(4):
                chunk = standard[offset:][: (len(standard) - offset) // 4 * 4]
                decoded = base64.b64decode(chunk)
                if any_piece is not None and any_piece.search(decoded):
                    found += [f"{piece!r} in base64 {run[:40]!r}" for piece in byte_pieces if piece in decoded]
    return sorted(set(found))
