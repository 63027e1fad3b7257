"""The n8n node package's generated parts stay in step with `socialtap spec` (the real-n8n
test of the node itself is tests/n8n/test_n8n_node.py, under `make test-n8n`)."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "integrations" / "n8n" / "node"


def generator():
    spec = importlib.util.spec_from_file_location("n8n_node_credentials", ROOT / "scripts" / "n8n_node_credentials.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_credentials_match_the_vendors_specs():
    stale = [str(path.relative_to(ROOT)) for path, text in generator().generate().items() if path.read_text() != text]
    assert not stale, f"run python scripts/n8n_node_credentials.py; stale: {stale}"


def test_every_secret_field_is_a_password_and_every_credential_is_registered():
    from socialtap.plugins import get_registry
    from socialtap.schema import credentials_schema

    gen = generator()
    package = json.loads((PACKAGE / "package.json").read_text())
    for vendor_dir in sorted((ROOT / "plugins").iterdir()):
        if not (vendor_dir / "pyproject.toml").exists():
            continue
        vendor = get_registry().get(vendor_dir.name)
        cls = gen.class_name(vendor.name)
        assert f"dist/credentials/{cls}.credentials.js" in package["n8n"]["credentials"]
        text = (PACKAGE / "credentials" / f"{cls}.credentials.ts").read_text()
        for name, field in credentials_schema(vendor)["properties"].items():
            if name == "base_url":
                assert "base_url" not in text and "baseUrl" not in text  # serve decides where requests go
                continue
            block = re.search(
                r"\{[^{}]*name: '"
                + gen.camel(name)
                + r"',[^{}]*\{[^{}]*\}[^{}]*\}|\{[^{}]*name: '"
                + gen.camel(name)
                + r"',[^{}]*\}",
                text,
            )
            assert block, (vendor.name, name)
            assert ("password: true" in block.group(0)) == bool(field.get("writeOnly")), (vendor.name, name)
