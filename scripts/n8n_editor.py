"""Run n8n's editor server headless for a test or a screenshot: ``n8n start`` on 127.0.0.1,
its owner set up over n8n's REST API, and a logged-in ``requests`` session.

Used by tests/n8n/test_n8n_node.py (the node's dropdowns, params form and credential
test through n8n's own endpoints) and scripts/n8n_screenshot.py (docs/n8n-node.png).
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
import requests

from socialtap.testing.server import stop_process

OWNER = {"email": "owner@example.com", "firstName": "Socialtap", "lastName": "Tests", "password": "Socialtap-tests-1"}
BROWSER_ID = "socialtap-tests"  # n8n binds its auth cookie to the browser-id header


def free_port() -> int:
    """A port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@attrs.define
class Editor:
    """A running n8n: its URL and a session logged in as its owner."""

    url: str
    session: requests.Session

    def rest(self, method: str, path: str, body: Any = None) -> Any:
        """``/rest/<path>``'s ``data``; AssertionError with n8n's answer otherwise."""
        answer = self.session.request(method, f"{self.url}/rest/{path}", json=body, timeout=120)
        assert answer.ok, f"{method} /rest/{path}: HTTP {answer.status_code} {answer.text[:1000]}"
        return answer.json()["data"]


@contextmanager
def n8n_editor(n8n: str, env: dict[str, str], log: Path, timeout: float = 240) -> Iterator[Editor]:
    """``n8n start`` with ``env`` (its user folder, custom extensions) until the block ends; its output to ``log``."""
    port = free_port()
    env = {
        **env,
        "N8N_PORT": str(port),
        "N8N_LISTEN_ADDRESS": "127.0.0.1",
        "N8N_SECURE_COOKIE": "false",  # plain http on loopback
        "N8N_RUNNERS_BROKER_PORT": str(free_port()),  # not one an earlier n8n of the same env may still hold
    }
    output = log.open("wb")
    proc = subprocess.Popen(
        [n8n, "start"], env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            assert proc.poll() is None, f"n8n start exited: {log.read_text(errors='replace')[-3000:]}"
            try:
                if requests.get(f"{url}/healthz/readiness", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, f"n8n did not answer on {url} within {timeout} s"
            time.sleep(0.5)
        session = requests.Session()
        session.headers["browser-id"] = BROWSER_ID
        editor = Editor(url, session)
        editor.rest("POST", "owner/setup", OWNER)  # also logs the session in
        yield editor
    finally:
        stop_process(proc)
        output.close()
