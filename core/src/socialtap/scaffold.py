"""``socialtap new-plugin NAME``: a complete vendor plugin that passes the contract suite.

The generated distribution has the entry point, a Vendor with one Stream, attrs payload
models, a small normalize function, a sandbox built on ``socialtap.testing.emulator``,
the vendor's documented error bodies, a contract test, an error-mapping test, ruff and
pytest settings with a ``test`` extra, and a README generated from the declaration.
Replace the example endpoint with the vendor's docs, stream by stream.
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from string import Template
from typing import Any

from socialtap.errors import ConfigError

_NAME = re.compile(r"^[a-z][a-z0-9]{1,30}$")

AUTHS: dict[str, dict[str, str]] = {
    "bearer": {
        "auth_import": "from socialtap.auth import Bearer",
        "auth": 'Bearer("token")',
        "credentials": '(Credential("token", "API token, sent as Authorization: Bearer <token>"),)',
        "emulator_imports": "Rule, SandboxApp, bearer_token, json_response",
        "constants": 'TEST_TOKEN = "$name-test-token"',
        "constant_names": "TEST_TOKEN",
        "test_credentials": '{"token": TEST_TOKEN}',
        "check": """\
        if bearer_token(request) != TEST_TOKEN:
            return json_response(UNAUTHORIZED, 401, headers={"WWW-Authenticate": "Bearer"})
        return super().dispatch(request)""",
    },
    "header": {
        "auth_import": "from socialtap.auth import HeaderScheme",
        "auth": 'HeaderScheme("api_key", prefix="", header="X-API-Key")',
        "credentials": '(Credential("api_key", "API key, sent in the X-API-Key header"),)',
        "emulator_imports": "Rule, SandboxApp, json_response, require_header",
        "constants": 'TEST_API_KEY = "$name-test-key"',
        "constant_names": "TEST_API_KEY",
        "test_credentials": '{"api_key": TEST_API_KEY}',
        "check": """\
        refused = require_header(request, "X-API-Key", TEST_API_KEY, body=UNAUTHORIZED)
        return refused or super().dispatch(request)""",
    },
    "basic": {
        "auth_import": "from socialtap.auth import Basic",
        "auth": 'Basic("api_key", "api_secret", token=None)',
        "credentials": '(Credential("api_key", "API key"), Credential("api_secret", "API secret that goes with the key"))',
        "emulator_imports": "Rule, SandboxApp, basic_credentials, json_response",
        "constants": 'TEST_API_KEY = "$name-test-key"\nTEST_API_SECRET = "$name-test-secret"',
        "constant_names": "TEST_API_KEY, TEST_API_SECRET",
        "test_credentials": '{"api_key": TEST_API_KEY, "api_secret": TEST_API_SECRET}',
        "check": """\
        if basic_credentials(request) != (TEST_API_KEY, TEST_API_SECRET):
            return json_response(UNAUTHORIZED, 401, headers={"WWW-Authenticate": 'Basic realm="api"'})
        return super().dispatch(request)""",
    },
}
"""The auth schemes ``new-plugin --auth`` can start from: the declaration, the sandbox's check."""

