"""docs/tutorial.md, followed as a reader would, so the tutorial cannot rot.

The page is read top to bottom. A ```python block whose first line is
``# file: <path>`` replaces that file of the generated plugin (which must exist: the
tutorial edits the scaffold, it does not invent files beside it). A ```console block
is a series of ``$ command`` lines, each followed by the output the page shows; each
command is run here (in a fresh directory, no terminal, no stdin) and its output
compared line by line, whitespace runs collapsed and ``<seconds>`` standing for any
duration. A command this test does not know how to run fails it, so the page cannot
grow a step nobody checks.

Three commands are run as their equivalents, to stay fast and leave the test venv as
it was: ``pip install --quiet -e .`` installs into a directory of its own (on
``PYTHONPATH``, not editable: every file is written by then), ``sqlite3 DB SQL`` is
Python's sqlite3 printing rows as the sqlite3 shell does (``a|b``, NULL empty), and
``find DIR -type f | sort`` checks that every file the page lists was generated (the
scaffold may add more). ``socialtap new-plugin``'s next-step hints after its first
line are the scaffold's to change, so only its ``created`` line is compared.
"""

from __future__ import annotations

import os
import re
import shlex
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "tutorial.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
FILE_MARK = re.compile(r"#\s*file:\s*(\S+)")
PLACEHOLDERS = {"<seconds>": r"\d+(?:\.\d+)?", "<n>": r"\d+"}


def doc_steps(text: str) -> Iterator[tuple[str, object]]:
    """("file", (path, source)) and ("command", (command, expected lines)) in page order."""
    for match in FENCE.finditer(text):
        lang, body = match.group(1), match.group(2)
        if lang == "python":
            first = body.splitlines()[0] if body else ""
            marked = FILE_MARK.fullmatch(first.strip())
            if marked:
                yield "file", (marked.group(1), body)
        elif lang == "console":
            command: str | None = None
            output: list[str] = []
            for line in body.splitlines():
                if line.startswith("$ "):
                    if command is not None:
                        yield "command", (command, output)
                    command, output = line[2:], []
                else:
                    assert command is not None, f"console output before any command: {line!r}"
                    output.append(line)
            if command is not None:
                yield "command", (command, output)


# A run summary names retries and rate-limit waits only when there were some, and whether
# there were depends on how busy the machine is, not on the page: tolerate them there.
TIMING_COUNTERS = r"(?:, \d+ (?:retries|rate-limit waits))*"


def line_pattern(expected: str) -> re.Pattern[str]:
    pattern = re.escape(" ".join(expected.split()))
    for placeholder, regex in PLACEHOLDERS.items():
        pattern = pattern.replace(re.escape(placeholder), regex)
    if expected.startswith("socialtap: "):
        seconds = re.escape(" in ") + PLACEHOLDERS["<seconds>"]
        pattern = pattern.replace(seconds, TIMING_COUNTERS + seconds)
    return re.compile(pattern)


def assert_output(command: str, expected: list[str], actual: str) -> None:
    got = [" ".join(line.split()) for line in actual.splitlines() if line.strip()]
    want = [line for line in expected if line.strip()]
    assert len(got) == len(want), f"$ {command}\nthe page shows:\n" + "\n".join(want) + "\nit printed:\n" + actual
    for shown, printed in zip(want, got, strict=True):
        assert line_pattern(shown).fullmatch(printed), f"$ {command}\nthe page shows: {shown}\nit printed:     {printed}"


