"""The vendor-agnostic parts of credits (socialtap.credits) and parent -> child chains (socialtap.chains)."""

from __future__ import annotations

import math
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socialtap import Account, Observation, Request
from socialtap.chains import Parent
from socialtap.credits import BudgetExceeded, CreditLedger, Estimate, OptionsProbe, billed
from socialtap.errors import ConfigError, PayloadError


class Answer:
    def __init__(self, payload):
        self.payload = payload


def ledger(prices: dict[str, float], budget: float | None = None) -> tuple[CreditLedger, list[Request]]:
    asked: list[Request] = []

    def ask(probe: Request) -> Answer:
        asked.append(probe)
        return Answer({"credits": prices[probe.url]})

    return CreditLedger(OptionsProbe(), ask, budget=budget, vendor="acme"), asked


@given(st.one_of(st.integers(min_value=0), st.floats(min_value=0, allow_nan=False, allow_infinity=False)))
def test_a_price_is_any_finite_non_negative_number(value):
    assert OptionsProbe().price({"credits": value}) == value


@pytest.mark.parametrize(
    "payload", [{}, {"credits": None}, {"credits": "5"}, {"credits": True}, {"credits": -1}, {"credits": math.inf}, [5], None]
)
def test_a_probe_answer_without_a_price_is_refused(payload):
    with pytest.raises(PayloadError, match="credit count"):
        OptionsProbe().price(payload)


def test_a_dotted_path_reads_a_nested_price():
    assert OptionsProbe("data.cost").price({"data": {"cost": 3}}) == 3


def test_the_probe_is_the_same_url_and_query_with_options_and_no_body():
    request = Request("POST", "/x", query={"a": 1}, json={"b": 2}, chain="c")
    probe = OptionsProbe().probe(request)
    assert (probe.method, probe.url, probe.query, probe.json, probe.chain) == ("OPTIONS", "/x", (("a", "1"),), None, "c")
    assert OptionsProbe().is_probe(probe) and not OptionsProbe().is_probe(request)


@pytest.mark.parametrize(
    ("status", "sent", "expected"),
    [
        (200, True, True),
        (503, True, True),
        (500, True, True),
        (429, True, False),
        (401, True, False),
        (404, True, False),
        (None, True, True),
        (None, False, False),
    ],
)
def test_what_is_billed(status, sent, expected):
    assert billed(status, sent=sent) is expected


def test_each_distinct_request_is_priced_once():
    credits, asked = ledger({"/a": 2, "/b": 3})
    for url in ("/a", "/a", "/b", "/a"):
        credits.reserve(Request("GET", url)).settle(status=200)
    assert credits.spent == 2 + 2 + 3 + 2 and [p.url for p in asked] == ["/a", "/b"]


def test_a_probe_is_never_charged():
    credits, asked = ledger({}, budget=0)
    credits.reserve(Request("OPTIONS", "/a")).settle(status=200)
    assert credits.spent == 0 and asked == []


@given(budget=st.integers(min_value=0, max_value=50), price=st.integers(min_value=1, max_value=9), refused=st.booleans())
def test_the_budget_is_never_passed_and_refusals_are_released(budget, price, refused):
    credits, _ = ledger({"/a": price}, budget=budget)
    sent = 0
    while True:
        try:
            charge = credits.reserve(Request("GET", "/a"))
        except BudgetExceeded as exc:
            assert f"needs {price}" in str(exc)
            break
        sent += 1
        charge.settle(status=429 if refused and sent == 1 else 200)
    billed_calls = sent - (1 if refused and sent else 0)
    assert credits.spent == billed_calls * price <= budget
    assert credits.spent + price > budget


def test_concurrent_reservations_hold_the_budget_together():
    credits, _ = ledger({"/a": 1}, budget=10)
    charges, errors = [], []
    lock = threading.Lock()

    def take():
        try:
            charge = credits.reserve(Request("GET", "/a"))
            with lock:
                charges.append(charge)
        except BudgetExceeded as exc:
            errors.append(exc)

    threads = [threading.Thread(target=take) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(charges) == 10 and len(errors) == 20  # reserved, not yet settled, all counted


def test_a_start_over_budget_is_refused_before_anything_is_charged():
    credits, _ = ledger({"/a": 4, "/b": 4}, budget=7)
    with pytest.raises(Exception, match="refusing to start"):
        credits.check_start([Request("GET", "/a", chain="a"), Request("GET", "/b", chain="b")])
    assert credits.spent == 0


def test_an_estimate_is_exact_for_one_page_and_bounded_by_max_pages():
    assert Estimate((("a", 2), ("b", 3))).most == 5
    assert Estimate((("a", 2),), paginated=True).most is None
    assert Estimate((("a", 2), ("b", 3)), paginated=True, max_pages=4).most == 20
    assert "estimated" in " ".join(Estimate((("a", 2),), paginated=True).lines("x.y"))


# -- chains ----------------------------------------------------------------------------------

SEARCH = Parent("search", into="id", params=("username", "media"), take="account_id", match="username")


def test_a_parent_declaration_that_contradicts_itself_is_refused():
    with pytest.raises(ValueError, match="name the params"):
        Parent("search", into="id", params=())
    with pytest.raises(ValueError, match="match="):
        Parent("search", into="id", params=("q",), match="username")


def test_params_split_between_parent_and_child():
    assert SEARCH.applies({"username": ["a"], "period": 90}) and not SEARCH.applies({"id": ["x"]})
    assert SEARCH.split({"username": ["a"], "media": "m", "period": 90}, "child") == (
        {"username": ["a"], "media": "m"},
        {"period": 90},
    )
    with pytest.raises(ConfigError, match="either id or username"):
        SEARCH.split({"username": ["a"], "id": ["x"]}, "child")


def test_values_come_from_matching_records_once_in_order():
    records = [
        Account("v", "p", "2", username="Bob"),
        Observation("v", "p", "account", "9", "followers", 1),
        Account("v", "p", "1", username="alice"),
        Account("v", "p", "3", username="alice.fan"),
        Account("v", "p", "1", username="alice"),
    ]
    assert SEARCH.values(records, {"username": ["alice", "bob"]}) == ["2", "1"]
    assert Parent("s", into="id", params=("q",)).values(records, {"q": "x"}) == ["2", "1", "3"]  # no match: every Account
    assert (
        SEARCH.unresolved({"username": ["alice", "carol"]}, [], records)
        == "search found no username carol: nothing fetched for it"
    )
