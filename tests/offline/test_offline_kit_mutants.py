"""What the mutation run of ``offline.kit`` found untested (issue 18).

The kit is what a court's technician runs on a bundle, so each refusal is compared in
full (it is what that person reads), and the edges are taken from the specifications the
module cites: RFC 8032 §5.1.7 (S must be below L), C2SP signed-note (a signature is a
4-byte key ID and at least one byte, signatures by other keys are skipped, not fatal),
C2SP tlog-checkpoint (no empty line), and the selective-disclosure shape
``[salt of 16 or more bytes, name, value]``. All values are SYNTHETIC.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from dadkhahi.ledger.checkpoint import NoteSigner
from dadkhahi.offline import kit

SIGNER = NoteSigner.generate("test.example/log")
VERIFIER = kit.Verifier(SIGNER.verifier_key())
NOTE = SIGNER.sign("test.example/log\n5\n" + "A" * 43 + "=\n")
L = 2**252 + 27742317777372353535851937790883648493
ROOT_LINE = base64.b64encode(bytes(32)).decode()


def _exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_s_equal_to_the_group_order_is_refused_as_cryptography_does() -> None:
    # The identity point as the key: [k]A is the identity whatever k, so R = identity,
    # S = 0 is a valid signature of anything (RFC 8032 does not refuse small-order keys,
    # nor does OpenSSL). S = L names the same point but is out of range (§5.1.7: S < L).
    identity = (1).to_bytes(32, "little")
    for s, valid in ((0, True), (L, False)):
        signature = identity + s.to_bytes(32, "little")
        assert kit.ed25519_verify(identity, b"message", signature) is valid
        try:
            Ed25519PublicKey.from_public_bytes(identity).verify(signature, b"message")
            assert valid
        except Exception:  # cryptography's InvalidSignature
            assert not valid


def test_a_signature_by_another_key_is_skipped_before_and_after_ours() -> None:
    text, ours = NOTE.split("\n\n")
    # Five bytes (a key ID and one byte) is the shortest well-formed signature.
    other = f"\u2014 other.example/log {_b64(b'wxyz' + b'!')}\n"
    for block in (other + ours, ours + other):
        assert kit.open_note(f"{text}\n\n{block}", VERIFIER) == text + "\n"
    short = f"\u2014 other.example/log {_b64(b'wxyz')}\n"
    with pytest.raises(kit.KitError, match=_exactly("a signature line is malformed")):
        kit.open_note(f"{text}\n\n{short}{ours}", VERIFIER)


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("text\n", "the note has no signature block (a blank line, then signature lines)"),
        ("te\x07xt\n\n" + NOTE.split("\n\n")[1], "the note text holds control characters"),
    ],
)
def test_notes_are_refused_in_full(note: str, message: str) -> None:
    with pytest.raises(kit.KitError, match=_exactly(message)):
        kit.open_note(note, VERIFIER)


def test_a_malformed_verifier_key_is_refused_in_full() -> None:
    with pytest.raises(kit.KitError, match=_exactly(
            "the verifier key is not a signed-note Ed25519 key (NAME+HEXID+BASE64)")):
        kit.Verifier("test.example/log+0011aabb+AAAA")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"\n5\n{ROOT_LINE}\n",
         "malformed checkpoint: needs origin, size and root lines, none empty"),
        (f"origin\n5\n{ROOT_LINE}\n\nextension\n",
         "malformed checkpoint: needs origin, size and root lines, none empty"),
        ("origin\n5\nAAAA\n", "malformed checkpoint: the root is not base64 of 32 bytes"),
    ],
)
def test_checkpoints_are_refused_in_full(text: str, message: str) -> None:
    with pytest.raises(kit.KitError, match=_exactly(message)):
        kit.parse_checkpoint(text)


SALT = _b64(bytes(range(16)))


@pytest.mark.parametrize(
    ("disclosure", "message"),
    [
        (["c2hvcnQ=", "name", "value"], "field name: the disclosure is not [salt, name, value]"),
        ([SALT, "name", "value", "extra"],
         "field name: the disclosure is not [salt, name, value]"),
        ([SALT, "name"], "field name: the disclosure is not [salt, name, value]"),
    ],
)
def test_a_disclosure_must_be_a_long_salt_a_name_and_a_value(
    disclosure: list[str], message: str,
) -> None:
    # Committed exactly as given, so only the shape can refuse it.
    text = json.dumps(disclosure)
    with pytest.raises(kit.KitError, match=_exactly(message)):
        kit.open_disclosure(text, "name", {"name": kit.disclosure_digest(text)})
    good = json.dumps([SALT, "name", "value"])
    assert kit.open_disclosure(good, "name", {"name": kit.disclosure_digest(good)}) == "value"


def test_a_disclosure_that_is_not_text_is_refused_in_full() -> None:
    with pytest.raises(kit.KitError, match=_exactly("field name: the disclosure is not text")):
        kit.open_disclosure(b"[]", "name", {"name": "0" * 64})


ROWS = {"count": 1, "root": kit.leaf_hash(b'{"a": 1}').hex()}


@pytest.mark.parametrize("row_text", [None, 7, b'{"a": 1}'])
def test_a_row_without_text_is_refused_in_full(row_text: object) -> None:
    with pytest.raises(kit.KitError, match=_exactly("row 0: no row text or position")):
        kit.check_row(row_text, 0, ROWS, [])
    assert kit.check_row('{"a": 1}', 0, ROWS, []) == {"a": 1}


def test_selective_proofs_are_refused_naming_what_is_wrong() -> None:
    with pytest.raises(kit.KitError, match=_exactly("the proven event has no data")):
        kit.check_selective(json.dumps({"kind": "x"}), {})
    event = json.dumps({"data": {"sealed": {"commitments": {"name": "0" * 64}}}})
    with pytest.raises(kit.KitError,
                       match=_exactly("a field disclosure is not an object with a name")):
        kit.check_selective(event, {"fields": [{"row": None, "name": 3}]})
    wrong = json.dumps([SALT, "name", "value"])
    with pytest.raises(kit.KitError, match=_exactly(
            "the event: field name: the disclosed value does not match its commitment")):
        kit.check_selective(event, {"fields": [{"row": None, "name": "name",
                                                "disclosure": wrong}]})


def test_the_source_is_this_module_as_utf8_text() -> None:
    # What a standalone verifier embeds: the module's own file, read as UTF-8.
    assert kit.source() == Path(kit.__file__).read_bytes().decode("utf-8")
