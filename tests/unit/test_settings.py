"""Settings: flags, action inputs and PLAYDASH_* variables, checked with messages that name them."""

from __future__ import annotations

from pathlib import Path

import pytest

from gate.errors import SetupError
from gate.settings import OPTIONS_BY_DEST, RunById, Sources, action_input_names, parse_base_url, parse_duration, resolve

BASE = {
    "PLAYDASH_API_KEY": "k-123",
    "PLAYDASH_SUBDOMAIN": "acme",
    "PLAYDASH_PROJECT_ID": "pdqmxlz",
    "PLAYDASH_RUN_ID": "kftwnab",
}


def settings(flags: dict[str, object] | None = None, **env: str):
    return resolve(Sources(flags=flags or {}, env={**BASE, **env}))


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("90", 90),
        ("90s", 90),
        ("1.5s", 1.5),
        ("15m", 900),
        ("1h", 3600),
        ("0.5h", 1800),
        ("250ms", 0.25),
        (" 2M ", 120),
        (".5s", 0.5),
        ("1h30m", 5400),
        ("2m30s", 150),
        ("1h 30m 15s", 5415),
        ("1m30.5s", 90.5),
        ("1h0m", 3600),
        ("30ms", 0.03),
        ("1s500ms", 1.5),
        ("1H30M", 5400),
        ("1h30m\n", 5400),
    ],
)
def test_durations_accept_the_documented_forms(raw: str, seconds: float) -> None:
    assert parse_duration(raw, "--timeout") == pytest.approx(seconds)


@pytest.mark.parametrize(
    "raw",
    # Units out of order or twice, a bare number after a unit, non-ASCII digits, text far too long.
    [
        "",
        "0",
        "0s",
        "-5s",
        "5 minutes",
        "1d",
        "abc",
        "nan",
        "inf",
        "1e3",
        "30m1h",
        "1h1h",
        "1h30",
        "h",
        "ms",
        "0h0m",
        "1h-30m",
        "１h",
        "١٠s",
        "1h\x0030m",
        "1" * 10_001,
        "1h\n30m",
        "1 2",
        "1m30",
        # Read part by part: long runs of spaces cost no more than their length (a pattern of optional
        # parts once took minutes on 200 spaces).
        " " * 5_000 + "x",
        "1h" + " " * 5_000 + "x",
        "1 " * 4_000,
        "1" * 9_000 + "x",
    ],
    ids=lambda raw: repr(raw) if len(raw) < 30 else f"{len(raw)} characters",
)
def test_bad_durations_name_the_flag(raw: str) -> None:
    with pytest.raises(SetupError, match="--timeout must be a duration"):
        parse_duration(raw, "--timeout")


@pytest.mark.parametrize("raw", ["24h", "1440m", "86400", "86400s", "86400000ms", " 24 H "])
def test_durations_up_to_a_day_are_accepted(raw: str) -> None:
    assert parse_duration(raw, "--timeout") == 86400


@pytest.mark.parametrize(
    "raw",
    [
        "86401",
        "86400.5s",
        "24.001h",
        "1441m",
        "25h",
        "10000000000",
        "99999999999999999999999ms",
        "1" + "0" * 400,
        "9" * 5000 + "h",
        "1" + "0" * 400 + "." + "5" * 400,
    ],
    ids=lambda raw: raw if len(raw) < 30 else f"{len(raw)} characters",
)
def test_durations_over_a_day_name_the_flag_and_the_bound(raw: str) -> None:
    with pytest.raises(SetupError, match=r"^--timeout must be at most 24h \(86400s\)") as caught:
        parse_duration(raw, "--timeout")
    assert len(caught.value.message) < 250


@pytest.mark.parametrize("dest", ["timeout", "poll_interval", "max_poll_interval"])
@pytest.mark.parametrize("how", ["flag", "variable", "input", "input with underscores"])
def test_every_duration_setting_is_bounded_by_a_day_whichever_way_it_is_given(dest: str, how: str) -> None:
    option = OPTIONS_BY_DEST[dest]
    assert option.flag and option.env and option.input
    raw, flags, env = "10000000000", {}, {}
    if how == "flag":
        flags, name = {dest: raw}, option.flag
    elif how == "variable":
        env, name = {option.env: raw}, option.env
    else:
        inputs = action_input_names(option.input)
        env, name = {inputs[-1] if how == "input with underscores" else inputs[0]: raw}, f"input `{option.input}`"
    with pytest.raises(SetupError) as caught:
        settings(flags, **env)
    assert caught.value.message.startswith(f"{name} must be at most 24h (86400s)"), caught.value.message


