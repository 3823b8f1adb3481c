"""Full-text search on both stores: the same hits as a reference matcher, phrases and
prefixes, snippets cut from the exact text, and what a reader may not see never matched,
shown or counted (a protected testimony's words move no public score)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dadkhahi.access import grants, users
from dadkhahi.access.policy import Principal, Role
from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.documents import extract_items
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.search.engine import search
from dadkhahi.search.query import parse
from dadkhahi.search.tokens import tokenize
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
    testimony = "SYNTHETIC testimony: zanjir zanjir zanjir, said witness Qarabaghi."
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
    assert {h.item_id for h in search(store, reader, "zanjir").hits} >= {public["p"]}
    assert hidden["t"] not in {h.item_id for h in search(store, reader, "zanjir").hits}
    # The holder of the grant finds it, with a snippet from the decrypted text.
    found = {h.item_id: h for h in search(store, granted, "qarabaghi").hits}
    assert hidden["t"] in found and "Qarabaghi" in found[hidden["t"]].snippet
    # Prefixes cannot reach protected rows (their tokens are keyed hashes); it is said.
    result = search(store, granted, "qaraba*")
    assert result.hits == [] and result.notes


def test_postgresql_matches_and_ranks_on_the_stored_vector(
        pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL reads the stored ``tsv`` column under its GIN index: no row's tokens are
    parsed again at query time (the plan that took 15 s at 1,000 documents did)."""
    from sqlalchemy import text
    from sqlalchemy.dialects import postgresql

    from dadkhahi.search.engine import postgres_statement
    from dadkhahi.store.home import ENV_DATABASE_URL, Home

    monkeypatch.setenv(ENV_DATABASE_URL, pg_url)
    store = Store.init(Home(tmp_path / "home"), "test.dadkhahi.local/ledger", "tester")
    try:
        _, ids = _store_texts(store, tmp_path, TEXTS, Sensitivity.PUBLIC, "public")
        stmt = postgres_statement(["public"], None, 20).params(ts_query=parse("evin").tsquery())
        sql = str(stmt.compile(dialect=postgresql.dialect(),
                               compile_kwargs={"literal_binds": True}))
        with store.reading() as conn:
            plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + sql).scalars())
            # Five rows make a sequential scan cheapest; forbid it to see the index serve.
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            served = "\n".join(conn.exec_driver_sql(
                "EXPLAIN SELECT id FROM search_segments "
                "WHERE tsv @@ to_tsquery('simple'::regconfig, 'evin')").scalars())
            stored = conn.execute(text(
                "SELECT count(*) FROM search_segments "
                "WHERE tsv = to_tsvector('simple'::regconfig, tokens)")).scalar_one()
            rows = conn.execute(text("SELECT count(*) FROM search_segments")).scalar_one()
        assert "to_tsvector" not in plan and "tsv @@" in plan, plan
        assert "ix_search_segments_tsv" in served, served
        assert stored == rows == 5
        found = {h.item_id for h in search(store, None, "evin").hits}
        assert found == {ids[n] for n in _reference(TEXTS, "evin")} and len(found) == 3
    finally:
        store.engine.dispose()
