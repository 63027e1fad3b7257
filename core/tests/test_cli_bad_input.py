"""Bad input on the command line: one ``error: <Type>: <message>`` line, the documented
exit code, no traceback, and no request sent (a counting sandbox proves the last)."""

from __future__ import annotations

import json
import socket
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialtap.cli import main, one_line
from socialtap.errors import ConfigError
from socialtap.plugins import get_registry
from socialtap.runner import resolve_base_url
from socialtap.testing import CountingApp, serve_sandbox

EXIT_CODES = {0, 1, 2, 3, 4, 5, 6, 7}  # success, then socialtap.errors' codes (click's usage errors are 2)


@pytest.fixture(scope="module")
def counted():
    """The example sandbox behind a request counter, and the env that points the CLI at it."""
    with serve_sandbox("example", wrap=CountingApp) as running, tempfile.TemporaryDirectory() as state_dir:
        env = {
            "SOCIALTAP_EXAMPLE_TOKEN": running.credentials["token"],
            "SOCIALTAP_EXAMPLE_BASE_URL": running.base_url,
            "SOCIALTAP_STATE": str(Path(state_dir) / "state.sqlite"),
        }
        yield running.served.app, env


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    """The CLI in-process (a subprocess costs ~1 s of start-up per case); same exit codes and stderr."""
    done = CliRunner().invoke(main, list(args), env=env)
    assert done.exception is None or isinstance(done.exception, SystemExit), repr(done.exception)
    return SimpleNamespace(returncode=done.exit_code, stdout=done.stdout, stderr=done.stderr)


def assert_one_line_config_error(done, *fragments: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ConfigError: "), done.stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize(("given", "kind"), [("[1]", "an array"), ('"x"', "a string"), ("3", "a number"), ("null", "null")])
def test_params_json_that_is_not_an_object_is_a_config_error(counted, given, kind):
    counter, env = counted
    before = counter.requests
    done = invoke("run", "example", "profiles", "--params", given, env=env)
    assert_one_line_config_error(done, "--params must be a JSON object", kind)
    assert counter.requests == before


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://h:99999", "Port out of range"),
        ("http://h:abc", "integer"),
        ("http://[::1", "Invalid IPv6 URL"),
        ("http://[zz]/", "IPv4 or IPv6"),
        ("http://user:hunter2@h/", "user name or password"),
        ("http://h\\x/", "backslash"),
    ],
)
def test_a_malformed_base_url_is_a_config_error(counted, url, says):
    _, env = counted
    done = invoke("run", "example", "profiles", "-p", "profile_id=a", "--base-url", url, env=env)
    assert_one_line_config_error(done, says)
    assert "hunter2" not in done.stderr


@pytest.mark.parametrize(
    "url", ["http://h:99999", "http://h:abc", "http://[::1", "http://[zz]/", "http://u:p@h", "http://h\\x", "http://", "http://h\n"]
)
def test_resolve_base_url_refuses_what_either_parser_refuses(url, monkeypatch):
    monkeypatch.delenv("SOCIALTAP_EXAMPLE_BASE_URL", raising=False)
    vendor = get_registry().get("example")
    with pytest.raises(ConfigError):
        resolve_base_url(vendor, url)
    monkeypatch.setenv("SOCIALTAP_EXAMPLE_BASE_URL", url)  # the environment is checked the same way
    with pytest.raises(ConfigError) as caught:
        resolve_base_url(vendor, None)
    assert "SOCIALTAP_EXAMPLE_BASE_URL" in str(caught.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "https://api.example.com/v2/", "http://[::1]:9000/api"])
def test_resolve_base_url_keeps_good_urls(url):
    assert resolve_base_url(get_registry().get("example"), url) == url.rstrip("/")


