"""The fast path of canonical_json must equal the reference RFC 8785 encoder byte for byte."""

from __future__ import annotations

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from dadkhahi.ledger.canonical import canonical_json

ascii_keys = st.text(alphabet=st.characters(max_codepoint=127), max_size=6)
any_keys = st.text(max_size=6)
scalars = (
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text()
    | st.floats(allow_nan=False, allow_infinity=False)
)


def _json(keys: st.SearchStrategy[str]) -> st.SearchStrategy[object]:
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
        max_leaves=25,
    )


@settings(max_examples=1500)
@given(_json(ascii_keys))
def test_equals_reference_with_ascii_keys(value: object) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@settings(max_examples=500)
@given(_json(any_keys))
def test_equals_reference_with_any_keys(value: object) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


def test_control_characters_and_non_bmp_text() -> None:
    value = {"a": "\x00\x1f\x7f\b\t\n\f\r\"\\/\u2028😀 محمد", "b": [1, -0, True, None]}
    assert canonical_json(value) == rfc8785.dumps(value)
