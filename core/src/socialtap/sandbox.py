"""How a plugin hands over its vendor emulator (served by ``socialtap.testing``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from socialtap.errors import SocialtapError


def _error_class(value: type) -> type:
    if not (isinstance(value, type) and issubclass(value, SocialtapError)):
        raise TypeError(f"DocumentedError.error must be a socialtap.errors class, not {value!r}")
    return value


@attrs.frozen
class DocumentedError:
    """An error response exactly as the vendor's docs print it, and the typed error socialtap
    must raise for it. The contract suite serves ``body`` with ``status`` and checks the
    engine raises ``error`` with a message that quotes the vendor and says what to do.

    ``body`` is a JSON value (served as ``application/json``) or, with
    ``content_type="text/plain"``, the text itself. ``says`` lists words the message (or a
    ConfigError's problems) must carry; by default every string in ``body``. ``stream``
    picks the stream to run (default: the first with sample params). ``doc`` says where in
    the vendor's docs the example is, for the next reader.
    """

    status: int
    body: Any
    error: type[SocialtapError] = attrs.field(converter=_error_class)
    headers: Mapping[str, str] = attrs.field(factory=dict)
    content_type: str = "application/json"
    says: tuple[str, ...] | None = None
    stream: str | None = None
    doc: str = ""

    def encoded(self) -> bytes:
        """The body as sent on the wire."""
        if self.content_type.startswith("application/json"):
            return json.dumps(self.body).encode()
        if not isinstance(self.body, str):
            raise TypeError(f"a {self.content_type} body must be text, got {type(self.body).__name__}")
        return self.body.encode()

    def expected_words(self) -> tuple[str, ...]:
        """What the raised error must quote: ``says``, else every string found in ``body``."""
        if self.says is not None:
            return self.says
        found: list[str] = []

        def walk(value: Any) -> None:
            if isinstance(value, str):
                found.append(value)
            elif isinstance(value, Mapping):
                for item in value.values():
                    walk(item)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    walk(item)

        walk(self.body)
        return tuple(found)

    @property
    def label(self) -> str:
        """``401-AuthError``: how a test id names it."""
        return f"{self.status}-{self.error.__name__}"


@attrs.frozen
class Sandbox:
    """A vendor's offline emulator.

    ``app(seed=..., **options)`` returns a WSGI application that answers like the vendor
    does under the path of the vendor's base URL (``/api/v1/...``). The same seed gives
    the same entities, pages and values. ``credentials`` are the test credentials it
    accepts, keyed like the vendor's credential fields. ``errors`` are the vendor's
    documented example error responses (:class:`DocumentedError`), which the contract
    suite serves to check each becomes the right typed error.
    """

    app: Callable[..., Any]
    credentials: Mapping[str, str]
    errors: tuple[DocumentedError, ...] = attrs.field(default=(), converter=tuple)
