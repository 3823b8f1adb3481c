"""Same lists, settings and decisions: same persons, review queue and estimate in any home.

Record ids are random at import, so two homes holding the same lists give every
record another id; nothing the model decides may depend on them. The demo's
SYNTHETIC lists (2,000-odd records, four scripts and spellings) are imported,
linked and estimated in two fresh homes and compared by what the lists
themselves say: list and the list's own record id.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dadkhahi.demo.lists import ListsOutcome, import_link_estimate
from dadkhahi.linkage.clusters import DEFAULT_THRESHOLD
from dadkhahi.linkage.service import decide, run_linkage
from dadkhahi.linkage.store_io import latest_run, load_records
from dadkhahi.linkage.views import linked_records, review_queue
from dadkhahi.store import schema as s
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store

Key = tuple[str, str]  # (list title, the list's own record id)


def _fresh_store(path: Path) -> Store:
    return Store.init(Home(path), "determinism.test/ledger", "tester")


def _keys(store: Store) -> dict[str, Key]:
    frame = linked_records(store)
    with store.reading() as conn:
        titles = dict(conn.execute(select(s.sources.c.id, s.sources.c.title)).all())
    return {
        rid: (str(titles[src]), str(ext))
        for rid, src, ext in zip(frame["record_id"], frame["source_id"], frame["external_id"],
                                 strict=True)
    }


def _partition(store: Store) -> set[frozenset[Key]]:
    keys = _keys(store)
    frame = linked_records(store)
    groups: dict[str, set[Key]] = {}
    for rid, person in zip(frame["record_id"], frame["person_id"], strict=True):
        groups.setdefault(str(person), set()).add(keys[rid])
    return {frozenset(g) for g in groups.values()}


def _queue(store: Store) -> list[tuple[frozenset[Key], float]]:
    keys = _keys(store)
    return [(frozenset((keys[p.left["id"]], keys[p.right["id"]])), p.probability)
            for p in review_queue(store)]


def _run(store: Store) -> dict[str, Any]:
    with store.reading() as conn:
        run = latest_run(conn, "model")
    assert run is not None
    return run


@pytest.fixture(scope="module")
def two_homes(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[tuple[Store, ListsOutcome]]]:
    homes = []
    for name in ("first", "second"):
        store = _fresh_store(tmp_path_factory.mktemp(name) / "home")
        homes.append((store, import_link_estimate(store, "tester")))
    yield homes
    for store, _ in homes:
        store.engine.dispose()


def test_two_fresh_homes_give_the_same_persons_queue_and_estimate(
    two_homes: list[tuple[Store, ListsOutcome]],
) -> None:
    (a, out_a), (b, out_b) = two_homes
    ids_a = set(load_records(a)["record_id"])
    assert not ids_a & set(load_records(b)["record_id"])  # the ids differ, home to home
    assert _partition(a) == _partition(b)
    queue = _queue(a)
    assert len(queue) > 50 and queue == _queue(b)
    assert (out_a.persons, out_a.review, out_a.documented) == (
        out_b.persons, out_b.review, out_b.documented)
    assert (round(out_a.estimate), [round(x) for x in out_a.interval]) == (
        round(out_b.estimate), [round(x) for x in out_b.interval])
    run_a, run_b = _run(a), _run(b)
    assert run_a["model"] == run_b["model"]
    assert run_a["provenance"] == run_b["provenance"]


def _weighed(store: Store, table: Any) -> set[tuple[Any, ...]]:
    """The latest run's stored pairs of ``table`` by list keys, with their weights."""
    keys = _keys(store)
    run = _run(store)
    c = table.c
    with store.reading() as conn:
        rows = conn.execute(select(c.record_a, c.record_b, c.probability, c.weight, c.fields)
                            .where(c.run_id == run["id"])).all()
    return {(frozenset((keys[a], keys[b])), p, w, tuple(sorted((f or {}).items())))
            for a, b, p, w, f in rows}


