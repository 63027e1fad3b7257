"""The layout shows the architecture: building blocks know nothing of pluggy's hooks."""

from __future__ import annotations

import ast
from pathlib import Path

import socialtap
from socialtap.plugins import DEFAULT_PLUGINS

PACKAGE = Path(socialtap.__file__).parent
BUILDING_BLOCKS = ("auth", "pagination", "sandbox", "fetch", "normalize", "batching", "declarations", "http", "records")


def imported_modules(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_building_blocks_do_not_import_hookspecs():
    offenders = {m for m in BUILDING_BLOCKS if any("hookspecs" in name for name in imported_modules(m))}
    assert offenders == set(), "building blocks must not import hookspecs: move hook implementations to default_* modules"


def test_every_default_hook_implementation_lives_in_a_default_module():
    assert all(name.startswith("socialtap.default_") for name in DEFAULT_PLUGINS)
    for name in DEFAULT_PLUGINS:
        module = name.removeprefix("socialtap.")
        assert "socialtap.hookspecs.hookimpl" in imported_modules(module), f"{name} implements no hook"
