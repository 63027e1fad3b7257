"""Errors as documented: typed, saying what to do, spending nothing they need not."""

from __future__ import annotations

import json

import pytest

from socialtap.errors import AuthError, NotFoundError, QuotaError
from socialtap.runner import Options, Task, iter_records
from socialtap.testing import serve_sandbox
from socialtap_influencerdb.examples import CHANNEL_ID
from socialtap_influencerdb.sandbox import TOKEN_NOT_A_USER


def task(sandbox, stream, params, credentials=None) -> Task:
    return Task("influencerdb", stream, params, credentials or sandbox.credentials, Options(base_url=sandbox.base_url))


def test_a_token_that_is_not_a_user_is_an_auth_error_naming_the_env_var():
    with serve_sandbox("influencerdb") as sandbox:
        with pytest.raises(AuthError) as caught:
            list(iter_records(task(sandbox, "channel", {"id": [CHANNEL_ID]}, {"token": TOKEN_NOT_A_USER})))
    assert "SOCIALTAP_INFLUENCERDB_TOKEN" in str(caught.value) and TOKEN_NOT_A_USER not in str(caught.value)


def test_an_unknown_channel_is_not_found_naming_it_and_costs_nothing():
    with serve_sandbox("influencerdb") as sandbox:
        with pytest.raises(NotFoundError) as caught:
            list(iter_records(task(sandbox, "audience", {"id": ["no-such-channel"]})))
        assert sandbox.app.spent == 0
    assert "no-such-channel" in str(caught.value) and "channel_search" in str(caught.value)


class Forbidden:
    """Every GET is refused with a 403 whose body is ``detail``."""

    detail = ""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] != "GET":
            return self.app(environ, start_response)
        start_response("403 Forbidden", [("Content-Type", "application/json")])
        return [json.dumps({"detail": self.detail}).encode()]


@pytest.mark.parametrize(
    ("detail", "error"),
    [("Forbidden", AuthError), ("Credit balance is insufficient to complete the call", QuotaError)],
)
def test_403_is_a_credit_error_only_when_it_says_so(detail, error):
    wrap = type("Refuse", (Forbidden,), {"detail": detail})
    with serve_sandbox("influencerdb", wrap=wrap) as sandbox:
        with pytest.raises(error) as caught:
            list(iter_records(task(sandbox, "channel", {"id": [CHANNEL_ID]})))
    assert type(caught.value) is error and detail in str(caught.value)
