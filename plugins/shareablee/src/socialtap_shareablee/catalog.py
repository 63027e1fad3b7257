"""What the Shareablee v1.4 docs list: services per endpoint, metric fields per service, limits.

Kept in one place because the params validators, the normalizers and the sandbox all
need the same lists; the docs are the single source (shared/vendor-docs/shareablee.md).
"""

from __future__ import annotations

import datetime as dt

SERVICES: tuple[str, ...] = ("facebook", "twitter", "instagram")
FACEBOOK_TWITTER: tuple[str, ...] = ("facebook", "twitter")
FACEBOOK: tuple[str, ...] = ("facebook",)

MAX_LIMIT = 100
"""The highest ``limit`` any endpoint accepts (top content, overlap ranking)."""
MAX_OFFSET = 6
"""Realtime time series: offsets count days back from today, 0 to 6."""
AFFINITY_EARLIEST = dt.date(2015, 12, 1)
"""Audience affinity comparison and ranking: "Earliest start date is 2015-12-01"."""
INSIGHTS_EARLIEST = dt.date(2016, 1, 1)
"""Page insights: "Earliest start date is 2016-01-01"."""
RANKING_METRICS: tuple[str, ...] = ("total_actions",)
"""Category ranking: "Currently only supports total_actions"."""


# User metrics / time series, Facebook (native_video_views: user metrics only).
USER_FACEBOOK_FIELDS: tuple[str, ...] = (
    "total_actions",
    "likes_count",
    "shares_count",
    "comments_count",
    "post_count",
    "total_actions_percent_fans_per_post",
    "latest_page_score",
    "latest_fans",
    "total_actions_average",
    "unique_engaged_audience",
    "total_modeled_impressions_count",
    "frequency_day",
    "frequency_week",
    "link_count",
    "link_percent_total_posts",
    "link_percent_total_actions",
    "other_count",
    "other_percent_total_posts",
    "other_percent_total_actions",
    "photo_count",
    "photo_percent_total_posts",
    "photo_percent_total_actions",
    "question_count",
    "question_percent_total_posts",
    "question_percent_total_actions",
    "status_count",
    "status_percent_total_posts",
    "status_percent_total_actions",
    "video_count",
    "video_percent_total_posts",
    "video_percent_total_actions",
    "call_to_website_total_actions",
    "includes_question_percent_total_actions",
    "comments_percent_total_actions",
    "offer_count",
    "call_to_comment_count",
    "photo_shares",
    "shares_percent_total_actions",
    "call_to_comment_percent_total_actions",
    "call_to_other_percent_total_posts",
    "call_to_like_count",
    "includes_question_percent_total_posts",
    "call_to_like_percent_total_actions",
    "call_to_website_percent_total_actions",
    "call_to_like_total_actions",
    "call_to_like_percent_total_posts",
    "video_shares",
    "call_to_website_count",
    "fan_average",
    "question_likes",
    "call_to_comment_total_actions",
    "call_to_share_percent_total_actions",
    "offer_likes",
    "other_shares",
    "offer_percent_total_posts",
    "shares_average",
    "link_shares",
    "other_likes",
    "offer_shares",
    "offer_comments",
    "status_likes",
    "call_to_share_percent_total_posts",
    "includes_question_count",
    "call_to_website_percent_total_posts",
    "call_to_other_percent_total_actions",
    "call_to_comment_percent_total_posts",
    "call_to_other_count",
    "likes_percent_total_actions",
    "call_to_share_count",
    "link_likes",
    "photo_comments",
    "video_comments",
    "includes_question_total_actions",
    "status_shares",
    "question_shares",
    "offer_percent_total_actions",
    "link_comments",
    "call_to_share_total_actions",
    "other_comments",
    "comments_average",
    "question_comments",
    "call_to_other_total_actions",
    "photo_likes",
    "status_comments",
    "likes_average",
    "video_likes",
    "native_video_views",
)

# User metrics / time series, Twitter.
USER_TWITTER_FIELDS: tuple[str, ...] = (
    "followers_count",
    "retweets_count",
    "likes_count",
    "total_actions_per_tweet",
    "total_actions_percent_followers_per_tweet",
    "total_actions",
    "tweet_count",
    "unique_engaged_audience",
    "retweets_percent_total_actions",
    "likes_percent_total_actions",
    "includes_video_count",
    "includes_link_percent_total_actions",
    "includes_link_count",
    "call_to_retweet_percent_total_tweets",
    "includes_hashtag_count",
    "tweets_per_week",
    "includes_hashtag_percent_total_tweets",
    "includes_photo_percent_total_tweets",
    "call_to_retweet_percent_actions",
    "includes_link_percent_total_tweets",
    "followers_average",
    "retweets_average",
    "tweets_per_day",
    "includes_photo_total_actions",
    "includes_link_total_actions",
    "includes_photo_count",
    "includes_photo_percent_total_actions",
    "includes_hashtag_percent_total_actions",
    "likes_average",
    "includes_hashtag_total_actions",
)

