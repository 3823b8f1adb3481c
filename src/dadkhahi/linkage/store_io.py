"""Reading what linkage needs from the store, as DataFrames.

Normalised fields are pulled out of the ``records.normalized`` JSON by the
database (``json_extract`` on SQLite, ``->>`` on PostgreSQL, both through
SQLAlchemy's JSON indexing), so no record is parsed in Python. Only sealed
(protected) records are opened one by one, with their data keys; a record whose
key was destroyed has been erased and is left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import pandas as pd
from sqlalchemy import Connection, select

from dadkhahi.domain.vocab import DECISIONS_IN_FORCE
from dadkhahi.linkage.features import CANONICAL_COLUMNS
from dadkhahi.store import actors
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

#: Normalised fields handed to the model (names as :mod:`dadkhahi.linkage.features` wants).
MODEL_FIELDS = tuple(c for c in CANONICAL_COLUMNS if c not in ("record_id", "source_id"))
#: Further normalised fields used for claims, display and strata.
#: Decisions that decide a pair; ``unsure`` and ``withdrawn`` leave it to the model.
IN_FORCE = DECISIONS_IN_FORCE
EXTRA_FIELDS = ("death_date", "city_key", "province_key", "prison_key", "notes")
RECORD_COLUMNS = (
    "record_id",
    "link_key",
    "source_key",
    "list_sha256",
    "ledger_index",
    "source_id",
    "item_id",
    "import_id",
    "external_id",
    "row_number",
    "sensitivity",
)


def link_keys(frame: pd.DataFrame) -> pd.Series:
    """A key per record that two homes holding the same lists give alike.

    Record ids are random at import, so every ordering and tie-break in linkage
    (and Splink's hash-based sampling) runs on these keys instead: the SHA-256 of
    the list's file, then the row number. Imports of the same file (which intake
    normally refuses) are told apart by their order. ``frame`` needs
    ``list_sha256``, ``import_id``, ``import_index`` and ``row_number``.
    """
    imports = (
        frame[["import_id", "list_sha256", "import_index"]]
        .drop_duplicates("import_id")
        .sort_values(["import_index", "import_id"], kind="stable")
    )
    copy = imports.groupby("list_sha256", sort=False).cumcount()
    prefix = imports["list_sha256"].str[:16] + copy.map(lambda c: "" if c == 0 else f"~{c}")
    by_import = pd.Series(prefix.to_numpy(), index=imports["import_id"].to_numpy())
    rows = pd.to_numeric(frame["row_number"], errors="coerce")
    # A record without a row number (none from intake today) keeps its place in its import.
    fallback = frame.groupby("import_id", sort=False).cumcount() + 1
    rows = rows.fillna(fallback).astype("int64")
    return frame["import_id"].map(by_import) + ":" + rows.map("{:08d}".format)


def _source_keys(frame: pd.DataFrame) -> pd.Series:
    """Per record, its source named alike in every home: the hash of its first list."""
    first = frame.sort_values(["import_index", "import_id"], kind="stable").drop_duplicates(
        "source_id")
    by_source = pd.Series(first["list_sha256"].str[:16].to_numpy(), index=first["source_id"])
    return frame["source_id"].map(by_source)


def load_records(store: Store) -> pd.DataFrame:
    """Every record of the lists' current versions, with its normalised fields.

    Ordered by ``link_key`` (see :func:`link_keys`), the same order in every home.
    """
    r, li = s.records.c, s.list_imports.c
    fields = MODEL_FIELDS + EXTRA_FIELDS
    query = (
        select(
            r.id.label("record_id"),
            li.sha256.label("list_sha256"),
            li.ledger_index.label("import_index"),
            r.source_id,
            r.item_id,
            r.import_id,
            r.external_id,
            r.row_number,
            r.sensitivity,
            r.sealed,
            r.ledger_index,
            *(r.normalized[f].as_string().label(f) for f in fields),
        )
        .join(s.list_imports, li.id == r.import_id)
        # Current versions only: a superseded version's records stay in the store.
        .where(li.superseded_by.is_(None))
        .order_by(li.ledger_index, r.row_number, r.id)
    )
    with store.reading() as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all())
        if frame.empty:
            return pd.DataFrame(columns=[*RECORD_COLUMNS, *fields])
        sealed = frame["sealed"].notna()
        if sealed.any():
            frame = _open_sealed(store, conn, frame, sealed.to_numpy(), fields)
    frame = frame.drop(columns="sealed")
    frame.insert(1, "link_key", link_keys(frame))
    frame.insert(2, "source_key", _source_keys(frame))
    frame = frame.drop(columns="import_index").sort_values("link_key", kind="stable")
    for column in ("age", "birth_year"):
        frame[column] = (
            frame[column]
            .where(frame[column].notna(), None)
            .map(lambda v: None if v is None else str(v))
        )
    return frame.reset_index(drop=True)


def _open_sealed(
    store: Store, conn: Connection, frame: pd.DataFrame, sealed: Any, fields: tuple[str, ...]
) -> pd.DataFrame:
    erased: list[int] = []
    rows = frame.index[sealed]
    # Every record's data key in one statement per few hundred keys, not one per record.
    payloads = store.keys.unseal_many(conn, [
        (cast(Mapping[str, str], frame.at[i, "sealed"]), str(frame.at[i, "record_id"]))
        for i in rows])
    for i, opened in zip(rows, payloads, strict=True):
        if opened is None:
            erased.append(i)
            continue
        normalized = opened.get("normalized", {})
        for f in fields:
            value = normalized.get(f)
            frame.at[i, f] = None if value is None else str(value)
        frame.at[i, "external_id"] = opened.get("external_id")
    return frame.drop(index=erased)


def load_decisions(conn: Connection) -> pd.DataFrame:
    """Human link decisions in force, the latest per pair: ``record_id_l``,
    ``record_id_r``, ``decision`` (same or different). A pair whose latest decision is
    ``unsure`` or ``withdrawn`` has none in force (an earlier one is superseded)."""
    d = s.link_decisions.c
    rows = conn.execute(select(d.record_a, d.record_b, d.decision).order_by(d.ledger_index)).all()
    frame = pd.DataFrame(rows, columns=["record_id_l", "record_id_r", "decision"])
    latest = frame.drop_duplicates(["record_id_l", "record_id_r"], keep="last")
    return latest[latest["decision"].isin(IN_FORCE)].reset_index(drop=True)


def open_decision(store: Store, conn: Connection, row: Mapping[str, Any]) -> dict[str, Any]:
    """A ``link_decisions`` row as its reader sees it: the sealed note laid back and
    the reviewer named (``store.actors.name_of``; a forgotten name stays a pseudonym).

    The ``sealed`` payload is dropped; an erased note stays ``[protected]``.
    """
    out = {k: v for k, v in row.items() if k != "sealed"}
    sealed = row.get("sealed")
    if sealed:
        out.update(store.keys.unseal(conn, sealed, str(row["id"])) or {})
    if out.get("actor"):
        out["actor"] = actors.name_of(conn, store.keys, str(out["actor"])) or out["actor"]
    return out


def load_assignment(conn: Connection) -> pd.DataFrame:
    """Which person each linked record belongs to now: ``record_id``, ``person_id``."""
    p = s.person_records.c
    rows = conn.execute(select(p.record_id, p.person_id)).all()
    return pd.DataFrame(rows, columns=["record_id", "person_id"])


def linkage_claims(conn: Connection, person_ids: list[str]) -> list[str]:
    """Asserted claims that linkage made about these persons (support locator ``link:``)."""
    if not person_ids:
        return []
    c, cs = s.claims.c, s.claim_support.c
    found: set[str] = set()
    # Chunked IN lists: SQLite caps bound parameters per statement.
    for start in range(0, len(person_ids), 5000):
        chunk = person_ids[start : start + 5000]
        rows = conn.execute(
            select(c.id)
            .join(s.claim_support, cs.claim_id == c.id)
            .where(
                c.entity_kind == "person",
                c.status == "asserted",
                c.entity_id.in_(chunk),
                cs.locator.startswith("link:"),
            )
        ).scalars()
        found.update(str(x) for x in rows)
    return sorted(found)


def stale_linkage_persons(conn: Connection) -> list[str]:
    """Persons with an asserted linkage claim citing a record of a superseded list version.

    A new list version moves persons onto its records (or takes a removed record
    away); the claims built from the old records must then be rebuilt.
    """
    c, cs, r, li = s.claims.c, s.claim_support.c, s.records.c, s.list_imports.c
    rows = conn.execute(
        select(c.entity_id).distinct()
        .join(s.claim_support, cs.claim_id == c.id)
        .join(s.records, r.id == cs.record_id)
        .join(s.list_imports, li.id == r.import_id)
        .where(c.entity_kind == "person", c.status == "asserted",
               cs.locator.startswith("link:"), li.superseded_by.is_not(None))
    ).scalars()
    return sorted(str(p) for p in rows)


def source_titles(conn: Connection) -> dict[str, str]:
    """Source id → title (protected sources show their redacted title)."""
    rows = conn.execute(select(s.sources.c.id, s.sources.c.title)).all()
    return {str(i): str(t) for i, t in rows}


def latest_run(conn: Connection, kind: str | None = None) -> dict[str, Any] | None:
    """The most recent linkage run (of a kind: ``model`` or ``decisions``), or None."""
    lr = s.link_runs.c
    query = select(s.link_runs).order_by(lr.ledger_index.desc()).limit(1)
    if kind is not None:
        query = query.where(lr.kind == kind)
    row = conn.execute(query).mappings().first()
    return None if row is None else dict(row)
