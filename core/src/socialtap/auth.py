"""Auth schemes vendors declare in ``Vendor.auth`` (applied by :mod:`socialtap.default_auth`).

A scheme names the credential fields it needs (:meth:`AuthScheme.fields`) and builds a
``requests`` auth object from them (:meth:`AuthScheme.build`). The engine applies that
object to each request only at send time, after the URL passed the origin check, so a
:class:`~socialtap.http.Request` never holds a credential and may be logged, traced or
checkpointed. The auth objects never show a secret in ``repr``, so a stray log line or
traceback cannot leak it; :func:`socialtap.secrets.secret_values` derives every string a
scheme sends (header values, query values, a fetched access token) so the engine redacts
them from messages and logs.

What each scheme sends, with credentials ``{"token": "t0k"}`` or ``{"api_key": "k3y"}``:

============================================  ==========================================
declaration                                   sent
============================================  ==========================================
``Bearer()``                                  ``Authorization: Bearer t0k``
``TokenPrefix()``                             ``Authorization: Token k3y``
``ApikeyAuthorization()`` (``ApiKeyPrefix``)  ``Authorization: Apikey k3y``
``AuthorizationPrefix("ApiKey")``             ``Authorization: ApiKey k3y``
``HeaderKey("X-API-Key")``                    ``X-API-Key: k3y``
``QueryKey("api_key")``                       ``?api_key=k3y`` on every request's URL
``Basic()``                                   ``Authorization: Basic base64(key:secret)``
``OAuth2ClientCredentials("/oauth/token")``   ``Authorization: Bearer <fetched token>``
============================================  ==========================================
"""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

import attrs
import requests

from socialtap import clock
from socialtap.errors import AuthError, ConfigError, PayloadError, QuotaError, VendorError
from socialtap.http import origin, unsafe_reason

__all__ = [
    "ApiKeyPrefix",
    "ApikeyAuthorization",
    "AuthScheme",
    "AuthorizationPrefix",
    "Basic",
    "Bearer",
    "HeaderAuth",
    "HeaderKey",
    "HeaderScheme",
    "OAuth2ClientCredentials",
    "OAuth2ClientCredentialsAuth",
    "QueryAuth",
    "QueryKey",
    "TokenPrefix",
]


class HeaderAuth(requests.auth.AuthBase):
    """Sets one header to a fixed value on every request; the value is never shown in ``repr``."""

    def __init__(self, header: str, value: str):
        self.header = header
        self._value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers[self.header] = self._value
        return request

    def __repr__(self) -> str:
        return f"HeaderAuth({self.header!r}, '***')"


class QueryAuth(requests.auth.AuthBase):
    """Sets one query parameter on every request's URL, replacing any value it already had.

    Replacing, not appending: a vendor that echoes the key in its next-page links must not
    make the engine send it twice (or send a stale key). The value is never shown in ``repr``.
    """

    def __init__(self, param: str, value: str):
        self.param = param
        self._value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        parts = urlsplit(request.url or "")
        kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != self.param]
        query = urlencode([*kept, (self.param, self._value)], quote_via=quote)
        request.url = urlunsplit(parts._replace(query=query))
        return request

    def __repr__(self) -> str:
        return f"QueryAuth({self.param!r}, '***')"


class AuthScheme(Protocol):
    """What ``Vendor.auth`` holds: the credential fields a scheme needs and how to build its auth object."""

    def fields(self) -> tuple[tuple[str, ...], ...]:
        """Alternative sets of credential fields; one complete set is enough."""

    def build(self, credentials: Mapping[str, str]) -> requests.auth.AuthBase:
        """The auth object from a complete set of credentials."""


@attrs.frozen
class HeaderScheme:
    """``<header>: <prefix> <credential>`` (just ``<header>: <credential>`` when ``prefix`` is empty).

    The family :func:`Bearer`, :func:`TokenPrefix`, :func:`AuthorizationPrefix` and
    :func:`HeaderKey` belong to; declare one of those by name rather than this class.
    ``HeaderScheme("token", "Bearer")`` sends ``Authorization: Bearer <token>``.

    - ``field``: the credential field holding the secret.
    - ``prefix``: the scheme word before it (``Bearer``, ``Token``, ``Apikey``); empty for none.
    - ``header``: the header set (``Authorization``).
    """

    field: str = "token"
    prefix: str = "Bearer"
    header: str = "Authorization"

    def fields(self) -> tuple[tuple[str, ...], ...]:
        """One credential field: ``field``."""
        return ((self.field,),)

    def build(self, credentials: Mapping[str, str]) -> requests.auth.AuthBase:
        """A :class:`HeaderAuth` setting ``header`` to ``prefix`` and the credential."""
        value = credentials[self.field]
        return HeaderAuth(self.header, f"{self.prefix} {value}" if self.prefix else value)