def test_a_directory_as_rate_limit_db_is_a_config_error(counted, tmp_path: Path):
    counter, env = counted
    before = counter.requests
    done = invoke("run", "example", "profiles", "-p", "profile_id=a", "--rate-limit-db", str(tmp_path), env=env)
    assert_one_line_config_error(done, "is a directory")
    assert counter.requests == before


@pytest.mark.parametrize("port", ["-1", "65536"])
def test_sandbox_port_out_of_range_is_a_usage_error(run_socialtap, port):
    # A real process with a timeout: should the check regress, a sandbox that starts serving
    # must fail this test, not hang the suite.
    done = run_socialtap("sandbox", "example", "--port", port)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--port" in done.stderr and "0<=x<=65535" in done.stderr


@pytest.mark.parametrize(
    ("value", "says"), [("123\n", "control character '\\n'"), ("12\x003", "control character"), (" 123", "whitespace")]
)
def test_an_id_with_a_control_character_or_padding_is_refused_by_name(counted, value, says):
    counter, env = counted
    before = counter.requests
    for args in (["-p", f"profile_id={value}"], ["--params", json.dumps({"profile_id": value})]):
        done = invoke("run", "example", "mentions", *args, env=env)
        assert_one_line_config_error(done, "'profile_id'", says, "$.profile_id")
    assert counter.requests == before


def test_a_trailing_newline_from_the_shell_is_refused(run_socialtap, counted):
    """``-p profile_id=$'123\\n'`` in a real process: JSON parsing must not quietly strip it."""
    counter, env = counted
    before = counter.requests
    done = run_socialtap("run", "example", "mentions", "-p", "profile_id=123\n", env=env)
    assert_one_line_config_error(done, "'profile_id'", "control character", "$.profile_id")
    assert counter.requests == before


def test_debug_prints_the_traceback_and_keeps_the_exit_code(run_socialtap, counted):
    _, env = counted
    done = run_socialtap("run", "example", "profiles", "-p", "profile_id=a", "--base-url", "http://h:abc", "--debug", env=env)
    assert done.returncode == 2
    assert "Traceback" in done.stderr and done.stderr.strip().splitlines()[-1].startswith("error: ConfigError: base URL")


def test_one_line_joins_a_list_of_problems():
    message = str(ConfigError("invalid params", problems=["a @ $.a", "b @ $.b"]))
    assert one_line(message) == "invalid params: a @ $.a; b @ $.b"
    assert one_line("plain") == "plain"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["profile_id", "per_page", "x"]), inner, max_size=3),
    max_leaves=6,
)
pair_texts = st.text(max_size=12) | st.builds(
    lambda k, v: f"{k}={v}", st.sampled_from(["profile_id", "per_page", "x", ""]), st.text(max_size=10)
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    stream=st.sampled_from(["profiles", "posts", "mentions"]),
    params=st.one_of(st.none(), json_values.map(json.dumps), st.text(max_size=10)),
    pairs=st.lists(pair_texts, max_size=3),
)
def test_any_params_give_a_documented_exit_code_and_no_traceback(counted, stream, params, pairs):
    """Whatever ``--params`` and ``-p`` hold, the CLI ends with a socialtap exit code and
    at most an ``error:`` line: never a traceback (run in-process for speed)."""
    _, env = counted
    args = ["run", "example", stream, "--max-pages", "1"]
    args += ["--params", params] if params is not None else []
    for pair in pairs:
        args += ["-p", pair]
    done = CliRunner().invoke(main, args, env=env)
    assert done.exception is None or isinstance(done.exception, SystemExit), repr(done.exception)
    assert done.exit_code in EXIT_CODES
    assert "Traceback" not in done.stderr
    if done.exit_code:
        assert done.stderr.strip().splitlines()[-1].startswith(("error: ", "Error: "))


def test_a_sandbox_port_in_use_is_a_config_error(run_socialtap):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = run_socialtap("sandbox", "example", "--port", str(taken.getsockname()[1]))
    assert_one_line_config_error(done, "cannot listen on 127.0.0.1 port", "--port")
