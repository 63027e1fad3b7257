"""Normalization per endpoint, over real HTTP against the sandbox.

The id ``example`` makes the sandbox answer the docs' example response of each endpoint,
so these tests pin the mapping of the documented payloads, value by value.
"""

from __future__ import annotations

import datetime as dt
import json

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialtap import Account, Observation, PayloadError, Post, Relation, Task, iter_records
from socialtap.plugins import make_plugin_manager
from socialtap.testing import sandbox_task_options, serve_app, serve_sandbox
from socialtap.testing.emulator import json_response
from socialtap_shareablee.examples import example
from socialtap_shareablee.normalize import value_status
from socialtap_shareablee.sandbox import ShareableeSandbox

UTC = dt.UTC
EX = "example"


def fetch(stream: str, params: dict, **sandbox_options) -> list:
    with serve_sandbox("shareablee", plugin_manager=make_plugin_manager(), **sandbox_options) as sandbox:
        # These tests check what normalize maps the docs' fields onto, personal ones included,
        # so they keep them; leaving them out by default is core/tests/test_terms.py's.
        options = attrs.evolve(sandbox_task_options(sandbox), keep_personal_data=True)
        task = Task("shareablee", stream, params, sandbox.credentials, options)
        return list(iter_records(task, plugin_manager=make_plugin_manager()))


def by_metric(records, **dimensions) -> dict:
    return {
        r.metric: r
        for r in records
        if isinstance(r, Observation) and all(r.dimensions.get(k) == v for k, v in dimensions.items())
    }


# --- content ----------------------------------------------------------------------------


def test_user_content_example_is_one_post_with_canonical_metrics():
    (post,) = fetch("user_content", {"entity_id": EX, "service": "facebook"})
    assert post == Post(
        "shareablee",
        "facebook",
        "8284950382",
        account_id="123456",
        url="http://facebook.com/example/url",
        created_at=dt.datetime(2013, 7, 29, 0, 37, 26, tzinfo=UTC),
        text="The text content of the post",
        media_type="link",
        metrics={
            "likes": 42,
            "reactions": 55,
            "comments": 13,
            "shares": 100,
            "engagements": 168,
            "video_views": 12,
            "impressions": 10000,
            "fans": 1000,
            "word_count": 40,
            "total_actions_percent_fans": 15.5,
            "impressions_percent_fans": 10,
        },
        # link beside post_url (what the post links to), the page's header beside account_id
        attributes={
            "username": "My Facebook Page",
            "link": "http://shareablee.com",
            "user": {"name": "My Facebook Page", "object_id": 123},
        },
    )


def test_seeded_twitter_content_uses_status_id_and_twitter_field_names():
    world = ShareableeSandbox()
    entity = next(e for e in world.entities.values() if "twitter" in e.services)
    posts = fetch("user_content", {"entity_id": entity.entity_id, "service": "twitter"}, posts_per_entity=3)
    assert len(posts) == 3
    raw = world.posts(entity, "twitter")[0]
    assert posts[0].post_id == raw["status_id"]
    assert posts[0].metrics == {"likes": raw["like_count"], "shares": raw["retweet_count"], "engagements": raw["total_actions"]}
    assert posts[0].created_at.tzinfo is not None


@pytest.mark.parametrize(("stream", "key"), [("user_top_content", "entity_id"), ("category_top_content", "category_id")])
def test_top_content_example_per_service_field_names(stream, key):
    posts = {p.platform: p for p in fetch(stream, {key: EX})}
    assert posts["instagram"].metrics == {"likes": 600, "comments": 110, "engagements": 5000}
    assert posts["twitter"].metrics == {"likes": 300, "shares": 400, "engagements": 4000}
    assert posts["facebook"].metrics == {"likes": 9000, "shares": 100, "comments": 100, "engagements": 500}
    assert posts["twitter"].created_at == dt.datetime(2015, 12, 10, 0, 1, tzinfo=UTC)
    assert posts["facebook"].post_id == "1050_123" and posts["instagram"].media_type == "picture"
    expected_accounts = {"instagram": "1234", "twitter": "1234", "facebook": "1234"}
    if stream == "category_top_content":
        expected_accounts = {"instagram": "1234", "twitter": "4567", "facebook": "2233"}
    assert {p: post.account_id for p, post in posts.items()} == expected_accounts
    assert posts["instagram"].url is None  # no post_url: link is not taken for it
    assert posts["instagram"].attributes == {
        "username": "My Instagram",
        "user_id": "98765",
        "link": "https://instagram.com/example",
        "thumbnail": "http://instagr.am/example",
        **({"category_id": "1234"} if stream == "category_top_content" else {}),
    }


