"""Evidence intake: files in, hashed, deduplicated, with a chain of custody.

Each file is its own transaction (blob placed first, then item + custody
events committed together), so a crash in the middle of a bulk intake loses at
most the file in flight and leaves store and ledger consistent; running the
same command again picks up where it stopped (identical content is skipped).
A file that cannot be read (a broken symbolic link, a file deleted or made
unreadable during the add, something that is not a regular file) is skipped
with the reason, and the rest goes on (or, asked to, the add stops there);
every file's outcome is reported. A new source is registered with the first
file actually stored, so an add that stores nothing leaves nothing behind.

Files of protected sources are encrypted as they stream in, with a random file
key per item; the key travels sealed in the item's event (under the item's data
key), so destroying that one data key erases the file, its name and its key.
The item keeps the plaintext SHA-256, which ``verify_blobs`` re-computes.
"""

from __future__ import annotations

import base64
import io
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, and_, select

from dadkhahi.documents.av import MUXERS as RECORDINGS
from dadkhahi.domain.errors import NotFoundError, UserError
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.safe_text import safe_display_name
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import CustodyAction, Sensitivity
from dadkhahi.intake.feed import (
    Arrival,
    FileFeed,
    FileOutcome,
    ProgressHooks,
    files_to_add,
    unreadable,
)
from dadkhahi.intake.media import STRIPPABLE_IMAGES, sniff
from dadkhahi.intake.sources import get_source, register_source
from dadkhahi.store import schema as s
from dadkhahi.store.blobs import Incoming, StoredBlob, new_file_key
from dadkhahi.store.store import Store, Transaction, utc_now


@dataclass(frozen=True)
class Receipt:
    """How a file came into our hands (one custody entry)."""

    actor: str
    from_party: str | None = None
    how: str | None = None
    notes: str | None = None


#: Protected images larger than this get no metadata-stripped copy (it is made in memory).
MAX_SEALED_DERIVATIVE_SOURCE = 64 * 1024 * 1024
#: A sealed (protected) recording's copy is made between two in-memory files (memfd: its
#: clear bytes never reach a disk), the original streamed in and the copy streamed out a
#: chunk at a time, so this process holds neither whole; the two files take about twice
#: the recording's size in RAM while FFmpeg runs. Larger sealed recordings get no copy.
#: The environment variable :data:`ENV_MAX_SEALED_RECORDING` (bytes) changes it.
MAX_SEALED_RECORDING = 2 * 1024 ** 3
ENV_MAX_SEALED_RECORDING = "DADKHAHI_MAX_SEALED_RECORDING"


def max_sealed_recording() -> int:
    """The largest sealed recording given a copy without metadata (bytes): the setting
    :data:`ENV_MAX_SEALED_RECORDING` when set, else :data:`MAX_SEALED_RECORDING`."""
    raw = os.environ.get(ENV_MAX_SEALED_RECORDING, "").strip()
    if not raw:
        return MAX_SEALED_RECORDING
    if not raw.isdigit():
        raise UserError(f"{ENV_MAX_SEALED_RECORDING}={raw!r}: give a whole number of bytes")
    return int(raw)


class ContentErasedError(NotFoundError):
    """The item exists but its file was erased (its key destroyed)."""


@dataclass(frozen=True)
class PendingBlob:
    """A file being received for one future item (sealed if its source is protected)."""

    item_id: str
    file_key: bytes | None
    incoming: Incoming


@dataclass(frozen=True)
class TakenIn:
    item_id: str
    duplicate: bool
    derivative: bool
    source_id: str = ""


@dataclass
class IntakeReport:
    """What an add stored, file by file; ``source_id`` is None when nothing was stored
    into a new source (it was then never registered)."""

    source_id: str | None
    source_created: bool = False
    added: list[tuple[Path, str]] = field(default_factory=list)
    duplicates: list[tuple[Path, str]] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    outcomes: list[FileOutcome] = field(default_factory=list)
    derivatives: int = 0
    bytes: int = 0
    #: Why the add stopped before the last file (None: it went through them all).
    stopped: str | None = None


