"""``socialtap serve``: a small HTTP JSON API for n8n's HTTP Request node (and curl).

Routes (JSON unless noted):

- ``GET /health`` -> ``{"status": "ok"}`` (no token needed: for liveness checks)
- ``GET /vendors`` -> ``[{"name", "title", "base_url", "streams": [...]}, ...]``
- ``GET /vendors/<vendor>/streams`` -> the vendor's streams with their params
- ``POST /run`` with ``{"vendor", "stream", "params", "max_pages"?}`` -> the records as a
  JSON array (each with a ``type`` field; n8n makes one item per element), or NDJSON
  streamed as records arrive with ``?format=ndjson`` or ``Accept: application/x-ndjson``.

Errors are ``{"error": {"type", "message"}}`` with 400 (bad request or params), 401
(missing or wrong bearer token), 404 (unknown route or vendor entity), 429 (vendor quota)
or 502 (the vendor failed or refused socialtap's credentials). An NDJSON stream that
fails after its first record ends with one ``{"error": ...}`` line instead.

Security: it binds 127.0.0.1 by default. Binding any other address requires
``SOCIALTAP_SERVE_TOKEN``, then every route but /health needs ``Authorization: Bearer <token>``.
Vendor credentials come only from the server's environment (``SOCIALTAP_<VENDOR>_<FIELD>``):
a request carrying ``credentials`` is refused, and responses never contain them.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
import os
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs
import click
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from socialtap.errors import ConfigError, NotFoundError, QuotaError, SocialtapError
from socialtap.plugins import get_registry
from socialtap.records import dumps, to_item
from socialtap.runner import Options, Task, iter_records

TOKEN_ENV = "SOCIALTAP_SERVE_TOKEN"
NDJSON = "application/x-ndjson"
MAX_BODY = 1024 * 1024


def status_for(exc: SocialtapError) -> int:
    """The HTTP status a socialtap error maps to (see the module doc)."""
    if isinstance(exc, ConfigError):
        return 400
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, QuotaError):
        return 429
    return 502  # AuthError (the server's credentials), VendorError, PayloadError, ...


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _json(data: Any, status: int = 200) -> Response:
    return Response(dumps(data), status=status, mimetype="application/json")


def _error(kind: str, message: str, status: int) -> Response:
    return _json({"error": {"type": kind, "message": message}}, status)


@attrs.define
class ServeApp:
    """The WSGI app. ``sandbox=True`` runs every task against the vendor's offline emulator."""

    token: str | None = attrs.field(default=None, repr=False)
    sandbox: bool = False
    url_map: Map = attrs.field(
        factory=lambda: Map(
            [
                Rule("/health", endpoint="health", methods=["GET"]),
                Rule("/vendors", endpoint="vendors", methods=["GET"]),
                Rule("/vendors/<vendor>/streams", endpoint="streams", methods=["GET"]),
                Rule("/run", endpoint="run", methods=["POST"]),
            ]
        )
    )
    _sandboxes: dict[str, Any] = attrs.field(factory=dict, repr=False)
    _stack: contextlib.ExitStack = attrs.field(factory=contextlib.ExitStack, repr=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, repr=False)

    def __call__(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = MAX_BODY
        try:
            endpoint, values = self.url_map.bind_to_environ(environ).match()
            if endpoint != "health" and not self._authorized(request):
                response = _error("Unauthorized", f"send Authorization: Bearer <the server's {TOKEN_ENV}>", 401)
                response.headers["WWW-Authenticate"] = "Bearer"
            else:
                response = getattr(self, f"on_{endpoint}")(request, **values)
        except NotFound:
            response = _error("NotFound", "no such route; try GET /vendors or POST /run", 404)
        except HTTPException as exc:
            response = _error(type(exc).__name__, exc.description or exc.name, exc.code or 400)
        except SocialtapError as exc:
            response = _error(type(exc).__name__, str(exc), status_for(exc))
        return response(environ, start_response)

    def _authorized(self, request: Request) -> bool:
        if not self.token:
            return True
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self.token.encode())

    def on_health(self, request: Request) -> Response:
        return _json({"status": "ok"})

    def on_vendors(self, request: Request) -> Response:
        return _json(
            [
                {"name": v.name, "title": v.title, "base_url": v.base_url, "streams": [s.name for s in v.streams]}
                for v in get_registry().vendors()
            ]
        )

    def on_streams(self, request: Request, vendor: str) -> Response:
        from socialtap.cli import describe_params  # the CLI's `streams --json` shape

        declared = get_registry().get(vendor)
        return _json(
            [
                {
                    "name": s.name,
                    "description": s.description,
                    "records": [r.__name__ for r in s.records],
                    "params": describe_params(s.params),
                }
                for s in declared.streams
            ]
        )

    def on_run(self, request: Request) -> Response:
        task = self._task(request)
        records = iter_records(task)
        first = next(records, None)  # validation and the first request happen here: errors get a status
        wants_ndjson = request.args.get("format") == "ndjson" or NDJSON in request.headers.get("Accept", "")
        if wants_ndjson:
            return Response(_ndjson(first, records), mimetype=NDJSON, direct_passthrough=True)
        items = [] if first is None else [to_item(first)]
        items += [to_item(r) for r in records]
        return _json(items)

    def _task(self, request: Request) -> Task:
        for key in request.args:
            if key != "format":
                raise ConfigError(f"query parameter {key!r} is not accepted: send vendor, stream and params in the JSON body")
        try:
            body = json.loads(request.get_data(as_text=True) or "null")
        except ValueError as exc:
            raise ConfigError(f'the body is not JSON ({exc}); send {{"vendor", "stream", "params"}}') from None
        if not isinstance(body, Mapping):
            raise ConfigError('send a JSON object: {"vendor": ..., "stream": ..., "params": {...}}')
        if "credentials" in body:
            raise ConfigError(
                "credentials are not accepted over HTTP: set SOCIALTAP_<VENDOR>_<FIELD> in the server's environment"
            )
        unknown = sorted(set(body) - {"vendor", "stream", "params", "max_pages"})
        if unknown:
            raise ConfigError(f"unknown field(s) {', '.join(unknown)}; expected vendor, stream, params, max_pages")
        vendor, stream, params = body.get("vendor"), body.get("stream"), body.get("params") or {}
        if not isinstance(vendor, str) or not isinstance(stream, str) or not vendor or not stream:
            raise ConfigError("vendor and stream are required strings")
        if not isinstance(params, Mapping):
            raise ConfigError("params must be a JSON object")
        max_pages = body.get("max_pages")
        if max_pages is not None and (not isinstance(max_pages, int) or isinstance(max_pages, bool) or max_pages < 1):
            raise ConfigError("max_pages must be a positive integer")
        options = Options(max_pages=max_pages)
        credentials = None
        if self.sandbox:
            running = self._sandbox(vendor)
            options = attrs.evolve(options, base_url=running.base_url, sandbox=True)
            credentials = running.credentials
        return Task(vendor, stream, dict(params), credentials, options)

    def _sandbox(self, vendor: str) -> Any:
        from socialtap.testing import serve_sandbox

        with self._lock:
            if vendor not in self._sandboxes:
                get_registry().get(vendor)  # a clear ConfigError for an unknown vendor
                self._sandboxes[vendor] = self._stack.enter_context(serve_sandbox(vendor))
            return self._sandboxes[vendor]

    def close(self) -> None:
        """Stop the sandboxes this app started."""
        self._stack.close()


