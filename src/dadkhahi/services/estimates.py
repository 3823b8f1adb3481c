"""Estimates on a user's behalf: on a table sent in (``analyse``), and the recorded
estimates of the store as each reader may see them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from dadkhahi.access.policy import Permission, Principal, params, require, visible
from dadkhahi.domain.errors import ValidationError
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store


def estimate_counts(
    principal: Principal, lists: Sequence[str], patterns: Sequence[Sequence[int]],
    counts: Sequence[int], method: str, level: float,
) -> dict[str, Any]:
    """Estimate the total from a capture-history table given as patterns and counts.

    Each pattern has one 0/1 entry per list; ``counts[i]`` people were seen on exactly the
    lists ``patterns[i]`` marks. The sampling-based LCMCR method belongs to a job or the
    command line: it runs for minutes.
    """
    require(principal, Permission.ANALYSE)
    # Imported here: SciPy and statsmodels take seconds to load, and most servers never
    # estimate anything.
    import numpy as np

    from dadkhahi.estimate import Options, estimate, table_from_counts, to_json, validate_table

    if len(patterns) != len(counts):
        raise ValidationError("patterns and counts must have the same length")
    if any(len(p) != len(lists) or any(v not in (0, 1) for v in p) for p in patterns):
        raise ValidationError("each pattern has one 0/1 entry per list")
    if any(c < 0 for c in counts):
        raise ValidationError("counts cannot be negative")
    table = validate_table(table_from_counts(
        list(lists), np.asarray(patterns, dtype=np.int64),
        np.asarray(counts, dtype=np.int64)), "request")
    result = estimate(table, method, options=Options(level=level, seed=0))
    return to_json(result)


#: Audiences whose releases each kind of reader sees (the dashboard's rule).
_RELEASED_TO = {True: ("public", "team"), False: ("public",)}


def stored_estimates(store: Store, principal: Principal, limit: int = 50,
                     only: str | None = None) -> list[dict[str, Any]]:
    """Recorded estimates of the store, newest first, each with its releases.

    Who sees which: holders of ``analyse`` every released estimate and every other that
    names only lists they may see (they decide what to release; an estimate resting on a
    protected list counts its persons, so it is as protected as that list); other team
    members those released to the team or the public; everyone else those released to the
    public (as the dashboard shows them). An estimate holds counts, intervals, settings
    and hashes, never a record. ``only``: that estimate alone (or nothing). The lists
    the reader may not see are withheld lists in it, the strata whose labels they may
    not see withheld strata (:func:`_without_withheld`, :func:`_strata_names`).
    """
    rows, seen, places = _stored(store, principal, limit, only)
    return [_without_withheld(row, _names(row, seen), _strata_names(row, places))
            for row in rows]


def _stored(store: Store, principal: Principal, limit: int, only: str | None
            ) -> tuple[list[dict[str, Any]], set[str], frozenset[str] | None]:
    """The rows :func:`stored_estimates` shows, as stored, the lists the reader may
    see and the keys of the places they may see (None: every stratum label is shown,
    see :func:`_strata_names`)."""
    if not 1 <= limit <= 500:
        raise ValidationError("limit must be between 1 and 500")
    e, r = s.estimates.c, s.estimate_releases.c
    stmt = select(s.estimates).order_by(e.computed_at.desc(), e.id.desc()).limit(limit)
    if only is not None:  # one estimate, under the same rule
        stmt = stmt.where(e.id == only)
    if not principal.can(Permission.ANALYSE):
        released = select(r.estimate_id).where(r.audience.in_(_RELEASED_TO[principal.team]))
        stmt = stmt.where(e.id.in_(released))
    with store.reading() as conn:
        rows = [dict(x) for x in conn.execute(stmt).mappings()]
        seen = set(conn.execute(select(s.lists.c.id).where(visible(principal, s.lists)),
                                params(principal)).scalars())
        places = (None if principal.team or not any(_strata(x) for x in rows)
                  else _place_keys(conn, principal))
        if principal.can(Permission.ANALYSE):
            # Unreleased, an estimate is as protected as the lists it names (released to
            # the reader's audience, someone entitled already disclosed it).
            out = set(conn.execute(select(r.estimate_id).where(
                r.audience.in_(_RELEASED_TO[principal.team]))).scalars())
            rows = [x for x in rows if x["id"] in out or _names(x, seen) == {}]
        releases = conn.execute(
            select(r.estimate_id, r.audience, r.released_at)
            .where(r.estimate_id.in_([x["id"] for x in rows]))
            .order_by(r.released_at, r.id)).mappings().all()
    by_estimate: dict[str, list[dict[str, Any]]] = {}
    for rel in releases:
        by_estimate.setdefault(str(rel["estimate_id"]), []).append(dict(rel))
    for row in rows:
        row["releases"] = by_estimate.get(str(row["id"]), [])
    return rows, seen, places


def _strata(row: dict[str, Any]) -> set[str]:
    """The labels of the strata of ``row``: its capture table's (as stored, before any
    merge) and those its diagnostics say were merged."""
    from dadkhahi.estimate.table import STRATUM

    capture = row.get("capture") or {}
    columns = list(capture.get("columns") or ())
    labels: set[str] = set()
    if STRATUM in columns:
        at = columns.index(STRATUM)
        labels |= {str(x[at]) for x in capture.get("rows") or ()}
    merged = (row.get("diagnostics") or {}).get("merged_strata") or {}
    labels |= {str(x) for x in [*(merged.get("strata") or ()), merged.get("into")] if x}
    return labels


def _place_keys(conn: Connection, principal: Principal) -> frozenset[str]:
    """The keys (:func:`dadkhahi.persian.keys.label_key`) of the names, Latin and
    Persian, of the places the disclosure rule lets the reader see."""
    from dadkhahi.persian.keys import label_key

    names = conn.execute(select(s.places.c.name, s.places.c.name_fa)
                         .where(visible(principal, s.places)), params(principal))
    return frozenset(key for row in names for text in row if text
                     and (key := label_key(str(text), "place")) is not None)


#: Stratum labels the estimate writes itself and that name no place: the stratum of
#: people whose records do not say, the merged one, a place only protected records name
#: ("[protected 2]", ``linkage.views.place_labels``) and a month ("1988-08").
_NO_PLACE = re.compile(r"other|other \(merged\)|\[protected \d+\]|\d{4}-\d{2}")

#: "Evin [~evn]": two keys read the same, each shows its key (``place_labels``).
_KEYED = re.compile(r"(.*) \[([^\]]+)\]")


def _strata_names(row: dict[str, Any], places: frozenset[str] | None) -> dict[str, str]:
    """The labels of the strata of ``row`` its reader may not see (label → "a withheld
    stratum (n)", its position among the strata in sort order).

    A stratum label (by province, city or prison) is what the records wrote, or the
    name table's spelling of it: it is not linked to a place row, so it cannot be judged
    as one. Outside the team (``places``: the keys of the places the reader may see) a
    label is shown only when it is the name of a place the disclosure rule lets the
    reader see, or names no place (unknown, merged, a month); any other is withheld, a
    protected detention site named by the records included (the reader may see none of
    the records it comes from, and a label matching no public place may be such a site).
    The team (``places`` None) sees every label: it may read the records the labels were
    taken from, and a protected record's place never names a stratum (``place_labels``).
    """
    if places is None:
        return {}
    from dadkhahi.analysis.estimates import withheld_strata
    from dadkhahi.linkage.views import UNKNOWN_LABEL
    from dadkhahi.persian.keys import label_key

    def shown(label: str) -> bool:
        if label in UNKNOWN_LABEL.values() or _NO_PLACE.fullmatch(label):
            return True
        keyed = _KEYED.fullmatch(label)
        name, key = keyed.groups() if keyed else (label, None)
        return label_key(name, "place") in places and (key is None or key in places)

    return withheld_strata(_strata(row), shown)


def _names(row: dict[str, Any], seen: set[str]) -> dict[str, str]:
    """The names of the lists of ``row`` the reader may not see (title → label)."""
    from dadkhahi.analysis.estimates import withheld_names

    return withheld_names(list((row["settings"] or {}).get("lists") or ()), seen)


def _without_withheld(row: dict[str, Any], names: dict[str, str],
                      strata: dict[str, str]) -> dict[str, Any]:
    """An estimate as a reader who may not see some of its lists is shown it (one released
    to them): those lists' titles and kinds, wherever the row says them (the sentence,
    the settings, the warnings and diagnostics, the capture table's columns), are a
    withheld list with its position, as in the release (``analysis.estimates``); so are
    the labels of ``strata`` (:func:`_strata_names`) withheld strata, in the same places
    and the capture table's rows. An estimate whose lists and strata the reader may all
    see is shown whole: the team's is unchanged."""
    from dadkhahi.analysis.estimates import without_names

    if not names and not strata:
        return row
    labels = set(names.values())
    settings = dict(row["settings"] or {})
    settings["lists"] = [
        {k: entry.get(k) for k in ("list", "import", "title", "used", "merged_into")}
        if names.get(str(entry.get("title"))) in labels else entry
        for entry in settings.get("lists") or ()]
    every = {**names, **strata}
    return {**row, **{k: without_names(v, every) for k, v in (
        ("estimand", row["estimand"]), ("settings", settings),
        ("diagnostics", row.get("diagnostics")), ("capture", row.get("capture")))}}


def estimate_detail(store: Store, principal: Principal, estimate_id: str
                    ) -> dict[str, Any] | None:
    """What one estimate rests on, as the reader may see it (None: not visible): its
    capture-history table (counts per pattern of lists), the overlap of each pair of
    lists, and the estimator's diagnostics.

    The table is aggregate, but outside the team (``principal.team`` false) small
    counts single people out: its cells go through the small-number rule
    (:func:`dadkhahi.access.small_counts.merge_small`: cells under 5 merged into one
    "other" row that is not small itself), and a small overlap or list size is
    suppressed (:func:`dadkhahi.access.overview.suppressed`). ``verified``: the kept
    table still has the hash the estimate recorded (None for an estimate recorded before
    tables were kept: it has no table to show).
    """
    from dadkhahi.access.overview import suppressed
    from dadkhahi.access.small_counts import merge_small

    rows, seen, places = _stored(store, principal, 1, estimate_id)
    if not rows:
        return None
    row = rows[0]
    # Computed on the table as stored (its hash is checked), shown without the lists
    # the reader may not see (their titles are the table's columns) nor the strata whose
    # labels they may not see (its rows').
    names, strata = _names(row, seen), _strata_names(row, places)
    shown = _without_withheld(row, names, strata)
    out: dict[str, Any] = {"estimate": shown, "diagnostics": shown.get("diagnostics") or {},
                           "capture": None}
    capture = row.get("capture")
    if not capture:
        return out
    # Imported here: pandas and the analysis package load only when a table is shown.
    from dadkhahi.analysis.estimates import capture_table, table_sha256
    from dadkhahi.estimate.table import COUNT, STRATUM

    table = capture_table(capture)
    lists = [c for c in table.columns if c not in (COUNT, STRATUM)]
    stratified = STRATUM in table.columns
    cells = [((tuple(int(r[x]) for x in lists),
               strata.get(str(r[STRATUM]), str(r[STRATUM])) if stratified else None),
              int(r[COUNT])) for _, r in table.iterrows()]
    merged = merge_small(cells) if not principal.team else None
    sizes = {x: int(table.loc[table[x] == 1, COUNT].sum()) for x in lists}
    pairs = [(a, b, int(table.loc[(table[a] == 1) & (table[b] == 1), COUNT].sum()))
             for i, a in enumerate(lists) for b in lists[i + 1:]]
    from dadkhahi.analysis.estimates import without_names

    def name(column: str) -> str:
        return str(without_names(column, names))

    out["capture"] = {
        "lists": [name(x) for x in lists],
        "stratified": stratified,
        "cells": cells if merged is None else merged.shown,
        "other": None if merged is None else merged.other,
        "merged": 0 if merged is None else len(merged.merged),
        "total": int(table[COUNT].sum()) if merged is None else merged.total,
        "sizes": {name(x): suppressed(n, principal) for x, n in sizes.items()},
        "overlaps": [(name(a), name(b), suppressed(n, principal)) for a, b, n in pairs],
        "verified": table_sha256(table) == row["inputs_sha256"],
    }
    return out
