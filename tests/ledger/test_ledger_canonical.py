"""Canonical JSON (RFC 8785) as the ledger uses it."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from dadkhahi.ledger.canonical import canonical_json
from dadkhahi.ledger.errors import LedgerInputError


def test_keys_sort_by_utf16_code_units() -> None:
    # RFC 8785 §3.2.3's sorting example: U+1F600 (a surrogate pair, D83D DE00) sorts
    # before U+FB33, unlike code-point order.
    obj = {"\u20ac": 0, "\r": 1, "\ufb33": 2, "1": 3, "\U0001f600": 4, "\u0080": 5, "\u00f6": 6}
    expected_order = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    out = canonical_json(obj).decode("utf-8")
    positions = [out.index(f'"{key}"' if key != "\r" else '"\\r"') for key in expected_order]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (0.000001, "0.000001"),
        (1e-7, "1e-7"),
        (-0.0, "0"),
        (2.0, "2"),
        (333333333.3333333, "333333333.3333333"),
    ],
)
def test_numbers_follow_ecmascript(value: float, text: str) -> None:
    assert canonical_json([value]) == f"[{text}]".encode()


def test_whitespace_escapes_and_nesting() -> None:
    data = {"b": [1, {"d": None, "c": True}], "a": 'line\nquote"\u00e9\u0001'}
    assert canonical_json(data) == (
        b'{"a":"line\\nquote\\"\xc3\xa9\\u0001","b":[1,{"c":true,"d":null}]}'
    )


def test_frozen_mappings_and_tuples_are_accepted() -> None:
    frozen = MappingProxyType({"x": (1, 2), "y": MappingProxyType({"z": "w"})})
    assert canonical_json(frozen) == b'{"x":[1,2],"y":{"z":"w"}}'


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_nan_and_infinity_are_refused_with_their_path(bad: float) -> None:
    with pytest.raises(LedgerInputError, match=r"\$\.data\.scores\[1\].*RFC 8785"):
        canonical_json({"data": {"scores": [1.0, bad]}})


@pytest.mark.parametrize(
    "bad",
    [{1: "x"}, {"x": {1, 2}}, {"x": b"bytes"}, {"x": 2**53}, {"x": "\ud800"}],
)
def test_other_non_json_is_refused(bad: object) -> None:
    with pytest.raises(LedgerInputError):
        canonical_json(bad)
