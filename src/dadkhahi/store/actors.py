"""Actors as stable pseudonyms: events and custody name no team member.

An event's ``actor`` (and a custody entry's, and a review decision's) is ``actor_``
plus an HMAC-SHA256, under a key derived from the master key, of the user account's
ID when the actor is a user (so a renamed user keeps it, and two accounts that bore
the same name differ), else of the actor's name (a command-line actor without an
account), so the same person always has the same pseudonym, but nobody without the
master key can tell who it is or test a guess. Events written while pseudonyms were
keyed on names keep those: each stays in ``actor_names`` and the ledger verifies as
it did.
The pseudonym's name is kept sealed (under its own data key) in the operational
``actor_names`` table, outside the ledger: disclosed only where a custodian must
be named (:func:`name_of`), and erasable (:func:`forget`). Events written before
pseudonyms keep the names they carry: the ledger cannot be rewritten.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import Connection, insert, select

from dadkhahi.store import schema as s
from dadkhahi.store.sealed import KeyRing

PREFIX = "actor_"


def pseudonym(keys: KeyRing, name: str) -> str:
    """The stable pseudonym of the actor called ``name`` (no account of that name)."""
    digest = hmac.new(keys.subkey("actor pseudonym"), name.encode(), hashlib.sha256)
    return PREFIX + digest.hexdigest()[:24]


def user_pseudonym(keys: KeyRing, user_id: str) -> str:
    """The stable pseudonym of a user account: keyed on its ID, not its name, so a
    renamed user keeps it and a later account given the same name gets another."""
    # The NUL keeps a user ID and an actor name from ever hashing alike.
    digest = hmac.new(keys.subkey("actor pseudonym"), b"user\0" + user_id.encode(),
                      hashlib.sha256)
    return PREFIX + digest.hexdigest()[:24]


def _user_id(conn: Connection, name: str) -> str | None:
    found = conn.execute(select(s.users.c.id).where(s.users.c.username == name)).scalar()
    return None if found is None else str(found)


def pseudonym_in(conn: Connection, keys: KeyRing, name: str) -> str:
    """The pseudonym ``name`` acts under now: its account's (by user ID) if a user has
    that name, else the name's own (a command-line actor without an account)."""
    user_id = _user_id(conn, name)
    return pseudonym(keys, name) if user_id is None else user_pseudonym(keys, user_id)


def keyed_hash(keys: KeyRing, value: str) -> str:
    """A keyed hash of a value to compare but never keep (an address in the audit trail)."""
    return hmac.new(keys.subkey("audit address"), value.encode(), hashlib.sha256).hexdigest()[:24]


def remember(conn: Connection, keys: KeyRing, name: str, created_at: str) -> str:
    """The pseudonym of ``name``, its sealed name stored the first time it is seen."""
    user_id = _user_id(conn, name)
    alias = pseudonym(keys, name) if user_id is None else user_pseudonym(keys, user_id)
    known = conn.execute(select(s.actor_names.c.pseudonym)
                         .where(s.actor_names.c.pseudonym == alias)).first()
    if known is None:
        sealed = keys.seal(conn, {"name": name, "user_id": user_id}, alias, created_at)
        conn.execute(insert(s.actor_names).values(pseudonym=alias, sealed=sealed,
                                                  created_at=created_at))
    return alias


def name_of(conn: Connection, keys: KeyRing, alias: str) -> str | None:
    """The name behind a pseudonym, where a custodian must be named (a court bundle).

    None for a pseudonym never seen, or whose name was forgotten; a name written
    before pseudonyms existed is returned as it is.
    """
    if not alias.startswith(PREFIX):
        return alias
    sealed = conn.execute(select(s.actor_names.c.sealed)
                          .where(s.actor_names.c.pseudonym == alias)).scalar_one_or_none()
    if sealed is None:
        return None
    payload = keys.unseal(conn, sealed, alias)
    if payload is None:
        return None
    if payload.get("user_id"):  # the account's name now (it may have been renamed)
        current = conn.execute(select(s.users.c.username)
                               .where(s.users.c.id == payload["user_id"])).scalar()
        if current is not None:
            return str(current)
    return str(payload["name"])


def forget(conn: Connection, alias: str) -> str | None:
    """Destroy the key of a pseudonym's name; returns the key ID (None: nothing to forget).

    The caller records the erasure (``store.erase.destroy_keys`` does both).
    """
    sealed = conn.execute(select(s.actor_names.c.sealed)
                          .where(s.actor_names.c.pseudonym == alias)).scalar_one_or_none()
    return None if sealed is None else str(sealed["key_id"])
