"""Events: canonical bytes, exact round trips, and refusal of anything non-canonical.

All names and values here are synthetic test data.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dadkhahi.ledger.errors import LedgerInputError, VerificationError
from dadkhahi.ledger.events import Event

TIME = "2024-05-01T12:00:00Z"


def _event(**data: Any) -> Event:
    return Event("record.added", data or {"note": "synthetic"}, "tester", TIME)


def test_bytes_are_the_canonical_envelope() -> None:
    event = Event("source.registered", {"title": "Synthetic list", "n": 3}, "tester", TIME)
    assert event.to_bytes() == (
        b'{"actor":"tester","data":{"n":3,"title":"Synthetic list"},'
        b'"time":"2024-05-01T12:00:00Z","type":"source.registered","v":1}'
    )


def test_round_trip_is_byte_exact_including_persian_text() -> None:
    event = _event(
        name="\u0646\u0627\u0645 \u0622\u0632\u0645\u0627\u06cc\u0634\u06cc",
        nested={"a": [1, 2.5, None]},
    )
    again = Event.from_bytes(event.to_bytes())
    assert again == event
    assert again.to_bytes() == event.to_bytes()
    assert hash(again) == hash(event)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=15,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=5), json_values, max_size=5))
def test_any_json_data_round_trips(data: dict[str, Any]) -> None:
    event = Event("t", data, "a", TIME)
    raw = event.to_bytes()
    assert Event.from_bytes(raw).to_bytes() == raw


@pytest.mark.parametrize(
    "raw",
    [
        b'{"actor":"a","data":{},"time":"2024-05-01T12:00:00Z","type":"t","v":1} ',
        b'{"v":1,"actor":"a","data":{},"time":"2024-05-01T12:00:00Z","type":"t"}',
        b'{"actor":"a","data":{"x":1.0},"time":"2024-05-01T12:00:00Z","type":"t","v":1}',
        b'{"actor":"a","data":{"x":"\\u00e9"},"time":"2024-05-01T12:00:00Z","type":"t","v":1}',
        b'{"actor":"a","data":{"x":1,"x":1},"time":"2024-05-01T12:00:00Z","type":"t","v":1}',
        b'{"actor":"a","data":{"x":NaN},"time":"2024-05-01T12:00:00Z","type":"t","v":1}',
        b'{"actor":"a","data":{"x":1e400},"time":"2024-05-01T12:00:00Z","type":"t","v":1}',
        b'{"actor":"a","data":{},"time":"2024-05-01T12:00:00Z","type":"t","v":2}',
        b'{"actor":"a","data":{},"time":"2024-05-01T12:00:00Z","type":"t","v":true}',
        b'{"actor":"a","data":{},"extra":0,"time":"2024-05-01T12:00:00Z","type":"t","v":1}',
        b'{"actor":"a","data":{},"type":"t","v":1}',
        b'{"actor":"a","data":[],"time":"2024-05-01T12:00:00Z","type":"t","v":1}',
        b'{"actor":"a","data":{},"time":"2024-05-01 12:00:00Z","type":"t","v":1}',
        b'{"actor":"a","data":{},"time":"2024-02-30T12:00:00Z","type":"t","v":1}',
        b'{"actor":"a","data":{},"time":"2024-05-01T12:00:00+00:00","type":"t","v":1}',
        b'{"actor":"\xff","data":{},"time":"2024-05-01T12:00:00Z","type":"t","v":1}',
        b"[1]",
        b"",
    ],
)
def test_non_canonical_or_malformed_bytes_are_refused(raw: bytes) -> None:
    with pytest.raises(VerificationError):
        Event.from_bytes(raw)


def test_large_floats_round_trip_and_inexact_integers_do_not() -> None:
    event = _event(x=2.0**53, y=-1e300)
    assert Event.from_bytes(event.to_bytes()) == event
    raw = (
        b'{"actor":"a","data":{"x":9007199254740993},'
        b'"time":"2024-05-01T12:00:00Z","type":"t","v":1}'
    )
    with pytest.raises(VerificationError, match="canonical"):
        Event.from_bytes(raw)


def test_the_canonical_form_of_a_refused_input_is_accepted() -> None:
    raw = b'{"actor":"a","data":{"x":"\xc3\xa9"},"time":"2024-05-01T12:00:00Z","type":"t","v":1}'
    assert Event.from_bytes(raw).data["x"] == "\u00e9"


def test_bad_fields_are_refused_at_construction() -> None:
    with pytest.raises(LedgerInputError, match=r"NaN|nan"):
        Event("t", {"score": float("nan")}, "a", TIME)
    with pytest.raises(LedgerInputError, match="RFC 3339"):
        Event("t", {}, "a", "2024-05-01T12:00:00")
    with pytest.raises(LedgerInputError):
        Event("", {}, "a", TIME)
    with pytest.raises(LedgerInputError):
        Event("t", {}, "", TIME)


def test_now_stamps_utc_and_data_is_frozen() -> None:
    event = Event.now("t", {"list": [1, {"k": "v"}]}, "a")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", event.time)
    with pytest.raises(TypeError):
        event.data["list"] = []  # type: ignore[index]
    with pytest.raises(TypeError):
        event.data["list"][1]["k"] = "changed"
    assert Event.from_bytes(event.to_bytes()) == event
