"""Auth schemes vendors declare (applied by the internal plugin :mod:`socialtap.default_auth`).

A scheme knows which credential fields it needs and builds a ``requests`` auth object
from them. The auth objects never show their secret in ``repr``, so a stray log line or
traceback cannot leak it.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Protocol

import attrs
import requests


class HeaderAuth(requests.auth.AuthBase):
    """Sets one header; the value is never shown."""

    def __init__(self, header: str, value: str):
        self.header = header
        self._value = value

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers[self.header] = self._value
        return request

    def __repr__(self) -> str:
        return f"HeaderAuth({self.header!r}, '***')"


class AuthScheme(Protocol):
    def fields(self) -> tuple[tuple[str, ...], ...]:
        """Alternative sets of credential fields; one complete set is enough."""

    def build(self, credentials: Mapping[str, str]) -> requests.auth.AuthBase:
        """The auth object from a complete set of credentials."""


@attrs.frozen
class HeaderScheme:
    """``<header>: <prefix> <credential>``: the family bearer, Token and Apikey belong to."""

    field: str = "token"
    prefix: str = "Bearer"
    header: str = "Authorization"

    def fields(self) -> tuple[tuple[str, ...], ...]:
        return ((self.field,),)

    def build(self, credentials: Mapping[str, str]) -> requests.auth.AuthBase:
        value = credentials[self.field]
        return HeaderAuth(self.header, f"{self.prefix} {value}" if self.prefix else value)


def Bearer(field: str = "token") -> HeaderScheme:  # noqa: N802 - reads as a declaration
    """``Authorization: Bearer <token>``."""
    return HeaderScheme(field, "Bearer")


def TokenPrefix(field: str = "api_key") -> HeaderScheme:  # noqa: N802
    """``Authorization: Token <key>`` (Django REST framework style)."""
    return HeaderScheme(field, "Token")


def ApiKeyPrefix(field: str = "api_key") -> HeaderScheme:  # noqa: N802
    """``Authorization: Apikey <key>``."""
    return HeaderScheme(field, "Apikey")


@attrs.frozen
class Basic:
    """HTTP Basic from ``username`` + ``password`` fields, or from an already
    base64-encoded ``token`` field (``base64(key:secret)``)."""

    username: str = "api_key"
    password: str = "api_secret"
    token: str | None = "token"

    def fields(self) -> tuple[tuple[str, ...], ...]:
        sets: tuple[tuple[str, ...], ...] = ((self.username, self.password),)
        return (*sets, (self.token,)) if self.token else sets

    def build(self, credentials: Mapping[str, str]) -> requests.auth.AuthBase:
        if credentials.get(self.username) and credentials.get(self.password):
            raw = f"{credentials[self.username]}:{credentials[self.password]}".encode()
            encoded = base64.b64encode(raw).decode("ascii")
        else:
            encoded = credentials[self.token or ""]
        return HeaderAuth("Authorization", f"Basic {encoded}")
