"""Credits: what a call costs, a run's budget, and the ledger of what was spent.

Some vendors bill every call in credits (InfluencerDB: "Every call costs, even for the
same data"). The core stays vendor-agnostic: a vendor *declares* how a request is priced
(``Vendor(pricing=OptionsProbe())``: an ``OPTIONS`` to the same URL answers
``{"credits": 5}`` without spending), and the core

- estimates a run before spending anything (``socialtap cost``, :class:`Estimate`): the
  first page of every chain is priced exactly; pages beyond the first cannot be counted
  without fetching them, so they are estimated at the first page's price and said to be;
- budgets a run (``Options.max_credits``, ``--max-credits``): it refuses to start when the
  first pages alone exceed the budget, and stops before the call that would exceed it with
  a :class:`~socialtap.errors.QuotaError` saying what was spent and what the call needed;
- records what was spent (``RunReport.credits``, the ``socialtap_runs`` table).

Every attempt is priced and reserved before it is sent, under one lock, so concurrent
chains never together send past the budget. An attempt is *billed* when the vendor may
have carried it out: a 2xx or 5xx answer, or a connection lost after the request went out
(retries of a billed call are billed too: each is an attempt). A 4xx is a refusal and an
attempt that never left (a refused connection) cannot have been billed: their reservation
is released. Counting a 5xx keeps the budget on the safe side of the vendor's own count.

Each distinct request (method, URL, query, body) is priced once per run: the probe is
free, but it is a request, so a page is probed right before it is first sent, never again
for its retries.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import attrs

from socialtap.errors import PayloadError, QuotaError
from socialtap.http import Request, page_key


class Pricing(Protocol):
    """How a vendor prices a request without spending (declared as ``Vendor(pricing=...)``)."""

    def probe(self, request: Request) -> Request:
        """The free request that asks what ``request`` costs."""
        ...

    def is_probe(self, request: Request) -> bool:
        """Whether ``request`` is itself a price probe (never billed, never budgeted)."""
        ...

    def price(self, payload: Any) -> float:
        """The cost in credits read from a probe's answer; PayloadError when it holds none."""
        ...


@attrs.frozen
class OptionsProbe:
    """Price a request by sending ``OPTIONS`` to the same URL and query; the answer's
    ``path`` (dotted) holds the cost: ``{"credits": 5}`` with the default ``"credits"``."""

    path: str = "credits"
    method: str = "OPTIONS"

    def probe(self, request: Request) -> Request:
        """The request with the probe's method and no body; same URL, query and chain."""
        return attrs.evolve(request, method=self.method, json=None)

    def is_probe(self, request: Request) -> bool:
        """Whether the request was sent with the probe's method."""
        return request.method.upper() == self.method.upper()

    def price(self, payload: Any) -> float:
        """The number at ``path``: finite and not negative, or a PayloadError (a server is not trusted)."""
        value: Any = payload
        for key in self.path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise PayloadError(
                f"the price probe ({self.method}) answered {_short(payload)} without a credit count at {self.path!r}; "
                f"the run was stopped before spending. Report it to the vendor."
            )
        return value


def _short(payload: Any) -> str:
    text = repr(payload)
    return text if len(text) <= 120 else text[:120] + "..."


def billed(status: int | None, *, sent: bool = True) -> bool:
    """Whether an attempt counts as spent: answered 2xx/3xx/5xx, or lost after it was sent (``status`` None)."""
    if status is None:
        return sent
    return not 400 <= status < 500


def show(credits: float) -> str:
    """A credit amount for messages: ``5``, ``2.5``."""
    return f"{credits:g}"


class BudgetExceeded(QuotaError):
    """The next call would pass the run's credit budget; it was not sent. Raise the budget to go on.

    A chain that meets it stops; the others keep what they already fetched (and paid for),
    so no paid page is thrown away, then the run ends with this error.
    """


class Charge:
    """One attempt's reservation: :meth:`settle` turns it into spent credits or releases it."""

    def __init__(self, ledger: CreditLedger | None = None, price: float = 0.0):
        self.ledger = ledger
        self.price = price

    def settle(self, *, status: int | None = None, sent: bool = True) -> None:
        """Settle once: billed (see :func:`billed`) or released. Later calls do nothing."""
        ledger, self.ledger = self.ledger, None
        if ledger is not None:
            ledger._settle(self.price, billed(status, sent=sent))


NO_CHARGE = Charge()
"""The charge of an unpriced request (a probe, or a vendor without pricing)."""