@pytest.mark.parametrize(
    ("flags", "problem"),
    [
        ({"run_id": "x" * 100_000}, "--run-id must be an id"),
        ({"base_url": "https://" + "a" * 100_000}, "--base-url"),
        ({"run_url": "https://acme.neetoplaydash.com/" + "p" * 100_000}, "--run-url must be a run's address"),
        ({"on_unavailable": "maybe" * 100_000}, "--on-unavailable must be fail"),
        ({"timeout": "soon" * 100_000}, "--timeout must be a duration"),
    ],
    ids=["run id", "base url", "run url", "on-unavailable", "timeout"],
)
def test_a_huge_value_is_quoted_back_short(flags: dict[str, object], problem: str) -> None:
    with pytest.raises(SetupError, match=problem) as caught:
        settings(flags)
    assert len(caught.value.message) < 400 and "…" in caught.value.message


@pytest.mark.parametrize(
    ("raw", "api_root", "workspace"),
    [
        (
            "https://acme.neetoplaydash.com",
            "https://acme.neetoplaydash.com/api/external/v1",
            "https://acme.neetoplaydash.com",
        ),
        (
            "https://acme.neetoplaydash.com/",
            "https://acme.neetoplaydash.com/api/external/v1",
            "https://acme.neetoplaydash.com",
        ),
        (
            "https://acme.neetoplaydash.com/api/external/v1/",
            "https://acme.neetoplaydash.com/api/external/v1",
            "https://acme.neetoplaydash.com",
        ),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/external/v1", "http://127.0.0.1:8080"),
        ("http://localhost:9", "http://localhost:9/api/external/v1", "http://localhost:9"),
        ("http://[::1]:9/api/external/v1", "http://[::1]:9/api/external/v1", "http://[::1]:9"),
    ],
)
def test_base_url_forms(raw: str, api_root: str, workspace: str) -> None:
    assert parse_base_url(raw, "--base-url") == (api_root, workspace)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("http://acme.neetoplaydash.com", "must use https://"),
        ("http://10.0.0.5:8080", "must use https://"),
        ("ftp://acme.neetoplaydash.com", "must be an address"),
        ("acme.neetoplaydash.com", "must be an address"),
        ("https://user:pw@acme.neetoplaydash.com", "must not hold a user name or password"),
        ("https://acme.neetoplaydash.com/?x=1", "must not have a query"),
        ("https://acme.neetoplaydash.com:abc", "port that is not a number"),
        ("https://acme.neetoplaydash.com:99999", "port that is not a number from 1 to 65535"),
        ("http://127.0.0.1:9/x\\y", "must not hold a backslash"),
        ("https://acme.neetoplaydash.com\\@other.example", "must not hold a backslash"),
        ("https://acme.neetoplaydash.com/a b", "must not hold a backslash, a space"),
        ("https://acme.neetoplaydash.com/\x7f", "or a control character"),
    ],
)
def test_bad_base_urls_are_refused_before_any_request(raw: str, problem: str) -> None:
    with pytest.raises(SetupError, match=problem) as caught:
        parse_base_url(raw, "--base-url")
    assert "--base-url" in caught.value.message


@pytest.mark.parametrize(
    "raw",
    [
        "https://user:s3cretpw@acme.neetoplaydash.com",
        "http://user:s3cretpw@127.0.0.1:9/projects/b/runs/r",
        "https://s3cretpw@acme.neetoplaydash.com:99999",
    ],
)
def test_an_address_holding_a_password_is_refused_without_echoing_it(raw: str) -> None:
    with pytest.raises(SetupError) as caught:
        parse_base_url(raw, "--run-url")
    assert "s3cretpw" not in caught.value.message and "--run-url" in caught.value.message


def test_subdomain_gives_the_workspace() -> None:
    result = settings()
    assert result.connection is not None
    assert result.connection.api_root == "https://acme.neetoplaydash.com/api/external/v1"
    assert result.target == RunById("pdqmxlz", "kftwnab")
    assert result.run_url == "https://acme.neetoplaydash.com/projects/pdqmxlz/runs/kftwnab"


