"""The contract suite every vendor plugin runs against its own sandbox.

A plugin adds one small test module::

    from socialtap.testing.contract import ContractSuite

    class TestContract(ContractSuite):
        vendor = "metrika"
        sample_params = {"accounts": {"resources": ["instagram:natgeo"]}}   # every stream
        invalid_params = {"accounts": {"resources": [{"platform": "myspace", "identifier": "x"}]}}

and pytest collects the checks below, parametrised over the vendor's streams. They say
whether the plugin is right: it registers, its streams validate params, every stream runs
end to end over real HTTP on 127.0.0.1 and yields well-formed records of its declared
types exactly once, records round-trip through the converter, a bad credential is an
AuthError naming the env var, invalid params fail before any request, faults (5xx,
resets, 429 bursts, cut-off and stalled bodies) change nothing in the result, an outage
past the retry budget is a typed error and resumes exactly, a run SIGKILLed after k
pages resumes to exactly the clean records (JSON Lines and SQLite), fuzzed payloads
give records or a PayloadError naming a field path, no credential leaks anywhere, streams
that declare a date window run incrementally, and every error response the vendor's docs
print (``Sandbox(errors=(DocumentedError(...), ...))``) becomes its declared typed error
with a message that quotes the vendor and says what to do.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any, ClassVar
from urllib.parse import urlsplit

import attrs
import pytest

from socialtap.errors import AuthError, ConfigError, SocialtapError
from socialtap.plugins import get_registry, make_plugin_manager
from socialtap.records import RECORD_TYPES, dumps, from_item, natural_key, to_item
from socialtap.runner import Options, RunReport, Task, iter_records
from socialtap.schema import item_schema, params_schema
from socialtap.testing import RunningSandbox, serve_sandbox
from socialtap.testing.faults import Faults
from socialtap.testing.server import serve_app

# A message "says what to do" when it gives the reader a step: these are the verbs the
# engine's advice starts with ("Check SOCIALTAP_X_TOKEN", "fix the params", "Wait and retry").
ADVICE = re.compile(r"\b(check|fix|wait|retry|ask|try|lower|use|set|give|add|remove|contact)\b", re.IGNORECASE)


def answering(documented: Any) -> Callable[..., Iterable[bytes]]:
    """A WSGI app answering every request with ``documented``'s status, headers and body."""
    from werkzeug.http import HTTP_STATUS_CODES

    body = documented.encoded()
    reason = HTTP_STATUS_CODES.get(documented.status, "Error")
    headers = [("Content-Type", documented.content_type), ("Content-Length", str(len(body)))]
    headers += list(dict(documented.headers).items())

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response(f"{documented.status} {reason}", headers)
        return [body]

    return app


def schema_validator(schema: dict[str, Any]) -> Any:
    """A draft 2020-12 validator checking formats too (``date``), after checking the schema itself."""
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def comparable(records: list[Any]) -> list[dict[str, Any]]:
    """Records as dicts without ``fetched_at`` and ``as_of`` (the fields that depend on the clock)."""
    return [{k: v for k, v in to_item(r).items() if k not in ("fetched_at", "as_of")} for r in records]


