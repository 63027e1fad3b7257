"""``socialtap run -o``: the format follows the extension, bad outputs are refused before any request,
no summary precedes an error, and every output format gets the same file mode."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from socialtap.testing import EchoSecrets, serve_sandbox
from socialtap.testing.server import CountingApp

PROFILES = ("run", "example", "profiles", "-p", "profile_id=a")


@pytest.mark.parametrize(("name", "made"), [("out.sqlite", "file"), ("out.jsonl", "file"), ("outdir", "directory")])
def test_the_extension_picks_the_format(run_socialtap, tmp_path: Path, name, made):
    done = run_socialtap(*PROFILES, "--sandbox", "-o", str(tmp_path / name))
    assert done.returncode == 0, done.stderr
    out = tmp_path / name
    if name.endswith(".sqlite"):
        assert out.read_bytes().startswith(b"SQLite format 3\x00")
    elif name.endswith(".jsonl"):
        assert out.read_text().startswith('{"type": "account"')
    else:
        assert sorted(p.name for p in out.iterdir()) == ["account.csv", "observation.csv"]


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (("-o", "{tmp}/out.csv"), "pass a directory such as"),
        (("--format", "sqlite"), "needs --output"),
        (("-o", "{tmp}/afile/out.jsonl"), "is a file, not a directory"),
        (("-o", "{tmp}/out.txt"), "cannot tell the output format"),
    ],
)
def test_bad_outputs_are_refused_before_any_request(run_socialtap, tmp_path: Path, extra, said):
    (tmp_path / "afile").write_text("")
    args = [a.replace("{tmp}", str(tmp_path)) for a in extra]
    with serve_sandbox("example", wrap=CountingApp) as sandbox:
        done = run_socialtap(*PROFILES, "--base-url", sandbox.base_url, *args, env={"SOCIALTAP_EXAMPLE_TOKEN": "t"})
        assert sandbox.served.app.requests == 0
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: ConfigError:") and said in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_no_summary_line_ahead_of_an_error(run_socialtap):
    with serve_sandbox("example", wrap=EchoSecrets.wrapper(status=401)) as sandbox:
        done = run_socialtap(*PROFILES, "--base-url", sandbox.base_url, env={"SOCIALTAP_EXAMPLE_TOKEN": "a-wrong-token"})
    assert done.returncode == 3
    assert done.stderr.splitlines() == [done.stderr.splitlines()[-1]]
    assert done.stderr.startswith("error: AuthError:") and "socialtap: example.profiles" not in done.stderr


def test_csv_files_get_the_mode_of_json_lines_and_sqlite(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALTAP_")}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    modes = {}
    for name in ("out.jsonl", "out.sqlite", "csv"):
        for state in ((), ("--state", str(tmp_path / "none.db"))):
            target = tmp_path / f"{len(state)}-{name}"
            subprocess.run(
                [sys.executable, "-m", "socialtap.cli", *PROFILES, "--sandbox", "-o", str(target), *state],
                check=True,
                capture_output=True,
                env=env,
                stdin=subprocess.DEVNULL,
                timeout=120,
                preexec_fn=lambda: os.umask(0o027),
            )
            files = sorted(target.iterdir()) if target.is_dir() else [target]
            modes.update({str(f.relative_to(tmp_path)): stat.S_IMODE(f.stat().st_mode) for f in files})
    assert set(modes.values()) == {0o640}, {k: oct(v) for k, v in modes.items()}