def _ndjson(first: Any, records: Iterator[Any]) -> Iterator[bytes]:
    if first is None:
        return
    yield (dumps(to_item(first)) + "\n").encode()
    try:
        for record in records:
            yield (dumps(to_item(record)) + "\n").encode()
    except SocialtapError as exc:
        yield (json.dumps({"error": {"type": type(exc).__name__, "message": str(exc)}}) + "\n").encode()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help=f"Address to bind; anything but loopback needs {TOKEN_ENV}.")
@click.option("--port", type=int, default=8787, show_default=True, help="Port (0: any free port, printed on start).")
@click.option("--sandbox", is_flag=True, help="Run every task against the vendor's offline sandbox (for trying workflows).")
def serve_command(host: str, port: int, sandbox: bool) -> None:
    """Serve a small HTTP JSON API for n8n's HTTP Request node until interrupted."""
    from werkzeug.serving import make_server

    token = os.environ.get(TOKEN_ENV) or None
    if not is_loopback(host) and not token:
        click.echo(
            f"error: ConfigError: binding {host} exposes the vendors' credentials to the network; "
            f"set {TOKEN_ENV} to a long random token (clients send Authorization: Bearer <token>) or bind 127.0.0.1",
            err=True,
        )
        sys.exit(ConfigError.exit_code)
    app = ServeApp(token=token, sandbox=sandbox)
    server = make_server(host, port, app, threaded=True)
    bound = server.socket.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"socialtap serve listening on http://{shown}:{bound}{' (sandbox)' if sandbox else ''}; Ctrl-C to stop", err=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.close()


__all__ = ["ServeApp", "is_loopback", "serve_command", "status_for"]
