"""Every Python block of docs/plugins.md's "Testing your plugin" section runs as written,
so the guide cannot drift from the test kit it describes."""

from __future__ import annotations

import linecache
import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).parents[2] / "docs" / "plugins.md"
SECTION = "## Testing your plugin"


def section_blocks() -> list[str]:
    """The ```python blocks between the section's heading and the next ``## `` heading."""
    text = GUIDE.read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return re.findall(r"^```python\n(.*?)^```$", text[start : end if end != -1 else None], re.DOTALL | re.MULTILINE)


def test_the_section_has_blocks_to_run():
    blocks = section_blocks()
    assert len(blocks) >= 5, "the Testing your plugin section lost its examples"
    assert all("assert" in b or "ContractSuite" in b for b in blocks), "an example checks nothing"


@pytest.mark.parametrize("index", range(len(section_blocks())))
def test_block_runs(index: int):
    code = section_blocks()[index]
    namespace: dict[str, object] = {"__name__": f"plugins_md_testing_{index}"}
    filename = f"docs/plugins.md (Testing your plugin, block {index + 1})"
    # In linecache, a failure's traceback shows the guide's own lines instead of "???".
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    exec(compile(code, filename, "exec"), namespace)
    if "sandbox" in namespace and "TestContract" in namespace:
        # The declaration block: its Sandbox must be one the contract suite can use.
        declared = namespace["sandbox"]()  # type: ignore[operator]
        assert {e.label for e in declared.errors} == {"401-AuthError", "404-NotFoundError", "422-ConfigError"}
        suite = namespace["TestContract"]()  # type: ignore[operator]
        for documented in declared.errors:
            suite.test_documented_error_raises_its_typed_error(documented)


@pytest.mark.parametrize("module_name", ["socialtap.testing", "socialtap.testing.emulator"])
def test_every_public_name_of_the_kit_is_in_the_section(module_name: str):
    import importlib

    text = GUIDE.read_text()
    start = text.index(SECTION)
    section = text[start : text.find("\n## ", start + len(SECTION))]
    names = importlib.import_module(module_name).__all__
    # In code, bare or qualified: `CountingApp` or `socialtap.testing.CountingApp`.
    missing = [name for name in names if not re.search(rf"`(?:[\w.]+\.)?{name}\b", section)]
    assert not missing, f"docs/plugins.md's {SECTION!r} does not mention {missing} from {module_name}"