FILES: dict[str, str] = {
    "pyproject.toml": """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "socialtap-$name"
version = "0.1.0"
description = "socialtap plugin for the $title API"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["socialtap>=0.1,<0.2"]
classifiers = ["Framework :: socialtap", "Programming Language :: Python :: 3"]

[project.optional-dependencies]
# pip install -e '.[test]': the contract suite (socialtap[testing]) and what it runs on.
test = ["pytest>=8", "hypothesis>=6.100", "socialtap[testing]>=0.1,<0.2"]

[project.entry-points.socialtap]
$name = "socialtap_$name.plugin"

[tool.setuptools.packages.find]
where = ["src"]

[tool.pytest.ini_options]
testpaths = ["tests"]

[tool.ruff]
line-length = 120
target-version = "py311"
src = ["src", "tests"]

[tool.ruff.lint]
select = ["E", "F", "W", "I", "B", "UP", "RUF"]
# RUF012: ContractSuite is configured with plain class attributes (sample_params = {...}).
ignore = ["RUF012"]

[tool.ruff.lint.isort]
known-first-party = ["socialtap_$name"]
""",
    "src/socialtap_$name/__init__.py": '''\
"""socialtap plugin for the $title API."""
''',
    "src/socialtap_$name/models.py": '''\
"""Payload models: the vendor's documented response shapes, field by field."""

from __future__ import annotations

import attrs


@attrs.frozen
class AccountPayload:
    id: str
    username: str
    followers: int | None
''',
    "src/socialtap_$name/plugin.py": '''\
"""The $title vendor: its declaration, streams and mapping functions."""

from __future__ import annotations

import attrs
from socialtap import Account, Check, Credential, Observation, RateLimit, Stream, Vendor, hookimpl
$auth_import
from socialtap.errors import AuthError, NotFoundError
from socialtap.records import observation, utcnow
from socialtap.sandbox import DocumentedError, Sandbox

from socialtap_$name.models import AccountPayload

NAME = "$name"
PLATFORM = "$name"
# The vendor's field names that differ from the canonical vocabulary (socialtap.metrics).
METRICS = {"followers": "followers"}

# The error bodies the vendor's docs print, and the typed error each must become: the
# contract suite serves each one and checks the error (see tests/test_errors.py).
DOCUMENTED_ERRORS = (
    DocumentedError(401, {"error": "invalid credentials"}, AuthError, doc="Errors: 401"),
    DocumentedError(404, {"error": "account not found"}, NotFoundError, doc="Errors: 404"),
)


@attrs.frozen
class AccountsParams:
    account_id: list[str] = attrs.field(metadata={"doc": "Account ids; each is fetched on its own."})


def normalize_account(payload: AccountPayload, request):
    """An Account and its follower count (pending while the vendor has none)."""
    yield Account(NAME, PLATFORM, payload.id, username=payload.username)
    status = "available" if payload.followers is not None else "pending"
    yield observation(
        NAME, PLATFORM, "account", payload.id, "followers", payload.followers,
        mapping=METRICS, fetched_at=utcnow(), status=status,
    )


def sandbox() -> Sandbox:
    """The offline emulator, its test credentials and the documented errors."""
    from socialtap_$name.sandbox import $constant_names, ${Title}Sandbox

    return Sandbox(
        app=${Title}Sandbox,
        credentials=$test_credentials,
        errors=DOCUMENTED_ERRORS,
    )


VENDOR = Vendor(
    name=NAME,
    title="$title",
    base_url="https://api.$name.example/v1",
    auth=$auth,
    credentials=$credentials,
    streams=(
        Stream(
            "accounts", "/accounts/{account_id}", AccountsParams, normalize_account, (Account, Observation),
            description="One account per id with its follower count.", fan_out="account_id",
            payload_model=AccountPayload,
        ),
    ),
    rate_limit=RateLimit(10, 1.0),
    sandbox=sandbox,
    # `socialtap check` and the Airflow Test button send this: the vendor's cheapest
    # authenticated call. Prefer a free one (an account or balance endpoint); a call that
    # costs needs free=False and cost="what one check spends".
    check=Check("accounts", {"account_id": ["me"]}),
)


@hookimpl
def socialtap_register_vendors(register):
    """Register the $title vendor."""
    register(VENDOR)
''',
    "src/socialtap_$name/sandbox.py": '''\
"""The $title API emulated from its docs: routes, auth and its 401, seeded data, 404."""

from __future__ import annotations

from socialtap.testing.emulator import $emulator_imports

$constants
# The docs' error bodies, answered as the vendor answers them.
UNAUTHORIZED = {"error": "invalid credentials"}
NOT_FOUND = {"error": "account not found"}


class ${Title}Sandbox(SandboxApp):
    """Accounts under /v1; ids starting with ``missing`` are not found."""

    base_path = "/v1"

    def routes(self):
        return [Rule("/accounts/<account_id>", endpoint="account", methods=["GET"])]

    def dispatch(self, request):
$check

    def account(self, request, account_id):
        if account_id.startswith("missing"):
            return json_response(NOT_FOUND, 404)
        rng = self.rng("account", account_id)
        return json_response({"id": account_id, "username": account_id, "followers": rng.randint(0, 1_000_000)})
''',
    "tests/test_contract.py": '''\
"""The socialtap contract suite against this plugin's sandbox."""

from socialtap.testing.contract import ContractSuite


class TestContract(ContractSuite):
    vendor = "$name"
    sample_params = {"accounts": {"account_id": ["alice", "bob"]}}
    invalid_params = {"accounts": {"account_id": ["alice"], "colour": "red"}}
''',
    "tests/test_errors.py": '''\
"""A documented error body becomes socialtap's typed error, with a message that says what to do.

The contract suite checks every ``DOCUMENTED_ERRORS`` entry the same way; write a test like
this one for an error the suite cannot reach (one stream only, a body that needs params).
"""

import pytest
from socialtap.errors import AuthError, NotFoundError
from socialtap.runner import Options, Task, iter_records
from socialtap.testing import serve_app
from socialtap.testing.emulator import json_response

from socialtap_$name.plugin import VENDOR, sandbox


def answering(status, body):
    """A vendor that answers every request with ``status`` and ``body`` (as its docs print it)."""

    def app(environ, start_response):
        return json_response(body, status)(environ, start_response)

    return app


def fetch_from(app):
    with serve_app(app) as served:
        options = Options(base_url=f"{served.url}/v1", fail_fast=True)
        task = Task(VENDOR.name, "accounts", {"account_id": ["alice"]}, dict(sandbox().credentials), options)
        return list(iter_records(task))


def test_a_refused_credential_is_an_auth_error_naming_the_env_var():
    with pytest.raises(AuthError) as caught:
        fetch_from(answering(401, {"error": "invalid credentials"}))
    message = str(caught.value)
    assert "invalid credentials" in message  # the vendor's words
    assert VENDOR.env_var(VENDOR.auth.fields()[0][0]) in message  # and where to fix it


def test_an_unknown_account_is_not_found():
    with pytest.raises(NotFoundError, match="account not found"):
        fetch_from(answering(404, {"error": "account not found"}))
''',
}

