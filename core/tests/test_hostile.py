"""Hostile servers (issue 11): foreign origins, endless pagination, unbounded waits.

Every test talks to real servers on loopback (socialtap.testing.hostile); the "trap"
servers stand in for a foreign host and must receive nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import attrs
import pytest
import requests
from hypothesis import example, given, settings
from hypothesis import strategies as st

from socialtap import run
from socialtap.auth import Bearer
from socialtap.engine import Engine, TransientError
from socialtap.errors import ConfigError, PayloadError, QuotaError, SecurityError
from socialtap.http import origin, page_key, resolve_link
from socialtap.runner import Options
from socialtap.testing.hostile import (
    FOREIGN_FORMS,
    HOSTILE_VENDOR,
    IPV6_FORMS,
    TOKEN,
    ipv6_loopback_available,
    serve_hostile,
)

HAS_IPV6 = ipv6_loopback_available()


@pytest.fixture(scope="module")
def shared():
    """One hostile server for the module (each test resets it): stopping servers takes time."""
    with serve_hostile() as served:
        yield served


def _form(form: str):
    marks = [pytest.mark.skipif(not HAS_IPV6, reason="::1 cannot be bound here")] if form in IPV6_FORMS else []
    return pytest.param(form, marks=marks, id=form)


FORMS = [_form(form) for form in FOREIGN_FORMS]


# -- 1. origin safety ------------------------------------------------------------------------


@pytest.mark.parametrize("stream", ["items", "search"])
@pytest.mark.parametrize("form", FORMS)
def test_a_next_link_to_a_foreign_host_is_refused_and_the_foreign_host_gets_nothing(shared, form, stream):
    hostile = shared.reset("foreign_next", form=form)
    with pytest.raises(SecurityError) as caught:
        run(hostile.task(stream), plugin_manager=hostile.plugin_manager())
    assert hostile.foreign_requests == []
    assert len(hostile.app.requests) == 1  # the first page only
    message = str(caught.value)
    assert caught.value.exit_code == 7 and "hostile" in message.lower() and "credentials were not sent" in message


@pytest.mark.parametrize("stream", ["items", "search"])
@pytest.mark.parametrize("form", FORMS)
def test_a_redirect_to_a_foreign_host_is_refused_and_the_foreign_host_gets_nothing(shared, form, stream):
    hostile = shared.reset("foreign_redirect", form=form)
    with pytest.raises(SecurityError) as caught:
        run(hostile.task(stream), plugin_manager=hostile.plugin_manager())
    assert hostile.foreign_requests == []
    assert len(hostile.app.requests) == 1
    assert "hostile" in str(caught.value).lower() and "credentials were not sent" in str(caught.value)


@pytest.mark.parametrize("style", ["absolute", "root_relative", "relative"])
def test_next_links_resolve_against_the_response_url_not_onto_the_base_url(shared, style):
    hostile = shared.reset("none", link_style=style, pages=3)
    records = list(run_records(hostile.task(), hostile.plugin_manager()))
    assert [r.other_id for r in records] == [f"{p}-{i}" for p in (1, 2, 3) for i in range(3)]
    assert [(r.path, r.query) for r in hostile.app.requests] == [("/api/items", ""), ("/api/items", "page=2"), ("/api/items", "page=3")]


def run_records(task, pm):
    from socialtap import iter_records

    return iter_records(task, plugin_manager=pm)


BASE = "http://api.example:8080/v1"
ENGINE = Engine(HOSTILE_VENDOR, BASE, Bearer().build({"token": TOKEN}), hook=None)

_hosts = st.sampled_from(
    ["api.example", "API.example", "api.example.", "evil", "127.0.0.1", "[::1]", "[::1", "api.example%2eevil", "api%2Eexample"]
)
_ports = st.sampled_from(["", ":8080", ":08080", ":80", ":443", ":1", ":99999", ":", ":8080:1"])
_noise = st.sampled_from(["", "\\", "@", "\\@", "%5C", "%40", "\t", "\n", "\r", "\x00", " ", "#", "?", "/", ":", "[", "]", "%", "//"])
_schemes = st.sampled_from(["http://", "https://", "HTTP://", "http:", "//", "\thttp://", "http:/", "javascript:", ""])


@st.composite
def urls(draw):
    """URLs built from pieces parsers disagree on: userinfo, backslashes, brackets, ports, escapes, controls."""
    parts = [draw(_schemes)]
    for _ in range(draw(st.integers(1, 3))):
        parts += [draw(_noise), draw(_hosts), draw(_ports)]
    parts += [draw(st.sampled_from(["", "/v1/x", "/x?p=2", "\\x", "/@evil"]))]
    return "".join(parts)


def sent_origin(url: str):
    """Where requests would really connect for ``url``: its prepared URL read by urllib3."""
    prepared = requests.Request("GET", url).prepare()
    return origin(prepared.url)


@settings(max_examples=300, deadline=None)
@given(urls())
@example("http://evil\\@api.example:8080/v1/x")
@example("http://[::1]:8080\\@api.example:8080/")
@example("http://api.example:8080@evil/")
@example("HTTP://API.EXAMPLE:8080/v1/x")  # allowed: the same origin
def test_any_url_urllib3_would_send_elsewhere_is_refused(url):
    try:
        ENGINE.check_origin(url)
    except SecurityError:
        return
    assert sent_origin(url) == ("http", "api.example", 8080)


@settings(max_examples=200, deadline=None)
@given(st.one_of(urls(), st.builds("".join, st.lists(st.sampled_from(["x", "/", "\\", "@", "..", "?", "#", "%2F", "evil", "\t"]), max_size=6))))
def test_any_link_that_resolves_elsewhere_is_refused(link):
    try:
        url = resolve_link(BASE + "/items?page=1", link)
        ENGINE.check_origin(url)
    except SecurityError:
        return
    assert sent_origin(url) == ("http", "api.example", 8080)


@pytest.mark.parametrize("template", ["http://{trap}\\@{api}/api", "http://{api}@{trap}/api", "http://{api}/api\n"])
def test_an_ambiguous_base_url_is_a_config_error_before_any_request(shared, template):
    hostile = shared.reset("none")
    api = hostile.base_url.removeprefix("http://").removesuffix("/api")
    base_url = template.format(api=api, trap=hostile.app.trap)
    with pytest.raises(ConfigError, match="base URL for hostile is refused") as caught:
        run(attrs.evolve(hostile.task(), options=Options(base_url=base_url)), plugin_manager=hostile.plugin_manager())
    assert hostile.foreign_requests == [] and hostile.app.requests == []
    assert api not in str(caught.value)  # the URL is not echoed: user info may hold a password


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://api.example:8080/v1/x", True),
        ("HTTP://API.EXAMPLE:8080/v1/x", True),  # scheme and host are case-blind
        ("http://api.example:8080/v1/@me?next=http://evil/#@evil", True),  # @ outside the authority is harmless
        ("http://evil\\@api.example:8080/v1/x", False),  # urllib3 connects to evil
        ("http://api.example:8080@evil/", False),
        ("http://user:pw@api.example:8080/", False),  # user info, even on the right host
        ("http://api%2Eexample:8080/", False),  # a percent-encoded host
        ("http://api.example:8080\t/", False),
        ("http://api.example:8080\n@evil/", False),
        ("http://api.example.:8080/", False),  # a trailing dot is another name
        ("https://api.example:8080/", False),  # another scheme is another origin
        ("http://api.example/", False),  # port 80, not 8080
        ("http://[::1]:8080\\@api.example:8080/", False),
    ],
)
def test_origin_decisions(url, allowed):
    if allowed:
        ENGINE.check_origin(url)
    else:
        with pytest.raises(SecurityError, match="credentials were not sent"):
            ENGINE.check_origin(url)


def test_the_origin_is_normalized_as_it_is_sent():
    assert origin("HTTP://API.Example/x") == origin("http://api.example:80/") == ("http", "api.example", 80)
    assert origin("https://api.example/") != origin("http://api.example/")  # https -> http is another origin
    assert origin("http://api.example./") != origin("http://api.example/")  # a trailing dot may resolve elsewhere
    with pytest.raises(SecurityError, match="scheme"):
        ENGINE.check_origin("ftp://api.example:8080/")


# -- 2. pagination that always ends ----------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["a", "b", "page", "x y"]), st.sampled_from(["1", "2", "", "&"])), max_size=5),
    st.randoms(use_true_random=False),
    st.sampled_from(["", "#", "#top", "#a=1"]),
    st.sampled_from(["http://H:80", "http://h", "HTTP://h:80"]),
)
def test_page_keys_ignore_fragments_param_order_case_and_default_ports(pairs, rng, fragment, host):
    shuffled = list(pairs)
    rng.shuffle(shuffled)
    from urllib.parse import urlencode

    assert page_key(f"{host}/p?{urlencode(shuffled)}{fragment}") == page_key("http://h/p", pairs)
    assert page_key(f"{host}/p?{urlencode(pairs)}") != page_key("http://h/p", [*pairs, ("extra", "1")])


def test_urls_differing_only_by_fragment_or_param_order_are_the_same_page(shared):
    assert page_key("HTTP://H:80/a?b=2&a=1#x") == page_key("http://h/a", [("a", "1"), ("b", "2")])
    hostile = shared.reset("same_page_next")
    with pytest.raises(PayloadError, match="already fetched"):
        run(hostile.task(max_pages=20), plugin_manager=hostile.plugin_manager())
    assert len(hostile.app.requests) == 2


def test_endless_junk_links_with_the_same_items_end_with_a_payload_error_naming_the_stream(shared):
    hostile = shared.reset("junk_next")
    with pytest.raises(PayloadError, match=r"items.*same items as an earlier page") as caught:
        run(hostile.task(max_pages=50), plugin_manager=hostile.plugin_manager())
    assert len(hostile.app.requests) == 2
    assert caught.value.report.records == {"relation": 3}  # the first page was kept


# -- 3. no wait is unbounded -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "epoch"), [("X-RateLimit-Reset", False), ("X-RateLimit-Reset", True), ("RateLimit-Reset", False)]
)
def test_a_huge_announced_reset_ends_the_run_with_a_quota_error_instead_of_sleeping(shared, header, epoch):
    hostile = shared.reset("rate_reset", reset=900, reset_header=header, reset_epoch=epoch)
    started = time.monotonic()
    with pytest.raises(QuotaError) as caught:
        run(hostile.task(), plugin_manager=hostile.plugin_manager())
    assert time.monotonic() - started < 3
    message = str(caught.value)
    assert "asked to wait 9" in message and "max_retry_wait" in message and "run again after" in message
    assert len(hostile.app.requests) == 1


def test_announced_waits_of_a_whole_run_are_bounded(shared):
    hostile = shared.reset("rate_reset", reset=0.4, pages=5)
    with pytest.raises(QuotaError, match=r"held 0\.4s.*max_rate_limit_wait"):
        run(hostile.task(max_rate_limit_wait=0.6), plugin_manager=hostile.plugin_manager())
    assert len(hostile.app.requests) == 2  # waited once (0.4 s), refused the second wait


def test_a_huge_retry_after_ends_the_run_with_a_quota_error_instead_of_sleeping(shared):
    hostile = shared.reset("retry_after", retry_after=900)
    started = time.monotonic()
    with pytest.raises(QuotaError, match=r"asked to wait 900s"):
        run(hostile.task(), plugin_manager=hostile.plugin_manager())
    assert time.monotonic() - started < 3 and len(hostile.app.requests) == 1


def test_a_body_dripped_byte_by_byte_ends_at_the_response_deadline_and_is_retried(hostile_server):
    hostile = hostile_server("drip", drip_interval=0.05)
    started = time.monotonic()
    with pytest.raises(TransientError, match=r"longer than 0\.25s to send one response"):
        run(hostile.task(response_timeout=0.25, max_attempts=2, backoff_initial=0.01), plugin_manager=hostile.plugin_manager())
    assert time.monotonic() - started < 3
    assert len(hostile.app.requests) == 2  # a TransientError: retried once


CHILD = textwrap.dedent(
    """
    import signal, sys
    signal.signal(signal.SIGINT, signal.default_int_handler)  # a background job ignores SIGINT
    from socialtap import run
    from socialtap.plugins import make_plugin_manager
    from socialtap.runner import Options, Task
    from socialtap.testing.hostile import TOKEN, HostilePlugin

    from socialtap.declarations import RateLimit

    limit = RateLimit(1, 60.0) if sys.argv[2] == "declared" else None  # the second request waits 60 s for a slot
    options = Options(base_url=sys.argv[1], max_retry_wait=600, concurrency=2, rate_limit=limit)
    try:
        run(Task("hostile", "items", {}, {"token": TOKEN}, options), plugin_manager=make_plugin_manager(extra=(HostilePlugin(),)))
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(3)
    """
)


WAITS = {  # the wait a child meets after its first request: behaviour, its options, the child's limit
    "announced_reset": ("rate_reset", {"reset": 60}, "-"),
    "retry_after": ("retry_after", {"retry_after": 60}, "-"),
    "declared_limit": ("none", {"pages": 2}, "declared"),
}


def test_ctrl_c_ends_a_long_wait_within_a_second(hostile_server):
    # The three children run side by side to keep the test short; each gets its own server.
    children = {}
    try:
        for name, (behaviour, options, limit) in WAITS.items():
            hostile = hostile_server(behaviour, **options)
            child = subprocess.Popen(
                [sys.executable, "-c", CHILD, hostile.base_url, limit], start_new_session=True, stderr=subprocess.PIPE
            )
            children[name] = (hostile, child)
        for name, (hostile, _) in children.items():
            deadline = time.monotonic() + 20
            while not hostile.app.requests and time.monotonic() < deadline:
                time.sleep(0.02)
            assert hostile.app.requests, f"{name}: the child never reached the server"
        time.sleep(0.3)  # now inside the 60 s waits
        for name, (_, child) in children.items():
            assert child.poll() is None, f"{name}: the child did not wait"
            os.kill(child.pid, signal.SIGINT)
        interrupted = time.monotonic()
        for name, (_, child) in children.items():
            try:
                code = child.wait(timeout=max(0.1, interrupted + 5 - time.monotonic()))
            except subprocess.TimeoutExpired:
                pytest.fail(f"{name}: the child was still waiting 5 s after Ctrl-C")
            assert time.monotonic() - interrupted < 2, name
            assert code == 130, f"{name}: " + child.stderr.read().decode()[-2000:]
    finally:
        for _, child in children.values():
            if child.poll() is None:
                child.kill()
                child.wait()
            child.stderr.close()
