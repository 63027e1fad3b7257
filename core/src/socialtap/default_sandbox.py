"""Default ``socialtap_sandbox``: the emulator a vendor declared (``Vendor.sandbox``).

An internal plugin; :class:`socialtap.sandbox.Sandbox` is what a plugin hands over.
"""

from __future__ import annotations

from socialtap.hookspecs import hookimpl


@hookimpl(trylast=True)
def socialtap_sandbox(vendor):
    """Default: the sandbox the vendor declared in ``Vendor.sandbox``."""
    return vendor.sandbox() if vendor.sandbox is not None else None
