"""Full-text search on both stores: the same hits as a reference matcher, phrases and
prefixes, snippets cut from the exact text, and what a reader may not see never matched,
shown or counted (a protected testimony's words move no public score)."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Select, select, text

from dadkhahi.access import grants, users
from dadkhahi.access.policy import Principal, Role, params, visible
from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.documents import extract_items
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.search.engine import search
from dadkhahi.search.grams import COMMON, JOIN
from dadkhahi.search.index import pairs_ready
from dadkhahi.search.query import parse
from dadkhahi.search.tokens import tokenize
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

# Synthetic texts (invented people; Evin and Gohardasht named as places only).
TEXTS = {
    "a": "SYNTHETIC: Ali Rezaei was held in Evin prison in the summer of 1988.",
    "b": "SYNTHETIC: the prison at Gohardasht; families of prisoners were not told.",
    "c": "گزارش ساختگی: علي رضائي در زندان اوین بود. خانواده‌ها در ۱۳۶۷ خبر نداشتند.",
    "d": "گزارش ساختگی: زندانیان سیاسی در گوهردشت. Evin is named here too.",
    "e": "SYNTHETIC list of 3,200 names published in 1999; prisoners held in Evin.",
}
QUERIES = ["evin", "prison", "pris*", '"held in evin"', "evin prisoners", "علی",
           "خانواده‌ها", "۱۳۶۷", "زندان*", '"زندانیان سیاسی"', "3200", "1988 evin", "nothing"]


def _store_texts(store: Store, tmp_path: Path, texts: dict[str, str], level: Sensitivity,
                 title: str) -> tuple[str, dict[str, str]]:
    paths = []
    for name, body in texts.items():
        path = tmp_path / f"{title}-{name}.txt"
        path.write_text(body + "\n", "utf-8")
        paths.append(path)
    report = add_evidence(store, paths, Receipt(actor="tester"),
                          new_source=SourceSpec(title=f"SYNTHETIC {title}", sensitivity=level))
    ids = {p.stem.split("-")[1]: item for p, item in report.added}
    extract_items(store, list(ids.values()), "tester")
    assert report.source_id is not None
    return report.source_id, ids


def _reference(texts: dict[str, str], q: str) -> set[str]:
    """Which texts hold every term: a plain matcher over the same tokens."""
    query = parse(q)
    found = set()
    for name, body in texts.items():
        words = [t.text for t in tokenize(body)]
        ok = True
        for term in query.terms:
            n = len(term.tokens)
            ok &= any(
                words[i:i + n - 1] == list(term.tokens[:-1])
                and (words[i + n - 1].startswith(term.tokens[-1]) if term.prefix
                     else words[i + n - 1] == term.tokens[-1])
                for i in range(len(words) - n + 1))
        if ok:
            found.add(name)
    return found


def test_same_hits_as_the_reference_with_exact_snippets(store: Store, tmp_path: Path) -> None:
    _, ids = _store_texts(store, tmp_path, TEXTS, Sensitivity.PUBLIC, "public")
    names = {v: k for k, v in ids.items()}
    for q in QUERIES:
        result = search(store, None, q, limit=50)
        assert {names[h.item_id] for h in result.hits} == _reference(TEXTS, q), q
        for hit in result.hits:
            page = TEXTS[names[hit.item_id]]
            assert page[hit.offset:hit.offset + len(hit.snippet)] == hit.snippet
            assert hit.page == 1 and hit.highlights
    # The snippet marks the words exactly as the document spells them (Arabic yeh here).
    [hit] = search(store, None, "علی").hits
    assert [hit.snippet[a:b] for a, b in hit.highlights] == ["علي"]
    [hit] = search(store, None, '"was held in evin"').hits
    assert [hit.snippet[a:b] for a, b in hit.highlights] == ["was held in Evin"]


def test_bad_queries_are_refused_clearly(store: Store) -> None:
    for q in ("", "  ...  ", "x" * 501):
        with pytest.raises(ValidationError):
            search(store, None, q)


def test_protected_words_never_appear_or_count_for_a_reader_without_the_grant(
    store: Store, tmp_path: Path,
) -> None:
    _, public = _store_texts(store, tmp_path, {"p": "SYNTHETIC: the zanjir report on Evin."},
                             Sensitivity.PUBLIC, "pub")
    researcher = users.add_user(store, "reader", Role.RESEARCHER, "correct horse battery 9!",
                                "tester")
    holder = users.add_user(store, "holder", Role.INVESTIGATOR, "correct horse battery 9!",
                            "tester")
    reader = Principal(user_id=researcher, username="reader", role=Role.RESEARCHER)
    granted = Principal(user_id=holder, username="holder", role=Role.INVESTIGATOR)
    viewer = Principal(user_id=None, role=None)
    before = search(store, reader, "zanjir").hits
    assert [h.item_id for h in before] == [public["p"]]
    # A phrase with a common word, matched and ranked through its pair lexeme.
    phrase = search(store, viewer, '"the zanjir"').hits
    assert [h.item_id for h in phrase] == [public["p"]]
    testimony = ("SYNTHETIC testimony: the zanjir, the zanjir, the zanjir, said witness "
                 "Qarabaghi.")
    source, hidden = _store_texts(store, tmp_path, {"t": testimony}, Sensitivity.PROTECTED,
                                  "testimony")
    _store_texts(store, tmp_path, {"r": "SYNTHETIC restricted zanjir memo."},
                 Sensitivity.RESTRICTED, "team")
    grants.grant(store, source, "holder", "tester")
    # Not matched, not shown, and not counted: the public hit's score is unchanged.
    for who in (reader, viewer):
        assert search(store, who, "qarabaghi").hits == []
    after = search(store, viewer, "zanjir").hits
    assert [(h.item_id, h.score) for h in after] == [(h.item_id, h.score) for h in before]
    after = search(store, viewer, '"the zanjir"').hits
    assert [(h.item_id, h.score) for h in after] == [(h.item_id, h.score) for h in phrase]
    assert {h.item_id for h in search(store, reader, "zanjir").hits} >= {public["p"]}
    assert hidden["t"] not in {h.item_id for h in search(store, reader, "zanjir").hits}
    # The holder of the grant finds it, with a snippet from the decrypted text.
    found = {h.item_id: h for h in search(store, granted, "qarabaghi").hits}
    assert hidden["t"] in found and "Qarabaghi" in found[hidden["t"]].snippet
    # And by a phrase of a common word: its pairs are keyed like its words.
    found = {h.item_id: h for h in search(store, granted, '"the zanjir"').hits}
    assert set(found) == {public["p"], hidden["t"]}
    assert "the zanjir" in found[hidden["t"]].snippet
    with store.reading() as conn:
        stored = conn.execute(select(s.search_segments.c.tokens).where(
            s.search_segments.c.item_id == hidden["t"])).scalar_one()
    assert "zanjir" not in stored and JOIN not in stored  # hashes only, pairs too
    # Prefixes cannot reach protected rows (their tokens are keyed hashes); it is said.
    result = search(store, granted, "qaraba*")
    assert result.hits == [] and result.notes


def _corpus(n: int, words: int, head: tuple[str, ...] = ()) -> dict[str, str]:
    """Seeded SYNTHETIC documents: a few words in most of them, many words in few (the
    ``head`` words, if any, the most frequent)."""
    rng = random.Random(15)
    vocab = [*head, *(f"w{i:03d}" for i in range(300 - len(head)))]
    weights = [1 / (rank + 1) for rank in range(len(vocab))]  # Zipf: w000 is everywhere
    return {f"d{n:03d}": "SYNTHETIC " + " ".join(rng.choices(vocab, weights, k=words))
            for n in range(n)}


def test_rare_common_phrase_and_prefix_queries_find_the_same_hits_on_both_stores(
    store: Store, tmp_path: Path,
) -> None:
    texts = _corpus(40, 150)
    _, ids = _store_texts(store, tmp_path, texts, Sensitivity.PUBLIC, "corpus")
    names = {v: k for k, v in ids.items()}
    first = texts["d000"].split(" ")
    queries = {"rare": "w250", "common": "w000", "phrase": f'"{first[3]} {first[4]}"',
               "common phrase": '"w000 w001"', "prefix": "w01*", "two words": "w000 w007"}
    for label, q in queries.items():
        expected = _reference(texts, q)
        assert expected, label
        found = [names[h.item_id] for h in search(store, None, q, limit=100).hits]
        assert sorted(found) == sorted(expected), label
        # The top of a common word's list is a subset, best first, no row twice.
        top = search(store, None, q, limit=5).hits
        assert len(top) == min(5, len(expected)) and len({h.item_id for h in top}) == len(top)
        assert [h.score for h in top] == sorted((h.score for h in top), reverse=True), label


def test_phrases_of_common_words_find_the_same_hits_on_both_stores_through_their_pairs(
    store: Store, tmp_path: Path,
) -> None:
    """A phrase holding a common word is found through its pair lexeme (two words: the
    pair alone; more: the pairs, then the phrase), with the hits of a plain matcher, on
    both stores; a phrase without a common word and a prefix as before."""
    texts = _corpus(40, 150, head=("the", "و", "of", "در"))
    _, ids = _store_texts(store, tmp_path, texts, Sensitivity.PUBLIC, "grams")
    names = {v: k for k, v in ids.items()}
    first = texts["d000"].split(" ")
    at = next(i for i in range(1, len(first) - 3) if first[i] in COMMON
              and first[i + 1] not in COMMON and first[i + 2] not in COMMON)
    queries = {
        "two common": '"the و"', "common then rare": f'"{first[at]} {first[at + 1]}"',
        "rare then common": f'"{first[at - 1]} {first[at]}"',
        "three, one pair unpaired": f'"{first[at]} {first[at + 1]} {first[at + 2]}"',
        "three common": '"the the و"', "no common": f'"{first[at + 1]} {first[at + 2]}"',
        "prefix after common": f'"{first[at]} {first[at + 1][:3]}"*',
        "pair and word": '"the و" w010',
    }
    for label, q in queries.items():
        expected = _reference(texts, q)
        assert expected, label
        found = [names[h.item_id] for h in search(store, None, q, limit=100).hits]
        assert sorted(found) == sorted(expected), label
        for hit in search(store, None, q, limit=3).hits:
            assert hit.highlights, label  # the phrase marked in the exact text
    # Through the pairs: the index says it holds them, and the query asks for them.
    with store.reading() as conn:
        assert pairs_ready(conn)
    assert parse('"the و"').written().fts5 == f'"the{JOIN}و"'
    assert parse('"the و"').written(pairs=False).fts5 == '"the و"'


def test_a_page_saying_the_word_more_often_ranks_higher_on_both_stores(
    store: Store, tmp_path: Path,
) -> None:
    texts = {"once": "SYNTHETIC zanjir " + "filler " * 20,
             "thrice": "SYNTHETIC zanjir zanjir zanjir " + "filler " * 18}
    _, ids = _store_texts(store, tmp_path, texts, Sensitivity.PUBLIC, "rank")
    hits = search(store, None, "zanjir").hits
    assert [h.item_id for h in hits] == [ids["thrice"], ids["once"]]
    assert hits[0].score > hits[1].score > 0


@pytest.fixture
def pg_store(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """A fresh store on PostgreSQL only."""
    from dadkhahi.store.home import ENV_DATABASE_URL, Home

    monkeypatch.setenv(ENV_DATABASE_URL, pg_url)
    store = Store.init(Home(tmp_path / "home"), "test.dadkhahi.local/ledger", "tester")
    yield store
    store.engine.dispose()


def _index_plan(conn: Connection, sql: str) -> str:
    """PostgreSQL's plan of ``sql`` with sequential scans, bitmap scans and sorts ruled
    out: a few rows make a scan and a sort of every match cheapest, and what is asked is
    whether the index can give the rows in order (GIN cannot: its plan still sorts)."""
    for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
        conn.execute(text(f"SET LOCAL {setting} = off"))
    plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + sql).scalars())
    for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
        conn.execute(text(f"RESET {setting}"))
    return plan


def _sorts_every_match(plan: str) -> bool:
    """Whether a plan has a (full) Sort node: the matches sorted, not taken in the
    index's order (an Incremental Sort, which orders runs of equal distances, is not)."""
    return any(re.match(r"(->\s+)?Sort\s+\(", line.strip()) for line in plan.splitlines())


