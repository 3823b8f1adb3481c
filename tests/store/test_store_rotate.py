"""Master-key rotation (issue 11): the old key file opens nothing; a crash breaks nothing.

The attack: someone copied ``keys/master.key`` before it was rotated and later gets a
copy of the database. After the rotation no data key in it unwraps under the old key;
the protected value still reads with the new one; the ledger records the rotation
without either key; keyed hashes (actor pseudonyms) stay the same. A crash between the
steps (simulated by raising there) leaves a home that opens with one of the two keys.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlalchemy import select

from dadkhahi.domain.errors import UserError
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.facts.entities import create_person
from dadkhahi.ledger import sealing
from dadkhahi.ledger.errors import VerificationError
from dadkhahi.store import actors
from dadkhahi.store import schema as s
from dadkhahi.store.home import Home
from dadkhahi.store.rotate import rotate_master_key
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger

SECRET = "SYNTHETIC witness MRKROTATEQ"


def _witness(store: Store) -> str:
    with store.transaction("tester") as tx:
        return create_person(tx, SECRET, sensitivity=Sensitivity.PROTECTED)


def _label(store: Store, person: str) -> str | None:
    with store.reading() as conn:
        sealed = conn.execute(select(s.persons.c.sealed)
                              .where(s.persons.c.id == person)).scalar_one()
        opened = store.keys.unseal(conn, sealed, person)
    return None if opened is None else str(opened["label"])


def _wrapped(store: Store) -> dict[str, str]:
    with store.reading() as conn:
        return dict(conn.execute(select(s.data_keys.c.id, s.data_keys.c.wrapped)).all())


def test_after_a_rotation_the_old_key_opens_nothing(store: Store) -> None:
    person = _witness(store)
    old_key = base64.b64decode(store.home.master_key_path.read_text("ascii"))
    alias = actors.pseudonym(store.keys, "tester")
    index = rotate_master_key(store, "tester")

    again = Store.open(store.home)
    new_key = base64.b64decode(store.home.master_key_path.read_text("ascii"))
    wrapped = _wrapped(again)
    assert new_key != old_key and wrapped
    for value in wrapped.values():
        with pytest.raises(VerificationError):
            sealing.unwrap_key(value, old_key)
    assert _label(again, person) == SECRET
    assert actors.pseudonym(again.keys, "tester") == alias  # keyed hashes carry on
    with again.reading() as conn:
        body = conn.execute(select(s.ledger_events.c.body)
                            .where(s.ledger_events.c.idx == index)).scalar_one()
        assert verify_ledger(conn, again.verifier_key()).ok
    assert b"master_key.rotated" in body
    for key in (old_key, new_key):
        for form in (key, key.hex().encode(), base64.b64encode(key)):
            assert form not in body
    assert not store.home.pending_master_key_path.exists()
    # A home holding the old key file (the copy) cannot open the database's keys.
    store.home.master_key_path.write_text(base64.b64encode(old_key).decode())
    with pytest.raises(UserError, match="does not unwrap"):
        Store.open(store.home).keys  # noqa: B018
    again.engine.dispose()


def test_a_crash_at_any_step_leaves_a_working_home(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = _witness(store)
    home = store.home
    old_text = home.master_key_path.read_text("ascii")
    before = _wrapped(store)

    # Killed inside the transaction: nothing committed, the old key still works.
    real_wrap, calls = sealing.wrap_key, []

    def dying_wrap(data_key: bytes, master_key: bytes) -> str:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("SYNTHETIC kill mid-way")
        return real_wrap(data_key, master_key)

    monkeypatch.setattr(sealing, "wrap_key", dying_wrap)
    with pytest.raises(KeyboardInterrupt):
        rotate_master_key(store, "tester")
    monkeypatch.setattr(sealing, "wrap_key", real_wrap)
    fresh = Store.open(home)
    assert _label(fresh, person) == SECRET and _wrapped(fresh) == before
    assert home.master_key_path.read_text("ascii") == old_text
    assert not home.pending_master_key_path.exists()

    # Killed after the commit, before the swap: the next open finishes it.
    def dying_swap(self: Home) -> None:
        raise KeyboardInterrupt("SYNTHETIC kill before the swap")

    finish = Home.finish_master_key_rotation
    monkeypatch.setattr(Home, "finish_master_key_rotation", dying_swap)
    with pytest.raises(KeyboardInterrupt):
        rotate_master_key(fresh, "tester")
    monkeypatch.setattr(Home, "finish_master_key_rotation", finish)
    assert home.pending_master_key_path.exists()
    assert home.master_key_path.read_text("ascii") == old_text
    last = Store.open(home)
    assert _label(last, person) == SECRET
    assert not home.pending_master_key_path.exists()
    assert home.master_key_path.read_text("ascii") != old_text
    for store_ in (fresh, last):
        store_.engine.dispose()


def test_a_passphrase_sealed_key_is_rotated_under_a_new_passphrase(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    store = Store.init(home, "rotate.test/ledger", "tester")
    person = _witness(store)
    home.protect_master_key("SYNTHETIC old passphrase")
    store.engine.dispose()
    sealed = Store.open(home, ask=lambda: "SYNTHETIC old passphrase")
    rotate_master_key(sealed, "tester", "SYNTHETIC new passphrase")
    sealed.engine.dispose()
    assert not home.master_key_in_clear() and not home.pending_sealed_master_key_path.exists()
    with pytest.raises(UserError, match="wrong passphrase"):
        Store.open(home, ask=lambda: "SYNTHETIC old passphrase").keys  # noqa: B018
    renewed = Store.open(home, ask=lambda: "SYNTHETIC new passphrase")
    assert _label(renewed, person) == SECRET
    with pytest.raises(UserError, match="sealed"):
        rotate_master_key(renewed, "tester")  # a sealed key needs a new passphrase
    renewed.engine.dispose()
