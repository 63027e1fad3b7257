"""Typed errors. Each carries the CLI exit code and a message that says what to do next.

No message may contain a credential value: errors are built from declarations, status
codes and server bodies, never from the headers socialtap sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class SocialtapError(Exception):
    """Base of every error socialtap raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, vendor: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.vendor = vendor
        self.status = status

    def __str__(self) -> str:
        return self.message


class ConfigError(SocialtapError):
    """Bad input: params, credentials, base URL or options. Raised before any request."""

    exit_code = 2

    def __init__(self, message: str | None = None, *, problems: Iterable[str] = (), **kwargs):
        self.problems: list[str] = list(problems)
        if message is None:
            message = "invalid configuration"
        if self.problems:
            message = message + ":\n" + "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(message, **kwargs)


class OutputBusyError(ConfigError):
    """Another socialtap run is writing the same output (its lock is held). Exit code 2."""


class AuthError(SocialtapError):
    """The vendor refused the credentials (HTTP 401, or 403 that means a bad key)."""

    exit_code = 3


class QuotaError(SocialtapError):
    """Out of rate limit or credits, and waiting inside this run cannot help."""

    exit_code = 4


class VendorError(SocialtapError):
    """The vendor failed (5xx after retries) or could not be reached."""

    exit_code = 5


class NotFoundError(VendorError):
    """The vendor does not know the entity asked for (HTTP 404)."""

    exit_code = 5


class PayloadError(SocialtapError):
    """The response is not the documented shape; the message names the field path."""

    exit_code = 6


class SecurityError(SocialtapError):
    """A request would have carried credentials somewhere they must not go."""

    exit_code = 7


class ChainsFailedError(SocialtapError):
    """Some independent request chains failed after the others finished."""

    def __init__(self, failures: Sequence[tuple[str, SocialtapError]]):
        self.failures = list(failures)
        worst = max((e.exit_code for _, e in failures), default=1)
        self.exit_code = worst
        lines = [f"{len(failures)} chain(s) failed; the other records were kept:"]
        lines += [f"  - {chain}: {type(err).__name__}: {err}" for chain, err in failures]
        super().__init__("\n".join(lines))
