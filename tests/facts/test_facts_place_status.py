"""A site's status as dated, sourced claims; the place's column shows the latest accepted one.

Sources and places here are SYNTHETIC (invented titles and sites).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from dadkhahi.access.disclosure import Audience, bind, condition
from dadkhahi.access.policy import Principal, Role
from dadkhahi.domain.dates import DateRange
from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import PlaceKind, PlaceStatus, Sensitivity, SourceKind
from dadkhahi.facts import edits, entities
from dadkhahi.facts.entities import Support
from dadkhahi.facts.place_status import add_place_status, status_history
from dadkhahi.intake.sources import register_source
from dadkhahi.services.objects import add_place_status as add_status_as
from dadkhahi.services.objects import place_status_history
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger

ANALYST = Principal(user_id="usr_a", username="analyst", role=Role.ANALYST)
VIEWER = Principal(user_id="usr_v", username="viewer", role=Role.VIEWER)


def _when(text: str, lo: date, hi: date) -> DateRange:
    return DateRange(lo, hi, text)


@pytest.fixture
def world(store: Store) -> dict[str, str]:
    with store.transaction("t") as tx:
        ids = {
            "photos": register_source(store, tx, SourceSpec(
                "SYNTHETIC photographs", SourceKind.DOCUMENT, Sensitivity.PUBLIC)),
            "report": register_source(store, tx, SourceSpec(
                "SYNTHETIC report", SourceKind.DOCUMENT, Sensitivity.PUBLIC)),
            "team": register_source(store, tx, SourceSpec(
                "SYNTHETIC team notes", SourceKind.DOCUMENT, Sensitivity.RESTRICTED)),
            "site": entities.create_place(tx, "SYNTHETIC burial site", PlaceKind.BURIAL_SITE,
                                          status=PlaceStatus.INTACT),
            "hidden": entities.create_place(tx, "SYNTHETIC hidden site", PlaceKind.BURIAL_SITE,
                                            sensitivity=Sensitivity.RESTRICTED),
        }
    return ids


def _column(store: Store, place_id: str) -> str:
    with store.reading() as conn:
        return str(conn.execute(select(s.places.c.status)
                                .where(s.places.c.id == place_id)).scalar_one())


def test_the_column_shows_the_latest_accepted_claim_by_date_not_by_entry(
        store: Store, world: dict[str, str]) -> None:
    site = world["site"]
    with store.transaction("t") as tx:
        destroyed = add_place_status(tx, site, "destroyed", [Support(world["photos"])],
                                     date=_when("Dey 1387", date(2008, 12, 21), date(2009, 1, 19)))
        # Recorded later, but about 1988: older than the destruction.
        add_place_status(tx, site, PlaceStatus.INTACT, [Support(world["report"])],
                         date=_when("1988", date(1988, 1, 1), date(1988, 12, 31)))
        # Undated: counts as the oldest.
        add_place_status(tx, site, PlaceStatus.DAMAGED, [Support(world["report"])])
    assert _column(store, site) == "destroyed"
    with store.reading() as conn:
        history = status_history(conn, site)
    assert [h.status for h in history] == ["damaged", "intact", "destroyed"]
    assert [h.current for h in history] == [False, False, True]
    assert history[2].claim_id == destroyed and history[2].sources == (world["photos"],)
    assert history[2].date_text == "Dey 1387"
    with store.transaction("t") as tx:
        built = add_place_status(tx, site, "built_over", [Support(world["photos"]),
                                                          Support(world["report"])],
                                 date=_when("2020", date(2020, 1, 1), date(2020, 12, 31)))
    assert _column(store, site) == "built_over"
    # Retracting the current claim brings back the one before it; disputing it too.
    with store.transaction("t") as tx:
        edits.set_claim_status(tx, built, "retracted")
    assert _column(store, site) == "destroyed"
    with store.transaction("t") as tx:
        edits.set_claim_status(tx, destroyed, "disputed")
    assert _column(store, site) == "intact"
    with store.transaction("t") as tx:
        edits.set_claim_status(tx, destroyed, "corroborated")
    assert _column(store, site) == "destroyed"
    # The column is a projection of the events: a replay gives the same rows.
    with store.reading() as conn:
        assert verify_ledger(conn, store.verifier_key()).ok


def test_a_restricted_claim_never_shows_through_a_public_column_or_to_the_public(
        store: Store, world: dict[str, str]) -> None:
    site = world["site"]
    with store.transaction("t") as tx:
        add_place_status(tx, site, "damaged", [Support(world["photos"])],
                         date=_when("2005", date(2005, 1, 1), date(2005, 12, 31)))
        add_place_status(tx, site, "destroyed", [Support(world["team"])],
                         date=_when("2010", date(2010, 1, 1), date(2010, 12, 31)),
                         sensitivity=Sensitivity.PUBLIC)  # raised to its source's level
    assert _column(store, site) == "damaged"
    team = place_status_history(store, ANALYST, site)
    assert [(h.status, h.sensitivity) for h in team] == [("damaged", "public"),
                                                         ("destroyed", "restricted")]
    assert [h.status for h in place_status_history(store, VIEWER, site)] == ["damaged"]
    public = Audience.public()
    with store.reading() as conn:
        shown = status_history(conn, site, where=condition(public, s.claims),
                               params=bind(public))
    assert [h.status for h in shown] == ["damaged"] and shown[0].current
    # A restricted place: the team's claim counts; the viewer cannot see the place at all.
    with store.transaction("t") as tx:
        add_place_status(tx, world["hidden"], "destroyed", [Support(world["team"])])
    assert _column(store, world["hidden"]) == "destroyed"
    with pytest.raises(NotFoundError):
        place_status_history(store, VIEWER, world["hidden"])


def test_bad_status_or_unknown_place_or_source_changes_nothing(
        store: Store, world: dict[str, str]) -> None:
    size = store.size()
    for status in ("unknown", "burnt", ""):
        with pytest.raises(ValidationError, match="status must be one of intact, damaged"):
            add_status_as(store, ANALYST, world["site"], status, [Support(world["photos"])],
                          date=None)
    with pytest.raises(NotFoundError):
        add_status_as(store, ANALYST, "plc_missing", "destroyed", [Support(world["photos"])],
                      date=None)
    with pytest.raises(NotFoundError):
        add_status_as(store, ANALYST, world["site"], "destroyed", [Support("src_missing")],
                      date=None)
    with pytest.raises(ValidationError, match="supporting source"):
        add_status_as(store, ANALYST, world["site"], "destroyed", [], date=None)
    assert store.size() == size
    assert _column(store, world["site"]) == "intact"
    claim = add_status_as(store, ANALYST, world["site"], "built_over",
                          [Support(world["photos"])], date=None)
    assert claim["property"] == "status" and claim["value"] == "built_over"
    assert _column(store, world["site"]) == "built_over"
