"""Totals add up, in the sandbox and after normalization, and no platform counts twice.

Hypothesis draws profiles, ranges, platform filters and metric lists; every draw is a real
request to the sandbox on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socialtap import RateLimit, clock
from socialtap.records import Observation
from socialtap.runner import Options, Task, iter_records
from socialtap.testing import serve_sandbox
from socialtap_uploadpost.params import METRICS, PLATFORMS
from socialtap_uploadpost.sandbox import TEST_API_KEY

PROFILES = ["profile1", "profile2", "myprofile"]
FAST = RateLimit(10_000, 1.0)  # the property is about sums, not pacing
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

queries = st.fixed_dictionaries(
    {
        "profile": st.sampled_from(PROFILES),
        "back": st.integers(0, 40),
        "days": st.integers(0, 40),
        "platform": st.none() | st.lists(st.sampled_from(PLATFORMS), min_size=1, max_size=4, unique=True),
        "metrics": st.none() | st.lists(st.sampled_from(METRICS), min_size=1, max_size=4, unique=True),
    }
)


def params_of(query: dict) -> dict:
    start = clock.today() - dt.timedelta(days=query["back"])
    end = min(start + dt.timedelta(days=query["days"]), clock.today())
    params = {
        "profile_username": query["profile"],
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "breakdown": True,
    }
    for name in ("platform", "metrics"):
        if query[name] is not None:
            params[name] = query[name]
    return params


def by_metric(body: dict) -> dict[str, tuple[float, dict, dict]]:
    """``{metric: (total, per platform, per day)}`` of either response shape."""
    if "metrics" in body:
        return {m: (v, body["per_platform"][m], body["per_day"][m]) for m, v in body["metrics"].items()}
    return {"total_impressions": (body["total_impressions"], body["per_platform"], body["per_day"])}


def test_breakdowns_add_up_to_the_total_in_the_sandbox_and_after_normalization():
    with clock.frozen("2026-03-15T10:00:00Z"), serve_sandbox("uploadpost") as running:
        headers = {"Authorization": f"Apikey {TEST_API_KEY}"}

        @SETTINGS
        @given(queries)
        def check(query):
            params = params_of(query)
            sent = {k: ",".join(v) if isinstance(v, list) else ("true" if v is True else v) for k, v in params.items()}
            sent.pop("profile_username")
            body = requests.get(
                f"{running.base_url}/uploadposts/total-impressions/{query['profile']}", params=sent, headers=headers, timeout=10
            ).json()
            for total, per_platform, per_day in by_metric(body).values():
                assert sum(per_platform.values()) == total == sum(per_day.values())

            task = Task(
                "uploadpost",
                "total_impressions",
                params,
                running.credentials,
                Options(base_url=running.base_url, rate_limit=FAST),
            )
            records = [r for r in iter_records(task) if isinstance(r, Observation)]
            totals, parts, days = defaultdict(list), defaultdict(list), defaultdict(list)
            for record in records:
                name = record.metric
                if record.platform == "all" and record.date is None:
                    totals[name].append(record.value)
                elif record.platform == "all":
                    days[name].append(record.value)
                else:
                    parts[name].append(record.value)
            assert len(totals) == len(by_metric(body)) and all(len(v) == 1 for v in totals.values())
            for name, (total,) in totals.items():
                # parts (their platform's rows) and days (the `all` rows with a date) each add up to
                # the total; adding the total to its parts is what the platform column prevents
                assert sum(parts[name]) == total == sum(days[name])

        check()


def test_each_platform_counts_once_with_its_primary_field():
    """The total-impressions part of a platform is its reach_timeseries (the series of its
    primary impressions field) over the same days, never reach and views added together."""
    with clock.frozen("2026-03-15T10:00:00Z"), serve_sandbox("uploadpost") as running:

        @SETTINGS
        @given(st.sampled_from(PROFILES), st.integers(0, 29), st.integers(0, 29))
        def check(profile, back, days):
            start = clock.today() - dt.timedelta(days=back)
            end = min(start + dt.timedelta(days=days), clock.today())
            options = Options(base_url=running.base_url, rate_limit=FAST)
            params = {
                "profile_username": profile,
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "breakdown": True,
            }
            totals = list(iter_records(Task("uploadpost", "total_impressions", params, running.credentials, options)))
            parts = {r.platform: r.value for r in totals if r.platform != "all"}
            platforms = ",".join(parts)
            analytics = {"profile_username": profile, "platforms": platforms, **({"page_id": "0"} if "facebook" in parts else {})}
            series = list(iter_records(Task("uploadpost", "profile_analytics", analytics, running.credentials, options)))
            in_range = defaultdict(int)
            for record in series:
                if isinstance(record, Observation) and record.date is not None and start <= record.date <= end:
                    in_range[record.platform] += record.value
            assert parts == dict(in_range)

        check()
