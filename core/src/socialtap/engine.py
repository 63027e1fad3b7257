"""The one engine that does all HTTP for every plugin.

It resolves a :class:`~socialtap.http.Request` against the vendor's base URL, refuses
any origin but the base URL's, signs it with the vendor's auth, sends it with timeouts,
calls the cross-cutting hooks, caps the body size, parses JSON, and turns error statuses
into typed errors whose messages never hold a secret.

Origins are decided on the request requests is about to send, read with urllib3's
parser (the one that opens the connection), never with urllib.parse, which reads
``http://evil\\@api/`` as ``api``. An absolute URL from a plugin or a server (a next
link, a redirect ``Location``, resolved per RFC 3986 against the response's URL) is
refused outright when it holds a backslash, whitespace, a control character, user info
or a percent-encoded host, or when the two parsers disagree on it. A different scheme
(https -> http), host or port is another origin. Credentials are applied only after
the check passes.

Every body is read against two clocks: ``read_timeout`` per read and
``response_timeout`` for the whole response, so a server dripping one byte at a time
cannot hold a worker forever (a TransientError, retried like a dropped connection).

:meth:`Engine.fetch` adds what makes a run survive a real API: every attempt first takes
a slot from the (vendor, credential) rate limit (:mod:`socialtap.ratelimit`), and an
attempt that failed in a way waiting can fix is retried by the policy of
:mod:`socialtap.retry`. The cross-cutting hooks see every attempt with its number.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import logging
import re
import threading
import time
from collections.abc import Iterable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import attrs
import requests
import tenacity
import urllib3

from socialtap.credits import NO_CHARGE, CreditLedger
from socialtap.declarations import Vendor
from socialtap.errors import (
    AuthError,
    ConfigError,
    NotFoundError,
    PayloadError,
    QuotaError,
    SecurityError,
    SocialtapError,
    VendorError,
)
from socialtap.http import Request, Response, origin, resolve_link, resolve_url, unsafe_reason
from socialtap.logs import vendor_logger
from socialtap.ratelimit import Throttle
from socialtap.retry import RetryableFailure, RetryPolicy, RetrySafety, header, parse_retry_after, retrying
from socialtap.secrets import Redactor, install_log_redactor, secret_values, uninstall_log_redactor

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
QUOTA_WORDS = re.compile(r"quota|credit|rate.?limit|too many|exceeded|limit reached|usage limit", re.IGNORECASE)
MAX_REDIRECTS = 5
# 5 minutes: 32 MiB (the default size cap) at ~110 KB/s; a vendor page is far smaller.
DEFAULT_RESPONSE_TIMEOUT = 300.0
E = TypeVar("E", bound=BaseException)


class TransientError(VendorError):
    """The vendor could not be reached or broke the connection (a retry may help)."""


class NotSentError(TransientError):
    """The request never reached the vendor: the connection was refused, timed out while
    connecting, or the host name did not resolve. Sending it again cannot repeat a call
    the vendor carried out (see :class:`socialtap.retry.RetrySafety`)."""


@attrs.frozen
class EngineOptions:
    """HTTP settings of a run."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_response_bytes: int = DEFAULT_MAX_BYTES
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    # The whole response (status line to last byte) must arrive within this many seconds,
    # however steadily the bytes trickle in: ``read_timeout`` only bounds each read.
    response_timeout: float = DEFAULT_RESPONSE_TIMEOUT


MAX_DETAIL = 300  # characters of a vendor's error body quoted in a message, cut after redaction


def user_agent(vendor_distribution: str | None = None) -> str:
    parts = [f"socialtap/{_version('socialtap')}"]
    if vendor_distribution:
        parts.append(vendor_distribution.replace(" ", "/"))
    parts.append(f"python-requests/{requests.__version__}")
    return " ".join(parts)


def _version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "0"


