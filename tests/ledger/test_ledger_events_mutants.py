"""Events refused with the whole message, and stamped in UTC whatever the local zone
(cases mutants of ``ledger/events.py`` survived)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from dadkhahi.ledger.errors import LedgerInputError, VerificationError
from dadkhahi.ledger.events import Event, utc_now

T = "2024-05-01T12:00:00Z"


def _raw(data: str = "{}", actor: str = '"a"', v: str = "1") -> bytes:
    return f'{{"actor":{actor},"data":{data},"time":"{T}","type":"t","v":{v}}}'.encode()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("text", "event must be bytes"),
        (_raw('{"x":1,"x":1}'), "event is not valid JSON: duplicate key in JSON object"),
        (_raw('{"x":NaN}'), "event is not valid JSON: NaN is not JSON"),
        (_raw('{"x":-Infinity}'), "event is not valid JSON: -Infinity is not JSON"),
        (b"[1]", "event must be an object with exactly ['actor', 'data', 'time', 'type', 'v']"),
        (_raw(v="3"), "unsupported event version 3"),
        (_raw(v="2"), "event is malformed: a batch event (version 2) needs data.records: "
                      "a list of objects"),
        (_raw(actor='""'), "event is malformed: event actor must be a non-empty string"),
    ],
)
def test_event_bytes_are_refused_naming_what_is_wrong(raw: Any, message: str) -> None:
    with pytest.raises(VerificationError, match=f"^{re.escape(message)}$"):
        Event.from_bytes(raw)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", {}, "a", T), "event type must be a non-empty string"),
        ((1, {}, "a", T), "event type must be a non-empty string"),
        (("t", {}, "", T), "event actor must be a non-empty string"),
        (("t", [], "a", T), "event data must be a JSON object (a mapping)"),
    ],
)
def test_event_fields_are_refused_naming_the_field(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(LedgerInputError, match=f"^{re.escape(message)}$"):
        Event(*args)


@pytest.fixture
def tehran_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "IRST-3:30")  # a POSIX zone string: no tz database needed
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("tehran_clock")
def test_utc_now_is_utc_whatever_the_local_zone() -> None:
    assert time.localtime().tm_gmtoff == 3 * 3600 + 1800
    stamped = datetime.fromisoformat(utc_now())
    assert stamped.tzinfo == UTC
    assert abs((stamped - datetime.now(UTC)).total_seconds()) < 60