README = """\
# socialtap-$name

socialtap plugin for the $title API ($base_url).

## Install

    pip install -e '.[test]'

## Credentials

$credentials

## Streams

| stream | what | params |
| --- | --- | --- |
$streams

## Try it offline

The plugin ships a sandbox emulating the API; `--sandbox` runs against it with its test credentials:

    socialtap run $name $first_stream $sample --sandbox
    socialtap sandbox $name --port 8765

## Test

    pytest          # the socialtap contract suite and the error tests, against the sandbox
    ruff check .

This README was generated from the plugin's declaration by `socialtap new-plugin`; keep it
in step when you change the declaration.
"""


def credentials_text(vendor: Any) -> str:
    """The env vars of each complete credential set the vendor's auth accepts, with their docs."""
    docs = {c.name: c.doc for c in vendor.credentials}
    sets = vendor.auth.fields()
    lines = []
    if len(sets) > 1:
        lines.append("Any one of these sets, as environment variables:\n")
    else:
        lines.append("As environment variables:\n")
    for index, group in enumerate(sets):
        if len(sets) > 1:
            lines.append(f"{index + 1}. " + " and ".join(f"`{vendor.env_var(f)}`" for f in group))
        for field in group:
            lines.append(f"{'   ' if len(sets) > 1 else ''}- `{vendor.env_var(field)}`: {docs.get(field, field)}")
    return "\n".join(lines)


def readme_for(vendor: Any) -> str:
    """The README of a plugin, from its ``Vendor`` declaration (credentials, streams, params)."""
    from socialtap.cli import describe_params

    rows = []
    for stream in vendor.streams:
        params = "; ".join(
            f"`{p['name']}` ({p['type']}{', required' if p['required'] else ''})" for p in describe_params(stream.params)
        )
        rows.append(f"| `{stream.name}` | {stream.description} | {params} |")
    first = vendor.streams[0]
    return Template(README).substitute(
        name=vendor.name,
        title=vendor.title,
        base_url=vendor.base_url,
        credentials=credentials_text(vendor),
        streams="\n".join(rows),
        first_stream=first.name,
        sample=" ".join(f"-p {p['name']}=alice" for p in describe_params(first.params) if p["required"]),
    )


def _declared_vendor(root: Path, name: str) -> Any:
    """Import the generated plugin from ``root/src`` and return its ``VENDOR``, leaving
    ``sys.path`` and ``sys.modules`` as they were (the plugin is not installed yet)."""
    package = f"socialtap_{name}"
    saved = {k: v for k, v in sys.modules.items() if k == package or k.startswith(package + ".")}
    sys.path.insert(0, str(root / "src"))
    try:
        for key in saved:
            del sys.modules[key]
        return importlib.import_module(f"{package}.plugin").VENDOR
    finally:
        sys.path.remove(str(root / "src"))
        for key in [k for k in sys.modules if k == package or k.startswith(package + ".")]:
            del sys.modules[key]
        sys.modules.update(saved)


def new_plugin(name: str, directory: Path, auth: str = "bearer") -> Path:
    """Write plugin ``name`` into ``directory / socialtap-<name>``; return that path.

    ``auth`` (one of :data:`AUTHS`: ``bearer``, ``header`` for an ``X-API-Key`` header,
    ``basic``) picks the declared scheme, the sandbox's check and the README's env vars.
    """
    if not _NAME.match(name):
        raise ConfigError(f"plugin name {name!r} must be 2-31 lowercase letters or digits, starting with a letter (e.g. acme)")
    if auth not in AUTHS:
        raise ConfigError(f"unknown auth {auth!r}; choose one of: {', '.join(AUTHS)}")
    root = directory / f"socialtap-{name}"
    if root.exists():
        raise ConfigError(f"{root} already exists; choose another --dir or remove it")
    values: dict[str, str] = {"name": name, "NAME": name.upper(), "title": name.title(), "Title": name.title()}
    values.update(_substituted(AUTHS[auth], values))
    for relative, content in FILES.items():
        path = root / Template(relative).substitute(values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(content).substitute(values))
    (root / "README.md").write_text(readme_for(_declared_vendor(root, name)))
    return root


def _substituted(snippets: Mapping[str, str], values: Mapping[str, str]) -> dict[str, str]:
    return {key: Template(text).substitute(values) for key, text in snippets.items()}