def add_evidence(
    store: Store,
    paths: Sequence[Path],
    receipt: Receipt,
    *,
    source_id: str | None = None,
    new_source: SourceSpec | None = None,
    hooks: ProgressHooks | None = None,
    stop_on_error: bool = False,
    feed: FileFeed | None = None,
) -> IntakeReport:
    """Take files and folders into the store under one source, file by file.

    A file that cannot be read is skipped with its reason (``stop_on_error``: the
    add stops there instead); an interruption (Ctrl-C) stops after the file in
    flight. Either way the report says what was stored. Nothing to add at all is
    refused before anything is written.

    The files are copied into the blob store on a thread (:class:`FileFeed`), each while
    the one before it is recorded. ``feed``: the copying of ``paths`` already started
    (by a command line that learnt the source's sensitivity before opening the store);
    ``hooks`` then serve only for outcomes, the feed having its own. It is closed here.
    A feed copying under another sensitivity than the source's (changed since it was
    read) is closed, its copies discarded, and the copying starts again.
    """
    try:
        if (source_id is None) == (new_source is None):
            raise UserError("name an existing source (--source) or a new one "
                            "(--source-title)")
        files = feed.files if feed is not None else files_to_add(paths)
        if new_source is not None:
            sensitivity = new_source.sensitivity
        else:
            assert source_id is not None
            with store.reading() as conn:
                source = get_source(conn, source_id)
            source_id, sensitivity = str(source["id"]), Sensitivity(source["sensitivity"])
    except BaseException:
        if feed is not None:
            feed.close()
        raise
    if feed is not None and feed.sensitivity is not sensitivity:
        feed.close()
        feed = None
    if feed is None:
        feed = FileFeed(store.blobs, files, sensitivity, hooks)
    report = IntakeReport(source_id=source_id)
    on_outcome = hooks.outcome if hooks else None

    def record(outcome: FileOutcome) -> None:
        report.outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)

    with feed:
        try:
            for arrival in feed:
                path, reason = arrival.path, arrival.skipped
                if arrival.error is not None:
                    raise arrival.error
                if reason is None:
                    try:
                        taken, size = _take_file(store, arrival, report.source_id,
                                                 new_source, feed.sensitivity, receipt)
                    except OSError as exc:
                        reason = unreadable(path, exc)
                if reason is not None:
                    report.skipped.append((path, reason))
                    record(FileOutcome(path, "skipped", reason=reason))
                    if stop_on_error:
                        report.stopped = f"stopped at {path}: {reason}"
                        break
                    continue
                report.bytes += size
                if report.source_id is None:
                    report.source_id, report.source_created = taken.source_id, True
                if taken.duplicate:
                    report.duplicates.append((path, taken.item_id))
                    record(FileOutcome(path, "held", taken.item_id))
                    continue
                report.added.append((path, taken.item_id))
                report.derivatives += int(taken.derivative)
                record(FileOutcome(path, "added", taken.item_id))
        except KeyboardInterrupt:
            # The file in flight was not committed (its transaction never began or was
            # rolled back); every file before it was, each in its own transaction. The
            # copies made ahead are discarded as the feed closes.
            report.stopped = "interrupted"
    if report.added:
        store.checkpoint()
    return report


def _take_file(
    store: Store, arrival: Arrival, source_id: str | None, new_source: SourceSpec | None,
    sensitivity: Sensitivity, receipt: Receipt,
) -> tuple[TakenIn, int]:
    assert arrival.received is not None
    # Placed only now, just before its transaction: a crash between the two leaves an
    # unnamed blob (an orphan ``evidence verify`` reports), as it always could.
    blob = arrival.received.place()
    taken = take_in(store, source_id or "", sensitivity, arrival.path.name, blob, receipt,
                    item_id=arrival.item_id, file_key=arrival.file_key,
                    new_source=new_source if source_id is None else None)
    return taken, blob.size


def store_bytes(store: Store, data: bytes, sensitivity: Sensitivity
                ) -> tuple[str, StoredBlob, bytes | None]:
    """Store a derivative's bytes for a new item: (item ID, blob, file key). Sealed under
    the new item's own file key when ``sensitivity`` is protected (pass both to
    :func:`add_item`), else a plain content-addressed blob (key None)."""
    item_id = new_id("item")
    if sensitivity is Sensitivity.PROTECTED:
        key = new_file_key()
        return item_id, store.blobs.put_bytes(data, seal=(item_id, key)), key
    return item_id, store.blobs.put_bytes(data), None