# User metrics, Instagram.
USER_INSTAGRAM_FIELDS: tuple[str, ...] = (
    "latest_followers",
    "likes_count",
    "comments_count",
    "total_actions_average",
    "total_actions_percent_followers_per_media",
    "total_actions",
    "media_count",
    "includes_question_percent_total_actions",
    "image_percent_total_media",
    "includes_question_total_actions",
    "includes_question_count",
    "includes_link_percent_total_media",
    "video_percent_total_media",
    "includes_link_percent_total_actions",
    "includes_link_count",
    "includes_question_percent_total_media",
    "includes_hashtag_count",
    "includes_hashtag_percent_total_media",
    "video_total_actions",
    "image_total_actions",
    "likes_percent_total_actions",
    "image_percent_total_actions",
    "video_count",
    "comments_percent_total_actions",
    "comments_average",
    "includes_hashtag_percent_total_actions",
    "includes_link_total_actions",
    "video_percent_total_actions",
    "follower_average",
    "image_count",
    "likes_average",
    "includes_hashtag_total_actions",
)

# Additional audience fields (selected partners), any service.
AUDIENCE_FIELDS: tuple[str, ...] = (
    "actions_percent_male",
    "actions_percent_female",
    "actions_per_engager",
    "engagers_percent_new",
    "engagers_percent_returning",
    "actions_per_male_engager",
    "actions_per_female_engager",
    "engagers_percent_male",
    "engagers_percent_female",
)

# Category time series, Facebook.
CATEGORY_FACEBOOK_FIELDS: tuple[str, ...] = (
    "total_actions",
    "likes_count",
    "shares_count",
    "comments_count",
    "post_count",
    "total_actions_percent_fans_per_post",
    "latest_page_score",
    "latest_fans",
    "total_actions_average",
    "unique_engaged_audience",
    "total_modeled_impressions_count",
    "frequency_day",
    "frequency_week",
    "link_count",
    "link_percent_total_posts",
    "link_percent_total_actions",
    "other_count",
    "other_percent_total_posts",
    "other_percent_total_actions",
    "photo_count",
    "photo_percent_total_posts",
    "photo_percent_total_actions",
    "question_count",
    "question_percent_total_posts",
    "question_percent_total_actions",
    "status_count",
    "status_percent_total_posts",
    "status_percent_total_actions",
    "video_count",
    "video_percent_total_posts",
    "video_percent_total_actions",
)

# Category time series, Twitter.
CATEGORY_TWITTER_FIELDS: tuple[str, ...] = (
    "followers_count",
    "retweets_count",
    "likes_count",
    "total_actions_per_tweet",
    "total_actions_percent_followers_per_tweet",
    "total_actions",
    "tweet_count",
    "unique_engaged_audience",
)

# Category time series, Instagram.
CATEGORY_INSTAGRAM_FIELDS: tuple[str, ...] = (
    "latest_followers",
    "likes_count",
    "comments_count",
    "total_actions_average",
    "total_actions_percent_followers_per_media",
    "total_actions",
    "media_count",
)


METRICS_ONLY: frozenset[str] = frozenset({"native_video_views"})
"""Fields the docs mark "(available on User Metrics endpoint)": not a time series field."""

USER_FIELDS: dict[str, tuple[str, ...]] = {
    "facebook": USER_FACEBOOK_FIELDS,
    "twitter": USER_TWITTER_FIELDS,
    "instagram": USER_INSTAGRAM_FIELDS,
}
CATEGORY_FIELDS: dict[str, tuple[str, ...]] = {
    "facebook": CATEGORY_FACEBOOK_FIELDS,
    "twitter": CATEGORY_TWITTER_FIELDS,
    "instagram": CATEGORY_INSTAGRAM_FIELDS,
}


def time_series_fields(service: str, *, category: bool = False) -> tuple[str, ...]:
    """Fields a time series of ``service`` accepts: the service's list plus the audience fields."""
    listed = (CATEGORY_FIELDS if category else USER_FIELDS).get(service, ())
    return tuple(f for f in listed if f not in METRICS_ONLY) + AUDIENCE_FIELDS


PAGE_INSIGHTS_FIELDS: tuple[str, ...] = (
    "page_impressions",
    "page_reach",
    "page_paid_impressions",
    "page_paid_reach",
    "page_organic_impressions",
    "page_organic_reach",
    "page_engaged_users",
    "page_consumptions",
    "page_consumers",
    "page_new_likes",
    "page_unlikes",
    "page_views",
    "page_viewers",
    "page_video_views",
    "page_paid_video_views",
    "page_organic_video_views",
    "page_video_viewers",
    "page_video_30_second_views",
    "page_video_paid_30_second_views",
    "page_video_organic_30_second_views",
    "page_video_30_second_viewers",
    "page_video_10_second_views",
    "page_video_paid_10_second_views",
    "page_video_organic_10_second_views",
    "page_video_10_second_viewers",
    "page_consumption_video_play",
    "page_consumption_other_clicks",
    "page_consumption_photo_view",
    "page_consumption_link_clicks",
    "page_consumption_button_clicks",
    "page_consumer_video_play",
    "page_consumer_other_clicks",
    "page_consumer_photo_view",
    "page_consumer_link_clicks",
    "page_consumer_button_clicks",
    "page_like_total",
    "page_love_total",
    "page_wow_total",
    "page_haha_total",
    "page_sorry_total",
    "page_angry_total",
    "page_negative_feedback_by_type",
    "page_positive_feedback_by_type",
)
"""Page insights fields: the keys of the documented example response."""
