"""A ``link.run`` event as a batch: each link decision a row, provable alone.

A linkage run decides, record by record, which person a record belongs to, and writes the
claims that follow. Before selective proofs a run was one event holding every decision in
compact lists (``assign``, ``move``, ``claims``, …): proving one decision to a court meant
disclosing the whole run. A run is now a batch event (version 2,
:mod:`dadkhahi.ledger.events`) whose ``data.records`` are its decisions, one row each,
committed by a Merkle root; a bundle proves the rows it relies on
(:func:`dadkhahi.store.selective.prove_rows`) and nothing else. The run's own figures
(counts, thresholds, model, statistics, provenance) stay in the event.

Rows, each with the ``id`` a proof names it by:

* ``{"id": record, "assign": person}``, ``{"id": record, "move": person}``: the decision;
* ``{"id": person, "person": {...}}``: a person the run created (its label sealed when
  protected, as before);
* ``{"id": person, "relabel": {...}}``: a kept person whose records changed, with its
  label and sensitivity worked out again from them (label sealed when protected);
* ``{"id": claim, "claim": [person, property, value, level, earliest, latest, text,
  cited records], "supports": {record: [source, item]}}``: a claim written from the
  person's records;
* ``{"id": claim, "retire": true}``: a claim the run superseded;
* ``{"id": "review:<n>", "review": [record a, record b, ppm, milli-bits]}``: a pair sent
  to review;
* ``{"id": "lineage:<n>", "lineage": [from person, to person, records]}``: how many
  records went from which person to which (stable addresses on the memorial);
* ``{"id": "link:<n>", "link": [record a, record b, ppm, milli-bits, [milli-bits per
  field]]}``: a link holding a person together (``linkage.field_weights``). Review rows
  then carry the same fifth element; the event's ``weight_fields`` names the fields.

Old runs (version 1, the compact lists) keep verifying and projecting: the projection
reads both shapes through :func:`compact`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: Decimals of a bit of each field's weight (review and link rows carry thousandths).
FIELD_DECIMALS = 3
#: The key of a run's record count in a batch run (``records`` holds its rows).
RECORD_COUNT = "record_count"
_COMPACT = ("new_persons", "assign", "move", "claims", "supports", "retire", "review",
            "lineage", "links", "relabel")


def decision_rows(
    new_persons: Sequence[Mapping[str, Any]], assign: Sequence[Sequence[str]],
    move: Sequence[Sequence[str]], claims: Sequence[Sequence[Any]],
    supports: Mapping[str, Sequence[Any]], retire: Sequence[str],
    review: Sequence[Sequence[Any]], lineage: Sequence[Sequence[Any]] = (),
    links: Sequence[Sequence[Any]] = (), relabel: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """A run's decisions as batch rows (the module's docstring says each shape)."""
    rows: list[dict[str, Any]] = [{"id": p["id"], "person": dict(p)} for p in new_persons]
    rows += [{"id": p["id"], "relabel": dict(p)} for p in relabel]
    rows += [{"id": r, "assign": p} for r, p in assign]
    rows += [{"id": r, "move": p} for r, p in move]
    rows += [{"id": c, "retire": True} for c in retire]
    rows += [{"id": c[0], "claim": list(c[1:]),
              "supports": {rec: list(supports[rec]) for rec in c[8]}} for c in claims]
    rows += [{"id": f"review:{n}", "review": list(pair)} for n, pair in enumerate(review)]
    rows += [{"id": f"lineage:{n}", "lineage": list(x)} for n, x in enumerate(lineage)]
    rows += [{"id": f"link:{n}", "link": list(x)} for n, x in enumerate(links)]
    return rows


def compact(data: Mapping[str, Any]) -> dict[str, Any]:
    """A run's data in the compact shape of version-1 runs, whichever shape it came in."""
    rows = data.get("records")
    if not isinstance(rows, list):
        return dict(data)
    out: dict[str, Any] = {k: v for k, v in data.items() if k not in ("records", RECORD_COUNT)}
    out["records"] = data[RECORD_COUNT]
    parts: dict[str, Any] = {k: [] for k in _COMPACT}
    parts["supports"] = {}
    for row in rows:
        if "assign" in row:
            parts["assign"].append([row["id"], row["assign"]])
        elif "move" in row:
            parts["move"].append([row["id"], row["move"]])
        elif "person" in row:
            parts["new_persons"].append(row["person"])
        elif "relabel" in row:
            parts["relabel"].append(row["relabel"])
        elif "retire" in row:
            parts["retire"].append(row["id"])
        elif "claim" in row:
            parts["claims"].append([row["id"], *row["claim"]])
            parts["supports"].update(row["supports"])
        elif "review" in row:
            parts["review"].append(row["review"])
        elif "lineage" in row:
            parts["lineage"].append(row["lineage"])
        elif "link" in row:
            parts["links"].append(row["link"])
        else:
            raise KeyError(f"a link.run row of no known kind ({sorted(row)})")
    return {**out, **parts}


def field_bits(fields: Sequence[str], thousandths: Sequence[int | None] | None
               ) -> dict[str, float] | None:
    """A row's field weights (thousandths) as ``{comparison: bits}``; None when the run
    kept none."""
    if thousandths is None or not fields:
        return None
    return {f: x / 10**FIELD_DECIMALS for f, x in zip(fields, thousandths, strict=True)
            if x is not None}


__all__ = ["FIELD_DECIMALS", "RECORD_COUNT", "compact", "decision_rows", "field_bits"]
