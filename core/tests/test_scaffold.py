"""`socialtap new-plugin` output installs and passes its own contract suite."""

from __future__ import annotations

import importlib
import os
import re
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


EXPECTED_ENV = {
    "bearer": ["SOCIALTAP_ACME{a}_TOKEN"],
    "header": ["SOCIALTAP_ACME{a}_API_KEY"],
    "basic": ["SOCIALTAP_ACME{a}_API_KEY", "SOCIALTAP_ACME{a}_API_SECRET"],
}


@pytest.mark.parametrize("auth", sorted(EXPECTED_ENV))
def test_new_plugin_has_ruff_a_test_extra_an_error_test_and_a_readme_from_its_declaration(
    auth: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import tomllib

    import requests

    from socialtap.scaffold import new_plugin
    from socialtap.testing import serve_app

    name = f"acme{auth}"
    root = new_plugin(name, tmp_path, auth=auth)
    project = tomllib.loads((root / "pyproject.toml").read_text())
    assert project["tool"]["ruff"]["line-length"] and "select" in project["tool"]["ruff"]["lint"]
    test_extra = project["project"]["optional-dependencies"]["test"]
    assert {r.split(">")[0].split("[")[0] for r in test_extra} == {"pytest", "hypothesis", "socialtap"}
    assert any(r.startswith("socialtap[testing]") for r in test_extra)
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", str(root)], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    assert "DocumentedError(401" in (root / "src" / f"socialtap_{name}" / "plugin.py").read_text()
    assert "def test_a_refused_credential_is_an_auth_error" in (root / "tests" / "test_errors.py").read_text()

    readme = (root / "README.md").read_text()
    expected = [v.format(a=auth.upper()) for v in EXPECTED_ENV[auth]]
    assert sorted(re.findall(r"`(SOCIALTAP_\w+)`", readme)) == sorted(expected), readme
    assert f"socialtap run {name} accounts -p account_id=alice --sandbox" in readme
    assert "| `accounts` | One account per id with its follower count. | `account_id` (list[str], required) |" in readme

    # The generated sandbox accepts its test credentials and answers the documented 401 otherwise.
    monkeypatch.syspath_prepend(str(root / "src"))
    plugin = importlib.import_module(f"socialtap_{name}.plugin")
    declared = plugin.sandbox()
    auth_object = plugin.VENDOR.auth.build(declared.credentials)
    with serve_app(declared.app()) as served:
        good = requests.get(f"{served.url}/v1/accounts/alice", auth=auth_object, timeout=5)
        bad = requests.get(f"{served.url}/v1/accounts/alice", timeout=5)
        missing = requests.get(f"{served.url}/v1/accounts/missing-1", auth=auth_object, timeout=5)
    assert good.status_code == 200 and good.json()["id"] == "alice"
    assert (bad.status_code, bad.json()) == (401, declared.errors[0].body)
    assert (missing.status_code, missing.json()) == (404, declared.errors[1].body)


def test_new_plugin_refuses_an_unknown_auth(run_socialtap, tmp_path: Path):
    done = run_socialtap("new-plugin", "acme", "--auth", "oauth9", "--dir", str(tmp_path))
    assert done.returncode == 2 and "oauth9" in done.stderr
    assert not (tmp_path / "socialtap-acme").exists()
