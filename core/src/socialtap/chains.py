"""Parent -> child streams: a stream that takes its ids from another stream's records.

A vendor declares it on the child, as dlt's ``resolve`` params and the Singer SDK's
``parent_stream_type`` do; no vendor hand-codes the chain::

    Stream("audience", "/channels/{id}/analytics/audience", ..., fan_out="id",
           parent=Parent("channel_search", into="id", params=("username", "media"),
                         take="account_id", match="username"))

A task for the child that gives the parent's params (``username``) instead of ``into``
(``id``) runs in two steps under the same engine, rate limit and credit budget: the
parent stream first, over every page of every chain; then the child, fanned out over the
values taken from the parent's records. The parent's records are part of the run's
output (they were fetched, and at some vendors paid for).

- ``take``: the field of the parent's records holding the child's value (``account_id``).
- ``record``: the record type it is read from (``Account``).
- ``match``: a field of those records that must equal one of the task's values of the
  param of the same name, ignoring case (``username``): a search that also finds
  ``dior.official`` for ``dior`` does not fan out into strangers. None takes every record.

Several children of the same parent run together from one task whose stream names them
all (``"audience,audience_quality,content"``): the parent is fetched (and paid for) once,
and each child takes the params that are its own.

Checkpoints (``--resume``) cover the child's chains; a resumed chained run searches
again, as the parent's answer may have changed (at a vendor that bills calls, that costs).

A task giving ``into`` itself runs the child alone, as before; giving both is a ConfigError.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from socialtap.errors import ConfigError
from socialtap.records import Account


@attrs.frozen
class Parent:
    """Where a child stream's ``into`` param comes from: the records of stream ``stream``."""

    stream: str
    into: str
    params: tuple[str, ...] = attrs.field(converter=tuple)
    take: str = "account_id"
    record: type = Account
    match: str | None = None

    def __attrs_post_init__(self) -> None:
        if not self.params:
            raise ValueError(f"Parent({self.stream!r}): name the params that go to the parent stream")
        if self.match is not None and self.match not in self.params:
            raise ValueError(f"Parent({self.stream!r}): match={self.match!r} must be one of its params {self.params}")

    def applies(self, params: Mapping[str, Any]) -> bool:
        """Whether a task's params ask for the chain: some of the parent's params are given
        (with ``into`` too, :meth:`split` says to choose)."""
        return any(name in params for name in self.params)

    def split(self, params: Mapping[str, Any], child: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(parent params, child params)`` of a chained task; ConfigError when both sides are given."""
        if self.into in params:
            given = ", ".join(name for name in self.params if name in params)
            raise ConfigError(
                f"{child}: give either {self.into} or {given} (resolved into {self.into} by {self.stream}), not both"
            )
        parent = {name: value for name, value in params.items() if name in self.params}
        rest = {name: value for name, value in params.items() if name not in self.params}
        return parent, rest

    def values(self, records: Iterable[Any], params: Mapping[str, Any]) -> list[str]:
        """The child's values from the parent's records, de-duplicated in order."""
        wanted = None
        if self.match is not None:
            given = params.get(self.match)
            items = given if isinstance(given, (list, tuple)) else [given]
            wanted = {str(item).casefold() for item in items if item is not None}
        found: dict[str, None] = {}
        for record in records:
            if not isinstance(record, self.record):
                continue
            if wanted is not None and str(getattr(record, self.match, "") or "").casefold() not in wanted:
                continue
            value = getattr(record, self.take, None)
            if value is not None:
                found[str(value)] = None
        return list(found)

    def unresolved(self, params: Mapping[str, Any], values: list[str], records: Iterable[Any]) -> str | None:
        """A warning naming the ``match`` values that resolved to nothing, or None."""
        if self.match is None:
            return None
        given = params.get(self.match)
        items = given if isinstance(given, (list, tuple)) else [given]
        seen = {str(getattr(r, self.match, "") or "").casefold() for r in records if isinstance(r, self.record)}
        missing = [str(item) for item in items if item is not None and str(item).casefold() not in seen]
        if not missing:
            return None
        return f"{self.stream} found no {self.match} {', '.join(missing)}: nothing fetched for {'it' if len(missing) == 1 else 'them'}"