def store_file(store: Store, path: Path, sensitivity: Sensitivity
               ) -> tuple[str, StoredBlob, bytes | None]:
    """:func:`store_bytes` of a file's content, streamed from ``path`` (a derivative too
    large to hold in memory: a recording's copy), hashed and sealed as it is read."""
    item_id = new_id("item")
    if sensitivity is Sensitivity.PROTECTED:
        key = new_file_key()
        return item_id, store.blobs.put_file(path, seal=(item_id, key)), key
    return item_id, store.blobs.put_file(path), None


def begin_blob(store: Store, sensitivity: Sensitivity, limit: int | None = None) -> PendingBlob:
    """Start receiving one file piece by piece (the HTTP upload path); see :func:`take_in`."""
    item_id = new_id("item")
    if sensitivity is Sensitivity.PROTECTED:
        key = new_file_key()
        return PendingBlob(item_id, key, store.blobs.incoming(seal=(item_id, key), limit=limit))
    return PendingBlob(item_id, None, store.blobs.incoming(limit=limit))


def take_in(
    store: Store,
    source_id: str,
    sensitivity: Sensitivity,
    name: str | None,
    blob: StoredBlob,
    receipt: Receipt,
    *,
    item_id: str | None = None,
    file_key: bytes | None = None,
    new_source: SourceSpec | None = None,
) -> TakenIn:
    """Record a stored blob as a new item of a source (or find the item already holding it).

    A blob of a protected source should have been sealed under ``item_id`` and
    ``file_key`` as it was stored (see :func:`begin_blob`); a duplicate's sealed
    copy is removed. One transaction per file. ``new_source``: register this source
    in the same transaction and take the file into it (``source_id`` is ignored).
    """
    with store.transaction(receipt.actor) as tx:
        if new_source is not None:
            source_id = register_source(store, tx, new_source)
        existing = _item_with_hash(tx.conn, source_id, blob.sha256)
        if existing is None:
            item_id = item_id or new_id("item")
            if sensitivity is Sensitivity.PROTECTED and file_key is None:
                file_key = _seal_plain_blob(store, tx.conn, item_id, blob)
            new_item = add_item(store, tx, source_id, sensitivity, name, blob, receipt,
                                item_id=item_id, file_key=file_key)
            derivative = _add_public_copy(store, tx, new_item, source_id, sensitivity, blob,
                                          receipt, file_key)
    if existing is not None:
        if file_key is not None and item_id is not None:
            store.blobs.remove_sealed(item_id)
        return TakenIn(existing, duplicate=True, derivative=False, source_id=source_id)
    return TakenIn(new_item, duplicate=False, derivative=derivative, source_id=source_id)


def _item_with_hash(conn: Connection, source_id: str, sha256: str) -> str | None:
    i = s.items.c
    found = conn.execute(
        select(i.id).where(
            and_(i.source_id == source_id, i.sha256 == sha256, i.derived_from.is_(None))
        )
    ).first()
    return None if found is None else str(found.id)


def add_item(
    store: Store,
    tx: Transaction,
    source_id: str,
    sensitivity: Sensitivity,
    name: str | None,
    blob: StoredBlob,
    receipt: Receipt,
    *,
    derived_from: str | None = None,
    derivation: str | None = None,
    media_type: str | None = None,
    item_id: str | None = None,
    file_key: bytes | None = None,
) -> str:
    """Emit ``item.added`` and its first ``custody.recorded`` in an open transaction.

    The blob must already be in the blob store: sealed under ``item_id`` with
    ``file_key`` for a protected source (a plain blob given for a protected
    source is sealed here and its clear copy removed). Protected items have
    their file name, file key and hand-over details sealed. Returns the item ID.
    The name is kept without bidi overrides or invisible characters, which would
    make it display as another name (``invoice<U+202E>fdp.exe``).
    """
    item_id = item_id or new_id("item")
    name = None if name is None else safe_display_name(name) or None
    now = utc_now()
    if sensitivity is Sensitivity.PROTECTED and file_key is None:
        file_key = _seal_plain_blob(store, tx.conn, item_id, blob)
    item: dict[str, Any] = {
        "id": item_id,
        "source_id": source_id,
        "sha256": blob.sha256,
        "size": blob.size,
        "media_type": media_type or sniff(blob.head),
        "original_name": name,
        "received_at": now,
        "derived_from": derived_from,
        "derivation": derivation,
        "sensitivity": str(sensitivity),
    }
    custody: dict[str, Any] = {
        "id": new_id("custody"),
        "item_id": item_id,
        "action": str(CustodyAction.DERIVED if derived_from else CustodyAction.RECEIVED),
        "actor": tx.pseudonym(receipt.actor),
        "from_party": receipt.from_party,
        "how": derivation or receipt.how,
        "location": f"blob:sealed:{item_id}" if file_key else f"blob:sha256:{blob.sha256}",
        "sha256": blob.sha256,
        "at": now,
        "notes": receipt.notes,
    }
    if sensitivity is Sensitivity.PROTECTED:
        # A file name or a hand-over party can name a witness: seal them, and the
        # file's own key with the name, so one destroyed data key erases all of it.
        key = None if file_key is None else {"file_key": base64.b64encode(file_key).decode()}
        item = tx.seal_protected("item", item, item_id, extra=key)
        custody = tx.seal_protected("custody", custody, custody["id"])
    tx.emit("item.added", item, time=now)
    tx.emit("custody.recorded", custody, time=now)
    return item_id


