"""The redactor: a secret in every form the runner masks and every spelling a hostile server may choose is
masked, wherever the server's words enter the gate; text without a secret is left exactly as it is.

What is left is read back with `traces` (tests/acceptance/adversarial/hostile.py), which decodes with the
standard library, not with the redactor.
"""

from __future__ import annotations

import json
import string
import tracemalloc
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gate import redact, unescape
from gate.answers import error_text
from gate.client import NAMES
from gate.comment.api import message
from gate.deadline import Deadline, TimeUp
from gate.errors import SetupError
from gate.redact import MASK, MAX_MAPPED, Redactor
from gate.redirects import Origin, redirect_target
from gate.text import server_text
from tests.acceptance.adversarial.hostile import SPELLINGS, traces
from tests.acceptance.github_fake import TOKEN
from tests.conftest import FakeClock

# A key like the hostile server's, one holding escapes of its own, one holding every character that XML,
# HTML, JSON and the runner's expressions escape, and GitHub's token.
SECRETS = [
    "pd_live_K3y.with-*odd*_chars",
    "pd_live_%percent%2C:colon,comma",
    "pd'live\"<K3y>&amp;\\back",
    TOKEN,
]
ORIGIN = Origin("https", "acme.neetoplaydash.com", 443)


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_a_secret_is_one_mask_and_the_words_around_it_stay(secret: str, spelling: str) -> None:
    redacted = Redactor([secret]).text(f"key {SPELLINGS[spelling](secret)} refused")
    assert traces(secret, redacted) == []
    if secret != SECRETS[2]:
        assert redacted == f"key {MASK} refused"
    # A secret holding escapes of several kinds (`&amp;` and `\\` here) may keep a few of its characters,
    # fewer than 8: the decoding that undoes the JSON escapes around it also undoes its own `&amp;`.


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_place_the_servers_words_enter_masks_every_spelling(secret: str, spelling: str) -> None:
    """Neeto's error body, a reason phrase, a redirect's address, GitHub's message: all the same redactor."""
    form = SPELLINGS[spelling](secret)
    redactor = Redactor([secret])
    neeto = json.dumps({"error": f"bad {form}", "errors": [form], "field_errors": [{"field": "k", "message": form}]})
    github = json.dumps({"message": f"Bad credentials {form}", "errors": [{"message": form}]})
    said = [
        error_text(neeto.encode(), redactor=redactor),
        server_text(f"down {form}", redactor, 100),
        message(github.encode(), redactor),
    ]
    with pytest.raises(SetupError) as refused:
        redirect_target(f"{ORIGIN}/api", f"https://elsewhere.example/{form}", ORIGIN, redactor, names=NAMES)
    for text in said:
        assert MASK in text
        assert traces(secret, text) == []
    # A redirect elsewhere is told by its origin, or by its whole address when the address itself is refused.
    assert traces(secret, str(refused.value)) == []


def test_the_runners_own_example_base64_of_user_and_secret_is_masked_at_each_alignment() -> None:
    """actions/runner registers base64 of the secret shifted by 0, 1 and 2 bytes, so that a prefix of any
    length before it is caught: `x-access-token:` (15 bytes), `user:` (5) and `tok:` (4) are the three."""
    for prefix in ("x-access-token:", "user:", "tok:", "", "a", "ab"):
        for suffix in ("", "!", "!!", "and more"):
            text = "Basic " + SPELLINGS["base64 (runner)"](prefix + TOKEN + suffix)
            assert Redactor([TOKEN]).text(text) == "Basic ***"


