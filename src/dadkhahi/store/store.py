"""The one door through which anything is written: event, tree, tables, together.

A :class:`Transaction` holds the write lock, hands out ledger indices as events
are emitted, and on success appends the events, their tree nodes and their
projected rows in a single database transaction. If anything fails, none of it
happened. Services (intake, linkage, cases …) write only through here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, Engine, select

from dadkhahi.domain.errors import UserError
from dadkhahi.domain.protected import (
    CLEAR_FIELDS,
    REDACTED,
    SUPPORT_LOCATORS,
    placeholder,
)
from dadkhahi.ledger import sealing
from dadkhahi.ledger.checkpoint import NoteSigner
from dadkhahi.ledger.errors import VerificationError
from dadkhahi.ledger.events import encode_batch, encode_event
from dadkhahi.store import actors, ledger_log
from dadkhahi.store import schema as s
from dadkhahi.store.blobs import BlobStore
from dadkhahi.store.db import (
    is_sqlite,
    make_engine,
    make_key_read_engine,
    read_connection,
    write_transaction,
)
from dadkhahi.store.home import AskPassphrase, Home
from dadkhahi.store.migrate import Upgraded, require_rum, upgrade
from dadkhahi.store.projection import OpBuffer, project
from dadkhahi.store.sealed import ROOT_KEY_ID, KeyRing

#: Events buffered before they are written out inside the open transaction.
FLUSH_EVERY = 5000
#: Events written on behalf of a reader or a visitor (a read of protected data, a sign-in,
#: a failed one). A transaction holding only these signs no checkpoint: a read must never
#: make the server sign (issue 11), and the next change signs them with it.
READER_EVENTS = frozenset({"audit.read", "auth.sign_in_failed", "user.logged_in"})


def utc_now() -> str:
    """Current time as RFC 3339 UTC text with a ``Z``."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def mode_warning(fixes: list[str]) -> str:
    """One line saying which paths of the home were readable by others."""
    shown = ", ".join(fixes[:5]) + (f" and {len(fixes) - 5} more" if len(fixes) > 5 else "")
    return (f"{len(fixes)} path(s) of the home could be read by other local users ({shown}); "
            "they are now owner-only. Check who copied them meanwhile.")


def scrub_warning(why: str) -> str:
    """One line saying that a scrub left due (``scrub_due``) could not run at the open."""
    return ("destroyed keys or redacted words of an earlier erasure are still in the "
            f"database's files: their scrub could not run now ({why}); it runs again at the "
            "next open or erasure")


