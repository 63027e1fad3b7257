"""The hooks a socialtap plugin can implement.

Vendor-answered hooks are ``firstresult``: the core calls every plugin, newest first,
and stops at the first non-None result. An implementation returns None for a vendor that
is not its own, so one process can hold many vendor plugins. The core's own default
behaviour (auth schemes, paginators, request building with batching and fan-out,
normalization through the stream's declared function) is registered as internal plugins
with ``trylast=True``: a vendor answers a hook only to override that default.

Cross-cutting hooks (``socialtap_before_request``, ``socialtap_after_response``) are
called on every plugin and let a third party log, meter or account for credits without
touching a vendor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import requests

    from socialtap.declarations import Stream, Vendor
    from socialtap.http import Request, Response
    from socialtap.records import Record
    from socialtap.sandbox import Sandbox

PROJECT = "socialtap"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def socialtap_register_vendors(register: Callable[[Vendor], None]) -> None:
    """Declare the vendors this plugin serves.

    :param register: call ``register(Vendor(...))`` once per vendor API. A callback
        rather than a return value, as ``llm``'s ``register_models``, so keyword
        arguments can be added later without breaking plugins.

    Called on every plugin at start-up. Two plugins registering the same vendor name is
    a configuration error naming both distributions.
    """


@hookspec(firstresult=True)
def socialtap_auth(vendor: Vendor, credentials: dict[str, str]) -> requests.auth.AuthBase | None:
    """Build the auth object that signs every request to ``vendor``.

    :param vendor: the declared vendor.
    :param credentials: the resolved credential fields (explicit, or from
        ``SOCIALTAP_<VENDOR>_<FIELD>``), already checked to form a complete set.
    :return: a ``requests.auth.AuthBase``, or None for a vendor that is not yours.

    Stops at the first non-None result. The default applies ``vendor.auth`` (bearer,
    ``Token``, ``Apikey``, HTTP basic). The object must not reveal the secret in its
    ``repr``.
    """


@hookspec(firstresult=True)
def socialtap_requests(vendor: Vendor, stream: Stream, params: Any) -> Sequence[Request] | None:
    """The first request of each independent chain of a stream.

    :param vendor: the declared vendor.
    :param stream: the stream being run.
    :param params: the validated params object (an instance of ``stream.params``).
    :return: a list of :class:`~socialtap.http.Request`, one per chain (one per
        ``fan_out`` value, one per batch where the API caps a batch), in the order the
        user gave; or None for a vendor that is not yours.

    Stops at the first non-None result. The default formats ``stream.path``, builds the
    query or body, de-duplicates and batches ``stream.batch`` by ``vendor.max_batch``,
    fans out ``stream.fan_out``, and applies the paginator's ``first``.
    """


@hookspec(firstresult=True)
def socialtap_next_request(vendor: Vendor, stream: Stream, request: Request, response: Response) -> Request | object | None:
    """The request for the next page of a chain.

    :param request: the request just sent.
    :param response: its response; ``response.payload`` is the parsed JSON body.
    :return: the next :class:`~socialtap.http.Request`; ``socialtap.pagination.END`` to
        end the chain; or None for a vendor that is not yours.

    Stops at the first non-None result. The default applies ``stream.pagination``
    (page number, next link, none); its None ends the chain. A relative ``url`` in the
    returned request is a path under the vendor's base URL; to follow a link found in
    the response, resolve it with ``socialtap.http.resolve_link(response.url, link)``
    (as ``NextLink`` does), which also refuses unsafe links. The engine refuses a next
    request to any origin other than the base URL's (SecurityError), one already
    fetched in the chain and one whose records repeat an earlier page's (PayloadError).
    """


@hookspec(firstresult=True)
def socialtap_normalize(vendor: Vendor, stream: Stream, request: Request, payload: Any) -> Iterable[Record] | None:
    """Map one page of payload onto normalized records.

    :param request: the request that produced the page (``request.params`` holds the
        chain's params, ``request.chain`` its identifier).
    :param payload: the parsed JSON body.
    :return: an iterable of Account, Post, Observation and Relation records, or None for
        a vendor that is not yours.

    Stops at the first non-None result. The default structures ``payload`` into
    ``stream.payload_model`` (a malformed payload raises PayloadError naming the field
    path) and calls ``stream.normalize(payload, request)``.
    """


@hookspec(firstresult=True)
def socialtap_sandbox(vendor: Vendor) -> Sandbox | None:
    """The vendor's offline emulator.

    :return: a :class:`~socialtap.sandbox.Sandbox`: a factory of the WSGI app that
        emulates the vendor from its docs, and the test credentials it accepts; or None
        for a vendor that is not yours.

    Stops at the first non-None result. Served on 127.0.0.1 by ``socialtap.testing``,
    ``socialtap sandbox VENDOR`` and ``socialtap run ... --sandbox``.
    """


@hookspec
def socialtap_before_request(vendor: Vendor, request: Request, attempt: int) -> None:
    """Called before every attempt at sending a request, on every plugin.

    :param request: what is about to be sent (it carries no credentials).
    :param attempt: 1 for the first attempt, 2 for the first retry, ...

    For logging, metering and credit accounting. The return value is ignored.
    """


@hookspec
def socialtap_after_response(vendor: Vendor, request: Request, response: Response, attempt: int) -> None:
    """Called after every attempt that got an HTTP response, on every plugin.

    :param request: what was sent.
    :param response: status, headers and parsed payload (None when not JSON).
    :param attempt: 1 for the first attempt, 2 for the first retry, ...

    Called before the status is turned into an error, so a 429 or 500 is seen too.
    The return value is ignored.
    """
