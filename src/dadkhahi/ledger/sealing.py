"""Erasable payloads: seal protected data so destroying one small key erases it.

A protected payload (a witness's identity, say) goes into its event sealed with a per-payload
data key; the data key is stored wrapped under a master key in a separate, deletable table.
Deleting the wrapped key leaves the event, its leaf hash and every proof intact, but the
payload can no longer be read by anyone ("crypto-shredding").

Payloads: AES-256-GCM with a random 96-bit nonce and the caller's ``context`` (for example
the event type and record ID) as associated data, so a sealed blob cannot be moved to
another record unnoticed. Each data key seals few messages, so random nonces are safe.

Data keys: AES Key Wrap (RFC 3394, JWE "A256KW"). Chosen over AES-GCM because it is the
purpose-built key-encryption mode: deterministic, with a built-in integrity check and no
nonce, so there is no nonce-reuse risk under a long-lived master key however many keys it
wraps, and it is what HSMs and KMSs offer (PKCS#11 CKM_AES_KEY_WRAP). It has no associated
data; a wrapped key swapped onto another record still fails, because the GCM tag on the
payload will not verify under the wrong data key.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from dadkhahi.ledger.errors import LedgerInputError, VerificationError

SEAL_ALG = "A256GCM"
"""The ``alg`` of every sealed payload."""

WRAP_PREFIX = "A256KW:"
"""Prefix on wrapped keys, so a later algorithm can be told apart."""

KEY_SIZE = 32
NONCE_SIZE = 12
_TAG_SIZE = 16


def _check_key(name: str, key: object) -> bytes:
    if not isinstance(key, bytes) or len(key) != KEY_SIZE:
        raise LedgerInputError(f"{name} must be {KEY_SIZE} bytes (AES-256)")
    return key


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise VerificationError(f"sealed payload: {what} is missing or not text")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
        raise VerificationError(f"sealed payload: {what} is not base64") from exc


def new_data_key() -> bytes:
    """A fresh random 32-byte data key."""
    return os.urandom(KEY_SIZE)


def seal(plaintext: bytes, data_key: bytes, context: bytes) -> dict[str, str]:
    """Encrypt ``plaintext`` to a JSON-safe ``{"alg": "A256GCM", "nonce": b64, "ct": b64}``.

    ``context`` is authenticated but not stored: unsealing needs the same bytes.
    """
    _check_key("data key", data_key)
    if not isinstance(plaintext, bytes) or not isinstance(context, bytes):
        raise LedgerInputError("plaintext and context must be bytes")
    nonce = os.urandom(NONCE_SIZE)
    ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, context)
    return {"alg": SEAL_ALG, "nonce": _b64(nonce), "ct": _b64(ciphertext)}


def unseal(sealed: Mapping[str, Any], data_key: bytes, context: bytes) -> bytes:
    """Decrypt a payload made by :func:`seal`.

    Raises :class:`VerificationError` if the payload, key or context is wrong or tampered.
    """
    _check_key("data key", data_key)
    if not isinstance(sealed, Mapping) or sealed.get("alg") != SEAL_ALG:
        raise VerificationError(f"sealed payload: alg must be {SEAL_ALG}")
    nonce = _unb64(sealed.get("nonce"), "nonce")
    ciphertext = _unb64(sealed.get("ct"), "ct")
    if len(nonce) != NONCE_SIZE or len(ciphertext) < _TAG_SIZE:
        raise VerificationError("sealed payload: nonce or ciphertext has the wrong length")
    try:
        return AESGCM(data_key).decrypt(nonce, ciphertext, context)
    except InvalidTag as exc:
        raise VerificationError(
            "sealed payload does not authenticate: wrong key, wrong context, or tampered"
        ) from exc


def wrap_key(data_key: bytes, master_key: bytes) -> str:
    """Wrap a data key under the master key with AES Key Wrap: ``"A256KW:" + base64``."""
    _check_key("data key", data_key)
    _check_key("master key", master_key)
    return WRAP_PREFIX + _b64(aes_key_wrap(master_key, data_key))


def unwrap_key(wrapped: str, master_key: bytes) -> bytes:
    """Unwrap a key made by :func:`wrap_key`; :class:`VerificationError` if it does not check."""
    _check_key("master key", master_key)
    if not isinstance(wrapped, str) or not wrapped.startswith(WRAP_PREFIX):
        raise VerificationError(f"wrapped key must start with {WRAP_PREFIX}")
    raw = _unb64(wrapped[len(WRAP_PREFIX) :], "wrapped key")
    try:
        key = aes_key_unwrap(master_key, raw)
    except (InvalidUnwrap, ValueError) as exc:
        raise VerificationError(
            "wrapped key does not unwrap: wrong master key or tampered"
        ) from exc
    if len(key) != KEY_SIZE:
        raise VerificationError("wrapped key is not a 32-byte data key")
    return key
