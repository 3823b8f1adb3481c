"""The demo case world, built once per module (intake is not free)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from case_world import World

from dadkhahi.cases.bundle import write_bundle
from dadkhahi.demo.case import build_demo_case
from dadkhahi.domain.vocab import PlaceKind
from dadkhahi.facts.entities import create_place
from dadkhahi.store.home import ENV_DATABASE_URL, Home
from dadkhahi.store.store import Store


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The demo case on SQLite, with its court bundle written once."""
    mp = pytest.MonkeyPatch()
    mp.delenv(ENV_DATABASE_URL, raising=False)
    tmp = tmp_path_factory.mktemp("case-world")
    store = Store.init(Home(tmp / "home"), "cases.test/ledger", "tester")
    with store.transaction("tester") as tx:
        evin = create_place(tx, "Evin Prison", PlaceKind.PRISON)
    demo = build_demo_case(store, "analyst", evin)
    bundle = write_bundle(store, "lawyer", demo.case_id, tmp / "bundle",
                          recipient="SYNTHETIC Court of Demo")
    yield World(store, demo, bundle)
    store.engine.dispose()
    mp.undo()
