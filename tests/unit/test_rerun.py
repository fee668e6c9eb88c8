"""The rerun list: which spec files, and which names from the API are never written for a shell."""

from __future__ import annotations

import glob
import re
import shlex

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gate.report.rerun import is_plain_relative_path
from tests.properties import examples

PLAIN = ["a.spec.ts", "checkout/pay.spec.ts", "e2e/ünïcödé/日本語.spec.ts", "tests/a-b_c.d/x.spec.js", "a@c=d,e%f.ts"]
NOT_PLAIN = [
    "",
    "/etc/passwd",
    "C:/tests/a.spec.ts",
    "c:a.spec.ts",
    "../outside.spec.ts",
    "tests/../../outside.spec.ts",
    "tests/./a.spec.ts",
    "tests//a.spec.ts",
    "tests/",
    "-rf",
    "--grep=.*",
    "a b.spec.ts",
    "a\tb.spec.ts",
    "a\nb.spec.ts",
    "a\rb.spec.ts",
    "a\x00b.spec.ts",
    "a\x1b[31mred.spec.ts",
    "a\u2028b.spec.ts",
    "a\u0085b.spec.ts",
    "a\u202eb.spec.ts",  # a right-to-left override
    "a\u200bb.spec.ts",  # a zero-width space
    "a\u00a0b.spec.ts",  # a no-break space
    "a\ufffdb.spec.ts",  # what a lone surrogate became
    "tests\\a.spec.ts",
    "*.spec.ts",
    "a?.spec.ts",
    "[ab].spec.ts",
    "{a,b}.spec.ts",
    "$(reboot).spec.ts",
    "`reboot`.spec.ts",
    "a;reboot.spec.ts",
    "a|b.spec.ts",
    "a&b.spec.ts",
    "a>b.spec.ts",
    "'quoted'.spec.ts",
    '"quoted".spec.ts',
    "~/a.spec.ts",
    "#comment.spec.ts",
    "a!b.spec.ts",
    # What Playwright's filter (`new RegExp(name)`) reads as more than a name, or as a file and a line.
    "c++.spec.ts",
    "a+b.spec.ts",
    "x^y.spec.ts",
    "login.spec.ts:12",
    "login.spec.ts:12:5",
    # Invisible letters and marks: a name that looks like another.
    "a\u115fb.spec.ts",
    "a\ufe0fb.spec.ts",
    "a\u034fb.spec.ts",
    "x" * 1025,
]


@pytest.mark.parametrize("name", PLAIN)
def test_plain_relative_paths_are_kept(name: str) -> None:
    assert is_plain_relative_path(name)


@pytest.mark.parametrize("name", NOT_PLAIN)
def test_names_a_shell_or_playwright_would_read_as_more_than_a_file_are_left_out(name: str) -> None:
    assert not is_plain_relative_path(name)


@settings(max_examples=examples(300))
@given(st.text(min_size=1, max_size=40))
@example("a\u3000b")
@example("a/b")
@example("-")
@example("a+")
@example("a:1")
def test_a_name_kept_is_one_word_to_a_shell_and_stays_inside_the_checkout(name: str) -> None:
    if not is_plain_relative_path(name):
        return
    assert shlex.split(name) == [name]
    assert not glob.has_magic(name)
    assert not name.startswith(("-", "/")) and ".." not in name.split("/")
    assert all(not ch.isspace() and ch.isprintable() for ch in name)
    # As Playwright reads it, a pattern: one that matches the name itself, and no line number.
    assert re.compile(name).search(name) and not re.search(r":[0-9]+$", name)
