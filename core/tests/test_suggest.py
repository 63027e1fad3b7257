"""Errors that help: near misses get "did you mean", uninstalled vendors their real distribution only."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from socialtap.errors import ConfigError
from socialtap.params import validate_params
from socialtap.plugins import get_registry
from socialtap.suggest import KNOWN_DISTRIBUTIONS, unknown_vendor_advice

ROOT = Path(__file__).resolve().parents[2]


def test_unknown_vendor_suggests_the_closest_installed_one(run_socialtap):
    done = run_socialtap("streams", "exampel")
    assert done.returncode == 2
    assert "did you mean 'example'?" in done.stderr and "pip install" not in done.stderr


def test_an_uninstalled_vendor_gets_its_real_distribution_and_a_typo_none(run_socialtap):
    only_example = {"SOCIALTAP_LOAD_PLUGINS": "example"}
    known = run_socialtap("streams", "metrika", env=only_example)
    assert known.returncode == 2 and "pip install socialtap-metrika" in known.stderr
    invented = run_socialtap("streams", "tiktok", env=only_example)
    assert invented.returncode == 2 and "pip install" not in invented.stderr and "socialtap-tiktok" not in invented.stderr


def test_unknown_stream_and_param_suggest_the_closest_name():
    example = get_registry().get("example")
    with pytest.raises(ConfigError, match=r"no stream 'profile' \(did you mean 'profiles'\?\)"):
        example.stream("profile")
    with pytest.raises(ConfigError, match=r"unknown param 'profil_id' \(did you mean 'profile_id'\?\)"):
        validate_params(example.stream("profiles").params, {"profil_id": "a"})
    assert "did you mean" not in unknown_vendor_advice("zzz", ["example"])


def test_a_boolean_for_a_text_param_says_to_quote_it(run_socialtap):
    done = run_socialtap("run", "example", "profiles", "-p", "profile_id=true", "--sandbox")
    assert done.returncode == 2
    assert """quote it as a JSON string, -p 'profile_id="true"'""" in done.stderr
    quoted = run_socialtap("run", "example", "profiles", "-p", 'profile_id="true"', "--sandbox")
    assert "quote it" not in quoted.stderr


def test_known_distributions_are_real_plugins_of_this_repository():
    names = {tomllib.loads(p.read_text())["project"]["name"] for p in ROOT.glob("plugins/*/pyproject.toml")}
    assert set(KNOWN_DISTRIBUTIONS.values()) <= names
