"""A hostile vendor that quotes back the credentials it received, to prove they never leak.

Wrap any sandbox (``serve_sandbox(vendor, wrap=EchoSecrets.wrapper(status=401))``) and
every answer carries the ``Authorization`` header the client sent, and for HTTP Basic
its decoded ``key:secret``, in every spelling a real API might use:

- an error status (``status=400/401/403/422/500/...``) with a JSON body quoting it in
  ``detail``, ``errors`` (the list a 400/422 becomes ConfigError problems from),
  JSON-escaped (``\\/`` and ``\\uXXXX``), and placed so that a message cut at 300
  characters would cut it mid-string;
- or, with ``status=None``, the sandbox's own answer with the echo added: in the body's
  top-level object, appended to every next-page link in it (so the next request's URL
  holds it), and in response headers (``X-Echo-Authorization``, ``Link``).

``echo_values(header)`` lists what the middleware quotes, for tests that scan for it.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

NEXT_KEYS = ("next", "next_page", "nextPage", "next_url", "nextUrl")
REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 422: "Unprocessable Entity", 500: "Internal Server Error"}


def decoded_basic(authorization: str) -> str | None:
    """``key:secret`` of a ``Basic <b64>`` header value, or None."""
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(token.strip(), validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return None


def echo_values(authorization: str) -> list[str]:
    """What the middleware quotes: the header value, its part after the scheme, Basic's decoded form."""
    values = [authorization]
    _, sep, rest = authorization.partition(" ")
    if sep and rest:
        values.append(rest)
    decoded = decoded_basic(authorization)
    if decoded:
        values.append(decoded)
    return [v for v in values if v]


def base64_forms(value: str) -> list[str]:
    """``value`` base64-encoded, standard and URL-safe, with and without its padding: a
    secret a text holds encoded is still the secret (a canary looks for these too)."""
    import base64

    raw = value.encode()
    forms = {base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
    return sorted(forms | {f.rstrip("=") for f in forms})


class EchoSecrets:
    """WSGI middleware echoing the received credentials (see the module doc).

    :param app: the WSGI app to wrap (a sandbox).
    :param status: answer this error status instead of calling ``app``; None passes the
        request on and adds the echo to the answer.
    :param only: the 1-based request numbers to answer so (None: every request); the
        others go to ``app`` untouched.
    :param pad: characters of filler before the echo in an error body, so a 300-character
        cut falls inside the echoed value.
    """

    def __init__(self, app: Callable[..., Any], *, status: int | None = 401, only: Iterable[int] | None = None, pad: int = 280):
        self.app = app
        self.status = status
        self.only = set(only) if only is not None else None
        self.pad = pad
        self.seen = 0
        self.echoed = 0
        self._lock = threading.Lock()

    @classmethod
    def wrapper(cls, **options: Any) -> Callable[[Callable[..., Any]], EchoSecrets]:
        """A ``wrap=`` argument for :func:`socialtap.testing.serve_sandbox`."""
        return lambda app: cls(app, **options)

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._lock:
            self.seen += 1
            number = self.seen
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        if not authorization or (self.only is not None and number not in self.only):
            return self.app(environ, start_response)
        with self._lock:
            self.echoed += 1
        values = echo_values(authorization)
        headers = [
            ("X-Echo-Authorization", authorization),
            ("Link", f'<{_url(environ)}?echo={quote(authorization, safe="")}>; rel="next"'),
        ]
        if self.status is not None:
            body = self._error_body(values)
            reason = REASONS.get(self.status, "Error")
            start_response(f"{self.status} {reason}", [("Content-Type", "application/json"), *headers])
            return [body]
        return self._pass_through(environ, start_response, values, headers)

    def _error_body(self, values: list[str]) -> bytes:
        data = {
            "hint": "x" * self.pad,  # the echo starts near a 300-character cut
            "detail": f"{values[0]} was refused",
            "errors": [f"credential {v!r} is not valid" for v in values],
            "message": " / ".join(values),
            "received": {"authorization": values[0], "parts": values[1:]},
        }
        # ASCII-escaped and with "\/": the raw body spells the secret differently from the parsed one.
        return json.dumps(data, ensure_ascii=True).replace("/", "\\/").encode()

    def _pass_through(
        self, environ: dict, start_response: Callable[..., Any], values: list[str], headers: list[tuple[str, str]]
    ) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured["status"], captured["headers"] = status, response_headers
            return lambda data: None

        chunks = self.app(environ, capture)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        out_headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
        if isinstance(payload, dict):
            payload = _echo_links(payload, values[0])
            payload["echo"] = {"authorization": values[0], "parts": values[1:]}
            body = json.dumps(payload).encode()
        start_response(captured["status"], [*out_headers, *headers, ("Content-Length", str(len(body)))])
        return [body]


def _echo_links(value: Any, authorization: str) -> Any:
    """``value`` with ``echo=<authorization>`` added to every next-page link in it."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in NEXT_KEYS and isinstance(item, str) and item:
                joiner = "&" if "?" in item else "?"
                out[key] = f"{item}{joiner}echo={quote(authorization, safe='')}"
            else:
                out[key] = _echo_links(item, authorization)
        return out
    if isinstance(value, list):
        return [_echo_links(v, authorization) for v in value]
    return value


def _url(environ: dict) -> str:
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', '127.0.0.1')}:{environ.get('SERVER_PORT', '80')}"
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}"


__all__ = ["EchoSecrets", "base64_forms", "decoded_basic", "echo_values"]
