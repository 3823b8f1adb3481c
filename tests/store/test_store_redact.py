"""Redaction of ledger events (``store.redact``, ``ledger.redaction``), on SQLite and
PostgreSQL: an act recorded before 2701f0e from a protected testimony kept its words in
clear in its ``act.created``/``act.changed`` events after revision 0004 raised it; the
testimony's erasure now redacts them, and ``ledger verify`` accepts a redacted body only
when a later ``event.redacted`` names it with its leaf hash."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from test_store_act_levels import _at_0003, _told_the_old_way

from dadkhahi.access.policy import Principal, Role
from dadkhahi.access.reads import export_events
from dadkhahi.intake.erasure import erase_source
from dadkhahi.ledger.errors import VerificationError
from dadkhahi.ledger.proofs import make_bundle, verify_bundle
from dadkhahi.ledger.redaction import REDACTION_EVENT, redact_body
from dadkhahi.store import ledger_log
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger
from database_files import database_files

WORDS = (b"MRKTOLDQ", b"MRKCHANGEDQ")


def _raised(store: Store) -> tuple[Store, dict[str, str]]:
    """A home with an act told the old way from a protected testimony, upgraded (0004
    raises it, sealed under a new key of the act's)."""
    ids = _told_the_old_way(store)
    _at_0003(store)
    home = store.home
    store.engine.dispose()
    return Store.open(home), ids


def _bodies(store: Store) -> list[ledger_log.StoredEvent]:
    with store.reading() as conn:
        return list(ledger_log.iter_events(conn))


def _findings(store: Store) -> list[str]:
    with store.reading() as conn:
        return [f.message for f in verify_ledger(conn, store.verifier_key()).findings]


def _granted(store: Store, act: str) -> Principal:
    """An investigator granted the act (a raised protected act is in no one's scope)."""
    from dadkhahi.access.grants import grant
    from dadkhahi.access.users import add_user

    named = add_user(store, "investigator", Role.INVESTIGATOR, "SYNTHETIC pass 3", "tester")
    grant(store, act, named, "tester")
    return Principal(user_id=named, username="investigator", role=Role.INVESTIGATOR)


def test_erasing_the_source_of_a_raised_act_redacts_its_words_from_the_ledger(
        store: Store) -> None:
    store, ids = _raised(store)
    try:
        # The attack after 0004: the words as first written are in the clear events.
        told = [ev.index for ev in _bodies(store) if any(w in ev.body for w in WORDS)]
        assert len(told) == 2
        with store.reading() as conn:
            leaves = {i: ledger_log.get_event(conn, i).leaf_hash for i in told}
            root = ledger_log.root(conn, store.size())
        size = store.size()

        erase_source(store, ids["witness"], "SYNTHETIC witness asked", "tester")

        events = _bodies(store)
        assert [ev.index for ev in events if any(w in ev.body for w in WORDS)] == []
        redactions = [json.loads(ev.body)["data"] for ev in events
                      if ev.type == REDACTION_EVENT]
        # What a protected act's event seals (an act.changed's ``changed`` too).
        words = ["date_earliest", "date_latest", "date_text", "description"]
        assert [(r["index"], r["leaf_hash"], r["fields"], r["reason"]) for r in redactions] == [
            (told[0], leaves[told[0]].hex(), words, "source-erased"),
            (told[1], leaves[told[1]].hex(), ["changed", *words], "source-erased")]
        for i in told:  # the husk keeps the act's ID, kind and level; the leaf is kept
            husk = json.loads(events[i].body)
            assert husk["data"]["id"] == ids["told"] and husk["data"]["description"] is None
            assert husk["redacted"]["fields"] == redactions[told.index(i)]["fields"]
            assert events[i].leaf_hash == leaves[i] and events[i].redacted
        with store.reading() as conn:  # the tree up to then is the same tree
            assert ledger_log.root(conn, size) == root
        assert _findings(store) == []  # the replay of the husks gives the same tables
        # No row, no export, no byte of the database files holds the words.
        with store.reading() as conn:
            dump = repr([tuple(r) for t in s.metadata.sorted_tables
                         for r in conn.execute(select(t))]).encode()
        assert not any(w in dump for w in WORDS)
        # One granted the act reads its events, the husks marked redacted.
        exported = list(export_events(store, _granted(store, ids["told"])))
        assert not any(w in json.dumps(exported).encode() for w in WORDS)
        assert [line["index"] for line in exported if line.get("redacted")] == told
        files = database_files(store)
        assert not any(w in files for w in WORDS)
    finally:
        store.engine.dispose()


def test_a_proof_of_a_redacted_event_proves_its_leaf_and_says_it_is_redacted(
        store: Store, tmp_path: Path) -> None:
    store, ids = _raised(store)
    try:
        told = next(ev.index for ev in _bodies(store) if WORDS[0] in ev.body)
        erase_source(store, ids["witness"], "SYNTHETIC witness asked", "tester")
        with store.reading() as conn:
            size, note = ledger_log.latest_checkpoint(conn) or (0, "")
            event = ledger_log.get_event(conn, told)
            proof = ledger_log.inclusion_proof(conn, told, size)
        bundle = json.loads(json.dumps(make_bundle(told, event.body, proof, note,
                                                   event.leaf_hash)))
        assert bundle["redacted"]["fields"][-1] == "description"
        assert bundle["leaf_hash"] == event.leaf_hash.hex() and WORDS[0] not in event.body
        # Checked offline: the leaf is in the log; the body is not what is proven.
        with pytest.raises(VerificationError, match="redacted"):
            verify_bundle(bundle, store.verifier_key())
        assert verify_bundle(bundle, store.verifier_key(), allow_redacted=True).size == size
        # Another leaf with the husk: not in the log.
        forged = {**bundle, "leaf_hash": "00" * 32}
        with pytest.raises(VerificationError, match="inclusion"):
            verify_bundle(forged, store.verifier_key(), allow_redacted=True)
        # The offline verifier a court bundle carries (standard library, the kit): the
        # proof passes, its event read as redacted; the forged one does not.
        from dadkhahi.cases.bundle_verify import check_proofs
        from dadkhahi.offline import kit

        for name, document, ok in (("good", bundle, True), ("forged", forged, False)):
            folder = tmp_path / name / "data"
            (folder / "proofs").mkdir(parents=True)
            (folder / "checkpoint.txt").write_text(note, "utf-8")
            (folder / "proofs" / f"{told}.json").write_text(json.dumps(document), "utf-8")
            problems: list[str] = []
            _, proven = check_proofs(folder.parent, kit.Verifier(store.verifier_key()),
                                     problems)
            assert (problems == [] and proven[told]["redacted"]["by"] > told) is ok, problems
    finally:
        store.engine.dispose()


def test_the_command_line_exports_and_proves_a_redacted_event_as_redacted(
        store: Store, tmp_path: Path) -> None:
    """``ledger export`` marks the husk, ``ledger prove`` proves its stored leaf and
    ``ledger verify-proof`` (offline, the key only) passes it saying the body is not what
    is proven; ``ledger verify`` passes."""
    from typer.testing import CliRunner

    from dadkhahi.cli.main import app

    store, ids = _raised(store)
    try:
        told = next(ev.index for ev in _bodies(store) if WORDS[0] in ev.body)
        erase_source(store, ids["witness"], "SYNTHETIC witness asked", "tester")
        key = store.verifier_key()
    finally:
        store.engine.dispose()
    home = ["--home", str(store.home.path)]

    def run(*args: str) -> str:
        done = CliRunner().invoke(app, [*home, *args], env={"COLUMNS": "300"})
        assert done.exit_code == 0, done.output
        return done.output

    run("ledger", "export", "--out", str(tmp_path / "events.jsonl"))
    lines = [json.loads(x) for x in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert lines[told]["redacted"] is True and WORDS[0].decode() not in json.dumps(lines)
    run("ledger", "prove", str(told), "--out", str(tmp_path / "proof.json"))
    said = run("ledger", "verify-proof", str(tmp_path / "proof.json"), "--key", key)
    assert "OK" in said and "the event is redacted" in said and "not the body" in said
    assert "OK" in run("ledger", "verify")


def _set_body(store: Store, index: int, body: bytes) -> None:
    with store.engine.begin() as conn:
        conn.execute(update(s.ledger_events).where(s.ledger_events.c.idx == index)
                     .values(body=body))


def test_a_body_changed_without_a_redaction_event_is_a_finding(store: Store) -> None:
    """The tamper the redaction must not open: a body rewritten with no event.redacted
    (marked as redacted or not) stays a finding of ``ledger verify``."""
    store, _ = _raised(store)
    try:
        told = next(ev for ev in _bodies(store) if WORDS[0] in ev.body)
        _set_body(store, told.index, told.body.replace(b"MRKTOLDQ", b"MRKOTHERQ"))
        assert f"event {told.index}: body does not match its leaf hash" in _findings(store)
        # Marked as redacted by an event that is no event.redacted (the one before it).
        _set_body(store, told.index, redact_body(told.body, ["description"], told.index + 1,
                                                 "source-erased"))
        assert any(m.startswith(f"event {told.index}: redacted body") for m in _findings(store))
        _set_body(store, told.index, told.body)
        assert _findings(store) == []
    finally:
        store.engine.dispose()


def _erased_and_redacted(store: Store, ids: dict[str, str]
                         ) -> tuple[list[ledger_log.StoredEvent], ledger_log.StoredEvent, int]:
    """Erase the witness: the stored events, the first event.redacted and the index of
    the body it redacted; the ledger verifies."""
    erase_source(store, ids["witness"], "SYNTHETIC witness asked", "tester")
    events = _bodies(store)
    first = next(ev for ev in events if ev.type == REDACTION_EVENT)
    assert _findings(store) == []
    return events, first, int(json.loads(first.body)["data"]["index"])


def test_a_redaction_event_naming_another_leaf_hash_does_not_cover_a_body(
        store: Store) -> None:
    store, ids = _raised(store)
    try:
        events, first, named = _erased_and_redacted(store, ids)
        # The redaction event rewritten to name another leaf (its own hash then breaks,
        # and the body it covered is no longer covered): both are findings.
        data = json.loads(first.body)
        data["data"]["leaf_hash"] = "ab" * 32
        from dadkhahi.ledger.canonical import canonical_json

        _set_body(store, first.index, canonical_json(data))
        found = _findings(store)
        assert f"event {first.index}: body does not match its leaf hash" in found
        assert (f"event {named}: redacted body: its event.redacted names another event "
                "or leaf hash") in found
        # The husk's marker pointed at another redaction: a finding too.
        _set_body(store, first.index, first.body)
        husk = json.loads(events[named].body)
        husk["redacted"]["by"] = first.index + 1
        _set_body(store, named, canonical_json(husk))
        assert any(m.startswith(f"event {named}: redacted body") for m in _findings(store))
    finally:
        store.engine.dispose()


def test_a_redacted_body_s_kept_fields_cannot_change_unseen(store: Store) -> None:
    """The tamper a redaction could otherwise open: a redacted body no longer hashes to
    its leaf, so before the fix anything it kept (the act's ID, kind, place, time) could be
    rewritten and ``ledger verify`` accepted it as long as the marker and the nulls were
    right. Its event.redacted records the digest of what it keeps."""
    from dadkhahi.ledger.canonical import canonical_json

    store, ids = _raised(store)
    try:
        events, _first, named = _erased_and_redacted(store, ids)
        husk = json.loads(events[named].body)
        husk["data"]["id"] = "act_SYNTHETICotherQ"  # another act's, say
        _set_body(store, named, canonical_json(husk))
        assert (f"event {named}: redacted body: what it keeps differs from what its "
                "event.redacted recorded") in _findings(store)
        _set_body(store, named, events[named].body)
        assert _findings(store) == []
    finally:
        store.engine.dispose()


def test_a_crash_in_the_middle_of_a_redaction_leaves_store_and_ledger_as_they_were(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The charter: a crash in the middle of a write leaves the store and the ledger
    consistent. The erasure fails after its first event is redacted: no key is destroyed,
    no body changed, and the erasure done again redacts both."""
    from dadkhahi.store import redact as redact_module

    store, ids = _raised(store)
    try:
        before = _bodies(store)
        calls: list[int] = []
        real = redact_module.redact_body

        def crash(body: bytes, *args: object, **kwargs: object) -> bytes:
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("SYNTHETIC crash while redacting")
            return real(body, *args, **kwargs)  # type: ignore[arg-type]

        with monkeypatch.context() as crashing, pytest.raises(RuntimeError, match="SYNTHETIC"):
            crashing.setattr(redact_module, "redact_body", crash)
            erase_source(store, ids["witness"], "SYNTHETIC witness asked", "tester")
        assert len(calls) == 2 and _bodies(store) == before and _findings(store) == []
        with store.reading() as conn:
            assert conn.execute(select(s.erasures)).first() is None
        erase_source(store, ids["witness"], "SYNTHETIC witness asked", "tester")
        assert not any(w in ev.body for ev in _bodies(store) for w in WORDS)
        assert _findings(store) == []
    finally:
        store.engine.dispose()


def _before_0006(store: Store) -> None:
    """The home as the revision before 0006 left it (0006 changes no table)."""
    from alembic.script import ScriptDirectory

    from dadkhahi.store.migrate import alembic_config

    before = ScriptDirectory.from_config(alembic_config()).get_revision("0006").down_revision
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": before})


def test_revision_0006_redacts_the_words_of_an_act_erased_before_it(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The attack before this code: the source of a raised act was erased (its raised key
    destroyed) and its first words stayed in clear in its events, the database files and
    any copy. Opening the home upgrades it: 0006 redacts them, counts only in the note."""
    from dadkhahi.intake import erasure
    from dadkhahi.store.migrate import HEAD_REVISION, current_revision

    store, ids = _raised(store)
    with monkeypatch.context() as before:  # the erasure as it was: nothing redacted
        before.setattr(erasure, "erased_acts_in_clear", lambda *_: {})
        erase_source(store, ids["witness"], "SYNTHETIC witness asked", "tester")
    assert len([ev for ev in _bodies(store) if any(w in ev.body for w in WORDS)]) == 2
    _before_0006(store)
    home = store.home
    store.engine.dispose()
    store = Store.open(home)
    try:
        assert current_revision(store.engine) == HEAD_REVISION
        assert store.upgraded is not None and store.upgraded.acts_redacted == 2
        assert store.upgraded.clear_links_erased == 0
        assert not any(w in ev.body for ev in _bodies(store) for w in WORDS)
        assert _findings(store) == []
        assert not any(w in database_files(store) for w in WORDS)
    finally:
        store.engine.dispose()
    reopened = Store.open(home)  # nothing more to do
    try:
        assert reopened.upgraded is None
    finally:
        reopened.engine.dispose()


def test_revision_0006_erases_a_link_an_unsealed_case_kept_in_clear_of_a_fact_not_public(
        store: Store) -> None:
    """Before 4e19ea7 an unsealed case linked a protected act, its note in clear in the row
    and the ``case.linked`` event. 0006 erases it (row and event), as the erasure erases a
    sealed link, with the marks kept in clear on its element: the case counts them; a
    link of a public fact and a mark of another element stay."""
    from dadkhahi.cases.case import Scope, add_charge, create_case, link_fact, load_case
    from dadkhahi.cases.gaps import gap_marks, mark_gap
    from dadkhahi.domain.vocab import (
        ActType,
        Credibility,
        Direction,
        GapStatus,
        Reliability,
        Sensitivity,
    )
    from dadkhahi.facts.entities import create_act, create_person
    from dadkhahi.store.store import utc_now

    with store.transaction("tester") as tx:
        suspect = create_person(tx, "SYNTHETIC Official Quv", synthetic=True)
        hidden, known = (create_act(tx, ActType.EXECUTION, description=f"SYNTHETIC {words}",
                                    sensitivity=level)
                         for words, level in (("told in confidence", Sensitivity.PROTECTED),
                                              ("published", Sensitivity.PUBLIC)))
    case = create_case(store, "analyst", "SYNTHETIC case from before 4e19ea7",
                       Scope((suspect,), (hidden, known)), sealed=False)
    charge = add_charge(store, "analyst", case, suspect, "national-murder", "murder",
                        "instigator")
    kept = link_fact(store, "analyst", case, charge, "1", "act", known,
                     reliability=Reliability.C, credibility=Credibility.POSSIBLY_TRUE,
                     how="SYNTHETIC public note", direction=Direction.INCRIMINATING)
    with store.transaction("analyst") as tx:  # what link_fact wrote before 4e19ea7
        tx.emit("case.linked", {
            "id": "caselink_old", "case_id": case, "charge_id": charge,
            "linked_by": tx.actor, "linked_at": utc_now(),
            "link": {"element_id": "1", "fact_kind": "act", "fact_id": hidden,
                     "reliability": "C", "credibility": "3", "how": "SYNTHETIC NOTEQZ quoted",
                     "direction": "incriminating"}})
    # Marks kept in clear: one on the element of the old link (may quote the fact), one
    # on another element (stays).
    quoting = mark_gap(store, "analyst", case, charge, "1", GapStatus.INVESTIGATING,
                       "SYNTHETIC MARKQZ quoting it")
    other = mark_gap(store, "analyst", case, charge, "2", GapStatus.INVESTIGATING,
                     "SYNTHETIC another element")
    assert any(b"NOTEQZ" in ev.body for ev in _bodies(store))  # the attack
    _before_0006(store)
    home = store.home
    store.engine.dispose()
    store = Store.open(home)
    try:
        assert store.upgraded is not None and store.upgraded.clear_links_erased == 1
        assert store.upgraded.clear_marks_erased == 1
        with store.reading() as conn:
            opened = load_case(store, conn, case)
            marks = gap_marks(store, conn, opened)
            row = conn.execute(select(s.case_links.c.link).where(
                s.case_links.c.id == "caselink_old")).scalar_one()
        assert [lk.id for lk in opened.links] == [kept] and opened.erased_links == [
            "caselink_old"] and row is None
        assert opened.erased_marks == [quoting]
        assert [m.id for m in marks.values()] == [other]
        assert not any(w in ev.body for ev in _bodies(store) for w in (b"NOTEQZ", b"MARKQZ"))
        assert _findings(store) == []
        files = database_files(store)
        assert b"NOTEQZ" not in files and b"MARKQZ" not in files
    finally:
        store.engine.dispose()


def test_the_command_opening_the_home_says_how_many_events_0006_redacted(
        store: Store, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from old_homes import run_status

    from dadkhahi.intake import erasure

    store, ids = _raised(store)
    with monkeypatch.context() as before:
        before.setattr(erasure, "erased_acts_in_clear", lambda *_: {})
        erase_source(store, ids["witness"], "SYNTHETIC witness asked", "tester")
    _before_0006(store)
    home = store.home
    store.engine.dispose()
    code, _, err = run_status(home, monkeypatch, capsys)
    assert code in (0, None), err
    assert err.strip().splitlines()[-1] == (
        "note: the upgrade redacted from the ledger 2 event(s) holding in clear the words of "
        "acts whose source was erased"), err
    assert not any(v in err for v in ids.values()) and "MRK" not in err


def test_a_redaction_no_signed_checkpoint_covers_does_not_cover_a_body(
        store: Store) -> None:
    """The forgery the redaction path opened (attack35b): one with write access to the
    database rewrites a body a signed checkpoint covers (here who wrote it) and appends,
    after the latest signed checkpoint, an ``event.redacted`` of its own naming that
    body's index, stored leaf and ``kept`` digest; the tail needs no key (tree nodes and
    head are recomputed by ``ledger_log.append``), so ``ledger verify`` accepted the
    forged body. A redaction is signed in its own transaction: one that no signed
    checkpoint covers covers no body."""
    from dadkhahi.ledger.canonical import canonical_json
    from dadkhahi.ledger.events import encode_event
    from dadkhahi.ledger.redaction import kept_digest

    store, ids = _raised(store)
    try:
        _erased_and_redacted(store, ids)
        target = _bodies(store)[1]  # signed long before
        forged = json.loads(target.body)
        forged["actor"] = "actor_SYNTHETICforgedQ"
        with store.engine.begin() as conn:
            size, _ = ledger_log.head(conn, lock=True)
            kept = kept_digest(canonical_json(forged))
            record = encode_event(REDACTION_EVENT, {
                "index": target.index, "type": target.type,
                "leaf_hash": target.leaf_hash.hex(), "fields": [],
                "reason": "source-erased", "kept": kept}, "actor_SYNTHETICforgedQ",
                "2026-12-05T04:30:00Z")
            ledger_log.append(conn, size, [record], [REDACTION_EVENT])
        _set_body(store, target.index, canonical_json(
            {**forged, "redacted": {"by": size, "fields": [], "reason": "source-erased"}}))
        assert (f"event {target.index}: redacted body: its event.redacted is covered by no "
                "signed checkpoint") in _findings(store)
    finally:
        store.engine.dispose()
