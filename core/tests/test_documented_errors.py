"""The contract suite's documented-error check fails when it should: a wrong typed error,
a message that drops the vendor's words, or one that gives no step to take."""

from __future__ import annotations

import pytest

from socialtap.errors import AuthError, ConfigError, NotFoundError, QuotaError, VendorError
from socialtap.sandbox import DocumentedError, Sandbox
from socialtap.testing.contract import ContractSuite


class ExampleSuite(ContractSuite):
    vendor = "example"
    sample_params = {"profiles": {"profile_id": ["a"]}, "views": {"ids": ["a"], "start_date": "2026-01-01", "end_date": "2026-01-02"}}


def check(documented: DocumentedError) -> None:
    ExampleSuite().test_documented_error_raises_its_typed_error(documented)


def test_a_right_declaration_passes_text_and_json_bodies():
    check(DocumentedError(401, "Token missing or revoked.", AuthError, content_type="text/plain"))
    check(DocumentedError(422, {"errors": ["start_date is too early", "ids: at most 3"]}, ConfigError, stream="views"))
    check(DocumentedError(503, {"message": "Maintenance until 10:00 UTC"}, VendorError))


def test_the_wrong_typed_error_fails_naming_both():
    with pytest.raises(AssertionError, match="raised AuthError, not NotFoundError"):
        check(DocumentedError(401, {"detail": "Invalid token."}, NotFoundError))


def test_a_message_without_the_vendors_words_fails():
    with pytest.raises(AssertionError, match="does not quote the vendor's"):
        check(DocumentedError(404, {"detail": "No such profile."}, NotFoundError, says=("No such profile, see /search",)))


def test_a_429_that_retries_cannot_help_ends_as_quota_error():
    # Retry-After past the retry budget: the engine gives up at once instead of waiting an hour.
    check(DocumentedError(429, "Slow down.", QuotaError, headers={"Retry-After": "3600"}))


def test_the_declaration_is_checked_when_written():
    with pytest.raises(TypeError, match=r"socialtap\.errors class"):
        DocumentedError(401, {}, ValueError)
    with pytest.raises(TypeError, match="must be text"):
        DocumentedError(401, {"a": 1}, AuthError, content_type="text/plain").encoded()
    assert DocumentedError(400, {"errors": [{"field": "x", "msg": "bad"}]}, ConfigError).expected_words() == ("x", "bad")
    assert Sandbox(app=object, credentials={}, errors=[DocumentedError(401, {}, AuthError)]).errors[0].label == "401-AuthError"