def _engine_sql(q: str, items: Select[Any] | None, bind: dict[str, str]) -> str:
    """The engine's PostgreSQL statement for ``q``, values written in."""
    from sqlalchemy.dialects import postgresql

    from dadkhahi.search.engine import postgres_params, postgres_statement

    values = postgres_params(parse(q))
    stmt = postgres_statement(["public"], items, 20, checked="ts_check" in values).params(
        **values, **bind)
    return str(stmt.compile(dialect=postgresql.dialect(),
                            compile_kwargs={"literal_binds": True}))


def test_postgresql_ranks_from_the_index_without_reading_rows(
        pg_store: Store, tmp_path: Path) -> None:
    """PostgreSQL matches on the stored ``tsv`` column and takes the best hits, in order,
    from its RUM index (``Order By`` on the index scan): ranking a common word no longer
    reads and sorts every matching row's vector, as ``ts_rank`` over GIN did (319 ms at
    5,000 documents). The visibility filter still applies to what comes out, before the
    limit."""
    store = pg_store
    _, ids = _store_texts(store, tmp_path, TEXTS, Sensitivity.PUBLIC, "public")
    reader = Principal(user_id="usr_reader", username="reader", role=Role.RESEARCHER)
    sql = _engine_sql("evin", select(s.items.c.id).where(visible(reader, s.items)),
                      params(reader))
    with store.reading() as conn:
        plain = "\n".join(conn.exec_driver_sql("EXPLAIN " + sql).scalars())
        plan = _index_plan(conn, sql)
        stored = conn.execute(text(
            "SELECT count(*) FROM search_segments "
            "WHERE tsv = to_tsvector('simple'::regconfig, tokens)")).scalar_one()
        rows = conn.execute(text("SELECT count(*) FROM search_segments")).scalar_one()
    assert "to_tsvector" not in plain and "ts_rank" not in plain, plain
    assert "Index Scan using ix_search_segments_tsv" in plan, plan
    assert "Order By: (tsv <=>" in plan and not _sorts_every_match(plan), plan
    # Ties by ID: an incremental sort on the index's order, not a sort of every match,
    # over a bounded number of the index's best matches: a Limit under it, which tells
    # the planner how few rows are wanted (without it, an OFFSET 0 fence, it costed every
    # match and chose a scan and a sort of all of them for a phrase on half the pages).
    assert "Incremental Sort" in plan and "Presorted Key: " in plan, plan
    below = plan[plan.index("Incremental Sort"):]
    assert re.search(r"->\s+Limit\b", below), plan
    assert below.index("Limit") < below.index("Order By: (tsv <=>"), plan
    assert stored == rows == 5
    found = {h.item_id for h in search(store, reader, "evin").hits}
    assert found == {ids[n] for n in _reference(TEXTS, "evin")} and len(found) == 3