def _seal_plain_blob(store: Store, conn: Connection, item_id: str, blob: StoredBlob) -> bytes:
    """Encrypt a blob stored in clear for a protected item; drop the clear copy if unshared."""
    key = new_file_key()
    store.blobs.put_chunks(store.blobs.iter_plain(blob.sha256), seal=(item_id, key))
    shared = conn.execute(
        select(s.items.c.id).where(s.items.c.sha256 == blob.sha256).limit(1)
    ).first()
    if shared is None:
        store.blobs.path(blob.sha256).unlink(missing_ok=True)
    return key


def _file_key(store: Store, conn: Connection, item: dict[str, Any]) -> bytes | None:
    """The item's file key if its file is sealed; ContentErasedError if the key was destroyed."""
    sealed = item.get("sealed")
    if not sealed:
        return None
    payload = store.keys.unseal(conn, sealed, str(item["id"]))
    if payload is None:
        raise ContentErasedError(f"the file of item {item['id']} was erased")
    key = payload.get("file_key")
    return base64.b64decode(key) if key else None


def item_content(store: Store, conn: Connection, item: dict[str, Any]) -> Iterator[bytes]:
    """The original bytes of an item, chunk by chunk (decrypted if sealed).

    The key is looked up now, on ``conn``; the file is read lazily as the
    caller iterates, so a download streams with flat memory.
    """
    key = _file_key(store, conn, item)
    if key is not None:
        return store.blobs.iter_sealed(str(item["id"]), key)
    if not store.blobs.has(str(item["sha256"])):
        raise NotFoundError(f"the file of item {item['id']} is missing from the blob store")
    return store.blobs.iter_plain(str(item["sha256"]))


def _add_public_copy(
    store: Store,
    tx: Transaction,
    item_id: str,
    source_id: str,
    sensitivity: Sensitivity,
    blob: StoredBlob,
    receipt: Receipt,
    file_key: bytes | None = None,
) -> bool:
    media_type = sniff(blob.head)
    if media_type in RECORDINGS:
        return _add_recording_copy(store, tx, item_id, source_id, sensitivity, blob, receipt,
                                   media_type, file_key)
    if media_type not in STRIPPABLE_IMAGES:
        return False
    # Pillow only for an image (start-up: issue 12 item 17).
    from dadkhahi.intake.derivatives import image_metadata, strip_image_metadata

    if sensitivity is Sensitivity.PROTECTED:
        # The original is sealed: decrypt it in memory (bounded), never to disk.
        if file_key is None or blob.size > MAX_SEALED_DERIVATIVE_SOURCE:
            return False
        plain = io.BytesIO(b"".join(store.blobs.iter_sealed(item_id, file_key)))
        stripped = strip_image_metadata(plain)
        plain.seek(0)
        removed = image_metadata(plain)
    else:
        with store.blobs.open(blob.sha256) as original:
            stripped = strip_image_metadata(original)
            original.seek(0)
            removed = image_metadata(original)
    if stripped is None:
        return False
    data, media_type = stripped
    copy_id, copy, copy_key = store_bytes(store, data, sensitivity)
    add_item(
        store,
        tx,
        source_id,
        sensitivity,
        None,
        copy,
        receipt,
        derived_from=item_id,
        derivation="metadata_stripped",
        media_type=media_type,
        item_id=copy_id,
        file_key=copy_key,
    )
    if removed:
        # Kept as a protected record of the original, sealed whatever the item's
        # sensitivity: camera, time and place can identify whoever took the picture.
        tx.emit("item.metadata_removed", {
            "item_id": item_id, "derivative_id": copy_id, "source_id": source_id,
            "sensitivity": str(Sensitivity.PROTECTED),
            "sealed": tx.seal({"metadata": removed}, f"metadata:{item_id}"),
        })
    return True