# --- metrics and series -----------------------------------------------------------------


def test_user_metrics_example_maps_canonical_names_and_countries():
    records = fetch("user_metrics", {"entity_id": EX, "service": "facebook"})
    plain = {r.metric: r for r in records if not r.dimensions}
    assert {
        m: plain[m].value for m in ("followers", "likes", "comments", "shares", "engagements", "video_views", "impressions")
    } == {
        "followers": 6023945,
        "likes": 1068780,
        "comments": 61815,
        "shares": 312054,
        "engagements": 1442649,
        "video_views": 123456,
        "impressions": 650821096,
    }
    assert all(plain[m].canonical for m in ("followers", "likes", "impressions"))
    assert plain["fan_average"].canonical is False and plain["fan_average"].value == 5967411.3
    assert plain["reactions_count"].canonical is False  # not in the mapping: keeps its name
    assert {r.unit for r in records} == {None}  # the docs give no unit: none is guessed from a name
    assert {json.dumps(r.attributes, sort_keys=True) for r in records if not r.dimensions} == {
        json.dumps({"name": "My Facebook Page", "object_id": "123456"}, sort_keys=True)
    }
    assert {(r.entity_type, r.entity_id, r.platform, r.status) for r in records} == {("account", EX, "facebook", "available")}
    us = by_metric(records, country="US")
    assert us["followers"].value == 900598 and us["fans_by_country_percent"].value == pytest.approx(44.681927580571475)
    assert us["fans_by_country_percent"].attributes["full_name"] == "United States"
    assert by_metric(records, country="IN")["followers"].value == 169323
    metrics = example("user_metrics")["metrics"]
    assert len(records) == len(metrics) - 1 + 2 * len(metrics["fans_by_country"])


def test_metrics_over_a_date_range_carry_the_period():
    records = fetch("user_metrics", {"entity_id": EX, "service": "twitter", "start_date": "2016-01-01", "end_date": "2016-01-31"})
    assert {r.dimensions.get("period") for r in records} == {"2016-01-01/2016-01-31"}
    assert {r.platform for r in records} == {"twitter"}


def test_category_metrics_example_is_about_the_category():
    records = fetch("category_metrics", {"category_id": EX, "service": "facebook"})
    metrics = by_metric(records)
    assert {(r.entity_type, r.entity_id) for r in records} == {("category", EX)}
    assert metrics["followers"].value == pytest.approx(907077.8661338661)
    assert metrics["native_video_views_average"].canonical is False
    assert len(records) == len(example("category_metrics")["metrics"])


@pytest.mark.parametrize(("stream", "key"), [("user_time_series", "entity_id"), ("category_time_series", "category_id")])
def test_time_series_example_gives_dated_observations(stream, key):
    records = fetch(stream, {key: EX, "service": "facebook"})
    got = sorted((r.metric, r.date, r.value) for r in records)
    expected = [("engagements", dt.date(2015, 12, 7), 65030), ("engagements", dt.date(2015, 12, 8), 43824)]
    if stream == "category_time_series":
        expected += [("likes", dt.date(2015, 12, 7), 65030), ("likes", dt.date(2015, 12, 8), 43824)]
    assert got == sorted(expected)
    assert {r.entity_type for r in records} == {"category" if key == "category_id" else "account"}


