"""A testimony divided into segments, each marked direct or hearsay, with translations
kept beside them: the original words never change, a bad segment refuses the whole call
naming it, and a protected testimony's segments and translations are sealed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake import testimonies as tm
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

# SYNTHETIC passages (invented witness, invented events).
PASSAGES = [
    tm.SegmentSpec("SYNTHETICPASSAGEQX من خودم دیدم که او را بردند.", "direct", 0.0, 12.5),
    tm.SegmentSpec("SYNTHETICPASSAGEQX برادرم گفت که اعدامش کردند.", "hearsay", 12.5, 20.0),
]


def test_segments_keep_their_words_and_marks_and_translations_sit_beside_them(
        store: Store) -> None:
    made = tm.add_testimony(store, tm.TestimonySpec(title="SYNTHETIC interview"), "t")
    ids = tm.add_segments(store, made["pseudonym"], PASSAGES, "t")
    english = "SYNTHETICTRANSLATIONQX My brother said they executed him."
    tm.add_translation(store, ids[1], "en", english, "t", translator="SYNTHETIC translator")
    tm.add_translation(store, ids[1], "de", "SYNTHETICTRANSLATIONQX Mein Bruder sagte…", "t")
    more = tm.add_segments(store, made["testimony_id"], [
        tm.SegmentSpec("SYNTHETICPASSAGEQX پایان.", "direct")], "t")
    with store.reading() as conn:
        shown = tm.testimony_details(store, conn, made["testimony_id"])
        raw = conn.execute(select(s.testimony_segments)).mappings().all()
        bodies = b"".join(bytes(b) for b in conn.execute(select(s.ledger_events.c.body))
                          .scalars())
    segments = shown["segments"]
    assert [g["id"] for g in segments] == [*ids, *more] and [g["seq"] for g in segments] == [
        0, 1, 2]
    # The original words exactly as given, never replaced by a translation.
    assert [g["text"] for g in segments[:2]] == [p.text for p in PASSAGES]
    assert [g["knowledge"] for g in segments] == ["direct", "hearsay", "direct"]
    assert (segments[1]["start"], segments[1]["end"]) == (12.5, 20.0)
    assert [tr["language"] for tr in segments[1]["translations"]] == ["en", "de"]
    assert segments[1]["translations"][0]["text"] == english
    assert segments[0]["translations"] == []
    # Protected by default: sealed in the rows and the ledger.
    assert {r["sensitivity"] for r in raw} == {str(Sensitivity.PROTECTED)}
    assert all(r["text"] == "[protected]" and r["knowledge"] == "[protected]" for r in raw)
    assert b"SYNTHETICPASSAGEQX" not in bodies and b"SYNTHETICTRANSLATIONQX" not in bodies


def test_a_bad_segment_refuses_the_whole_call_naming_it(store: Store) -> None:
    made = tm.add_testimony(store, tm.TestimonySpec(
        title="SYNTHETIC interview", sensitivity=Sensitivity.RESTRICTED), "t")
    bad = [PASSAGES[0], tm.SegmentSpec("SYNTHETIC", "rumour")]
    with pytest.raises(ValidationError, match="segment 2: knowledge 'rumour'"):
        tm.add_segments(store, made["testimony_id"], bad, "t")
    with pytest.raises(ValidationError, match="segment 1: end comes before start"):
        tm.add_segments(store, made["testimony_id"], [tm.SegmentSpec("x", "direct", 5, 1)],
                        "t")
    with pytest.raises(NotFoundError):
        tm.add_translation(store, "seg_missing", "en", "x", "t")
    with store.reading() as conn:
        assert conn.execute(select(s.testimony_segments)).first() is None
    [sid] = tm.add_segments(store, made["testimony_id"], [PASSAGES[0]], "t")
    with store.reading() as conn:
        row = conn.execute(select(s.testimony_segments)).mappings().one()
    assert row["id"] == sid and row["text"] == PASSAGES[0].text and row["sealed"] is None


def test_erasing_a_testimony_leaves_none_of_its_words_readable(store: Store) -> None:
    """The attack: a witness withdraws and the source is erased, yet the segments and
    translations, each sealed under a key of its own, still open. Erasing the testimony
    destroys every key, so nothing of it opens any more."""
    made = tm.add_testimony(store, tm.TestimonySpec(title="SYNTHETICTITLEQX interview"), "t")
    ids = tm.add_segments(store, made["testimony_id"], PASSAGES, "t")
    tm.add_translation(store, ids[0], "en", "SYNTHETICTRANSLATIONQX I saw it myself.", "t")
    other = tm.add_testimony(store, tm.TestimonySpec(title="SYNTHETIC other"), "t")
    kept = tm.add_segments(store, other["testimony_id"], PASSAGES[:1], "t")

    def readable(testimony_id: str) -> list[str]:
        with store.reading() as conn:
            shown = tm.testimony_details(store, conn, testimony_id)
        texts: list[str] = []
        for g in shown["segments"]:
            texts += [] if g.get("erased") else [str(g["text"])]
            texts += [str(tr["text"]) for tr in g["translations"] if not tr.get("erased")]
        return texts

    assert any("SYNTHETICTRANSLATIONQX" in t for t in readable(made["testimony_id"]))
    assert len(readable(made["testimony_id"])) == 3
    indices = tm.erase_testimony(store, made["pseudonym"], "SYNTHETIC withdrawal", "t")
    # its source (the title), two segments and a translation: four keys, one event each
    # (this testimony has no sealed field of its own besides the title)
    assert len(indices) == 4
    assert readable(made["testimony_id"]) == []
    with store.reading() as conn:
        source = conn.execute(select(s.sources).where(
            s.sources.c.id == made["source_id"])).mappings().one()
        assert store.keys.unseal(conn, source["sealed"], source["id"]) is None
        kinds = list(conn.execute(select(s.ledger_events.c.type).where(
            s.ledger_events.c.idx.in_(indices))).scalars())
        # Another witness's testimony is untouched.
        untouched = tm.testimony_details(store, conn, other["testimony_id"])
    assert kinds == ["key.destroyed"] * 4
    assert [g["id"] for g in untouched["segments"]] == kept
    assert untouched["segments"][0]["text"] == PASSAGES[0].text
    public = tm.add_testimony(store, tm.TestimonySpec(
        title="SYNTHETIC public", sensitivity=Sensitivity.PUBLIC), "t")
    with pytest.raises(ValidationError, match="not protected"):
        tm.erase_testimony(store, public["testimony_id"], "SYNTHETIC", "t")


def test_erasing_a_testimony_erases_what_was_told_from_it(store: Store) -> None:
    """The attack: a witness withdraws and ``testimonies erase`` runs; before the fix it
    destroyed the testimony's own keys only, so an act written from the testimony (its
    description quotes her), a claim it supports and a case link's note on that act still
    read in full. Erasing a testimony is now its source's erasure: every fact told from
    it goes, its case link too, and a fact told by another source stays."""
    from typer.testing import CliRunner

    from dadkhahi.access.grants import grant
    from dadkhahi.access.policy import Principal, Role
    from dadkhahi.access.reads import RESOURCES, get_object
    from dadkhahi.access.users import add_user
    from dadkhahi.cli.main import app as cli_app
    from dadkhahi.domain.sources import SourceSpec
    from dadkhahi.domain.vocab import ActType, EntityKind
    from dadkhahi.facts.entities import Support, add_claim, create_person
    from dadkhahi.intake.sources import register_source
    from dadkhahi.services.objects import record_act
    from dadkhahi.store.verify import verify_ledger

    made = tm.add_testimony(store, tm.TestimonySpec(
        title="SYNTHETIC interview", witness_name="SYNTHETICWITNESSQX"), "t")
    tm.add_segments(store, made["testimony_id"], PASSAGES[:1], "t")
    witness = made["source_id"]
    protected = Sensitivity.PROTECTED
    with store.transaction("t") as tx:
        other = register_source(store, tx, SourceSpec(title="SYNTHETIC report",
                                                      sensitivity=protected))
        person = create_person(tx, "SYNTHETIC person", sensitivity=protected)
        claim = add_claim(tx, EntityKind.PERSON, person, "fate", "SYNTHETICCLAIMQX hanged",
                          [Support(witness)], sensitivity=protected)
    user = add_user(store, "investigator", Role.INVESTIGATOR, "SYNTHETIC pass 1", "t")
    for scope in (witness, other, person):
        grant(store, scope, user, "t")
    admin = Principal(user_id=user, username="investigator", role=Role.INVESTIGATOR)
    told = record_act(store, admin, ActType.EXECUTION, Support(witness), place_id=None,
                      date=None, description="SYNTHETICACTQX as she saw it",
                      sensitivity=protected)["id"]
    kept = record_act(store, admin, ActType.EXECUTION, Support(other), place_id=None,
                      date=None, description="SYNTHETICKEPTQX as the report says",
                      sensitivity=protected)["id"]
    assert "SYNTHETICACTQX" in str(get_object(store, admin, RESOURCES["acts"], told))

    out = CliRunner().invoke(cli_app, ["--home", str(store.home.path), "testimonies",
                                       "erase", made["pseudonym"], "--reason",
                                       "SYNTHETIC withdrawal"])
    assert out.exit_code == 0, out.output

    shown = get_object(store, admin, RESOURCES["acts"], told)
    assert shown.get("erased") is True, shown  # before the fix: the act read in full
    assert "SYNTHETICACTQX" not in str(shown)
    assert "SYNTHETICKEPTQX" in str(get_object(store, admin, RESOURCES["acts"], kept))
    with store.reading() as conn:
        sealed = conn.execute(select(s.claims.c.sealed).where(
            s.claims.c.id == claim)).scalar_one()
        assert store.keys.unseal(conn, sealed, claim) is None  # before: it opened
        assert verify_ledger(conn, store.verifier_key()).ok
