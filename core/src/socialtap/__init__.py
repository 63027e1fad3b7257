"""socialtap: social-media analytics from vendor APIs into Airflow, n8n and files.

The public API: :class:`Task` and :func:`run` / :func:`iter_records` to fetch,
``hookimpl`` and the declarations to write a vendor plugin, :func:`register_vendor` and
:func:`use_plugin` to run a vendor in this process without packaging it.
"""

from socialtap.declarations import Check, Credential, RateLimit, Stream, Vendor, Window
from socialtap.errors import (
    AuthError,
    ConfigError,
    NotFoundError,
    PayloadError,
    QuotaError,
    SecurityError,
    SocialtapError,
    VendorError,
)
from socialtap.hookspecs import hookimpl
from socialtap.http import Request, Response
from socialtap.plugins import register_vendor, use_plugin
from socialtap.records import Account, Observation, Post, Relation
from socialtap.terms import DataTerms

# The runner (and with it the HTTP engine, retries and rate-limit buckets) loads on first
# use: a plugin importing its declarations, or an Airflow DAG file parsed every few
# seconds, must not pay for what only a run needs.
_RUNNER_NAMES = frozenset({"Options", "RunReport", "Task", "iter_records", "run", "run_to_output"})


def __getattr__(name: str) -> object:
    if name in _RUNNER_NAMES:
        from socialtap import runner

        value = getattr(runner, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'socialtap' has no attribute {name!r}")


__all__ = [
    "Account",
    "AuthError",
    "Check",
    "ConfigError",
    "Credential",
    "DataTerms",
    "NotFoundError",
    "Observation",
    "Options",
    "PayloadError",
    "Post",
    "QuotaError",
    "RateLimit",
    "Relation",
    "Request",
    "Response",
    "RunReport",
    "SecurityError",
    "SocialtapError",
    "Stream",
    "Task",
    "Vendor",
    "Window",
    "VendorError",
    "hookimpl",
    "iter_records",
    "register_vendor",
    "run",
    "run_to_output",
    "use_plugin",
]