def test_seeded_time_series_has_one_value_per_day_and_field():
    world = ShareableeSandbox()
    entity = next(iter(world.entities))
    params = {"entity_id": entity, "service": "facebook", "start_date": "2016-02-27", "end_date": "2016-03-01"}
    records = fetch("user_time_series", {**params, "fields": ["total_actions", "post_count"]})
    assert len(records) == 2 * 4
    assert {r.date for r in records} == {dt.date(2016, 2, 27), dt.date(2016, 2, 28), dt.date(2016, 2, 29), dt.date(2016, 3, 1)}
    assert {r.metric for r in records} == {"engagements", "post_count"}


def test_realtime_time_series_example_has_a_date_offset_dimension():
    records = fetch("user_realtime_time_series", {"entity_id": EX, "service": "twitter"})
    assert sorted((r.metric, r.dimensions["date_offset"], r.value) for r in records) == [
        ("engagements", "0", 65030),
        ("engagements", "1", 43824),
    ]
    assert all(r.date is None and r.fetched_at is not None for r in records)


# --- overlap and affinity ----------------------------------------------------------------


@pytest.mark.parametrize(
    "sent",
    [["987654", "123987"], ["123456", "98765"]],
    ids=["the results' object_ids", "the results' entity_ids"],
)
def test_overlap_comparison_example(sent):
    # compared_entity is the id the user sent, whichever of the result's ids echoes it
    records = fetch("user_overlap_comparison", {"entity_id": EX, "object_ids": sent})
    assert [(r.dimensions["compared_entity"], r.value, r.status) for r in records] == [
        (sent[0], 0.14, "available"),
        (sent[1], 0.7, "available"),
    ]
    assert [r.attributes for r in records] == [
        {
            "name": "foo",
            "object_id": "344657882",
            "start_date": "2015-10-01",
            "end_date": "2015-10-31",
            "compared_entity_id": 123456,
            "compared_object_id": "987654",
            "compared_name": "bar1",
        },
        {
            "name": "foo",
            "object_id": "344657882",
            "start_date": "2015-10-01",
            "end_date": "2015-10-31",
            "compared_entity_id": 98765,
            "compared_object_id": "123987",
            "compared_name": "bar2",
        },
    ]
    assert {r.dimensions["period"] for r in records} == {"2015-10-01/2015-10-31"}
    assert {r.metric for r in records} == {"audience_percent_overlap"}


def test_overlap_dash_is_unavailable_and_star_is_below_threshold():
    world = ShareableeSandbox()
    ids = list(world.entities)
    month = dt.date(2016, 1, 1)
    base = ids[0]
    star = next(o for o in ids[1:] if world.overlap(base, o, month) == "*")
    number = next(o for o in ids[1:] if isinstance(world.overlap(base, o, month), float))
    unknown = "404404"
    records = fetch(
        "user_overlap_comparison",
        {"entity_id": base, "object_ids": [star, number, unknown], "start_date": "2016-01-01", "end_date": "2016-01-31"},
    )
    got = {r.dimensions["compared_entity"]: (r.status, r.value) for r in records}
    assert got == {
        star: ("below_threshold", None),
        number: ("available", world.overlap(base, number, month)),
        unknown: ("unavailable", None),
    }


def test_overlap_ranking_keeps_rank_and_star_values():
    world = ShareableeSandbox()
    base = next(iter(world.entities))
    stars = [o for o in world.entities if o != base and world.overlap(base, o, dt.date(2016, 1, 1)) == "*"]
    assert stars, "seed 0 has overlaps under the threshold"
    records = fetch(
        "user_overlap_ranking", {"entity_id": base, "start_date": "2016-01-01", "end_date": "2016-01-31", "limit": 100}
    )
    assert [r.dimensions["rank"] for r in records] == [str(i) for i in range(1, len(world.entities))]
    below = [r for r in records if r.status == "below_threshold"]
    assert sorted(r.dimensions["compared_entity"] for r in below) == sorted(stars)
    assert all(r.value is None for r in below)
    values = [r.value for r in records if r.status == "available"]
    assert values == sorted(values, reverse=True)


