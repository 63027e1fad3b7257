"""How a plugin hands over its vendor emulator (served by ``socialtap.testing``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs


@attrs.frozen
class Sandbox:
    """A vendor's offline emulator.

    ``app(seed=..., **options)`` returns a WSGI application that answers like the vendor
    does under the path of the vendor's base URL (``/api/v1/...``). The same seed gives
    the same entities, pages and values. ``credentials`` are the test credentials it
    accepts, keyed like the vendor's credential fields.
    """

    app: Callable[..., Any]
    credentials: Mapping[str, str]
