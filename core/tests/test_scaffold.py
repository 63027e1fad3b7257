"""`socialtap new-plugin` output installs and passes its own contract suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_new_plugin_installs_and_passes_the_contract_suite(run_socialtap, tmp_path: Path):
    done = run_socialtap("new-plugin", "acme", "--dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    root = tmp_path / "socialtap-acme"
    assert 'acme = "socialtap_acme.plugin"' in (root / "pyproject.toml").read_text()
    site = tmp_path / "site"
    # Installed for real (a built distribution with its entry point), into a path of its
    # own so the shared test venv is left as it was.
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(root),
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOCIALTAP_", "PYTEST_"))}
    env["PYTHONPATH"] = str(site)
    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(root), str(root / "tests")],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=root,
        timeout=300,
    )
    assert suite.returncode == 0, suite.stdout + suite.stderr
    assert " passed" in suite.stdout and "failed" not in suite.stdout


def test_new_plugin_refuses_a_bad_name_or_an_existing_dir(run_socialtap, tmp_path: Path):
    assert run_socialtap("new-plugin", "Bad-Name", "--dir", str(tmp_path)).returncode == 2
    assert run_socialtap("new-plugin", "acme", "--dir", str(tmp_path)).returncode == 0
    again = run_socialtap("new-plugin", "acme", "--dir", str(tmp_path))
    assert again.returncode == 2 and "already exists" in again.stderr
