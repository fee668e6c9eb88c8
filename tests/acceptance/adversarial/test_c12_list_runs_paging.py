"""Class 12: List runs is paged under either documented spelling, and a server that reads neither is caught.

NeetoPlaydash's pagination page names the parameter `page_number`, its Get run page `page`: the gate sends
both, and checks `current_page_number` against the page it asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.acceptance.adversarial.hostile import API, Reply, Request, hostile, run_body, run_gate

LIST_PATH = f"{API}/projects/pdqmxlz/runs"
# Three pages of runs, newest first; the build's run is on the last one.
PAGES = {
    1: [{"run_id": "newest", "ci_build_id": "b-other", "is_running": False, "branch": "main"}],
    2: [{"run_id": "middle", "ci_build_id": "b-other", "is_running": False, "branch": "main"}],
    3: [{"run_id": "kftwnab", "ci_build_id": "b-mine", "is_running": False, "branch": "main"}],
}


def list_runs_server(page_of: Callable[[dict[str, str]], int]) -> Callable[[Request], Reply]:
    """A server whose List runs reads the page with `page_of` (and says which page it sent)."""

    def handler(request: Request) -> Reply:
        if request.path == LIST_PATH:
            page = page_of(request.query)
            pagination = {"total_pages": len(PAGES), "current_page_number": page, "page_size": 1}
            return Reply(body={"runs": PAGES.get(page, []), "pagination": pagination})
        return Reply(body=run_body())

    return handler


@pytest.mark.parametrize(
    "page_of",
    [
        pytest.param(lambda query: int(query.get("page_number", "1")), id="reads page_number"),
        pytest.param(lambda query: int(query.get("page", "1")), id="reads page"),
    ],
)
def test_either_spelling_of_the_page_finds_the_run(tmp_path: Path, page_of: Callable[[dict[str, str]], int]) -> None:
    with hostile(list_runs_server(page_of)) as server:
        result = run_gate(tmp_path, base_url=server.url, env={"PLAYDASH_RUN_ID": "", "PLAYDASH_CI_BUILD_ID": "b-mine"})
    assert result.code == 0, result.stdout
    listed = [request.query for request in server.requests if request.path == LIST_PATH]
    assert [(q["page"], q["page_number"]) for q in listed] == [("1", "1"), ("2", "2"), ("3", "3")]


def test_a_server_that_reads_neither_spelling_is_refused_not_rescanned(tmp_path: Path) -> None:
    with hostile(list_runs_server(lambda _query: 1)) as server:
        result = run_gate(tmp_path, base_url=server.url, env={"PLAYDASH_RUN_ID": "", "PLAYDASH_CI_BUILD_ID": "b-mine"})
    assert result.code == 3
    assert "asked for page 2 but `pagination.current_page_number` is 1" in result.verdict["message"]
    assert "asked for page 2" in result.summary


def test_a_page_number_that_is_not_a_number_is_refused(tmp_path: Path) -> None:
    def handler(request: Request) -> Reply:
        if request.path == LIST_PATH:
            pagination = {"total_pages": 1, "current_page_number": True}
            return Reply(body={"runs": PAGES[3], "pagination": pagination})
        return Reply(body=run_body())

    with hostile(handler) as server:
        result = run_gate(tmp_path, base_url=server.url, env={"PLAYDASH_RUN_ID": "", "PLAYDASH_CI_BUILD_ID": "b-mine"})
    assert result.code == 3
    assert "current_page_number` is True" in result.verdict["message"]


def test_a_server_that_reads_neither_spelling_nor_says_its_page_lists_each_run_once(tmp_path: Path) -> None:
    # No `current_page_number` to catch it: page 1 comes back as pages 2-5. It brings no run not seen, so the
    # paging ends there, and one run is one run (no "5 runs have the build id").
    def handler(request: Request) -> Reply:
        if request.path == LIST_PATH:
            return Reply(body={"runs": PAGES[3], "pagination": {"total_pages": 5}})
        return Reply(body=run_body())

    with hostile(handler) as server:
        result = run_gate(tmp_path, base_url=server.url, env={"PLAYDASH_RUN_ID": "", "PLAYDASH_CI_BUILD_ID": "b-mine"})
    assert result.code == 0, result.stdout
    assert len([request for request in server.requests if request.path == LIST_PATH]) == 2
    assert "runs have the build id" not in result.everything