def Bearer(field: str = "token") -> HeaderScheme:  # noqa: N802 - reads as a declaration
    """``Authorization: Bearer <token>`` from the credential ``field`` (default ``token``)."""
    return HeaderScheme(field, "Bearer")


def TokenPrefix(field: str = "api_key") -> HeaderScheme:  # noqa: N802
    """``Authorization: Token <key>`` (Django REST framework style) from ``field`` (default ``api_key``)."""
    return HeaderScheme(field, "Token")


def AuthorizationPrefix(prefix: str, field: str = "api_key") -> HeaderScheme:  # noqa: N802
    """``Authorization: <prefix> <key>`` for any scheme word a vendor documents.

    ``AuthorizationPrefix("Apikey")`` sends ``Authorization: Apikey <key>``;
    ``AuthorizationPrefix("SSWS")`` sends ``Authorization: SSWS <key>``.
    """
    if not prefix or any(c.isspace() for c in prefix):
        raise ConfigError(f"AuthorizationPrefix needs one scheme word such as 'Apikey', not {prefix!r}")
    return HeaderScheme(field, prefix)


def ApikeyAuthorization(field: str = "api_key") -> HeaderScheme:  # noqa: N802
    """``Authorization: Apikey <key>``: the key in the Authorization header behind the word ``Apikey``.

    Not an ``X-API-Key`` header (that is :func:`HeaderKey`) nor a query parameter (that is
    :func:`QueryKey`). Same as ``AuthorizationPrefix("Apikey", field)``.
    """
    return HeaderScheme(field, "Apikey")


def ApiKeyPrefix(field: str = "api_key") -> HeaderScheme:  # noqa: N802
    """``Authorization: Apikey <key>``: the older name of :func:`ApikeyAuthorization`, kept working.

    "Prefix" means the word ``Apikey`` before the key in the ``Authorization`` header.
    """
    return ApikeyAuthorization(field)


def HeaderKey(header: str = "X-API-Key", field: str = "api_key") -> HeaderScheme:  # noqa: N802
    """``<header>: <key>``: an API key alone in a header of the vendor's choosing.

    ``HeaderKey("X-API-Key")`` sends ``X-API-Key: <key>`` from the credential ``api_key``;
    ``HeaderKey("api-key", field="key")`` sends ``api-key: <key>`` from the credential ``key``.
    """
    if not header or any(c.isspace() or c == ":" for c in header):
        raise ConfigError(f"HeaderKey needs a header name such as 'X-API-Key', not {header!r}")
    return HeaderScheme(field, "", header)


@attrs.frozen
class QueryKey:
    """``?<param>=<key>``: an API key in a query parameter of every request's URL.

    ``QueryKey("api_key")`` adds ``api_key=<key>`` from the credential ``api_key``;
    ``QueryKey("key", field="token")`` adds ``key=<token>``. The key is added when the
    request is sent, replacing a value the URL already had, so a
    :class:`~socialtap.http.Request` (and a state file's checkpoints) never holds it; the
    engine redacts its value, percent-encoded too, from messages and logs. Prefer a
    header scheme where the vendor offers one: proxies and server logs keep URLs.

    - ``param``: the query parameter's name.
    - ``field``: the credential field holding the key (default: the same as ``param``).
    """

    param: str = "api_key"
    field: str | None = None

    def __attrs_post_init__(self) -> None:
        if not self.param:
            raise ConfigError("QueryKey needs the name of the query parameter, such as 'api_key'")

    @property
    def credential(self) -> str:
        """The credential field read: ``field``, or ``param`` when no field is given."""
        return self.field or self.param

    def fields(self) -> tuple[tuple[str, ...], ...]:
        """One credential field: :attr:`credential`."""
        return ((self.credential,),)

    def build(self, credentials: Mapping[str, str]) -> requests.auth.AuthBase:
        """A :class:`QueryAuth` setting ``param`` to the credential."""
        return QueryAuth(self.param, credentials[self.credential])