class Engine:
    """Sends requests for one vendor and credential set.

    Thread-safe: each worker thread gets its own ``requests.Session`` so connections are
    reused without sharing a session across threads.
    """

    def __init__(
        self,
        vendor: Vendor,
        base_url: str,
        auth: requests.auth.AuthBase,
        hook: Any,
        *,
        options: EngineOptions | None = None,
        secrets: Iterable[str] = (),
        env_hint: str = "",
        user_agent: str | None = None,
        throttle: Throttle | None = None,
        sleep: Any = time.sleep,
    ):
        reason = unsafe_reason(base_url)
        if reason is not None:
            raise ConfigError(f"the base URL for {vendor.name} is refused: {reason}. Give a plain http(s)://host[:port]/path.")
        self.vendor = vendor
        self.base_url = base_url
        self.base_origin = origin(base_url)
        self.auth = auth
        self.hook = hook
        self.options = options or EngineOptions()
        # The engine knows the auth it signs with, so it derives the full secret set itself
        # (header value, its parts, Basic's decoded key:secret) from whatever it was given.
        self.secrets = sorted(secret_values([s for s in secrets if s], auth=auth))
        self.redactor = Redactor(self.secrets)
        # An auth that obtains secrets mid-run (an OAuth2 access token) reports each one.
        watch = getattr(auth, "watch_secrets", None)
        if callable(watch):
            watch(self.redactor.add)
        install_log_redactor(self.redactor)
        self.log = vendor_logger(vendor.name)
        self.env_hint = env_hint
        self.user_agent = user_agent or globals()["user_agent"]()
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        self.throttle = throttle
        self.sleep = sleep
        # Set by the runner for a vendor that declares pricing: every attempt is priced,
        # budgeted and, when the vendor may have carried it out, billed (socialtap.credits).
        self.ledger: CreditLedger | None = None
        self.requests_sent = 0
        self.bytes_received = 0
        self.retries = 0
        self.rate_limit_waits = 0
        self.rate_limit_wait_seconds = 0.0
        self._counter_lock = threading.Lock()

    # -- sessions ---------------------------------------------------------------------

    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # no proxies or netrc credentials from the environment
            session.headers["User-Agent"] = self.user_agent
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._sessions_lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
        uninstall_log_redactor(self.redactor)

    # -- secrets ----------------------------------------------------------------------

    def redact(self, text: str) -> str:
        """``text`` with every secret of this engine's credentials replaced by ``***``."""
        return self.redactor.text(text)

    def redact_error(self, exc: E) -> E:
        """Redact ``exc`` (and its chain) in place; the one choke point errors pass on their way out."""
        return self.redactor.exception(exc)

    # -- sending ----------------------------------------------------------------------

    def check_origin(self, url: str, *, absolute: bool = True) -> None:
        """Raise SecurityError unless ``url`` is on the base URL's origin.

        ``absolute`` URLs (from a plugin or a server) must also be unambiguous (see
        :func:`socialtap.http.unsafe_reason`); a path built under the base URL is not
        held to that, as its origin is the base URL's by construction.
        """
        reason = unsafe_reason(url) if absolute else None
        if reason is None:
            try:
                target = origin(url)
            except ValueError:
                reason = "it cannot be parsed as a URL"
        if reason is not None:
            shown = url if len(url) <= 200 else url[:200] + "..."
            raise SecurityError(
                f"refusing to send {self.vendor.name} credentials to {shown!r}: {reason}. The credentials were not sent; "
                f"only the base URL's origin {self._show_origin(self.base_origin)} is trusted.",
                vendor=self.vendor.name,
            )
        if target != self.base_origin:
            raise SecurityError(
                f"refusing to send {self.vendor.name} credentials to {self._show_origin(target)}: "
                f"only the base URL's origin {self._show_origin(self.base_origin)} is trusted, and the credentials "
                f"were not sent. If the vendor moved, set --base-url or {self.vendor.env_var('base_url')}.",
                vendor=self.vendor.name,
            )

    @staticmethod
    def _show_origin(value: tuple[str, str, int | None]) -> str:
        return f"{value[0]}://{value[1]}:{value[2]}"

    def url_of(self, request: Request) -> str:
        return resolve_url(self.base_url, request.url)

    def fetch(
        self,
        request: Request,
        *,
        idempotent: bool | None = None,
        retry: RetrySafety | None = None,
        accept: frozenset[int] = frozenset(),
    ) -> Response:
        """Send with rate limiting and retries; the response, or the typed error of the last attempt.

        ``retry`` is the stream's word (``Stream.retry_safety``); ``idempotent`` the older
        spelling (True: ``ALWAYS``, False: ``NEVER``); neither means "by method". A
        request with an ``Idempotency-Key`` header may always be retried. ``accept``:
        non-2xx statuses that are an answer, not an error (a write's 409 "exists already").
        """
        if retry is None:
            retry = RetrySafety.from_idempotent(idempotent)
        try:
            return self._fetch(request, retry, accept)
        except Exception as exc:
            self.redact_error(exc)
            raise

    def _fetch(self, request: Request, retry: RetrySafety | None, accept: frozenset[int] = frozenset()) -> Response:
        policy = self.options.retry
        safety = policy.safety(request.method, request.headers, retry)
        attempts = 0

        def attempt_once() -> Response:
            nonlocal attempts
            attempts += 1
            if attempts > 1:
                with self._counter_lock:
                    self.retries += 1
            charge = self.ledger.reserve(request) if self.ledger is not None else NO_CHARGE
            self._local.waited = self._take_slot()
            sent = time.monotonic()
            try:
                response = self.send_raw(request, attempts)
            except TransientError as exc:
                charge.settle(sent=not isinstance(exc, NotSentError))
                self._log_request(request, f"no response ({type(exc).__name__})", attempts, time.monotonic() - sent)
                if policy.retries_failure(safety, maybe_sent=not isinstance(exc, NotSentError)):
                    raise RetryableFailure(exc) from None
                raise
            except BaseException:
                charge.settle(sent=False)
                raise
            finally:
                self._release_slot()
            charge.settle(status=response.status)
            if self.throttle is not None:
                self.throttle.observe(response.headers)
            if policy.retries_response(safety, response.status, self.vendor.status_errors):
                retry_after = parse_retry_after(header(response.headers, "Retry-After"))
                if retry_after is None and response.status == 429 and self.vendor.retry_after_default is not None:
                    retry_after = self.vendor.retry_after_default()
                if response.status == 429 and retry_after and self.throttle is not None:
                    self.throttle.pause(retry_after)
                raise RetryableFailure(self.error_for(request, response), retry_after)
            if response.status not in accept or isinstance(response.payload, _NotJson):
                self.raise_for_status(request, response)
            return response

        started = time.monotonic()
        try:
            return retrying(policy, sleep=self.sleep)(attempt_once)
        except tenacity.RetryError as exc:
            failure = exc.last_attempt.exception()
            assert isinstance(failure, RetryableFailure)
            error = failure.error
            waited = time.monotonic() - started
            why = f"gave up after {attempts} attempt(s) in {waited:.1f}s"
            if attempts < policy.max_attempts and failure.retry_after is not None:
                why += f" (the server asked to wait {failure.retry_after:.0f}s more, past the {policy.max_total_wait:.0f}s retry budget)"
            message = f"{why}; last failure: {error}"
            raise type(error)(message, vendor=self.vendor.name, status=getattr(error, "status", None)) from None

    def _release_slot(self) -> None:
        # The response is in: the in-memory window counts the request until a window from now.
        if self.throttle is not None:
            self.throttle.release()

    def _take_slot(self) -> float:
        """Wait for the rate limit's next slot; the seconds the limit held the request."""
        if self.throttle is None:
            return 0.0
        # The engine's sleep: the runner's wakes up (and raises) as soon as the run stops.
        waited = self.throttle.acquire(sleep=self.sleep)
        if waited > 0.001:
            with self._counter_lock:
                self.rate_limit_waits += 1
                self.rate_limit_wait_seconds += waited
        return waited

    def _log_request(self, request: Request, outcome: str, attempt: int, seconds: float) -> None:
        """The one INFO line of a request: method, path (no query: keys travel there), outcome, time, attempt, wait."""
        if not self.log.isEnabledFor(logging.INFO):
            return
        path = self.redact(urlsplit(self.url_of(request)).path)
        waited = getattr(self._local, "waited", 0.0)
        wait = f", waited {waited:.2f}s for the rate limit" if waited > 0.001 else ""
        self.log.info("%s %s %s in %dms (attempt %d%s)", request.method, path, outcome, seconds * 1000, attempt, wait)

    def send(self, request: Request, attempt: int = 1) -> Response:
        """Send once and return the response, or raise the typed error its status means."""
        try:
            response = self.send_raw(request, attempt)
            self.raise_for_status(request, response)
        except Exception as exc:
            self.redact_error(exc)
            raise
        return response

    def send_raw(self, request: Request, attempt: int = 1) -> Response:
        """Send once and return the response whatever its status (network errors raise)."""
        url = self.url_of(request)
        # A plugin's path is joined under the base URL; anything else came whole from
        # a plugin or a server and is held to the strict check.
        self.check_origin(url, absolute=url == request.url or request.url.startswith("//"))
        self.hook.socialtap_before_request(vendor=self.vendor, request=request, attempt=attempt)
        started = time.monotonic()
        params: list[tuple[str, str]] | None = list(request.query) or None
        for _ in range(MAX_REDIRECTS + 1):
            raw = self._send_checked(request, url, params)
            with self._counter_lock:
                self.requests_sent += 1
            if raw.is_redirect and "location" in raw.headers:
                location = raw.headers["location"]
                raw.close()
                try:
                    url = resolve_link(raw.url, location)
                except SecurityError as exc:
                    raise SecurityError(
                        f"{self.vendor.title} redirected to an unsafe URL; {exc}", vendor=self.vendor.name
                    ) from None
                self.check_origin(url)
                params = None
                continue
            break
        else:
            raise VendorError(f"{self.vendor.title} redirected more than {MAX_REDIRECTS} times", vendor=self.vendor.name)
        body = self._read_capped(raw, started + self.options.response_timeout)
        payload: Any = None
        if body:
            try:
                payload = json.loads(body)
            except ValueError as exc:
                if 200 <= raw.status_code < 300 and _cut_off(body, exc):
                    # A proxy or a dropped connection with the length header rewritten: the
                    # answer is incomplete, not wrong. Retried like a dropped connection.
                    raise TransientError(
                        f"{self.vendor.title} sent HTTP {raw.status_code} with JSON that ends before it is complete "
                        f"({len(body)} bytes): the response was cut off on the way. Retry; if it keeps happening, "
                        f"check the network or ask for smaller pages.",
                        vendor=self.vendor.name,
                    ) from None
                # Redact the whole text before cutting it: a cut first could keep a secret's start.
                payload = _NotJson(self.redact(body.decode("utf-8", "replace"))[:MAX_DETAIL])
        response = Response(
            status=raw.status_code,
            # The URL as sent holds a query-parameter key (QueryKey): hooks and paginators see it redacted.
            url=self.redact(raw.url),
            headers=dict(raw.headers),
            payload=payload,
            size=len(body),
            elapsed=time.monotonic() - started,
            echoes_secret=self._echoes_secret(body),
        )
        self._log_request(request, str(response.status), attempt, response.elapsed)
        self.hook.socialtap_after_response(vendor=self.vendor, request=request, response=response, attempt=attempt)
        return response

    def _echoes_secret(self, body: bytes) -> bool:
        # One search per page: a vendor quoting the key back in a message must not put it
        # in a record. JSON may write "/" as "\/", so that spelling is undone first.
        if not body or not self.redactor:
            return False
        return self.redactor.leaks(body.decode("utf-8", "replace").replace("\\/", "/"))

    def _send_checked(self, request: Request, url: str, params: list[tuple[str, str]] | None) -> requests.Response:
        """Prepare the request, check the origin of the URL exactly as prepared, then sign and send it."""
        session = self.session
        try:
            prepared = session.prepare_request(
                requests.Request(request.method, url, params=params, json=request.json, headers=dict(request.headers))
            )
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema) as exc:
            raise ConfigError(f"invalid URL for {self.vendor.name}: {self.redact(str(exc))}") from None
        # The URL requests will send, read by the parser urllib3 connects with.
        self.check_origin(prepared.url or "", absolute=False)
        prepared.prepare_auth(self.auth)  # only now: a refused URL never sees the credentials
        settings = session.merge_environment_settings(prepared.url, {}, True, None, None)
        try:
            return session.send(
                prepared,
                timeout=(self.options.connect_timeout, self.options.read_timeout),
                allow_redirects=False,
                **settings,
            )
        except requests.exceptions.InvalidURL as exc:
            raise ConfigError(f"invalid URL for {self.vendor.name}: {self.redact(str(exc))}") from None
        except requests.RequestException as exc:
            raise (NotSentError if _never_sent(exc) else TransientError)(
                f"could not reach {self.vendor.title} at {self.base_origin[1]}: {type(exc).__name__}: "
                f"{self.redact(str(exc))}. Check the network and the base URL, then retry.",
                vendor=self.vendor.name,
            ) from None

    def _read_capped(self, raw: requests.Response, deadline: float) -> bytes:
        """The body, at most ``max_response_bytes`` of it, all of it before ``deadline`` (monotonic)."""
        cap = self.options.max_response_bytes
        chunks: list[bytes] = []
        total = 0
        try:
            while True:
                # read1 returns whatever one read of the socket brings (iter_content would
                # block until 64 KiB arrived), so the deadline is checked between drips.
                chunk = raw.raw.read1(64 * 1024, decode_content=True)
                if not chunk:
                    break
                total += len(chunk)
                if total > cap:
                    raise PayloadError(
                        f"{self.vendor.title} sent more than {cap} bytes in one response; raise the cap "
                        f"(max_response_bytes) if this is expected, or ask for smaller pages.",
                        vendor=self.vendor.name,
                    )
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise TransientError(
                        f"{self.vendor.title} took longer than {self.options.response_timeout:g}s to send one response "
                        f"({total} bytes so far); stopped reading. Raise response_timeout if its pages are this slow.",
                        vendor=self.vendor.name,
                    )
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise TransientError(
                f"{self.vendor.title} broke the connection while sending a response: {type(exc).__name__}",
                vendor=self.vendor.name,
            ) from None
        finally:
            raw.close()  # read to the end, urllib3 has already handed the connection back to the pool
        with self._counter_lock:
            self.bytes_received += total
        return b"".join(chunks)

    # -- statuses ---------------------------------------------------------------------

    def raise_for_status(self, request: Request, response: Response) -> None:
        status = response.status
        if 200 <= status < 300:
            if isinstance(response.payload, _NotJson):
                raise PayloadError(
                    f"{self.vendor.title} answered {request.method} {request.url} with a body that is not JSON: "
                    f"{self.redact(response.payload.text)!r}",
                    vendor=self.vendor.name,
                    status=status,
                )
            return
        raise self.error_for(request, response)

    def error_for(self, request: Request, response: Response) -> SocialtapError:
        status = response.status
        detail = _describe(response.payload, self.redactor)
        where = f"{self.vendor.title} answered HTTP {status} to {request.method} {request.url}"
        tags = {"vendor": self.vendor.name, "status": status}
        mapped = self.vendor.status_errors.get(status)
        if mapped is not None:
            # A re-mapped status has no generic advice; the vendor's own says what to do.
            advice = self.vendor.status_advice.get(status)
            return self.redact_error(mapped(f"{where}: {detail}" + (f". {advice}" if advice else ""), **tags))
        if status in (400, 422):
            problems = _problems(response.payload, self.redactor) or [detail]
            error = ConfigError(f"{where}: the vendor rejected the request; fix the params", problems=problems, **tags)
            return self.redact_error(error)
        # Many APIs answer 403 for an exhausted plan as well as for a forbidden key; only
        # the message tells them apart.
        if status == 403 and QUOTA_WORDS.search(detail):
            status_key: int | str = "403-quota"
        else:
            status_key = status
        known = {
            401: (
                AuthError,
                f"the credentials were refused ({detail}). Check {self.env_hint or 'the credentials'}; "
                f"try `--sandbox` to run against the offline emulator.",
            ),
            403: (
                AuthError,
                f"access denied ({detail}). The credentials in {self.env_hint or 'use'} may not be licensed "
                f"for this endpoint; ask the vendor.",
            ),
            "403-quota": (
                QuotaError,
                f"the plan's quota or credits are used up ({detail}). Wait for the quota to reset, or ask the vendor for more.",
            ),
            404: (NotFoundError, f"not found ({detail}). Check the ids in the params."),
            429: (QuotaError, f"rate limit or quota exceeded ({detail}). Wait and retry later, or lower the request rate."),
        }
        error, advice = known.get(status_key, (VendorError, f"{detail}. This is the vendor's side; retry later."))
        if status in self.vendor.status_advice:
            advice = f"{detail}. {self.vendor.status_advice[status]}"
        return self.redact_error(error(f"{where}: {advice}", **tags))


