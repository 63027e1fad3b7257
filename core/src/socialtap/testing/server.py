"""Serve a WSGI app on a real HTTP server on 127.0.0.1, in a background thread."""

from __future__ import annotations

import io
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from werkzeug.serving import WSGIRequestHandler, make_server


def _count_connection(server: Any) -> None:
    # ServedApp.connections: a client that keeps its connection alive opens one.
    with server.counter_lock:
        server.connections += 1


class _QuietHandler(WSGIRequestHandler):
    def setup(self) -> None:
        super().setup()
        _count_connection(self.server)

    def log_request(self, *args: Any, **kwargs: Any) -> None:  # no access log in test output
        pass


class _KeepAliveHandler(BaseHTTPRequestHandler):
    """A WSGI app behind HTTP/1.1 keep-alive connections, as a vendor's server keeps them.

    werkzeug's development server closes every connection after one response (and
    drains the socket, reading the next request line), so against it a client that drops
    its connection after each page looks no worse than one that keeps it. This handler
    reads each request's body by its Content-Length and answers with one, then waits for
    the next request on the same connection. Enough for tests and benchmarks, not more.
    """

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _count_connection(self.server)

    def log_message(self, format: str, *args: Any) -> None:  # no access log in test output
        pass

    def _run(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        path, _, query = self.path.partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path, "latin-1"),
            "QUERY_STRING": query,
            "SERVER_NAME": self.server.server_address[0],
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(length) if length else "",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in self.headers.items():
            key = "HTTP_" + name.upper().replace("-", "_")
            if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            answer["status"], answer["headers"] = status, headers
            return lambda data: None

        chunks = self.server.app(environ, start_response)  # type: ignore[attr-defined]
        try:
            payload = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        code, _, reason = answer["status"].partition(" ")
        self.send_response_only(int(code), reason)
        for name, value in answer["headers"]:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        # Head and body in one write: two small writes would meet Nagle's algorithm and the
        # client's delayed ACK, and every response would take 40 ms.
        self._headers_buffer.append(b"\r\n")  # type: ignore[attr-defined]
        head = b"".join(self._headers_buffer)  # type: ignore[attr-defined]
        self._headers_buffer = []  # type: ignore[attr-defined]
        self.wfile.write(head + (payload if self.command != "HEAD" else b""))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _run  # noqa: N815 - http.server dispatches on these names


class ServedApp:
    """A running server: ``url`` is ``http://127.0.0.1:<port>`` (``http://[::1]:<port>`` on IPv6)."""

    def __init__(self, app: Callable[..., Any], host: str = "127.0.0.1", port: int = 0, *, keep_alive: bool = False):
        self.app = app
        self.server: Any
        if keep_alive:
            self.server = ThreadingHTTPServer((host, port), _KeepAliveHandler)
            self.server.app = app  # type: ignore[attr-defined]
        else:
            self.server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
        self.server.daemon_threads = True
        self.server.connections = 0  # type: ignore[attr-defined]
        self.server.counter_lock = threading.Lock()  # type: ignore[attr-defined]
        self.host = host
        self.port = self.server.socket.getsockname()[1]
        self.url = f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"sandbox:{self.port}", daemon=True
        )

    @property
    def connections(self) -> int:
        """TCP connections accepted so far (a client keeping connections alive opens one)."""
        return self.server.connections  # type: ignore[attr-defined,no-any-return]

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
def serve_app(
    app: Callable[..., Any], *, host: str = "127.0.0.1", port: int = 0, keep_alive: bool = False
) -> Iterator[ServedApp]:
    """Serve ``app`` until the block ends; the server listens before the block starts.

    ``keep_alive`` keeps connections open between requests as vendors' servers do (by
    default each response closes its connection, as werkzeug's server does).
    """
    served = ServedApp(app, host, port, keep_alive=keep_alive).start()
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
    factory: str, *, kwargs: dict[str, Any] | None = None, sys_path: tuple[str, ...] = (), keep_alive: bool = False
) -> Iterator[ChildServer]:
    """Serve ``factory(**kwargs)`` (``"module:callable"``) on 127.0.0.1 from a child process.

    For tests that measure timing or rates at the server: an in-thread server shares the
    client's GIL and garbage collector, so a pause in the client bunches the server's
    arrivals together, which a real vendor on another machine never sees. The child has
    no stdin, its own session, and is stopped with SIGTERM (SIGKILL if it lingers);
    ``state(*names)`` reads the app's counters back over HTTP. ``keep_alive`` as for :func:`serve_app`.
    """
    import json
    import sys

    spec = json.dumps({"factory": factory, "kwargs": kwargs or {}, "sys_path": list(sys_path), "keep_alive": keep_alive})
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


@contextmanager
def serve_redis(directory: str) -> Iterator[str | None]:
    """A throwaway ``redis-server`` on 127.0.0.1 (no persistence, files in ``directory``):
    its ``redis://`` URL, or None when no redis-server is installed. Stopped on exit."""
    import shutil
    import time

    server = shutil.which("redis-server")
    if server is None:
        yield None
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(directory)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30  # a guard against a hang, not a measurement
        while not _pong(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start (exit status {process.poll()})")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop_process(process)


def _pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


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
    served = ServedApp(with_state, keep_alive=spec.get("keep_alive", False))
    print(f"PORT {served.port}", flush=True)
    try:
        served.server.serve_forever(poll_interval=0.05)
    finally:
        served.server.server_close()
