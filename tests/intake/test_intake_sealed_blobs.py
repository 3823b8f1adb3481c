"""Files of protected sources are encrypted at rest, re-hashed through decryption, erasable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dadkhahi.domain.errors import IntegrityError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.erasure import erase_item
from dadkhahi.intake.evidence import (
    ContentErasedError,
    Receipt,
    add_evidence,
    item_content,
    verify_blobs,
)
from dadkhahi.store import schema as s
from dadkhahi.store.blobs import SEAL_CHUNK, BlobStore, BlobTooLargeError, new_file_key
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger

SECRET = b"SYNTHETIC-WITNESS-SECRET-"


def _everything_on_disk(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


def _add_protected(store: Store, tmp_path: Path, payload: bytes) -> str:
    f = tmp_path / "witness.bin"
    f.write_bytes(payload)
    report = add_evidence(store, [f], Receipt(actor="tester"), new_source=SourceSpec(
        title="SYNTHETIC testimony", sensitivity=Sensitivity.PROTECTED))
    return report.added[0][1]


def _item(store: Store, item_id: str) -> dict[str, object]:
    with store.reading() as conn:
        return dict(conn.execute(s.items.select().where(s.items.c.id == item_id)).mappings().one())


def test_protected_file_never_on_disk_in_clear(store: Store, tmp_path: Path) -> None:
    # Several chunks, so chunk boundaries and the last-chunk flag are exercised.
    payload = (SECRET * 200_000)[: 2 * SEAL_CHUNK + 123]
    item_id = _add_protected(store, tmp_path, payload)
    (tmp_path / "witness.bin").unlink()
    assert SECRET not in _everything_on_disk(store.home.path)
    row = _item(store, item_id)
    with store.reading() as conn:
        assert b"".join(item_content(store, conn, row)) == payload
    check = verify_blobs(store)
    assert check.ok and check.sealed == 1 and check.orphans == []


def test_tampered_sealed_blob_is_reported(store: Store, tmp_path: Path) -> None:
    item_id = _add_protected(store, tmp_path, SECRET * 10)
    path = store.blobs.sealed_path(item_id)
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    check = verify_blobs(store)
    assert [ids for _, ids in check.changed] == [item_id]


def test_truncated_sealed_blob_fails_to_decrypt(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    key = new_file_key()
    blobs.put_bytes(b"x" * (SEAL_CHUNK * 2 + 5), seal=("itm_a", key))
    path = blobs.sealed_path("itm_a")
    os.chmod(path, 0o644)
    path.write_bytes(path.read_bytes()[: 8 + SEAL_CHUNK + 16])  # header + first chunk only
    with pytest.raises(IntegrityError):
        b"".join(blobs.iter_sealed("itm_a", key))


def test_erasure_destroys_the_file_and_keeps_the_ledger_valid(store: Store, tmp_path: Path) -> None:
    item_id = _add_protected(store, tmp_path, SECRET * 3)
    erase_item(store, item_id, "SYNTHETIC witness asked", "tester")
    assert not store.blobs.has_sealed(item_id)
    row = _item(store, item_id)
    with store.reading() as conn, pytest.raises(ContentErasedError):
        item_content(store, conn, row)
    check = verify_blobs(store)
    assert check.ok and check.erased == 1
    with store.reading() as conn:
        assert verify_ledger(conn, store.verifier_key()).ok


def test_size_limit_removes_the_partial_file(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    incoming = blobs.incoming(limit=1000)
    incoming.write(b"a" * 600)
    with pytest.raises(BlobTooLargeError):
        incoming.write(b"a" * 600)
    assert list((tmp_path / "blobs" / "tmp").iterdir()) == []


def test_cli_contract_protected_evidence_add(store: Store, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from dadkhahi.cli.main import app

    f = tmp_path / "statement.txt"
    f.write_bytes(SECRET + b"statement")
    result = CliRunner().invoke(app, ["--home", str(store.home.path), "evidence", "add", str(f),
                                      "--source-title", "SYNTHETIC T",
                                      "--sensitivity", "protected"])
    assert result.exit_code == 0, result.output
    f.unlink()
    assert SECRET not in _everything_on_disk(store.home.path)
    assert verify_blobs(store).sealed == 1