class CreditLedger:
    """Prices, budgets and counts the credits of one run. Thread-safe.

    - ``pricing``: the vendor's declaration.
    - ``ask``: sends a probe request and returns the response (the engine's ``fetch``).
    - ``budget``: the most credits the run may spend (None: no limit, only counted).
    """

    def __init__(self, pricing: Pricing, ask: Callable[[Request], Any], *, budget: float | None = None, vendor: str = ""):
        self.pricing = pricing
        self.ask = ask
        self.budget = budget
        self.vendor = vendor
        self.spent: float = 0
        self.billed_calls = 0
        self._reserved: float = 0
        self._prices: dict[str, float] = {}
        self._lock = threading.Lock()

    def price(self, request: Request) -> float:
        """What ``request`` costs, probed once per distinct request."""
        key = page_key(request.url, request.query, request.json)
        with self._lock:
            known = self._prices.get(key)
        if known is not None:
            return known
        response = self.ask(self.pricing.probe(request))
        value = self.pricing.price(response.payload)
        with self._lock:
            self._prices[key] = value
        return value

    def reserve(self, request: Request) -> Charge:
        """Reserve the price of one attempt, or raise QuotaError when it would pass the budget."""
        if self.pricing.is_probe(request):
            return NO_CHARGE
        price = self.price(request)
        with self._lock:
            committed = self.spent + self._reserved
            if self.budget is not None and committed + price > self.budget:
                raise BudgetExceeded(
                    f"credit budget reached: {show(self.spent)} of the run's {show(self.budget)} credits spent"
                    + (f" ({show(self._reserved)} more on calls in flight)" if self._reserved else "")
                    + f", and the next call, {request.method} {request.url}, needs {show(price)}. It was not sent; "
                    f"the records before it were kept. Raise --max-credits (Options.max_credits) to fetch the rest; "
                    f"`socialtap cost` prices a run without spending.",
                    vendor=self.vendor or None,
                )
            self._reserved += price
        return Charge(self, price)

    def _settle(self, price: float, is_billed: bool) -> None:
        with self._lock:
            self._reserved -= price
            if is_billed:
                self.spent += price
                self.billed_calls += 1

    def check_start(self, requests: Iterable[Request]) -> Estimate:
        """Price the first page of every chain; QuotaError before any billed call when they exceed the budget."""
        estimate = Estimate.of(self, requests)
        if self.budget is not None and estimate.first_pages > self.budget:
            raise QuotaError(
                f"refusing to start: the first page of each of the {len(estimate.chains)} chain(s) costs "
                f"{show(estimate.first_pages)} credits together, over the run's budget of {show(self.budget)}. Nothing was "
                f"spent. Raise --max-credits (Options.max_credits), or give fewer ids.",
                vendor=self.vendor or None,
            )
        return estimate


@attrs.frozen
class Estimate:
    """What a run will cost: the first page of each chain priced exactly, further pages estimated.

    - ``chains``: ``(chain, price of its first page)`` in run order.
    - ``paginated``: whether chains may have further pages (each estimated at its first page's price).
    - ``max_pages``: the run's page cap, which bounds the estimate of a paginated run.
    """

    chains: tuple[tuple[str, float], ...]
    paginated: bool = False
    max_pages: int | None = None
    # A chained task (socialtap.chains) prices its parent's first pages; what follows
    # depends on what the parent finds, said here in words.
    then: str | None = None

    @classmethod
    def of(
        cls,
        ledger: CreditLedger,
        requests: Iterable[Request],
        *,
        paginated: bool = False,
        max_pages: int | None = None,
        then: str | None = None,
    ) -> Estimate:
        """Price each chain's first request with ``ledger`` (probes only: nothing is spent)."""
        return cls(tuple((r.chain or "main", ledger.price(r)) for r in requests), paginated, max_pages, then)

    @property
    def first_pages(self) -> float:
        """The exact price of every chain's first page."""
        return sum(price for _, price in self.chains)

    @property
    def most(self) -> float | None:
        """The most the run can cost: the first pages, or every capped page; None when unbounded (or chained)."""
        if not self.paginated and self.then is None:
            return self.first_pages
        if self.max_pages is None or self.then is not None:
            return None
        return self.first_pages * self.max_pages

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe: the chains, the first pages' total, the bound, and what is estimated."""
        return {
            "chains": [{"chain": chain, "first_page": price} for chain, price in self.chains],
            "first_pages": self.first_pages,
            "most": self.most,
            "further_pages": "estimated at each chain's first page price" if self.paginated else "none",
            "then": self.then,
        }

    def lines(self, label: str) -> list[str]:
        """The estimate as a user reads it (``socialtap cost``)."""
        lines = [
            f"{label}: {show(self.first_pages)} credits for the first page of {len(self.chains)} chain(s), priced without spending"
        ]
        lines += [f"  {chain}: {show(price)}" for chain, price in self.chains]
        if self.then is not None:
            lines.append(f"then: {self.then}")
        elif not self.paginated:
            lines.append(f"total: {show(self.first_pages)} credits (one page per chain)")
        elif self.max_pages is None:
            lines.append(
                "further pages: estimated at each chain's first-page price; their number is known only when fetched "
                "(--max-pages N bounds it, --max-credits N stops the run there)"
            )
        else:
            lines.append(
                f"at most: {show(self.first_pages * self.max_pages)} credits with --max-pages {self.max_pages} (pages beyond the first estimated)"
            )
        return lines
