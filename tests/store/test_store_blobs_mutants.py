"""The blob store on its own (cases mutants of ``store/blobs.py`` survived).

Each file is written once under its hash, read-only, with nothing left in ``tmp``; sealed
files have an exact layout (header, then one tagged chunk per 1 MiB of plaintext, the last
chunk flagged) that decrypts back to the bytes and fails when any part is moved or cut.
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import re
import stat
from pathlib import Path

import pytest

from dadkhahi.domain.errors import IntegrityError, UserError
from dadkhahi.store.blobs import (
    CHUNK,
    HEAD_BYTES,
    SEAL_CHUNK,
    SEAL_MAGIC,
    BlobStore,
    BlobTooLargeError,
    new_file_key,
)

TAG = 16


def _payload(size: int) -> bytes:
    block = hashlib.sha256(str(size).encode()).digest()
    return (block * (size // 32 + 1))[:size]


def _leftovers(blobs: BlobStore) -> list[Path]:
    tmp = blobs.root / "tmp"
    return sorted(tmp.iterdir()) if tmp.is_dir() else []


@pytest.mark.parametrize("how", ["file", "stream", "chunks", "bytes"])
def test_each_way_in_stores_once_read_only_under_the_hash(tmp_path: Path, how: str) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    data = _payload(HEAD_BYTES + 100)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()

    def put() -> object:
        if how == "file":
            return blobs.put_file(src)
        if how == "stream":
            return blobs.put_stream(io.BytesIO(data))
        if how == "chunks":
            return blobs.put_chunks([data[:10], data[10:]])
        return blobs.put_bytes(data)

    first, second = put(), put()
    assert (first.sha256, first.size, first.head, first.new) == (sha, len(data),  # type: ignore[attr-defined]
                                                                 data[:HEAD_BYTES], True)
    assert (second.sha256, second.size, second.head, second.new) == (  # type: ignore[attr-defined]
        sha, len(data), data[:HEAD_BYTES], False)
    path = blobs.path(sha)
    assert path == blobs.root / sha[:2] / sha[2:4] / sha
    assert path.read_bytes() == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o400  # read-only, owner-only
    assert blobs.has(sha) and blobs.rehash(sha) == sha
    assert b"".join(blobs.iter_plain(sha)) == data
    assert list(blobs.iter_hashes()) == [sha]
    assert _leftovers(blobs) == []


def test_progress_counts_every_byte(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    data = _payload(5000)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    seen: list[int] = []
    blobs.put_stream(io.BytesIO(data), seen.append)
    blobs.put_chunks([data[:7], data[7:]], seen.append)
    blobs.put_file(src, seen.append)
    blobs.put_file(src, seen.append, seal=("item_1", new_file_key()))
    assert seen == [5000, 7, 4993, 5000, 5000]


def test_a_stream_of_several_read_chunks(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    data = _payload(CHUNK + 1)  # two reads of the source
    stored = blobs.put_stream(io.BytesIO(data))
    assert (stored.size, stored.sha256) == (CHUNK + 1, hashlib.sha256(data).hexdigest())
    assert b"".join(blobs.iter_plain(stored.sha256)) == data


def test_two_blobs_sharing_a_folder(tmp_path: Path) -> None:
    # sha256 of these two starts with the same four hex digits (found by search): the
    # second must go into the folder the first created.
    blobs = BlobStore(tmp_path / "blobs")
    a, b = blobs.put_bytes(b"SYNTHETIC 82"), blobs.put_bytes(b"SYNTHETIC 214")
    assert a.sha256[:4] == b.sha256[:4] == "ecb7"
    assert sorted(blobs.iter_hashes()) == sorted([a.sha256, b.sha256])


def test_sealed_files_follow_the_documented_format(tmp_path: Path) -> None:
    # Decrypted here with AES-GCM directly, not through the store: files sealed today
    # must open with any later version. Nonce = 11-byte big-endian chunk counter + a
    # last-chunk flag byte; the header is the associated data.
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    blobs = BlobStore(tmp_path / "blobs")
    key, data = new_file_key(), _payload(SEAL_CHUNK + 10)
    blobs.put_bytes(data, seal=("item_1", key))
    raw = blobs.sealed_path("item_1").read_bytes()[len(SEAL_MAGIC):]
    aead = AESGCM(key)
    first = aead.decrypt((0).to_bytes(11, "big") + b"\x00", raw[: SEAL_CHUNK + TAG], SEAL_MAGIC)
    last = aead.decrypt((1).to_bytes(11, "big") + b"\x01", raw[SEAL_CHUNK + TAG:], SEAL_MAGIC)
    assert first + last == data


def test_each_blob_is_synced_whole_before_it_is_placed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A spy around the real fsync: which file, and how many of its bytes were written
    # by then (bytes still in a Python buffer would not be on disk after a power cut).
    synced: list[tuple[str, int]] = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        synced.append((os.readlink(f"/proc/self/fd/{fd}"), os.fstat(fd).st_size))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    blobs = BlobStore(tmp_path / "blobs")
    cases = [
        ("stream", 1000, lambda: blobs.put_stream(io.BytesIO(_payload(1000)))),
        ("bytes", 1001, lambda: blobs.put_bytes(_payload(1001))),
        ("chunks", 1002, lambda: blobs.put_chunks([_payload(1002)])),
        ("sealed", len(SEAL_MAGIC) + 1003 + TAG,
         lambda: blobs.put_chunks([_payload(1003)], seal=("item_1", new_file_key()))),
    ]
    for how, size, put in cases:
        synced.clear()
        put()
        assert ("tmp", size) in [(Path(name).parent.name, n) for name, n in synced], how


def test_removing_a_sealed_file_that_is_gone_is_harmless(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    blobs.remove_sealed("item_never_written")
    assert list(blobs.iter_sealed_names()) == []


def test_a_write_that_fails_is_raised_and_leaves_nothing(tmp_path: Path) -> None:
    # The file-size limit makes the writer thread's write fail for real (EFBIG).
    import resource
    import signal

    blobs = BlobStore(tmp_path / "blobs")
    data = _payload(3 * CHUNK)
    old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (CHUNK // 2, old_limit[1]))
    try:
        with pytest.raises(OSError, match="File too large") as info:
            blobs.put_stream(io.BytesIO(data))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
        signal.signal(signal.SIGXFSZ, old_handler)
    assert info.value.errno == errno.EFBIG
    assert _leftovers(blobs) == [] and list(blobs.iter_hashes()) == []


@pytest.mark.parametrize("size", [0, 1, SEAL_CHUNK - 1, SEAL_CHUNK, SEAL_CHUNK + 1,
                                  2 * SEAL_CHUNK])
def test_sealed_layout_and_round_trip(tmp_path: Path, size: int) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    key, data = new_file_key(), _payload(size)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    stored = blobs.put_file(src, seal=("item_1", key))
    assert (stored.sha256, stored.size, stored.new) == (hashlib.sha256(data).hexdigest(),
                                                         size, True)
    path = blobs.sealed_path("item_1")
    chunks = max(1, -(-size // SEAL_CHUNK))  # an empty file is one empty last chunk
    raw = path.read_bytes()
    assert raw.startswith(SEAL_MAGIC)
    assert len(raw) == len(SEAL_MAGIC) + size + TAG * chunks
    assert stat.S_IMODE(path.stat().st_mode) == 0o400  # read-only, owner-only
    assert b"".join(blobs.iter_sealed("item_1", key)) == data
    assert blobs.rehash_sealed("item_1", key) == stored.sha256
    assert list(blobs.iter_sealed_names()) == ["item_1"]
    assert _leftovers(blobs) == []


def test_sealed_chunks_cannot_be_swapped_dropped_or_replaced(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    key = new_file_key()
    blobs.put_chunks([_payload(2 * SEAL_CHUNK + 5)], seal=("item_1", key))
    path = blobs.sealed_path("item_1")
    raw = path.read_bytes()
    head, body = raw[: len(SEAL_MAGIC)], raw[len(SEAL_MAGIC):]
    step = SEAL_CHUNK + TAG
    c0, c1, c2 = body[:step], body[step:2 * step], body[2 * step:]
    path.chmod(0o644)
    for damaged, failing in [(head + c1 + c0 + c2, 0), (head + c0 + c1, 1),
                             (head + c0 + c2, 1), (b"DDKSEAL2" + body, None)]:
        path.write_bytes(damaged)
        if failing is None:
            with pytest.raises(IntegrityError,
                               match=r"^sealed blob item_1 has no sealed-blob header$"):
                b"".join(blobs.iter_sealed("item_1", key))
        else:
            with pytest.raises(IntegrityError, match=re.escape(
                    f"sealed blob chunk {failing} does not authenticate (tampered or truncated)")):
                b"".join(blobs.iter_sealed("item_1", key))
        assert blobs.rehash_sealed("item_1", key) == ""
    path.write_bytes(raw)
    assert blobs.rehash_sealed("item_1", new_file_key()) == ""
    assert blobs.rehash_sealed("item_2", key) is None
    blobs.remove_sealed("item_1")
    assert not blobs.has_sealed("item_1") and list(blobs.iter_sealed_names()) == []


def test_the_same_plaintext_sealed_twice_is_two_files(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    data = _payload(100)
    a = blobs.put_bytes(data, seal=("item_a", new_file_key()))
    b = blobs.put_bytes(data, seal=("item_b", new_file_key()))
    assert a.new and b.new and a.sha256 == b.sha256
    assert blobs.sealed_path("item_a").read_bytes() != blobs.sealed_path("item_b").read_bytes()
    assert not blobs.has(a.sha256)  # never stored in clear under its hash


@pytest.mark.parametrize("name", ["", "../x", "a/b", "x" * 65, "item 1", "ítem"])
def test_sealed_names_are_plain_identifiers(tmp_path: Path, name: str) -> None:
    with pytest.raises(UserError, match=re.escape(f"bad sealed blob name {name!r}")):
        BlobStore(tmp_path).sealed_path(name)
    assert BlobStore(tmp_path).sealed_path("A_9" * 21) == tmp_path / "sealed" / ("A_9" * 21)


@pytest.mark.parametrize("seal", [False, True])
def test_the_size_limit_is_inclusive_and_leaves_nothing(tmp_path: Path, seal: bool) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    sealing = ("item_1", new_file_key()) if seal else None
    with pytest.raises(BlobTooLargeError, match=r"^file is larger than the limit of 1,000 bytes$"):
        blobs.put_chunks([_payload(600), _payload(401)], seal=sealing, limit=1000)
    assert _leftovers(blobs) == [] and list(blobs.iter_hashes()) == []
    stored = blobs.put_chunks([_payload(600), _payload(400)], seal=sealing, limit=1000)
    assert stored.size == 1000 and stored.new


def test_a_finished_or_aborted_blob_takes_no_more(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    incoming = blobs.incoming()
    incoming.write(b"abc")
    assert incoming.finish().sha256 == hashlib.sha256(b"abc").hexdigest()
    with pytest.raises(RuntimeError, match=r"^blob already finished or aborted$"):
        incoming.write(b"d")
    with pytest.raises(RuntimeError, match=r"^blob already finished or aborted$"):
        incoming.finish()
    dropped = blobs.incoming()
    dropped.write(b"xyz")
    dropped.abort()
    with pytest.raises(RuntimeError):
        dropped.finish()
    assert _leftovers(blobs) == []
    assert list(blobs.iter_hashes()) == [hashlib.sha256(b"abc").hexdigest()]


def test_clear_incoming_counts_what_a_crash_left(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path / "blobs")
    assert blobs.clear_incoming() == 0
    halves = [blobs.incoming() for _ in range(3)]  # never finished: as after a crash
    for half in halves:
        half.write(b"half")
    (blobs.root / "tmp" / "unrelated").write_bytes(b"")
    assert blobs.clear_incoming() == 3
    assert _leftovers(blobs) == [blobs.root / "tmp" / "unrelated"]
    for half in halves:
        half.abort()  # closes the files this process still holds


def test_a_failing_write_removes_the_temporary_file(tmp_path: Path) -> None:
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            raise OSError("device gone")

    blobs = BlobStore(tmp_path / "blobs")
    with pytest.raises(OSError, match="device gone"):
        blobs.put_stream(Broken())  # type: ignore[arg-type]
    assert _leftovers(blobs) == []


def test_the_head_of_a_stream_that_reads_in_small_pieces(tmp_path: Path) -> None:
    # A pipe hands over a few bytes per read: the head must still be exactly the first
    # HEAD_BYTES bytes, gathered over several reads.
    class Trickle(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.data = memoryview(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            n = min(1000, len(self.data), len(buffer))
            buffer[:n] = self.data[:n]
            self.data = self.data[n:]
            return n

    data = _payload(3 * HEAD_BYTES)
    stored = BlobStore(tmp_path / "blobs").put_stream(Trickle(data))  # type: ignore[arg-type]
    assert (stored.size, stored.head) == (len(data), data[:HEAD_BYTES])
