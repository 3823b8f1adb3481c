"""A testimony's transcript and translations in the one full-text search, on both stores:
each hit with its segment's time code and language; a protected testimony's words never
matched, shown or counted for a reader without the grant; its index rows gone with its
erasure; passages recorded before they were indexed taken in by the reindex."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, func, select, text

from dadkhahi.access import grants, users
from dadkhahi.access.policy import Principal, Role
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake import testimonies as tm
from dadkhahi.intake.documents import extract_items
from dadkhahi.intake.erasure import erase_source
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.search.engine import search
from dadkhahi.search.index import hash_token
from dadkhahi.search.tokens import tokenize
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

# SYNTHETIC passages (invented witness, invented events); the Q-words are markers.
SEGMENTS = [
    tm.SegmentSpec("SYNTHETIC: من او را در راهرو دیدم، qzalpha در دستش بود.", "direct",
                   12.0, 18.5),
    tm.SegmentSpec("SYNTHETIC: برادرم گفت که او را به گوهردشت بردند.", "hearsay"),
]
TRANSLATION = "SYNTHETIC: My brother said they took him to Gohardasht, qzbravo."


def _person(store: Store, name: str, role: Role) -> Principal:
    user = users.add_user(store, name, role, "correct horse battery 9!", "tester")
    return Principal(user_id=user, username=name, role=role)


def _testimony(store: Store, level: Sensitivity, language: str = "fa") -> dict[str, str]:
    made = tm.add_testimony(store, tm.TestimonySpec(
        title="SYNTHETIC interview", language=language, sensitivity=level), "tester")
    ids = tm.add_segments(store, made["testimony_id"], SEGMENTS, "tester")
    made["translation"] = tm.add_translation(store, ids[1], "en", TRANSLATION, "tester")
    made["first"], made["second"] = ids
    return made


def test_passages_are_found_with_their_time_code_and_language(store: Store) -> None:
    made = _testimony(store, Sensitivity.PUBLIC)
    # A segment: its time code, the testimony's language, the exact words marked.
    [hit] = search(store, None, "qzalpha").hits
    assert hit.passage is not None and hit.item_id is None and hit.page is None
    p = hit.passage
    assert (p.testimony_id, p.segment_id, p.translation_id) == (
        made["testimony_id"], made["first"], None)
    assert (p.seq, p.start, p.end, p.language) == (0, 12.0, 18.5, "fa")
    assert hit.source_id == made["source_id"]
    assert SEGMENTS[0].text[hit.offset:hit.offset + len(hit.snippet)] == hit.snippet
    assert [hit.snippet[a:b] for a, b in hit.highlights] == ["qzalpha"]
    # A translation: its own language, its segment's place; a Persian word of the
    # segment it translates is found in the segment (no time code there).
    [hit] = search(store, None, '"took him to gohardasht"').hits
    assert hit.passage is not None
    assert (hit.passage.segment_id, hit.passage.translation_id, hit.passage.seq,
            hit.passage.language, hit.passage.start) == (
        made["second"], made["translation"], 1, "en", None)
    assert [hit.snippet[a:b] for a, b in hit.highlights] == ["took him to Gohardasht"]
    [hit] = search(store, None, "گوهردشت").hits
    assert hit.passage is not None and hit.passage.translation_id is None
    # The JSON the API and the CLI give.
    shown = search(store, None, "qzbravo").to_json()["hits"][0]
    assert shown["passage"] == {"testimony_id": made["testimony_id"],
                                "segment_id": made["second"],
                                "translation_id": made["translation"], "seq": 1,
                                "start": None, "end": None, "language": "en"}
    assert shown["item_id"] is None and shown["page"] is None


def test_a_protected_testimony_s_words_never_reach_a_reader_without_the_grant(
    store: Store, tmp_path: Path,
) -> None:
    """The leak reproduced: with passages indexed as the testimony's items are not, a
    protected or team-only testimony's words would be matched, shown and counted for
    everyone. Here a reader without the grant finds none of them, a public page's score
    is the same before and after, and the holder of the grant finds them with their time
    code, decrypted."""
    page = tmp_path / "page.txt"
    page.write_text("SYNTHETIC: a public report naming qzalpha once.\n", "utf-8")
    report = add_evidence(store, [page], Receipt(actor="tester"), new_source=SourceSpec(
        title="SYNTHETIC report", sensitivity=Sensitivity.PUBLIC))
    extract_items(store, [item for _, item in report.added], "tester")
    reader = _person(store, "reader", Role.RESEARCHER)
    holder = _person(store, "holder", Role.INVESTIGATOR)
    viewer = Principal(user_id=None, role=None)
    before = [(h.item_id, h.score) for h in search(store, viewer, "qzalpha").hits]
    assert len(before) == 1
    hidden = _testimony(store, Sensitivity.PROTECTED)
    team = _testimony(store, Sensitivity.RESTRICTED)
    grants.grant(store, hidden["source_id"], "holder", "tester")
    for who in (reader, viewer):
        for q in ("qzbravo", "qzalpha", '"took him to gohardasht"', "گوهردشت"):
            found = {h.passage.testimony_id for h in search(store, who, q).hits if h.passage}
            assert hidden["testimony_id"] not in found, (who.username, q)
            # A visitor from outside the team: neither testimony, nor any of its words.
            if who is viewer:
                assert found == set(), q
    assert search(store, viewer, "qzbravo").hits == []
    # Not counted: the public page's score is unchanged by the testimonies' words.
    assert [(h.item_id, h.score) for h in search(store, viewer, "qzalpha").hits] == before
    # The team sees the restricted testimony, not the protected one.
    found = {h.passage.testimony_id for h in search(store, reader, "qzbravo").hits
             if h.passage}
    assert found == {team["testimony_id"]}
    # The holder of the grant finds both, the protected one from its keyed hashes, the
    # snippet and time code opened from the sealed segment.
    hits = {h.passage.testimony_id: h for h in search(store, holder, "qzalpha").hits
            if h.passage}
    assert set(hits) == {hidden["testimony_id"], team["testimony_id"]}
    mine = hits[hidden["testimony_id"]]
    assert mine.passage is not None and (mine.passage.start, mine.passage.end) == (12.0, 18.5)
    assert "qzalpha" in mine.snippet and mine.passage.language == "fa"
    # At rest, a protected passage's row holds keyed hashes: no word, no text, no spans.
    with store.reading() as conn:
        rows = conn.execute(select(s.search_segments).where(
            s.search_segments.c.testimony_id == hidden["testimony_id"])).mappings().all()
    assert len(rows) == 3 and {r["partition"] for r in rows} == {f"p_{hidden['source_id']}"}
    assert all(r["text"] is None and r["spans"] is None for r in rows)
    assert not any("qz" in str(r["tokens"]) for r in rows)
    # Each row is checked by the rule, not only its partition: the team testimony's rows
    # moved into the public partition (where a wrong partition would put them) are still
    # not an outside visitor's hits. (Their weight in SQLite's bm25 statistics is kept
    # out by the partitions alone, checked above.)
    _move_to_public(store, team["testimony_id"])
    assert search(store, viewer, "qzbravo").hits == []
    assert [h.item_id for h in search(store, viewer, "qzalpha").hits] == [i for i, _ in before]
    found = {h.passage.testimony_id for h in search(store, reader, "qzbravo").hits
             if h.passage}
    assert found == {team["testimony_id"]}


def _move_to_public(store: Store, testimony_id: str) -> None:
    """Put a testimony's index rows in the public partition (and its FTS5 table)."""
    g = s.search_segments.c
    with store.engine.begin() as conn:
        rows = conn.execute(select(g.id, g.partition, g.tokens).where(
            g.testimony_id == testimony_id)).all()
        if conn.dialect.name == "sqlite":
            for row_id, partition, tokens in rows:
                old = f"search_fts_{partition}"
                conn.execute(text(f"INSERT INTO {old}({old}, rowid, tokens) "
                                  "VALUES ('delete', :i, :t)"), {"i": row_id, "t": tokens})
                conn.execute(text("INSERT INTO search_fts_public(rowid, tokens) "
                                  "VALUES (:i, :t)"), {"i": row_id, "t": tokens})
        conn.execute(s.search_segments.update().where(g.testimony_id == testimony_id)
                     .values(partition="public"))


