"""Figures published by others are claims of their sources, shown with them, never ours.

Sources and the act are SYNTHETIC here (the demo carries the real, cited ones).
"""

from __future__ import annotations

from datetime import date

import pytest

from dadkhahi.access.disclosure import Audience, bind, condition
from dadkhahi.domain.dates import DateRange
from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import ActType, Sensitivity, SourceKind
from dadkhahi.facts import entities
from dadkhahi.facts.entities import Support
from dadkhahi.facts.figures import add_published_figure, figure_value, published_figures
from dadkhahi.intake.sources import register_source
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store


def test_figures_stand_with_their_sources_and_the_public_sees_only_public_ones(
        store: Store) -> None:
    with store.transaction("t") as tx:
        book = register_source(store, tx, SourceSpec("SYNTHETIC book", SourceKind.DOCUMENT,
                                                     Sensitivity.PUBLIC))
        paper = register_source(store, tx, SourceSpec("SYNTHETIC paper", SourceKind.ARTICLE,
                                                      Sensitivity.PUBLIC))
        notes = register_source(store, tx, SourceSpec("SYNTHETIC notes", SourceKind.DOCUMENT,
                                                      Sensitivity.RESTRICTED))
        act = entities.create_act(tx, ActType.EXTRAJUDICIAL_KILLING,
                                  sensitivity=Sensitivity.PUBLIC)
        add_published_figure(tx, act, {"at_least": 3200, "what": "names listed"},
                             [Support(book)], date=DateRange(date(1999, 1, 1),
                                                             date(1999, 12, 31), "1999"))
        add_published_figure(tx, act, 30000, [Support(paper), Support(book)])
        add_published_figure(tx, act, "thousands", [Support(paper)])
        add_published_figure(tx, act, {"at_least": 2800, "at_most": 3800}, [Support(book)])
        add_published_figure(tx, act, 12, [Support(notes)])  # restricted by its source
    public = Audience.public()
    with store.reading() as conn:
        everything = published_figures(conn)
        shown = published_figures(conn, where=condition(public, s.claims), params=bind(public))
    assert len(everything) == 5
    assert [(f.text(), f.sources, f.date_text) for f in shown] == [
        ("more than 3,200 names listed", (book,), "1999"),
        ("about 30,000", (paper, book), None),
        ("thousands", (paper,), None),
        ("2,800 to 3,800", (book,), None),
    ]


def test_a_value_that_is_not_a_figure_is_refused_naming_the_field(store: Store) -> None:
    for value, field in ((True, "value"), ({"about": 3}, "'about'"),
                         ({"approximately": -1}, "value.approximately"),
                         ({"at_least": 4000, "at_most": 3000}, "at_least is more"),
                         ({"qualifier": "estimate"}, "give approximately"),
                         ({"words": " "}, "value.words"), ([3], "value")):
        with pytest.raises(ValidationError, match=field):
            figure_value(value)
    with store.transaction("t") as tx:
        src = register_source(store, tx, SourceSpec("SYNTHETIC", SourceKind.DOCUMENT,
                                                    Sensitivity.PUBLIC))
    size = store.size()
    with pytest.raises(NotFoundError), store.transaction("t") as tx:
        add_published_figure(tx, "act_missing", 10, [Support(src)])
    assert store.size() == size