@attrs.frozen
class Basic:
    """``Authorization: Basic base64(<username>:<password>)``.

    From the ``username`` + ``password`` credential fields (default ``api_key`` and
    ``api_secret``), or from an already base64-encoded ``token`` field
    (``base64(key:secret)``) when the first pair is not given.

    - ``username`` / ``password``: the credential fields of the two halves.
    - ``token``: the credential field of a ready ``base64(key:secret)``; None for none.
    """

    username: str = "api_key"
    password: str = "api_secret"
    token: str | None = "token"

    def fields(self) -> tuple[tuple[str, ...], ...]:
        """``(username, password)``, or ``(token,)`` alone."""
        sets: tuple[tuple[str, ...], ...] = ((self.username, self.password),)
        return (*sets, (self.token,)) if self.token else sets

    def build(self, credentials: Mapping[str, str]) -> requests.auth.AuthBase:
        """A :class:`HeaderAuth` setting ``Authorization: Basic ...``."""
        if credentials.get(self.username) and credentials.get(self.password):
            raw = f"{credentials[self.username]}:{credentials[self.password]}".encode()
            encoded = base64.b64encode(raw).decode("ascii")
        else:
            encoded = credentials[self.token or ""]
        return HeaderAuth("Authorization", f"Basic {encoded}")


# -- OAuth2 client credentials (RFC 6749 §4.4) ----------------------------------------------

_LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}


@attrs.frozen
class OAuth2ClientCredentials:
    """``Authorization: Bearer <access token>``, the token fetched with the client credentials grant.

    RFC 6749 §4.4: the client POSTs ``grant_type=client_credentials`` (and ``scope`` when
    given) to ``token_url``, authenticated with HTTP Basic ``client_id:client_secret``
    (``client_auth="basic"``, the RFC's recommendation) or with ``client_id`` and
    ``client_secret`` in the form body (``client_auth="body"``). The answer's
    ``access_token`` is cached until ``expires_in`` minus ``margin`` seconds (read with
    :func:`socialtap.clock.now`), fetched again after that, and fetched again once when
    the API answers 401 to a request sent with it. One token is shared by every thread and
    every auth object built from the same credentials in the process; only one fetch runs
    at a time.

    ``token_url`` is either a path (``/oauth/token``), resolved on the origin of the
    request being signed, which the engine has already checked is the vendor's (so
    ``--base-url`` and the sandbox get their tokens from themselves); or an absolute
    ``https`` URL the plugin declares for a separate authorization server (plain ``http``
    only on loopback). The client secret is sent nowhere else: the token request never
    follows a redirect.

    Steps a vendor with a non-standard token endpoint overrides in a subclass:
    :meth:`token_request` (what is posted) and :meth:`parse_token` (reading the answer).

    - ``token_url``: the token endpoint: a path on the vendor's origin or an absolute https URL.
    - ``client_id_field`` / ``client_secret_field``: the credential fields of the client id and secret.
    - ``scope``: the space-separated scopes to ask for; None asks for the client's default.
    - ``client_auth``: ``basic`` (HTTP Basic, RFC 6749 §2.3.1) or ``body`` (in the form).
    - ``margin``: seconds before expiry at which a token is fetched again (at most half its life).
    - ``default_expires_in``: the lifetime assumed when the answer has no ``expires_in``.
    - ``timeout``: seconds to wait for the token endpoint.
    """

    token_url: str
    client_id_field: str = "client_id"
    client_secret_field: str = "client_secret"
    scope: str | None = None
    client_auth: str = attrs.field(default="basic", validator=attrs.validators.in_(("basic", "body")))
    margin: float = 60.0
    default_expires_in: float = 3600.0
    timeout: float = 30.0

    def __attrs_post_init__(self) -> None:
        if self.token_url.startswith("/") and not self.token_url.startswith("//"):
            return
        problem = unsafe_reason(self.token_url)
        if problem is None:
            scheme, host, _ = origin(self.token_url)
            if scheme != "https" and host not in _LOOPBACK:
                problem = "the client secret would travel unencrypted; use https"
        if problem is not None:
            raise ConfigError(
                f"OAuth2 token_url {self.token_url!r} is refused: {problem}. Give a path on the vendor's origin "
                f"('/oauth/token') or an absolute https URL."
            )

    def fields(self) -> tuple[tuple[str, ...], ...]:
        """One set: ``(client_id_field, client_secret_field)``."""
        return ((self.client_id_field, self.client_secret_field),)

    def build(self, credentials: Mapping[str, str]) -> OAuth2ClientCredentialsAuth:
        """An :class:`OAuth2ClientCredentialsAuth` for these credentials (no request is sent yet)."""
        return OAuth2ClientCredentialsAuth(self, credentials[self.client_id_field], credentials[self.client_secret_field])

    def token_request(self, client_id: str, client_secret: str) -> tuple[dict[str, str], dict[str, str]]:
        """The headers and form fields of the token request (RFC 6749 §4.4.2, §2.3.1)."""
        form = {"grant_type": "client_credentials"}
        if self.scope:
            form["scope"] = self.scope
        headers = {"Accept": "application/json"}
        if self.client_auth == "basic":
            # §2.3.1: each part form-urlencoded before the Basic encoding.
            pair = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        else:
            form.update(client_id=client_id, client_secret=client_secret)
        return headers, form

    def parse_token(self, payload: Any) -> tuple[str, float]:
        """``(access_token, expires_in seconds)`` from the token endpoint's JSON (RFC 6749 §5.1)."""
        token = payload.get("access_token") if isinstance(payload, Mapping) else None
        if not isinstance(token, str) or not token:
            keys = sorted(payload) if isinstance(payload, Mapping) else type(payload).__name__
            raise PayloadError(f"the OAuth2 token endpoint answered without an access_token (got {keys})")
        token_type = str(payload.get("token_type") or "bearer")
        if token_type.lower() != "bearer":
            raise PayloadError(f"the OAuth2 token endpoint issued a {token_type!r} token; only bearer tokens are supported")
        try:
            expires_in = float(payload.get("expires_in") or self.default_expires_in)
        except (TypeError, ValueError):
            expires_in = self.default_expires_in
        return token, expires_in


