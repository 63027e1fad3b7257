"""`socialtap check uploadpost`: Upload-Post has no "me" call, so the check needs the user's profile."""

from __future__ import annotations

import subprocess
import sys


def check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "socialtap", "check", "uploadpost", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def test_the_check_asks_for_the_profile_before_sending_anything():
    done = check("--sandbox")
    assert done.returncode == 0, done.stderr  # the sandbox knows its own profile
    assert done.stdout.startswith("ok: Upload-Post answered GET /uploadposts/total-impressions/myprofile")
    refused = subprocess.run(
        [sys.executable, "-m", "socialtap", "check", "uploadpost"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "SOCIALTAP_UPLOADPOST_API_KEY": "not-a-real-key-123"},
    )
    assert refused.returncode == 2
    assert "-p profile_username=..." in refused.stderr


def test_a_profile_given_on_the_command_line_is_the_one_checked():
    done = check("--sandbox", "-p", "profile_username=nonexistent_profile_42")
    assert done.returncode == 5  # NotFoundError: the key was accepted, the profile is not Upload-Post's
    assert "nonexistent_profile_42" in done.stderr
