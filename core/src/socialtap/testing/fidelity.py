"""The field walk: prove that every documented response field reaches a record.

The rule for every plugin (``docs/plugins.md``, "Every documented field"): each field of
the vendor docs' example responses either reaches a record or is listed in the plugin's
README under "Fields not carried", with the reason. A plugin's test normalizes the docs'
examples and hands the pieces to :func:`walk`::

    from socialtap.testing import fidelity

    listed = fidelity.not_carried(Path(__file__).parents[1] / "README.md")
    result = fidelity.walk(
        [(entry, "data[]", records_about(entry)) for entry in example["data"]],
        not_carried=listed,
    )
    assert result.problems == []

A field is *carried* when its example value appears, with the same type, somewhere in
the records given for that piece: a top-level field, or inside ``ids``, ``attributes``,
``dimensions``, ``metrics`` or ``categories`` (at any depth); a ``YYYY-MM-DD`` text is
also carried by a record's ``datetime.date`` of that day. Give each piece only the
records built from it, so a value that happens to appear elsewhere does not count.

A record may hold a value in another form than the example does, by design: ids and
dimensions are text (the example's ``123`` is ``"123"``), a date is a ``datetime.date``,
a metric has its canonical name. ``walk(convert=...)`` names those documented conversions
per field (``{"entity_id": str, "date": datetime.date.fromisoformat}``); the value then
counts as carried when it, or its conversion, reaches the records.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

__all__ = ["FieldWalk", "converted", "doc_json_blocks", "documented_paths", "leaves", "not_carried", "record_values", "walk"]

_ROW = re.compile(r"\|\s*`([^`]+)`[^|]*\|\s*(.*?)\s*\|\s*$")


def leaves(value: Any, path: str = "", maps: Iterable[str] = ()) -> list[tuple[str, Any]]:
    """``(path, value)`` of every field in ``value``: leaves as ``a.b[].c``.

    ``maps`` names objects keyed by names the docs leave open (Metrika's ``metrics``:
    one key per metric). Their keys are written ``<name>`` in paths and are fields too
    (the key's text is the value that must reach a record).
    """
    maps = frozenset(maps)
    found: list[tuple[str, Any]] = []
    if isinstance(value, Mapping):
        is_map = path.rsplit(".", 1)[-1].split("[")[0] in maps
        for key, item in value.items():
            child = f"{path}.<name>" if is_map else (f"{path}.{key}" if path else str(key))
            if is_map:
                found.append((child, key))
            found.extend(leaves(item, child, maps))
    elif isinstance(value, list):
        for item in value:
            found.extend(leaves(item, f"{path}[]", maps))
    else:
        found.append((path, value))
    return found


def documented_paths(payload: Any, path: str = "", maps: Iterable[str] = ()) -> list[str]:
    """The distinct field paths of an example payload, in the order they first appear."""
    return list(dict.fromkeys(p for p, _ in leaves(payload, path, maps)))


def doc_json_blocks(text: str, *, comment: str = "//") -> list[Any]:
    """The JSON example blocks of a vendor's docs page, in order, parsed.

    A block starts at a line that is just ``{`` and ends at the line that closes it;
    braces are counted, so a page that does not indent its JSON works too (braces inside
    strings are not expected in examples). Lines starting with ``comment`` (``// ... more
    entries``) are left out: the one repair such examples need to be JSON. A block that
    still is not JSON raises ``json.JSONDecodeError``, so the test names it.
    """
    blocks: list[Any] = []
    current: list[str] | None = None
    depth = 0
    for line in text.splitlines():
        if (current is None and line.strip() != "{") or line.strip().startswith(comment):
            continue
        current = [*(current or []), line]
        depth += line.count("{") - line.count("}")
        if depth == 0:
            blocks.append(json.loads("\n".join(current)))
            current = None
    return blocks


def not_carried(readme: Path | str, heading: str = "Fields not carried") -> dict[str, str]:
    """``{field path: reason}`` from the table under ``heading`` in a README (a path or its text).

    Rows look like ``| `data[].link` | why it is not carried |``; the table ends at the
    next heading. A README without the heading gives ``{}``.
    """
    text = readme.read_text() if isinstance(readme, Path) else readme
    start = text.find(heading)
    if start < 0:
        return {}
    rows: dict[str, str] = {}
    for line in text[start:].splitlines()[1:]:
        if line.startswith("#"):
            break
        match = _ROW.match(line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def record_values(records: Iterable[Any]) -> list[Any]:
    """Every value the records hold: their fields, and what their dicts and lists hold, at any depth."""
    found: list[Any] = []

    def collect(value: Any) -> None:
        found.append(value)
        if isinstance(value, Mapping):
            for key, inner in value.items():
                found.append(key)
                collect(inner)
        elif isinstance(value, (list, tuple)):
            for inner in value:
                collect(inner)

    for record in records:
        for value in attrs.astuple(record, recurse=False):
            collect(value)
    return found


def _is_carried(value: Any, values: Sequence[Any]) -> bool:
    # Same value and same type: the example's 12 must not be "found" as "12" or True. A
    # documented ISO 8601 date or time is carried by the date or datetime it was read into.
    return any(
        (value == held and type(value) is type(held))
        or (isinstance(value, str) and isinstance(held, (dt.date, dt.datetime)) and value == held.isoformat())
        for held in values
    )


@attrs.frozen
class FieldWalk:
    """What a walk found: the documented paths, those carried into records, and the problems."""

    documented: frozenset[str]
    carried: frozenset[str]
    problems: tuple[str, ...]

    @property
    def summary(self) -> str:
        """``"12 of 14 documented fields carried"``: for closing notes and READMEs."""
        return f"{len(self.carried)} of {len(self.documented)} documented fields carried"


def converted(path: str, value: Any, convert: Mapping[str, Callable[[Any], Any]]) -> list[Any]:
    """``value`` and, when ``convert`` names its path or its field's name, its conversion."""
    name = path.rsplit(".", 1)[-1].removesuffix("[]")
    function = convert.get(path) or convert.get(name)
    if function is None:
        return [value]
    try:
        return [value, function(value)]
    except (TypeError, ValueError):
        return [value]


def walk(
    pieces: Iterable[tuple[Any, str, Sequence[Any]]],
    *,
    not_carried: Mapping[str, str],
    maps: Iterable[str] = (),
    convert: Mapping[str, Callable[[Any], Any]] | None = None,
) -> FieldWalk:
    """Walk example payload pieces against the records built from each.

    ``pieces`` are ``(payload part, its path prefix, the records built from it)``. A path
    is carried when its value reaches that piece's records in *every* piece it occurs in.
    Problems name each documented path neither carried nor listed in ``not_carried``, and
    each listed path that is in fact carried (the list must stay honest both ways).
    ``convert`` maps a field path (``results[].object_id``) or a field's name (``date``)
    to the documented conversion of its value into the form records hold it in.
    """
    documented: dict[str, None] = {}
    found: dict[str, bool] = {}
    for part, prefix, records in pieces:
        values = record_values(records)
        for path, value in leaves(part, prefix, maps):
            documented[path] = None
            held = any(_is_carried(form, values) for form in converted(path, value, convert or {}))
            found[path] = found.get(path, True) and held
    carried_paths = {path for path, ok in found.items() if ok}
    problems = [
        f"{path}: documented in the docs' example but neither carried into a record nor listed under "
        f"'Fields not carried' in the plugin's README (carry it, or list it with the reason)"
        for path in documented
        if path not in carried_paths and path not in not_carried
    ]
    problems += [
        f"{path}: listed under 'Fields not carried', but it is carried; drop it from the list"
        for path in documented
        if path in carried_paths and path in not_carried
    ]
    return FieldWalk(frozenset(documented), frozenset(carried_paths), tuple(problems))