@attrs.define
class _Token:
    value: str
    expires_at: float  # seconds since the epoch, by socialtap.clock


# One token per (token endpoint, client, scope) in the process, shared by every auth object
# built from the same credentials: the runner builds auth more than once per run, and an
# Airflow worker or `socialtap serve` runs many tasks; none should fetch a token it already has.
_TOKENS: dict[tuple[Any, ...], _Token] = {}
_TOKENS_LOCK = threading.Lock()
_FETCH_LOCKS: dict[tuple[Any, ...], threading.Lock] = {}


class OAuth2ClientCredentialsAuth(requests.auth.AuthBase):
    """The auth object :class:`OAuth2ClientCredentials` builds: sets ``Authorization: Bearer <token>``.

    Fetches the token on the first request (and when it expires), refreshes it once on a
    401 and resends the request. Secrets never show in ``repr``. :meth:`secret_values`
    and :meth:`watch_secrets` let the engine redact the client credentials and every
    access token this object fetches.
    """

    def __init__(self, scheme: OAuth2ClientCredentials, client_id: str, client_secret: str):
        self.scheme = scheme
        self._client_id = client_id
        self._client_secret = client_secret
        self._watchers: list[Callable[[Iterable[str]], None]] = []
        self._reported: set[str] = set()
        self.fetches = 0
        # Hashed: the cache key is the one place credentials would otherwise sit in a dict key.
        digest = hashlib.sha256(f"{client_id}\0{client_secret}".encode()).hexdigest()
        self._key_base = (scheme.client_auth, scheme.scope, digest)

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentialsAuth({self.scheme.token_url!r}, '***')"

    # -- secrets --------------------------------------------------------------------------

    def secret_values(self) -> list[str]:
        """The client credentials, the Basic header of the token request and the access tokens held now."""
        headers, _ = self.scheme.token_request(self._client_id, self._client_secret)
        values = [self._client_id, self._client_secret, *headers.values()]
        with _TOKENS_LOCK:
            tokens = [t.value for k, t in _TOKENS.items() if k[1:] == self._key_base]
        return [v for v in values if v and v != "application/json"] + [f"Bearer {t}" for t in tokens]

    def watch_secrets(self, callback: Callable[[Iterable[str]], None]) -> None:
        """Call ``callback(values)`` with each new access token (and its header value) this object uses."""
        self._watchers.append(callback)

    def _report(self, token: str) -> str:
        # Also a token another auth object fetched into the shared cache: this one's watchers never saw it.
        if token not in self._reported:
            self._reported.add(token)
            for watcher in list(self._watchers):
                watcher([token, f"Bearer {token}"])
        return token

    # -- tokens ---------------------------------------------------------------------------

    def token_url_for(self, request_url: str) -> str:
        """The absolute token URL: a declared path resolved on ``request_url``'s origin."""
        url = self.scheme.token_url
        if url.startswith("/"):
            scheme, host, port = origin(request_url)
            return urljoin(f"{scheme}://{host}:{port}/", url)
        return url

    def token(self, request_url: str) -> str:
        """A valid access token for requests to ``request_url``'s origin, fetched if need be."""
        key = (self.token_url_for(request_url), *self._key_base)
        with _TOKENS_LOCK:
            cached = _TOKENS.get(key)
            if cached is not None and cached.expires_at > clock.now().timestamp():
                return self._report(cached.value)
            fetch_lock = _FETCH_LOCKS.setdefault(key, threading.Lock())
        with fetch_lock:  # one fetch at a time; the threads that waited take its token
            with _TOKENS_LOCK:
                cached = _TOKENS.get(key)
                if cached is not None and cached.expires_at > clock.now().timestamp():
                    return self._report(cached.value)
            value, expires_in = self.fetch_token(key[0])
            # A token shorter-lived than the margin is still used for half its life, not refetched per request.
            margin = min(self.scheme.margin, expires_in / 2)
            expires_at = clock.now().timestamp() + expires_in - margin
            with _TOKENS_LOCK:
                _TOKENS[key] = _Token(value, expires_at)
            return self._report(value)

    def forget(self, request_url: str, token: str) -> None:
        """Drop the cached token if it is still ``token`` (another thread may have refreshed it already)."""
        key = (self.token_url_for(request_url), *self._key_base)
        with _TOKENS_LOCK:
            if key in _TOKENS and _TOKENS[key].value == token:
                del _TOKENS[key]

    def fetch_token(self, token_url: str) -> tuple[str, float]:
        """POST the token request to ``token_url``; ``(access_token, expires_in)`` or a typed error."""
        headers, form = self.scheme.token_request(self._client_id, self._client_secret)
        where = f"the OAuth2 token endpoint {_origin_text(token_url)}"
        with requests.Session() as session:
            session.trust_env = False  # no proxy or netrc from the environment sees the secret
            try:
                answer = session.post(token_url, data=form, headers=headers, timeout=self.scheme.timeout, allow_redirects=False)
            except requests.RequestException as exc:
                # The engine's transient error: its retry policy retries it like any dropped connection.
                from socialtap.engine import TransientError

                raise TransientError(f"could not reach {where}: {type(exc).__name__}. Check the network, then retry.") from None
        self.fetches += 1
        try:
            payload = answer.json()
        except ValueError:
            payload = None
        status = answer.status_code
        if status >= 300:
            raise _token_error(where, status, payload)
        value, expires_in = self.scheme.parse_token(payload)
        self._report(value)  # before it is ever sent, so an echo of it is already redacted
        return value, expires_in

    # -- signing ----------------------------------------------------------------------------

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        token = self.token(request.url or "")
        request.headers["Authorization"] = f"Bearer {token}"
        request.register_hook("response", self._refresh_on_401)
        return request

    def _refresh_on_401(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        """A 401 may mean the vendor revoked the token early: fetch a new one and resend, once."""
        sent = response.request
        if response.status_code != 401 or getattr(sent, "_socialtap_refreshed", False):
            return response
        used = (sent.headers.get("Authorization") or "").removeprefix("Bearer ")
        self.forget(sent.url or "", used)
        response.content  # noqa: B018 - read the body so the connection can be reused
        response.close()
        again = sent.copy()
        again.headers["Authorization"] = f"Bearer {self.token(sent.url or '')}"
        again._socialtap_refreshed = True  # type: ignore[attr-defined]
        retried = response.connection.send(again, **kwargs)
        retried.history.append(response)
        retried.request = again
        return retried


def _origin_text(url: str) -> str:
    scheme, host, port = origin(url)
    return f"{scheme}://{host}:{port}"


def _token_error(where: str, status: int, payload: Any) -> Exception:
    """The typed error of a refused token request (RFC 6749 §5.2), quoting only its error code."""
    code = str(payload.get("error", "")) if isinstance(payload, Mapping) else ""
    shown = f" ({code[:60]})" if code else ""
    if status in (400, 401, 403) and code == "invalid_scope":
        return ConfigError(f"{where} refused the scope{shown}: check the scope the plugin declares", status=status)
    if status in (400, 401, 403):
        return AuthError(
            f"{where} refused the client credentials: HTTP {status}{shown}. Check the client id and secret.", status=status
        )
    if status == 429:
        return QuotaError(f"{where} is rate limiting token requests: HTTP 429. Wait, then retry.", status=status)
    if status >= 500:
        from socialtap.engine import TransientError  # retried by the engine's policy, like a 5xx page

        return TransientError(f"{where} answered HTTP {status}{shown}. This is the vendor's side; retry later.", status=status)
    return VendorError(f"{where} answered HTTP {status}{shown}; the token request was not accepted.", status=status)


def _clear_token_cache() -> None:
    """Forget every cached access token (tests; a user who rotated the client secret need not)."""
    with _TOKENS_LOCK:
        _TOKENS.clear()