def test_overlap_ranking_example():
    records = fetch("user_overlap_ranking", {"entity_id": EX, "start_date": "2015-10-01", "end_date": "2015-10-31"})
    assert [(r.dimensions["rank"], r.dimensions["compared_entity"], r.value) for r in records] == [
        ("1", "7548", 6.25),
        ("2", "1298", 3.77),
        ("3", "9746", 3.66),
        ("4", "6757", 3.59),
        ("5", "9753", 3.33),
    ]


def test_affinity_comparison_example():
    records = fetch("user_affinity_comparison", {"entity_id": EX, "object_ids": ["123456", "98765"]})
    total = [r for r in records if "compared_entity" not in r.dimensions]
    assert [(r.metric, r.value) for r in total] == [("unique_engaged_users", 202196)]
    assert by_metric(records, compared_entity="123456")["affinity"].value == 1.4
    assert by_metric(records, compared_entity="98765")["unique_engaged_users"].value == 2741
    assert {r.dimensions["period"] for r in records} == {"2015-12-01/2015-12-31"}


def test_affinity_ranking_example_has_ranks():
    records = fetch("user_affinity_ranking", {"entity_id": EX, "start_date": "2015-12-01", "end_date": "2015-12-31"})
    affinity = [r for r in records if r.metric == "affinity"]
    assert [(r.dimensions["rank"], r.dimensions["compared_entity"], r.value) for r in affinity] == [
        ("1", "12345", 6.25),
        ("2", "23456", 3.77),
        ("3", "34567", 3.66),
        ("4", "45678", 3.59),
        ("5", "56789", 3.33),
    ]
    assert len(records) == 1 + 2 * 5


# --- page insights ----------------------------------------------------------------------


def test_page_insights_example_dated_with_feedback_maps_as_dimensions():
    records = fetch("page_insights", {"entity_id": EX})
    day = dt.date(2017, 7, 20)
    assert all(r.date == day and r.platform == "facebook" for r in records)
    plain = by_metric([r for r in records if not r.dimensions])
    assert plain["impressions"].value == 17173937 and plain["impressions"].canonical
    assert plain["reach"].value == 4216734 and plain["video_views"].value == 1436417
    assert plain["profile_views"].value == 7066
    assert plain["page_new_likes"].value == 863 and plain["page_new_likes"].canonical is False
    assert by_metric(records, type="hide_clicks")["page_negative_feedback_by_type"].value == 796
    assert by_metric(records, type="like")["page_positive_feedback_by_type"].value == 868118
    data = example("page_insights")["data"]["2017-07-20"]
    nested = sum(len(v) for v in data.values() if isinstance(v, dict))
    assert len(records) == len(data) - 2 + nested


# --- accounts and relations ---------------------------------------------------------------


def test_cross_platform_example_is_one_account_per_service():
    accounts = {a.platform: a for a in fetch("user_cross_platform", {"entity_id": EX})}
    assert accounts["facebook"] == Account(
        "shareablee",
        "facebook",
        "1234",
        username="TheExample",
        display_name="Example",
        url="https://www.facebook.com/example/",
        ids={"object_id": "1111"},
        attributes={
            "name": "The Example",
            "website": "https://facebook.com/example",
            "about": "Official Facebook page for Example.",
            "profile_picture": "https://graph.facebook.com/123/example",
            "description": "Subscribe to Example",
        },
    )
    # nothing invented: no URL built from the handle, no display name copied from the name
    assert accounts["twitter"] == Account(
        "shareablee",
        "twitter",
        "1234",
        username="theexample",
        ids={"object_id": "14587"},
        attributes={"name": "The Example", "profile_picture": "https://twitter.com/example"},
    )
    assert accounts["instagram"] == Account(
        "shareablee", "instagram", "1234", username="theexample", ids={"object_id": "987456"}, attributes={"name": "The Example"}
    )


