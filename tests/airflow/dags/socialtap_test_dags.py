"""DAGs the Airflow tests run with ``dag.test()``; copied into a temporary AIRFLOW_HOME/dags.

Paths and connections come from the environment the test sets before parsing:
``SOCIALTAP_TEST_OUT`` is the output directory; the connections are ``AIRFLOW_CONN_*``.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta

from airflow.sdk import DAG, task

from socialtap.airflow import param_sets
from socialtap.airflow.operators import SocialtapOperator

OUT = os.environ.get("SOCIALTAP_TEST_OUT", "/tmp/socialtap-airflow-test")
ACCOUNTS = ["alice", "bob", "carol"]

with DAG("socialtap_mapped", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    fetched = SocialtapOperator.partial(
        task_id="fetch_profiles",
        vendor="example",
        stream="profiles",
        socialtap_conn_id="socialtap_sandbox",
        destination=OUT + "/mapped/profiles-{{ ti.map_index }}.jsonl",
        map_index_template="{{ task.stream_params['profile_id'][0] }}",
    ).expand(stream_params=param_sets(ACCOUNTS, "profile_id", chunk_size=1))

    @task
    def collect(reports):
        """Write what XCom delivered downstream, so the test sees exactly that."""
        with open(os.path.join(OUT, "mapped", "xcom.json"), "w") as f:
            json.dump(list(reports), f)

    collect(fetched.output)

with DAG("socialtap_auth_fails", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    SocialtapOperator(
        task_id="fetch_bad_token",
        stream="profiles",
        stream_params={"profile_id": ["alice"]},
        socialtap_conn_id="socialtap_bad_token",
        destination=OUT + "/auth/profiles.jsonl",
        retries=3,
        retry_delay=timedelta(seconds=0),
    )

with DAG("socialtap_retry", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    posts = SocialtapOperator(
        task_id="fetch_posts",
        vendor="example",
        stream="posts",
        stream_params={"profile_id": ["dave"], "per_page": 5},
        socialtap_conn_id="socialtap_flaky",
        destination=OUT + "/retry/posts-{socialtap_id}.jsonl",
        retries=1,
        retry_delay=timedelta(seconds=0),
    )
    posts_sqlite = SocialtapOperator(
        task_id="fetch_posts_sqlite",
        vendor="example",
        stream="posts",
        stream_params={"profile_id": ["erin"]},
        socialtap_conn_id="socialtap_flaky",
        destination=OUT + "/retry/posts.sqlite",
        retries=1,
        retry_delay=timedelta(seconds=0),
    )

    @task
    def collect_retry(jsonl_report, sqlite_report):
        with open(os.path.join(OUT, "retry", "xcom.json"), "w") as f:
            json.dump({"jsonl": jsonl_report, "sqlite": sqlite_report}, f)

    collect_retry(posts.output, posts_sqlite.output)

# Secrets: sandboxes that echo the credentials in their error bodies (see test_no_secret_in_task_errors_or_logs).
with DAG("socialtap_secret_echo", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    for status in (401, 422, 404):
        SocialtapOperator(
            task_id=f"echo_{status}",
            stream="profiles",
            stream_params={"profile_id": ["alice"]},
            socialtap_conn_id=f"socialtap_echo_{status}",
            destination=OUT + f"/echo/profiles-{status}.jsonl",
            retries=0,
        )

# Object storage: fsspec's in-memory filesystem stands in for s3/gcs (same process as the test).
import fsspec  # noqa: E402
from airflow.sdk import ObjectStoragePath  # noqa: E402
from airflow.sdk.io import attach  # noqa: E402

attach(protocol="memory", fs=fsspec.filesystem("memory"))

with DAG("socialtap_object_storage", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    SocialtapOperator(
        task_id="to_object_path",
        stream="profiles",
        stream_params={"profile_id": ["alice", "bob"]},
        socialtap_conn_id="socialtap_sandbox",
        destination=ObjectStoragePath("memory://socialtap/{socialtap_id}/profiles.jsonl"),
    )
    SocialtapOperator(
        task_id="to_url_csv",
        stream="posts",
        stream_params={"profile_id": ["carol"]},
        socialtap_conn_id="socialtap_sandbox",
        destination="memory://socialtap/csv",
    )

# Scheduled pulls: a daily data-interval schedule; each run fetches its own interval's day
# (see test_daily_runs_fetch_their_data_interval_into_one_sqlite_file). Airflow 3 turns a plain
# "@daily" into a CronTriggerTimetable whose runs have no interval, hence the explicit timetable.
from airflow.sdk import CronDataIntervalTimetable  # noqa: E402

with DAG(
    "socialtap_daily_history",
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
):
    daily = SocialtapOperator(
        task_id="fetch_views",
        stream="views",
        stream_params={"ids": ["alice", "bob"]},  # no start_date/end_date: the data interval gives them
        socialtap_conn_id="socialtap_recorded",
        destination=OUT + "/history/views-{socialtap_id}.sqlite",
        incremental=True,  # ignored while there is a data interval
    )
    templated = SocialtapOperator(
        task_id="fetch_views_templated",
        stream="views",
        stream_params={"ids": ["carol"], "start_date": "{{ macros.ds_add(ds, -2) }}", "end_date": "{{ ds }}"},
        socialtap_conn_id="socialtap_recorded",
        destination=OUT + "/history/carol-{{ ds_nodash }}.jsonl",
    )

    @task
    def collect_daily(report, templated_report, data_interval_start=None):
        with open(os.path.join(OUT, "history", f"xcom-{data_interval_start.date().isoformat()}.json"), "w") as f:
            json.dump({"daily": report, "templated": templated_report}, f)

    collect_daily(daily.output, templated.output)
