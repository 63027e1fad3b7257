"""Serve a WSGI app on a real HTTP server on 127.0.0.1, in a background thread."""

from __future__ import annotations

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
        self.url = f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"  # IPv6 in brackets
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
