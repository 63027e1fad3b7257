"""A pseudo-terminal of a chosen width for CLI tests, and a small screen to replay what was drawn."""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import sys
import termios
from collections.abc import Mapping


def run_on_terminal(args: list[str], *, columns: int, env: Mapping[str, str]) -> tuple[int, bytes]:
    """Run ``python -m socialtap.cli ARGS`` with stderr on a pty ``columns`` wide; its exit code and stderr bytes."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "socialtap.cli", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=dict(env),
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed its side
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return process.wait(timeout=120), b"".join(chunks)


def screen(raw: bytes, columns: int) -> list[str]:
    """The lines a terminal ``columns`` wide shows after ``raw`` (\\r, \\n, autowrap, ESC[K, ESC[A)."""
    rows: list[list[str]] = [[]]
    row = col = 0
    text = raw.decode("utf-8", "replace")
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\x1b" and text[i + 1 : i + 2] == "[":
            j = i + 2
            while j < len(text) and not text[j].isalpha():
                j += 1
            arg = text[i + 2 : j]
            if text[j] == "A":
                row = max(0, row - int(arg or 1))
            elif text[j] == "K":
                del rows[row][col:]
            i = j + 1
            continue
        if ch == "\r":
            col = 0
        elif ch == "\n":
            row, col = row + 1, 0
        else:
            if col >= columns:  # a character past the last column wraps to the next line
                row, col = row + 1, 0
            while len(rows) <= row:
                rows.append([])
            line = rows[row]
            line.extend(" " * (col - len(line)))
            if col < len(line):
                line[col] = ch
            else:
                line.append(ch)
            col += 1
        while len(rows) <= row:
            rows.append([])
        i += 1
    return ["".join(r).rstrip() for r in rows]


def frames(raw: bytes) -> list[str]:
    """Each redraw of a one-line bar: the text between carriage returns."""
    return [f for f in raw.decode("utf-8", "replace").replace("\r\n", "\n").split("\r") if "%|" in f]