def _add_recording_copy(
    store: Store, tx: Transaction, item_id: str, source_id: str, sensitivity: Sensitivity,
    blob: StoredBlob, receipt: Receipt, media_type: str, file_key: bytes | None,
) -> bool:
    """An audio or video file's copy without identifying metadata (``documents.av``): its
    custody notes say the tool and the recording's technical metadata (duration, container,
    codecs); the tags left out are kept sealed, as an image's are. The recording streams
    through FFmpeg from file to file and into the store a chunk at a time: this process
    never holds a whole recording. No copy (the original kept as it is) when FFmpeg is
    missing, cannot read the file, leaves a tag, or a sealed original is over
    :func:`max_sealed_recording` (its copy is made in memory files)."""
    from dadkhahi.documents import av
    from dadkhahi.documents.model import ExtractionError

    if not av.available():
        return False
    try:
        if sensitivity is Sensitivity.PROTECTED:
            if file_key is None or blob.size > max_sealed_recording():
                return False
            with av.memory_file("dadkhahi-original") as (path, fd), \
                    av.memory_file("dadkhahi-copy") as (out, out_fd):
                for chunk in store.blobs.iter_sealed(item_id, file_key):
                    av.fill(fd, chunk)
                found = av.probe(path, (fd,))
                av.strip(path, media_type, out, (fd, out_fd))
                # Read through /proc from its start, sealed as it streams into the store.
                copy_id, copy, copy_key = store_file(store, Path(out), sensitivity)
        else:
            original = str(store.blobs.path(blob.sha256))
            found = av.probe(original)
            # A plain recording's copy is as public as it: written beside the blobs, then
            # streamed into the store.
            with tempfile.NamedTemporaryFile(dir=store.blobs.root, suffix=".av") as out:
                av.strip(original, media_type, out.name)
                copy_id, copy, copy_key = store_file(store, Path(out.name), sensitivity)
    except ExtractionError:
        return False
    notes = (f"metadata removed by ffmpeg {av.ffmpeg_version()} (streams copied); "
             f"{found.summary()}")
    add_item(store, tx, source_id, sensitivity, None, copy, replace(receipt, notes=notes),
             derived_from=item_id, derivation="metadata_stripped", media_type=media_type,
             item_id=copy_id, file_key=copy_key)
    if found.tags:
        tx.emit("item.metadata_removed", {
            "item_id": item_id, "derivative_id": copy_id, "source_id": source_id,
            "sensitivity": str(Sensitivity.PROTECTED),
            "sealed": tx.seal({"metadata": found.tags}, f"metadata:{item_id}"),
        })
    return True


def removed_metadata(store: Store, conn: Connection, item_id: str) -> dict[str, str] | None:
    """What the public copy of ``item_id`` left out, opened; None if nothing was kept
    (or it was erased). Callers decide who may read it (it is protected)."""
    row = conn.execute(select(s.item_metadata.c.sealed).where(
        s.item_metadata.c.item_id == item_id)).scalar_one_or_none()
    if row is None:
        return None
    opened = store.keys.unseal(conn, row, f"metadata:{item_id}")
    return None if opened is None else dict(opened["metadata"])


def resolve_item(conn: Connection, item_ref: str) -> dict[str, Any]:
    """An item by ID, ID prefix or SHA-256 (prefix); clear error if none or several."""
    i = s.items.c
    rows = conn.execute(
        select(s.items)
        .where(i.id.startswith(item_ref, autoescape=True)
               | i.sha256.startswith(item_ref, autoescape=True))
        .limit(2)
    ).mappings().all()
    if not rows:
        raise NotFoundError(f"no item {item_ref!r}")
    if len(rows) > 1:
        raise UserError(f"item reference {item_ref!r} is ambiguous; give more characters")
    return dict(rows[0])


