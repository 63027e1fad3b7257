"""The config file (TOML, profiles, env overrides, permissions), ``config show`` and ``--params @file``."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from socialtap.testing import serve_sandbox

PROFILES = ("run", "example", "profiles", "-p", "profile_id=a")


def closed_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}/v2"


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


@pytest.fixture(scope="module")
def sandbox():
    with serve_sandbox("example") as running:
        yield running


def test_credentials_base_url_and_profile_come_from_the_file(run_socialtap, sandbox, tmp_path: Path):
    token = sandbox.credentials["token"]
    config = write(
        tmp_path / "c.toml",
        f'[example]\ntoken = "{token}"\nbase_url = "{closed_url()}"\n\n[profiles.local.example]\nbase_url = "{sandbox.base_url}"\n',
    )
    unreachable = run_socialtap(*PROFILES, "--config", str(config))
    assert unreachable.returncode == 5  # the default table's base URL
    done = run_socialtap(*PROFILES, "--config", str(config), "--profile", "local")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[0])["account_id"] == "a"
    assert run_socialtap(*PROFILES, env={"SOCIALTAP_CONFIG": str(config), "SOCIALTAP_PROFILE": "local"}).returncode == 0


def test_the_environment_overrides_the_file(run_socialtap, sandbox, tmp_path: Path):
    token = sandbox.credentials["token"]
    wrong = write(tmp_path / "wrong.toml", f'[example]\ntoken = "not-the-token"\nbase_url = "{closed_url()}"\n')
    env = {"SOCIALTAP_EXAMPLE_TOKEN": token, "SOCIALTAP_EXAMPLE_BASE_URL": sandbox.base_url}
    assert run_socialtap(*PROFILES, "--config", str(wrong), env=env).returncode == 0
    right = write(tmp_path / "right.toml", f'[example]\ntoken = "{token}"\nbase_url = "{sandbox.base_url}"\n')
    refused = run_socialtap(*PROFILES, "--config", str(right), env={"SOCIALTAP_EXAMPLE_TOKEN": "not-the-token"})
    assert refused.returncode == 3


def test_default_params_apply_where_the_stream_takes_them_and_p_wins(run_socialtap, tmp_path: Path):
    config = write(tmp_path / "c.toml", "[example.params]\nper_page = 999\n")
    refused = run_socialtap("run", "example", "posts", "-p", "profile_id=a", "--sandbox", "--config", str(config))
    assert refused.returncode == 2 and "per_page" in refused.stderr
    fixed = run_socialtap(
        "run", "example", "posts", "-p", "profile_id=a", "-p", "per_page=5", "--sandbox", "--config", str(config)
    )
    assert fixed.returncode == 0, fixed.stderr
    assert run_socialtap(*PROFILES, "--sandbox", "--config", str(config)).returncode == 0  # profiles has no per_page


def test_a_file_others_can_read_gets_a_warning(run_socialtap, tmp_path: Path):
    loose = write(tmp_path / "loose.toml", "[example]\n", 0o644)
    tight = write(tmp_path / "tight.toml", "[example]\n", 0o600)
    assert f"chmod 600 {loose}" in run_socialtap("config", "show", "--config", str(loose)).stderr
    assert "warning" not in run_socialtap("config", "show", "--config", str(tight)).stderr


def test_config_show_masks_secrets_and_names_sources(run_socialtap, tmp_path: Path):
    config = write(tmp_path / "c.toml", '[example]\ntoken = "a-very-secret-token"\n[example.params]\nper_page = 7\n')
    done = run_socialtap("config", "show", "example", "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert "a-very-secret-token" not in done.stdout
    assert "token = ***  # config file" in done.stdout and "params.per_page = 7  # config file" in done.stdout
    from_env = run_socialtap(
        "config", "show", "example", "--config", str(config), env={"SOCIALTAP_EXAMPLE_TOKEN": "env-secret-0001"}
    )
    assert "token = ***  # SOCIALTAP_EXAMPLE_TOKEN" in from_env.stdout and "env-secret-0001" not in from_env.stdout


def test_default_path_is_in_the_user_config_dir(run_socialtap, tmp_path: Path):
    (tmp_path / "socialtap").mkdir()
    write(tmp_path / "socialtap" / "config.toml", "[example.params]\nper_page = 3\n")
    done = run_socialtap("config", "show", "example", env={"XDG_CONFIG_HOME": str(tmp_path)})
    assert f"# config file: {tmp_path / 'socialtap' / 'config.toml'}" in done.stdout and "per_page = 3" in done.stdout


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('[example]\ntokn = "x"\n', "has no setting 'tokn' (did you mean 'token'?)"),
        ("[example\n", "is not valid TOML"),
        ("[example]\ntoken = 5\n", "token must be a string"),
    ],
)
def test_bad_config_files_are_clear_config_errors(run_socialtap, tmp_path: Path, text, said):
    config = write(tmp_path / "c.toml", text)
    done = run_socialtap(*PROFILES, "--sandbox", "--config", str(config))
    assert done.returncode == 2 and said in done.stderr


def test_unknown_profile_and_missing_named_file(run_socialtap, tmp_path: Path):
    config = write(tmp_path / "c.toml", "[profiles.prod.example]\n")
    assert "did you mean 'prod'?" in run_socialtap(*PROFILES, "--config", str(config), "--profile", "prd").stderr
    missing = run_socialtap(*PROFILES, "--config", str(tmp_path / "nope.toml"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_params_from_a_file_and_from_stdin(run_socialtap, tmp_path: Path):
    (tmp_path / "p.json").write_text('{"profile_id": ["a", "b"]}')
    from_file = run_socialtap("run", "example", "profiles", "--params", f"@{tmp_path / 'p.json'}", "--sandbox")
    assert from_file.returncode == 0 and "2 account" in from_file.stderr
    from_stdin = run_socialtap("run", "example", "profiles", "--params", "@-", "--sandbox", input='{"profile_id": "c"}')
    assert from_stdin.returncode == 0 and "1 account" in from_stdin.stderr
    bad = run_socialtap("run", "example", "profiles", "--params", "@-", "--sandbox", input="[1]")
    assert bad.returncode == 2 and "--params @- must be a JSON object" in bad.stderr
    missing = run_socialtap("run", "example", "profiles", "--params", f"@{tmp_path / 'nope.json'}", "--sandbox")
    assert missing.returncode == 2 and "cannot read --params @" in missing.stderr
