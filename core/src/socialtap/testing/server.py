"""Serve a WSGI app on a real HTTP server on 127.0.0.1, in a background thread."""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # no access log in test output
        pass


class ServedApp:
    """A running server: ``url`` is ``http://127.0.0.1:<port>`` (``http://[::1]:<port>`` on IPv6)."""

    def __init__(self, app: Callable[..., Any], host: str = "127.0.0.1", port: int = 0):
        self.app = app
        self.server: BaseWSGIServer = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
        self.server.daemon_threads = True
        self.host = host
        self.port = self.server.socket.getsockname()[1]
        self.url = f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"sandbox:{self.port}", daemon=True
        )

    def start(self) -> ServedApp:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ServedApp:
        return self.start() if not self._thread.is_alive() else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def serve_app(app: Callable[..., Any], *, host: str = "127.0.0.1", port: int = 0) -> Iterator[ServedApp]:
    """Serve ``app`` until the block ends; the server listens before the block starts."""
    served = ServedApp(app, host, port).start()
    try:
        yield served
    finally:
        served.stop()


class CountingApp:
    """WSGI middleware that counts the requests reaching ``app``: proof that none were sent.

    ``serve_sandbox(vendor, wrap=CountingApp)`` then ``running.served.app.requests``.
    """

    def __init__(self, app: Callable[..., Any]):
        self.app = app
        self.requests = 0
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Any:
        with self._lock:
            self.requests += 1
        return self.app(environ, start_response)


STATE_PATH = "/__socialtap_test_state__"


class ChildServer:
    """A WSGI app served by a child process (see :func:`serve_app_in_subprocess`)."""

    def __init__(self, process: Any, url: str):
        self.process = process
        self.url = url

    def state(self, *names: str) -> dict[str, Any]:
        """The app's attributes ``names`` (JSON-safe ones: counters, lists of arrival times)."""
        import json
        import urllib.request

        with urllib.request.urlopen(f"{self.url}{STATE_PATH}?names={','.join(names)}", timeout=30) as answer:
            return json.loads(answer.read())


@contextmanager
def serve_app_in_subprocess(
    factory: str, *, kwargs: dict[str, Any] | None = None, sys_path: tuple[str, ...] = ()
) -> Iterator[ChildServer]:
    """Serve ``factory(**kwargs)`` (``"module:callable"``) on 127.0.0.1 from a child process.

    For tests that measure timing or rates at the server: an in-thread server shares the
    client's GIL and garbage collector, so a pause in the client bunches the server's
    arrivals together, which a real vendor on another machine never sees. The child has
    no stdin, its own session, and is stopped with SIGTERM (SIGKILL if it lingers);
    ``state(*names)`` reads the app's counters back over HTTP.
    """
    import json
    import sys

    spec = json.dumps({"factory": factory, "kwargs": kwargs or {}, "sys_path": list(sys_path)})
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from socialtap.testing.server import _child; _child(sys.argv[1])", spec],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        line = process.stdout.readline() if process.stdout is not None else ""
        if not line.startswith("PORT "):
            raise RuntimeError(f"the child server did not start (said {line!r}); see its stderr above")
        yield ChildServer(process, f"http://127.0.0.1:{int(line.split()[1])}")
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen) -> None:
    """SIGTERM, a few seconds' grace, then SIGKILL, and close its pipes: never leave a server behind.

    SIGTERM, not SIGINT: a process started from a background job ignores SIGINT.
    """
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    for pipe in (process.stdin, process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def _child(spec_text: str) -> None:
    """The child side of :func:`serve_app_in_subprocess`."""
    import importlib
    import json
    import signal
    import sys

    spec = json.loads(spec_text)
    sys.path[:0] = spec["sys_path"]
    module, _, name = spec["factory"].partition(":")
    app = getattr(importlib.import_module(module), name)(**spec["kwargs"])

    def with_state(environ: dict, start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") == STATE_PATH:
            from urllib.parse import parse_qs

            names = parse_qs(environ.get("QUERY_STRING", "")).get("names", [""])[0].split(",")
            with getattr(app, "lock", threading.Lock()):  # a consistent snapshot when the app has a lock
                body = json.dumps({n: getattr(app, n) for n in names if n}).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return app(environ, start_response)

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    served = ServedApp(with_state)
    print(f"PORT {served.port}", flush=True)
    try:
        served.server.serve_forever(poll_interval=0.05)
    finally:
        served.server.server_close()

