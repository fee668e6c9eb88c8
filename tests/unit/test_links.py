"""What may be a link: http or https, parsed sanely; the one builder writes anything else as plain words."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gate.ci import detect
from gate.text import MAX_LINK, link, link_address, link_root
from tests.conftest import CI_LINKS as CI

GOOD = [
    "https://github.com/acme/shop/actions/runs/42",
    "http://jenkins.internal:8080/job/shop/12/",
    "HTTPS://GitLab.com/o/s/-/jobs/77",
    "https://buildkite.com/o/s/builds/3#j-1",
    "https://[::1]:8443/run?x=1",
    "https://dashbörd.example/x",
    "https://x.example/)[y](javascript:alert(1))",  # an odd path, but http: the builder encodes the brackets
]
BAD = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "JavaScript://github.com/%0Aalert(1)",
    " javascript:alert(1)",
    "\tjavascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "\x00javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "ftp://files.example/x",
    "mailto:someone@example.com",
    "//evil.example/x",
    "/relative/path",
    "https:evil.example",
    "https:///evil.example",
    "https://",
    "http://:80/x",
    "https://x) [y](javascript:alert(1))",
    "https://github.com@evil.example/x",
    "https://user:pass@github.com/x",
    "https://github.com:443@evil.example",
    "https://github.com%40evil.example/x",
    "https://github.com:99999/x",
    "https://github.com:port/x",
    "https://evil\u3002example/x",
    "https://evil.example/\u202ex",
    "https://evil.example/\u200bx",
    "https://evil.example\\@github.com/",
    "https://[nonsense]/x",
    "https://x.example/a b",
    "https://x.example/\n::error::x",
    "https://x.example/" + "a" * MAX_LINK,
    "",
]


@pytest.mark.parametrize("url", GOOD)
def test_an_http_address_beyond_doubt_is_a_link(url: str) -> None:
    assert link_address(url) == url.replace("HTTPS:", "https:")
    assert link("run", url).startswith("[run](http")


@pytest.mark.parametrize("url", BAD)
def test_anything_else_is_no_link_and_the_words_stay_plain(url: str) -> None:
    assert link_address(url) is None
    assert link("the run", url) == "the run"


@pytest.mark.parametrize("value", [None, 42, b"https://github.com", ["https://github.com"]])
def test_a_value_that_is_not_text_is_no_link(value: object) -> None:
    assert link_address(value) is None


def test_the_builder_encodes_what_could_end_the_link_or_start_markup() -> None:
    assert link("run", "https://x.example/)[y](javascript:alert(1))") == (
        "[run](https://x.example/%29%5By%5D%28javascript:alert%281%29%29)"
    )
    assert link("run", "https://x.example/a<b>'\"`|*_~$!{}") == (
        "[run](https://x.example/a%3Cb%3E%27%22%60%7C%2A%5F%7E%24%21%7B%7D)"
    )


def test_a_root_to_build_under_has_no_query_nor_fragment() -> None:
    assert link_root(" https://ghe.example.com/ ") == "https://ghe.example.com"
    assert link_root("https://github.com?x=1") is None
    assert link_root("https://github.com#x") is None
    assert link_root("javascript:alert(1)//") is None


_TARGET = re.compile(r"\]\(([^()\s]*)\)")


@given(st.text(max_size=80) | st.sampled_from(BAD + GOOD).flatmap(lambda url: st.just(url) | st.text(max_size=5)))
@example("https://x.example/a)(b")
@example("https://x.example/ok")
def test_every_link_written_is_http_and_its_target_cannot_break_out(url: str) -> None:
    written = link("words", url)
    if written == "words":
        return
    target = _TARGET.fullmatch(written[len("[words") :])
    assert target, written
    assert target.group(1).lower().startswith(("http://", "https://"))
    assert not set(target.group(1)) & set(" ()<>[]\"'`|\\")


@pytest.mark.parametrize("url", BAD)
@pytest.mark.parametrize("system", sorted(CI))
def test_no_ci_gives_a_job_link_that_is_not_http(system: str, url: str) -> None:
    env, variable = CI[system]
    info = detect({**env, variable: url})
    assert info is not None and info.name == system
    assert info.job_url is None


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("GITHUB_REPOSITORY", "acme/shop)[x](javascript:alert(1)"),
        ("GITHUB_REPOSITORY", "../../evil"),
        ("GITHUB_RUN_ID", "42#x"),
        ("GITHUB_RUN_ID", "42/../../x"),
    ],
)
def test_githubs_link_is_built_only_from_parts_beyond_doubt(variable: str, value: str) -> None:
    env = {"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/shop"}
    info = detect({**env, "GITHUB_RUN_ID": "42", variable: value})
    assert info is not None and info.job_url is None


def test_an_odd_attempt_or_job_id_is_left_out_of_the_link() -> None:
    github = {"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "a/b"}
    info = detect({**github, "GITHUB_RUN_ID": "42", "GITHUB_RUN_ATTEMPT": "2)[x](javascript:alert(1)"})
    assert info is not None and info.job_url == "https://github.com/a/b/actions/runs/42"
    buildkite = {"BUILDKITE": "true", "BUILDKITE_BUILD_URL": "https://buildkite.com/o/s/builds/3"}
    info = detect({**buildkite, "BUILDKITE_JOB_ID": "x)[y](javascript:alert(1))"})
    assert info is not None and info.job_url == "https://buildkite.com/o/s/builds/3"
