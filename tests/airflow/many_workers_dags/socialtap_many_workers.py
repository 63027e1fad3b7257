"""The DAG of the many-workers test (test_airflow_many_workers.py): one mapped task per
chunk of Shareablee entity ids, every task process sharing one Redis rate-limit bucket.

The test sets, before the scheduler starts: ``SOCIALTAP_MANY_IDS`` (JSON list of entity
ids), ``SOCIALTAP_MANY_CHUNK`` (ids per task), ``SOCIALTAP_TEST_OUT`` (output directory),
``AIRFLOW_CONN_SOCIALTAP_LIMITED`` (the sandbox) and ``SOCIALTAP_RATE_LIMIT_URL`` (Redis):
the operator reads nothing else, exactly as on a fleet of Celery or Kubernetes workers.
"""

from __future__ import annotations

import json
import os
from datetime import datetime

from airflow.sdk import DAG

from socialtap.airflow import param_sets
from socialtap.airflow.operators import SocialtapOperator

IDS = json.loads(os.environ.get("SOCIALTAP_MANY_IDS", '["0"]'))
CHUNK = int(os.environ.get("SOCIALTAP_MANY_CHUNK", "4"))
OUT = os.environ.get("SOCIALTAP_TEST_OUT", "/tmp/socialtap-airflow-many")

with DAG("socialtap_many_workers", schedule=None, start_date=datetime(2026, 1, 1), catchup=False):
    SocialtapOperator.partial(
        task_id="fetch_content",
        vendor="shareablee",
        stream="user_content",
        socialtap_conn_id="socialtap_limited",
        destination=OUT + "/content-{{ ti.map_index }}.jsonl",
        retries=0,
    ).expand(stream_params=param_sets(IDS, "entity_id", chunk_size=CHUNK, base={"service": "facebook"}))
