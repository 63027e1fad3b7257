"""``SocialtapOperator``: run one socialtap ``Task`` in an Airflow task.

Why it is shaped this way:

- It calls the runner API in-process (no subprocess), so errors arrive typed.
- Records go to ``destination`` (a local path or an ``ObjectStoragePath``), never to
  XCom: XCom lives in Airflow's metadata database and carries only the small run report.
- A retry never duplicates records. For a local JSON Lines or SQLite destination the
  runner checkpoints every page in a state file (``state_path``, else ``$SOCIALTAP_STATE``,
  else the user state dir) keyed by the task's stable id: the first try starts over, a
  retry resumes after the last checkpointed page and rewinds the output to it (JSON Lines
  is written to a part file renamed at the end; SQLite upserts by natural key). Other
  destinations (object storage, CSV) are written locally and appear atomically (uploaded
  under a temporary key and renamed); a failed attempt discards them and a retry refetches.
- ``{socialtap_id}`` in ``destination`` is replaced by the task's stable id (vendor,
  stream, params and base URL hashed, never credentials), so a retry writes to the
  same place as the attempt it replaces.
- Quota, auth and configuration errors fail the task without retrying
  (``AirflowFailException``): waiting minutes and asking again cannot fix them. An output
  busy with another run (catchup runs sharing one SQLite file) is retried: that one passes.
- A stream that declares a date window gets the DAG run's data interval as its window when
  ``stream_params`` give none (:mod:`socialtap.airflow.windows`): scheduled runs, backfills
  and catchup fetch their own days; the interval wins over ``incremental=True``, which is
  for runs without one. ``{socialtap_id}`` leaves the window out, so every run of a task
  writes into one file (history in one SQLite file).
- The vendor params argument is ``stream_params``, not ``params``: ``params`` is
  Airflow's own DAG-params argument of every operator (as ``output`` is a read-only
  property), and Airflow merges DAG params into it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from socialtap.airflow.hooks import SocialtapHook
from socialtap.airflow.windows import NONE, WindowPlan, coerce_day, destination_id, plan_window
from socialtap.errors import (
    AuthError,
    ChainsFailedError,
    ConfigError,
    OutputBusyError,
    QuotaError,
    SocialtapError,
)
from socialtap.outputs import infer_format, open_writer
from socialtap.plugins import get_registry
from socialtap.runner import Options, RunReport, Task, iter_records, prepare, run_to_output

try:  # Airflow 3: the Task SDK
    from airflow.sdk import BaseOperator
    from airflow.sdk.exceptions import AirflowFailException
except ImportError:  # pragma: no cover - Airflow 2.x
    from airflow.exceptions import AirflowFailException  # type: ignore[no-redef]
    from airflow.models import BaseOperator  # type: ignore[no-redef]

NO_RETRY = (QuotaError, AuthError, ConfigError)
"""Errors a retry cannot fix: the task fails at once instead of waiting for its retries."""

ID_PLACEHOLDER = "{socialtap_id}"


def is_retryable(exc: SocialtapError) -> bool:
    """False for errors a retry cannot fix (see NO_RETRY), including chains that all failed so.

    An output busy with another run (:class:`~socialtap.errors.OutputBusyError`, a
    ConfigError) is retryable: the other run ends, and catchup runs of one task may well
    share a SQLite file.
    """
    if isinstance(exc, OutputBusyError):
        return True
    if isinstance(exc, ChainsFailedError):
        return not all(isinstance(err, NO_RETRY) for _, err in exc.failures)
    return not isinstance(exc, NO_RETRY)


def _context_get(context: Any, key: str) -> Any:
    if isinstance(context, Mapping):
        return context.get(key)
    return None


class SocialtapOperator(BaseOperator):
    """Fetch ``vendor``'s ``stream`` with ``stream_params`` into ``destination``.

    :param vendor: the vendor name; defaults to the one the connection's extra names.
    :param stream: the vendor's stream (``socialtap streams VENDOR`` lists them).
    :param stream_params: the stream's params (templated); map over it with
        ``.partial(...).expand(stream_params=param_sets(ids, key))``.
    :param destination: a local path or ``ObjectStoragePath`` (templated); ``{socialtap_id}``
        is replaced by the task's stable id. A file for jsonl/sqlite, a directory for csv.
    :param socialtap_conn_id: the Airflow connection of type ``socialtap``.
    :param output_format: jsonl, csv or sqlite; inferred from ``destination`` when None.
    :param max_pages: stop each request chain after this many pages (None: all).
    :param max_credits: for a vendor that prices its calls (``socialtap.credits``), spend at
        most this many credits: the task fails (not retried) before starting when the first
        pages cost more, or before the call that would pass it. None: no limit.
    :param state_path: the checkpoint file for resuming retries (local jsonl/sqlite destinations).
    :param resume_on_retry: resume a retried attempt from its checkpoints (True) or start over.
    :param incremental: for a stream with a date window, fetch from where the last successful
        run of this task ended (the bookmark in ``state_path``/``$SOCIALTAP_STATE``). Only for
        runs without a data interval: a run with one fetches its interval.
    :param lookback_days: with ``incremental``, days refetched before the bookmark (None: the
        stream's declared overlap).
    :param start: with ``incremental``, the first run's start day (templated; a date or
        ``YYYY-MM-DD``; None: the stream's default window).
    :param keep_personal_data: keep the fields the vendor's terms call personal data
        (``socialtap.terms``); only with an agreement with the vendor. Default: left out.
    """

    template_fields: Sequence[str] = ("stream_params", "destination", "stream", "start")
    template_fields_renderers = {"stream_params": "json"}
    ui_color = "#e8f4fd"

    def __init__(
        self,
        *,
        stream: str,
        destination: str | os.PathLike[str] | Any,
        vendor: str | None = None,
        stream_params: Mapping[str, Any] | None = None,
        socialtap_conn_id: str = SocialtapHook.default_conn_name,
        output_format: str | None = None,
        max_pages: int | None = None,
        max_credits: float | None = None,
        state_path: str | None = None,
        resume_on_retry: bool = True,
        incremental: bool = False,
        lookback_days: int | None = None,
        start: Any = None,
        keep_personal_data: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.vendor = vendor
        self.stream = stream
        self.stream_params = stream_params
        self.destination = destination
        self.socialtap_conn_id = socialtap_conn_id
        self.output_format = output_format
        self.max_pages = max_pages
        self.max_credits = max_credits
        self.state_path = state_path
        self.resume_on_retry = resume_on_retry
        self.incremental = incremental
        self.lookback_days = lookback_days
        self.start = start
        self.keep_personal_data = keep_personal_data

    def execute(self, context: Any) -> dict[str, Any]:
        try:
            ti = _context_get(context, "ti")
            return self._execute(try_number=int(getattr(ti, "try_number", None) or 1), context=context)
        except SocialtapError as exc:
            if not is_retryable(exc):
                raise AirflowFailException(f"{type(exc).__name__}: {exc} (not retried: a retry cannot fix this)") from exc
            raise

    def build_task(self, context: Any = None) -> Task:
        """The socialtap Task this operator runs, with the connection's credentials.

        ``context`` is the Airflow task context: its data interval fills a windowed
        stream's window (see :mod:`socialtap.airflow.windows`).
        """
        return self._plan_task(context)[0]

    def _plan_task(self, context: Any = None) -> tuple[Task, WindowPlan]:
        config = SocialtapHook(self.socialtap_conn_id).get_conn()
        vendor = self.vendor or config.vendor
        if vendor != config.vendor:
            raise ConfigError(
                f"operator vendor {vendor!r} differs from connection {self.socialtap_conn_id!r}'s vendor {config.vendor!r}; "
                f"use a connection for {vendor}"
            )
        if self.stream_params is not None and not isinstance(self.stream_params, Mapping):
            raise ConfigError(f"stream_params must be a mapping of the stream's params, got {type(self.stream_params).__name__}")
        window = get_registry().get(vendor).stream(self.stream).window
        plan = plan_window(
            window,
            self.stream_params,
            data_interval_start=_context_get(context, "data_interval_start"),
            data_interval_end=_context_get(context, "data_interval_end"),
            incremental=self.incremental,
        )
        if plan.source != NONE:
            described = "the bookmark" if plan.incremental else plan.window_dict or "as given"
            self.log.info("socialtap window from %s: %s", plan.source.replace("_", " "), described)
            if self.incremental and not plan.incremental:
                self.log.info("incremental=True not used: this run's window comes from its %s", plan.source.replace("_", " "))
        options = Options(
            base_url=config.base_url,
            max_pages=self.max_pages,
            max_credits=self.max_credits,
            incremental=plan.incremental,
            lookback_days=self.lookback_days,
            start=coerce_day(self.start),
            keep_personal_data=self.keep_personal_data,
        )
        return Task(vendor, self.stream, plan.params, config.credentials, options), plan

    def _execute(self, try_number: int = 1, context: Any = None) -> dict[str, Any]:
        task, plan = self._plan_task(context)
        try:
            prepared = prepare(task)  # validates before anything is written
        except ConfigError as exc:
            if plan.source == NONE and plan.declared:
                raise ConfigError(
                    f"{exc} ({task.vendor}.{task.stream} has a date window: give it in stream_params, run the task in a "
                    f"DAG run with a data interval, or pass incremental=True)"
                ) from exc
            raise
        stable_id = prepared.task_id
        socialtap_id = destination_id(prepared)
        destination = self._destination(socialtap_id)
        fmt = self.output_format or infer_format(str(destination))
        report = RunReport(task.vendor, task.stream, stable_id)
        resumable = _is_local(destination) and fmt in ("jsonl", "sqlite")
        resumed = resumable and self.resume_on_retry and try_number > 1
        if resumable or task.options.incremental:  # checkpoints and bookmarks live in the state file
            task = attrs.evolve(task, options=attrs.evolve(task.options, state=self._state_path()))
        if resumable:
            options = attrs.evolve(task.options, resume=resumed)
            run_to_output(attrs.evolve(task, options=options), fmt, str(_local_path(destination)), report=report)
        elif _is_local(destination):
            _write(iter_records(task, report=report), fmt, _local_path(destination))
        else:
            _write_remote(iter_records(task, report=report), fmt, destination)
        result = {
            "vendor": report.vendor,
            "stream": report.stream,
            "socialtap_id": socialtap_id,
            "destination": str(destination),
            "format": fmt,
            "records": dict(report.records),
            "total_records": report.total_records,
            "requests": report.requests,
            "pages": report.pages,
            "retries": report.retries,
            "duration": round(report.duration, 3),
            "warnings": report.warnings[:20],
            # The days fetched and where they came from: data_interval, params, incremental or none.
            "window": report.window or plan.window_dict,
            "window_source": plan.source,
            # A resumed attempt counts only what it fetched itself; the destination holds all.
            "resumed": resumed,
            "try_number": try_number,
        }
        self.log.info("socialtap %s.%s: %d records -> %s", report.vendor, report.stream, report.total_records, destination)
        return result

    def _state_path(self) -> str:
        from socialtap.state import default_state_path

        return self.state_path or os.environ.get("SOCIALTAP_STATE") or str(default_state_path())

    def _destination(self, stable_id: str) -> Any:
        dest = self.destination
        if getattr(dest, "protocol", None) is not None and not isinstance(dest, str):  # an ObjectStoragePath
            text = str(dest)
            if ID_PLACEHOLDER not in text:
                return dest
            return type(dest)(text.replace(ID_PLACEHOLDER, stable_id), conn_id=getattr(dest, "conn_id", None))
        text = os.fspath(dest).replace(ID_PLACEHOLDER, stable_id)
        if "://" in text and not text.startswith("file://"):
            from airflow.sdk import ObjectStoragePath

            return ObjectStoragePath(text)
        return Path(text.removeprefix("file://"))


def _is_local(dest: Any) -> bool:
    return isinstance(dest, Path) or getattr(dest, "protocol", None) in ("file", "local")


def _local_path(dest: Any) -> Path:
    return dest if isinstance(dest, Path) else Path(dest.path)


def _write(records: Any, fmt: str, path: Path) -> None:
    """Write every record to ``path`` atomically: all of them appear, or none."""
    if fmt == "sqlite":
        path.parent.mkdir(parents=True, exist_ok=True)
    writer = open_writer(fmt, path)
    try:
        for record in records:
            writer.write(record)
    except BaseException:
        writer.abort()
        raise
    writer.close()


def _write_remote(records: Any, fmt: str, dest: Any) -> None:
    """Write locally, then upload each file under a temporary key and rename it into place."""
    with tempfile.TemporaryDirectory(prefix="socialtap-") as tmp:
        local = Path(tmp) / (dest.name or "out")
        _write(records, fmt, local)
        files = sorted(local.iterdir()) if local.is_dir() else [local]
        for file in files:
            target = dest / file.name if local.is_dir() else dest
            target.parent.mkdir(parents=True, exist_ok=True)
            part = target.parent / f".{target.name}.{uuid.uuid4().hex}.part"
            with file.open("rb") as src, part.open("wb") as out:
                shutil.copyfileobj(src, out)
            part.rename(target)


__all__ = ["NO_RETRY", "SocialtapOperator", "destination_id", "infer_format", "is_retryable"]
