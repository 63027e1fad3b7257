"""Default ``socialtap_auth``: the auth scheme a vendor declared (``Vendor.auth``).

An internal plugin (listed by ``socialtap plugins --all``), registered ``trylast`` so a
vendor's own ``socialtap_auth`` wins. The schemes themselves live in :mod:`socialtap.auth`.
"""

from __future__ import annotations

from socialtap.hookspecs import hookimpl


@hookimpl(trylast=True)
def socialtap_auth(vendor, credentials):
    """Default: the scheme the vendor declared in ``Vendor.auth``."""
    return vendor.auth.build(credentials)