def _never_sent(exc: requests.RequestException) -> bool:
    """Whether a failed send cannot have reached the server: no connection was made.

    A refused connection, a DNS failure and a connect timeout all fail in urllib3 before
    the first byte of the request is written (``NewConnectionError`` and
    ``NameResolutionError`` are kinds of ``ConnectTimeoutError``). Anything else (a read
    timeout, a reset or a close after the request was written, a TLS error) may have.
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError) or isinstance(exc, requests.exceptions.ReadTimeout):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # requests wraps urllib3's MaxRetryError around the cause
    return isinstance(reason, urllib3.exceptions.ConnectTimeoutError)


@attrs.frozen
class _NotJson:
    text: str


def _cut_off(body: bytes, error: ValueError) -> bool:
    """Whether ``body`` is a JSON document cut short (not some other text, such as an HTML page):
    it opens an object or array, and decoding failed at its very end or in an unterminated string."""
    text = body.strip()
    if text[:1] not in (b"{", b"[") or not isinstance(error, json.JSONDecodeError):
        return False
    return error.msg.startswith("Unterminated string") or error.pos >= len(body.decode("utf-8", "replace").rstrip())


def _cut(text: str, limit: int = MAX_DETAIL) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _describe(payload: Any, redactor: Redactor) -> str:
    """A vendor body for a message: redacted whole (the parsed values, so JSON escapes do
    not hide a secret, then the text), and only then cut to length."""
    if payload is None:
        return "empty body"
    if isinstance(payload, _NotJson):
        return _cut(redactor.text(payload.text).strip(), 200) or "empty body"
    text = redactor.text(json.dumps(redactor.payload(payload), ensure_ascii=False))
    return _cut(text)


def _problems(payload: Any, redactor: Redactor) -> list[str]:
    """The problems a 400/422 body lists, each redacted whole, then cut to length."""
    if isinstance(payload, dict):
        payload = redactor.payload(payload)
        for key in ("errors", "detail", "message", "error"):
            value = payload.get(key)
            if isinstance(value, list):
                return [_cut(redactor.text(str(v))) for v in value]
            if isinstance(value, (str, dict)):
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                return [_cut(redactor.text(text))]
    return []
