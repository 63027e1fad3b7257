"""The Airflow provider's Airflow-free parts, in the fast suite (which never imports Airflow)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialtap.airflow import get_provider_info, param_sets
from socialtap.airflow.connection import base_url_from, credentials_from
from socialtap.errors import ConfigError
from socialtap.plugins import get_registry


def test_import_socialtap_never_imports_airflow():
    code = (
        "import sys, socialtap, socialtap.cli, socialtap.airflow, socialtap.airflow.connection; "
        "assert 'airflow' not in sys.modules, sorted(m for m in sys.modules if m.startswith('airflow'))"
    )
    subprocess.run([sys.executable, "-c", code], check=True, stdin=subprocess.DEVNULL, timeout=120)


def test_provider_info_names_the_connection_type():
    info = get_provider_info()
    assert info["package-name"] == "socialtap"
    assert {"hook-class-name": "socialtap.airflow.hooks.SocialtapHook", "connection-type": "socialtap"} in info[
        "connection-types"
    ]
    assert info["versions"] and info["description"]


def test_provider_entry_point_is_registered():
    from importlib.metadata import entry_points

    (ep,) = [ep for ep in entry_points(group="apache_airflow_provider") if ep.value.startswith("socialtap.")]
    assert ep.load() is get_provider_info


@given(
    ids=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=60),
    chunk=st.none() | st.integers(min_value=1, max_value=25),
)
def test_param_sets_cover_every_id_once_in_order(ids, chunk):
    sets = param_sets(ids, "profile_id", chunk_size=chunk, base={"per_page": 5})
    assert all(s["per_page"] == 5 for s in sets)
    values = [s["profile_id"] for s in sets]
    flat = values if chunk is None else [i for chunk_ids in values for i in chunk_ids]
    assert flat == list(dict.fromkeys(ids))
    if chunk is not None:
        assert all(1 <= len(v) <= chunk for v in values)
        assert all(len(v) == chunk for v in values[:-1])


@pytest.mark.parametrize(
    ("ids", "kwargs", "message"),
    [
        ([], {}, "at least one id"),
        ("alice", {}, "not one string"),
        (["a"], {"chunk_size": 0}, "positive integer"),
        (["a"], {"base": {"profile_id": "x"}}, "remove it from base"),
    ],
)
def test_param_sets_refuse_bad_input(ids, kwargs, message):
    with pytest.raises(ConfigError, match=message):
        param_sets(ids, "profile_id", **kwargs)


@pytest.mark.parametrize(
    ("host", "port", "schema", "expected"),
    [
        ("", None, None, None),
        ("https://api.example.test/v2/", None, None, "https://api.example.test/v2"),
        ("http://127.0.0.1", 8080, None, "http://127.0.0.1:8080"),
        ("http://127.0.0.1:9/v2", 8080, None, "http://127.0.0.1:9/v2"),
        ("proxy.internal", 8443, "v2", "https://proxy.internal:8443/v2"),
    ],
)
def test_base_url_from_connection_fields(host, port, schema, expected):
    assert base_url_from(host, port, schema) == expected


def test_credentials_map_onto_the_vendor_fields():
    example = get_registry().get("example")  # one secret: the token
    assert credentials_from(example, None, "tok") == {"token": "tok"}
    assert credentials_from(example, "ignored-login", "tok") == {"token": "tok"}
    with pytest.raises(ConfigError, match="set password") as err:
        credentials_from(example, "login-only", None)
    assert "login-only" not in str(err.value)


def test_key_and_secret_go_to_login_and_password():
    from types import SimpleNamespace

    from socialtap.auth import Basic

    vendor = SimpleNamespace(name="keyed", auth=Basic())
    assert credentials_from(vendor, "key", "secret") == {"api_key": "key", "api_secret": "secret"}
    assert credentials_from(vendor, None, "b64token") == {"token": "b64token"}
