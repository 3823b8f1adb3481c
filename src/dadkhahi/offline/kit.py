"""Offline verification with Python's standard library only: Ed25519, signed notes, RFC 9162.

Whoever checks Dadkhahi's output (a court's technician with a bundle, a reader with a
mirror of the memorial) should not have to install anything, nor trust code that could
have been swapped with the data. So the scripts shipped inside bundles and sites embed
this one module's source verbatim (:func:`source`), and the project's own verifiers run
the very same code. It imports nothing but the standard library, and nothing of ours.

* Ed25519 verification (RFC 8032 §5.1.7). Hand-written because the standard library has
  no Ed25519 and the verifier must run where ``cryptography`` is not installed. Verify
  only: no secret ever passes through here, so constant time does not matter. The check
  is the cofactorless one OpenSSL, Go and ``cryptography`` use ([S]B = R + [k]A, with R
  compared in its encoded form), non-canonical S refused (S < L), A and R decoded strictly.
* C2SP signed notes and tlog checkpoints (https://c2sp.org/signed-note,
  https://c2sp.org/tlog-checkpoint), with the verifier-key text ``dadkhahi ledger key``
  prints.
* RFC 9162 §2.1.3.2 inclusion and §2.1.4.2 consistency proof verification.
* Selective disclosure: one row of a batch event (an RFC 9162 inclusion path from the
  row's bytes to the event's ``records.root``) and one sealed field (a disclosure
  ``[salt, name, value]`` whose SHA-256 is the commitment the event or row carries in
  ``sealed.commitments``), so a bundle proves what it discloses and withholds the rest.

Every check returns a value or raises :class:`KitError` with a sentence saying what failed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "EMPTY_ROOT",
    "SELECTIVE_FORMAT",
    "Checkpoint",
    "KitError",
    "Verifier",
    "check_row",
    "check_selective",
    "disclosure_digest",
    "ed25519_verify",
    "leaf_hash",
    "node_hash",
    "open_checkpoint",
    "open_disclosure",
    "open_note",
    "parse_checkpoint",
    "source",
    "verify_consistency",
    "verify_inclusion",
]


class KitError(Exception):
    """A check failed; the message says which and why."""


# --- Ed25519 (RFC 8032) ------------------------------------------------------------

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)

# Points in extended coordinates (X, Y, Z, T) with x = X/Z, y = Y/Z, xy = T/Z.
_Point = tuple[int, int, int, int]
_IDENTITY: _Point = (0, 1, 1, 0)


def _add(p: _Point, q: _Point) -> _Point:
    # Unified addition for a = -1 twisted Edwards curves (RFC 8032 §5.1.4).
    a = (p[1] - p[0]) * (q[1] - q[0]) % _P
    b = (p[1] + p[0]) * (q[1] + q[0]) % _P
    c = 2 * p[3] * q[3] * _D % _P
    d = 2 * p[2] * q[2] % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _double(p: _Point) -> _Point:
    a = p[0] * p[0] % _P
    b = p[1] * p[1] % _P
    c = 2 * p[2] * p[2] % _P
    h = a + b
    e = h - (p[0] + p[1]) ** 2
    g = a - b
    f = c + g
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _negate(p: _Point) -> _Point:
    return (-p[0] % _P, p[1], p[2], -p[3] % _P)


def _double_scalar(s: int, base: _Point, k: int, point: _Point) -> _Point:
    """[s]base + [k]point by one shared double-and-add pass (Straus/Shamir)."""
    both = _add(base, point)
    result = _IDENTITY
    for bit in range(max(s.bit_length(), k.bit_length()) - 1, -1, -1):
        result = _double(result)
        pick = ((s >> bit) & 1, (k >> bit) & 1)
        if pick == (1, 1):
            result = _add(result, both)
        elif pick == (1, 0):
            result = _add(result, base)
        elif pick == (0, 1):
            result = _add(result, point)
    return result


def _decode_point(data: bytes) -> _Point | None:
    """RFC 8032 §5.1.3 decoding; None for anything not a canonical curve point."""
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= _P:
        return None
    u = (y * y - 1) % _P
    v = (_D * y * y + 1) % _P
    x = u * pow(v, 3, _P) * pow(u * pow(v, 7, _P), (_P - 5) // 8, _P) % _P
    if (v * x * x - u) % _P != 0:
        if (v * x * x + u) % _P != 0:
            return None
        x = x * _SQRT_M1 % _P
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = _P - x
    return (x, y, 1, x * y % _P)


def _encode_point(p: _Point) -> bytes:
    z_inv = pow(p[2], _P - 2, _P)
    x, y = p[0] * z_inv % _P, p[1] * z_inv % _P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


_BASE = _decode_point(
    bytes.fromhex("5866666666666666666666666666666666666666666666666666666666666666")
)


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """True if ``signature`` is ``public_key``'s Ed25519 signature of ``message``."""
    if len(public_key) != 32 or len(signature) != 64 or _BASE is None:
        return False
    a = _decode_point(public_key)
    r = _decode_point(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= _L:
        return False
    k = int.from_bytes(hashlib.sha512(signature[:32] + public_key + message).digest(),
                       "little") % _L
    # [S]B - [k]A must encode to R.
    return _encode_point(_double_scalar(s, _BASE, k, _negate(a))) == signature[:32]


# --- C2SP signed notes and checkpoints ----------------------------------------------

_ED25519_TYPE = 0x01
_SIG_PREFIX = "\u2014 "
_MAX_NOTE_BYTES = 1 << 20
_MAX_SIGNATURES = 100
_HEX_ID = re.compile(r"[0-9a-fA-F]{8}")
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_MAX_TREE_SIZE = (1 << 64) - 1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes | None:
    """Strict, canonical standard base64, else None."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None
    return raw if _b64(raw) == text else None


def _has_control(text: str) -> bool:
    return any(ord(ch) < 0x20 and ch != "\n" for ch in text)


def _valid_name(name: str) -> bool:
    return name != "" and "+" not in name and not any(
        ch.isspace() or ord(ch) < 0x20 for ch in name)


class Verifier:
    """A signed-note Ed25519 verifier key: ``<name>+<hex key id>+<base64(0x01 || key)>``."""

    def __init__(self, text: str) -> None:
        name, _, rest = text.strip().partition("+")
        hex_id, _, key_text = rest.partition("+")
        raw = _unb64(key_text)
        if (not _valid_name(name) or not _HEX_ID.fullmatch(hex_id) or raw is None
                or len(raw) != 33 or raw[0] != _ED25519_TYPE):
            raise KitError("the verifier key is not a signed-note Ed25519 key "
                           "(NAME+HEXID+BASE64)")
        self.name = name
        self.public_key = raw[1:]
        self.key_id = hashlib.sha256(
            name.encode("utf-8") + b"\n" + bytes([_ED25519_TYPE]) + self.public_key
        ).digest()[:4]
        if self.key_id.hex() != hex_id.lower():
            raise KitError("the verifier key's ID does not match its name and key")


def open_note(note: str, verifier: Verifier) -> str:
    """The text of a signed note that carries a valid signature by ``verifier``."""
    if len(note.encode("utf-8", "surrogatepass")) > _MAX_NOTE_BYTES:
        raise KitError("the note is too long")
    text, sep, sig_block = note.rpartition("\n\n")
    if not sep or not sig_block.endswith("\n"):
        raise KitError("the note has no signature block (a blank line, then signature lines)")
    text += "\n"
    if _has_control(text):
        raise KitError("the note text holds control characters")
    lines = sig_block[:-1].split("\n")
    if len(lines) > _MAX_SIGNATURES:
        raise KitError("the note has too many signature lines")
    found = False
    for line in lines:
        if not line.startswith(_SIG_PREFIX):
            raise KitError("a signature line does not start with an em dash and a space")
        name, _, sig_text = line[len(_SIG_PREFIX):].rpartition(" ")
        raw = _unb64(sig_text)
        if not _valid_name(name) or raw is None or len(raw) < 5:
            raise KitError("a signature line is malformed")
        if name != verifier.name or raw[:4] != verifier.key_id:
            continue
        if not ed25519_verify(verifier.public_key, text.encode("utf-8"), raw[4:]):
            raise KitError(f"the signature by key {verifier.name} does not verify")
        found = True
    if not found:
        raise KitError(f"the note carries no signature by key {verifier.name}")
    return text


class Checkpoint:
    """A C2SP tlog checkpoint: origin, tree size, root hash, extension lines."""

    def __init__(self, origin: str, size: int, root_hash: bytes,
                 extensions: tuple[str, ...] = ()) -> None:
        self.origin = origin
        self.size = size
        self.root_hash = root_hash
        self.extensions = extensions


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse checkpoint text (origin, size, base64 root, extensions), strictly."""
    if not text.endswith("\n"):
        raise KitError("malformed checkpoint: text must end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or any(line == "" or _has_control(line) for line in lines):
        raise KitError("malformed checkpoint: needs origin, size and root lines, none empty")
    origin, size_text, root_text, *extensions = lines
    if not _DECIMAL.fullmatch(size_text) or int(size_text) > _MAX_TREE_SIZE:
        raise KitError(f"malformed checkpoint: bad tree size {size_text!r}")
    root = _unb64(root_text)
    if root is None or len(root) != 32:
        raise KitError("malformed checkpoint: the root is not base64 of 32 bytes")
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


def open_checkpoint(note: str, verifier: Verifier, origin: str | None = None) -> Checkpoint:
    """Verify a signed checkpoint and parse it; ``origin``, if given, must match."""
    checkpoint = parse_checkpoint(open_note(note, verifier))
    if origin is not None and checkpoint.origin != origin:
        raise KitError(f"the checkpoint is of log {checkpoint.origin!r}, not {origin!r}")
    return checkpoint


# --- RFC 9162 Merkle proofs ---------------------------------------------------------

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == 32


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_proof(proof: object) -> bool:
    return (isinstance(proof, Sequence) and not isinstance(proof, str | bytes | bytearray)
            and all(_is_hash(item) for item in proof))


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Check an inclusion proof by RFC 9162 §2.1.3.2; False on any malformed input."""
    if not (_is_hash(leaf) and _is_hash(root) and _is_count(index) and _is_count(size)):
        return False
    if index >= size or not _is_proof(proof):
        return False
    fn, sn = index, size - 1
    result = leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and result == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Check a consistency proof by RFC 9162 §2.1.4.2; False on any malformed input.

    Edge cases the RFC leaves to the implementer: equal sizes need an empty proof and equal
    roots; an old size of 0 needs an empty proof and the empty tree's root as ``old_root``.
    """
    if not (_is_count(old_size) and _is_count(new_size) and _is_proof(proof)):
        return False
    if not (_is_hash(old_root) and _is_hash(new_root)) or old_size > new_size:
        return False
    if old_size == new_size:
        return len(proof) == 0 and old_root == new_root
    if old_size == 0:
        return len(proof) == 0 and old_root == EMPTY_ROOT
    if len(proof) == 0:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    old_result = new_result = path[0]
    for item in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            old_result = node_hash(item, old_result)
            new_result = node_hash(item, new_result)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            new_result = node_hash(new_result, item)
        fn >>= 1
        sn >>= 1
    return sn == 0 and old_result == old_root and new_result == new_root


# --- Selective disclosure (batch events and sealed fields) ----------------------------

_HEX64 = re.compile(r"[0-9a-f]{64}")

SELECTIVE_FORMAT = "dadkhahi-selective-proof/v1"
"""The ``format`` of a selective proof (an inclusion proof, rows and sealed fields)."""


def disclosure_digest(text: str) -> str:
    """Hex SHA-256 of a disclosure's UTF-8 text: what a sealed payload commits to."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def open_disclosure(text: object, name: str, commitments: object) -> Any:
    """The value of sealed field ``name`` revealed by ``text``, once it matches its commitment.

    ``text`` is the JSON array ``[salt, name, value]`` exactly as committed; its SHA-256
    must be ``commitments[name]``. The salt (16 random-looking bytes, base64) is what keeps
    a guess of the value from being tested against the commitment.
    """
    if not isinstance(commitments, Mapping) or not isinstance(commitments.get(name), str):
        raise KitError(f"field {name}: the proven event commits to no such field")
    if not isinstance(text, str):
        raise KitError(f"field {name}: the disclosure is not text")
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        raise KitError(f"field {name}: the disclosure is not JSON") from exc
    if (not isinstance(parsed, list) or len(parsed) != 3 or not isinstance(parsed[0], str)
            or len(_unb64(parsed[0]) or b"") < 16):
        raise KitError(f"field {name}: the disclosure is not [salt, name, value]")
    if parsed[1] != name:
        raise KitError(f"field {name}: the disclosure is of field {parsed[1]!r}")
    if disclosure_digest(text) != commitments[name]:
        raise KitError(f"field {name}: the disclosed value does not match its commitment")
    return parsed[2]


def check_row(row_text: object, index: object, rows: object, path: object) -> dict[str, Any]:
    """A row of a batch event, once its inclusion path leads to the event's rows root.

    ``rows`` is the committed ``data.records`` of the proven event: ``{"count", "root"}``;
    ``path`` the hex hashes of the RFC 9162 audit path, leaf side first.
    """
    if (not isinstance(rows, Mapping) or not _is_count(rows.get("count"))
            or not isinstance(rows.get("root"), str) or not _HEX64.fullmatch(rows["root"])):
        raise KitError(f"row {index}: the proven event is not a batch of rows")
    if not isinstance(row_text, str) or not isinstance(index, int) or not _is_count(index):
        raise KitError(f"row {index}: no row text or position")
    if (not isinstance(path, list)
            or not all(isinstance(h, str) and _HEX64.fullmatch(h) for h in path)):
        raise KitError(f"row {index}: the inclusion path is not a list of hex hashes")
    leaf = leaf_hash(row_text.encode("utf-8"))
    if not verify_inclusion(leaf, index, rows["count"], [bytes.fromhex(h) for h in path],
                            bytes.fromhex(rows["root"])):
        raise KitError(f"row {index}: its bytes and path do not lead to the event's rows root")
    try:
        row = json.loads(row_text)
    except ValueError as exc:
        raise KitError(f"row {index}: not JSON") from exc
    if not isinstance(row, dict):
        raise KitError(f"row {index}: not a JSON object")
    return row


def check_selective(event_text: str, proof: Mapping[str, Any]) -> dict[str, Any]:
    """Check a selective proof against an event already proven in the log.

    ``proof``: ``{"rows": [{"index", "row", "path"}], "fields": [{"row", "name",
    "disclosure"}]}``; a field's ``row`` is the index of a disclosed row holding it, or
    null for the event's own sealed payload (``data.sealed``). Returns ``{"rows": {index:
    row}, "fields": {(row, name): value}}``; raises :class:`KitError` naming the first row
    or field that fails.
    """
    try:
        event = json.loads(event_text)
    except ValueError as exc:
        raise KitError("the proven event is not JSON") from exc
    data = event.get("data") if isinstance(event, dict) else None
    if not isinstance(data, dict):
        raise KitError("the proven event has no data")
    rows: dict[int, dict[str, Any]] = {}
    for entry in proof.get("rows") or []:
        if not isinstance(entry, Mapping):
            raise KitError("a row proof is not an object")
        index = entry.get("index")
        row = check_row(entry.get("row"), index, data.get("records"), entry.get("path"))
        if isinstance(index, int):  # always: check_row refuses anything else
            rows[index] = row
    fields: dict[tuple[int | None, str], Any] = {}
    for entry in proof.get("fields") or []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            raise KitError("a field disclosure is not an object with a name")
        at, name = entry.get("row"), entry["name"]
        holder = data if at is None else rows.get(at) if isinstance(at, int) else None
        if holder is None:
            raise KitError(f"field {name}: row {at} is not among the proven rows")
        sealed = holder.get("sealed")
        commitments = sealed.get("commitments") if isinstance(sealed, Mapping) else None
        where = "the event" if at is None else f"row {at}"
        try:
            fields[(at, name)] = open_disclosure(entry.get("disclosure"), name, commitments)
        except KitError as exc:
            raise KitError(f"{where}: {exc}") from exc
    return {"rows": rows, "fields": fields}


def source() -> str:
    """This module's own source text, to embed in a standalone verifier script."""
    from pathlib import Path

    return Path(__file__).read_text("utf-8")
