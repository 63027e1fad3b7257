"""Which strings a run must never write, and the one place that hides them.

A run's secrets are more than the credential values the user gave: the engine sends a
header *derived* from them, and a vendor that echoes what it received may quote any
part of it. :func:`secret_values` derives the whole set:

- every credential value;
- the header value the auth object sets (``Bearer x``, ``Token x``, ``Apikey x``,
  ``Basic <b64>``) and its part after the scheme word (``x``, ``<b64>``), found by
  applying the auth object to a blank request, so a plugin's own auth class is covered
  as well as the schemes of :mod:`socialtap.auth`;
- for HTTP Basic, the decoded ``key:secret`` and both halves;
- each of those as a vendor may spell it in a body or URL: percent-encoded, and
  JSON-escaped (``\\/``, ``\\uXXXX``).

:class:`Redactor` replaces them with ``***`` in text (whole text first, cut to length
after: never the other way round, which could leave the start of a secret), in parsed
payloads (so JSON escapes in the raw body do not matter), and in exceptions, including
every exception chained to them (``__cause__``/``__context__``, whose text a traceback
prints).

Short secrets: a value of at least :data:`MIN_SUBSTRING` (4) characters is replaced
wherever it occurs. A shorter value is replaced only where it stands alone, between
characters that are not letters or digits (``key=ab&``, ``"ab"``): replacing every
``ab`` inside other words would garble every message, and a two-letter run inside a
word says nothing about the secret. No vendor issues credentials that short.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

import requests

MASK = "***"
MIN_SUBSTRING = 4
"""Secrets at least this long are replaced wherever they occur; shorter ones only as whole tokens."""

E = TypeVar("E", bound=BaseException)
_PROBE_URL = "https://socialtap.invalid/"


def auth_header_values(auth: Any) -> list[str]:
    """The header and query values ``auth`` (a ``requests`` auth object) adds to a blank request.

    Applying the auth object is how the secret set covers any auth class, not only the
    core's schemes: a header it sets (``Authorization: Bearer x``, ``X-API-Key: x``) and a
    query parameter it adds to the URL (``?api_key=x``). An auth object that cannot be
    applied offline says what it holds instead, with a ``secret_values()`` method (OAuth2
    client credentials: applying it would fetch a token); one that fails to apply and has
    no such method contributes nothing beyond the credentials.
    """
    if auth is None:
        return []
    declared = getattr(auth, "secret_values", None)
    if callable(declared):
        return [str(v) for v in declared() if v]
    if not callable(auth):
        return []
    prepared = requests.Request("GET", _PROBE_URL).prepare()
    before = dict(prepared.headers)
    try:
        signed = auth(prepared)
    except Exception:  # an auth that needs the network or a real host: fall back to the credentials
        return []
    signed = signed if signed is not None else prepared
    headers = getattr(signed, "headers", None) or prepared.headers
    values = [str(v) for k, v in headers.items() if before.get(k) != v and v]
    # A query-parameter key: every value the auth put in the probe URL (the probe has none of its own).
    query = urlsplit(getattr(signed, "url", None) or "").query
    values += [v for _, v in parse_qsl(query, keep_blank_values=False) if v]
    return values


def _parts(value: str) -> list[str]:
    """``value`` and what a server may quote of it: the part after ``Scheme``, Basic's decoded form."""
    found = [value]
    scheme, sep, rest = value.partition(" ")
    if sep and rest.strip() and scheme.isalpha():
        found.append(rest.strip())
        if scheme.lower() == "basic":
            found += _basic_decoded(rest.strip())
    else:
        # A bare Basic token (the ``token`` credential field) decodes to key:secret too.
        found += _basic_decoded(value)
    return found


