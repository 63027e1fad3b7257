"""Logs through :mod:`logging`: one INFO line per request on ``socialtap.<vendor>``, never a secret."""

from __future__ import annotations

import logging
import re

from socialtap.runner import Options, RunReport, Task, run
from socialtap.testing import EchoSecrets, serve_sandbox
from socialtap.testing.echo import echo_values

LINE = re.compile(r"^\S+ \S+ INFO socialtap\.example: GET (/v2/profiles/\w+/mentions) (\d{3}) in \d+ms \(attempt (\d)\)$")


def test_verbose_cli_logs_one_line_per_request(run_socialtap):
    done = run_socialtap("-v", "run", "example", "mentions", "-p", "profile_id=a", "--sandbox")
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if " INFO " in line]
    assert lines and all(LINE.match(line) for line in lines), lines
    requests = int(re.search(r"from (\d+) requests", done.stderr).group(1))
    assert len(lines) == requests > 1


def test_no_secret_in_any_log_line_even_when_a_link_carries_it(run_socialtap):
    with serve_sandbox("example", wrap=EchoSecrets.wrapper(status=None)) as sandbox:
        # The echo puts the Authorization header into every next link, so the second
        # request's URL would hold the token: socialtap stops before sending it
        # (SecurityError, exit 7), with the first request's line logged.
        token = sandbox.credentials["token"]
        args = ("run", "example", "mentions", "-p", "profile_id=a", "--base-url", sandbox.base_url)
        info = run_socialtap("-v", *args, env={"SOCIALTAP_EXAMPLE_TOKEN": token})
        debug = run_socialtap("-vv", *args, env={"SOCIALTAP_EXAMPLE_TOKEN": token})
    assert info.returncode == 7 and "SecurityError" in info.stderr
    assert len([line for line in info.stderr.splitlines() if " INFO " in line]) >= 1
    assert "DEBUG" in debug.stderr  # -vv: the HTTP stack's lines too
    for output in (info.stderr, debug.stderr, info.stdout, debug.stdout):
        for secret in [token, *echo_values(f"Bearer {token}")]:
            assert secret not in output


def test_log_level_option_and_default_quiet(run_socialtap):
    args = ("check", "example", "--sandbox")
    assert " INFO " not in run_socialtap(*args).stderr
    assert " INFO socialtap.example: GET /v2/profiles/alice 200 " in run_socialtap("--log-level", "info", *args).stderr
    assert " INFO " in run_socialtap(*args, env={"SOCIALTAP_LOG_LEVEL": "INFO"}).stderr
    assert run_socialtap("--log-level", "loud", *args).returncode == 2


def test_a_host_application_captures_the_vendor_logger_with_retries(caplog):
    caplog.set_level(logging.INFO, logger="socialtap")
    with serve_sandbox("example", faults="first_errors=1") as sandbox:
        options = Options(base_url=sandbox.base_url, backoff_initial=0.01)
        report = run(Task("example", "mentions", {"profile_id": "a"}, sandbox.credentials, options), sink=None)
    ours = [r for r in caplog.records if r.name == "socialtap.example"]
    assert len(ours) == report.requests
    first, second = ours[0].getMessage(), ours[1].getMessage()
    assert " 503 " in first and "(attempt 1)" in first
    assert " 200 " in second and "(attempt 2)" in second
    assert isinstance(report, RunReport)
