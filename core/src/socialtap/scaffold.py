"""``socialtap new-plugin NAME``: a complete vendor plugin that passes the contract suite.

The generated distribution has the entry point, a Vendor with one Stream, attrs payload
models, a small normalize function, a sandbox built on ``socialtap.testing.emulator``
and a contract test. Replace the example endpoint with the vendor's docs, stream by stream.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from socialtap.errors import ConfigError

_NAME = re.compile(r"^[a-z][a-z0-9]{1,30}$")

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

[project.entry-points.socialtap]
$name = "socialtap_$name.plugin"

[tool.setuptools.packages.find]
where = ["src"]
""",
    "README.md": """\
# socialtap-$name

socialtap plugin for the $title API.

    pip install -e .
    socialtap streams $name
    socialtap run $name accounts -p account_id=alice --sandbox
    pytest tests      # the socialtap contract suite against the sandbox

Credentials: `SOCIALTAP_${NAME}_TOKEN`.
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

from socialtap import Account, Credential, Observation, RateLimit, Stream, Vendor, hookimpl
from socialtap.auth import Bearer
from socialtap.records import observation, utcnow
from socialtap.sandbox import Sandbox
from socialtap_$name.models import AccountPayload

NAME = "$name"
PLATFORM = "$name"
# The vendor's field names that differ from the canonical vocabulary (socialtap.metrics).
METRICS = {"followers": "followers"}


@attrs.frozen
class AccountsParams:
    account_id: list[str] = attrs.field(metadata={"doc": "Account ids; each is fetched on its own."})


def normalize_account(payload: AccountPayload, request):
    yield Account(NAME, PLATFORM, payload.id, username=payload.username)
    status = "available" if payload.followers is not None else "pending"
    yield observation(NAME, PLATFORM, "account", payload.id, "followers", payload.followers,
                      mapping=METRICS, fetched_at=utcnow(), status=status)


def sandbox() -> Sandbox:
    from socialtap_$name.sandbox import TEST_TOKEN, ${Title}Sandbox

    return Sandbox(app=${Title}Sandbox, credentials={"token": TEST_TOKEN})


VENDOR = Vendor(
    name=NAME,
    title="$title",
    base_url="https://api.$name.example/v1",
    auth=Bearer("token"),
    credentials=(Credential("token", "API token"),),
    streams=(
        Stream("accounts", "/accounts/{account_id}", AccountsParams, normalize_account, (Account, Observation),
               description="One account per id with its follower count.", fan_out="account_id", payload_model=AccountPayload),
    ),
    rate_limit=RateLimit(10, 1.0),
    sandbox=sandbox,
)


@hookimpl
def socialtap_register_vendors(register):
    register(VENDOR)
''',
    "src/socialtap_$name/sandbox.py": '''\
"""The $title API emulated from its docs: routes, auth and its 401, seeded data."""

from __future__ import annotations

from socialtap.testing.emulator import Rule, SandboxApp, bearer_token, json_response

TEST_TOKEN = "$name-test-token"


class ${Title}Sandbox(SandboxApp):
    base_path = "/v1"

    def routes(self):
        return [Rule("/accounts/<account_id>", endpoint="account", methods=["GET"])]

    def dispatch(self, request):
        if bearer_token(request) != TEST_TOKEN:
            return json_response({"error": "invalid token"}, 401)
        return super().dispatch(request)

    def account(self, request, account_id):
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
}


def new_plugin(name: str, directory: Path) -> Path:
    """Write plugin ``name`` into ``directory / socialtap-<name>``; return that path."""
    if not _NAME.match(name):
        raise ConfigError(f"plugin name {name!r} must be 2-31 lowercase letters or digits, starting with a letter (e.g. acme)")
    root = directory / f"socialtap-{name}"
    if root.exists():
        raise ConfigError(f"{root} already exists; choose another --dir or remove it")
    values = {"name": name, "NAME": name.upper(), "title": name.title(), "Title": name.title()}
    for relative, content in FILES.items():
        path = root / Template(relative).substitute(values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(content).substitute(values))
    return root
