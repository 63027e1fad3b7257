from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


def write_distribution(root: Path, name: str, modules: dict[str, str], entry_points: dict[str, str]) -> None:
    """A real installed distribution (dist-info with entry points) on a path of its own."""
    root.mkdir(parents=True, exist_ok=True)
    for module, source in modules.items():
        (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{name.replace('-', '_')}-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.2.3\n")
    lines = "\n".join(f"{k} = {v}" for k, v in entry_points.items())
    (info / "entry_points.txt").write_text(f"[socialtap]\n{lines}\n")
    (info / "RECORD").write_text("")


@pytest.fixture
def make_distribution():
    return write_distribution


@pytest.fixture
def run_socialtap(tmp_path_factory):
    """Run the real CLI in a subprocess with extra distributions on its path."""
    # The default state file lives in the user's state dir: keep the suite out of the real
    # one (another checkout's schema, or a user's own runs, must not change test results).
    state_home = str(tmp_path_factory.mktemp("xdg-state"))
    # Likewise the user's config file (socialtap.config): only a test's own --config counts.
    config_home = str(tmp_path_factory.mktemp("xdg-config"))

    def run(*args: str, paths: list[Path] = (), env: dict[str, str] | None = None, input: str | None = None):
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALTAP_")}
        full_env["XDG_STATE_HOME"] = state_home
        full_env["XDG_CONFIG_HOME"] = config_home
        full_env["PYTHONPATH"] = os.pathsep.join(str(p) for p in paths)
        full_env.update(env or {})
        # No input means no stdin at all: a test must not wait on (or read) the terminal.
        stdin = {"input": input} if input is not None else {"stdin": subprocess.DEVNULL}
        return subprocess.run(
            [sys.executable, "-m", "socialtap.cli", *args], capture_output=True, text=True, env=full_env, timeout=60, **stdin
        )

    return run


@pytest.fixture
def example_sqlite_args():
    """CLI args of a sandbox run of the example vendor's ``profiles`` (ids a and b) into a SQLite file."""

    def args(db: Path) -> list[str]:
        return [
            "run",
            "example",
            "profiles",
            "-p",
            "profile_id=a",
            "-p",
            "profile_id=b",
            "--sandbox",
            "--format",
            "sqlite",
            "-o",
            str(db),
        ]

    return args