@pytest.mark.parametrize("sub", ["acme.neetoplaydash.com", "ac me", "-acme", "https://acme"])
def test_bad_subdomain_says_to_use_base_url(sub: str) -> None:
    with pytest.raises(SetupError, match="PLAYDASH_SUBDOMAIN must be the workspace's subdomain only"):
        settings(PLAYDASH_SUBDOMAIN=sub)


def test_base_url_and_subdomain_that_disagree_are_refused() -> None:
    with pytest.raises(SetupError, match="name different workspaces"):
        settings({"base_url": "https://other.neetoplaydash.com"})


def test_base_url_and_subdomain_that_agree_are_fine() -> None:
    assert settings({"base_url": "https://acme.neetoplaydash.com"}).workspace_url == "https://acme.neetoplaydash.com"


def test_flag_wins_over_input_which_wins_over_variable() -> None:
    env = {"INPUT_RUN-ID": "frominput", "PLAYDASH_RUN_ID": "fromenv"}
    assert settings({"run_id": "fromflag"}, **env).run_id == "fromflag"
    assert settings({}, **env).run_id == "frominput"
    assert settings({}, PLAYDASH_RUN_ID="fromenv").run_id == "fromenv"


def test_inputs_are_read_with_hyphens_kept_or_as_underscores() -> None:
    assert action_input_names("api-key") == ("INPUT_API-KEY", "INPUT_API_KEY")
    assert settings(**{"INPUT_PROJECT-ID": "hyphen"}).project_id == "hyphen"
    assert settings(INPUT_PROJECT_ID="under").project_id == "under"


def test_empty_values_mean_not_given() -> None:
    assert settings(**{"INPUT_RUN-ID": "", "PLAYDASH_RUN_ID": "fromenv"}).run_id == "fromenv"
    with pytest.raises(SetupError, match="no run named: set --run-id / PLAYDASH_RUN_ID"):
        settings(PLAYDASH_RUN_ID="  ")


@pytest.mark.parametrize("bad", ["../etc", "a/b", "x?y=1", "a b", "é"])
def test_ids_must_be_plain(bad: str) -> None:
    with pytest.raises(SetupError, match="--project-id must be an id"):
        settings({"project_id": bad})


def test_missing_key_names_where_to_put_it() -> None:
    with pytest.raises(SetupError, match="no API key given: set PLAYDASH_API_KEY") as caught:
        settings(PLAYDASH_API_KEY="")
    assert "flag" in caught.value.message


def test_key_with_a_line_break_is_refused_without_being_shown() -> None:
    with pytest.raises(SetupError) as caught:
        settings(PLAYDASH_API_KEY="abc\ndef-secret")
    assert "def-secret" not in caught.value.message
    assert "PLAYDASH_API_KEY" in caught.value.message


# Every character a header would refuse (requests, http.client) or send as something else than meant.
_UNSENDABLE = {
    "an en dash": ("pd_live_abc\u2013def123", "a character outside ASCII"),
    "Cyrillic": ("pd_live_\u043a\u043b\u044e\u044712345678", "a character outside ASCII"),
    "an emoji": ("pd_live_\U0001f600abcdefgh", "a character outside ASCII"),
    "Latin-1 (sent as one byte)": ("pd_live_\u00e9abcdefghi", "a character outside ASCII"),
    "a NUL": ("pd_live_abc\x00def123", "a control character"),
    "DEL": ("pd_live_abc\x7fdef123", "a control character"),
    "a carriage return": ("pd_live_abc\rdef123", "a line break"),
    "a line feed": ("pd_live_abc\ndef123", "a line break"),
    "a line separator": ("pd_live_abc\u2028def123", "a line break"),
    "a space": ("pd_live_abc def123", "whitespace"),
    "a tab": ("pd_live_abc\tdef123", "whitespace"),
    "a no-break space": ("pd_live_abc\u00a0def123", "whitespace"),
}


@pytest.mark.parametrize("case", list(_UNSENDABLE))
@pytest.mark.parametrize("source", ["PLAYDASH_API_KEY", "INPUT_API-KEY"])
def test_a_key_no_header_carries_is_a_setup_error_naming_its_source_never_showing_it(case: str, source: str) -> None:
    key, kind = _UNSENDABLE[case]
    with pytest.raises(SetupError) as caught:
        settings(**{"PLAYDASH_API_KEY": "", source: key})
    said = caught.value.message
    assert said.startswith("PLAYDASH_API_KEY holds" if source == "PLAYDASH_API_KEY" else "input `api-key` holds")
    assert kind in said and "ASCII letters, digits and punctuation" in said
    assert key not in said and "def123" not in said and "abcdefgh" not in said