def _basic_decoded(token: str) -> list[str]:
    try:
        decoded = base64.b64decode(token, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return []
    user, sep, password = decoded.partition(":")
    if not sep or not decoded.isprintable():
        return []
    return [decoded, user, password]


def _spellings(value: str) -> set[str]:
    """How a vendor may write ``value`` in a URL or a raw JSON body."""
    escaped = json.dumps(value)[1:-1]
    return {
        value,
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        escaped,
        escaped.replace("/", "\\/"),
        json.dumps(value, ensure_ascii=False)[1:-1],
    }


def secret_values(
    credentials: Mapping[str, str] | Iterable[str] = (),
    *,
    scheme: Any = None,
    auth: Any = None,
) -> frozenset[str]:
    """Every string that would reveal a credential: see the module doc.

    ``credentials`` is the resolved credential mapping (or just its values); ``scheme``
    the vendor's declared auth scheme (``Vendor.auth``), whose header is built from the
    credentials; ``auth`` the auth object the engine sends with (a plugin's own, maybe).
    """
    values = list(credentials.values()) if isinstance(credentials, Mapping) else list(credentials)
    values = [str(v) for v in values if v]
    if scheme is not None and isinstance(credentials, Mapping):
        # The declared scheme's header as well as the auth object's: a plugin may build its own.
        try:
            values += auth_header_values(scheme.build(credentials))
        except Exception:  # incomplete credentials: prepare() reports that, not this function
            pass
    values += auth_header_values(auth)
    found: set[str] = set()
    for value in values:
        for part in _parts(value):
            if part:
                found |= _spellings(part)
    return frozenset(s for s in found if s and s != MASK)


class Redactor:
    """Replaces a set of secrets with ``***`` in text, payloads and exceptions (:meth:`add` grows the set)."""

    def __init__(self, secrets: Iterable[str] = ()):
        self._lock = threading.Lock()
        self._compile({s for s in secrets if s and s != MASK})

    def _compile(self, values: set[str]) -> None:
        # Longest first, so ``Basic <b64>`` goes as a whole before ``<b64>`` would.
        self.secrets: tuple[str, ...] = tuple(sorted(values, key=len, reverse=True))
        long_ones = [re.escape(s) for s in self.secrets if len(s) >= MIN_SUBSTRING]
        short_ones = [re.escape(s) for s in self.secrets if len(s) < MIN_SUBSTRING]
        patterns = long_ones + [rf"(?<![A-Za-z0-9]){s}(?![A-Za-z0-9])" for s in short_ones]
        self._pattern = re.compile("|".join(patterns)) if patterns else None

    def __bool__(self) -> bool:
        return self._pattern is not None

    def add(self, values: Iterable[str]) -> None:
        """Redact ``values`` too from now on, with the spellings :func:`secret_values` derives.

        For a secret that appears mid-run: an OAuth2 access token fetched after the engine
        started (see ``watch_secrets`` in :mod:`socialtap.auth`). Safe to call from any thread.
        """
        found: set[str] = set()
        for value in values:
            for part in _parts(str(value)):
                if part:
                    found |= _spellings(part)
        with self._lock:
            merged = set(self.secrets) | {s for s in found if s and s != MASK}
            if len(merged) == len(self.secrets):
                return
            self._compile(merged)

    def text(self, text: str) -> str:
        """``text`` with every secret replaced by ``***``."""
        if self._pattern is None or not isinstance(text, str):
            return text
        return self._pattern.sub(MASK, text)

    def leaks(self, text: str) -> bool:
        """Whether ``text`` still holds a secret."""
        return self._pattern is not None and isinstance(text, str) and self._pattern.search(text) is not None

    def payload(self, value: Any) -> Any:
        """A parsed JSON value with every string (keys too) redacted; other values as they are."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.payload(k): self.payload(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.payload(v) for v in value]
        return value

    def exception(self, exc: E) -> E:
        """Redact ``exc`` in place, with every exception chained to it; returns ``exc``.

        A :class:`~socialtap.errors.SocialtapError` has its message (and a ConfigError its
        problems) redacted; any exception has its string args redacted. A chained
        exception whose text still shows a secret after that is cut from the chain.
        """
        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            self._redact_one(current)
            for sub in getattr(current, "exceptions", ()) or ():  # ExceptionGroup members
                if isinstance(sub, BaseException):
                    self.exception(sub)
            following = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
            if following is not None and self.leaks(_safe_str(following)):
                self._redact_one(following)
                if self.leaks(_safe_str(following)):
                    current.__cause__ = None
                    current.__context__ = None
                    current.__suppress_context__ = True
                    following = None
            current = following
        return exc

    def _redact_one(self, exc: BaseException) -> None:
        if hasattr(exc, "message") and isinstance(exc.message, str):
            try:
                exc.message = self.text(exc.message)
            except AttributeError:  # a read-only property
                pass
        problems = getattr(exc, "problems", None)
        if isinstance(problems, list):
            problems[:] = [self.text(p) if isinstance(p, str) else p for p in problems]
        failures = getattr(exc, "failures", None)
        if isinstance(failures, list):
            for item in failures:
                if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], BaseException):
                    self.exception(item[1])
        try:
            exc.args = tuple(self.text(a) if isinstance(a, str) else a for a in exc.args)
        except (AttributeError, TypeError):
            pass
        notes = getattr(exc, "__notes__", None)
        if isinstance(notes, list):
            notes[:] = [self.text(n) if isinstance(n, str) else n for n in notes]


class _LogRedactor(logging.Filter):
    """Redacts the records of the HTTP stack's loggers with every running engine's secrets.

    urllib3 logs each request's URL at DEBUG; a next link that carried a secret would be
    written to any DEBUG log. Logger filters run before any handler sees the record.
    """

    def __init__(self) -> None:
        super().__init__()
        # Weak: an engine that was never closed does not keep its secrets here forever.
        self.redactors: weakref.WeakSet[Redactor] = weakref.WeakSet()
        self.lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        with self.lock:
            redactors = list(self.redactors)
        if redactors:
            message = record.getMessage()
            for redactor in redactors:
                message = redactor.text(message)
            record.msg, record.args = message, ()
        return True


_LOG_FILTER = _LogRedactor()
HTTP_LOGGERS = ("urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry", "urllib3.poolmanager", "requests")


def log_filter() -> logging.Filter:
    """The filter that redacts every running engine's secrets from a record; add it to a handler
    to redact all the records that handler writes (the CLI's ``--log-level`` handler does)."""
    return _LOG_FILTER


def install_log_redactor(redactor: Redactor) -> None:
    """Redact ``redactor``'s secrets from the HTTP stack's log records until uninstalled."""
    if not redactor:
        return
    with _LOG_FILTER.lock:
        _LOG_FILTER.redactors.add(redactor)
    for name in HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if _LOG_FILTER not in logger.filters:
            logger.addFilter(_LOG_FILTER)


def uninstall_log_redactor(redactor: Redactor) -> None:
    """Stop redacting ``redactor``'s secrets from log records (the engine closed)."""
    with _LOG_FILTER.lock:
        _LOG_FILTER.redactors.discard(redactor)


def _safe_str(exc: BaseException) -> str:
    try:
        return f"{exc!s} {exc!r}"
    except Exception:
        return ""


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret in ``secrets`` replaced by ``***`` (see :class:`Redactor`)."""
    return Redactor(secrets).text(text)


__all__ = [
    "MASK",
    "MIN_SUBSTRING",
    "Redactor",
    "auth_header_values",
    "install_log_redactor",
    "redact",
    "secret_values",
    "uninstall_log_redactor",
]