def test_a_cut_blob_is_masked_when_it_holds_either_end_of_the_secret() -> None:
    encoded = SPELLINGS["base64 of x-access-token: and it"](TOKEN)
    redactor = Redactor([TOKEN])
    for cut in range(len(encoded) // 2, len(encoded)):
        assert traces(TOKEN, redactor.text(f"[{encoded[:cut]}]")) == [], cut
        assert traces(TOKEN, redactor.text(f"[{encoded[-cut:]}]")) == [], cut


def test_text_without_a_secret_is_left_exactly_as_it_is() -> None:
    """Escapes of every kind, base64, a piece of the key shorter than 8, the gate's own `⚠️`: all untouched."""
    key = SECRETS[0]
    text = (
        "## ⚠️ gate — 100% &amp; &lt;b&gt; \\_under\\_ %41%42 \\u0041 &#65; &lowbar; it''s "
        f"dXNlcjpwYXNz== {key[:7]} {key[-7:]} {key[3:10]}"
    )
    redactor = Redactor([key, TOKEN])
    assert redactor.text(text) == text
    assert redactor.clean(text)


def test_a_long_text_holding_a_secret_only_through_escapes_is_masked_whole() -> None:
    """Past MAX_MAPPED characters the text is not mapped character by character: fail closed, and cheap."""
    form = SPELLINGS["percent, every character"](TOKEN)
    long = "x" * MAX_MAPPED + form
    assert Redactor([TOKEN]).text(long) == MASK
    # A secret found as it stands is masked in place, whatever the length.
    assert Redactor([TOKEN]).text("x" * MAX_MAPPED + TOKEN) == "x" * MAX_MAPPED + MASK


def test_a_text_made_of_secrets_is_masked_in_a_few_passes() -> None:
    text = (TOKEN + " ") * 20_000 + SPELLINGS["base64 (runner)"](TOKEN) * 2_000
    redacted = Redactor([TOKEN]).text(text)
    assert redacted == "*** " * 20_000 + MASK


def test_parsed_json_is_redacted_keys_and_all() -> None:
    form = SPELLINGS["every escape, mixed"](TOKEN)
    data = {"title": f"echo {form}", form: [SPELLINGS["base64 of x-access-token: and it"](TOKEN)], "n": 3}
    assert Redactor([TOKEN]).data(data) == {"title": "echo ***", MASK: [MASK], "n": 3}


# -- properties ----------------------------------------------------------------------------------------------------

# Secrets of printable ASCII without spaces, as keys and tokens are; around them, any text at all.
_SECRET = st.text(alphabet=string.ascii_letters + string.digits + string.punctuation, min_size=8, max_size=48)
_AROUND = st.text(max_size=40)


@given(secret=_SECRET, before=_AROUND, after=_AROUND, spelling=st.sampled_from(list(SPELLINGS)))
@example(secret="00000000", before="%7", after="", spelling="plain")
@example(secret="u0041abcdefg", before="\\", after="", spelling="plain")
@example(secret="pd_live_%percent%2C:colon,comma", before="", after="", spelling="URI data (runner)")
@example(secret="A+/A+/A+/A+/", before="a", after="=", spelling="base64 of a blob, URL-quoted")
@example(secret="''''''''", before="'", after="'", spelling="expression string (runner)")
@example(secret="********", before="*", after="*", spelling="plain")
@example(secret="00000\\00", before="", after="", spelling="every escape, mixed")  # `\%30`: two readings
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_every_spelling_of_any_secret_in_any_text_is_masked(
    secret: str, before: str, after: str, spelling: str
) -> None:
    redactor = Redactor([secret])
    redacted = redactor.text(before + SPELLINGS[spelling](secret) + after)
    assert traces(secret, redacted) == []
    assert redactor.text(redacted) == redacted


@given(secret=_SECRET, data=st.data())
@example(secret="abcdefgh", data=None)
def test_text_made_of_other_characters_is_left_as_it_is(secret: str, data: st.DataObject | None) -> None:
    """No false alarms: text that shares no character with the secret, escapes and base64 runs included."""
    others = "".join(sorted(set(string.printable + "é›—⚠️\u200b") - set(secret)))
    text = data.draw(st.text(alphabet=others, max_size=200)) if data else "%41&#65;\\u0041 dGVzdGluZw=="
    assert Redactor([secret]).text(text) == text


def test_the_names_of_ascii_characters_are_htmls_own() -> None:
    """The redactor knows HTML's names of ASCII characters without loading html.entities at every start."""
    import html.entities

    from gate.unescape import _ASCII_NAMES

    expected: dict[str, set[str]] = {}
    for name, value in html.entities.html5.items():
        if name.endswith(";") and len(value) == 1 and value.isascii():
            expected.setdefault(value, set()).add(name)
    assert {char: set(names.split()) for char, names in _ASCII_NAMES.items()} == expected


# -- bounds: memory and time (#19, findings 5 and 6) ----------------------------------------------------------------


def _peak(work: Callable[[], object]) -> int:
    """The most memory Python allocated while `work` ran, in bytes."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("shape", "escaped"),
    [("a page of comments", "%41x"), ("a page of comments", "\\_"), ("one long string", "%41x")],
)
def test_a_page_of_escapes_is_decoded_without_a_copy_of_it_all_nor_a_piece_per_escape(
    monkeypatch: pytest.MonkeyPatch, shape: str, escaped: str
) -> None:
    """GitHub's widest page is 27 MB of comments: looking at it must not join it whole (a copy), nor decode it
    with one object per escape (re.sub's list of pieces took 130 MB for a page of `%41x`). Blocks made small
    here, so that a page of 64 KiB (16 blocks of 4 KiB) stands for one of 27 MB."""
    monkeypatch.setattr(redact, "BLOCK", 1 << 12)
    monkeypatch.setattr(unescape, "_AT_ONCE", 1 << 12)
    size = 1 << 16
    if shape == "a page of comments":
        body = escaped * (size // 16 // len(escaped))
        page: object = [{"id": number, "body": body} for number in range(16)]
    else:
        page = {"body": escaped * (size // len(escaped))}
    redactor = Redactor([TOKEN])
    # It took 5.5 times the page's text (a join of it, and a list of its pieces at 8 bytes an escape); now a
    # block at a time, or (one string) its plain view as it is written.
    assert _peak(lambda: redactor.data(page)) < (2 * size if shape == "one long string" else size // 2)


def test_a_secret_in_any_block_of_a_page_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page is looked at a block of strings at a time: a secret in a later block, or in a string longer
    than a block (decoded a block of pieces at a time), is found as it is in a short one. Blocks made small
    here (4 KiB, and 512 pieces): the long string spans eight blocks of pieces, as 3 MiB spans 128 of them,
    and is past the longest text whose secrets are masked in place (MAX_MAPPED), so it is masked whole."""
    block = 1 << 12
    monkeypatch.setattr(redact, "BLOCK", block)
    monkeypatch.setattr(redact, "MAX_MAPPED", block)
    monkeypatch.setattr(unescape, "_AT_ONCE", block)
    monkeypatch.setattr(unescape, "_BLOCK_PIECES", 512)
    form = SPELLINGS["percent, every character"](TOKEN)
    page = ["x" * (block - 10), "filler", f"see {form}", "%41" * block + form + "%41"]
    assert Redactor([TOKEN]).data(page) == ["x" * (block - 10), "filler", f"see {MASK}", MASK]


@pytest.mark.parametrize("shape", ["text", "page"])
def test_redaction_stops_at_the_deadline(clock: FakeClock, shape: str) -> None:
    """A saved answer or a page of comments whose escapes take long to decode: the work stops at the deadline
    (the comment's, --timeout) instead of running on past it."""
    form = SPELLINGS["percent, every character"](TOKEN[:8]) + "x"
    value: object = form * 50_000 if shape == "text" else [{"body": form * 1_000}] * 50
    deadline = Deadline(5.0, clock=clock)
    redactor = Redactor([TOKEN])
    clock.now += 5.0
    with pytest.raises(TimeUp):
        redactor.data(value, deadline)
    # Clean text needs no decoding and is given back as it is, whatever the time.
    assert redactor.data(["plain words"] * 10, deadline) == ["plain words"] * 10


def test_redaction_within_the_deadline_is_redaction() -> None:
    form = SPELLINGS["every escape, mixed"](TOKEN)
    page = [{"body": f"a {form} b"}, {"body": "clean"}]
    assert Redactor([TOKEN]).data(page, Deadline(60.0)) == [{"body": f"a {MASK} b"}, {"body": "clean"}]


@given(text=st.text(alphabet="%41&#x;\\u{}amp'_ZgA", max_size=60), per_block=st.integers(1, 4))
@example(text="%4%41%%41", per_block=1)
@example(text="\\%30&amp;#112;''", per_block=1)
def test_decoding_a_block_at_a_time_gives_the_views_of_decoding_at_once(text: str, per_block: int) -> None:
    """A text past _AT_ONCE is decoded a block of pieces at a time: the same plain views, escapes across a
    block's end included."""
    at_once = list(unescape.plain_views(text))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(unescape, "_AT_ONCE", 0)
        patch.setattr(unescape, "_BLOCK_PIECES", per_block)
        assert list(unescape.plain_views(text)) == at_once


@pytest.mark.parametrize("escape", ["%41", "merge\\_group", "&amp;", "\\u0041"])
def test_a_fragment_as_it_stands_beside_an_unrelated_escape_on_another_line_is_masked_alone(escape: str) -> None:
    """A summary with a commit sha sharing 8 characters with the token, and a Markdown escape elsewhere, was
    masked whole ("***"): only the fragment is masked, the rest of the report stays readable."""
    redactor = Redactor(["ghs_notused0123456789"])
    text = f"a <code>pr-12-0123456789abcdef</code>\nTarget branch (from {escape})\n"
    assert redactor.text(text) == f"a <code>pr-12-***abcdef</code>\nTarget branch (from {escape})\n"
    # Across the lines, through the escapes, a secret is still masked with the text.
    crossing = "a ghs_notused01\nb %32%33%34%35%36%37%38%39"
    assert "ghs_notused" not in redactor.text(crossing) and "%32%33%34" not in redactor.text(crossing)


@pytest.mark.parametrize("secret", [TOKEN, "pdk_live_S3cr3tK3y_for_tests_only"])
def test_a_text_full_of_a_secrets_anchors_but_no_piece_stops_at_the_deadline(secret: str) -> None:
    """Five characters of a secret then another, over and over: no piece and no escape, yet long to look at;
    the deadline is looked at while the anchors are followed, not only between texts."""
    calls = iter([0.0])
    deadline = Deadline(1.0, clock=lambda: next(calls, 100.0))  # started at 0, past its end at the next look
    noise = (secret[:5] + "?") * 20_000
    with pytest.raises(TimeUp):
        Redactor([secret]).data({"comments": [noise]}, deadline)
    assert Redactor([secret]).clean(noise)  # without a deadline, the same text is clean