class ContractSuite:
    """Subclass it in a test module, setting the class attributes below."""

    vendor: ClassVar[str]
    sample_params: ClassVar[dict[str, dict[str, Any]]] = {}
    """Params per stream for an end-to-end run against the sandbox. Every stream needs one."""
    invalid_params: ClassVar[dict[str, dict[str, Any]]] = {}
    """Params per stream that must be refused with ConfigError before any request."""
    sandbox_options: ClassVar[dict[str, Any]] = {}
    """Keyword arguments for the sandbox's app factory (sizes)."""
    run_options: ClassVar[dict[str, Any]] = {}
    """Keyword arguments for :class:`socialtap.runner.Options` in every run."""
    faults: ClassVar[str] = (
        "error_rate=0.1,reset_rate=0.05,malformed_rate=0.01,slow_rate=0.03,slow_body=1.5s,"
        "throttle=4/s,retry_after=1,first_errors=1,seed=11"
    )
    """The fault plan under which every stream must still give the same records: 5xx,
    connection resets, 429 bursts with Retry-After, truncated bodies, and bodies stalled
    past the read deadline (:attr:`fault_read_timeout`)."""
    fault_read_timeout: ClassVar[float] = 0.5
    """The read deadline of the runs under faults: a stalled body (``slow_body``) outlasts it."""
    fault_requests: ClassVar[int] = 12
    """Requests each stream's fault check serves at least (more runs, next seeds)."""
    """The read deadline of the runs under faults: a stalled body (``slow_body``) outlasts it."""
    payload_examples: ClassVar[dict[str, Any]] = {}
    """The docs' example response body of each stream (or a list of them), from the plugin's
    ``examples.py``: the fuzz check feeds near misses of them to the stream's normalizer."""
    fuzz_examples: ClassVar[int] = 40
    """Hypothesis examples per stream and kind (arbitrary JSON, near misses) in the fuzz check."""
    crash_stream: ClassVar[str | None] = None
    """The stream the outage and SIGKILL-and-resume checks run (default: the first of
    sample_params); pick one that takes several pages."""
    crash_examples: ClassVar[int] = 2
    """Hypothesis examples (kill points and output formats) in the SIGKILL-and-resume check."""

    # -- parametrisation -------------------------------------------------------------

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "stream_name" in metafunc.fixturenames:
            names = [s.name for s in self._vendor().streams]
            metafunc.parametrize("stream_name", names)
        if "invalid_stream_name" in metafunc.fixturenames:
            metafunc.parametrize(
                "invalid_stream_name",
                sorted(self.invalid_params) or [pytest.param(None, marks=pytest.mark.skip(reason="no invalid_params declared"))],
            )
        if "documented_error" in metafunc.fixturenames:
            documented = self._documented_errors()
            metafunc.parametrize(
                "documented_error",
                [pytest.param(e, id=f"{e.label}-{i}") for i, e in enumerate(documented)]
                or [pytest.param(None, marks=pytest.mark.skip(reason="the sandbox declares no documented errors"))],
            )

    # -- helpers ---------------------------------------------------------------------

    @classmethod
    def _vendor(cls):
        return get_registry(make_plugin_manager()).get(cls.vendor)

    @classmethod
    def _documented_errors(cls) -> tuple[Any, ...]:
        sandbox = make_plugin_manager().hook.socialtap_sandbox(vendor=cls._vendor())
        return tuple(getattr(sandbox, "errors", ()) or ())

    def sandbox(self, **kwargs: Any):
        kwargs.setdefault("faults", Faults())  # an empty plan still counts requests
        return serve_sandbox(self.vendor, plugin_manager=make_plugin_manager(), **self.sandbox_options, **kwargs)

    def task(
        self,
        running: RunningSandbox,
        stream: str,
        params: dict[str, Any] | None = None,
        credentials: dict[str, str] | None = None,
        **options_: Any,
    ) -> Task:
        options = Options(base_url=running.base_url, **{**self.run_options, **options_})
        return Task(
            self.vendor,
            stream,
            self.sample_params[stream] if params is None else params,
            running.credentials if credentials is None else credentials,
            options,
        )

    def fetch(self, running: RunningSandbox, stream: str, **options: Any) -> tuple[list[Any], RunReport]:
        report = RunReport(self.vendor, stream, "")
        task = self.task(running, stream, **options)
        records = list(iter_records(task, report=report, plugin_manager=make_plugin_manager()))
        return records, report

    # -- the contract ----------------------------------------------------------------

    def test_vendor_is_registered_with_a_sandbox(self) -> None:
        vendor = self._vendor()
        assert vendor.streams, f"{self.vendor} declares no streams"
        assert vendor.base_url.startswith("https://"), "the default base URL should be the vendor's https URL"
        assert vendor.auth.fields(), "the auth scheme needs at least one credential field"
        for stream in vendor.streams:
            unknown = [t for t in stream.records if t not in RECORD_TYPES.values()]
            assert stream.records and not unknown, f"{stream.name}: declare records from socialtap.records, got {stream.records}"
        assert make_plugin_manager().hook.socialtap_sandbox(vendor=vendor) is not None, "answer socialtap_sandbox"

    def test_every_stream_has_sample_params(self) -> None:
        missing = [s.name for s in self._vendor().streams if s.name not in self.sample_params]
        assert not missing, f"add sample_params for: {', '.join(missing)}"

    def test_stream_runs_end_to_end(self, stream_name: str) -> None:
        stream = self._vendor().stream(stream_name)
        with self.sandbox() as running:
            records, report = self.fetch(running, stream_name)
            secrets = [v for v in running.credentials.values() if v]
        assert records, f"{stream_name} yielded no records from the sandbox with {self.sample_params[stream_name]}"
        assert report.requests >= 1 and report.pages >= 1
        wrong = {type(r).__name__ for r in records if type(r) not in stream.records}
        assert not wrong, f"{stream_name} yielded {wrong}, not declared in Stream.records"
        for record in records:
            assert from_item(json.loads(json.dumps(to_item(record)))) == record, f"round trip changed {record}"
        keys = Counter((type(r).__name__, natural_key(r)) for r in records)
        twice = [k for k, n in keys.items() if n > 1]
        assert not twice, f"{stream_name} yielded the same record more than once (pagination or batching): {twice[:3]}"
        dumped = json.dumps([to_item(r) for r in records])
        assert not any(secret in dumped for secret in secrets), "a credential value appears in a record"
        # Every item matches the stream's catalog schema (`socialtap catalog`), as a loader would check it.
        validator = schema_validator(item_schema(self._vendor(), stream_name))
        for record in records:
            errors = sorted(validator.iter_errors(json.loads(dumps(to_item(record)))), key=str)
            assert not errors, f"{stream_name}: {to_item(record)} does not match its catalog schema: {errors[0].message}"

    def test_sample_params_match_the_spec(self, stream_name: str) -> None:
        """The stream's sample params are valid under its `socialtap spec` params schema."""
        schema = params_schema(self._vendor().stream(stream_name))
        errors = list(schema_validator(schema).iter_errors(self.sample_params.get(stream_name, {})))
        assert not errors, f"{stream_name}: sample params do not match the spec: {errors[0].message} at {errors[0].json_path}"

    def test_streams_with_a_date_window_run_incrementally(self, tmp_path: Any) -> None:
        """A declared Window names two params of the stream; an incremental run of the sample
        params (their window dropped) ends today, keeps to ``earliest``, and a second run
        starts at the first one's bookmark minus the declared lookback."""
        import datetime as dt

        import attrs

        from socialtap import clock
        from socialtap.state import StateStore

        windowed = [s for s in self._vendor().streams if s.window is not None]
        if not windowed:
            pytest.skip("no stream declares a date window")
        today = clock.today()
        with self.sandbox() as running:
            for index, stream in enumerate(windowed):
                window = stream.window
                assert window is not None
                names = {f.alias or f.name for f in attrs.fields(stream.params)}
                assert {window.start, window.end} <= names, f"{stream.name}: Window names params it does not take"
                params = {k: v for k, v in self.sample_params[stream.name].items() if k not in (window.start, window.end)}
                state = str(tmp_path / f"{stream.name}.sqlite")
                # A second run for the first stream only: the vendor's rate limit paces every run.
                for run in range(1 if index else 2):
                    report = RunReport(self.vendor, stream.name, "")
                    task = self.task(running, stream.name, params, incremental=True, sandbox=True, state=state)
                    list(iter_records(task, report=report, plugin_manager=make_plugin_manager()))
                    got = report.window or {}
                    assert got.get("end") == today.isoformat(), f"{stream.name}: the window {got} does not end today"
                    start = dt.date.fromisoformat(got["start"])
                    assert window.earliest is None or start >= window.earliest, f"{stream.name}: {got} before earliest"
                    if run:
                        back = max(today - dt.timedelta(days=window.lookback_days), window.earliest or dt.date.min)
                        assert start == back, f"{stream.name}: a second run started at {start}, not the bookmark's {back}"
                store = StateStore(state)
                try:
                    assert [b["window"]["end"] for b in store.bookmarks()] == [today.isoformat()], stream.name
                finally:
                    store.close()

    def test_stream_is_deterministic_for_a_seed(self, stream_name: str) -> None:
        with self.sandbox() as running:
            first, _ = self.fetch(running, stream_name)
        with self.sandbox() as running:
            second, _ = self.fetch(running, stream_name)
        assert comparable(first) == comparable(second)

    def test_bad_credentials_raise_auth_error(self) -> None:
        stream = next(iter(self.sample_params), None) or self._vendor().streams[0].name
        vendor = self._vendor()
        with self.sandbox() as running:
            wrong = {k: f"wrong-{k}-0000" for k in running.credentials}
            with pytest.raises(AuthError) as caught:
                list(iter_records(self.task(running, stream, credentials=wrong), plugin_manager=make_plugin_manager()))
        message = str(caught.value)
        env_vars = [vendor.env_var(name) for group in vendor.auth.fields() for name in group]
        assert any(var in message for var in env_vars), f"the AuthError should name one of {env_vars}: {message}"
        assert not any(value in message for value in wrong.values()), "the AuthError shows the credential"

    def test_check_call_answers_and_refuses_bad_credentials(self) -> None:
        """The declared Check (`socialtap check`, the Airflow Test button) runs against the sandbox."""
        from socialtap.check import run_check

        vendor = self._vendor()
        assert vendor.check is not None, "declare Vendor(check=Check(stream, params)): the vendor's cheapest authenticated call"
        with self.sandbox() as running:
            options = Options(base_url=running.base_url, **self.run_options)
            pm = make_plugin_manager()
            if vendor.check.unavailable:
                # No safe call: the check says why and sends nothing.
                with pytest.raises(ConfigError, match="no call that checks credentials"):
                    run_check(vendor.name, credentials=running.credentials, options=options, yes=True, plugin_manager=pm)
                assert running.faults_seen.get("requests", 0) == 0
                return
            params = dict(vendor.check.sandbox_params)
            if vendor.check.needs:  # without what only the user knows, refused before any request
                with pytest.raises(ConfigError, match="-p "):
                    run_check(vendor.name, credentials=running.credentials, options=options, yes=True, plugin_manager=pm)
                assert running.faults_seen.get("requests", 0) == 0
            check = functools.partial(run_check, vendor.name, options=options, yes=True, plugin_manager=pm, params=params)
            result = check(credentials=running.credentials)
            assert result.message and result.stream == vendor.check.stream
            wrong = {k: f"wrong-{k}-0000" for k in running.credentials}
            with pytest.raises(AuthError):
                check(credentials=wrong)

    def test_missing_credentials_name_the_env_var(self, monkeypatch: pytest.MonkeyPatch) -> None:
        vendor = self._vendor()
        for group in vendor.auth.fields():
            for name in group:
                monkeypatch.delenv(vendor.env_var(name), raising=False)
        stream = next(iter(self.sample_params), vendor.streams[0].name)
        with self.sandbox() as running:
            task = Task(self.vendor, stream, self.sample_params.get(stream, {}), None, Options(base_url=running.base_url))
            with pytest.raises(ConfigError) as caught:
                list(iter_records(task, plugin_manager=make_plugin_manager()))
            assert running.faults_seen.get("requests", 0) == 0
        assert vendor.env_var(vendor.auth.fields()[0][0]) in str(caught.value)

    def test_invalid_params_fail_before_any_request(self, invalid_stream_name: str) -> None:
        with self.sandbox() as running:
            with pytest.raises(ConfigError) as caught:
                list(
                    iter_records(
                        self.task(running, invalid_stream_name, self.invalid_params[invalid_stream_name]),
                        plugin_manager=make_plugin_manager(),
                    )
                )
            assert running.faults_seen.get("requests", 0) == 0, "a request was sent before params were validated"
        assert caught.value.problems, "ConfigError should list the problems"

    def test_same_records_under_faults(self, stream_name: str) -> None:
        with self.sandbox() as running:
            clean, _ = self.fetch(running, stream_name)
        plan = Faults.parse(self.faults)
        served = 0
        # Runs with the plan's seed, then the next seeds, until the plan has met
        # fault_requests requests: a stream of two pages meets every kind of fault too.
        for seed in range(plan.seed, plan.seed + 20):
            with self.sandbox(faults=attrs.evolve(plan, seed=seed)) as running:
                # Short backoff: the check is that nothing is lost, not how long the engine waits.
                faulty, report = self.fetch(running, stream_name, backoff_initial=0.02, read_timeout=self.fault_read_timeout)
                seen = running.faults_seen
            assert comparable(faulty) == comparable(clean), f"seed {seed}: {seen}"
            injected = sum(n for kind, n in seen.items() if kind != "requests")
            assert injected >= 1, "the fault plan injected nothing; the check proved nothing"
            throttled = seen.get("throttled", 0)
            assert report.retries >= injected - throttled, (seed, seen, report.retries)
            FAULT_TALLY.update(seen)
            served += seen["requests"]
            if served >= self.fault_requests:
                break

    def test_no_credential_in_logs_or_errors(self, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
        stream = next(iter(self.sample_params), self._vendor().streams[0].name)
        caplog.set_level(logging.DEBUG)
        messages = []
        with self.sandbox() as running:
            secrets = [v for v in running.credentials.values() if v]
            self.fetch(running, stream)
            wrong = {k: f"{v}-but-wrong" for k, v in running.credentials.items()}
            try:
                list(iter_records(self.task(running, stream, credentials=wrong), plugin_manager=make_plugin_manager()))
            except SocialtapError as exc:
                messages.append(str(exc))
        out = capsys.readouterr()
        text = "\n".join([caplog.text, out.out, out.err, *messages])
        for secret in [*secrets, *wrong.values()]:
            assert secret not in text, "a credential value appears in logs, output or an error"

    def test_documented_error_raises_its_typed_error(self, documented_error: Any) -> None:
        """The vendor's own example error body, served from 127.0.0.1 for every request,
        ends the run with the declared typed error (exactly that class), quoting the vendor's
        words, giving a step to take, naming the env var on an AuthError, showing no secret."""
        vendor = self._vendor()
        sandbox = make_plugin_manager().hook.socialtap_sandbox(vendor=vendor)
        stream = documented_error.stream or next(iter(self.sample_params), vendor.streams[0].name)
        assert stream in self.sample_params, f"add sample_params for {stream!r}: its documented error runs it"
        credentials = dict(sandbox.credentials)
        with serve_app(answering(documented_error)) as served:
            base_url = served.url + urlsplit(vendor.base_url).path.rstrip("/")
            # fail_fast: the chain's own error, not a summary of every chain that met it;
            # a short backoff: retrying a documented 429 or 5xx is right, waiting long is not the check.
            options = Options(base_url=base_url, **{**self.run_options, "fail_fast": True, "backoff_initial": 0.01})
            task = Task(self.vendor, stream, self.sample_params[stream], credentials, options)
            with pytest.raises(SocialtapError) as caught:
                list(iter_records(task, plugin_manager=make_plugin_manager()))
        error = caught.value
        declared = documented_error.error
        assert type(error) is declared, (
            f"HTTP {documented_error.status} {documented_error.body!r} raised {type(error).__name__}, not {declared.__name__}: "
            f"{error} (map it with Vendor.status_errors or answer the hook that raises)"
        )
        text = "\n".join([str(error), *getattr(error, "problems", [])])
        missing = [w for w in documented_error.expected_words() if w not in text]
        assert not missing, f"the error does not quote the vendor's {missing}: {text}"
        assert ADVICE.search(str(error)), f"the error does not say what to do: {error}"
        if isinstance(error, AuthError):
            env_vars = [vendor.env_var(name) for group in vendor.auth.fields() for name in group]
            assert any(var in str(error) for var in env_vars), f"the AuthError should name one of {env_vars}: {error}"
        assert not any(v and v in text for v in credentials.values()), "the error shows a credential"

    # -- proofs: an outage past the retry budget, SIGKILL and --resume, fuzzed payloads --

    def test_an_outage_past_the_retry_budget_is_typed_and_resumable(self, tmp_path: Any) -> None:
        """The sandbox goes down half-way through the run (503 to every request from then on):
        the run ends with a typed error that says what to do, the pages written so far are
        intact (whole lines), and ``resume`` against a healthy sandbox completes the output
        with exactly the records of a clean run."""
        from socialtap.errors import ChainsFailedError, VendorError
        from socialtap.runner import run_to_output
        from socialtap.testing.crash import output_rows

        stream_name = self.crash_stream or next(iter(self.sample_params))

        def into(running: RunningSandbox, out: Any, state: Any, **options: Any) -> RunReport:
            # sandbox=True: the task is identified as the vendor's sandbox, not by its port,
            # so a resume against a sandbox served again is the same task.
            task = self.task(running, stream_name, state=str(state), sandbox=True, **options)
            return run_to_output(task, "jsonl", str(out), plugin_manager=make_plugin_manager())

        with self.sandbox() as running:
            into(running, tmp_path / "clean.jsonl", tmp_path / "clean.sqlite")
            needed = running.faults_seen["requests"]
        out, state = tmp_path / "out.jsonl", tmp_path / "state.sqlite"
        with self.sandbox(faults=Faults(outage_after=needed // 2)) as running:
            with pytest.raises(SocialtapError) as caught:
                into(running, out, state, max_attempts=2, backoff_initial=0.01)
            outage = running.faults_seen.get("outage", 0)
        error = caught.value
        assert isinstance(error, (VendorError, ChainsFailedError)), f"{type(error).__name__}: {error}"
        assert ADVICE.search(str(error)), f"the error does not say what to do: {error}"
        assert error.exit_code != 0  # what `socialtap run` exits with
        assert outage >= 1
        for part in tmp_path.glob(".out.jsonl.*.part"):  # what the failed run wrote, kept for the resume
            output_rows(part, "jsonl")
        with self.sandbox() as running:
            into(running, out, state, resume=True)
        assert output_rows(out, "jsonl") == output_rows(tmp_path / "clean.jsonl", "jsonl")
        assert not list(tmp_path.glob(".out.jsonl.*.part"))
        FAULT_TALLY["outage"] += outage

    def test_sigkill_after_k_pages_then_resume_gives_exactly_the_records(self, tmp_path: Any) -> None:
        """``socialtap run`` in its own process is SIGKILLed when it asks for page k+1 (k drawn
        by hypothesis), then run again with ``--resume``: together, exactly the records of an
        uninterrupted run, in JSON Lines and in SQLite, with no half line and no damaged file."""
        import os
        import subprocess
        import sys
        import tempfile
        from pathlib import Path

        from hypothesis import HealthCheck, given, settings
        from hypothesis import strategies as st

        from socialtap.runner import run_to_output
        from socialtap.testing.crash import KillAfter, output_rows
        from socialtap.testing.server import stop_process

        stream = self.crash_stream or next(iter(self.sample_params))
        vendor = self._vendor()
        clean: dict[str, list[str]] = {}
        with self.sandbox() as running:
            for fmt in ("jsonl", "sqlite"):
                out = tmp_path / f"clean.{fmt}"
                task = self.task(running, stream, state=str(tmp_path / f"clean-{fmt}.state"), sandbox=True)
                run_to_output(task, fmt, str(out), plugin_manager=make_plugin_manager())
                clean[fmt] = output_rows(out, fmt)
            pages = running.faults_seen["requests"] // 2
        assert clean["jsonl"], f"{stream} gave no records to resume"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOCIALTAP_")}

        def cli(running: RunningSandbox, out: Path, state: Path, *extra: str) -> subprocess.Popen[bytes]:
            args = ["run", self.vendor, stream, "--params", json.dumps(self.sample_params[stream])]
            args += ["--base-url", running.base_url, "--state", str(state), "-o", str(out), *extra]
            creds = {vendor.env_var(k): v for k, v in running.credentials.items()}
            return subprocess.Popen(
                [sys.executable, "-m", "socialtap.cli", *args],
                env={**env, **creds, "XDG_STATE_HOME": str(out.parent / "xdg")},
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group: the kill takes all of it
            )

        @settings(
            max_examples=self.crash_examples,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(k=st.integers(1, max(1, pages - 1)), fmt=st.sampled_from(["jsonl", "sqlite"]))
        def killed_and_resumed(k: int, fmt: str) -> None:
            with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
                out, state = Path(tmp) / f"out.{fmt}", Path(tmp) / "state.sqlite"
                killer: list[KillAfter] = []
                with self.sandbox(wrap=lambda app: killer.append(KillAfter(app, after=k)) or killer[0]) as running:
                    process = cli(running, out, state)
                    killer[0].pgid = process.pid
                    try:
                        _, err = process.communicate(timeout=300)
                    finally:
                        stop_process(process)
                    if killer[0].killed:
                        KILL_TALLY["kills"] += 1
                        assert process.returncode == -9, err.decode()[-2000:]
                    if out.exists():  # what the kill left: whole lines, an intact database
                        output_rows(out, fmt)
                    killer[0].after = None
                    resumed = cli(running, out, state, "--resume")
                    try:
                        _, err = resumed.communicate(timeout=300)
                    finally:
                        stop_process(resumed)
                assert resumed.returncode == 0, err.decode()[-2000:]
                assert output_rows(out, fmt) == clean[fmt], f"killed after {k} pages, resumed: not the clean run's records"
                assert not list(Path(tmp).glob(".*.part")), "a part file was left behind"

        killed_and_resumed()

    def test_normalizer_lets_only_payload_errors_escape(self, stream_name: str) -> None:
        """Arbitrary JSON and near misses of the docs' examples (``payload_examples``) into the
        stream's normalizer: records that survive the round trip, or a PayloadError that names
        the vendor and a field path; nothing else (no KeyError, TypeError, AttributeError)."""
        from hypothesis import HealthCheck, given, settings

        from socialtap.errors import PayloadError, VendorError
        from socialtap.runner import first_requests, make_engine, prepare
        from socialtap.testing.fuzz import documented_keys, json_values, near_misses

        vendor, pm = self._vendor(), make_plugin_manager()
        stream = vendor.stream(stream_name)
        documented = self.payload_examples.get(stream_name)
        bodies = documented if isinstance(documented, list) else [documented] if documented is not None else []
        with self.sandbox() as running:
            prepared = prepare(self.task(running, stream_name), plugin_manager=pm)
            request = first_requests(prepared)[0]
            if not bodies:  # no docs example given: the sandbox's answer stands in for it
                engine = make_engine(prepared)
                try:
                    bodies = [engine.fetch(request).payload]
                finally:
                    engine.close()
        keys = documented_keys(bodies) | {"$"}

        def check(payload: Any) -> None:
            FUZZ_TALLY["payloads"] += 1
            try:
                records = list(pm.hook.socialtap_normalize(vendor=vendor, stream=stream, request=request, payload=payload) or ())
            except PayloadError as exc:
                message = str(exc)
                assert self.vendor in message or exc.vendor == self.vendor, f"the PayloadError names no vendor: {message}"
                assert any(key in message for key in keys), f"the PayloadError names no field: {message}"
                return
            except VendorError as exc:
                # A well-formed body the docs give a meaning to (Upload-Post's "success": false)
                # is the vendor's own error: typed, and saying what to do.
                assert ADVICE.search(str(exc)), f"the error does not say what to do: {exc}"
                return
            for record in records:
                assert from_item(json.loads(dumps(to_item(record)))) == record, f"round trip changed {record}"

        for strategy in (json_values(), near_misses(bodies)):
            settings(
                max_examples=self.fuzz_examples,
                derandomize=True,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )(given(payload=strategy)(check))()


FAULT_TALLY: Counter[str] = Counter()
"""Faults injected by the contract checks in this process, by kind (the terminal summary prints it)."""
KILL_TALLY: Counter[str] = Counter()
"""Runs SIGKILLed by the crash check in this process."""
FUZZ_TALLY: Counter[str] = Counter()
"""Payloads fed to normalizers by the fuzz check in this process."""
