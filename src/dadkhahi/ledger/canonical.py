"""Canonical JSON (RFC 8785, JCS): the one byte form of every ledger event."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import rfc8785

from dadkhahi.ledger.errors import LedgerInputError

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]


_MAX_SAFE_INT = 2**53 - 1


def _plain(value: Any, path: str, special: list[bool]) -> JsonValue:
    """Copy ``value`` into plain dicts and lists, naming the path of anything JCS cannot hold.

    rfc8785 accepts only ``dict``, ``list`` and ``tuple`` containers and reports a bad float
    without saying where it is; events carry frozen mappings and deep data, so we normalise
    first and give the person a path to the bad value.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        if not -_MAX_SAFE_INT <= value <= _MAX_SAFE_INT:
            special[0] = True
        return value
    if isinstance(value, float):
        special[0] = True
        if math.isnan(value) or math.isinf(value):
            raise LedgerInputError(
                f"{path}: {value!r} is not allowed in canonical JSON (RFC 8785 has no NaN or "
                "infinity)"
            )
        return value
    if isinstance(value, Mapping):
        out: dict[str, JsonValue] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise LedgerInputError(f"{path}: object key {key!r} is not a string")
            if not key.isascii():
                special[0] = True
            out[key] = _plain(item, f"{path}.{key}", special)
        return out
    if isinstance(value, list | tuple):
        return [_plain(item, f"{path}[{i}]", special) for i, item in enumerate(value)]
    raise LedgerInputError(f"{path}: {type(value).__name__} cannot be written as JSON")


_SCALARS = frozenset({str, bool, type(None)})


def _simple(value: Any) -> bool:
    """True for plain dict/list/str/bool/None/safe-int data with ASCII keys.

    Exact type checks (no subclasses, no floats) keep this cheap; anything else
    takes the validating path.
    """
    # Explicit loops: this runs on every ledger write, and generator-based all()
    # costs about twice as much per value.
    t = type(value)
    if t in _SCALARS:
        return True
    if t is int:
        return bool(-_MAX_SAFE_INT <= value <= _MAX_SAFE_INT)
    if t is dict:
        for k, v in value.items():
            if type(k) is not str or not k.isascii():
                return False
            tv = type(v)
            if tv in _SCALARS:
                continue
            if not _simple(v):
                return False
        return True
    if t is list:
        for v in value:  # noqa: SIM110 - the loop is the point (see above)
            if type(v) not in _SCALARS and not _simple(v):
                return False
        return True
    return False


def _dumps(plain: Any) -> bytes:
    # Without floats, big integers or non-ASCII keys, JCS and the C json encoder
    # agree byte for byte (same escapes; code-point key order equals UTF-16 order
    # for ASCII keys); the pure-Python rfc8785 encoder is ~20x slower.
    try:
        return json.dumps(
            plain, ensure_ascii=False, sort_keys=True, separators=(",", ":")
        ).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise LedgerInputError(f"cannot canonicalise JSON: {exc}") from exc


def canonical_json(obj: Any) -> bytes:
    """Serialise ``obj`` to RFC 8785 canonical JSON bytes (UTF-8).

    Accepts ``None``, ``bool``, ``int`` (within ±(2**53 - 1)), finite ``float``, ``str``,
    mappings with string keys, lists and tuples. Raises :class:`LedgerInputError` naming the
    offending path for NaN/infinity, non-string keys, out-of-range integers, lone surrogates
    or unsupported types.
    """
    if _simple(obj):
        return _dumps(obj)
    special = [False]
    plain = _plain(obj, "$", special)
    if not special[0]:
        return _dumps(plain)
    try:
        return rfc8785.dumps(plain)
    except rfc8785.CanonicalizationError as exc:
        raise LedgerInputError(f"cannot canonicalise JSON: {exc}") from exc