def _marker_hash(store: Store, source_id: str, word: str) -> str:
    [token] = tokenize(word)
    return hash_token(store.keys.subkey(f"search-tokens {source_id}"), token.text)


def test_erasing_a_testimony_or_its_source_removes_its_index_rows(store: Store) -> None:
    """Erasure destroys the testimony's keys; its passages' index rows (keyed hashes of
    its words, which the master key would still let anyone test a guess against) must go
    too, whether the testimony or its whole source is erased: none is left in the table,
    in the FTS5 table or, on SQLite, in the home's files."""
    made = _testimony(store, Sensitivity.PROTECTED)
    other = _testimony(store, Sensitivity.PROTECTED)
    g = s.search_segments.c

    def left(testimony: dict[str, str]) -> tuple[int, int]:
        """(index rows of the testimony, rows holding its marker's keyed hash)"""
        marker = _marker_hash(store, testimony["source_id"], "qzbravo")
        with store.reading() as conn:
            rows = conn.execute(select(func.count()).where(
                g.testimony_id == testimony["testimony_id"])).scalar_one()
            marked = conn.execute(select(func.count()).where(
                g.tokens.contains(marker))).scalar_one()
            if conn.dialect.name == "sqlite":
                fts = f"search_fts_p_{testimony['source_id']}"
                marked += conn.execute(text(
                    f"SELECT count(*) FROM {fts} WHERE {fts} MATCH :m"),
                    {"m": marker}).scalar_one()
        if store.engine.dialect.name == "sqlite":
            home = b"".join(p.read_bytes() for p in sorted(store.home.path.rglob("*"))
                            if p.is_file())
            marked += home.count(marker.encode())
        return int(rows), int(marked)

    assert left(made)[0] == left(other)[0] == 3 and left(made)[1] >= 1
    tm.erase_testimony(store, made["pseudonym"], "SYNTHETIC withdrawal", "tester")
    assert left(made) == (0, 0)
    assert left(other)[0] == 3  # another witness's testimony untouched
    assert {h.passage.testimony_id for h in search(store, None, "qzbravo").hits
            if h.passage} == {other["testimony_id"]}
    erase_source(store, other["source_id"], "SYNTHETIC withdrawal", "tester")
    assert left(other) == (0, 0)
    assert search(store, None, "qzbravo").hits == []