def custody_chain(store: Store, item_ref: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The item and its chain of custody, oldest first (sealed fields stay sealed)."""
    with store.reading() as conn:
        item = resolve_item(conn, item_ref)
        c = s.custody.c
        chain = conn.execute(
            select(s.custody).where(c.item_id == item["id"]).order_by(c.ledger_index)
        ).mappings().all()
        return item, [dict(r) for r in chain]


def derivatives_in(conn: Connection, item_id: str) -> list[dict[str, Any]]:
    """Items derived from ``item_id``, and from those, oldest first."""
    found: list[dict[str, Any]] = []
    frontier = [item_id]
    while frontier:
        rows = conn.execute(select(s.items).where(s.items.c.derived_from.in_(frontier))
                            .order_by(s.items.c.ledger_index)).mappings().all()
        found += [dict(r) for r in rows]
        frontier = [str(r["id"]) for r in rows]
    return found


def derivatives_of(store: Store, item_id: str) -> list[dict[str, Any]]:
    """Items derived from an item (the metadata-stripped copy …, recursively), oldest first."""
    with store.reading() as conn:
        return derivatives_in(conn, item_id)


@dataclass
class BlobCheck:
    checked: int = 0
    bytes: int = 0
    changed: list[tuple[str, str]] = field(default_factory=list)  # (sha256, item ids)
    missing: list[tuple[str, str]] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    incomplete: int = 0
    sealed: int = 0  # encrypted files decrypted and re-hashed
    erased: int = 0  # sealed files whose key was destroyed (nothing left to check)

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing)


def verify_blobs(store: Store, advance: Callable[[int], None] | None = None) -> BlobCheck:
    """Re-hash every stored blob against the hash it was recorded under."""
    check = BlobCheck()
    by_hash: dict[str, list[str]] = {}
    sealed: list[tuple[str, str, bytes | None]] = []  # (item id, sha256, file key)
    i = s.items.c
    with store.reading() as conn:
        for sha, item_id in conn.execute(select(i.sha256, i.id).where(i.sealed.is_(None))):
            by_hash.setdefault(str(sha), []).append(str(item_id))
        # Sealed payloads can only be opened one by one (one data key each).
        rows = conn.execute(select(s.items).where(i.sealed.is_not(None))).mappings()
        for row in rows:
            try:
                key = _file_key(store, conn, dict(row))
            except ContentErasedError:
                check.erased += 1
                continue
            if key is None:
                by_hash.setdefault(str(row["sha256"]), []).append(str(row["id"]))
            else:
                sealed.append((str(row["id"]), str(row["sha256"]), key))
    for item_id, sha, key in sealed:
        assert key is not None
        actual = store.blobs.rehash_sealed(item_id, key)
        check.checked += 1
        check.sealed += 1
        if actual is None:
            check.missing.append((sha, item_id))
        elif actual != sha:
            check.changed.append((sha, item_id))
        else:
            check.bytes += store.blobs.sealed_path(item_id).stat().st_size
        if advance:
            advance(1)
    for sha, ids in sorted(by_hash.items()):
        actual = store.blobs.rehash(sha)
        check.checked += 1
        if actual is None:
            check.missing.append((sha, ", ".join(ids)))
        elif actual != sha:
            check.changed.append((sha, ", ".join(ids)))
        else:
            check.bytes += store.blobs.path(sha).stat().st_size
        if advance:
            advance(1)
    held = {item_id for item_id, _, _ in sealed}
    check.orphans = sorted(
        [h for h in store.blobs.iter_hashes() if h not in by_hash]
        + [f"sealed/{n}" for n in store.blobs.iter_sealed_names() if n not in held]
    )
    tmp_dir = store.blobs.root / "tmp"
    check.incomplete = len(list(tmp_dir.glob("incoming-*"))) if tmp_dir.is_dir() else 0
    return check


def iter_items(conn: Connection) -> Iterator[dict[str, Any]]:
    """Every item, oldest first."""
    for row in conn.execute(select(s.items).order_by(s.items.c.ledger_index)).mappings():
        yield dict(row)
