"""The stdlib-only verifier kit: RFC 8032 vectors, agreement with `cryptography`, real notes
and proofs from a store, and the kit running with nothing but the standard library."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from dadkhahi.ledger import merkle
from dadkhahi.ledger.checkpoint import NoteSigner
from dadkhahi.offline import kit

# RFC 8032 §7.1: (secret key, public key, message, signature), hex.
RFC8032_VECTORS = [
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
     "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e"
     "39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
     "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f"
     "3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
     "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67"
     "f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
]
# Group order: a signature with S + L encodes the same point but is not canonical.
L = 2**252 + 27742317777372353535851937790883648493


def _public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@pytest.mark.parametrize(("secret", "public", "message", "signature"), RFC8032_VECTORS)
def test_rfc8032_vectors_verify(secret: str, public: str, message: str, signature: str) -> None:
    pk, msg, sig = bytes.fromhex(public), bytes.fromhex(message), bytes.fromhex(signature)
    # The vector's public key is the one its secret key derives (checks the vector itself).
    assert _public(Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret))) == pk
    assert kit.ed25519_verify(pk, msg, sig)
    assert not kit.ed25519_verify(pk, msg + b"x", sig)
    for position in (0, 31, 32, 63):
        bad = bytearray(sig)
        bad[position] ^= 0x01
        assert not kit.ed25519_verify(pk, msg, bytes(bad))


def test_agrees_with_cryptography_on_random_keys_and_tampering() -> None:
    rng = random.Random(8032)
    for _ in range(12):
        key = Ed25519PrivateKey.from_private_bytes(rng.randbytes(32))
        message = rng.randbytes(rng.randrange(0, 200))
        signature = key.sign(message)
        assert kit.ed25519_verify(_public(key), message, signature)
        other = Ed25519PrivateKey.from_private_bytes(rng.randbytes(32))
        assert not kit.ed25519_verify(_public(other), message, signature)
        flipped = bytearray(message or b"\x00")
        flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
        assert not kit.ed25519_verify(_public(key), bytes(flipped), signature)


def test_non_canonical_s_and_bad_points_are_refused() -> None:
    _, public, message, signature = RFC8032_VECTORS[1]
    pk, msg, sig = bytes.fromhex(public), bytes.fromhex(message), bytes.fromhex(signature)
    s = int.from_bytes(sig[32:], "little")
    malleable = sig[:32] + (s + L).to_bytes(32, "little")
    assert not kit.ed25519_verify(pk, msg, malleable)
    # y = p (not reduced) is not a canonical encoding of any point.
    p = 2**255 - 19
    assert not kit.ed25519_verify(p.to_bytes(32, "little"), msg, sig)
    assert not kit.ed25519_verify(pk[:31], msg, sig)
    assert not kit.ed25519_verify(pk, msg, sig[:63])


def test_signed_checkpoint_from_the_ledger_signer_opens_with_the_kit() -> None:
    signer = NoteSigner.generate("example.org/ledger")
    body = f"example.org/ledger\n5\n{'A' * 43}=\n"
    note = signer.sign(body)
    verifier = kit.Verifier(signer.verifier_key())
    checkpoint = kit.open_checkpoint(note, verifier, origin="example.org/ledger")
    assert (checkpoint.origin, checkpoint.size) == ("example.org/ledger", 5)
    with pytest.raises(kit.KitError, match=r"not 'other\.org/ledger'"):
        kit.open_checkpoint(note, verifier, origin="other.org/ledger")
    tampered = note.replace("\n5\n", "\n6\n")
    with pytest.raises(kit.KitError, match="does not verify"):
        kit.open_note(tampered, verifier)
    stranger = kit.Verifier(NoteSigner.generate("example.org/ledger").verifier_key())
    with pytest.raises(kit.KitError, match="no signature by key"):
        kit.open_note(note, stranger)
    with pytest.raises(kit.KitError, match="verifier key"):
        kit.Verifier("not a key")


def test_kit_proofs_match_the_ledger_tree() -> None:
    leaves = [bytes([i]) * (i + 1) for i in range(37)]
    nodes = merkle.MemoryNodes()
    nodes.append([kit.leaf_hash(leaf) for leaf in leaves])
    size = len(leaves)
    root = merkle.root(size, nodes)
    for index in (0, 1, 17, 36):
        proof = merkle.inclusion_proof(index, size, nodes)
        assert kit.verify_inclusion(kit.leaf_hash(leaves[index]), index, size, proof, root)
        assert not kit.verify_inclusion(kit.leaf_hash(b"other"), index, size, proof, root)
    for old in (1, 8, 20):
        proof = merkle.consistency_proof(old, size, nodes)
        assert kit.verify_consistency(old, size, merkle.root(old, nodes), root, proof)
        assert not kit.verify_consistency(old, size, kit.EMPTY_ROOT, root, proof)


def test_kit_runs_with_the_standard_library_only(tmp_path: Path) -> None:
    """The embedded source works in an interpreter that cannot see our packages at all."""
    script = tmp_path / "verify.py"
    _, public, message, signature = RFC8032_VECTORS[2]
    script.write_text(kit.source() + "\n\nimport json, sys\nprint(json.dumps(ed25519_verify("
                      f"bytes.fromhex('{public}'), bytes.fromhex('{message}'), "
                      f"bytes.fromhex('{signature}'))))\n", "utf-8")
    env = {"PATH": os.environ.get("PATH", "")}
    out = subprocess.run([sys.executable, "-I", "-S", str(script)], capture_output=True,
                         text=True, env=env, cwd=tmp_path, check=True)
    assert json.loads(out.stdout) is True