class Reader:
    """Runs the page's commands in ``work``, with the plugin installed into ``site``."""

    def __init__(self, tmp: Path):
        self.cwd = tmp / "work"
        self.cwd.mkdir()
        self.site = tmp / "site"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("SOCIALTAP_", "PYTEST_"))}
        self.env["PYTHONPATH"] = str(self.site)
        self.env["XDG_STATE_HOME"] = str(tmp / "state")
        self.ran: list[str] = []

    def run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            argv, cwd=self.cwd, env=self.env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120
        )

    def write(self, path: str, source: str) -> None:
        target = self.cwd / path
        assert target.is_file(), f"the page replaces {path}, which the scaffold did not generate"
        target.write_text(source)

    def command(self, command: str, expected: list[str]) -> None:
        self.ran.append(command)
        if command.endswith("| sort") and command.startswith("find "):
            root = self.cwd / shlex.split(command)[1]
            missing = [line for line in expected if not (self.cwd / line).is_file()]
            assert root.is_dir() and not missing, f"$ {command}: not generated: {missing}"
            return
        argv = shlex.split(command)
        status = 2 if expected and expected[0].startswith("error:") else 0
        if argv[0] == "cd":
            self.cwd = self.cwd / argv[1]
            assert self.cwd.is_dir() and not expected
            return
        if argv[0] == "sqlite3":
            database, sql = argv[1:]
            connection = sqlite3.connect(self.cwd / database)
            try:
                rows = connection.execute(sql).fetchall()
            finally:
                connection.close()
            assert_output(command, expected, "\n".join("|".join("" if v is None else str(v) for v in row) for row in rows))
            return
        if argv[:2] == ["socialtap", "new-plugin"]:
            done = self.run([sys.executable, "-m", "socialtap.cli", *argv[1:]])
            assert done.returncode == 0, done.stderr
            assert_output(command, expected[:1], (done.stdout + done.stderr).splitlines()[0])
            return
        if argv == ["pip", "install", "--quiet", "-e", "."]:
            argv = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--target", str(self.site), "."]
        elif argv[0] == "socialtap":
            argv = [sys.executable, "-m", "socialtap.cli", *argv[1:]]
        elif argv[0] == "python":
            argv = [sys.executable, *argv[1:]]
        elif argv[0] == "pytest":
            argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(self.cwd), *argv[1:]]
        else:
            raise AssertionError(f"the tutorial runs a command this test does not know: $ {command}")
        done = self.run(argv)
        assert done.returncode == status, f"$ {command}\nexit {done.returncode}\n{done.stdout}{done.stderr}"
        assert_output(command, expected, done.stdout + done.stderr)


def test_the_tutorial_builds_a_plugin_that_passes_the_contract_suite_and_runs(tmp_path: Path):
    reader = Reader(tmp_path)
    written = []
    for kind, step in doc_steps(DOC.read_text()):
        if kind == "file":
            path, source = step  # type: ignore[misc]
            reader.write(path, source)
            written.append(path)
        else:
            command, expected = step  # type: ignore[misc]
            reader.command(command, expected)
    # The page does what the issue asked of it, in this order.
    assert written == [
        "src/socialtap_pulseboard/models.py",
        "src/socialtap_pulseboard/plugin.py",
        "src/socialtap_pulseboard/sandbox.py",
        "tests/test_contract.py",
    ]
    firsts = [" ".join(c.split()[:2]) for c in reader.ran]
    for step in ("socialtap new-plugin", "pip install", "pytest -q", "socialtap streams", "socialtap run", "sqlite3 pulse.sqlite"):
        assert step in firsts, f"the tutorial lost its {step!r} step"
    assert (reader.cwd / "pulse.sqlite").is_file()


def test_a_run_summary_tolerates_only_timing_counters():
    shown = "socialtap: pulseboard.creators: 10 account from 3 requests, 3 pages in <seconds>s -> creators.jsonl"
    pattern = line_pattern(shown)
    assert pattern.fullmatch("socialtap: pulseboard.creators: 10 account from 3 requests, 3 pages in 0.02s -> creators.jsonl")
    busy = "socialtap: pulseboard.creators: 10 account from 3 requests, 3 pages, 1 rate-limit waits in 0.02s -> creators.jsonl"
    assert pattern.fullmatch(busy)
    assert not pattern.fullmatch(busy.replace("10 account", "9 account"))


def test_the_page_is_parsed_as_written():
    """Guards the parser: every fenced block is a file, a command block or prose."""
    text = DOC.read_text()
    steps = list(doc_steps(text))
    files = [s for k, s in steps if k == "file"]
    python_blocks = [m for m in FENCE.finditer(text) if m.group(1) == "python"]
    assert len(files) == len(python_blocks), "a python block lacks its '# file: <path>' first line"
    runs = [s for k, s in steps if k == "command" and s[0].startswith("socialtap run") and "--format sqlite" in s[0]]
    assert runs and any("60 observation" in line for line in runs[0][1])
    assert "](tutorial.md)" in (DOC.parent / "plugins.md").read_text()