@pytest.mark.parametrize("case", list(_UNSENDABLE))
def test_a_token_no_header_carries_is_a_setup_error_when_commenting(case: str) -> None:
    from gate.comment.target import comment_options

    token, kind = _UNSENDABLE[case]
    for source, named in (("GITHUB_TOKEN", "GITHUB_TOKEN holds"), ("INPUT_GITHUB-TOKEN", "input `github-token` holds")):
        with pytest.raises(SetupError) as caught:
            comment_options(Sources(flags={"comment": "always"}, env={source: token}))
        assert caught.value.message.startswith(named) and kind in caught.value.message
        assert token not in caught.value.message and "def123" not in caught.value.message
    # Not commenting, the token is nobody's business.
    assert comment_options(Sources(flags={}, env={"GITHUB_TOKEN": token})).mode == "off"


def test_whitespace_around_a_key_is_left_out_not_refused() -> None:
    """A trailing line break is how most secrets are pasted; what is sent is the key without it."""
    connection = settings(PLAYDASH_API_KEY="  pd_live_abcdef123\n").connection
    assert connection is not None and connection.api_key == "pd_live_abcdef123"


def test_the_key_is_not_in_the_repr() -> None:
    assert "k-123" not in repr(settings())


def test_defaults() -> None:
    result = settings()
    assert (result.timeout, result.poll_interval, result.max_poll_interval) == (1800, 2, 15)
    assert result.config_path is None


def test_cap_below_the_first_wait_is_refused() -> None:
    with pytest.raises(SetupError, match="--max-poll-interval .* is shorter than --poll-interval"):
        settings({"poll_interval": "10s", "max_poll_interval": "5s"})


def test_a_long_first_wait_raises_the_default_cap() -> None:
    assert settings({"poll_interval": "30s"}).max_poll_interval == 30


def test_config_default_file_is_used_when_present(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert settings().config_path is None
    (tmp_path / ".playdash-gate.yml").write_text("thresholds: {failed: 1}\n")
    assert settings().config_path == Path(".playdash-gate.yml")


def test_an_explicit_config_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SetupError, match="--config: the config file .*missing.yml does not exist"):
        settings({"config": str(tmp_path / "missing.yml")})


def test_inside_actions_paths_are_relative_to_the_workspace(tmp_path: Path) -> None:
    (tmp_path / "gate.yml").write_text("{}\n")
    result = settings(GITHUB_ACTIONS="true", GITHUB_WORKSPACE=str(tmp_path), INPUT_CONFIG="gate.yml")
    assert result.config_path == tmp_path / "gate.yml"


def test_the_actions_default_config_name_may_be_absent(tmp_path: Path) -> None:
    result = settings(GITHUB_ACTIONS="true", GITHUB_WORKSPACE=str(tmp_path), INPUT_CONFIG=".playdash-gate.yml")
    assert result.config_path is None


def test_debug_from_runner_debug() -> None:
    assert settings(RUNNER_DEBUG="1").debug
    assert not settings().debug


@pytest.mark.parametrize(("raw", "limit"), [(None, 4), ("1", 1), (" 8 ", 8), ("32", 32), ("04", 4)])
def test_the_bound_on_requests_in_flight(raw: str | None, limit: int) -> None:
    assert settings({"max_in_flight": raw}).max_in_flight == limit


@pytest.mark.parametrize("raw", ["0", "33", "4.0", "-1", "+4", "4_0", "\u0664", "four", "1e1", "9" * 100_000])
@pytest.mark.parametrize("how", ["flag", "variable", "input"])
def test_a_bad_bound_on_requests_in_flight_names_where_it_came_from(raw: str, how: str) -> None:
    option = OPTIONS_BY_DEST["max_in_flight"]
    assert option.flag and option.env and option.input
    flags, env, name = {}, {}, option.flag
    if how == "flag":
        flags = {"max_in_flight": raw}
    elif how == "variable":
        env, name = {option.env: raw}, option.env
    else:
        env, name = {action_input_names(option.input)[0]: raw}, f"input `{option.input}`"
    with pytest.raises(SetupError) as caught:
        settings(flags, **env)
    assert caught.value.message.startswith(f"{name} must be a whole number from 1 to 32"), caught.value.message
    assert len(caught.value.message) < 300
