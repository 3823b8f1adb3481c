"""Counts of the victims published by others: claims of their sources, never ours.

"3,200 names", "2,800 to 3,800", "30,000", "thousands": each published figure is a
claim about the act (property :data:`VICTIM_COUNT`) supported by the publication that
states it, dated when it was published, so the figures stand side by side with their
sources and apart from the system's own estimate (``analysis.estimates``, released by
``estimate.released``).

A figure's value is a small mapping, every key optional but one of the first four:
``approximately`` (a number), ``at_least`` / ``at_most`` (bounds, also together as a
range), ``words`` (a figure in words: "thousands"), ``what`` (what was counted when it
is not people killed: "names listed"), ``qualifier`` (the source's own caveat),
``attributed_to`` (the party the publication says gave the figure, in its words: "the
Iranian Resistance") and ``attributed_party`` (that party in the store: ``{"kind":
"organization"|"person", "id": …}``), kept when a figure proposed from a document's text
is accepted (:mod:`dadkhahi.mentions.review`). A bare number or text is read as
``approximately`` or ``words``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, select, true

from dadkhahi.domain.dates import DateRange
from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.vocab import HIDDEN_CLAIM_STATUSES, EntityKind, Sensitivity
from dadkhahi.facts.entities import Support, add_claim
from dadkhahi.store import schema as s
from dadkhahi.store.store import Transaction

#: The claim property of a published count.
VICTIM_COUNT = "victim_count"
_NUMBERS = ("approximately", "at_least", "at_most")
_TEXTS = ("words", "what", "qualifier", "attributed_to")
_PARTY_KINDS = ("organization", "person")


@dataclass(frozen=True)
class PublishedFigure:
    """One published count with the sources that state it."""

    claim_id: str
    act_id: str
    approximately: int | None
    at_least: int | None
    at_most: int | None
    words: str | None
    what: str | None
    qualifier: str | None
    date_text: str | None
    sources: tuple[str, ...]

    def text(self) -> str:
        """The figure in plain English ("about 30,000", "2,800 to 3,800", "thousands",
        "more than 3,200 names listed")."""
        if self.at_least is not None and self.at_most is not None:
            shown = f"{self.at_least:,} to {self.at_most:,}"
        elif self.at_least is not None:
            shown = f"more than {self.at_least:,}"
        elif self.at_most is not None:
            shown = f"at most {self.at_most:,}"
        elif self.approximately is not None:
            shown = f"about {self.approximately:,}"
        else:
            shown = self.words or ""
        return f"{shown} {self.what}" if self.what else shown


def figure_value(value: Any) -> dict[str, Any]:
    """The canonical mapping of a figure (see the module docstring); raises
    :class:`ValidationError` naming the field for anything else."""
    if isinstance(value, bool):
        raise ValidationError("value: a figure is a number, words or a mapping")
    if isinstance(value, int):
        value = {"approximately": value}
    elif isinstance(value, str):
        value = {"words": value}
    if not isinstance(value, Mapping):
        raise ValidationError("value: a figure is a number, words or a mapping")
    unknown = sorted(set(value) - set(_NUMBERS) - set(_TEXTS) - {"attributed_party"})
    if unknown:
        raise ValidationError(f"value: unknown field {unknown[0]!r}")
    out: dict[str, Any] = {}
    for key in _NUMBERS:
        number = value.get(key)
        if number is None:
            continue
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise ValidationError(f"value.{key}: a whole number of people, not {number!r}")
        out[key] = number
    for key in _TEXTS:
        text = value.get(key)
        if text is None:
            continue
        if not isinstance(text, str) or not text.strip():
            raise ValidationError(f"value.{key}: text, not {text!r}")
        out[key] = text.strip()
    party = value.get("attributed_party")
    if party is not None:
        if (not isinstance(party, Mapping) or set(party) != {"kind", "id"}
                or party["kind"] not in _PARTY_KINDS or not isinstance(party["id"], str)):
            raise ValidationError("value.attributed_party: {kind: organization or person, id}")
        out["attributed_party"] = {"kind": party["kind"], "id": party["id"]}
    if not any(k in out for k in (*_NUMBERS, "words")):
        raise ValidationError("value: give approximately, at_least, at_most or words")
    low, high = out.get("at_least"), out.get("at_most")
    if low is not None and high is not None and low > high:
        raise ValidationError("value: at_least is more than at_most")
    return out


def add_published_figure(
    tx: Transaction, act_id: str, value: Any, support: Sequence[Support], *,
    date: DateRange | None = None, sensitivity: Sensitivity = Sensitivity.PUBLIC,
) -> str:
    """State a figure published by ``support`` about the act (``date``: when it was
    published); returns the claim's ID. Nothing is written for a bad value."""
    canonical = figure_value(value)
    tx.flush()  # an entity made earlier in this transaction counts
    if tx.conn.execute(select(s.acts.c.id).where(s.acts.c.id == act_id)).first() is None:
        raise NotFoundError(f"no act {act_id!r}")
    return add_claim(tx, EntityKind.ACT, act_id, VICTIM_COUNT, canonical, support,
                     date=date, sensitivity=sensitivity)


def published_figures(
    conn: Connection, *, where: ColumnElement[bool] | None = None,
    params: Mapping[str, Any] | None = None,
) -> list[PublishedFigure]:
    """Every published figure a reader may see, in the order they were recorded.

    ``where`` (with its bind ``params``) is the reader's condition on ``claims``
    (``access.disclosure.condition`` for the public). Protected claims are left out
    (their values are sealed); a value that is not a figure is skipped.
    """
    c, cs = s.claims.c, s.claim_support.c
    rows = conn.execute(
        select(c.id, c.entity_id, c.value, c.date_text, cs.source_id)
        .join(s.claim_support, cs.claim_id == c.id)
        .where(c.entity_kind == str(EntityKind.ACT), c.property == VICTIM_COUNT,
               c.status.not_in(HIDDEN_CLAIM_STATUSES), c.sensitivity != str(Sensitivity.PROTECTED),
               true() if where is None else where)
        .order_by(c.ledger_index, c.id, cs.seq), dict(params or {})).all()
    found: dict[str, tuple[Any, list[str]]] = {}
    for row in rows:
        found.setdefault(str(row.id), (row, []))[1].append(str(row.source_id))
    out = []
    for claim_id, (row, sources) in found.items():
        try:
            value = figure_value(row.value)
        except ValidationError:
            continue
        out.append(PublishedFigure(
            claim_id, str(row.entity_id), value.get("approximately"), value.get("at_least"),
            value.get("at_most"), value.get("words"), value.get("what"),
            value.get("qualifier"), row.date_text, tuple(dict.fromkeys(sources))))
    return out


__all__ = [
    "VICTIM_COUNT",
    "PublishedFigure",
    "add_published_figure",
    "figure_value",
    "published_figures",
]
