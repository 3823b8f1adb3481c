"""Signed notes and checkpoints, checked against notes and keys published by other projects."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from dadkhahi.ledger.checkpoint import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    key_id,
    open_checkpoint,
    open_note,
    unverified_note_text,
)
from dadkhahi.ledger.errors import LedgerInputError, VerificationError
from dadkhahi.ledger.merkle import EMPTY_ROOT, leaf_hash

# --- Vectors from golang/mod sumdb/note/note_test.go (BSD-3-Clause): TestSign, TestOpen. ---
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdn"
    "gotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwn"
    "WLox33WWd1RvMc+QQ=\n"
)

# --- From sigsum/sigsum-go pkg/checkpoint/checkpoint_test.go (TestGoSumDBCheckpoint): a real
# checkpoint "retrieved from https://sum.golang.org/latest, 2024-09-23", and the Go checksum
# database key from golang/go src/cmd/go/internal/modfetch/key.go. ---
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_CHECKPOINT = (
    "go.sum database tree\n"
    "30055305\n"
    "mXfgRcJ0bG0j3CPdKwgGWtUzBUbX67saZGRmFuJGGsM=\n"
    "\n"
    "\u2014 sum.golang.org Az3grpgEild5qw7+5dtV13Kf1C2Xurm8q4fhdxvcsDHnqNTaxL2AFjBY+2TyGKevucF"
    "cAAlWFJJYle3EJlDCrQ+y3A8=\n"
)


def test_go_signer_reproduces_the_published_signature() -> None:
    signer = NoteSigner.from_private_text(PETER_SKEY)
    assert signer.to_private_text() == PETER_SKEY
    assert signer.verifier_key() == PETER_VKEY
    # Ed25519 is deterministic, so our note must equal Go's byte for byte.
    assert signer.sign(GO_TEXT) == GO_TEXT + "\n" + PETER_SIG


def test_go_note_with_two_signatures_opens_for_either_key() -> None:
    note = GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert open_note(note, NoteVerifier.from_key(PETER_VKEY)) == GO_TEXT
    assert open_note(note, NoteVerifier.from_key(ENOCH_VKEY)) == GO_TEXT
    # Unknown signatures, repeated known ones and a corrupt unknown one are all fine.
    corrupt_enoch = ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:]
    noisy = GO_TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + corrupt_enoch
    assert open_note(noisy, NoteVerifier.from_key(PETER_VKEY)) == GO_TEXT


def test_go_note_rejections() -> None:
    peter = NoteVerifier.from_key(PETER_VKEY)
    with pytest.raises(VerificationError, match="does not verify"):
        open_note(GO_TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:], peter)
    with pytest.raises(VerificationError, match="no signature by key PeterNeumann"):
        open_note(GO_TEXT + "\n" + ENOCH_SIG, peter)
    with pytest.raises(VerificationError, match="more than 100"):
        open_note(GO_TEXT + "\n" + PETER_SIG * 101, peter)
    bad_messages = [  # TestOpen's badMsgs
        GO_TEXT,
        GO_TEXT + "\n",
        GO_TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + GO_TEXT + "\n" + PETER_SIG,
        GO_TEXT + "\n" + "\u2014 Bad Name " + PETER_SIG.split(" ")[2],
        GO_TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
    ]
    for message in bad_messages:
        with pytest.raises(VerificationError, match="malformed"):
            open_note(message, peter)


def test_mangled_go_verifier_keys_are_refused() -> None:
    """TestNewVerifier: every proper substring and every one-byte change must fail."""
    assert NoteVerifier.from_key(PETER_VKEY).key_text() == PETER_VKEY
    for i in range(len(PETER_VKEY) + 1):
        for j in range(i + 1, len(PETER_VKEY) + 1):
            if (i, j) != (0, len(PETER_VKEY)):
                with pytest.raises(LedgerInputError):
                    NoteVerifier.from_key(PETER_VKEY[i:j])
    for i in range(len(PETER_VKEY)):
        mangled = PETER_VKEY[:i] + chr(ord(PETER_VKEY[i]) + 1) + PETER_VKEY[i + 1 :]
        with pytest.raises(LedgerInputError):
            NoteVerifier.from_key(mangled)
    wrong_length = "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
    unknown_alg = "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    for key in (wrong_length, unknown_alg):
        with pytest.raises(LedgerInputError):
            NoteVerifier.from_key(key)


def test_mangled_go_private_keys_are_refused() -> None:
    for i in range(len(PETER_SKEY)):
        mangled = PETER_SKEY[:i] + chr(ord(PETER_SKEY[i]) + 1) + PETER_SKEY[i + 1 :]
        with pytest.raises(LedgerInputError):
            NoteSigner.from_private_text(mangled)
    for cut in range(len(PETER_SKEY)):
        with pytest.raises(LedgerInputError):
            NoteSigner.from_private_text(PETER_SKEY[:cut])


def test_real_go_checksum_database_checkpoint_verifies() -> None:
    checkpoint = open_checkpoint(SUMDB_CHECKPOINT, NoteVerifier.from_key(SUMDB_VKEY))
    assert checkpoint.origin == "go.sum database tree"
    assert checkpoint.size == 30055305
    assert base64.b64encode(checkpoint.root_hash) == b"mXfgRcJ0bG0j3CPdKwgGWtUzBUbX67saZGRmFuJGGsM="
    assert checkpoint.body() == unverified_note_text(SUMDB_CHECKPOINT)
    tampered = SUMDB_CHECKPOINT.replace("30055305", "30055306")
    with pytest.raises(VerificationError, match="does not verify"):
        open_checkpoint(tampered, NoteVerifier.from_key(SUMDB_VKEY))


def test_key_id_is_the_c2sp_formula() -> None:
    signer = NoteSigner.generate("dadkhahi.example/ledger")
    public = base64.b64decode(signer.verifier_key().split("+", 2)[2])
    assert public[0] == 0x01
    assert len(public) == 33
    expected = hashlib.sha256(b"dadkhahi.example/ledger\n\x01" + public[1:]).digest()[:4]
    assert signer.key_id == expected == key_id("dadkhahi.example/ledger", public[1:])
    assert re.fullmatch(
        r"dadkhahi\.example/ledger\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}", signer.verifier_key()
    )
    assert signer.verifier_key().split("+")[1] == expected.hex()


def _checkpoint(size: int = 3, extensions: tuple[str, ...] = ()) -> Checkpoint:
    return Checkpoint("dadkhahi.example/ledger", size, leaf_hash(b"synthetic"), extensions)


def test_checkpoint_round_trip_through_a_signed_note() -> None:
    signer = NoteSigner.generate("dadkhahi.example/ledger")
    again = NoteSigner.from_private_text(signer.to_private_text())
    assert again.verifier_key() == signer.verifier_key()
    for checkpoint in (_checkpoint(), _checkpoint(0), _checkpoint(7, ("ext one", "ext-2"))):
        note = again.sign(checkpoint.body())
        assert note.startswith(checkpoint.body() + "\n\u2014 dadkhahi.example/ledger ")
        assert open_checkpoint(note, NoteVerifier.from_key(signer.verifier_key())) == checkpoint
    assert _checkpoint(5).body() == (
        "dadkhahi.example/ledger\n5\n" + base64.b64encode(leaf_hash(b"synthetic")).decode() + "\n"
    )


def test_tampered_notes_fail() -> None:
    signer = NoteSigner.generate("dadkhahi.example/ledger")
    verifier = signer.verifier()
    note = signer.sign(_checkpoint().body())
    for position in range(len(_checkpoint().body())):
        changed = note[:position] + ("x" if note[position] != "x" else "y") + note[position + 1 :]
        if changed[position] == "\n" or note[position] == "\n":
            continue
        with pytest.raises(VerificationError):
            open_note(changed, verifier)
    other_key = NoteSigner.generate("dadkhahi.example/ledger").verifier()
    with pytest.raises(VerificationError, match="no signature by key"):
        open_note(note, other_key)
    renamed = NoteVerifier("dadkhahi.example/other", verifier.public_key)
    with pytest.raises(VerificationError, match="no signature by key"):
        open_note(note, renamed)
    sig_start = note.index("\u2014")
    sig = note[sig_start:]
    raw = bytearray(base64.b64decode(sig.split(" ")[2]))
    raw[10] ^= 1
    forged = note[:sig_start] + f"\u2014 dadkhahi.example/ledger {base64.b64encode(raw).decode()}\n"
    with pytest.raises(VerificationError, match="does not verify"):
        open_note(forged, verifier)


def test_cosigned_note_opens_for_each_key_and_ignores_strangers() -> None:
    log = NoteSigner.generate("dadkhahi.example/ledger")
    witness = NoteSigner.generate("witness.example/w1")
    body = _checkpoint().body()
    note = log.sign(body) + witness.signature_line(body)
    assert open_note(note, log.verifier()) == body
    assert open_note(note, witness.verifier()) == body
    stranger = NoteSigner.generate("stranger.example")
    with pytest.raises(VerificationError):
        open_note(note, stranger.verifier())
    # A bad signature under the right key poisons the note even beside a good one.
    bad = log.signature_line(body.replace("3", "4"))
    with pytest.raises(VerificationError, match="does not verify"):
        open_note(note + bad, log.verifier())


@pytest.mark.parametrize(
    "body",
    [
        "dadkhahi.example/ledger\n3\n",  # no root
        "dadkhahi.example/ledger\n3\n" + base64.b64encode(EMPTY_ROOT).decode(),  # no newline
        "\n3\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n",  # empty origin
        "o\n03\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n",  # leading zero
        "o\n-3\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n",
        "o\n+3\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n",
        "o\n\u0663\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n",  # Arabic-Indic digit
        "o\n18446744073709551616\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n",
        "o\n3\n" + base64.b64encode(EMPTY_ROOT[:31]).decode() + "\n",  # 31-byte root
        "o\n3\n" + base64.b64encode(EMPTY_ROOT).decode().rstrip("=") + "\n",  # no padding
        "o\n3\n" + base64.b64encode(EMPTY_ROOT).decode() + "\n\n",  # empty extension
        "o\n3\n" + base64.b64encode(EMPTY_ROOT).decode() + "\nbad\tline\n",
    ],
)
def test_checkpoint_parse_rejects(body: str) -> None:
    with pytest.raises(VerificationError, match="malformed checkpoint"):
        Checkpoint.parse(body)


def test_checkpoint_fields_are_validated() -> None:
    root_hash = EMPTY_ROOT
    with pytest.raises(LedgerInputError):
        Checkpoint("", 1, root_hash)
    with pytest.raises(LedgerInputError):
        Checkpoint("a\nb", 1, root_hash)
    with pytest.raises(LedgerInputError):
        Checkpoint("o", -1, root_hash)
    with pytest.raises(LedgerInputError):
        Checkpoint("o", 1, root_hash[:31])
    with pytest.raises(LedgerInputError):
        Checkpoint("o", 1, root_hash, ("",))
    assert Checkpoint.parse(Checkpoint("o", 0, root_hash, ("x",)).body()).extensions == ("x",)


def test_invalid_key_names_and_note_texts_are_refused() -> None:
    for name in ("", "has space", "has+plus", "tab\there", "nbsp\u00a0name"):
        with pytest.raises(LedgerInputError):
            NoteSigner.generate(name)
    signer = NoteSigner.generate("ok.example")
    for text in ("", "no newline", "control\x07\n"):
        with pytest.raises(LedgerInputError):
            signer.sign(text)
    assert "PRIVATE" not in repr(signer)
