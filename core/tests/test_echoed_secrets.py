"""A vendor that quotes the credential back in a body never gets it into a record.

Vendors echo what they were sent in messages ("token abc... has no access to
page 42"); a normalizer that keeps the message would store the secret. The engine marks a
response whose body holds a secret of the run, and the runner redacts the records built
from it, whatever the plugin did.
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from engine_support import TOKEN, VendorPlugin, make_vendor

from socialtap import Options, Task, iter_records
from socialtap.plugins import make_plugin_manager
from socialtap.records import dumps, to_item
from socialtap.testing import serve_app


def echoing_app(template: str):
    def app(environ, start_response):
        body = json.dumps({"data": [template.format(token=TOKEN), "plain item"], "total": 2}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app


def fetch(template: str) -> list[str]:
    vendor = make_vendor("echoing")
    pm = make_plugin_manager(extra=(VendorPlugin(vendor),))
    with serve_app(echoing_app(template)) as served:
        task = Task(vendor.name, "items", {"key": ["a"]}, {"token": TOKEN}, Options(base_url=served.url + "/api"))
        return [dumps(to_item(record)) for record in iter_records(task, plugin_manager=pm)]


def test_a_token_quoted_in_a_message_is_redacted_in_the_records():
    lines = fetch("token {token} may not read this page")
    assert len(lines) == 2
    assert not any(TOKEN in line for line in lines)
    assert "token *** may not read this page" in lines[0]
    assert '"plain item"' in lines[1]  # the rest of the page is kept as it came


def test_the_whole_authorization_header_quoted_back_is_redacted():
    lines = fetch("you sent Authorization: Bearer {token}")
    assert not any(TOKEN in line for line in lines)
    assert "Authorization: ***" in lines[0]  # the header's whole value, scheme included, is one secret
