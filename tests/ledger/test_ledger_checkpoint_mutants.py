"""Signed notes, keys and checkpoints refused with the whole message, and their exact bounds
(cases mutants of ``ledger/checkpoint.py`` survived)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dadkhahi.ledger.checkpoint import (
    MAX_NOTE_BYTES,
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    open_note,
)
from dadkhahi.ledger.errors import LedgerInputError, VerificationError
from dadkhahi.ledger.merkle import EMPTY_ROOT

# A fixed key, not a generated one: its ID is in the messages that name test cases, and
# pytest-xdist's workers must collect the same names.
SIGNER = NoteSigner("test.example/log", Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
VERIFIER = SIGNER.verifier()
LABEL = f"test.example/log+{SIGNER.key_id.hex()}"
NOTE = SIGNER.sign("hello\n")
SIG_LINE = NOTE.split("\n\n", 1)[1]
MAX_SIZE = 2**64 - 1


def _exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


@pytest.mark.parametrize(
    ("note", "message"),
    [
        (b"hello\n", "malformed note: not text"),
        ("\ud800\n\n" + SIG_LINE, "malformed note: not UTF-8 or longer than 1 MiB"),
        ("x" * MAX_NOTE_BYTES + "\n\n" + SIG_LINE,
         "malformed note: not UTF-8 or longer than 1 MiB"),
        ("hel\tlo\n\n" + SIG_LINE, "malformed note: control characters other than newline"),
        ("hello\n" + SIG_LINE, "malformed note: no blank line before the signatures"),
        (NOTE[:-1], "malformed note: signature block must end in a newline"),
        ("hello\n\n" + SIG_LINE * 101, "malformed note: more than 100 signatures"),
        ("hello\n\n" + SIG_LINE + "- x y\n", "malformed note: signature line 2 lacks '\u2014 '"),
        ("hello\n\n\u2014 name AAAA\n", "malformed note: signature line 1 is not valid"),
        ("hello\n\n\u2014 na+me " + SIG_LINE.split(" ")[2],
         "malformed note: signature line 1 is not valid"),
        ("hello\n\n" + SIG_LINE.replace("\u2014 test.example/log", "\u2014 other"),
         f"note has no signature by key {LABEL}"),
        ("hellO\n\n" + SIG_LINE, f"signature by key {LABEL} does not verify"),
    ],
)
def test_notes_are_refused_naming_what_is_wrong(note: str, message: str) -> None:
    with pytest.raises(VerificationError, match=_exactly(message)):
        open_note(note, VERIFIER)


def test_a_note_of_exactly_the_limit_opens() -> None:
    body = "x" * (MAX_NOTE_BYTES - len(SIG_LINE.encode()) - 2) + "\n"
    note = SIGNER.sign(body)
    assert len(note.encode()) == MAX_NOTE_BYTES
    assert open_note(note, VERIFIER) == body


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no newline", "note text must be a string ending in a newline"),
        (b"bytes\n", "note text must be a string ending in a newline"),
        ("bell\x07\n", "note text must be UTF-8 with no control characters but newline"),
        ("\udc80\n", "note text must be UTF-8 with no control characters but newline"),
    ],
)
def test_signing_refuses_text_that_is_not_a_note(text: str, message: str) -> None:
    with pytest.raises(LedgerInputError, match=_exactly(message)):
        SIGNER.signature_line(text)


VKEY = SIGNER.verifier_key()
SKEY = SIGNER.to_private_text()
BAD_VKEY = ("malformed verifier key: expected <name>+<8 hex digits>+<base64 of 0x01 and a "
            "32-byte Ed25519 public key>")
BAD_SKEY = ("malformed private key: expected PRIVATE+KEY+<name>+<8 hex digits>+<base64 of "
            "0x01 and a 32-byte Ed25519 seed>")
OTHER_ID = "00000000" if SIGNER.key_id.hex() != "00000000" else "11111111"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: NoteVerifier.from_key(7), "verifier key must be text"),  # type: ignore[arg-type]
        (lambda: NoteVerifier.from_key(VKEY[:-2]), BAD_VKEY),
        (lambda: NoteVerifier.from_key(VKEY.replace(SIGNER.key_id.hex(), OTHER_ID)),
         f"verifier key ID {OTHER_ID} does not match the key name and public key"),
        (lambda: NoteSigner.from_private_text("KEY+" + SKEY),
         "malformed private key: it must start with PRIVATE+KEY+"),
        (lambda: NoteSigner.from_private_text(SKEY[:-2]), BAD_SKEY),
        (lambda: NoteSigner.from_private_text(SKEY.replace(SIGNER.key_id.hex(), OTHER_ID)),
         f"private key ID {OTHER_ID} does not match its name and key"),
        (lambda: NoteVerifier("a b", VERIFIER.public_key),
         "invalid key name 'a b': no spaces or '+' allowed"),
        (lambda: NoteSigner.generate("a+b"), "invalid key name 'a+b': no spaces or '+' allowed"),
    ],
)
def test_keys_are_refused_naming_what_is_wrong(make: Callable[[], object], message: str) -> None:
    with pytest.raises(LedgerInputError, match=_exactly(message)):
        make()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (("", 1, EMPTY_ROOT, ()), "checkpoint origin must be one non-empty line of text"),
        (("a\nb", 1, EMPTY_ROOT, ()), "checkpoint origin must be one non-empty line of text"),
        (("o", True, EMPTY_ROOT, ()), "checkpoint size must be an integer from 0 to 2**64-1"),
        (("o", "3", EMPTY_ROOT, ()), "checkpoint size must be an integer from 0 to 2**64-1"),
        (("o", -1, EMPTY_ROOT, ()), "checkpoint size must be an integer from 0 to 2**64-1"),
        (("o", MAX_SIZE + 1, EMPTY_ROOT, ()),
         "checkpoint size must be an integer from 0 to 2**64-1"),
        (("o", 1, EMPTY_ROOT[:31], ()), "checkpoint root hash must be 32 bytes"),
        (("o", 1, bytearray(EMPTY_ROOT), ()), "checkpoint root hash must be 32 bytes"),
        (("o", 1, EMPTY_ROOT, ("",)), "checkpoint extension lines must be non-empty lines of text"),
        (("o", 1, EMPTY_ROOT, ["x"]), "checkpoint extension lines must be non-empty lines of text"),
    ],
)
def test_checkpoint_fields_are_refused_naming_the_field(
    fields: tuple[object, ...], message: str
) -> None:
    with pytest.raises(LedgerInputError, match=_exactly(message)):
        Checkpoint(*fields)  # type: ignore[arg-type]


def test_the_largest_tree_size_is_allowed() -> None:
    cp = Checkpoint("o", MAX_SIZE, EMPTY_ROOT)
    assert Checkpoint.parse(cp.body()) == cp
    assert cp.body().split("\n")[1] == "18446744073709551615"


ROOT_LINE = Checkpoint("o", 1, EMPTY_ROOT).body().split("\n")[2]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (f"o\n1\n{ROOT_LINE}", "malformed checkpoint: text must end in a newline"),
        (None, "malformed checkpoint: text must end in a newline"),
        ("o\n1\n", "malformed checkpoint: needs origin, size and root lines"),
        (f"o\n1\n{ROOT_LINE}\n\n", "malformed checkpoint: empty line or control character"),
        (f"o\n01\n{ROOT_LINE}\n", "malformed checkpoint: bad tree size '01'"),
        (f"o\n{MAX_SIZE + 1}\n{ROOT_LINE}\n",
         f"malformed checkpoint: bad tree size '{MAX_SIZE + 1}'"),
        ("o\n1\nAAAA\n", "malformed checkpoint: root is not base64 of 32 bytes"),
    ],
)
def test_checkpoint_text_is_refused_naming_what_is_wrong(body: str, message: str) -> None:
    with pytest.raises(VerificationError, match=_exactly(message)):
        Checkpoint.parse(body)