class Transaction:
    """Emit events; they are hashed into the ledger and projected on commit."""

    def __init__(
        self, conn: Connection, actor: str, size: int, keys: Callable[[], KeyRing]
    ) -> None:
        self.conn = conn
        self._keys = keys
        #: The actor's pseudonym: what events and custody carry (``store.actors``).
        self.actor = actors.remember(conn, keys(), actor, utc_now())
        self.start_size = size
        self._next = size
        #: (index, type, stored bytes, the bytes its leaf hash is taken over)
        self._events: list[tuple[int, str, bytes, bytes]] = []
        self._buffer = OpBuffer()
        #: Whether a change was emitted (not only :data:`READER_EVENTS`): then the
        #: transaction ends by signing a checkpoint of the log it leaves.
        self.changed = False

    def emit(self, event_type: str, data: Mapping[str, Any], *, time: str | None = None,
             batch: bool = False) -> int:
        """Queue one event; returns its ledger index (final once committed).

        ``batch``: the event's ``data.records`` rows are committed one by one (a version-2
        event, ``dadkhahi.ledger.events``), so each row can be proven alone.
        """
        when = time or utc_now()
        if batch:
            body, leaf = encode_batch(event_type, data, self.actor, when)
        else:
            body = leaf = encode_event(event_type, data, self.actor, when)
        self.changed = self.changed or event_type not in READER_EVENTS
        index = self._next
        # Project from the canonical bytes, exactly as a replay will, so live tables
        # and replayed tables cannot drift apart; a bad event fails here, at its source.
        self._buffer.add(self.conn, project(index, event_type, json.loads(body)["data"]))
        self._events.append((index, event_type, body, leaf))
        self._next += 1
        if len(self._events) >= FLUSH_EVERY:
            self.flush()
        return index

    def seal(self, payload: Mapping[str, Any], context: str) -> dict[str, Any]:
        """Encrypt protected fields under a fresh data key (kept outside the ledger)."""
        return self._keys().seal(self.conn, payload, context, utc_now())

    @property
    def keys(self) -> KeyRing:
        """The key ring of this transaction's store (to open what it seals)."""
        return self._keys()

    def pseudonym(self, name: str) -> str:
        """The pseudonym of another actor named in this transaction (a custody entry's)."""
        return actors.remember(self.conn, self._keys(), name, utc_now())

    def seal_protected(
        self, kind: str, data: Mapping[str, Any], context: str,
        placeholders: Mapping[str, Any] | None = None, extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``data`` of a protected object with every field sealed but its clear ones.

        The clear fields of each kind are listed in ``domain.protected.CLEAR_FIELDS``;
        every other field with a value goes into one sealed payload (one data key,
        bound to ``context``), and its column holds a placeholder (``[protected]``,
        an empty JSON value or NULL; ``placeholders`` overrides per field). ``extra``:
        secrets with no column of their own (a file's key) sealed in the same payload.
        """
        clear = CLEAR_FIELDS[kind]
        secret = {k: v for k, v in data.items()
                  if k not in clear and k != "sealed" and v is not None}
        out = dict(data)
        support = data.get("support")
        if isinstance(support, list) and any(x.get("locator") is not None for x in support):
            # Which sources support it stays in clear; where in them (a page, a row, a
            # cell, a line) may name the witness, so it is sealed with the rest.
            secret[SUPPORT_LOCATORS] = [x.get("locator") for x in support]
            out["support"] = [{**x, "locator": None if x.get("locator") is None else REDACTED}
                              for x in support]
        if not secret and not extra:
            return out
        for k, v in secret.items():
            out[k] = (placeholders or {}).get(k, placeholder(v))
        out["sealed"] = self.seal({**(extra or {}), **secret}, context)
        return out

    def flush(self) -> None:
        """Write queued events and rows (still uncommitted) so later reads see them."""
        if not self._events:
            return
        size = self._events[0][0]
        types = [t for _, t, _, _ in self._events]
        bodies = [b for _, _, b, _ in self._events]
        self._buffer.flush(self.conn)
        ledger_log.append(self.conn, size, bodies, types,
                          [leaf for _, _, _, leaf in self._events])
        self._events.clear()

    @property
    def size(self) -> int:
        """The log size this transaction will leave behind."""
        return self._next


@contextmanager
def upgrade_transaction(conn: Connection, actor: str, keys: Callable[[], KeyRing] | None,
                        signer: Callable[[], NoteSigner] | None, what: str, does: str
                        ) -> Iterator[Transaction]:
    """The ledger writes of a revision, in its (migration's) transaction: events emitted
    on the yielded transaction are written, and a checkpoint signed after them. ``keys``
    and ``signer`` are the home's (``Store.open`` hands them to the migration); without
    them the upgrade is refused in one line naming ``what`` the home holds and what it
    ``does`` with it."""
    if keys is None or signer is None:
        raise UserError(f"this home holds {what}, which the upgrade {does} with the home's "
                        "keys: open it with dadkhahi (any command) to upgrade it")
    size, _ = ledger_log.head(conn, lock=True)
    tx = Transaction(conn, actor, size, keys)
    yield tx
    tx.flush()
    ledger_log.sign_checkpoint(conn, signer(), utc_now())


class Store:
    """One ledger: its database, blob store, signing key and key ring."""

    def __init__(self, home: Home, engine: Engine | None = None,
                 ask: AskPassphrase | None = None) -> None:
        self.home = home
        self._ask = ask
        self.engine = engine or make_engine(home.database_url())
        #: The engine of reads by key (:func:`dadkhahi.store.db.make_key_read_engine`;
        #: on SQLite the one engine). It connects only when first used.
        self.key_engine = self.engine if is_sqlite(self.engine) else make_key_read_engine(
            self.engine.url.render_as_string(hide_password=False))
        self.blobs = BlobStore(home.blob_dir)
        #: Paths of the home that others could read when it was opened (now put right).
        self.mode_fixes: list[str] = []
        #: What opening the home upgraded (its schema revision, the acts raised), or None.
        self.upgraded: Upgraded | None = None
        #: Why the scrub a mark left due could not run when the home was opened (a
        #: transaction older than it still running), or None: the mark stays for the next
        #: open or erasure, and the caller warns.
        self.scrub_left: str | None = None

    @property
    def upgraded_from(self) -> str | None:
        """The schema revision the database was at when opening it upgraded it (else None)."""
        return self.upgraded.revision if self.upgraded else None

    @classmethod
    def open(cls, home: Home, ask: AskPassphrase | None = None) -> Store:
        """Open an initialised home (clear error otherwise).

        Anything in the home readable by others is made owner-only first, with a
        warning by the caller (``mode_fixes`` lists what was wrong, and
        :func:`mode_warning` says it), before a byte is read.
        """
        home.config()
        fixes = home.make_owner_only()
        store = cls(home, ask=ask)
        store.mode_fixes = fixes
        # The keys and signer are read only if a revision writes the ledger (0004-0006).
        store.upgraded = upgrade(store.engine, keys=lambda: store.keys,
                                 signer=lambda: store.signer)
        # A scrub left due (``scrub_due``): an erasure, a redaction or an upgrade that
        # destroyed keys or redacted events committed and then its scrub did not run
        # (a crash, a kill, a scrub that failed), or this upgrade did (revision 0007
        # marks what 0004-0006 did). As after every erasure: no destroyed key left in the
        # database's files, nor (PostgreSQL) a redacted body or row in clear among the
        # dead tuples (SQLite zeroed them, secure_delete, and its WAL is emptied).
        # A scrub that cannot run now (ScrubError) keeps its mark and does not keep the
        # home from opening: the bytes stay exactly as they would if it were refused.
        from dadkhahi.store.erase import ScrubError, scrub, scrubs_due

        with store.engine.connect() as conn:
            due = bool(scrubs_due(conn))
        if due:
            try:
                scrub(store)
            except ScrubError as error:
                store.scrub_left = str(error)
        return store

    @classmethod
    def init(cls, home: Home, origin: str, actor: str) -> Store:
        """Create a new ledger: keys, schema, and the first event naming its origin."""
        signer = NoteSigner.generate(origin)
        url = home.database_url()
        engine: Engine | None = None
        if url.startswith("postgresql"):
            # Before the home is laid out: a server lacking what the schema needs is
            # refused with the home untouched, so init can simply be run again.
            engine = make_engine(url)
            with engine.begin() as conn:
                require_rum(conn)
        home.create(origin, signer.to_private_text(), signer.verifier_key())
        store = cls(home, engine)
        upgrade(store.engine)
        with write_transaction(store.engine) as conn:
            if ledger_log.head_exists(conn):
                raise UserError("that database already holds a ledger; use another database")
            ledger_log.create_head(conn, origin)
        with store.transaction(actor) as tx:
            tx.emit(
                "ledger.initialized",
                {"origin": origin, "verifier_key": signer.verifier_key()},
            )
        store.checkpoint()
        return store

    @cached_property
    def signer(self) -> NoteSigner:
        path = self.home.signing_key_path
        if not path.is_file():
            raise UserError(f"no signing key at {path}")
        return NoteSigner.from_private_text(path.read_text("ascii").strip())

    @cached_property
    def keys(self) -> KeyRing:
        """The key ring under the master key that unwraps this database's data keys.

        While a rotation is pending (``store.rotate``) two keys are candidates: the one
        that unwraps a data key wins, and the key files are put right (the swap is
        finished, or the never-committed new key removed).
        """
        candidates = self.home.master_key_candidates(self._ask)
        k = s.data_keys.c
        with self.reading() as conn:
            # The root if there is one, else any key: two primary-key lookups (ordering
            # on an expression would scan a table holding a key per protected record).
            probe = (conn.execute(select(k.id, k.wrapped).where(k.id == ROOT_KEY_ID)).first()
                     or conn.execute(select(k.id, k.wrapped).order_by(k.id).limit(1)).first())
        for key, pending in candidates:
            try:
                opened = None if probe is None else sealing.unwrap_key(probe.wrapped, key)
            except VerificationError:
                continue
            if pending:
                self.home.finish_master_key_rotation()
            elif len(candidates) > 1:
                self.home.discard_pending_master_key()
            root = opened if probe is not None and probe.id == ROOT_KEY_ID else None
            return KeyRing(key, root)
        raise UserError("the master key given does not unwrap this database's keys (after "
                        "an interrupted rotation, give the new key's passphrase)")

    def forget_keys(self) -> None:
        """Drop the cached key ring (after a rotation the next use reads the new key)."""
        self.__dict__.pop("keys", None)

    def verifier_key(self) -> str:
        """The public verifier key (note verifier-key form)."""
        return self.home.verifier_key_path.read_text("utf-8").strip()

    @contextmanager
    def transaction(self, actor: str) -> Iterator[Transaction]:
        """All-or-nothing write: events emitted inside land together or not at all.

        A transaction that changed anything (more than :data:`READER_EVENTS`) signs a
        checkpoint of the log it leaves, in the same database transaction: checkpoints
        are signed after writes only, and a read serves the latest one.
        """
        with write_transaction(self.engine) as conn:
            size, _ = ledger_log.head(conn, lock=True)
            tx = Transaction(conn, actor, size, lambda: self.keys)
            yield tx
            tx.flush()
            if tx.changed:
                ledger_log.sign_checkpoint(conn, self.signer, utc_now())

    @contextmanager
    def reading(self, one_statement: bool = False,
                by_key: bool = False) -> Iterator[Connection]:
        """A consistent read-only snapshot (``one_statement``: see
        :func:`dadkhahi.store.db.read_connection`). ``by_key``: the read finds rows by
        key or walks an index in key order whatever values are bound (a session, one
        object, a page in ID order); on PostgreSQL it runs on :attr:`key_engine`."""
        with read_connection(self.key_engine if by_key else self.engine,
                             one_statement) as conn:
            yield conn

    def checkpoint(self) -> str:
        """Sign (or reuse) a checkpoint of the whole log; returns the signed note.

        For writers and the operator only (``sign``, the command line): a read serves
        :func:`dadkhahi.store.ledger_log.latest_checkpoint` instead.
        """
        with write_transaction(self.engine) as conn:
            return ledger_log.sign_checkpoint(conn, self.signer, utc_now())

    def size(self) -> int:
        """Number of events in the log."""
        with self.reading() as conn:
            return ledger_log.head(conn)[0]
