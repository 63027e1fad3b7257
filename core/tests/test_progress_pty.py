"""The progress bar under a real pseudo-terminal: readable at 80 columns and narrower, cleared at the end."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from terminal_support import frames, run_on_terminal, screen

from socialtap.progress import MIN_BAR


@pytest.fixture
def long_run(tmp_path: Path):
    """Args and env of a run that lasts seconds whatever the machine's load: 150 chains under
    the example vendor's 50 requests/second limit (the bar shows after one second)."""
    ids = tmp_path / "ids.json"
    ids.write_text(json.dumps({"profile_id": [f"p{i}" for i in range(150)]}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALTAP_")}
    env.update(XDG_STATE_HOME=str(tmp_path / "state"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    env.pop("COLUMNS", None)
    return ["run", "example", "profiles", "--params", f"@{ids}", "--sandbox", "-o", str(tmp_path / "out.sqlite")], env


@pytest.mark.parametrize("columns", [80, 50])
def test_the_bar_fits_the_terminal_and_is_cleared_before_the_summary(long_run, columns):
    args, env = long_run
    code, raw = run_on_terminal(args, columns=columns, env=env)
    assert code == 0, raw
    drawn = frames(raw)
    assert drawn, "no bar was drawn during a run of several seconds"
    for frame in drawn:
        assert len(frame) <= columns, frame
        bar = frame.split("|")[1]
        assert len(bar) >= MIN_BAR, f"counters squeezed the bar: {frame!r}"
    if columns == 80:
        assert any(f.startswith("example.profiles ") and " rec " in f for f in drawn), drawn
    shown = [line for line in screen(raw, columns) if line]
    assert "".join(shown).startswith("socialtap: example.profiles: 150 account, 300 observation"), shown
    assert not any("%|" in line for line in shown), "the bar was left on screen"


def test_no_bar_when_stderr_is_not_a_terminal(long_run, run_socialtap):
    args, _ = long_run
    done = run_socialtap(*args)
    assert done.returncode == 0
    assert "\r" not in done.stderr and "%|" not in done.stderr
    assert done.stderr.startswith("socialtap: example.profiles: 150 account")


def test_verbose_logs_replace_the_bar(long_run):
    args, env = long_run
    code, raw = run_on_terminal(["-v", *args], columns=80, env=env)
    assert code == 0
    assert not frames(raw)
    assert raw.count(b" INFO socialtap.example: GET ") == 150