def test_cross_platform_services_filter():
    world = ShareableeSandbox()
    entity = next(e for e in world.entities.values() if {"twitter", "instagram"} <= set(e.services))
    records = fetch("user_cross_platform", {"entity_id": entity.entity_id, "services": ["instagram"]})
    assert [(r.platform, r.account_id) for r in records] == [("instagram", entity.entity_id)]


@pytest.mark.parametrize(("stream", "extra"), [("category_members", {"service": "facebook"}), ("category_cross_platform", {})])
def test_category_members_example(stream, extra):
    records = fetch(stream, {"category_id": EX, **extra})
    accounts = [r for r in records if isinstance(r, Account)]
    relations = [r for r in records if isinstance(r, Relation)]
    assert [(a.platform, a.account_id, a.categories) for a in accounts] == [
        ("facebook", "111", (EX,)),
        ("facebook", "222", (EX,)),
    ]
    assert [(r.entity_id, r.relation, r.other_id, r.other_name) for r in relations] == [
        (EX, "category_member", "111", "The Example"),
        (EX, "category_member", "222", "The Example"),
    ]
    assert {json.dumps(r.attributes) for r in relations} == {json.dumps({"name": "My Category", "isin": "US1234567890"})}
    assert [a.ids for a in accounts] == [{"object_id": "4569"}, {"object_id": "9654"}]


def test_seeded_category_members_are_the_categorys():
    world = ShareableeSandbox()
    category = next(iter(world.categories.values()))
    records = fetch("category_cross_platform", {"category_id": category.category_id, "services": ["facebook"]})
    assert sorted(r.account_id for r in records if isinstance(r, Account)) == sorted(category.members)


def test_category_ranking_example():
    records = fetch("category_ranking", {"category_id": EX})
    assert [(r.entity_id, r.metric, r.value, r.dimensions) for r in records] == [
        ("456", "engagements", 123, {"category": EX, "rank": "1"}),
        ("789", "engagements", 112, {"category": EX, "rank": "2"}),
    ]
    # the record says which id it holds: the ranking's object_id
    assert [r.attributes for r in records] == [
        {"id_kind": "object_id", "category_name": "My Category", "category_isin": "US1234567890", "name": "Property Name1"},
        {"id_kind": "object_id", "category_name": "My Category", "category_isin": "US1234567890", "name": "Property Name2"},
    ]


def test_realtime_rankings_example():
    records = fetch("category_realtime_rankings", {"category_id": EX, "services": ["facebook"]})
    member = by_metric([r for r in records if r.entity_type == "account"], rank="1")
    assert {m: r.value for m, r in member.items()} == {"engagements": 100, "followers": 199, "total_posts": 5, "page_score": 26.0}
    assert {r.date for r in records} == {dt.date(2015, 11, 30)}
    totals = {r.metric: r.value for r in records if r.entity_type == "category"}
    assert totals == {"engagements": 100, "followers": 199, "total_posts": 5}
    assert {r.platform for r in records} == {"facebook"}


def test_me_and_find_examples_are_relations_with_authorized_kept():
    properties = fetch("me_properties", {}, examples=True)
    assert [(r.entity_id, r.relation, r.other_id, r.other_name, r.value) for r in properties] == [
        ("me", "authorized_property", "unique_id_123", "Property 123", 1),
        ("me", "authorized_property", "unique_id_456", "Property 456", 1),
        ("me", "authorized_property", "unique_id_789", "Property 789", 1),
    ]
    categories = fetch("me_categories", {}, examples=True)
    assert {r.relation for r in categories} == {"authorized_category"} and len(categories) == 3
    found = fetch("find_user", {"term": "NBA"}, examples=True)
    assert [(r.other_id, r.other_name, r.value) for r in found] == [("123456", "NBA", 1), ("234561", "NBA Store", 0)]


def test_me_all_access_is_one_relation():
    (relation,) = fetch("me_properties", {}, all_access=True)
    assert (relation.other_id, relation.other_name, relation.value) == ("all", None, 1)


