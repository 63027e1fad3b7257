"""Params validation: users' raw params -> the stream's params object, or one ConfigError.

Every problem is collected (unknown, missing and invalid params, field validators, the
class's own cross-field ``problems()``) and reported together with its path, before any
request is sent.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import typing
import unicodedata
from collections.abc import Iterable, Mapping
from types import SimpleNamespace
from typing import Any

import attrs
import cattrs
from cattrs.preconf.json import make_converter
from cattrs.v import format_exception

from socialtap.errors import ConfigError
from socialtap.suggest import did_you_mean

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

converter = make_converter(forbid_extra_keys=True, detailed_validation=True)
"""Structures params. Plugins may register hooks here for their own param types."""


def _structure_day(value: Any, _type: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _DAY.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}")


def _structure_strict_str(value: Any, _type: Any) -> str:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"expected a string, got {value!r}")


def _structure_strict_int(value: Any, _type: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    raise ValueError(f"expected an integer, got {value!r}")


def _structure_strict_bool(value: Any, _type: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.lower() in ("true", "1", "yes")
    raise ValueError(f"expected true or false, got {value!r}")


converter.register_structure_hook(dt.date, _structure_day)
converter.register_unstructure_hook(dt.date, lambda d: d.isoformat())
converter.register_structure_hook(str, _structure_strict_str)
converter.register_structure_hook(int, _structure_strict_int)
converter.register_structure_hook(bool, _structure_strict_bool)


def _is_sequence_type(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return any(_is_sequence_type(arg) for arg in typing.get_args(tp) if arg is not type(None))
    return origin in (list, tuple, set, frozenset) or tp in (list, tuple)


def _format_exception(exc: BaseException, type_: Any) -> str:
    # A structure hook's own ValueError says what a valid value looks like (plugins'
    # param types: "unknown platform 'myspace'; Metrika supports: ..."): keep it.
    if type(exc) is ValueError and exc.args and isinstance(exc.args[0], str):
        return exc.args[0]
    return format_exception(exc, type_)


def _messages(exc: Exception, path: str) -> list[str]:
    if isinstance(exc, cattrs.BaseValidationError):
        return cattrs.transform_error(exc, path=path, format_exception=_format_exception)
    return [f"{exc} @ {path}"]


def validate_params(params_class: type, raw: Mapping[str, Any] | None) -> Any:
    """Structure ``raw`` into ``params_class``; raise ConfigError listing every problem."""
    raw = dict(raw or {})
    attrs.resolve_types(params_class)
    fields = {f.alias or f.name: f for f in attrs.fields(params_class)}
    problems: list[str] = []

    for name in raw:
        if name not in fields:
            known = ", ".join(fields) or "none"
            problems.append(f"unknown param {name!r}{did_you_mean(name, fields)} (this stream takes: {known}) @ $.{name}")

    values: dict[str, Any] = {}
    for name, field in fields.items():
        if name not in raw:
            if field.default is attrs.NOTHING:
                problems.append(f"missing required param {name!r} @ $.{name}")
            continue
        value = raw[name]
        if value is None:
            values[name] = None if field.default is attrs.NOTHING else field.default
            if field.default is attrs.NOTHING:
                problems.append(f"param {name!r} must not be null @ $.{name}")
            continue
        hint = quoting_hint(name, field.type, value)
        if hint is not None:
            problems.append(f"{hint} @ $.{name}")
            continue
        # A list param given once (``-p ids=1``) is a one-item list, not its characters.
        if _is_sequence_type(field.type) and not isinstance(value, (list, tuple)):
            value = [value]
        try:
            values[name] = converter.structure(value, field.type)
        except Exception as exc:
            problems.extend(_messages(exc, f"$.{name}"))
            continue
        if field.validator is not None:
            try:
                field.validator(SimpleNamespace(**values), field, values[name])
            except (ValueError, TypeError) as exc:
                problems.append(f"{_validator_message(exc)} @ $.{name}")
                continue
        # After the plugin's own checks, so a blank value keeps the plugin's message.
        problems.extend(text_problems(name, values[name], f"$.{name}"))

    if not problems:
        try:
            instance = params_class(**values)
        except (ValueError, TypeError) as exc:
            problems.append(str(exc))
        else:
            check = getattr(instance, "problems", None)
            problems.extend(check() if callable(check) else [])
            if not problems:
                return instance
    raise ConfigError("invalid params", problems=problems)


def quoting_hint(name: str, tp: Any, value: Any) -> str | None:
    """For a text param given ``true``/``false`` or a decimal (``-p term=true`` parses as JSON):
    say how to quote it, instead of cattrs' "expected a string"."""
    wanted = {tp} if not typing.get_args(tp) else set(typing.get_args(tp))
    if str not in wanted or not isinstance(value, (bool, float)) or wanted & {bool, float}:
        return None
    text = json.dumps(value)
    return (
        f"param {name!r} is text, but {text} was read as a {'boolean' if isinstance(value, bool) else 'number'}: "
        f'quote it as a JSON string, -p \'{name}="{text}"\' (or "{name}": "{text}" in --params)'
    )


def text_problems(name: str, value: Any, path: str) -> list[str]:
    """Problems with the text inside a structured param value: control characters, surrounding whitespace.

    An id pasted with its newline (``-p account_id=$'123\\n'``) or a stray space would
    otherwise go to the vendor as a different id: a confusing 404, or an empty result
    that looks like data. Strings are found in lists, tuples, sets, mappings and attrs
    instances (a plugin's own param types), so every plugin gets the check.
    """
    problems: list[str] = []
    if isinstance(value, str):
        bad = next((ch for ch in value if _is_control(ch)), None)
        if bad is not None:
            problems.append(f"param {name!r} contains the control character {bad!r}; remove it @ {path}")
        elif value != value.strip():
            problems.append(f"param {name!r} has leading or trailing whitespace ({value!r}); strip it @ {path}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            problems.extend(text_problems(name, item, f"{path}[{index}]"))
    elif isinstance(value, (set, frozenset)):
        for item in sorted(value, key=repr):
            problems.extend(text_problems(name, item, path))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            problems.extend(text_problems(name, item, f"{path}.{key}"))
    elif attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            problems.extend(text_problems(name, getattr(value, field.name), f"{path}.{field.name}"))
    return problems


def _is_control(ch: str) -> bool:
    # Cc (C0, DEL, C1) plus the Unicode line and paragraph separators, which end a line too.
    return unicodedata.category(ch) == "Cc" or ch in "\u2028\u2029"


def _validator_message(exc: Exception) -> str:
    # attrs validators raise with (message, attribute, ...) args; keep the message.
    return str(exc.args[0]) if exc.args else str(exc)


# --- small helpers plugins use in params classes ------------------------------------


def date_range_problems(
    start: dt.date | None,
    end: dt.date | None,
    *,
    names: tuple[str, str] = ("start_date", "end_date"),
    both_or_neither: bool = True,
    strict: bool = False,
) -> Iterable[str]:
    """Cross-field checks for a date range: both or neither, and start not after end."""
    first, second = names
    if both_or_neither and (start is None) != (end is None):
        yield f"give both {first} and {second}, or neither @ $.{first if start is None else second}"
    if start is not None and end is not None:
        if start > end or (strict and start == end):
            yield f"{first} {start} is after {second} {end}; swap them @ $.{first}"


def unstructure(params: Any) -> dict[str, Any]:
    """Params as JSON-safe data (for stable task ids, state and reports)."""
    return converter.unstructure(params)
