"""When and how long the engine retries a failed attempt.

The policy is data (:class:`RetryPolicy`); the loop is tenacity's. What may be sent
again depends on the request's :class:`RetrySafety`: a stream declares it
(``Stream(retry="unsent-only")``, or the older ``idempotent=True``), GET, HEAD and
OPTIONS default to ``ALWAYS`` and other methods to ``NEVER``, and a request carrying an
``Idempotency-Key`` header is always ``ALWAYS`` (the vendor deduplicates it). Only
failures that waiting can fix are retried: connection errors, timeouts and HTTP 429,
500, 502, 503, 504, unless the vendor declared that status to mean something else
(``Vendor.status_errors``), which is never retried. ``UNSENT_ONLY`` narrows that to the
failures the vendor cannot have acted on.

The wait before attempt ``n + 1`` is exponential with jitter (so many workers that failed
together do not come back together), at least what the server asked for in
``Retry-After``, and the sum of waits is capped: a server asking for more than the
remaining budget ends the retries at once rather than blocking a worker for an hour.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import enum
import math
from collections.abc import Callable, Mapping
from typing import Any

import attrs

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value, whatever the case of its name."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds or an HTTP-date.

    None when absent or unparseable (the backoff then decides); never negative (a date
    in the past means "now").
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():  # "²".isdigit() is True too
        return float(int(text))
    try:
        seconds = float(text) if text.isascii() else math.nan  # not RFC 9110, but common ("1.5")
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


class RetrySafety(enum.Enum):
    """Which failed attempts of a request may be sent again (``Stream.retry``).

    - ``ALWAYS`` (``"always"``): any failure waiting can fix: connection errors,
      timeouts, a connection broken mid-response, 429 and 5xx. For reads and for writes
      the vendor deduplicates.
    - ``UNSENT_ONLY`` (``"unsent-only"``): only what cannot have reached the vendor's
      application: a refused connection, a connect timeout, a DNS failure, and a 429
      (the server refused the request, with or without ``Retry-After``). Never a read
      timeout, a reset mid-response or a 5xx: the request may have been carried out, and
      billed. For calls that cost credits or create something.
    - ``NEVER`` (``"never"``): no second attempt.
    """

    ALWAYS = "always"
    UNSENT_ONLY = "unsent-only"
    NEVER = "never"

    @classmethod
    def from_idempotent(cls, idempotent: bool | None) -> RetrySafety | None:
        """The older ``idempotent`` word as a safety: True is ALWAYS, False NEVER, None unsaid."""
        if idempotent is None:
            return None
        return cls.ALWAYS if idempotent else cls.NEVER


@attrs.frozen
class RetryPolicy:
    """How many attempts, how long between them, and the cap on total waiting."""

    max_attempts: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    max_total_wait: float = attrs.field(default=120.0, validator=attrs.validators.ge(0))
    initial: float = 0.5
    maximum: float = 30.0
    jitter: float = 0.5
    statuses: frozenset[int] = RETRY_STATUSES

    def allows(self, method: str, headers: Mapping[str, str] | None = None, idempotent: bool | None = None) -> bool:
        """Whether a request may be sent again after any failed attempt (its safety is ``ALWAYS``)."""
        declared = RetrySafety.from_idempotent(idempotent)
        return self.safety(method, headers, declared) is RetrySafety.ALWAYS

    def safety(self, method: str, headers: Mapping[str, str] | None = None, declared: RetrySafety | None = None) -> RetrySafety:
        """A request's :class:`RetrySafety`: ``ALWAYS`` with an ``Idempotency-Key`` header,
        else what the stream declared, else ``ALWAYS`` for GET, HEAD, OPTIONS and ``NEVER``."""
        if header(headers or {}, "Idempotency-Key") is not None:
            return RetrySafety.ALWAYS
        if declared is not None:
            return declared
        return RetrySafety.ALWAYS if method.upper() in IDEMPOTENT_METHODS else RetrySafety.NEVER

    def retries_failure(self, safety: RetrySafety, *, maybe_sent: bool) -> bool:
        """Whether a network failure is worth another attempt: ``maybe_sent`` is False only
        when the request cannot have reached the vendor (refused, DNS, connect timeout)."""
        if safety is RetrySafety.ALWAYS:
            return True
        return safety is RetrySafety.UNSENT_ONLY and not maybe_sent

    def retries_response(self, safety: RetrySafety, status: int, status_errors: Mapping[int, object] | None = None) -> bool:
        """Whether an answer with ``status`` is worth another attempt under ``safety``
        (``UNSENT_ONLY``: only a 429, which the server refused before doing anything)."""
        if safety is RetrySafety.NEVER or not self.retries_status(status, status_errors):
            return False
        return safety is RetrySafety.ALWAYS or status == 429

    def retries_status(self, status: int, status_errors: Mapping[int, object] | None = None) -> bool:
        """Whether a status is worth another attempt (never one the vendor re-mapped)."""
        return status in self.statuses and status not in (status_errors or {})

    def backoff(self) -> Callable[[Any], float]:
        """tenacity's exponential wait with jitter: min(maximum, initial * 2**(n-1) + U(0, jitter))."""
        import tenacity  # with the engine, on first use: declarations import this module too

        return tenacity.wait_exponential_jitter(multiplier=self.initial, max=self.maximum, jitter=self.jitter)

    def delay(self, attempt: int, retry_after: float | None, backoff: float) -> float:
        """The wait after failed attempt ``attempt``: the backoff, or the server's ask if longer."""
        if retry_after is not None and retry_after > backoff:
            return retry_after
        return backoff


class RetryableFailure(Exception):
    """Internal: an attempt failed in a way that another attempt may fix."""

    def __init__(self, error: Exception, retry_after: float | None = None):
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


class _Wait:
    """tenacity's wait: the policy's backoff, or the server's Retry-After when longer."""

    def __init__(self, policy: RetryPolicy):
        self.policy = policy
        self.base = policy.backoff()

    def __call__(self, retry_state: Any) -> float:
        failure = retry_state.outcome.exception() if retry_state.outcome else None
        retry_after = failure.retry_after if isinstance(failure, RetryableFailure) else None
        return self.policy.delay(retry_state.attempt_number, retry_after, self.base(retry_state))


class _Stop:
    """Stop after ``max_attempts``, or when the next wait would pass the total-wait cap."""

    def __init__(self, policy: RetryPolicy):
        self.policy = policy

    def __call__(self, retry_state: Any) -> bool:
        if retry_state.attempt_number >= self.policy.max_attempts:
            return True
        return retry_state.idle_for + retry_state.upcoming_sleep > self.policy.max_total_wait


def retrying(policy: RetryPolicy, *, sleep=None, before_sleep=None) -> Any:  # type: ignore[no-untyped-def]
    """A ``tenacity.Retrying`` loop applying ``policy`` to calls that raise :class:`RetryableFailure`."""
    import tenacity

    kwargs = {}
    if sleep is not None:
        kwargs["sleep"] = sleep
    if before_sleep is not None:
        kwargs["before_sleep"] = before_sleep
    return tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(RetryableFailure),
        wait=_Wait(policy),
        stop=_Stop(policy),
        reraise=False,
        **kwargs,
    )