def test_postgresql_matches_a_phrase_and_ranks_by_its_words(
        pg_store: Store, tmp_path: Path) -> None:
    """A phrase of two words that are in every document: RUM computes the ordering
    distance of every matching row before the limit, and a phrase's distance took 6.3-7.9 s
    at 20,000 documents, its words' AND 379 ms. So the index condition is the phrase (the
    hit set stays the phrase's, as on SQLite) and the order is the AND of its words."""
    store = pg_store
    texts = _corpus(40, 150)
    _, ids = _store_texts(store, tmp_path, texts, Sensitivity.PUBLIC, "corpus")
    names = {v: k for k, v in ids.items()}
    q = '"w000 w001"'
    expected = _reference(texts, q)
    both = [n for n in texts if {"w000", "w001"} <= set(texts[n].split(" "))]
    assert len(both) == len(texts) > len(expected) > 20  # common words, a real filter
    with store.reading() as conn:
        plan = _index_plan(conn, _engine_sql(q, None, {}))
    assert "Index Scan using ix_search_segments_tsv" in plan, plan
    assert not _sorts_every_match(plan), plan
    assert "Index Cond: (tsv @@ '''w000'' <-> ''w001'''::tsquery)" in plan, plan
    assert "Order By: (tsv <=> '''w000'' & ''w001'''::tsquery)" in plan, plan
    found = [names[h.item_id] for h in search(store, None, q, limit=100).hits]
    assert sorted(found) == sorted(expected)
    top = search(store, None, q, limit=5).hits
    assert {names[h.item_id] for h in top} <= expected and len(top) == 5
    assert [h.score for h in top] == sorted((h.score for h in top), reverse=True)


