"""Plugin discovery with real distributions: loading, failures, allow-list, tracing, clashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import socialtap
from socialtap import hookspecs
from socialtap.plugins import DEFAULT_PLUGINS, make_plugin_manager

CLASH = """
from socialtap import hookimpl
from socialtap_example.plugin import EXAMPLE

@hookimpl
def socialtap_register_vendors(register):
    register(EXAMPLE)
"""


def test_hookimpl_is_exported_from_the_package_root():
    assert socialtap.hookimpl is hookspecs.hookimpl


def test_plugins_all_lists_the_internal_plugins(run_socialtap):
    done = run_socialtap("plugins", "--all")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    names = {row["name"] for row in rows}
    assert set(DEFAULT_PLUGINS) <= names
    example = next(row for row in rows if row["name"] == "example")
    assert example["distribution"] == "socialtap-example" and example["vendors"] == ["example"]
    assert example["hooks"] == ["socialtap_register_vendors"]
    sandbox = next(row for row in rows if row["name"] == "socialtap.default_sandbox")
    assert sandbox["hooks"] == ["socialtap_sandbox"]
    assert all(row["internal"] for row in rows if row["name"] in DEFAULT_PLUGINS)
    without = {row["name"] for row in json.loads(run_socialtap("plugins").stdout)}
    assert not (without & set(DEFAULT_PLUGINS))


def test_a_plugin_that_fails_to_import_is_named_and_the_others_work(run_socialtap, make_distribution, tmp_path: Path):
    make_distribution(
        tmp_path, "socialtap-broken", {"broken_plugin": "import does_not_exist_anywhere\n"}, {"broken": "broken_plugin"}
    )
    done = run_socialtap("vendors", paths=[tmp_path])
    assert done.returncode == 0, done.stderr
    assert "socialtap-broken" in done.stderr and "broken" in done.stderr and "ModuleNotFoundError" in done.stderr
    # Vendors are listed in entry-point order, which the installed distributions decide.
    assert any(line.startswith("example\t") for line in done.stdout.splitlines())
    assert "Traceback" not in done.stderr


def test_two_distributions_claiming_one_vendor_is_a_clear_error(run_socialtap, make_distribution, tmp_path: Path):
    make_distribution(tmp_path, "socialtap-impostor", {"impostor_plugin": CLASH}, {"impostor": "impostor_plugin"})
    done = run_socialtap("vendors", paths=[tmp_path])
    assert done.returncode == 2
    assert "registered twice" in done.stderr
    assert "socialtap-example" in done.stderr and "socialtap-impostor" in done.stderr
    assert "Traceback" not in done.stderr


def test_load_plugins_allow_list(run_socialtap, make_distribution, tmp_path: Path):
    make_distribution(tmp_path, "socialtap-impostor", {"impostor_plugin": CLASH}, {"impostor": "impostor_plugin"})
    only_example = run_socialtap("vendors", paths=[tmp_path], env={"SOCIALTAP_LOAD_PLUGINS": "example"})
    assert only_example.returncode == 0 and only_example.stdout.startswith("example\t")
    nothing = run_socialtap("vendors", paths=[tmp_path], env={"SOCIALTAP_LOAD_PLUGINS": ""})
    assert nothing.returncode == 0 and nothing.stdout == ""


def test_trace_plugins_writes_hook_calls_to_stderr(run_socialtap):
    done = run_socialtap("vendors", env={"SOCIALTAP_TRACE_PLUGINS": "1"})
    assert done.returncode == 0
    assert "socialtap_register_vendors" in done.stderr


def test_a_misspelt_hook_fails_loudly():
    class Typo:
        @socialtap.hookimpl
        def socialtap_register_vendor(self, register):  # missing the final "s"
            pass

    with pytest.raises(Exception, match="unknown hook 'socialtap_register_vendor'"):
        make_plugin_manager(extra=(Typo(),))


def test_every_hookspec_is_documented_in_the_plugin_guide():
    from socialtap.hookdocs import BEGIN, END, hook_names, hook_reference

    guide = (Path(__file__).parents[2] / "docs" / "plugins.md").read_text()
    names = hook_names()
    assert len(names) >= 8
    for name in names:
        doc = getattr(hookspecs, name).__doc__
        assert doc and len(doc.strip()) > 80, f"{name} needs a real docstring"
        assert f"### `{name}(" in guide, f"docs/plugins.md does not document {name}"
    generated = guide.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert generated == hook_reference().strip(), "run `python -m socialtap.hookdocs docs/plugins.md`"


def test_a_vendor_registered_after_another_was_forgotten_is_always_seen():
    # A forgotten plugin object is freed, and the next one may get its id(): the cached
    # registry must not mistake the new plugin set for the old one.
    import attrs

    from socialtap.plugins import forget_plugin, get_registry, register_vendor
    from socialtap_example.plugin import EXAMPLE

    for i in range(40):
        name = register_vendor(attrs.evolve(EXAMPLE, name=f"forgetful{i}"))
        try:
            assert get_registry().get(f"forgetful{i}").name == f"forgetful{i}"
        finally:
            forget_plugin(name)
