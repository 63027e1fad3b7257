"""Hostile servers: a small paged API that misbehaves on purpose, and a trap that must stay empty.

A client that talks to vendor APIs must survive servers that lie. This module serves a
tiny vendor API (``GET /api/items``, ``POST /api/search``: pages of
``{"data": [...], "next": link}``) on 127.0.0.1 whose ``behaviour`` is one of
:data:`BEHAVIOURS`, beside "trap" servers standing in for a foreign host (one on
127.0.0.1, one on ``[::1]`` when the machine has IPv6 loopback). The trap records every
request it receives, so a test asserts that none arrived::

    from socialtap import run
    from socialtap.testing.hostile import serve_hostile

    with serve_hostile("foreign_next", form="backslash") as hostile:
        with pytest.raises(SecurityError):
            run(hostile.task(), plugin_manager=hostile.plugin_manager())
        assert hostile.foreign_requests == []

The ``hostile`` vendor (:data:`HOSTILE_VENDOR`, registered by :class:`HostilePlugin`)
pages with ``NextLink("next")`` and signs with ``Authorization: Bearer`` + :data:`TOKEN`.
Plugin authors can point their own vendor at :attr:`HostileServer.base_url` too, or use
:func:`foreign_link` to build the hostile link forms for their own sandbox.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import attrs
from werkzeug.wrappers import Request as WsgiRequest

from socialtap.auth import Bearer
from socialtap.declarations import Credential, Stream, Vendor
from socialtap.hookspecs import hookimpl
from socialtap.pagination import NextLink
from socialtap.records import Relation
from socialtap.testing.server import ServedApp, serve_app

TOKEN = "hostile-test-token-0123456789"
BASE_PATH = "/api"

BEHAVIOURS = (
    "none",  # well behaved: `pages` pages, next links in `link_style`
    "foreign_next",  # page 1's next link points at the trap, in `form`
    "foreign_redirect",  # every API request is redirected (302) to the trap, in `form`
    "junk_next",  # the same items on every page, next ?junk=1, ?junk=2, ... forever
    "same_page_next",  # new items each time, but the next link is page 2 again with its params reordered and a fragment
    "drip",  # the body arrives one byte every `drip_interval` seconds
    "rate_reset",  # X-RateLimit-Remaining: 0 with a reset of `reset` seconds (`reset_header`, `reset_epoch`)
    "retry_after",  # HTTP 429 with Retry-After: `retry_after`
)

# How a link can lead to another host. {api} is the API's host:port, {trap} the trap's,
# {trap6} the IPv6 trap's ([::1]:port). The comments say what each parser reads.
FOREIGN_FORMS = {
    "absolute": "http://{trap}/api/items?page=2",
    "network_path": "//{trap}/api/items?page=2",  # relative to the scheme only
    "backslash": "http://{trap}\\@{api}/api/items?page=2",  # urllib.parse: {api}; urllib3 connects to {trap}
    "backslash_path": "\\\\{trap}\\api\\items?page=2",  # browsers read //{trap}/
    "userinfo": "http://{api}@{trap}/api/items?page=2",  # looks like {api}, goes to {trap}
    "control": "\thttp://{trap}/api/items?page=2",  # urllib.parse strips the tab
    "ipv6": "http://{trap6}/api/items?page=2",
    "ipv6_backslash": "http://{trap6}\\@{api}/api/items?page=2",  # urllib.parse: {api}; urllib3: [::1]
}
IPV6_FORMS = frozenset({"ipv6", "ipv6_backslash"})
LINK_STYLES = ("absolute", "root_relative", "relative")


def foreign_link(form: str, *, api: str, trap: str, trap6: str | None = None) -> str:
    """The link of ``form`` (a :data:`FOREIGN_FORMS` key) from the API at ``api`` to the trap.

    ``api``, ``trap`` and ``trap6`` are ``host:port`` (``[::1]:port`` for ``trap6``).
    """
    if form in IPV6_FORMS and trap6 is None:
        raise ValueError(f"form {form!r} needs an IPv6 trap (::1 could not be bound)")
    return FOREIGN_FORMS[form].format(api=api, trap=trap, trap6=trap6)


def ipv6_loopback_available() -> bool:
    """Whether ``::1`` can be bound on this machine (containers often lack IPv6)."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


def _json(start_response: Callable[..., Any], data: Any, status: str = "200 OK", headers: Iterable[tuple[str, str]] = ()):
    body = json.dumps(data).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *headers])
    return [body]


