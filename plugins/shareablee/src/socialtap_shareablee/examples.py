"""The example responses of the Shareablee v1.4 docs, as valid JSON.

The sandbox serves these for the id ``example`` (``/user/example/facebook/metrics/``) and,
with ``ShareableeSandbox(examples=True)``, for every request. The docs' examples contain
typos that are fixed here, and only those: missing commas (time series, affinity, top
content, find), the overlap comparison's missing opening brace, the category ranking's
trailing comma, the category time series' unclosed ``total_actions`` list. Everything
else is the docs' text, the user content example's ``next_page`` too
(``http://api.shareablee.com/v1.4/user/{entity_id}/user/content/...``: placeholders, and
another host than the sandbox's); the sandbox serves that one as ``null`` (the example is
one page). ``tests/test_shareablee_fields.py`` checks these against the docs file.
"""

from __future__ import annotations

import copy
import json
from typing import Any

_EXAMPLES: dict[str, Any] = json.loads(
    r"""
{
 "user_content": {
  "name": "My Facebook Page",
  "object_id": 123,
  "entity_id": 123456,
  "content": [
   {
    "username": "My Facebook Page",
    "entity_id": 123456,
    "fans": 1000,
    "word_count": 40,
    "post_id": 8284950382,
    "content": "The text content of the post",
    "post_url": "http://facebook.com/example/url",
    "link": "http://shareablee.com",
    "post_type": "link",
    "like_count": 42,
    "reactions_count": 55,
    "comment_count": 13,
    "share_count": 100,
    "total_actions": 168,
    "total_actions_percent_fans": 15.5,
    "native_video_views": 12,
    "impression_count": 10000,
    "impressions_percent_fans": 10,
    "created_at": "2013-07-29T00:37:26+00:00"
   }
  ],
  "next_page": "http://api.shareablee.com/v1.4/user/{entity_id}/user/content/?start_date={start_date}&end_date={end_date}&page=2"
 },
 "user_metrics": {
  "entity_id": "123",
  "name": "My Facebook Page",
  "object_id": "123456",
  "metrics": {
   "call_to_website_total_actions": 12187,
   "offer_count": 0,
   "status_likes": 769,
   "status_percent_total_posts": 0.1737619461337967,
   "photo_percent_total_actions": 14.014566259706971,
   "call_to_like_percent_total_actions": 0.0,
   "call_to_like_total_actions": 0,
   "link_count": 987,
   "includes_question_count": 193,
   "question_percent_total_actions": 0.0,
   "call_to_comment_total_actions": 14284,
   "engagers_percent_male": 62.51732083330034,
   "video_shares": 27784,
   "actions_per_male_engager": 2.6499018428218606,
   "link_shares": 246726,
   "status_shares": 107,
   "photo_shares": 37437,
   "shares_percent_total_actions": 21.630625328822187,
   "frequency_day": 38.36666666666667,
   "engagers_percent_new": 67.98183980110258,
   "link_comments": 51212,
   "other_comments": 0,
   "latest_page_score": 75,
   "latest_fans": 6023945,
   "fans_by_country": [
    {
     "code": "US",
     "percent": 44.681927580571475,
     "value": 900598,
     "full_name": "United States"
    },
    {
     "code": "IN",
     "percent": 8.400728097436534,
     "value": 169323,
     "full_name": "India"
    }
   ],
   "comments_count": 61815,
   "includes_question_percent_total_actions": 13.21561932251019,
   "call_to_other_percent_total_posts": 0.4344048653344918,
   "call_to_like_count": 0,
   "call_to_website_percent_total_actions": 0.8447654280424414,
   "call_to_like_percent_total_posts": 0.0,
   "actions_per_female_engager": 2.0824284929654824,
   "shares_average": 271.115551694179,
   "question_percent_total_posts": 0.0,
   "offer_comments": 0,
   "other_count": 0,
   "call_to_website_percent_total_posts": 2.3457862728062553,
   "call_to_other_percent_total_actions": 0.363428664907403,
   "status_percent_total_actions": 0.0679305915714772,
   "call_to_other_count": 5,
   "likes_percent_total_actions": 74.08454863241163,
   "call_to_share_count": 0,
   "engagers_percent_female": 37.482679166699654,
   "link_likes": 867967,
   "other_percent_total_actions": 0.0,
   "call_to_website_count": 27,
   "likes_count": 1068780,
   "offer_percent_total_actions": 0.0,
   "question_comments": 0,
   "comments_percent_total_actions": 4.2848260387661865,
   "link_percent_total_posts": 85.75152041702867,
   "photo_percent_total_posts": 10.165073848827106,
   "video_percent_total_actions": 5.1005476730653125,
   "includes_question_total_actions": 190655,
   "status_comments": 104,
   "likes_average": 928.5664639443962,
   "question_likes": 0,
   "call_to_comment_percent_total_actions": 0.9901230306193675,
   "link_percent_total_actions": 80.81695547565624,
   "includes_question_percent_total_posts": 16.76802780191138,
   "actions_percent_female": 32.026536625936885,
   "post_count": 1151,
   "total_actions": 1442649,
   "offer_likes": 0,
   "other_shares": 0,
   "offer_percent_total_posts": 0.0,
   "question_count": 0,
   "offer_shares": 0,
   "photo_count": 117,
   "call_to_share_percent_total_posts": 0.0,
   "call_to_comment_percent_total_posts": 1.3900955690703736,
   "status_count": 2,
   "question_shares": 0,
   "video_count": 45,
   "reactions_count": 1095381,
   "actions_per_engager": 2.552124495049584,
   "comments_average": 53.70547350130322,
   "call_to_other_total_actions": 5243,
   "fan_average": 5967411.3,
   "call_to_comment_count": 16,
   "photo_comments": 6766,
   "call_to_share_percent_total_actions": 0.0,
   "total_modeled_impressions_count": 650821096,
   "other_likes": 0,
   "total_actions_percent_fans_per_post": 0.02100387297151578,
   "frequency_week": 268.56666666666666,
   "engagers_percent_returning": 32.01816019889742,
   "unique_engaged_audience": 565273,
   "shares_count": 312054,
   "video_comments": 3733,
   "photo_likes": 157978,
   "other_percent_total_posts": 0.0,
   "call_to_share_total_actions": 0,
   "total_actions_average": 1253.3874891398784,
   "actions_percent_male": 67.97346337406312,
   "video_percent_total_posts": 3.909643788010426,
   "video_likes": 42066,
   "native_video_views": 123456
  }
 },
 "user_time_series": {
  "entity_id": "1234",
  "name": "The Example",
  "object_id": "1234",
  "total_actions": [
   {
    "date": "2015-12-07",
    "value": 65030
   },
   {
    "date": "2015-12-08",
    "value": 43824
   }
  ]
 },
 "user_realtime_time_series": {
  "entity_id": "1234",
  "name": "The Example",
  "object_id": "1234",
  "total_actions": [
   {
    "date_offset": 0,
    "value": 65030
   },
   {
    "date_offset": 1,
    "value": 43824
   }
  ]
 },
 "user_overlap_comparison": {
  "entity_id": 24689,
  "end_date": "2015-10-31",
  "service": "facebook",
  "results": [
   {
    "audience_percent_overlap": 0.14,
    "entity_id": 123456,
    "name": "bar1",
    "object_id": "987654"
   },
   {
    "audience_percent_overlap": 0.7,
    "entity_id": 98765,
    "name": "bar2",
    "object_id": "123987"
   }
  ],
  "object_id": "344657882",
  "start_date": "2015-10-01",
  "name": "foo"
 },
 "user_affinity_comparison": {
  "end_date": "2015-12-31",
  "service": "facebook",
  "unique_engaged_users": 202196,
  "results": [
   {
    "unique_engaged_users": 8902,
    "affinity": 1.4,
    "object_id": 123456,
    "name": "bar1"
   },
   {
    "unique_engaged_users": 2741,
    "affinity": 2.7,
    "object_id": 98765,
    "name": "bar2"
   }
  ],
  "object_id": 24689,
  "start_date": "2015-12-01",
  "name": "foo"
 },
 "user_overlap_ranking": {
  "entity_id": 24680,
  "end_date": "2015-10-31",
  "service": "facebook",
  "results": [
   {
    "audience_percent_overlap": 6.25,
    "entity_id": 7548,
    "name": "bar1",
    "object_id": "12345"
   },
   {
    "audience_percent_overlap": 3.77,
    "entity_id": 1298,
    "name": "bar2",
    "object_id": "23456"
   },
   {
    "audience_percent_overlap": 3.66,
    "entity_id": 9746,
    "name": "bar3",
    "object_id": "34567"
   },
   {
    "audience_percent_overlap": 3.59,
    "entity_id": 6757,
    "name": "bar4",
    "object_id": "45678"
   },
   {
    "audience_percent_overlap": 3.33,
    "entity_id": 9753,
    "name": "bar5",
    "object_id": "56789"
   }
  ],
  "object_id": "129567867",
  "start_date": "2015-10-01",
  "name": "foo"
 },
 "user_affinity_ranking": {
  "end_date": "2015-12-31",
  "service": "facebook",
  "unique_engaged_users": 202196,
  "results": [
   {
    "unique_engaged_users": 8902,
    "affinity": 6.25,
    "name": "bar1",
    "object_id": 12345
   },
   {
    "unique_engaged_users": 2741,
    "affinity": 3.77,
    "name": "bar2",
    "object_id": 23456
   },
   {
    "unique_engaged_users": 1050,
    "affinity": 3.66,
    "name": "bar3",
    "object_id": 34567
   },
   {
    "unique_engaged_users": 30437,
    "affinity": 3.59,
    "name": "bar4",
    "object_id": 45678
   },
   {
    "unique_engaged_users": 10760,
    "affinity": 3.33,
    "name": "bar5",
    "object_id": 56789
   }
  ],
  "object_id": 24680,
  "start_date": "2015-12-01",
  "name": "foo"
 },
 "page_insights": {
  "object": {
   "start": "2017-07-20",
   "end": "2017-07-20",
   "name": "Shareablee"
  },
  "data": {
   "2017-07-20": {
    "page_impressions": 17173937,
    "page_reach": 4216734,
    "page_paid_impressions": 0,
    "page_paid_reach": 0,
    "page_organic_impressions": 11621705,
    "page_organic_reach": 1589877,
    "page_engaged_users": 536047,
    "page_consumptions": 917989,
    "page_consumers": 474220,
    "page_new_likes": 863,
    "page_unlikes": 422,
    "page_views": 7066,
    "page_viewers": 2374,
    "page_video_views": 1436417,
    "page_paid_video_views": 0,
    "page_organic_video_views": 1436417,
    "page_video_viewers": 792154,
    "page_video_30_second_views": 336755,
    "page_video_paid_30_second_views": 0,
    "page_video_organic_30_second_views": 336755,
    "page_video_30_second_viewers": 260119,
    "page_video_10_second_views": 741176,
    "page_video_paid_10_second_views": 0,
    "page_video_organic_10_second_views": 741176,
    "page_video_10_second_viewers": 510710,
    "page_consumption_video_play": 50121,
    "page_consumption_other_clicks": 643127,
    "page_consumption_photo_view": 38742,
    "page_consumption_link_clicks": 185999,
    "page_consumption_button_clicks": 0,
    "page_consumer_video_play": 46675,
    "page_consumer_other_clicks": 367592,
    "page_consumer_photo_view": 22637,
    "page_consumer_link_clicks": 147457,
    "page_consumer_button_clicks": 0,
    "page_like_total": 763765,
    "page_love_total": 97180,
    "page_wow_total": 6483,
    "page_haha_total": 4547,
    "page_sorry_total": 584,
    "page_angry_total": 902,
    "page_negative_feedback_by_type": {
     "unlike_page_clicks": 0,
     "hide_all_clicks": 324,
     "report_spam_clicks": 3,
     "xbutton_clicks": 0,
     "hide_clicks": 796
    },
    "page_positive_feedback_by_type": {
     "comment": 23797,
     "claim": 0,
     "like": 868118,
     "other": 30107,
     "link": 42513,
     "answer": 0
    }
   }
  }
 },
 "user_cross_platform": {
  "entity_id": "1234",
  "name": "The Example",
  "facebook": {
   "website": "https://facebook.com/example",
   "about": "Official Facebook page for Example.",
   "profile_picture": "https://graph.facebook.com/123/example",
   "display_name": "Example",
   "description": "Subscribe to Example",
   "link": "https://www.facebook.com/example/",
   "user_name": "TheExample",
   "object_id": "1111"
  },
  "twitter": {
   "profile_picture": "https://twitter.com/example",
   "user_name": "theexample",
   "object_id": "14587"
  },
  "instagram": {
   "user_name": "theexample",
   "object_id": "987456"
  }
 },
 "user_top_content": {
  "entity_id": "1234",
  "top_content": [
   {
    "fields": {
     "username": "My Instagram",
     "entity_id": "1234",
     "user_id": "98765",
     "total_actions": 5000,
     "content": "My Picture Content.",
     "post_id": "111",
     "link": "https://instagram.com/example",
     "created_time": "2015-12-11T00:01:00Z",
     "comments_count": 110,
     "post_type": "picture",
     "thumbnail": "http://instagr.am/example",
     "likes_count": 600
    },
    "service": "instagram"
   },
   {
    "fields": {
     "username": "mytwitter",
     "entity_id": "1234",
     "user_id": "101010",
     "total_actions": 4000,
     "content": "Tweet Message.",
     "post_id": "1009700",
     "like_count": 300,
     "post_type": "photo",
     "created_time": "2015-12-10T00:01:00Z",
     "retweet_count": 400,
     "thumbnail": "http://twitter.com/thumbnail/example"
    },
    "service": "twitter"
   },
   {
    "fields": {
     "username": "My Facebook Page",
     "shares_count": 100,
     "entity_id": "1234",
     "user_id": "1050",
     "total_actions": 500,
     "content": "Facebook Post Message.",
     "post_id": "1050_123",
     "link": "http://facebook./example",
     "created_time": "2015-12-11T00:30:00Z",
     "comments_count": 100,
     "post_type": "link",
     "thumbnail": "https://facebook.com/example/thumbnail",
     "likes_count": 9000
    },
    "service": "facebook"
   }
  ]
 },
 "category_members": {
  "object_id": "1234",
  "name": "My Category",
  "isin": "US1234567890",
  "members": [
   {
    "entity_id": "111",
    "name": "The Example",
    "facebook": {
     "website": "https://facebook.com/example",
     "about": "Official Facebook page for Example.",
     "profile_picture": "https://graph.facebook.com/123/example",
     "display_name": "Example",
     "description": "Subscribe to Example",
     "link": "https://www.facebook.com/example/",
     "user_name": "TheExample",
     "object_id": "4569"
    }
   },
   {
    "entity_id": "222",
    "name": "The Example",
    "facebook": {
     "website": "https://facebook.com/example",
     "about": "Official Facebook page for Example.",
     "profile_picture": "https://graph.facebook.com/123/example",
     "display_name": "Example",
     "description": "Subscribe to Example",
     "link": "https://www.facebook.com/example/",
     "user_name": "TheExample",
     "object_id": "9654"
    }
   }
  ]
 },
 "category_metrics": {
  "name": "My Category",
  "object_id": "1234",
  "isin": "US1234567890",
  "metrics": {
   "call_to_website_total_actions": 8935.691308691308,
   "offer_count": 0.012987012987012988,
   "status_likes": 1626.4275724275724,
   "status_percent_total_posts": 0.5044882372497765,
   "photo_percent_total_actions": 21.44768006449263,
   "call_to_like_percent_total_actions": 0.11030859795365183,
   "call_to_like_total_actions": 529.7892107892108,
   "link_count": 278.5904095904096,
   "includes_question_count": 41.000999000999,
   "question_percent_total_actions": 0.0,
   "call_to_comment_total_actions": 1035.7892107892108,
   "engagers_percent_male": 36.94085243301642,
   "video_shares": 48325.22277722278,
   "actions_per_male_engager": 2.823125010067888,
   "link_shares": 45395.796203796206,
   "status_shares": 334.7152847152847,
   "photo_shares": 13391.16883116883,
   "shares_percent_total_actions": 22.371766543484757,
   "frequency_day": 10.917649017649017,
   "engagers_percent_new": 70.31265913887758,
   "link_comments": 13419.35064935065,
   "other_comments": 0.0,
   "latest_page_score": 67.87612387612387,
   "latest_fans": 907077.8661338661,
   "comments_count": 20894.897102897103,
   "includes_question_percent_total_actions": 9.043373088863847,
   "call_to_other_percent_total_posts": 0.4221352601896559,
   "call_to_like_count": 0.46153846153846156,
   "call_to_website_percent_total_actions": 1.8605202973839874,
   "call_to_like_percent_total_posts": 0.14091509408065103,
   "actions_per_female_engager": 2.4183695488448516,
   "shares_average": 328.05271810575954,
   "question_percent_total_posts": 0.0,
   "offer_comments": 0.01998001998001998,
   "other_count": 0.0,
   "call_to_website_percent_total_posts": 2.6401754423422408,
   "call_to_other_percent_total_actions": 0.42229040610293417,
   "status_percent_total_actions": 0.4353060631100408,
   "call_to_other_count": 1.3826173826173827,
   "likes_percent_total_actions": 73.27766014005816,
   "call_to_share_count": 0.26973026973026976,
   "engagers_percent_female": 63.059147566983576,
   "link_likes": 219250.04295704296,
   "other_percent_total_actions": 0.0,
   "call_to_website_count": 8.647352647352648,
   "likes_count": 351937.33266733267,
   "offer_percent_total_actions": 8.715377450662737e-05,
   "question_comments": 0.0,
   "comments_percent_total_actions": 4.35057331645709,
   "link_percent_total_posts": 85.05811985103261,
   "photo_percent_total_posts": 10.113250594008973,
   "video_percent_total_actions": 20.22035086728468,
   "includes_question_total_actions": 43433.43656343656,
   "status_comments": 129.54145854145855,
   "likes_average": 1074.5211174383953,
   "question_likes": 0.0,
   "call_to_comment_percent_total_actions": 0.2156639910568829,
   "link_percent_total_actions": 57.89657585133814,
   "includes_question_percent_total_posts": 12.518262535190647,
   "actions_percent_female": 59.38741225613755,
   "post_count": 327.52947052947053,
   "total_actions": 480279.16283716285,
   "offer_likes": 0.36863136863136864,
   "other_shares": 0.0,
   "offer_percent_total_posts": 0.003965143339931739,
   "question_count": 0.0,
   "offer_shares": 0.029970029970029972,
   "photo_count": 33.12387612387612,
   "call_to_share_percent_total_posts": 0.08235297706012074,
   "call_to_comment_percent_total_posts": 0.16318089898949847,
   "status_count": 1.6523476523476524,
   "question_shares": 0.0,
   "video_count": 14.149850149850149,
   "actions_per_engager": 2.6698078684494377,
   "comments_average": 63.7954718063058,
   "call_to_other_total_actions": 2028.1728271728273,
   "fan_average": 893691.9817515818,
   "call_to_comment_count": 0.5344655344655345,
   "photo_comments": 2282.262737262737,
   "call_to_share_percent_total_actions": 0.14913154841376988,
   "total_modeled_impressions_count": 90659334.34165834,
   "other_likes": 0.0,
   "total_actions_percent_fans_per_post": 0.16407994446548196,
   "frequency_week": 76.42354312354313,
   "engagers_percent_returning": 29.687340861122422,
   "unique_engaged_audience": 179892,
   "shares_count": 107446.93306693307,
   "video_comments": 5063.722277722278,
   "photo_likes": 87335.30669330669,
   "other_percent_total_posts": 0.0,
   "call_to_share_total_actions": 716.2477522477523,
   "total_actions_average": 1466.3693073504608,
   "actions_percent_male": 40.612587743862456,
   "video_percent_total_posts": 4.3201761743687035,
   "video_likes": 43725.18681318681,
   "native_video_views_average": 234567.89
  }
 },
 "category_time_series": {
  "object_id": "1234",
  "name": "The Example",
  "total_actions": [
   {
    "date": "2015-12-07",
    "value": 65030
   },
   {
    "date": "2015-12-08",
    "value": 43824
   }
  ],
  "likes_count": [
   {
    "date": "2015-12-07",
    "value": 65030
   },
   {
    "date": "2015-12-08",
    "value": 43824
   }
  ]
 },
 "category_ranking": {
  "name": "My Category",
  "object_id": "456",
  "isin": "US1234567890",
  "metric": "total_actions",
  "ranking": [
   {
    "name": "Property Name1",
    "object_id": 456,
    "value": 123
   },
   {
    "name": "Property Name2",
    "object_id": 789,
    "value": 112
   }
  ]
 },
 "category_cross_platform": {
  "object_id": "1234",
  "name": "My Category",
  "isin": "US1234567890",
  "members": [
   {
    "entity_id": "111",
    "name": "The Example",
    "facebook": {
     "website": "https://facebook.com/example",
     "about": "Official Facebook page for Example.",
     "profile_picture": "https://graph.facebook.com/123/example",
     "display_name": "Example",
     "description": "Subscribe to Example",
     "link": "https://www.facebook.com/example/",
     "user_name": "TheExample",
     "object_id": "4569"
    }
   },
   {
    "entity_id": "222",
    "name": "The Example",
    "facebook": {
     "website": "https://facebook.com/example",
     "about": "Official Facebook page for Example.",
     "profile_picture": "https://graph.facebook.com/123/example",
     "display_name": "Example",
     "description": "Subscribe to Example",
     "link": "https://www.facebook.com/example/",
     "user_name": "TheExample",
     "object_id": "9654"
    }
   }
  ]
 },
 "category_top_content": {
  "category_id": "1234",
  "top_content": [
   {
    "fields": {
     "username": "My Instagram",
     "entity_id": "1234",
     "user_id": "98765",
     "total_actions": 5000,
     "content": "My Picture Content.",
     "post_id": "111",
     "link": "https://instagram.com/example",
     "created_time": "2015-12-11T00:01:00Z",
     "comments_count": 110,
     "post_type": "picture",
     "thumbnail": "http://instagr.am/example",
     "likes_count": 600
    },
    "service": "instagram"
   },
   {
    "fields": {
     "username": "mytwitter",
     "entity_id": "4567",
     "user_id": "101010",
     "total_actions": 4000,
     "content": "Tweet Message.",
     "post_id": "1009700",
     "like_count": 300,
     "post_type": "photo",
     "created_time": "2015-12-10T00:01:00Z",
     "retweet_count": 400,
     "thumbnail": "http://twitter.com/thumbnail/example"
    },
    "service": "twitter"
   },
   {
    "fields": {
     "username": "My Facebook Page",
     "shares_count": 100,
     "entity_id": "2233",
     "user_id": "1050",
     "total_actions": 500,
     "content": "Facebook Post Message.",
     "post_id": "1050_123",
     "link": "http://facebook./example",
     "created_time": "2015-12-11T00:30:00Z",
     "comments_count": 100,
     "post_type": "link",
     "thumbnail": "https://facebook.com/example/thumbnail",
     "likes_count": 9000
    },
    "service": "facebook"
   }
  ]
 },
 "category_realtime_rankings": {
  "category_id": 111,
  "date": "2015-11-30",
  "members": [
   {
    "entity_id": 123,
    "total_actions": 100,
    "fans": 199,
    "total_posts": 5,
    "rank": 1,
    "page_score": 26.0
   }
  ],
  "total_actions": 100,
  "fans": 199,
  "total_posts": 5
 },
 "me_properties": [
  {
   "id": "unique_id_123",
   "name": "Property 123"
  },
  {
   "id": "unique_id_456",
   "name": "Property 456"
  },
  {
   "id": "unique_id_789",
   "name": "Property 789"
  }
 ],
 "me_categories": [
  {
   "id": "unique_id_123",
   "name": "Property 123"
  },
  {
   "id": "unique_id_456",
   "name": "Property 456"
  },
  {
   "id": "unique_id_789",
   "name": "Property 789"
  }
 ],
 "find_user": {
  "term": "NBA",
  "results": [
   {
    "name": "NBA",
    "object_id": 123456,
    "authorized": "true"
   },
   {
    "name": "NBA Store",
    "object_id": 234561,
    "authorized": "false"
   }
  ]
 }
}
"""
)


def example(stream: str) -> Any:
    """A fresh copy of the documented example response of ``stream``."""
    return copy.deepcopy(_EXAMPLES[stream])


STREAMS: tuple[str, ...] = tuple(_EXAMPLES)