def test_two_homes_store_the_same_weight_for_each_field_of_each_kept_pair(
    two_homes: list[tuple[Store, ListsOutcome]],
) -> None:
    (a, _), (b, _) = two_homes
    links, review = _weighed(a, s.person_links), _weighed(a, s.link_review)
    assert links == _weighed(b, s.person_links)
    assert review == _weighed(b, s.link_review)
    model = _run(a)["model"]
    prior = math.log2(model["probability_two_random_records_match"]
                      / (1 - model["probability_two_random_records_match"]))
    names = [c["output_column_name"] for c in model["comparisons"]]
    assert len(links) > 100 and len(review) > 50
    for _pair, _p, weight, fields in links | review:
        bits = dict(fields)
        assert set(bits) == set(names)  # every comparison, the names included
        # The fields (each to 0.001 bit) and the prior add up to the pair's weight.
        assert abs(prior + sum(bits.values()) - weight) <= 0.0005 * (len(bits) + 1) + 1e-9
    assert any(dict(f)["given_name"] > 0 and dict(f)["family_name"] > 0 for *_, f in links)
    # A person's links are a spanning tree of its records: one fewer than its records,
    # and every record reached.
    by_record = {k: p for p, group in enumerate(_partition(a)) for k in group}
    per_person: dict[int, list[frozenset[Key]]] = {}
    for pair, *_ in links:
        (one, other) = tuple(pair)
        assert by_record[one] == by_record[other]
        per_person.setdefault(by_record[one], []).append(pair)
    for person, pairs in per_person.items():
        reached = set().union(*pairs)
        assert len(pairs) == len(reached) - 1, person


def test_two_homes_keep_the_same_capture_table_and_diagnostics(
    two_homes: list[tuple[Store, ListsOutcome]],
) -> None:
    # The estimate's own table (aggregate, no record id) and its LCMCR diagnostics.
    kept = []
    for store, _ in two_homes:
        e = s.estimates.c
        with store.reading() as conn:
            kept.append(conn.execute(select(e.capture, e.diagnostics, e.inputs_sha256)
                                     .order_by(e.ledger_index)).first())
    assert kept[0] is not None and kept[0].capture is not None
    assert kept[0] == kept[1]
    assert {"seed", "iterations", "ess", "max_classes"} <= set(kept[0].diagnostics)


def test_the_run_records_seed_settings_versions_and_input_hashes(
    two_homes: list[tuple[Store, ListsOutcome]],
) -> None:
    store, _ = two_homes[0]
    provenance = _run(store)["provenance"]
    assert provenance["settings"]["seed"] == 1
    assert provenance["settings"]["threshold"] == DEFAULT_THRESHOLD
    assert {"python", "dadkhahi", "splink", "duckdb", "pandas"} <= set(provenance["software"])
    lists = provenance["inputs"]["lists"]
    with store.reading() as conn:
        hashes = set(conn.execute(select(s.list_imports.c.sha256)).scalars())
        event = conn.execute(
            select(s.ledger_events.c.body).where(s.ledger_events.c.type == "link.run")
        ).scalars().first()
    assert {x["sha256"] for x in lists} == hashes and len(lists) == 4
    assert sum(x["records"] for x in lists) == provenance["inputs"]["records"]
    assert len(provenance["inputs"]["model_input_sha256"]) == 64
    # The ledger event itself carries it (the table is its projection).
    body = json.loads(event)["data"]
    assert json.loads(body["provenance_json"]) == provenance


def test_a_rerun_that_changes_nothing_changes_no_id(
    two_homes: list[tuple[Store, ListsOutcome]],
) -> None:
    store, _ = two_homes[1]
    before = dict(linked_records(store)[["record_id", "person_id"]].to_numpy().tolist())
    again = run_linkage(store, "tester")
    assert (again.new_persons, again.assigned, again.moved, again.claims_added,
            again.claims_retired) == (0, 0, 0, 0, 0)
    assert dict(linked_records(store)[["record_id", "person_id"]].to_numpy().tolist()) == before


def test_decisions_give_the_same_persons_in_both_homes(
    two_homes: list[tuple[Store, ListsOutcome]],
) -> None:
    # The first three pairs of the queue, decided the same way in both homes.
    partitions = []
    for store, _ in two_homes:
        keys = _keys(store)
        for pair, answer in zip(review_queue(store, limit=3), ("same", "different", "same"),
                                strict=False):
            decide(store, "tester", pair.left["id"], pair.right["id"], answer)
        run_linkage(store, "tester")
        partitions.append(_partition(store))
        assert len(keys) == len(_keys(store))
    assert partitions[0] == partitions[1]