def test_seeded_find_agrees_with_me_properties():
    properties = {r.other_id for r in fetch("me_properties", {})}
    found = fetch("find_user", {"term": "a"})
    assert found and len(found) <= 50
    assert {r.other_id for r in found if r.value == 1} <= properties
    assert all(r.other_id not in properties for r in found if r.value == 0)
    names = [r.other_name for r in found]
    assert [len(n) for n in names] == sorted(len(n) for n in names)


# --- malformed payloads -------------------------------------------------------------------


@given(st.one_of(st.integers(), st.floats(allow_nan=False), st.none(), st.sampled_from(["-", "*", " - ", "*", "0.14"])))
def test_value_status_of_numbers_and_markers(raw):
    value, status = value_status(raw, "$.x")
    if isinstance(raw, str) and raw.strip() == "-":
        assert (value, status) == (None, "unavailable")
    elif isinstance(raw, str) and raw.strip() == "*":
        assert (value, status) == (None, "below_threshold")
    elif raw is None:
        assert (value, status) == (None, "unavailable")
    else:
        assert status == "available" and value == (float(raw) if isinstance(raw, str) else raw)


@given(st.text().filter(lambda s: s.strip() not in ("-", "*")).filter(lambda s: not _is_number(s)))
def test_other_strings_are_payload_errors_naming_the_path(raw):
    with pytest.raises(PayloadError) as caught:
        value_status(raw, "$.results[3].audience_percent_overlap")
    assert "$.results[3].audience_percent_overlap" in str(caught.value)


def _is_number(text: str) -> bool:
    # value_status strips what str.strip() strips (\x1f too, which float() keeps): the same here
    try:
        float(text.strip())
    except ValueError:
        return False
    return True


MALFORMED = [
    ("user_metrics", {"entity_id": "1", "service": "facebook"}, {"metrics": [1, 2]}, "$.metrics"),
    (
        "user_overlap_comparison",
        {"entity_id": "1", "object_ids": ["2"]},
        {"results": [{"audience_percent_overlap": {"x": 1}, "entity_id": 2}]},
        "$.results[0].audience_percent_overlap",
    ),
    (
        "user_overlap_comparison",
        {"entity_id": "1", "object_ids": ["2"]},
        {"results": [{"audience_percent_overlap": "n/a", "entity_id": 2}]},
        "$.results[0].audience_percent_overlap",
    ),
    (
        "user_time_series",
        {"entity_id": "1", "service": "facebook"},
        {"total_actions": [{"date": "2015-12-07", "value": {"no": 1}}]},
        "$.series['total_actions'][0].value",
    ),
    ("user_content", {"entity_id": "1", "service": "twitter"}, {"content": [{"content": "no id"}]}, "$.content[0]"),
    ("find_user", {"term": "x"}, {"results": [{"name": "no id"}]}, "$.results[0].object_id"),
    ("me_properties", {}, {"unexpected": True}, '"all"'),
    ("page_insights", {"entity_id": "1"}, {"data": {"2017-07-20": {"page_reach": "lots"}}}, "$.data['2017-07-20'].page_reach"),
]


@pytest.mark.parametrize(("stream", "params", "body", "path"), MALFORMED, ids=[m[0] + str(i) for i, m in enumerate(MALFORMED)])
def test_malformed_payloads_are_payload_errors_with_the_path(stream, params, body, path):
    def app(environ, start_response):
        return json_response(body)(environ, start_response)

    with serve_app(app) as served:
        from socialtap.runner import Options

        task = Task("shareablee", stream, params, {"token": "dGVzdDp0ZXN0"}, Options(base_url=served.url + "/v1.4"))
        with pytest.raises(PayloadError) as caught:
            list(iter_records(task, plugin_manager=make_plugin_manager()))
    assert path in str(caught.value), str(caught.value)
    assert "dGVzdDp0ZXN0" not in str(caught.value)
    json.dumps(str(caught.value))
