"""Master-key rotation: every data key re-wrapped under a new master key, atomically.

Why: a copy of the home taken while the master key lay in clear (or a backup and
the key file that went with it) unseals every protected field for as long as the
data keys stay wrapped under that key. Rotation wraps each of them under a new
key, so the old key file opens nothing in the database from then on (a backup
taken before still holds the old wrapping: erase it, or keep it as safe as the key).

The order makes a crash harmless at any point:

1. the new key is written *beside* the current one (``keys/master.key.new``, or
   ``keys/master.key.enc.new`` sealed with the new passphrase);
2. one database transaction re-wraps every row of ``data_keys`` and records a
   ``master_key.rotated`` event (how many keys; never a key): the commit point;
3. the new file replaces the old one (``os.replace``, atomic on one file system).

A crash before 2 commits leaves the old key working (the pending file is removed
when the store is next opened); a crash after it leaves the new key in the
pending file, and opening the store notices that only it unwraps the database's
keys and finishes the swap (:meth:`dadkhahi.store.store.Store.keys`).

Keyed hashes (actor pseudonyms, protected search tokens, the sign-in throttle, CSRF
tokens) are derived from a *root* secret, not from the master key itself, so they
stay the same across a rotation: at the first rotation the root is the original
master key, kept from then on as a data key (``key_root``) wrapped like the others.
A holder of the old key file can therefore still test guesses against those keyed
hashes in a later copy of the database, but can unseal nothing.
"""

from __future__ import annotations

import secrets

from sqlalchemy import bindparam, insert, select, update

from dadkhahi.ledger import sealing
from dadkhahi.store import schema as s
from dadkhahi.store.sealed import ROOT_KEY_ID
from dadkhahi.store.store import Store, utc_now


def rotate_master_key(store: Store, actor: str, new_passphrase: str | None = None) -> int:
    """Re-wrap every data key under a fresh master key; returns the event's index.

    ``new_passphrase``: required when the current key is sealed with a passphrase (the
    new key is sealed with it); must be None when it lies in clear. A key handed in
    through the environment cannot be rotated here (its holder keeps it).
    """
    home = store.home
    old = store.keys  # also finishes or discards an earlier interrupted rotation
    new_key = secrets.token_bytes(sealing.KEY_SIZE)
    pending = home.write_pending_master_key(new_key, new_passphrase)
    try:
        with store.transaction(actor) as tx:
            rows = tx.conn.execute(select(s.data_keys.c.id, s.data_keys.c.wrapped)).all()
            has_root = any(key_id == ROOT_KEY_ID for key_id, _ in rows)
            rewrapped = [
                {"key_id": key_id,
                 "rewrapped": sealing.wrap_key(sealing.unwrap_key(wrapped, old.master), new_key)}
                for key_id, wrapped in rows]
            if rewrapped:  # one executemany: a statement per key took 2 ms each
                tx.conn.execute(update(s.data_keys)
                                .where(s.data_keys.c.id == bindparam("key_id"))
                                .values(wrapped=bindparam("rewrapped")), rewrapped)
            if not has_root:
                # Keyed hashes keep their keys: derived from the first master key.
                tx.conn.execute(insert(s.data_keys).values(
                    id=ROOT_KEY_ID, wrapped=sealing.wrap_key(old.root, new_key),
                    created_at=utc_now()))
            index = tx.emit("master_key.rotated",
                            {"data_keys": len(rows) + (0 if has_root else 1),
                             "sealed": new_passphrase is not None, "at": utc_now()})
    except BaseException:
        pending.unlink(missing_ok=True)  # nothing committed: the old key stays
        raise
    home.finish_master_key_rotation()
    store.forget_keys()
    return index
