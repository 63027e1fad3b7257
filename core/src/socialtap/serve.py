"""``socialtap serve``: a small HTTP JSON API for the Socialtap n8n node, n8n's HTTP Request node (and curl).

Routes (JSON unless noted):

- ``GET /health`` -> ``{"status": "ok"}`` (no token needed: for liveness checks)
- ``GET /vendors`` -> ``[{"name", "title", "base_url", "streams": [...]}, ...]``
- ``GET /vendors/<vendor>/streams`` -> the vendor's streams with their params
- ``GET /vendors/<vendor>/spec`` and ``GET /vendors/<vendor>/streams/<stream>/spec`` -> ``socialtap
  spec``: JSON Schema of the credentials and the streams' params (forms are built from it)
- ``POST /check`` with ``{"vendor", "yes"?, "params"?, "credentials"?}`` -> ``{"ok": true, "message", ...}`` when the
  vendor answered its cheapest authenticated call (:mod:`socialtap.check`), else
  ``{"ok": false, "error": {"type", "message"}}`` (refused credentials, unreachable);
  400 for bad input, such as a check that costs something without ``"yes": true``.
- ``POST /run`` with ``{"vendor", "stream", "params", "max_pages"?, "incremental"?, "credentials"?}`` -> the records as a
  JSON array (each with a ``type`` field; n8n makes one item per element), or NDJSON
  streamed as records arrive with ``?format=ndjson`` or ``Accept: application/x-ndjson``.

Errors are ``{"error": {"type", "message"}}`` with 400 (bad request or params), 401
(missing or wrong bearer token), 404 (unknown route or vendor entity), 405 (wrong
method), 413 (a body over 1 MiB), 429 (vendor quota), 502 (the vendor failed or refused
socialtap's credentials) or 500 (a bug: a generic message, the details go to the server's
log). Never an HTML page. An NDJSON stream that fails after its first record ends with
one ``{"error": ...}`` line instead, whatever the failure.

Security: it binds 127.0.0.1 by default. Binding any other address requires
``SOCIALTAP_SERVE_TOKEN`` (at least 16 characters), then every route but /health needs
``Authorization: Bearer <token>``.
Vendor credentials come from the server's environment (``SOCIALTAP_<VENDOR>_<FIELD>``) or,
per request, from the body's ``credentials`` object (the n8n node sends those kept in n8n's
credential store). A request may carry credentials only when the server has a token (so it
was checked) or comes from a loopback address; otherwise 403. They are used for that one
task: never logged, stored or echoed (messages are redacted as every task's are).
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
import logging
import os
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs
import click
from werkzeug.exceptions import Forbidden, HTTPException, NotFound, RequestEntityTooLarge
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from socialtap.errors import ConfigError, NotFoundError, QuotaError, SocialtapError
from socialtap.plugins import get_registry
from socialtap.records import dumps, to_item
from socialtap.runner import Options, Task, iter_records

TOKEN_ENV = "SOCIALTAP_SERVE_TOKEN"
NDJSON = "application/x-ndjson"
MAX_BODY = 1024 * 1024
MIN_TOKEN_LENGTH = 16
INTERNAL_ERROR = "socialtap hit an unexpected error; the details are in the server's log"

log = logging.getLogger(__name__)


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
                Rule("/vendors/<vendor>/spec", endpoint="spec", methods=["GET"]),
                Rule("/vendors/<vendor>/streams/<stream>/spec", endpoint="spec", methods=["GET"]),
                Rule("/run", endpoint="run", methods=["POST"]),
                Rule("/check", endpoint="check", methods=["POST"]),
            ]
        )
    )
    _sandboxes: dict[str, Any] = attrs.field(factory=dict, repr=False)
    _stack: contextlib.ExitStack = attrs.field(factory=contextlib.ExitStack, repr=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, repr=False)

    def __call__(self, environ: dict, start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        # One byte over the limit, so reading MAX_BODY + 1 bytes can tell "over" from "exactly".
        request.max_content_length = MAX_BODY + 1
        try:
            endpoint, values = self.url_map.bind_to_environ(environ).match()
            if endpoint != "health" and not self._authorized(request):
                response = _error("Unauthorized", f"send Authorization: Bearer <the server's {TOKEN_ENV}>", 401)
                response.headers["WWW-Authenticate"] = "Bearer"
            else:
                response = getattr(self, f"on_{endpoint}")(request, **values)
        except NotFound:
            response = _error("NotFound", "no such route; try GET /vendors or POST /run", 404)
        except RequestEntityTooLarge:
            response = _error(
                "RequestEntityTooLarge", f"the body is over {MAX_BODY} bytes; send only vendor, stream and params", 413
            )
        except HTTPException as exc:
            response = _error(type(exc).__name__, exc.description or exc.name, exc.code or 400)
        except SocialtapError as exc:
            response = _error(type(exc).__name__, str(exc), status_for(exc))
        except Exception:
            # A bug, not bad input: log the traceback for the operator, and give the client
            # JSON it can parse rather than werkzeug's HTML page (and no internals).
            log.exception("socialtap serve: unexpected error on %s %s", request.method, request.path)
            response = _error("InternalError", INTERNAL_ERROR, 500)
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

    def on_spec(self, request: Request, vendor: str, stream: str | None = None) -> Response:
        from socialtap.schema import spec

        return _json(spec(get_registry().get(vendor), stream))

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

    def on_check(self, request: Request) -> Response:
        from socialtap.check import run_check, sandbox_check_params

        body = _json_object(request, '{"vendor": ..., "yes": false, "params": {}}')
        unknown = sorted(set(body) - {"vendor", "yes", "params", "credentials"})
        if unknown:
            raise ConfigError(f"unknown field(s) {', '.join(unknown)}; expected vendor, yes, params and credentials")
        vendor, yes, params = body.get("vendor"), body.get("yes", False), body.get("params", {})
        if not isinstance(vendor, str) or not vendor or not isinstance(yes, bool) or not isinstance(params, dict):
            raise ConfigError("vendor is a required string; yes, if given, is true or false; params, if given, an object")
        options, credentials = Options(), self._credentials(request, body)
        if self.sandbox:
            params = sandbox_check_params(vendor, params, yes=yes, how_to_agree='"yes": true')
            running = self._sandbox(vendor)
            options, credentials = Options(base_url=running.base_url, sandbox=True), credentials or running.credentials
        try:
            result = run_check(
                vendor, credentials=credentials, options=options, yes=yes, how_to_agree='"yes": true', params=params
            )
        except ConfigError:
            raise  # bad input: a 400 like every other route
        except SocialtapError as exc:
            # The vendor refused or could not be reached: that is the check's answer, not a failure of /check.
            return _json({"ok": False, "vendor": vendor, "error": {"type": type(exc).__name__, "message": str(exc)}})
        return _json(result.as_dict())

    def _task(self, request: Request) -> Task:
        for key in request.args:
            if key != "format":
                raise ConfigError(f"query parameter {key!r} is not accepted: send vendor, stream and params in the JSON body")
        body = _json_object(request, '{"vendor": ..., "stream": ..., "params": {...}}')
        unknown = sorted(set(body) - {"vendor", "stream", "params", "max_pages", "incremental", "credentials"})
        if unknown:
            raise ConfigError(
                f"unknown field(s) {', '.join(unknown)}; expected vendor, stream, params, max_pages, incremental, credentials"
            )
        vendor, stream, params = body.get("vendor"), body.get("stream"), body.get("params") or {}
        if not isinstance(vendor, str) or not isinstance(stream, str) or not vendor or not stream:
            raise ConfigError("vendor and stream are required strings")
        if not isinstance(params, Mapping):
            raise ConfigError("params must be a JSON object")
        max_pages = body.get("max_pages")
        if max_pages is not None and (not isinstance(max_pages, int) or isinstance(max_pages, bool) or max_pages < 1):
            raise ConfigError("max_pages must be a positive integer")
        incremental = body.get("incremental", False)
        if not isinstance(incremental, bool):
            raise ConfigError("incremental must be true or false")
        options = Options(max_pages=max_pages, incremental=incremental)
        credentials = self._credentials(request, body)
        if self.sandbox:
            running = self._sandbox(vendor)
            options = attrs.evolve(options, base_url=running.base_url, sandbox=True)
            credentials = credentials or running.credentials
        return Task(vendor, stream, dict(params), credentials, options)

    def _credentials(self, request: Request, body: Mapping[str, Any]) -> dict[str, str] | None:
        """The body's per-request ``credentials``, or None; 403 when this request may not send any.

        Only a request that showed the server's token (checked before any route runs) or
        came from this machine may: otherwise anyone who can reach the port could make the
        server send requests in their name. The values are never put in a message.
        """
        if "credentials" not in body:
            return None
        if not self.token and not is_loopback(request.remote_addr or ""):
            raise Forbidden(
                f"per-request credentials need the server's {TOKEN_ENV} (Authorization: Bearer) "
                "or a client on this machine; or set SOCIALTAP_<VENDOR>_<FIELD> in the server's environment"
            )
        given = body["credentials"]
        if not isinstance(given, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in given.items()):
            raise ConfigError('credentials must be a JSON object of strings: {"<field>": "<value>", ...}')
        return {k: v for k, v in given.items() if v} or None

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


def _json_object(request: Request, shape: str) -> Mapping[str, Any]:
    """The request body as a JSON object; ConfigError (400) showing ``shape`` otherwise."""
    try:
        body = json.loads(_read_body(request) or "null")
    except ValueError as exc:
        raise ConfigError(f"the body is not JSON ({exc}); send {shape}") from None
    if not isinstance(body, Mapping):
        raise ConfigError(f"send a JSON object: {shape}")
    return body


def _read_body(request: Request) -> str:
    """The request body as text, at most ``MAX_BODY`` bytes; 413 past that.

    Reading is what enforces the limit, with or without a Content-Length: werkzeug's own
    check only looks at the header, and a chunked body over the limit would otherwise be
    cut short silently and reported as bad JSON.
    """
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise RequestEntityTooLarge()
    data = request.stream.read(MAX_BODY + 1)
    if len(data) > MAX_BODY:
        raise RequestEntityTooLarge()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"the body is not UTF-8 JSON ({exc.reason} at byte {exc.start})") from None


def _ndjson(first: Any, records: Iterator[Any]) -> Iterator[bytes]:
    if first is None:
        return
    try:
        yield (dumps(to_item(first)) + "\n").encode()
        for record in records:
            yield (dumps(to_item(record)) + "\n").encode()
    except SocialtapError as exc:
        yield (json.dumps({"error": {"type": type(exc).__name__, "message": str(exc)}}) + "\n").encode()
    except Exception:
        # The status line is long gone: the error line is the only way the client learns
        # the stream is incomplete, so a bug must end the stream the same way.
        log.exception("socialtap serve: unexpected error in an NDJSON stream")
        yield (json.dumps({"error": {"type": "InternalError", "message": INTERNAL_ERROR}}) + "\n").encode()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help=f"Address to bind; anything but loopback needs {TOKEN_ENV}.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8787, show_default=True, help="Port (0: any free port, printed on start)."
)
@click.option("--sandbox", is_flag=True, help="Run every task against the vendor's offline sandbox (for trying workflows).")
def serve_command(host: str, port: int, sandbox: bool) -> None:
    """Serve a small HTTP JSON API for the Socialtap n8n node and n8n's HTTP Request node until interrupted (Ctrl-C or SIGTERM)."""
    from werkzeug.serving import make_server

    from socialtap.cli import check_can_listen, sigterm_interrupts

    token = os.environ.get(TOKEN_ENV) or None
    problem = bind_problem(host, token)
    if problem:
        click.echo(f"error: ConfigError: {problem}", err=True)
        sys.exit(ConfigError.exit_code)
    app = ServeApp(token=token, sandbox=sandbox)
    bind_host = host.strip("[]")  # --host [::1] and --host ::1 mean the same address
    try:
        check_can_listen(bind_host, port)
        server = make_server(bind_host, port, app, threaded=True)
    except (ConfigError, OSError) as exc:  # taken, or not an address of this machine
        message = str(exc) if isinstance(exc, ConfigError) else f"cannot listen on {host} port {port} ({exc.strerror or exc})"
        click.echo(f"error: ConfigError: {message}", err=True)
        sys.exit(ConfigError.exit_code)
    bound = server.socket.getsockname()[1]
    shown = f"[{bind_host}]" if ":" in bind_host else bind_host
    click.echo(f"socialtap serve listening on http://{shown}:{bound}{' (sandbox)' if sandbox else ''}; Ctrl-C to stop", err=True)
    try:
        with sigterm_interrupts():
            server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.close()


def bind_problem(host: str, token: str | None) -> str | None:
    """Why serving on ``host`` with ``token`` is refused, or None when it is allowed."""
    if is_loopback(host):
        return None
    if not token:
        return (
            f"binding {host} exposes the vendors' credentials to the network; set {TOKEN_ENV} to a long random token "
            f"(clients send Authorization: Bearer <token>) or bind 127.0.0.1"
        )
    if len(token) < MIN_TOKEN_LENGTH:
        return (
            f"{TOKEN_ENV} is {len(token)} characters; binding {host} needs at least {MIN_TOKEN_LENGTH} "
            f"(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return None


__all__ = ["ServeApp", "bind_problem", "is_loopback", "serve_command", "status_for"]
