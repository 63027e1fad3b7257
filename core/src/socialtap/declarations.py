"""What a vendor plugin declares: its :class:`Vendor` and the :class:`Stream`\\ s it serves.

A plugin registers one Vendor per API from ``socialtap_register_vendors``. Streams are
declarative: the path template, the params class, the pagination, which list param fans
out into independent chains or is sent in batches, and the small function that maps a
payload onto records. The core's default plugins turn that into requests, pages and
records; a vendor answers a hook only where its API does something the declaration
cannot say.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from socialtap.errors import ConfigError, SocialtapError
from socialtap.retry import IDEMPOTENT_METHODS, RetrySafety

if TYPE_CHECKING:
    from socialtap.auth import AuthScheme
    from socialtap.chains import Parent
    from socialtap.credits import Pricing
    from socialtap.http import Request
    from socialtap.idempotency import Write
    from socialtap.pagination import Paginator
    from socialtap.records import Record
    from socialtap.terms import DataTerms


def _env_name(*parts: str) -> str:
    return "_".join(["SOCIALTAP", *parts]).upper().replace("-", "_")


@attrs.frozen
class Credential:
    """One credential field, read from ``SOCIALTAP_<VENDOR>_<NAME>`` when not given.

    - ``name``: the field name the auth scheme reads (``token``, ``api_key``, ``client_id``).
    - ``doc``: one line for ``socialtap streams``, the spec and the Airflow form.
    - ``required``: False for a field only one of the scheme's alternatives needs.
    - ``secret``: False for a field that may be shown (an account id); secrets are masked
      in ``config show``, marked ``writeOnly`` in the spec and are password fields in Airflow.
    """

    name: str
    doc: str = ""
    required: bool = True
    secret: bool = True


@attrs.frozen
class Check:
    """The vendor's cheapest authenticated call, for ``socialtap check`` and the Test buttons.

    - ``stream``: the stream whose first page is fetched (``me_properties``).
    - ``params``: its params (a vendor with no free call names one cheap item).
    - ``free``: True when the call spends nothing; a check that is not free runs only
      when the user says yes (``--yes``), after being told ``cost``.
    - ``cost``: what one check spends, as a sentence fragment ("one search request, counted
      against the account's rate limit").
    - ``describe``: a function of the records the call returned, giving one line of what
      the vendor said (the account, its balance); None counts the records.
    - ``needs``: params only the user knows (their own profile name, when the vendor has
      no "me" call): given as ``socialtap check VENDOR -p name=value``, serve's
      ``"params"``, the Airflow connection's ``check_params`` extra.
    - ``sandbox_params``: values for ``needs`` that the vendor's sandbox knows.
    - ``unavailable``: why the vendor has no call that checks credentials without
      changing something (an API whose only endpoint creates what it is sent); the
      check then refuses with that reason and sends nothing. Build it with
      :meth:`none_possible`.
    """

    stream: str
    params: Mapping[str, Any] = attrs.field(factory=dict)
    free: bool = True
    cost: str = ""
    describe: Callable[[list[Any]], str] | None = None
    needs: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    sandbox_params: Mapping[str, Any] = attrs.field(factory=dict)
    unavailable: str = ""

    @classmethod
    def none_possible(cls, why: str) -> Check:
        """A vendor with no safe check call, and ``why`` (said by ``socialtap check``)."""
        return cls("", unavailable=why)

    def __attrs_post_init__(self) -> None:
        if self.unavailable:
            return
        missing = [name for name in self.needs if name not in self.sandbox_params]
        if missing:
            raise ValueError(f"Check of stream {self.stream!r}: give sandbox_params for {', '.join(missing)} (in needs)")
        if not self.free and not self.cost:
            raise ValueError(f"Check of stream {self.stream!r} is not free: say what it spends in cost=")


@attrs.frozen
class RateLimit:
    """At most ``requests`` requests per ``per`` seconds, per credential.

    - ``requests``: requests allowed in each period.
    - ``per``: the period in seconds.
    """

    requests: int
    per: float = 1.0

    @property
    def interval(self) -> float:
        """Seconds between two requests at the limit's pace (``per / requests``)."""
        return self.per / self.requests


@attrs.frozen
class Window:
    """The params of a stream that form its date window, for incremental runs.

    ``start`` and ``end`` name the params (inclusive days, ``YYYY-MM-DD``). ``earliest``
    is the oldest start the vendor serves; ``lookback_days`` the overlap an incremental
    run refetches before its bookmark, because analytics vendors revise the last few
    days; ``default_days`` the length of a first window when the user gives no start.
    A stream whose window is in other units (Shareablee's realtime offsets) declares none.
    """

    start: str = "start_date"
    end: str = "end_date"
    earliest: dt.date | None = None
    lookback_days: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    default_days: int = attrs.field(default=30, validator=attrs.validators.ge(1))


@attrs.frozen
class Stream:
    """One kind of data a vendor serves, usually one documented endpoint.

    - ``name``: the stream's name in tasks and on the command line (``accounts``).
    - ``description``: one line for ``socialtap streams``.
    - ``method``: the HTTP method (``GET``; ``POST`` sends params as a JSON body).
    - ``pagination``: a paginator from :mod:`socialtap.pagination`; None is one page.
    - ``idempotent``: whether a failed attempt may be retried; None means by method
      (see :attr:`is_idempotent`).
    - ``path``: template relative to the base URL; ``{name}`` fields come from params.
    - ``params``: an attrs class; users' params are structured into it with cattrs.
    - ``query`` / ``body``: functions of the (per-chain) params giving the query string
      and the JSON body; by default every param not used in ``path`` goes to the query
      (GET) or the body (POST).
    - ``fan_out``: a list param whose values each start an independent request chain
      (each chain sends one value, in the path, query or body).
    - ``batch``: a list param sent in batches of the vendor's ``max_batch``,
      de-duplicated in order; each batch is its own chain. Not with ``fan_out``.
    - ``comma_joined``: list params sent as one comma-joined value (``ids=1,2,3``)
      rather than repeated (``ids=1&ids=2&ids=3``) in the query, or as a JSON array in
      the body. A list in the path is always comma-joined. See :mod:`socialtap.fetch`.
    - ``payload_model``: attrs class the JSON payload is structured into before
      ``normalize`` sees it, so a malformed payload fails naming the field path.
    - ``normalize(payload, request)``: yields records; ``request.params`` holds the
      chain's params.
    - ``records``: the record types this stream may yield.
    - ``window``: the params forming its date window (:class:`Window`), if it has one.
    - ``retry``: which failed attempts may be sent again (:class:`~socialtap.retry.RetrySafety`,
      or its value as a string): ``"always"`` (any failure waiting can fix: connection
      errors, timeouts, 429, 5xx), ``"unsent-only"`` (only what cannot have reached the
      vendor: a refused connection, a connect timeout, a DNS failure, and a 429; never a
      read timeout, a connection broken mid-response or a 5xx, which may have been
      billed) or ``"never"``. Default: ``"always"`` for GET, HEAD and OPTIONS, else
      ``"never"``.
    - ``idempotent``: the older word for the same choice: ``True`` is ``retry="always"``
      (a read-only POST search), ``False`` is ``retry="never"``. Give one or the other;
      both are accepted when they agree. A request carrying an ``Idempotency-Key``
      header may always be retried, whatever the stream says.
    - ``public``: the vendor documents the endpoint as public: it runs with no
      credential set and is sent without credentials (see :mod:`socialtap.public`).
    - ``write``: the stream creates something at the vendor (:class:`~socialtap.idempotency.Write`):
      every request carries an idempotency key derived from the task and the item, is
      retried only with it, and is remembered in the state file once the vendor confirms
      it, so retries and reruns never create it twice. Not with ``retry``/``idempotent``
      or ``pagination`` (one request per item).
    - ``parent``: where the ``fan_out`` param's values may come from instead
      (:class:`~socialtap.chains.Parent`): a task giving the parent's params runs the
      parent stream first and fans out over what its records hold (search -> analytics).

    A contradictory declaration (``fan_out`` and ``batch`` together, a name that is not
    a field of ``params``, ``idempotent=True`` with ``retry="never"``, a paginator class
    instead of an instance) raises ValueError when the plugin builds the Stream.
    """

    name: str
    path: str
    params: type
    normalize: Callable[[Any, Request], Iterable[Record]]
    records: tuple[type, ...]
    description: str = ""
    method: str = "GET"
    pagination: Paginator | None = None
    query: Callable[[Any], Any] | None = None
    body: Callable[[Any], Any] | None = None
    fan_out: str | None = None
    batch: str | None = None
    payload_model: type | None = None
    idempotent: bool | None = None
    window: Window | None = None
    comma_joined: frozenset[str] = attrs.field(factory=frozenset, converter=frozenset)
    retry: RetrySafety | None = attrs.field(default=None, converter=attrs.converters.optional(RetrySafety))
    public: bool = False
    write: Write | None = None
    parent: Parent | None = None

    def __attrs_post_init__(self) -> None:
        where = f"Stream {self.name!r}"
        if self.write is not None and (self.retry is not None or self.idempotent is not None or self.pagination):
            raise ValueError(
                f"{where}: a write is retried by its idempotency key and sends one request per item; "
                f"drop retry=, idempotent= and pagination="
            )
        if self.fan_out and self.batch:
            raise ValueError(
                f"{where}: fan_out={self.fan_out!r} and batch={self.batch!r} cannot both split the params; choose one"
            )
        if attrs.has(self.params):
            fields = {field.name for field in attrs.fields(self.params)}
            named = {"fan_out": {self.fan_out}, "batch": {self.batch}, "comma_joined": set(self.comma_joined)}
            for what, names in named.items():
                unknown = sorted(n for n in names if n is not None and n not in fields)
                if unknown:
                    raise ValueError(f"{where}: {what} names {', '.join(unknown)}, not a field of {self.params.__name__}")
        if self.idempotent is not None and self.retry is not None:
            implied = RetrySafety.from_idempotent(self.idempotent)
            if implied is not self.retry:
                raise ValueError(
                    f"{where}: idempotent={self.idempotent} means retry={implied.value!r}, but retry={self.retry.value!r} "
                    f"was declared; keep only retry="
                )
        if isinstance(self.pagination, type):
            raise ValueError(
                f"{where}: pagination must be a paginator instance, e.g. {self.pagination.__name__}(), not the class"
            )

    @property
    def retry_safety(self) -> RetrySafety:
        """Which failed attempts may be sent again: ``retry``, else ``idempotent``, else by
        method (a write: ``NEVER`` unless keyed, which its sender does)."""
        declared = self.retry or RetrySafety.from_idempotent(self.idempotent)
        if declared is not None:
            return declared
        return RetrySafety.ALWAYS if self.method.upper() in IDEMPOTENT_METHODS else RetrySafety.NEVER

    @property
    def is_idempotent(self) -> bool:
        """Whether any failed attempt may be retried (GET by default; a read-only POST may say so)."""
        return self.retry_safety is RetrySafety.ALWAYS


@attrs.frozen
class Vendor:
    """A vendor API as a plugin declares it.

    - ``name``: the vendor's name in tasks, commands and environment variables (``acme``).
    - ``title``: its display name in messages (``Acme Analytics``).
    - ``base_url``: the API root with its version prefix; only its origin receives credentials.
    - ``auth``: the scheme from :mod:`socialtap.auth` (``Bearer("token")``, ``QueryKey("api_key")``...).
    - ``streams``: the :class:`Stream` s it serves.
    - ``credentials``: its :class:`Credential` fields, documented for users.
    - ``rate_limit``: the documented :class:`RateLimit`, per credential; None is unthrottled.
    - ``max_batch``: the most values a ``batch`` stream sends in one request.
    - ``docs_url``: the vendor's API documentation.
    - ``status_errors``: statuses that mean something else at this vendor, mapped to an error class.
    - ``status_advice``: what to do about a status at this vendor, replacing the engine's generic advice.
    - ``retry_after_default``: seconds to wait after a 429 that has no ``Retry-After``.
    - ``sandbox``: a zero-argument function returning the vendor's offline emulator.
    - ``terms``: the vendor's data terms (:class:`~socialtap.terms.DataTerms`): which record
      fields are personal data and how long its data may be kept; the core honours them.
    - ``check``: the cheapest authenticated call (:class:`Check`), for ``socialtap check``,
      the Airflow connection's Test button and serve's ``/check``.
    - ``pricing``: how a call's cost in credits is asked without spending
      (:class:`~socialtap.credits.OptionsProbe`); the core then prices, budgets and counts
      every call (:mod:`socialtap.credits`). None: calls are not priced.
    """

    name: str
    title: str
    base_url: str
    auth: AuthScheme
    streams: tuple[Stream, ...] = attrs.field(converter=tuple)
    credentials: tuple[Credential, ...] = attrs.field(default=(), converter=tuple)
    rate_limit: RateLimit | None = None
    max_batch: int | None = None
    docs_url: str | None = None
    # Statuses that mean something else at this vendor (InfluencerDB: 429 = out of
    # credits). The engine raises the mapped error at once and never retries it.
    status_errors: Mapping[int, type[SocialtapError]] = attrs.field(factory=dict)
    # What the user should do about a status at this vendor (Metrika: a 404 means a wrong
    # base URL, not a wrong id). Replaces the engine's generic advice after the quoted
    # body; the error class stays the engine's (or status_errors'). Not used for 400/422.
    status_advice: Mapping[int, str] = attrs.field(factory=dict)
    # A zero-argument function: seconds to wait after a 429 without Retry-After, where the
    # vendor documents when its window resets (Metrika: the next minute). It counts like a
    # Retry-After: against the retry budget (Options.max_retry_wait), and over it the run
    # stops at once. None: the exponential backoff alone.
    retry_after_default: Callable[[], float] | None = None
    # A zero-argument function returning the vendor's socialtap.sandbox.Sandbox. Called
    # only when a sandbox is served, so the emulator's code is imported only then.
    sandbox: Callable[[], Any] | None = None
    terms: DataTerms | None = None
    pricing: Pricing | None = None
    check: Check | None = None

    def __attrs_post_init__(self) -> None:
        if self.check is not None and not self.check.unavailable and self.check.stream not in {s.name for s in self.streams}:
            raise ValueError(f"Vendor {self.name!r}: check names stream {self.check.stream!r}, which it does not declare")

    @property
    def env_prefix(self) -> str:
        """``SOCIALTAP_<NAME>``: the prefix of this vendor's environment variables."""
        return _env_name(self.name)

    def env_var(self, field: str) -> str:
        """The environment variable holding a credential or setting of this vendor."""
        return _env_name(self.name, field)

    def stream(self, name: str) -> Stream:
        """The stream called ``name``, or a ConfigError listing the vendor's streams."""
        for stream in self.streams:
            if stream.name == name:
                return stream
        from socialtap.suggest import did_you_mean

        names = [s.name for s in self.streams]
        raise ConfigError(
            f"vendor {self.name!r} has no stream {name!r}{did_you_mean(name, names)}; "
            f"choose one of: {', '.join(names)} (see `socialtap streams {self.name}`)"
        )
