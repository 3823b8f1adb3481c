"""Sealed payloads and wrapped keys refused with the whole message, at their exact bounds
(cases mutants of ``ledger/sealing.py`` survived)."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.keywrap import aes_key_wrap

from dadkhahi.ledger.errors import LedgerInputError, VerificationError
from dadkhahi.ledger.sealing import new_data_key, seal, unseal, unwrap_key, wrap_key

KEY, MASTER = new_data_key(), new_data_key()
CTX = b"person.created/per_1"
SEALED = seal(b"SYNTHETIC name", KEY, CTX)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: seal(b"x", KEY[:31], CTX), LedgerInputError,
         "data key must be 32 bytes (AES-256)"),
        (lambda: seal("x", KEY, CTX), LedgerInputError, "plaintext and context must be bytes"),  # type: ignore[arg-type]
        (lambda: seal(b"x", KEY, "ctx"), LedgerInputError, "plaintext and context must be bytes"),  # type: ignore[arg-type]
        (lambda: wrap_key(KEY, MASTER[:16]), LedgerInputError,
         "master key must be 32 bytes (AES-256)"),
        (lambda: wrap_key(KEY + b"!", MASTER), LedgerInputError,
         "data key must be 32 bytes (AES-256)"),
        (lambda: unseal(SEALED, bytearray(KEY), CTX), LedgerInputError,  # type: ignore[arg-type]
         "data key must be 32 bytes (AES-256)"),
        (lambda: unwrap_key(wrap_key(KEY, MASTER), MASTER[:31]), LedgerInputError,
         "master key must be 32 bytes (AES-256)"),
        (lambda: unwrap_key(12345, MASTER), VerificationError,  # type: ignore[arg-type]
         "wrapped key must start with A256KW:"),
        (lambda: unseal({**SEALED, "alg": "A128GCM"}, KEY, CTX), VerificationError,
         "sealed payload: alg must be A256GCM"),
        (lambda: unseal([], KEY, CTX), VerificationError, "sealed payload: alg must be A256GCM"),  # type: ignore[arg-type]
        (lambda: unseal({**SEALED, "nonce": None}, KEY, CTX), VerificationError,
         "sealed payload: nonce is missing or not text"),
        (lambda: unseal({**SEALED, "ct": "!!"}, KEY, CTX), VerificationError,
         "sealed payload: ct is not base64"),
        (lambda: unseal({**SEALED, "nonce": _b64(b"\0" * 11)}, KEY, CTX), VerificationError,
         "sealed payload: nonce or ciphertext has the wrong length"),
        (lambda: unseal({**SEALED, "ct": _b64(b"\0" * 15)}, KEY, CTX), VerificationError,
         "sealed payload: nonce or ciphertext has the wrong length"),
        (lambda: unseal(SEALED, KEY, b"other context"), VerificationError,
         "sealed payload does not authenticate: wrong key, wrong context, or tampered"),
        (lambda: unwrap_key("A128KW:" + _b64(b"\0" * 40), MASTER), VerificationError,
         "wrapped key must start with A256KW:"),
        (lambda: unwrap_key("A256KW:***", MASTER), VerificationError,
         "sealed payload: wrapped key is not base64"),
        (lambda: unwrap_key(wrap_key(KEY, MASTER), new_data_key()), VerificationError,
         "wrapped key does not unwrap: wrong master key or tampered"),
        (lambda: unwrap_key("A256KW:" + _b64(aes_key_wrap(MASTER, b"\1" * 24)), MASTER),
         VerificationError, "wrapped key is not a 32-byte data key"),
    ],
)
def test_refusals_say_exactly_what_is_wrong(
    call: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        call()


def test_the_shortest_payload_and_a_round_trip() -> None:
    empty = seal(b"", KEY, CTX)
    assert len(base64.b64decode(empty["ct"])) == 16  # the tag alone
    assert unseal(empty, KEY, CTX) == b""
    assert unseal(SEALED, KEY, CTX) == b"SYNTHETIC name"
    assert unwrap_key(wrap_key(KEY, MASTER), MASTER) == KEY
