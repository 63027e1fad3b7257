"""Logging: the ``socialtap`` logger and its per-vendor children, and the CLI's handler.

socialtap logs through :mod:`logging` only, so Airflow's task log, a host application's
handlers or pytest's ``caplog`` capture it with no setup. Names: ``socialtap`` for the
core, ``socialtap.<vendor>`` for what happens talking to one vendor (one INFO line per
request: method, path without query, status, milliseconds, attempt, and the rate-limit
wait before it). A library adds no handler of its own (the NullHandler below only keeps
Python from printing "no handlers" warnings); the CLI installs one with
:func:`configure` for ``--log-level`` / ``-v``.

No line carries a secret: the engine logs paths without their query and redacted with
the run's secrets, and the CLI's handler also passes every record through the same
redaction the HTTP stack's loggers get (:func:`socialtap.secrets.log_filter`).
"""

from __future__ import annotations

import logging
import sys
from typing import IO

LOGGER_NAME = "socialtap"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

logging.getLogger(LOGGER_NAME).addHandler(logging.NullHandler())


def vendor_logger(vendor: str) -> logging.Logger:
    """``socialtap.<vendor>``: the logger of everything said while talking to one vendor."""
    return logging.getLogger(f"{LOGGER_NAME}.{vendor}")


def level_from(level: str | None, verbose: int) -> int:
    """The level for ``--log-level`` (a name) or ``-v`` (INFO) / ``-vv`` (DEBUG); WARNING by default."""
    if level is not None:
        return logging.getLevelName(level.upper())
    return {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)


def configure(level: int, stream: IO[str] | None = None) -> logging.Handler:
    """Send ``socialtap`` records at ``level`` and above to ``stream`` (stderr), redacted.

    At DEBUG the HTTP stack's own lines (``urllib3``: connections, each request line) go
    there too. Called once by the CLI; calling it again replaces the handler rather than
    doubling lines.
    """
    from socialtap.secrets import log_filter

    handler = logging.StreamHandler(stream or sys.stderr)
    handler.socialtap_cli = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(log_filter())
    for name in (LOGGER_NAME, "urllib3"):
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if getattr(h, "socialtap_cli", False)]:
            logger.removeHandler(old)
        if name == LOGGER_NAME or level <= logging.DEBUG:
            logger.addHandler(handler)
            logger.setLevel(level)
    return handler