def test_passages_recorded_before_they_were_indexed_are_indexed_again(store: Store) -> None:
    """``documents reindex`` (``index_unindexed``): segments and translations with no index
    row (a home made before passages were indexed) are indexed, the sealed ones opened;
    indexed ones are left as they are."""
    public = _testimony(store, Sensitivity.PUBLIC)
    hidden = _testimony(store, Sensitivity.PROTECTED)
    with store.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            for row_id, partition, tokens in conn.execute(select(
                    s.search_segments.c.id, s.search_segments.c.partition,
                    s.search_segments.c.tokens)).all():
                name = f"search_fts_{partition}"
                conn.execute(text(f"INSERT INTO {name}({name}, rowid, tokens) "
                                  "VALUES ('delete', :i, :t)"), {"i": row_id, "t": tokens})
        conn.execute(delete(s.search_segments))
    assert search(store, None, "qzalpha").hits == []
    assert tm.index_unindexed(store) == 6
    assert tm.index_unindexed(store) == 0
    found = {(h.passage.testimony_id, h.passage.segment_id, h.passage.start)
             for h in search(store, None, "qzalpha").hits if h.passage}
    assert found == {(public["testimony_id"], public["first"], 12.0),
                     (hidden["testimony_id"], hidden["first"], 12.0)}
    [hit] = [h for h in search(store, None, "qzbravo").hits
             if h.passage and h.passage.testimony_id == hidden["testimony_id"]]
    assert hit.passage is not None and hit.passage.translation_id == hidden["translation"]
