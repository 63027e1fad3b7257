"""Helpers for the Upload-Post tests: run a stream against the sandbox over HTTP on 127.0.0.1."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from socialtap.runner import Options, RunReport, Task, iter_records
from socialtap.testing import RunningSandbox, serve_sandbox


def _fetch(running: RunningSandbox, stream: str, params: dict[str, Any], **options: Any) -> tuple[list[Any], RunReport]:
    """Every record of one run against ``running``, and its report."""
    report = RunReport("uploadpost", stream, "")
    task = Task("uploadpost", stream, params, running.credentials, Options(base_url=running.base_url, **options))
    return list(iter_records(task, report=report)), report


def _sent(running: RunningSandbox) -> list[tuple[str, dict[str, str]]]:
    """``(path, query)`` of each request the sandbox answered."""
    return [(urlsplit(path).path, dict(parse_qsl(urlsplit(path).query))) for _, path in running.app.log]


def _run_stream(
    stream: str, params: dict[str, Any], **options: Any
) -> tuple[list[Any], RunReport, list[tuple[str, dict[str, str]]]]:
    """One run against a fresh sandbox (``options`` for its factory): records, report, requests sent."""
    with serve_sandbox("uploadpost", **options) as running:
        records, report = _fetch(running, stream, params)
        return records, report, _sent(running)


@pytest.fixture
def fetch():
    """``fetch(running, stream, params, **options)`` -> (records, report)."""
    return _fetch


@pytest.fixture
def sent():
    """``sent(running)`` -> ``(path, query)`` of each request the sandbox answered."""
    return _sent


@pytest.fixture
def run_stream():
    """``run_stream(stream, params, **sandbox_options)`` -> (records, report, requests sent)."""
    return _run_stream
