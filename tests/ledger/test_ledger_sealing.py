"""Erasable payloads: AES-256-GCM sealing and AES key wrap of data keys."""

from __future__ import annotations

import base64
import json

import pytest

from dadkhahi.ledger.errors import LedgerInputError, VerificationError
from dadkhahi.ledger.events import Event
from dadkhahi.ledger.merkle import leaf_hash
from dadkhahi.ledger.sealing import new_data_key, seal, unseal, unwrap_key, wrap_key

CONTEXT = b"witness.identity/record-42"
SECRET = "synthetic witness name \u0646\u0627\u0645".encode()


def _flip_b64(text: str, byte: int) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[byte] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def test_seal_round_trip_is_json_safe_and_random() -> None:
    key = new_data_key()
    assert len(key) == 32
    assert key != new_data_key()
    sealed = seal(SECRET, key, CONTEXT)
    assert sealed["alg"] == "A256GCM"
    assert json.loads(json.dumps(sealed)) == sealed
    assert unseal(sealed, key, CONTEXT) == SECRET
    assert seal(SECRET, key, CONTEXT)["nonce"] != sealed["nonce"]
    assert SECRET not in base64.b64decode(sealed["ct"])


def test_unseal_detects_every_kind_of_tampering() -> None:
    key = new_data_key()
    sealed = seal(SECRET, key, CONTEXT)
    cases = [
        ({**sealed, "ct": _flip_b64(sealed["ct"], 0)}, key, CONTEXT),
        ({**sealed, "ct": _flip_b64(sealed["ct"], -1)}, key, CONTEXT),  # the tag
        ({**sealed, "nonce": _flip_b64(sealed["nonce"], 3)}, key, CONTEXT),
        (sealed, key, b"witness.identity/record-43"),  # moved to another record
        (sealed, new_data_key(), CONTEXT),
        ({**sealed, "alg": "A128GCM"}, key, CONTEXT),
        ({**sealed, "nonce": "not base64!"}, key, CONTEXT),
        ({"alg": "A256GCM", "ct": sealed["ct"]}, key, CONTEXT),
        ({**sealed, "ct": base64.b64encode(b"short").decode()}, key, CONTEXT),
    ]
    for bad, use_key, context in cases:
        with pytest.raises(VerificationError):
            unseal(bad, use_key, context)


def test_key_wrap_round_trip_and_tamper() -> None:
    master, data_key = new_data_key(), new_data_key()
    wrapped = wrap_key(data_key, master)
    assert wrapped.startswith("A256KW:")
    assert unwrap_key(wrapped, master) == data_key
    with pytest.raises(VerificationError):
        unwrap_key(wrapped, new_data_key())
    body = wrapped.removeprefix("A256KW:")
    with pytest.raises(VerificationError):
        unwrap_key("A256KW:" + _flip_b64(body, 5), master)
    with pytest.raises(VerificationError):
        unwrap_key(body, master)


def test_key_wrap_matches_rfc_3394_vector() -> None:
    # RFC 3394 §4.6: wrap 256 bits of key data with a 256-bit KEK.
    kek = bytes(range(32))
    key_data = bytes.fromhex("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F")
    expected = bytes.fromhex(
        "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"
    )
    assert wrap_key(key_data, kek) == "A256KW:" + base64.b64encode(expected).decode()
    assert unwrap_key("A256KW:" + base64.b64encode(expected).decode(), kek) == key_data


def test_keys_must_be_32_bytes() -> None:
    for bad in (b"", b"x" * 16, b"x" * 33):
        with pytest.raises(LedgerInputError):
            seal(SECRET, bad, CONTEXT)
        with pytest.raises(LedgerInputError):
            wrap_key(bad, new_data_key())
        with pytest.raises(LedgerInputError):
            wrap_key(new_data_key(), bad)


def test_destroying_the_key_erases_the_payload_but_not_the_leaf() -> None:
    master, data_key = new_data_key(), new_data_key()
    key_table = {"record-42": wrap_key(data_key, master)}  # the separate, deletable table
    event = Event(
        "testimony.added",
        {"record": "record-42", "witness": seal(SECRET, data_key, CONTEXT)},
        "tester",
        "2024-05-01T12:00:00Z",
    )
    leaf_before = leaf_hash(event.to_bytes())
    stored = Event.from_bytes(event.to_bytes())
    key = unwrap_key(key_table["record-42"], master)
    assert unseal(stored.data["witness"], key, CONTEXT) == SECRET
    del key_table["record-42"], key, data_key
    assert leaf_hash(stored.to_bytes()) == leaf_before
    # Without the data key every guess fails authentication.
    with pytest.raises(VerificationError):
        unseal(stored.data["witness"], new_data_key(), CONTEXT)
