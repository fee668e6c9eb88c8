"""A fake of GitHub's REST API for issue comments, on loopback over real HTTP, recording every request.

It keeps comments per issue, pages them (`per_page`, `page`, a `Link` header with `rel="next"`), creates
(POST) and updates (PATCH) them, and can be scripted to answer a request its own way (`script`).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "ghs_FakeGitHubT0kenForTests_0123456789"
REPO = "acme/shop"
_LIST = re.compile(r"^/repos/([^/]+/[^/]+)/issues/([0-9]+)/comments$")
_ONE = re.compile(r"^/repos/([^/]+/[^/]+)/issues/comments/([0-9]+)$")


@dataclass
class Seen:
    """A request the fake received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class Answer:
    """A scripted answer: status, JSON body (or bytes), headers, and a stall before it."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0


class FakeGitHub:
    """GitHub's issue comments on 127.0.0.1; `script(seen)` may answer instead (return None to carry on)."""

    def __init__(self, per_page_cap: int = 100) -> None:
        self.comments: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.requests: list[Seen] = []
        self.script: Callable[[Seen], Answer | None] = lambda _seen: None
        self.per_page_cap = per_page_cap
        self.next_id = 1000
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def handle_any(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                seen = Seen(
                    self.command, url.path, {k: v[-1] for k, v in parse_qs(url.query).items()}, dict(self.headers), body
                )
                with fake.lock:
                    fake.requests.append(seen)
                answer = fake.script(seen) or fake.answer(seen)
                if answer.stall:
                    time.sleep(answer.stall)
                data = answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    # Said, not just done: a client must not send its next request on this connection.
                    self.send_header("Connection", "close")
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass
                self.close_connection = True

            do_GET = do_POST = do_PATCH = handle_any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # Polled every 2 ms for a shutdown: stopping the server at the end of a test waits for that poll.
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.002,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def add(
        self, number: int, body: str, user: str = "github-actions[bot]", kind: str = "Bot", association: str = "NONE"
    ) -> dict[str, Any]:
        """Put a comment on an issue, as if written earlier (GitHub gives its own bot the association NONE)."""
        with self.lock:
            return self._create(REPO, number, body, user, kind, association)

    def bodies(self, number: int) -> list[str]:
        return [comment["body"] for comment in self.comments.get((REPO, number), [])]

    def writes(self) -> list[Seen]:
        return [seen for seen in self.requests if seen.method != "GET"]

    def _create(
        self, repo: str, number: int, body: str, user: str, kind: str, association: str = "NONE"
    ) -> dict[str, Any]:
        self.next_id += 1
        comment = {
            "id": self.next_id,
            "body": body,
            "user": {"login": user, "type": kind},
            "author_association": association,
            "html_url": f"https://github.com/{repo}/pull/{number}#issuecomment-{self.next_id}",
            "created_at": "2026-11-28T23:00:00Z",
        }
        self.comments.setdefault((repo, number), []).append(comment)
        return comment

    def answer(self, seen: Seen) -> Answer:
        if seen.headers.get("Authorization") != f"Bearer {TOKEN}":
            return Answer(401, {"message": "Bad credentials"})
        listing, one = _LIST.match(seen.path), _ONE.match(seen.path)
        with self.lock:
            if listing and seen.method == "GET":
                return self._page(listing.group(1), int(listing.group(2)), seen.query)
            if listing and seen.method == "POST":
                comment = self._create(
                    listing.group(1), int(listing.group(2)), seen.body["body"], "github-actions[bot]", "Bot"
                )
                return Answer(201, comment)
            if one and seen.method == "PATCH":
                for comments in self.comments.values():
                    for comment in comments:
                        if comment["id"] == int(one.group(2)):
                            comment["body"] = seen.body["body"]
                            return Answer(200, comment)
        return Answer(404, {"message": "Not Found"})

    def _page(self, repo: str, number: int, query: dict[str, str]) -> Answer:
        per_page = min(self.per_page_cap, int(query.get("per_page", 30)))
        page = int(query.get("page", 1))
        comments = self.comments.get((repo, number), [])
        chunk = comments[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(comments):
            base = f"{self.url}/repos/{repo}/issues/{number}/comments"
            headers["Link"] = f'<{base}?per_page={per_page}&page={page + 1}>; rel="next"'
        return Answer(200, chunk, headers)

    def __enter__(self) -> FakeGitHub:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def fake_github() -> Iterator[FakeGitHub]:
    with FakeGitHub() as fake:
        yield fake
