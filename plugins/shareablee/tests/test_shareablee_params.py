"""Every documented params rule, checked before any request (socialtap.params.validate_params)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialtap.default_requests import socialtap_requests
from socialtap.errors import ConfigError
from socialtap.params import validate_params
from socialtap_shareablee import catalog
from socialtap_shareablee.plugin import SHAREABLEE

FB, TW, IG = "facebook", "twitter", "instagram"
DATES = {"start_date": "2016-01-01", "end_date": "2016-01-31"}

MINIMAL: dict[str, dict] = {
    "user_content": {"entity_id": ["1"], "service": FB},
    "user_metrics": {"entity_id": ["1"], "service": FB},
    "user_time_series": {"entity_id": ["1"], "service": FB},
    "user_realtime_time_series": {"entity_id": ["1"], "service": FB},
    "user_overlap_comparison": {"entity_id": ["1"], "object_ids": ["2"]},
    "user_affinity_comparison": {"entity_id": ["1"], "object_ids": ["2"]},
    "user_overlap_ranking": {"entity_id": ["1"], **DATES},
    "user_affinity_ranking": {"entity_id": ["1"], **DATES},
    "page_insights": {"entity_id": ["1"]},
    "user_cross_platform": {"entity_id": ["1"]},
    "user_top_content": {"entity_id": ["1"]},
    "category_members": {"category_id": ["1"], "service": FB},
    "category_metrics": {"category_id": ["1"], "service": FB},
    "category_time_series": {"category_id": ["1"], "service": FB},
    "category_ranking": {"category_id": ["1"]},
    "category_cross_platform": {"category_id": ["1"]},
    "category_top_content": {"category_id": ["1"]},
    "category_realtime_rankings": {"category_id": ["1"]},
    "me_properties": {},
    "me_categories": {},
    "find_user": {"term": "NBA"},
}

# "services among facebook, twitter, instagram as each endpoint allows" (the docs' Notes).
SERVICE_OF = {
    "user_content": (FB, TW),
    "user_metrics": (FB, TW, IG),
    "user_time_series": (FB, TW),
    "user_realtime_time_series": (FB, TW),
    "user_overlap_comparison": (FB,),
    "user_affinity_comparison": (FB,),
    "user_overlap_ranking": (FB,),
    "user_affinity_ranking": (FB,),
    "page_insights": (FB,),
    "category_members": (FB, TW, IG),
    "category_metrics": (FB, TW, IG),
    "category_time_series": (FB, TW),
    "category_ranking": (FB,),
}
SERVICES_OF = {
    "user_cross_platform": (FB, TW, IG),
    "user_top_content": (FB, TW, IG),
    "category_cross_platform": (FB, TW, IG),
    "category_top_content": (FB, TW, IG),
    "category_realtime_rankings": (FB, TW),
}
OPTIONAL_DATES = [
    "user_content",
    "user_metrics",
    "user_time_series",
    "user_overlap_comparison",
    "user_affinity_comparison",
    "page_insights",
    "user_top_content",
    "category_metrics",
    "category_time_series",
    "category_ranking",
    "category_top_content",
]
REQUIRED_DATES = ["user_overlap_ranking", "user_affinity_ranking"]
LIMITED = ["user_overlap_ranking", "user_top_content", "category_top_content"]


def validate(stream: str, **changes):
    raw = {**MINIMAL[stream], **changes}
    raw = {k: v for k, v in raw.items() if v is not None}
    return validate_params(SHAREABLEE.stream(stream).params, raw)


def problems(stream: str, **changes) -> list[str]:
    try:
        validate(stream, **changes)
    except ConfigError as exc:
        return exc.problems
    return []


def test_every_stream_is_covered_here():
    assert sorted(MINIMAL) == sorted(s.name for s in SHAREABLEE.streams)
    assert set(SERVICE_OF) | set(SERVICES_OF) | {"me_properties", "me_categories", "find_user"} == set(MINIMAL)


@pytest.mark.parametrize("stream", sorted(MINIMAL))
def test_minimal_params_are_valid(stream):
    assert problems(stream) == []


@pytest.mark.parametrize("stream", sorted(SERVICE_OF))
@pytest.mark.parametrize("service", [FB, TW, IG, "tumblr", "Facebook"])
def test_service_per_endpoint(stream, service):
    found = problems(stream, service=service)
    if service in SERVICE_OF[stream]:
        assert found == []
    else:
        assert len(found) == 1 and "$.service" in found[0] and "choose one of" in found[0]


@pytest.mark.parametrize("stream", sorted(SERVICES_OF))
@given(services=st.lists(st.sampled_from([FB, TW, IG, "tumblr", "myspace"]), max_size=5))
@settings(max_examples=40, deadline=None)
def test_services_lists_per_endpoint(stream, services):
    valid = all(s in SERVICES_OF[stream] for s in services) and len(set(services)) == len(services)
    assert (problems(stream, services=services) == []) is valid


@pytest.mark.parametrize("stream", OPTIONAL_DATES)
@given(
    start=st.none() | st.dates(dt.date(2016, 1, 1), dt.date(2030, 12, 31)),
    end=st.none() | st.dates(dt.date(2016, 1, 1), dt.date(2030, 12, 31)),
)
@settings(max_examples=40, deadline=None)
def test_both_dates_or_neither_and_start_not_after_end(stream, start, end):
    found = problems(stream, start_date=start, end_date=end)
    if (start is None) != (end is None):
        assert any("give both start_date and end_date, or neither" in p for p in found)
    elif start is not None and start > end:
        assert any("is after end_date" in p for p in found)
    else:
        assert found == []


@pytest.mark.parametrize("stream", REQUIRED_DATES)
def test_ranking_dates_are_required(stream):
    raw = {k: v for k, v in MINIMAL[stream].items() if k not in DATES}
    with pytest.raises(ConfigError) as caught:
        validate_params(SHAREABLEE.stream(stream).params, raw)
    assert {p.split(" @ ")[1] for p in caught.value.problems} == {"$.start_date", "$.end_date"}


@given(text=st.text(alphabet="0123456789-/ T:", max_size=12) | st.dates().map(dt.date.isoformat))
@settings(max_examples=150, deadline=None)
def test_dates_are_yyyy_mm_dd(text):
    try:
        parsed = dt.date.fromisoformat(text) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) else None
    except ValueError:
        parsed = None
    found = problems("user_metrics", start_date=text, end_date="9999-12-31")
    if parsed is None:
        assert any("YYYY-MM-DD" in p and "$.start_date" in p for p in found), found
    else:
        assert found == []


def test_date_objects_are_accepted():
    params = validate("user_metrics", start_date=dt.date(2016, 1, 1), end_date=dt.date(2016, 1, 1))
    assert params.start_date == params.end_date == dt.date(2016, 1, 1)


@pytest.mark.parametrize(
    ("stream", "earliest"),
    [
        ("user_affinity_comparison", catalog.AFFINITY_EARLIEST),
        ("user_affinity_ranking", catalog.AFFINITY_EARLIEST),
        ("page_insights", catalog.INSIGHTS_EARLIEST),
    ],
)
def test_earliest_start_dates(stream, earliest):
    day_before = earliest - dt.timedelta(days=1)
    assert problems(stream, start_date=earliest.isoformat(), end_date="2018-01-31") == []
    found = problems(stream, start_date=day_before.isoformat(), end_date="2018-01-31")
    assert len(found) == 1 and f"earliest date this endpoint serves ({earliest})" in found[0]


@pytest.mark.parametrize("stream", LIMITED)
@given(limit=st.integers(-5, 400))
@settings(max_examples=40, deadline=None)
def test_limit_is_1_to_100(stream, limit):
    found = problems(stream, limit=limit)
    if 1 <= limit <= 100:
        assert found == []
    else:
        assert len(found) == 1 and "limit must be between 1 and 100" in found[0]


@given(start=st.none() | st.integers(-3, 10), end=st.none() | st.integers(-3, 10))
@settings(max_examples=200, deadline=None)
def test_realtime_offsets_0_to_6_with_start_below_end(start, end):
    found = problems("user_realtime_time_series", start_offset=start, end_offset=end)
    in_range = all(v is None or 0 <= v <= 6 for v in (start, end))
    if not in_range:
        assert any("day offset from today, 0 to 6" in p for p in found)
    elif (start is None) != (end is None):
        assert any("give both start_offset and end_offset" in p for p in found)
    elif start is not None and start >= end:
        assert any("must be less than end_offset" in p for p in found)
    else:
        assert found == []


_ID = re.compile(r"[A-Za-z0-9_.:-]+")


@given(value=st.text(max_size=12))
@settings(max_examples=150, deadline=None)
def test_ids_cannot_leave_their_path_segment(value):
    valid = bool(_ID.fullmatch(value)) and value not in (".", "..")
    assert (problems("user_metrics", entity_id=[value]) == []) is valid
    assert (problems("category_members", category_id=[value]) == []) is valid
    assert (problems("user_overlap_comparison", object_ids=[value]) == []) is valid


@pytest.mark.parametrize("value", ["../me", "1/2", "..", "a b", "1?x=2", "%2e%2e"])
def test_path_traversal_ids_are_refused(value):
    assert problems("user_metrics", entity_id=[value])


@pytest.mark.parametrize("stream", ["user_metrics", "category_metrics"])
def test_id_lists_must_not_be_empty(stream):
    key = "entity_id" if stream.startswith("user") else "category_id"
    assert any("give at least one" in p for p in problems(stream, **{key: []}))


def test_a_single_id_is_a_one_item_list():
    assert validate("user_metrics", entity_id="123").entity_id == ["123"]
    assert validate("user_metrics", entity_id=123).entity_id == ["123"]


@pytest.mark.parametrize("stream", ["user_overlap_comparison", "user_affinity_comparison"])
def test_object_ids_are_required(stream):
    raw = {k: v for k, v in MINIMAL[stream].items() if k != "object_ids"}
    with pytest.raises(ConfigError) as caught:
        validate_params(SHAREABLEE.stream(stream).params, raw)
    assert any("missing required param 'object_ids'" in p for p in caught.value.problems)
    assert problems(stream, object_ids=[])


@pytest.mark.parametrize("term", ["", "   "])
def test_find_term_is_required_and_not_blank(term):
    assert any("term must not be empty" in p for p in problems("find_user", term=term))
    with pytest.raises(ConfigError):
        validate_params(SHAREABLEE.stream("find_user").params, {})


def test_category_ranking_metric_is_total_actions_only():
    assert validate("category_ranking").metric == "total_actions"
    assert problems("category_ranking", metric="total_actions") == []
    assert any("choose one of: total_actions" in p for p in problems("category_ranking", metric="likes_count"))


@pytest.mark.parametrize(
    ("stream", "service", "category"),
    [
        ("user_time_series", FB, False),
        ("user_time_series", TW, False),
        ("user_realtime_time_series", FB, False),
        ("user_realtime_time_series", TW, False),
        ("category_time_series", FB, True),
        ("category_time_series", TW, True),
    ],
)
@given(data=st.data())
@settings(max_examples=20, deadline=None)
def test_time_series_fields_are_the_documented_ones(stream, service, category, data):
    allowed = catalog.time_series_fields(service, category=category)
    fields = data.draw(st.lists(st.sampled_from(allowed), min_size=1, max_size=4, unique=True))
    key = "entity_id" if stream.startswith("user") else "category_id"
    assert problems(stream, service=service, fields=fields, **{key: ["1"]}) == []
    bad = data.draw(st.sampled_from(["favorites_average", "page_impressions", "followers"]))
    assert any("not a documented" in p for p in problems(stream, service=service, fields=[*fields, bad]))


def test_native_video_views_is_a_metrics_field_not_a_time_series_field():
    assert any("not a documented" in p for p in problems("user_time_series", fields=["native_video_views"]))


def test_fields_follow_the_service():
    assert problems("user_time_series", service=TW, fields=["tweet_count"]) == []
    assert problems("user_time_series", service=FB, fields=["tweet_count"])


def test_page_insights_fields():
    assert problems("page_insights", fields=["page_impressions", "page_negative_feedback_by_type"]) == []
    assert any("not served by page insights" in p for p in problems("page_insights", fields=["page_fans"]))
    assert any("more than once" in p for p in problems("page_insights", fields=["page_reach", "page_reach"]))


def test_page_is_zero_based():
    assert validate("user_content").page == 0
    assert problems("user_content", page=-1)


def test_unknown_params_are_named():
    found = problems("user_metrics", service=FB, sort="desc")
    assert any("unknown param 'sort'" in p for p in found)


def test_every_problem_is_reported_at_once():
    found = problems("user_overlap_ranking", service="twitter", limit=0, entity_id=["a/b"])
    assert {p.split(" @ ")[-1] for p in found} == {"$.service", "$.limit", "$.entity_id"}


# --- what the validated params become on the wire ------------------------------------


def first_requests(stream: str, **changes):
    return list(socialtap_requests(SHAREABLEE, SHAREABLEE.stream(stream), validate(stream, **changes)))


def test_entity_ids_fan_out_into_one_chain_each_deduplicated():
    requests = first_requests("user_metrics", entity_id=["11", "22", "11", "33"], **DATES)
    assert [r.url for r in requests] == ["/user/11/facebook/metrics/", "/user/22/facebook/metrics/", "/user/33/facebook/metrics/"]
    assert [r.chain for r in requests] == ["entity_id=11", "entity_id=22", "entity_id=33"]
    assert requests[0].query == (("start_date", "2016-01-01"), ("end_date", "2016-01-31"))


def test_category_ids_fan_out():
    requests = first_requests("category_realtime_rankings", category_id=["5", "6"], services=[FB, TW], date="2016-03-01")
    assert [r.url for r in requests] == [
        "/realtime/category/5/cross_platform/rankings/",
        "/realtime/category/6/cross_platform/rankings/",
    ]
    assert requests[1].query == (("services", "facebook,twitter"), ("date", "2016-03-01"))


def test_object_ids_repeat_object_id():
    (request,) = first_requests("user_overlap_comparison", object_ids=["2", "3"])
    assert request.query == (("object_id", "2"), ("object_id", "3"))
    assert request.url == "/user/1/facebook/overlap/comparison/property/"


def test_fields_are_comma_separated():
    (request,) = first_requests("user_time_series", fields=["total_actions", "latest_fans"])
    assert request.query == (("fields", "total_actions,latest_fans"),)


def test_realtime_flag_selects_the_realtime_path_and_is_not_sent():
    (plain,) = first_requests("user_top_content", limit=5)
    (realtime,) = first_requests("user_top_content", limit=5, realtime=True)
    assert plain.url == "/user/1/cross_platform/top_content/"
    assert realtime.url == "/realtime/user/1/cross_platform/top_content/"
    assert realtime.query == plain.query == (("limit", "5"),)


def test_category_top_content_has_only_its_documented_path_and_no_realtime_flag():
    # The docs' "real time variant" note on category top content names the user endpoint
    # (/realtime/user/{entity_id}/...): no /realtime/category/.../top_content/ is documented.
    (category,) = first_requests("category_top_content", limit=5)
    assert category.url == "/category/1/cross_platform/top_content/"
    assert category.query == (("limit", "5"),)
    found = problems("category_top_content", realtime=True)
    assert found and any("realtime" in p for p in found)


def test_content_starts_at_page_0():
    (request,) = first_requests("user_content", sort_ascending=False)
    assert request.query == (("sort_ascending", "false"), ("page", "0"))
