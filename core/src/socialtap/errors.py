"""Typed errors. Each carries the CLI exit code and a message that says what to do next.

No message may contain a credential value: errors are built from declarations, status
codes and server bodies, never from the headers socialtap sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class SocialtapError(Exception):
    """Base of every error socialtap raises on purpose; whether a retry helps depends on the subclass."""

    exit_code = 1

    def __init__(self, message: str, *, vendor: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.vendor = vendor
        self.status = status

    def __str__(self) -> str:
        return self.message


class ConfigError(SocialtapError):
    """Bad input: params, credentials, base URL or options, mostly raised before any request. A retry does not help: fix the input."""

    exit_code = 2

    def __init__(self, message: str | None = None, *, problems: Iterable[str] = (), **kwargs):
        self.problems: list[str] = list(problems)
        if message is None:
            message = "invalid configuration"
        if self.problems:
            message = message + ":\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message, **kwargs)


class OutputBusyError(ConfigError):
    """Another socialtap run is writing the same output (its lock is held). A retry helps once that run has finished."""


class AuthError(SocialtapError):
    """The vendor refused the credentials (HTTP 401, or 403 that means a bad key). A retry does not help: fix the credentials."""

    exit_code = 3


class QuotaError(SocialtapError):
    """Out of rate limit or credits, and waiting inside this run cannot help. A retry helps only after the quota resets."""

    exit_code = 4


class VendorError(SocialtapError):
    """The vendor failed (5xx after retries) or could not be reached. A retry later may help; the run already retried."""

    exit_code = 5


class NotFoundError(VendorError):
    """The vendor does not know the entity asked for (HTTP 404). A retry does not help: check the ids."""

    exit_code = 5


class PayloadError(SocialtapError):
    """The response (or a record a normalizer built from it) is not the documented shape; the message names the field. A retry does not help: report it."""

    exit_code = 6


class SecurityError(SocialtapError):
    """A request would have carried credentials somewhere they must not go. A retry does not help: the link or base URL is wrong."""

    exit_code = 7


class ChainsFailedError(SocialtapError):
    """Some independent request chains failed after the others finished. A retry helps as each listed error says."""

    def __init__(self, failures: Sequence[tuple[str, SocialtapError]]):
        self.failures = list(failures)
        worst = max((e.exit_code for _, e in failures), default=1)
        self.exit_code = worst
        lines = [f"{len(failures)} chain(s) failed; the other records were kept:"]
        lines += [f"  - {chain}: {type(err).__name__}: {err}" for chain, err in failures]
        super().__init__("\n".join(lines))