def test_postgresql_finds_a_phrase_of_common_words_by_its_pair(
        pg_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two words on every page met side by side on most: stop 26's plan matched the
    phrase by the positions of both words and ranked every match (3.0-3.5 s p50 at
    100,000 pages). Now the index is asked for the pair lexeme alone, ordered by it (the
    phrase's own count), and the statistics know it as a lexeme: a pair on most pages is
    ranked among its first matches. A phrase of three words is found by its pairs and each
    row the index gives is checked as the phrase, not asked of the index again."""
    from dadkhahi.search import engine

    monkeypatch.setattr(engine, "COMMON_CANDIDATES", 10, raising=False)
    store = pg_store
    texts = _corpus(40, 150, head=("the", "و"))
    _, ids = _store_texts(store, tmp_path, texts, Sensitivity.PUBLIC, "grams")
    names = {v: k for k, v in ids.items()}
    _analyzed(store)
    pair = f"the{JOIN}و"
    with store.reading() as conn:
        plan = _index_plan(conn, _engine_sql('"the و"', None, {}))
        assert engine.very_common(conn, parse('"the و"'), None)
        assert not engine.very_common(conn, parse('"the و"'), None, pairs=False)
        assert not engine.very_common(conn, parse('"the و the"'), None)  # checked
        three = "\n".join(conn.exec_driver_sql("EXPLAIN " + _engine_sql(
            '"the و the"', None, {})).scalars())
    assert f"Index Cond: (tsv @@ '''{pair}'''::tsquery)" in plan, plan
    assert f"Order By: (tsv <=> '''{pair}'''::tsquery)" in plan, plan
    assert "ts_match_vq(tsv, '''the'' <-> ''و'' <-> ''the'''::tsquery)" in three, three
    assert f"'''{pair}'' & ''و{JOIN}the'''" in three, three
    expected = _reference(texts, '"the و"')
    assert len(texts) > len(expected) > 20  # on most pages, not all
    result = search(store, None, '"the و"', limit=5)
    assert {names[h.item_id] for h in result.hits} <= expected and len(result.hits) == 5
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits),
                                                     reverse=True)


def _analyzed(store: Store) -> None:
    """PostgreSQL's statistics of the index rows, as autovacuum would gather them."""
    if store.engine.dialect.name == "postgresql":
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE search_segments"))


def _capped_corpus(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   ) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """40 pages stored and analysed with both caps set to 10: the texts, the page name of
    each item ID, and the page names in the index's order (segment ID)."""
    from dadkhahi.search import engine

    monkeypatch.setattr(engine, "CANDIDATES", 10, raising=False)
    monkeypatch.setattr(engine, "COMMON_CANDIDATES", 10, raising=False)
    texts = _corpus(40, 150)
    _, ids = _store_texts(store, tmp_path, texts, Sensitivity.PUBLIC, "corpus")
    names = {v: k for k, v in ids.items()}
    _analyzed(store)
    with store.reading() as conn:
        order = [names[i] for i in conn.execute(select(s.search_segments.c.item_id)
                                                  .order_by(s.search_segments.c.id)).scalars()]
    return texts, names, order


def test_a_word_on_more_pages_than_are_ranked_is_ranked_among_its_first_matches(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A query matching more pages than CANDIDATES (SQLite; COMMON_CANDIDATES for a very
    common query on PostgreSQL) ranks the first ones in index order (the oldest first)
    and says so; fewer matches are all ranked, as before. Before, every match was ranked
    whatever their number (190 ms for a word on each of 100,000 pages on PostgreSQL), and
    no note said anything."""
    from dadkhahi.search import engine

    texts, names, order = _capped_corpus(store, tmp_path, monkeypatch)
    for q in ("w000", "w001 w000"):
        matches = [n for n in order if n in _reference(texts, q)]
        result = search(store, None, q, limit=5)
        found = [names[h.item_id] for h in result.hits]
        assert len(matches) > 10, q
        # The best of the first ten matches, best first, and the note.
        assert set(found) <= set(matches[:10]) and len(found) == 5, q
        assert result.notes == [engine.capped_note(10)], q
        assert "10 or more pages match" in result.notes[0]
        assert [h.score for h in result.hits] == sorted(
            (h.score for h in result.hits), reverse=True), q
    # A rare word: every match ranked, no note, the reference's hits.
    result = search(store, None, "w250", limit=100)
    assert {names[h.item_id] for h in result.hits} == _reference(texts, "w250")
    assert result.notes == []


def test_a_capped_query_shows_the_same_page_after_its_rows_are_moved(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A capped query ranks its first candidates by ID on both stores, so the same query
    on the same rows gives the same hits in the same order even after the rows are
    written elsewhere on disk (PostgreSQL: a rewrite of the table, an update, a
    synchronised scan starting mid-table; the IDs stay). Before, PostgreSQL ranked the
    first matches its scan gave, in the heap's order: a table rewritten in another order
    showed another page."""
    from dadkhahi.search import engine

    texts, names, order = _capped_corpus(store, tmp_path, monkeypatch)
    matches = [n for n in order if n in _reference(texts, "w000")]
    assert len(matches) > 10

    def page() -> list[tuple[str, float]]:
        result = search(store, None, "w000", limit=5)
        assert result.notes == [engine.capped_note(10)]
        return [(names[h.item_id], h.score) for h in result.hits]

    before = page()
    assert {n for n, _ in before} <= set(matches[:10]) and len(before) == 5
    assert page() == before  # the same query again
    # The rows written again (PostgreSQL: the table rewritten in item ID order, not the
    # rows' IDs; SQLite: each row rewritten in place, its rowid kept).
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("CLUSTER search_segments USING ix_search_segments_item_id"))
            first = [names[i] for i in conn.execute(text(
                "SELECT item_id FROM search_segments LIMIT 10")).scalars()]
            assert first != order[:10]  # the heap's order is no longer the IDs'
        else:
            conn.execute(text("UPDATE search_segments SET tokens = tokens"))
    _analyzed(store)
    assert page() == before


def test_ties_at_the_cut_are_broken_by_id_however_far_they_run(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Twelve pages of one text: every hit has the same score, so the page of 3 is the
    3 rows of smallest ID (both stores). PostgreSQL reads the index's best 2 x limit
    matches first; the run of equal distances goes on past them, so it reads more (4
    times as many, then every match) until the run ends among the rows read: the same
    3 as when every match is read at once, before and after the rows are moved."""
    from dadkhahi.search import engine

    # One word apart (their own number, of one length): twelve files, the same score.
    texts = {f"t{n:02d}": f"SYNTHETIC the same words evin prison n{n:02d}" for n in range(12)}
    _store_texts(store, tmp_path, texts, Sensitivity.PUBLIC, "ties")
    _analyzed(store)
    with store.reading() as conn:
        first = list(conn.execute(select(s.search_segments.c.item_id)
                                  .order_by(s.search_segments.c.id).limit(3)).scalars())

    def page() -> list[str | None]:
        hits = search(store, None, "evin", limit=3).hits
        assert len({h.score for h in hits}) == 1
        return [h.item_id for h in hits]

    assert len(first) == 3 and page() == first
    monkeypatch.setattr(engine, "FETCH_MAX", 5)  # straight to every match
    assert page() == first
    monkeypatch.undo()
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("CLUSTER search_segments USING ix_search_segments_item_id"))
    assert page() == first


def test_postgresql_ranks_a_very_common_query_from_a_bounded_set_of_rows(
        pg_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The column's statistics tell a very common query (even its rarest word on half the
    pages or more) from the rest; its plan ranks the first COMMON_CANDIDATES matches only, not
    ordered by the RUM index (which computes the distance of every match first: 190 ms for
    a word on each of 100,000 pages). A rare word, a prefix and a phrase keep the exact
    plan, ordered by the index."""
    from sqlalchemy.dialects import postgresql

    from dadkhahi.search import engine

    monkeypatch.setattr(engine, "CANDIDATES", 10, raising=False)
    monkeypatch.setattr(engine, "COMMON_CANDIDATES", 10, raising=False)
    store = pg_store
    texts = _corpus(40, 150)
    _store_texts(store, tmp_path, texts, Sensitivity.PUBLIC, "corpus")
    _analyzed(store)
    with store.reading() as conn:
        assert engine.very_common(conn, parse("w000"), None)
        assert engine.very_common(conn, parse("w001 w000"), None)
        # A phrase: the statistics know words, not how often they meet.
        assert not engine.very_common(conn, parse('"w000 w001"'), None)
        assert not engine.very_common(conn, parse("w250"), None)  # on a few pages
        assert not engine.very_common(conn, parse("w000 w250"), None)  # its rarest word
        assert not engine.very_common(conn, parse("w00*"), None)  # a prefix: not known
        stmt = engine.postgres_statement(["public"], None, 5, capped=True).params(
            **engine.postgres_params(parse("w000")))
        sql = str(stmt.compile(dialect=postgresql.dialect(),
                               compile_kwargs={"literal_binds": True}))
        plan = "\n".join(conn.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql)
                         .scalars())
    # The rows ranked are the candidates (ten), not every match.
    assert "CTE Scan on candidates (actual rows=10 loops=1)" in plan, plan
    assert "Order By: (tsv <=>" not in plan, plan


def test_postgresql_breaks_ties_by_id_so_a_rewrite_keeps_the_page(
        pg_store: Store, tmp_path: Path) -> None:
    """Pages of equal rank (the word once, at the same place, in pages of one length):
    RUM gives equal distances in the heap's order, so which of them made the top five
    changed when the table was written in another order (CLUSTER, VACUUM FULL, an
    update). Now ties are broken by ID, as on SQLite and in the capped query: the same
    query on the same rows gives the same page, the lowest IDs of the tied."""
    store = pg_store
    texts = {f"t{n:02d}": f"SYNTHETIC zanjir tie{n:02d}" for n in range(30)}
    _, ids = _store_texts(store, tmp_path, texts, Sensitivity.PUBLIC, "ties")
    names = {v: k for k, v in ids.items()}
    with store.reading() as conn:
        order = [names[i] for i in conn.execute(select(s.search_segments.c.item_id)
                                                  .order_by(s.search_segments.c.id)).scalars()]

    def page() -> list[str]:
        hits = search(store, None, "zanjir", limit=5).hits
        assert len({h.score for h in hits}) == 1  # all tied
        return [names[h.item_id] for h in hits]

    assert page() == order[:5]
    with store.engine.begin() as conn:
        conn.execute(text("CLUSTER search_segments USING ix_search_segments_item_id"))
        heap = [names[i] for i in conn.execute(text(
            "SELECT item_id FROM search_segments")).scalars()]
    assert heap[:5] != order[:5]  # the heap's order is no longer the IDs'
    assert page() == order[:5]
