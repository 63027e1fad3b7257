"""Output and state-file problems are ConfigErrors (exit 2) found before the first request.

Each case runs a real task against an app on 127.0.0.1 that records every request it
receives, and asserts it received none: the check happens before any request (and
before the lazy output opens, so nothing is created either).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from engine_support import TOKEN, ItemsApp, VendorPlugin, make_vendor

from socialtap import Options, Task
from socialtap.errors import ConfigError
from socialtap.plugins import make_plugin_manager
from socialtap.runner import run_to_output
from socialtap.testing import serve_app

VENDOR = make_vendor("checked")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def run_into(url, out, fmt="jsonl", state=None, **options):
    task = Task("checked", "items", {"key": ["a"]}, {"token": TOKEN}, Options(base_url=url + "/api", state=state, max_attempts=1, **options))
    return run_to_output(task, fmt, str(out), plugin_manager=make_plugin_manager(extra=(VendorPlugin(VENDOR),)))


def listing(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def fails_before_any_request(tmp_path, out, fmt, match, state=None, **options) -> str:
    app = ItemsApp()
    before = listing(tmp_path)
    with serve_app(app) as served, pytest.raises(ConfigError, match=match) as caught:
        run_into(served.url, out, fmt, state, **options)
    assert app.arrivals == [], "a request was sent before the problem was found"
    assert listing(tmp_path) == before, "something was created before the problem was found"
    message = str(caught.value)
    assert "\n" not in message and caught.value.exit_code == 2
    return message


def a_file(tmp_path: Path, name="file.txt", content=b"not a database, just text\n") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


# -- outputs ----------------------------------------------------------------------------


def test_csv_to_an_existing_regular_file(tmp_path):
    out = a_file(tmp_path)
    message = fails_before_any_request(tmp_path, out, "csv", "writes a directory")
    assert str(out) in message and "--output" in message


@pytest.mark.parametrize("fmt", ["jsonl", "sqlite"])
def test_a_one_file_format_to_a_directory(tmp_path, fmt):
    out = tmp_path / "dir"
    out.mkdir()
    message = fails_before_any_request(tmp_path, out, fmt, "is a directory")
    assert str(out) in message


def test_sqlite_to_an_existing_file_that_is_not_sqlite(tmp_path):
    out = a_file(tmp_path, "out.sqlite")
    fails_before_any_request(tmp_path, out, "sqlite", "is not a SQLite database")
    assert out.read_bytes() == b"not a database, just text\n"


def test_sqlite_to_an_existing_empty_file_is_fine(tmp_path):
    out = a_file(tmp_path, "out.sqlite", b"")
    with serve_app(ItemsApp()) as served:
        run_into(served.url, out, "sqlite")
    with sqlite3.connect(out) as db:
        assert db.execute('SELECT COUNT(*) FROM "relation"').fetchone() == (3,)


@pytest.mark.parametrize("fmt", ["jsonl", "sqlite", "csv"])
def test_a_parent_that_is_a_regular_file(tmp_path, fmt):
    parent = a_file(tmp_path)
    message = fails_before_any_request(tmp_path, parent / "sub" / "out", fmt, "is a file, not a directory")
    assert str(parent) in message


@pytest.mark.parametrize("fmt", ["jsonl", "sqlite", "csv"])
def test_an_unwritable_directory(tmp_path, fmt, monkeypatch):
    directory = tmp_path / "locked"
    directory.mkdir()
    if IS_ROOT:
        # root writes through any mode bits: make os.access say what it says to a normal user.
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == directory else real_access(p, mode, **kw))
    else:
        directory.chmod(0o500)
    try:
        message = fails_before_any_request(tmp_path, directory / "new" / "out", fmt, "not writable")
    finally:
        directory.chmod(0o700)
    assert str(directory) in message


@pytest.mark.skipif(IS_ROOT, reason="root writes through mode bits; the monkeypatched case above covers the check")
def test_an_unwritable_directory_for_real(tmp_path):
    directory = tmp_path / "locked"
    directory.mkdir(mode=0o500)
    try:
        fails_before_any_request(tmp_path, directory / "out.jsonl", "jsonl", "not writable")
    finally:
        directory.chmod(0o700)


def test_resume_with_csv_is_refused_before_any_request(tmp_path):
    fails_before_any_request(tmp_path, tmp_path / "out", "csv", "cannot be rewound", state=str(tmp_path / "s.sqlite"), resume=True)


def test_the_cli_exits_2_with_a_one_line_error_for_a_bad_output(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from socialtap.cli import main
    from socialtap.testing import serve_sandbox

    out = a_file(tmp_path, "out.csv")
    counted: list[str] = []

    def counting(app):
        def wrapper(environ, start_response):
            counted.append(environ["PATH_INFO"])
            return app(environ, start_response)

        return wrapper

    monkeypatch.setenv("SOCIALTAP_STATE", str(tmp_path / "state.sqlite"))
    with serve_sandbox("example", wrap=counting) as running:
        monkeypatch.setenv("SOCIALTAP_EXAMPLE_TOKEN", running.credentials["token"])
        args = ["run", "example", "profiles", "-p", "profile_id=a", "--base-url", running.base_url, "--format", "csv", "-o", str(out)]
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "ConfigError" in lines[0] and str(out) in lines[0], result.output
    assert counted == []


# -- the state file ---------------------------------------------------------------------


STATE_HINT = "pass --state PATH or set SOCIALTAP_STATE"


def test_a_corrupt_state_file(tmp_path):
    state = a_file(tmp_path, "state.sqlite", b"\x00\xffrandom bytes, not SQLite" + os.urandom(4096))
    message = fails_before_any_request(tmp_path, tmp_path / "out.jsonl", "jsonl", "state file", state=str(state))
    assert str(state) in message and STATE_HINT in message


def test_a_read_only_state_file(tmp_path, monkeypatch):
    state = tmp_path / "state.sqlite"
    sqlite3.connect(state).close()
    if IS_ROOT:
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == state else real_access(p, mode, **kw))
    else:
        state.chmod(0o400)
    message = fails_before_any_request(tmp_path, tmp_path / "out.jsonl", "jsonl", "not writable", state=str(state))
    assert str(state) in message and STATE_HINT in message


def test_a_state_file_under_a_regular_file(tmp_path):
    parent = a_file(tmp_path)
    message = fails_before_any_request(tmp_path, tmp_path / "out.jsonl", "jsonl", "state file", state=str(parent / "state.sqlite"))
    assert str(parent) in message and STATE_HINT in message


def test_an_unwritable_default_state_dir(tmp_path, monkeypatch):
    blocker = a_file(tmp_path)
    monkeypatch.delenv("SOCIALTAP_STATE", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker / "state"))  # platformdirs' user state dir on Linux
    message = fails_before_any_request(tmp_path, tmp_path / "out.jsonl", "jsonl", "state file", resume=True)
    assert str(blocker) in message and STATE_HINT in message


PROBE = """
import os, sys
from socialtap.errors import ConfigError
from socialtap.state import StateStore
if sys.argv[2] == "probe-only":
    os.access = lambda *args, **kwargs: True  # leave it to the write probe in the migration
try:
    StateStore(sys.argv[1]).close()
except ConfigError as exc:
    print(exc)
"""


@pytest.mark.skipif(not IS_ROOT or not shutil.which("setpriv"), reason="needs root and setpriv to drop to an unprivileged user")
@pytest.mark.parametrize("how", ["access-check", "probe-only"])
def test_a_read_only_state_file_for_an_unprivileged_user(how):
    """The same as above without monkeypatching: a real read-only file, opened as nobody."""
    directory = Path(tempfile.mkdtemp())
    try:
        state = directory / "state.sqlite"
        sqlite3.connect(state).execute("CREATE TABLE t (x)").connection.close()
        state.chmod(0o444)
        directory.chmod(0o755)
        done = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", PROBE, str(state), how],
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        shutil.rmtree(directory)
    assert done.returncode == 0, done.stderr
    assert str(state) in done.stdout and STATE_HINT in done.stdout
    assert ("not writable" if how == "access-check" else "readonly database") in done.stdout