@attrs.frozen
class SeenRequest:
    """One request a hostile server or a trap received."""

    method: str
    path: str
    query: str
    authorization: str | None
    body: bytes


def _seen(environ: dict[str, Any]) -> SeenRequest:
    request = WsgiRequest(environ)
    return SeenRequest(
        request.method, request.path, request.query_string.decode(), request.headers.get("Authorization"), request.get_data()
    )


class Trap:
    """A WSGI app standing in for a foreign host: records every request, answers an empty last page."""

    def __init__(self) -> None:
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen = _seen(environ)
        with self._lock:
            self.requests.append(seen)
        return _json(start_response, {"data": [], "next": None})


class HostileApp:
    """The hostile vendor API as a WSGI app; ``behaviour`` is one of :data:`BEHAVIOURS`.

    ``trap`` and ``trap6`` (``host:port``) are where foreign links lead; :func:`serve_hostile`
    sets them. ``requests`` records what the API itself received.
    """

    def __init__(
        self,
        behaviour: str = "none",
        *,
        form: str = "absolute",
        link_style: str = "absolute",
        pages: int = 2,
        per_page: int = 3,
        drip_interval: float = 0.05,
        drip_bytes: int = 4000,
        reset: float = 900,
        reset_header: str = "X-RateLimit-Reset",
        reset_epoch: bool = False,
        retry_after: int = 60,
        trap: str = "",
        trap6: str | None = None,
    ):
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; choose one of {', '.join(BEHAVIOURS)}")
        if form not in FOREIGN_FORMS:
            raise ValueError(f"unknown form {form!r}; choose one of {', '.join(FOREIGN_FORMS)}")
        if link_style not in LINK_STYLES:
            raise ValueError(f"unknown link_style {link_style!r}; choose one of {', '.join(LINK_STYLES)}")
        self.behaviour = behaviour
        self.form = form
        self.link_style = link_style
        self.pages = pages
        self.per_page = per_page
        self.drip_interval = drip_interval
        self.drip_bytes = drip_bytes
        self.reset = reset
        self.reset_header = reset_header
        self.reset_epoch = reset_epoch
        self.retry_after = retry_after
        self.trap = trap
        self.trap6 = trap6
        self.requests: list[SeenRequest] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen = _seen(environ)
        with self._lock:
            self.requests.append(seen)
            served = len(self.requests)
        if seen.authorization != f"Bearer {TOKEN}":
            return _json(start_response, {"detail": "bad token"}, "401 Unauthorized")
        if seen.path not in (f"{BASE_PATH}/items", f"{BASE_PATH}/search"):
            return _json(start_response, {"detail": f"no such path {seen.path}"}, "404 Not Found")
        api = environ.get("HTTP_HOST", "")
        behaviour = self.behaviour
        if behaviour == "foreign_redirect":
            location = foreign_link(self.form, api=api, trap=self.trap, trap6=self.trap6)
            return _json(start_response, {}, "302 Found", [("Location", location)])
        if behaviour == "retry_after":
            return _json(start_response, {"detail": "slow down"}, "429 Too Many Requests", [("Retry-After", str(self.retry_after))])
        args = dict(pair.split("=", 1) if "=" in pair else (pair, "") for pair in seen.query.split("&") if pair)
        page = int(args.get("page", "1")) if args.get("page", "1").isdigit() else 1
        items = [f"{page}-{i}" for i in range(self.per_page)]
        link: str | None = None
        headers: list[tuple[str, str]] = []
        if behaviour == "foreign_next":
            link = foreign_link(self.form, api=api, trap=self.trap, trap6=self.trap6) if page == 1 else None
        elif behaviour == "junk_next":
            items = [f"1-{i}" for i in range(self.per_page)]
            link = self._link(seen.path, f"junk={int(args.get('junk', '0')) + 1}", api)
        elif behaviour == "same_page_next":
            items = [f"{served}-{i}" for i in range(self.per_page)]  # never the same items twice
            link = self._link(seen.path, "page=2&x=1" if page == 1 else "x=1&page=2#again", api)
        elif page < self.pages:
            link = self._link(seen.path, f"page={page + 1}", api)
        if behaviour == "rate_reset":
            reset = time.time() + self.reset if self.reset_epoch else self.reset
            headers += [("X-RateLimit-Limit", "10"), ("X-RateLimit-Remaining", "0"), (self.reset_header, f"{reset:.0f}" if self.reset_epoch else f"{reset:g}")]
        data = {"data": items, "next": link}
        if behaviour == "drip":
            return self._drip(start_response, data)
        return _json(start_response, data, headers=headers)

    def _link(self, path: str, query: str, api: str) -> str:
        if self.link_style == "root_relative":
            return f"{path}?{query}"
        if self.link_style == "relative":
            return f"{path.rsplit('/', 1)[-1]}?{query}"
        return f"http://{api}{path}?{query}"

    def _drip(self, start_response: Callable[..., Any], data: Any) -> Iterator[bytes]:
        body = json.dumps({**data, "padding": "x" * self.drip_bytes}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        for i in range(len(body)):
            yield body[i : i + 1]
            time.sleep(self.drip_interval)


# -- the vendor ------------------------------------------------------------------------


@attrs.frozen
class HostileParams:
    """The hostile streams take no params."""


def normalize(payload: Any, request: Any) -> Iterator[Relation]:
    """Each item of a page as a Relation ``root has <item>``."""
    for item in payload.get("data") or []:
        yield Relation("hostile", "web", "root", "has", str(item))


HOSTILE_VENDOR = Vendor(
    name="hostile",
    title="Hostile API",
    base_url="https://hostile.invalid/api",
    auth=Bearer("token"),
    credentials=(Credential("token"),),
    streams=(
        Stream("items", "/items", HostileParams, normalize, (Relation,), pagination=NextLink("next")),
        Stream(
            "search",
            "/search",
            HostileParams,
            normalize,
            (Relation,),
            method="POST",
            idempotent=True,
            body=lambda params: {"query": "secret search terms"},
            pagination=NextLink("next"),
        ),
    ),
)


class HostilePlugin:
    """Registers :data:`HOSTILE_VENDOR` (pass to ``make_plugin_manager(extra=(HostilePlugin(),))``)."""

    @hookimpl
    def socialtap_register_vendors(self, register: Callable[[Vendor], None]) -> None:
        register(HOSTILE_VENDOR)


@attrs.define
class HostileServer:
    """A served :class:`HostileApp` with its traps; see :func:`serve_hostile`."""

    app: HostileApp
    served: ServedApp
    trap: Trap
    trap6: Trap | None

    @property
    def base_url(self) -> str:
        """The hostile vendor's base URL (``http://127.0.0.1:<port>/api``)."""
        return self.served.url + BASE_PATH

    @property
    def foreign_requests(self) -> list[SeenRequest]:
        """Every request the traps received (a safe client leaves this empty)."""
        return [*self.trap.requests, *(self.trap6.requests if self.trap6 is not None else [])]

    def reset(self, behaviour: str = "none", **options: Any) -> HostileServer:
        """Serve another ``behaviour`` (``options`` as :class:`HostileApp` takes them) and forget
        every request seen, so one server can serve many tests (servers are slow to stop)."""
        app = HostileApp(behaviour, trap=self.app.trap, trap6=self.app.trap6, **options)
        self.app.__dict__.update(app.__dict__)
        self.trap.requests.clear()
        if self.trap6 is not None:
            self.trap6.requests.clear()
        return self

    def plugin_manager(self) -> Any:
        """A plugin manager with every installed plugin plus the hostile vendor."""
        from socialtap.plugins import make_plugin_manager

        return make_plugin_manager(extra=(HostilePlugin(),))

    def task(self, stream: str = "items", **options: Any) -> Any:
        """A ``Task`` for the hostile vendor's ``stream`` pointed at this server (``options`` go to ``Options``)."""
        from socialtap.runner import Options, Task

        return Task("hostile", stream, {}, {"token": TOKEN}, Options(base_url=self.base_url, **options))


@contextmanager
def serve_hostile(behaviour: str = "none", *, ipv6: bool | None = None, **options: Any) -> Iterator[HostileServer]:
    """Serve a :class:`HostileApp` (``behaviour``, ``options``) and its traps until the block ends.

    ``ipv6``: serve the second trap on ``[::1]`` (None: when the machine can bind ``::1``).
    """
    if ipv6 is None:
        ipv6 = ipv6_loopback_available()
    with ExitStack() as stack:
        trap = Trap()
        trap_served = stack.enter_context(serve_app(trap))
        trap6 = Trap() if ipv6 else None
        trap6_host = None
        if trap6 is not None:
            trap6_served = stack.enter_context(serve_app(trap6, host="::1"))
            trap6_host = f"[::1]:{trap6_served.port}"
        app = HostileApp(behaviour, trap=f"127.0.0.1:{trap_served.port}", trap6=trap6_host, **options)
        served = stack.enter_context(serve_app(app))
        yield HostileServer(app, served, trap, trap6)
