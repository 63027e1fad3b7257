"""Suggestions for names a user got slightly wrong: "did you mean shareablee?".

:mod:`difflib` finds the closest known name (a vendor, a stream, a param); a vendor that
is not installed is pointed at its real distribution only when socialtap knows one by
that name (:data:`KNOWN_DISTRIBUTIONS`), never at an invented ``socialtap-<typo>``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# Vendor plugins published from this repository, by vendor name. Only these are ever
# suggested for `pip install`: a guessed name could be someone else's package.
KNOWN_DISTRIBUTIONS: dict[str, str] = {
    "creatoraudit": "socialtap-creatoraudit",
    "influencerdb": "socialtap-influencerdb",
    "metrika": "socialtap-metrika",
    "shareablee": "socialtap-shareablee",
    "uploadpost": "socialtap-uploadpost",
}

# difflib's ratio above which a name counts as a near miss: catches a dropped, doubled or
# swapped letter in names of 5+ characters without pairing unrelated short names.
CUTOFF = 0.75


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The known name nearest to ``name``, or None when nothing is close."""
    found = difflib.get_close_matches(name.lower(), list(choices), n=1, cutoff=CUTOFF)
    return found[0] if found else None


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for a near miss, else the empty string: to append to a message."""
    match = closest(name, choices)
    return f" (did you mean {match!r}?)" if match is not None and match != name else ""


def unknown_vendor_advice(name: str, installed: Iterable[str]) -> str:
    """What to do about a vendor that is not installed: the near miss, or the real distribution, or where to look."""
    installed = list(installed)
    match = closest(name, installed)
    if match is not None:
        return f"did you mean {match!r}?"
    known = KNOWN_DISTRIBUTIONS.get(name.lower()) or KNOWN_DISTRIBUTIONS.get(closest(name, KNOWN_DISTRIBUTIONS) or "")
    if known is not None:
        return f"install its plugin: pip install {known}"
    return "install the vendor's socialtap plugin, then check `socialtap vendors`"
