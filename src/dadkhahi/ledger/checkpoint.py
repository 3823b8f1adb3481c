"""Signed checkpoints: C2SP ``tlog-checkpoint`` bodies in C2SP ``signed-note`` envelopes.

A checkpoint says "the log named *origin* had *size* leaves with root *hash*". Signed with
Ed25519 it becomes a note anyone can check offline with the log's verifier key, using this
module or any other implementation of the format (Go's ``golang.org/x/mod/sumdb/note``,
transparency-dev, sigsum). Interoperability is the point: a court expert should be able to
check our checkpoints with tools we did not write, which is why the text format is followed
to the byte and tested against notes and keys published by those projects.

Hand-written because no maintained Python package implements signed notes; the crypto
itself is the ``cryptography`` package's Ed25519.

Specs: https://c2sp.org/signed-note and https://c2sp.org/tlog-checkpoint
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from dadkhahi.ledger.errors import LedgerInputError, VerificationError
from dadkhahi.ledger.merkle import HASH_SIZE

SIGNATURE_PREFIX = "\u2014 "
"""Every signature line starts with an em dash (U+2014) and a space."""

ED25519_TYPE = 0x01
"""signed-note signature type byte for Ed25519."""

MAX_SIGNATURES = 100
"""Signature lines accepted in one note (Go's limit; the spec asks for at least 16)."""

MAX_NOTE_BYTES = 1 << 20
"""Longest note accepted, so a hostile input cannot make us parse without bound."""

_PRIVATE_PREFIX = "PRIVATE+KEY+"
_HEX_ID = re.compile(r"[0-9a-fA-F]{8}")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_MAX_TREE_SIZE = (1 << 64) - 1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes | None:
    """Strict standard base64: alphabet, padding and canonical form, else ``None``."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    return raw if _b64(raw) == text else None


def _has_control(text: str) -> bool:
    return any(ord(ch) < 0x20 and ch != "\n" for ch in text)


def _is_valid_name(name: object) -> bool:
    """Key names: non-empty, no Unicode spaces, no ``+`` (signed-note), no control chars."""
    return (
        isinstance(name, str)
        and name != ""
        and "+" not in name
        and not any(ch.isspace() or ord(ch) < 0x20 for ch in name)
        and _is_utf8(name)
    )


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def key_id(name: str, public_key: bytes) -> bytes:
    """signed-note Ed25519 key ID: SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    return hashlib.sha256(
        name.encode("utf-8") + b"\n" + bytes([ED25519_TYPE]) + public_key
    ).digest()[:4]


def _raw_public(key: Ed25519PublicKey) -> bytes:
    # The raw-bytes methods, not public_bytes(Encoding.Raw, ...): importing
    # cryptography's serialization module loads its SSH and PKCS#12 code, which every
    # command that signs or verifies paid for at start-up (issue 12 item 17).
    return key.public_bytes_raw()


def _check_note_text(text: str) -> None:
    if not isinstance(text, str) or not text.endswith("\n"):
        raise LedgerInputError("note text must be a string ending in a newline")
    if _has_control(text) or not _is_utf8(text):
        raise LedgerInputError("note text must be UTF-8 with no control characters but newline")


def _split_key(text: str, problem: str) -> tuple[str, str, bytes]:
    """``<name>+<hex key id>+<base64(0x01 || 32 key bytes)>`` -> (name, hex id, raw).

    Verifier and private keys share this shape; ``problem`` is the error to raise.
    """
    name, _, rest = text.partition("+")
    hex_id, _, key_text = rest.partition("+")
    raw = _unb64(key_text)
    if (
        not _is_valid_name(name)
        or not _HEX_ID.fullmatch(hex_id)
        or raw is None
        or len(raw) != 33
        or raw[0] != ED25519_TYPE
    ):
        raise LedgerInputError(problem)
    return name, hex_id, raw


class NoteVerifier:
    """An Ed25519 verifier key for signed notes: a key name, a key ID and a public key."""

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        if not _is_valid_name(name):
            raise LedgerInputError(f"invalid key name {name!r}: no spaces or '+' allowed")
        self.name = name
        self.public_key = public_key
        self.key_id = key_id(name, _raw_public(public_key))

    @classmethod
    def from_key(cls, vkey: str) -> NoteVerifier:
        """Parse ``<name>+<hex key id>+<base64(0x01 || 32-byte public key)>``.

        Refuses keys whose stated ID does not match the name and public key, as Go's
        ``note.NewVerifier`` does, so a mistyped key fails here and not at verification.
        """
        if not isinstance(vkey, str):
            raise LedgerInputError("verifier key must be text")
        name, hex_id, raw = _split_key(
            vkey,
            "malformed verifier key: expected <name>+<8 hex digits>+<base64 of 0x01 and a "
            "32-byte Ed25519 public key>",
        )
        verifier = cls(name, Ed25519PublicKey.from_public_bytes(raw[1:]))
        if verifier.key_id != bytes.fromhex(hex_id):
            raise LedgerInputError(
                f"verifier key ID {hex_id} does not match the key name and public key"
            )
        return verifier

    def key_text(self) -> str:
        """This key in the ``<name>+<hex id>+<base64>`` verifier-key form."""
        raw = bytes([ED25519_TYPE]) + _raw_public(self.public_key)
        return f"{self.name}+{self.key_id.hex()}+{_b64(raw)}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature over ``text``."""
        try:
            self.public_key.verify(signature, text)
        except InvalidSignature:
            return False
        return True

    def __repr__(self) -> str:
        return f"NoteVerifier({self.key_text()!r})"


class NoteSigner:
    """An Ed25519 note signer. Keep its private text secret; share :meth:`verifier_key`."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        if not _is_valid_name(name):
            raise LedgerInputError(f"invalid key name {name!r}: no spaces or '+' allowed")
        self.name = name
        self._private_key = private_key
        self._verifier = NoteVerifier(name, private_key.public_key())
        self.key_id = self._verifier.key_id

    @classmethod
    def generate(cls, name: str) -> NoteSigner:
        """A new signer with a fresh random Ed25519 key."""
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_private_text(cls, text: str) -> NoteSigner:
        """Parse ``PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || 32-byte seed)>``."""
        if not isinstance(text, str) or not text.startswith(_PRIVATE_PREFIX):
            raise LedgerInputError("malformed private key: it must start with PRIVATE+KEY+")
        name, hex_id, raw = _split_key(
            text[len(_PRIVATE_PREFIX) :],
            "malformed private key: expected PRIVATE+KEY+<name>+<8 hex digits>+<base64 of "
            "0x01 and a 32-byte Ed25519 seed>",
        )
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if signer.key_id != bytes.fromhex(hex_id):
            raise LedgerInputError(f"private key ID {hex_id} does not match its name and key")
        return signer

    def to_private_text(self) -> str:
        """The private key in Go's ``PRIVATE+KEY+...`` form. Secret: store it like a password."""
        seed = self._private_key.private_bytes_raw()
        raw = bytes([ED25519_TYPE]) + seed
        return f"{_PRIVATE_PREFIX}{self.name}+{self.key_id.hex()}+{_b64(raw)}"

    def verifier(self) -> NoteVerifier:
        """The matching verifier."""
        return self._verifier

    def verifier_key(self) -> str:
        """The public verifier key ``<name>+<hex key id>+<base64(0x01 || public key)>``."""
        return self._verifier.key_text()

    def signature_line(self, text: str) -> str:
        """One ``— <name> <base64(key id || signature)>`` line (with newline) over ``text``."""
        _check_note_text(text)
        signature = self._private_key.sign(text.encode("utf-8"))
        return f"{SIGNATURE_PREFIX}{self.name} {_b64(self.key_id + signature)}\n"

    def sign(self, body: str) -> str:
        """The signed note: ``body`` (ending in newline), a blank line, one signature line."""
        return body + "\n" + self.signature_line(body)

    def __repr__(self) -> str:
        return f"NoteSigner(name={self.name!r}, key_id={self.key_id.hex()!r})"


