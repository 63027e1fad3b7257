"""The sandbox harness and fault injection."""

from __future__ import annotations

import socket
import threading

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from socialtap.errors import ConfigError
from socialtap.testing import serve_sandbox
from socialtap.testing.faults import FaultInjector, Faults

AUTH = {"Authorization": "Bearer example-test-token"}


def get(base_url: str, path: str = "/profiles/a"):
    return requests.get(base_url + path, headers=AUTH, timeout=5)


def test_sandboxes_run_side_by_side_and_leave_no_thread_or_port_behind():
    before = set(threading.enumerate())
    with serve_sandbox("example", seed=1) as one, serve_sandbox("example", seed=2) as two:
        assert one.served.port != two.served.port
        first, second = get(one.base_url).json(), get(two.base_url).json()
        ports = (one.served.port, two.served.port)
    assert first["id"] == second["id"] == "a" and first["followers"] != second["followers"]
    assert set(threading.enumerate()) - before == set()
    for port in ports:
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            pass


def test_the_same_seed_gives_the_same_data():
    with serve_sandbox("example", seed=5) as one:
        first = get(one.base_url, "/profiles/z/posts?page=2").json()
    with serve_sandbox("example", seed=5) as two:
        assert get(two.base_url, "/profiles/z/posts?page=2").json() == first


def test_sandbox_sizes_are_parameters():
    with serve_sandbox("example", posts_per_profile=2000) as running:
        assert get(running.base_url, "/profiles/z/posts?page=1").json()["total"] == 2000


def test_fault_spec_parses_like_the_cli_takes_it():
    faults = Faults.parse(
        "latency=50ms,error_rate=0.1,reset_rate=0.05,throttle=5/s,malformed_rate=0.01,seed=7,slow_rate=0.2,slow_body=1.5s"
    )
    assert faults == Faults(
        latency=0.05, error_rate=0.1, reset_rate=0.05, throttle=5.0, malformed_rate=0.01, seed=7, slow_rate=0.2, slow_body=1.5
    )
    assert Faults.parse("throttle=120/min").throttle == 2.0


@given(st.text(max_size=30))
def test_a_bad_fault_spec_is_a_config_error_or_a_plan(spec):
    try:
        Faults.parse(spec)
    except ConfigError as exc:
        assert "fault" in str(exc) or "throttle" in str(exc)


def test_faults_are_injected_counted_and_repeatable():
    def outcomes(seed: int) -> tuple[list[str], dict[str, int]]:
        seen = []
        with serve_sandbox("example", faults=f"error_rate=0.3,reset_rate=0.2,malformed_rate=0.1,seed={seed}") as running:
            for _ in range(40):
                try:
                    response = get(running.base_url)
                    try:
                        response.json()
                        seen.append(str(response.status_code))
                    except ValueError:
                        seen.append("malformed")
                except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                    seen.append("reset")
            return seen, running.faults_seen

    seen, counts = outcomes(3)
    assert counts["requests"] == 40
    assert seen.count("reset") == counts["reset"] > 0
    assert seen.count("malformed") == counts["malformed"] > 0
    assert (
        sum(seen.count(code) for code in ("500", "502", "503")) == sum(counts.get(f"error_{c}", 0) for c in (500, 502, 503)) > 0
    )
    assert outcomes(3)[0] == seen


def test_throttle_answers_429_with_retry_after():
    with serve_sandbox("example", faults="throttle=3/s,retry_after=2") as running:
        statuses = [get(running.base_url) for _ in range(6)]
    throttled = [r for r in statuses if r.status_code == 429]
    assert len(throttled) == 3 and all(r.headers["Retry-After"] == "2" for r in throttled)
    assert running.faults_seen["throttled"] == 3


def test_a_slow_body_outlasts_a_short_read_timeout():
    with serve_sandbox("example", faults="slow_rate=1,slow_body=1s") as running:
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(running.base_url + "/profiles/a", headers=AUTH, timeout=(2, 0.3)).content  # noqa: B018


def test_the_injector_is_transparent_without_faults():
    with serve_sandbox("example", faults=Faults()) as running:
        assert get(running.base_url).status_code == 200
        assert isinstance(running.injector, FaultInjector) and running.faults_seen == {"requests": 1}


def test_an_app_served_from_a_child_process_reports_its_state_and_stops_on_sigterm():
    import requests as http

    from socialtap.testing.server import serve_app_in_subprocess

    kwargs = {"vendor_name": "example"}
    with serve_app_in_subprocess("socialtap.testing:sandbox_app", kwargs=kwargs) as served:
        answer = http.get(f"{served.url}/v2/profiles/abc", headers={"Authorization": "Bearer example-test-token"}, timeout=10)
        assert answer.status_code == 200 and answer.json()["id"] == "abc"
        assert set(served.state("seed")) == {"seed"}
        process = served.process
    assert process.returncode == 0  # SIGTERM: a clean exit, nothing left behind
