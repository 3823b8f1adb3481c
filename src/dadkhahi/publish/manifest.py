"""The signed, sequenced manifest of a build, and the publication key.

The manifest is a C2SP signed note (https://c2sp.org/signed-note) whose text lists the
build (format, ledger origin, sequence number, the previous manifest's SHA-256, the
ledger checkpoint the site was built from) and then every file with its SHA-256. It is
signed with a *publication key* of its own, not the ledger's checkpoint key: whoever
hosts the memorial's build machine need not hold the key that vouches for evidence.
The key is announced in the ledger (``publish.key_announced``), so the ledger proves
which key the memorial's builds carry; each build's manifest hash is a ledger event
(``publish.built``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import Connection, select

from dadkhahi.domain.errors import IntegrityError
from dadkhahi.domain.files import write_private_text
from dadkhahi.ledger.checkpoint import NoteSigner
from dadkhahi.store import ledger_log
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

FORMAT = "dadkhahi-memorial/v1"
MANIFEST = "manifest.note"
CHECKPOINT = "checkpoint.note"
KEY_FILE = "publication-key.txt"
_PATH = re.compile(r"[A-Za-z0-9._/-]+")


@dataclass(frozen=True)
class Build:
    """Where a build stands in the sequence of builds."""

    sequence: int
    previous: str | None
    checkpoint_size: int
    checkpoint_note: str
    origin: str


def key_path(store: Store) -> str:
    """Where the home keeps the publication key (secret, owner-only)."""
    return str(store.home.key_dir / "publication.key")


def publication_signer(store: Store, actor: str) -> NoteSigner:
    """The publication key; made and announced in the ledger the first time.

    A key file whose public key is not the latest announced one is announced again
    (a rotation is a ledger event, never silent).
    """
    path = store.home.key_dir / "publication.key"
    with store.reading() as conn:
        _size, origin = ledger_log.head(conn)
        announced = announced_key(conn)
    if path.is_file():
        signer = NoteSigner.from_private_text(path.read_text("ascii").strip())
    else:
        signer = NoteSigner.generate(f"{origin}/memorial")
        write_private_text(path, signer.to_private_text() + "\n", encoding="ascii")
    if announced != signer.verifier_key():
        with store.transaction(actor) as tx:
            tx.emit("publish.key_announced", {"verifier_key": signer.verifier_key()})
    return signer


def announced_key(conn: Connection) -> str | None:
    """The publication key the ledger announced last."""
    k = s.publication_keys.c
    found = conn.execute(select(k.verifier_key).order_by(k.ledger_index.desc()).limit(1)).scalar()
    return None if found is None else str(found)


def content_hash(files: dict[str, bytes]) -> str:
    """SHA-256 over the sorted (path, SHA-256) list: what a build shows, in one value."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(f"{hashlib.sha256(files[path]).hexdigest()}  {path}\n".encode())
    return digest.hexdigest()


def next_build(store: Store, content: str) -> tuple[Build, bool]:
    """The build's place in the sequence; True when it must be recorded as new.

    The same content as the last recorded build is that build again (same sequence,
    previous hash and checkpoint), so rebuilding an unchanged store gives the same bytes.
    """
    with store.reading() as conn:
        p = s.publications.c
        last = conn.execute(select(p.sequence, p.manifest_sha256, p.content_sha256,
                                   p.previous_sha256, p.checkpoint_size)
                            .order_by(p.sequence.desc()).limit(1)).first()
        _size, origin = ledger_log.head(conn)
        if last is not None and last.content_sha256 == content:
            note = ledger_log.checkpoint_at(conn, int(last.checkpoint_size))
            return Build(int(last.sequence), last.previous_sha256, int(last.checkpoint_size),
                         note, origin), False
    note = store.checkpoint()
    size = int(note.split("\n", 2)[1])
    if last is None:
        return Build(1, None, size, note, origin), True
    return Build(int(last.sequence) + 1, str(last.manifest_sha256), size, note, origin), True


def manifest_text(build: Build, files: dict[str, bytes]) -> str:
    """The manifest note's text (unsigned): the build, then every file's SHA-256."""
    root = build.checkpoint_note.split("\n", 3)[2]
    lines = [FORMAT, f"origin {build.origin}", f"sequence {build.sequence}",
             f"previous {build.previous or 'none'}",
             f"checkpoint {build.checkpoint_size} {root}", f"files {len(files)}"]
    for path in sorted(files):
        if not _PATH.fullmatch(path) or path == MANIFEST:
            raise IntegrityError(f"the site cannot list the file {path!r}")
        lines.append(f"{hashlib.sha256(files[path]).hexdigest()} {path}")
    return "\n".join(lines) + "\n"


def record(store: Store, actor: str, build: Build, manifest: bytes, content: str,
           files: int, addresses: list[str] | None = None,
           pages: list[str] | None = None) -> int:
    """The ``publish.built`` event: this build's manifest hash in the ledger.

    ``addresses``: persons whose pages this build publishes first; ``pages``: list pages
    (paths under a language's folder) it publishes first. Every later build keeps both
    answering (:mod:`dadkhahi.publish.addresses`).
    """
    with store.transaction(actor) as tx:
        return tx.emit("publish.built", {
            "sequence": build.sequence,
            "manifest_sha256": hashlib.sha256(manifest).hexdigest(),
            "content_sha256": content, "previous_sha256": build.previous,
            "checkpoint_size": build.checkpoint_size, "files": files,
            "addresses": sorted(addresses or []),
            "pages": sorted(pages or []),
        })
