"""Public streams: endpoints a vendor documents as needing no credentials.

A stream declared ``Stream(..., public=True)`` (Upload-Post's ``platform-metrics``) runs
with no credential set and is sent unsigned even when one is set: the vendor's docs say
the endpoint is public, so a key has no business travelling with it. The runner asks
:func:`credentials_for` and :func:`auth_for` instead of resolving credentials and calling
``socialtap_auth`` itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import requests

from socialtap.declarations import Stream, Vendor

__all__ = ["Unsigned", "auth_for", "credentials_for"]


class Unsigned(requests.auth.AuthBase):
    """The auth of a public stream: adds nothing to the request."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request

    def __repr__(self) -> str:
        return "Unsigned()"


def credentials_for(
    vendor: Vendor,
    stream: Stream,
    explicit: Mapping[str, str] | None,
    resolve: Callable[[Vendor, Mapping[str, str] | None], dict[str, str]],
) -> dict[str, str]:
    """No credentials for a public stream (none are needed, none are sent); else ``resolve``'s."""
    return {} if stream.public else resolve(vendor, explicit)


def auth_for(plugin_manager: Any, vendor: Vendor, stream: Stream, credentials: Mapping[str, str]) -> Any:
    """:class:`Unsigned` for a public stream, else the ``socialtap_auth`` hook's answer."""
    if stream.public:
        return Unsigned()
    return plugin_manager.hook.socialtap_auth(vendor=vendor, credentials=dict(credentials))
