"""``socialtap sandbox VENDOR --option KEY=VALUE`` and ``run --sandbox --sandbox-option``:
options reach the sandbox's app factory; an unknown one fails before anything is served."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import requests

from socialtap.errors import ConfigError
from socialtap.testing import check_sandbox_options, sandbox_option_names, serve_sandbox
from socialtap.testing.server import stop_process


def test_option_names_come_from_the_factory_signature():
    from socialtap_shareablee.sandbox import ShareableeSandbox

    names = sandbox_option_names(ShareableeSandbox)
    assert names is not None and "rate_limit" in names and "entities" in names
    assert "seed" not in names  # --seed has its own flag
    assert sandbox_option_names(lambda seed=0, **kw: None) is None  # **kwargs: anything may be right


def test_unknown_option_is_a_config_error_naming_what_is_accepted():
    with pytest.raises(ConfigError) as caught:
        check_sandbox_options("example", {"posts_per_profil": 3})
    message = str(caught.value)
    assert "'posts_per_profil'" in message and "posts_per_profile, mentions" in message
    assert "\n" not in message
    with pytest.raises(ConfigError, match="'port'"):  # serve_sandbox's own argument, not the factory's
        check_sandbox_options("example", {"port": 1})
    with pytest.raises(ConfigError, match="'nope'"), serve_sandbox("example", nope=1):
        pass  # pragma: no cover - never served


def test_sandbox_command_passes_options_to_the_factory():
    """rate_limit=2 (per second, per token and per address) makes the third quick request a 429;
    the default of 5 would have answered it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "socialtap.cli", "sandbox", "shareablee", "--port", "0", "--option", "rate_limit=2"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        line = process.stderr.readline() if process.stderr is not None else ""
        base_url = line.split(" sandbox at ")[1].split(" ")[0]
        auth = ("shareablee-sandbox-key", "shareablee-sandbox-secret")
        statuses = [requests.get(f"{base_url}/me/categories/", auth=auth, timeout=5).status_code for _ in range(3)]
    finally:
        stop_process(process)
    assert statuses[:2] == [200, 200] and statuses[2] == 429


def test_sandbox_command_refuses_an_unknown_option_before_serving(run_socialtap):
    done = run_socialtap("sandbox", "shareablee", "--port", "0", "--option", "rate_limt=2")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ConfigError: the shareablee sandbox has no option 'rate_limt'")
    assert "rate_limit" in lines[0] and "sandbox at" not in done.stderr
    bad_pair = run_socialtap("sandbox", "example", "--option", "rate_limit")
    assert bad_pair.returncode == 2 and "--option expects key=value" in bad_pair.stderr


def test_run_sandbox_option_reaches_the_factory(run_socialtap):
    done = run_socialtap(
        "run", "example", "posts", "-p", "profile_id=a", "--sandbox", "--sandbox-option", "posts_per_profile=3"
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["post_id"] for line in done.stdout.splitlines()] == ["a-0", "a-1", "a-2"]


def test_run_sandbox_option_unknown_or_without_sandbox_is_exit_2(run_socialtap):
    unknown = run_socialtap("run", "example", "posts", "-p", "profile_id=a", "--sandbox", "--sandbox-option", "size=3")
    assert unknown.returncode == 2 and "no option 'size'; it accepts: posts_per_profile, mentions" in unknown.stderr
    alone = run_socialtap("run", "example", "posts", "-p", "profile_id=a", "--sandbox-option", "posts_per_profile=3")
    assert alone.returncode == 2 and "only applies with --sandbox" in alone.stderr
