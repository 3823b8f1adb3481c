"""Actors as stable pseudonyms: events and custody name no team member.

An event's ``actor`` (and a custody entry's) is ``actor_`` plus an HMAC-SHA256 of
the actor's name (the signed-in username, or the command line's actor) under a
key derived from the master key, so the same person always has the same
pseudonym, but nobody without the master key can tell who it is or test a guess.
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
    """The stable pseudonym of the actor called ``name``."""
    digest = hmac.new(keys.subkey("actor pseudonym"), name.encode(), hashlib.sha256)
    return PREFIX + digest.hexdigest()[:24]


def keyed_hash(keys: KeyRing, value: str) -> str:
    """A keyed hash of a value to compare but never keep (an address in the audit trail)."""
    return hmac.new(keys.subkey("audit address"), value.encode(), hashlib.sha256).hexdigest()[:24]


def remember(conn: Connection, keys: KeyRing, name: str, created_at: str) -> str:
    """The pseudonym of ``name``, its sealed name stored the first time it is seen."""
    alias = pseudonym(keys, name)
    known = conn.execute(select(s.actor_names.c.pseudonym)
                         .where(s.actor_names.c.pseudonym == alias)).first()
    if known is None:
        sealed = keys.seal(conn, {"name": name}, alias, created_at)
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
    return None if payload is None else str(payload["name"])


def forget(conn: Connection, alias: str) -> str | None:
    """Destroy the key of a pseudonym's name; returns the key ID (None: nothing to forget).

    The caller records the erasure (``store.erase.destroy_keys`` does both).
    """
    sealed = conn.execute(select(s.actor_names.c.sealed)
                          .where(s.actor_names.c.pseudonym == alias)).scalar_one_or_none()
    return None if sealed is None else str(sealed["key_id"])