def _split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """Split a note into its text and ``(key name, key id || signature)`` pairs.

    Rejects anything that is not syntactically a signed note. Does not verify.
    """
    if not isinstance(note, str):
        raise VerificationError("malformed note: not text")
    if not _is_utf8(note) or len(note.encode("utf-8")) > MAX_NOTE_BYTES:
        raise VerificationError("malformed note: not UTF-8 or longer than 1 MiB")
    if _has_control(note):
        raise VerificationError("malformed note: control characters other than newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise VerificationError("malformed note: no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise VerificationError("malformed note: signature block must end in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise VerificationError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    signatures: list[tuple[str, bytes]] = []
    for number, line in enumerate(lines, start=1):
        if not line.startswith(SIGNATURE_PREFIX):
            raise VerificationError(f"malformed note: signature line {number} lacks '\u2014 '")
        name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        raw = _unb64(encoded)
        if not _is_valid_name(name) or raw is None or len(raw) < 5:
            raise VerificationError(f"malformed note: signature line {number} is not valid")
        signatures.append((name, raw))
    return text, signatures


def unverified_note_text(note: str) -> str:
    """The text of a signed note WITHOUT checking any signature (for routing, never trust)."""
    return _split_note(note)[0]


def open_note(note: str, verifier: NoteVerifier) -> str:
    """Verify ``note`` with ``verifier`` and return its text (ending in newline).

    Follows signed-note: signatures from other keys are ignored; every signature from this
    key (same name and key ID) must verify; at least one must be present. Raises
    :class:`VerificationError` naming what failed.
    """
    text, signatures = _split_note(note)
    message = text.encode("utf-8")
    label = f"{verifier.name}+{verifier.key_id.hex()}"
    found = False
    for name, raw in signatures:
        if name != verifier.name or raw[:4] != verifier.key_id:
            continue
        if not verifier.verify(message, raw[4:]):
            raise VerificationError(f"signature by key {label} does not verify")
        found = True
    if not found:
        raise VerificationError(f"note has no signature by key {label}")
    return text


@dataclass(frozen=True)
class Checkpoint:
    """A tree head as C2SP ``tlog-checkpoint`` text: origin, size, root, optional extensions."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not _valid_line(self.origin):
            raise LedgerInputError("checkpoint origin must be one non-empty line of text")
        if (
            not isinstance(self.size, int)
            or isinstance(self.size, bool)
            or not 0 <= self.size <= _MAX_TREE_SIZE
        ):
            raise LedgerInputError("checkpoint size must be an integer from 0 to 2**64-1")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise LedgerInputError("checkpoint root hash must be 32 bytes")
        if not isinstance(self.extensions, tuple) or not all(
            isinstance(line, str) and _valid_line(line) for line in self.extensions
        ):
            raise LedgerInputError("checkpoint extension lines must be non-empty lines of text")

    def body(self) -> str:
        """The note text: ``origin``, size, base64 root and extension lines, each ending ``\\n``."""
        lines = [self.origin, str(self.size), _b64(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, body: str) -> Checkpoint:
        """Parse checkpoint text (the note text, not the signed note); strict.

        Raises :class:`VerificationError` for anything that is not exactly a checkpoint:
        fewer than three lines, empty lines, a size with a sign or leading zeros, a root
        that is not canonical base64 of 32 bytes.
        """
        if not isinstance(body, str) or not body.endswith("\n"):
            raise VerificationError("malformed checkpoint: text must end in a newline")
        lines = body[:-1].split("\n")
        if len(lines) < 3:
            raise VerificationError("malformed checkpoint: needs origin, size and root lines")
        origin, size_text, root_text, *extensions = lines
        if not all(_valid_line(line) for line in lines):
            raise VerificationError("malformed checkpoint: empty line or control character")
        if not _DECIMAL.fullmatch(size_text) or int(size_text) > _MAX_TREE_SIZE:
            raise VerificationError(f"malformed checkpoint: bad tree size {size_text!r}")
        root_hash = _unb64(root_text)
        if root_hash is None or len(root_hash) != HASH_SIZE:
            raise VerificationError("malformed checkpoint: root is not base64 of 32 bytes")
        return cls(origin, int(size_text), root_hash, tuple(extensions))


def _valid_line(line: str) -> bool:
    return line != "" and "\n" not in line and not _has_control(line) and _is_utf8(line)


def open_checkpoint(note: str, verifier: NoteVerifier) -> Checkpoint:
    """Verify a signed checkpoint note and parse its text."""
    return Checkpoint.parse(open_note(note, verifier))
