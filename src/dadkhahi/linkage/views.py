"""What linkage shows: the review queue, the export, counts and capture histories.

All of it reads the store as the last run left it (``person_records``), so none
of it needs the model.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from dadkhahi.domain.files import open_private, private_dir
from dadkhahi.domain.safe_text import FORMULA_START, spreadsheet_cell
from dadkhahi.linkage.store_io import (
    IN_FORCE,
    latest_run,
    load_records,
    open_decision,
    source_titles,
)
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store

STRATA = ("province", "city", "prison", "period")


@dataclass(frozen=True)
class ReviewPair:
    """One uncertain pair of the last model run, with both records to show."""

    run_id: str
    seq: int
    probability: float | None
    left: dict[str, Any]
    right: dict[str, Any]
    #: A decision on this pair made before a new version of a list changed one of its
    #: records' linkage fields (decision, actor, decided_at, note): shown, not in force.
    previous: dict[str, Any] | None = None


def record_view(store: Store, conn: Any, record_id: str, titles: dict[str, str]) -> dict[str, Any]:
    """One record to show a person: its row, unsealed (protected), with its list's title."""
    row = conn.execute(select(s.records).where(s.records.c.id == record_id)).mappings().one()
    view = dict(row)
    if view["sealed"] is not None:
        opened = store.keys.unseal(conn, view["sealed"], view["id"])
        view.update(opened or {"verbatim": {"(erased)": ""}, "normalized": {}})
    view["source_title"] = titles.get(view["source_id"], view["source_id"])
    return view


def previous_decision(store: Store, conn: Any, decision_id: str | None) -> dict[str, Any] | None:
    """What a returned pair's earlier decision said (see ``link_review.previous_decision``)."""
    if decision_id is None:
        return None
    d = s.link_decisions.c
    row = conn.execute(
        select(d.id, d.decision, d.actor, d.decided_at, d.note, d.sealed).where(d.id == decision_id)
    ).mappings().first()
    return None if row is None else open_decision(store, conn, row)


def review_queue(store: Store, limit: int | None = None) -> list[ReviewPair]:
    """Undecided pairs of the last model run, most uncertain first."""
    with store.reading() as conn:
        run = latest_run(conn, "model")
        if run is None:
            return []
        lr, d = s.link_review.c, s.link_decisions.c
        latest = {(str(a), str(b)): v for a, b, v in conn.execute(
            select(d.record_a, d.record_b, d.decision).order_by(d.ledger_index))}
        decided = {pair for pair, value in latest.items() if value in IN_FORCE}
        titles = source_titles(conn)
        queue: list[ReviewPair] = []
        rows = conn.execute(
            select(lr.seq, lr.record_a, lr.record_b, lr.probability, lr.previous_decision)
            .where(lr.run_id == run["id"])
            .order_by(lr.seq)
        ).all()
        for seq, a, b, prob, before in rows:
            if (a, b) in decided:
                continue
            queue.append(
                ReviewPair(
                    run["id"],
                    int(seq),
                    None if prob is None else float(prob),
                    record_view(store, conn, a, titles),
                    record_view(store, conn, b, titles),
                    previous_decision(store, conn, before),
                )
            )
            if limit is not None and len(queue) >= limit:
                break
        return queue


def pending_review(store: Store) -> int:
    """The one count of pairs to review: the last model run's queue less the pairs with
    a decision in force, an ``unsure`` pair still waiting (what ``link review`` walks
    through). ``link run``, ``link apply`` and ``link stats`` all say this number."""
    with store.reading() as conn:
        run = latest_run(conn, "model")
        if run is None:
            return 0
        lr, d = s.link_review.c, s.link_decisions.c
        latest = (select(d.decision).where(d.record_a == lr.record_a,
                                           d.record_b == lr.record_b)
                  .order_by(d.ledger_index.desc()).limit(1).scalar_subquery())
        return int(conn.execute(
            select(func.count()).select_from(s.link_review)
            .where(lr.run_id == run["id"],
                   func.coalesce(latest, "").not_in(IN_FORCE))).scalar_one())


def linked_records(store: Store) -> pd.DataFrame:
    """Every list record with its person (None if not linked yet) and normalised fields."""
    records = load_records(store)
    with store.reading() as conn:
        p = s.person_records.c
        persons = pd.DataFrame(
            conn.execute(select(p.record_id, p.person_id)).all(), columns=["record_id", "person_id"]
        )
    return records.merge(persons, on="record_id", how="left")


@dataclass(frozen=True)
class ExportReport:
    rows: int
    escaped: int
    unlinked: int
    duplicate_ids: int


#: The export's last column: the columns of this row whose cell was written with a
#: leading apostrophe (space-separated), empty where none was.
ESCAPED_COLUMN = "escaped_with_apostrophe"


def export_links(store: Store, out: Path) -> ExportReport:
    """Write ``record_id`` (the list's own id, else ours), ``person_id``, ``list_id``,
    ``list`` (its name), ``source_id`` and ``internal_record_id`` (ours) per linked record.

    This export is meant for spreadsheets, so a list's own ID that a spreadsheet would
    run as a formula (beginning with ``=``, ``+``, ``-``, ``@``, a tab or CR) is written
    with a leading apostrophe (``domain.safe_text.spreadsheet_cell``), as is a list's
    name; the last column, :data:`ESCAPED_COLUMN`, names the cells of its row so
    written, and the command says how many. Evidentiary exports (``ledger export``,
    bundles) never alter values.
    """
    frame = linked_records(store)
    linked = frame.dropna(subset=["person_id"])
    ids = linked["external_id"].where(linked["external_id"].notna(), linked["record_id"])
    with store.reading() as conn:
        li = s.list_imports.c
        list_of = dict(conn.execute(select(li.id, li.list_id)).all())
    # Lists whose own IDs overlap are told apart by their list and source (issue 12).
    labels = list_labels(store, _import_order(frame)) if not frame.empty else {}
    table = pd.DataFrame({
        "record_id": ids.astype(str), "person_id": linked["person_id"],
        "list_id": linked["import_id"].map(list_of),
        "list": linked["source_id"].map(labels).fillna(linked["source_id"]),
        "source_id": linked["source_id"], "internal_record_id": linked["record_id"],
    })
    table = table.sort_values(["person_id", "list_id", "record_id"], kind="stable")
    escaped = table["record_id"].str.startswith(FORMULA_START)
    table.loc[escaped, "record_id"] = table.loc[escaped, "record_id"].map(spreadsheet_cell)
    # The file itself says which of its cells were changed, beside them: a reader who
    # strips the apostrophe gets the list's value back, and one who does not is told.
    table[ESCAPED_COLUMN] = escaped.map({True: "record_id", False: ""})
    for column in ("list",):  # titles are data a spreadsheet must not run either
        risky = table[column].astype(str).str.startswith(FORMULA_START)
        table.loc[risky, column] = table.loc[risky, column].map(spreadsheet_cell)
        table.loc[risky, ESCAPED_COLUMN] = (
            table.loc[risky, ESCAPED_COLUMN] + " " + column).str.strip()
    private_dir(out.parent)
    with open_private(out, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(list(table.columns))
        writer.writerows(table.itertuples(index=False, name=None))
    return ExportReport(
        rows=len(table),
        escaped=int(escaped.sum()),
        unlinked=int(frame["person_id"].isna().sum()),
        duplicate_ids=int(table.duplicated(["record_id"]).sum()
                          - table.duplicated(["record_id", "list_id"]).sum()),
    )


def list_labels(store: Store, source_ids: list[str]) -> dict[str, str]:
    """Name per list: its title when that is unique and not redacted, else its id."""
    with store.reading() as conn:
        titles = source_titles(conn)
    wanted = {sid: titles.get(sid, sid) for sid in source_ids}
    counts = pd.Series(list(wanted.values())).value_counts()
    return {
        sid: title if counts[title] == 1 and title != "[protected]" else sid
        for sid, title in wanted.items()
    }


@dataclass
class LinkStats:
    """Counts after the last run."""

    records: int
    linked_records: int
    persons: int
    lists: pd.DataFrame  # list, source_id, records, persons
    overlap: pd.DataFrame  # persons on both lists (diagonal: persons on the list)
    last_run: dict[str, Any] | None
    decisions: int
    review_pending: int
    extra: dict[str, Any] = field(default_factory=dict)


def _membership(frame: pd.DataFrame) -> pd.DataFrame:
    """Person × list 0/1 matrix (int64)."""
    linked = frame.dropna(subset=["person_id"])
    member = (pd.crosstab(linked["person_id"], linked["source_id"]) > 0).astype("int64")
    return member[_import_order(linked)]


def _import_order(frame: pd.DataFrame) -> list[str]:
    """Source ids in the order their first list was imported."""
    first = frame.groupby("source_id")["ledger_index"].min().sort_values(kind="stable")
    return [str(x) for x in first.index]


def list_overlap(
    frame: pd.DataFrame, labels: Mapping[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-list counts and the person overlap matrix of ``frame`` (from :func:`linked_records`).

    ``labels`` names each source id; lists come in the order they were imported.
    Callers that may show only part of the store pass only the rows they may show.
    """
    order = _import_order(frame)
    member = _membership(frame).reindex(columns=order, fill_value=0)
    per_list = (
        frame.groupby("source_id")
        .agg(records=("record_id", "size"), persons=("person_id", "nunique"))
        .reindex(order)
        .reset_index()
    )
    per_list.insert(0, "list", per_list["source_id"].map(labels).fillna(per_list["source_id"]))
    matrix = member.T @ member
    matrix.index = [labels.get(str(c), str(c)) for c in matrix.index]
    matrix.columns = [labels.get(str(c), str(c)) for c in matrix.columns]
    return per_list, matrix


def link_stats(store: Store) -> LinkStats:
    """Records, persons, per-list counts and the list-overlap matrix."""
    frame = linked_records(store)
    labels = list_labels(store, _import_order(frame))
    per_list, matrix = list_overlap(frame, labels)
    with store.reading() as conn:
        run = latest_run(conn)
        decisions = conn.execute(select(s.link_decisions.c.id)).all()
    pending = pending_review(store)
    if run is not None:
        run.pop("model", None)
    return LinkStats(
        records=len(frame),
        linked_records=int(frame["person_id"].notna().sum()),
        persons=int(frame["person_id"].nunique()),
        lists=per_list,
        overlap=matrix,
        last_run=run,
        decisions=len(decisions),
        review_pending=pending,
    )


def _mode(frame: pd.DataFrame, column: str) -> pd.Series:
    """The most frequent non-null value per person (ties: the smallest)."""
    values = frame.dropna(subset=[column])
    counts = values.groupby(["person_id", column]).size().rename("n").reset_index()
    counts = counts.sort_values(["n", column], ascending=[False, True])
    return counts.drop_duplicates("person_id").set_index("person_id")[column]


def _period(frame: pd.DataFrame) -> pd.Series:
    """Gregorian month (YYYY-MM) of the middle of a death interval of at most 31 days."""
    lo = pd.to_datetime(frame["death_earliest"], errors="coerce")
    hi = pd.to_datetime(frame["death_latest"], errors="coerce")
    narrow = (hi - lo) <= pd.Timedelta(days=31)
    middle = lo + (hi - lo) / 2
    return middle.dt.strftime("%Y-%m").where(narrow.to_numpy(), None)


#: The stratum of people whose records say nothing about it, per language.
UNKNOWN_LABEL = {"en": "unknown", "fa": "نامعلوم"}


def place_labels(frame: pd.DataFrame, key_column: str, text_column: str,
                 language: str = "en") -> dict[str, str]:
    """A name a user reads for each place key in ``frame`` (``~lbrz`` is no name).

    A key the name table knows gets its Persian or Latin spelling
    (:func:`dadkhahi.persian.label_name`); any other gets what the records wrote
    most often under it (ties: the first in sort order). Two keys that would
    read the same keep their key in brackets, so no stratum hides another.
    """
    from dadkhahi.persian import label_name

    values = frame.dropna(subset=[key_column])
    # What a protected record wrote (and its key, a skeleton of it) never names a
    # stratum: a key only protected records give, and no gazetteer name, is numbered.
    open_values = (values[values["sensitivity"] != "protected"]
                   if "sensitivity" in values else values)
    written = (
        open_values.groupby([key_column, text_column]).size().rename("n").reset_index()
        .sort_values(["n", text_column], ascending=[False, True], kind="stable")
        .drop_duplicates(key_column).set_index(key_column)[text_column]
    )
    open_keys = set(open_values[key_column].astype(str))
    labels: dict[str, str] = {}
    hidden = 0
    for key in sorted(values[key_column].astype(str).unique()):
        name = (label_name(key, language) or written.get(key)
                or (key if key in open_keys else None))
        if name is None:
            hidden += 1
            name = f"[protected {hidden}]"
        labels[key] = str(name)
    seen = pd.Series(list(labels.values())).value_counts()
    return {k: (v if seen[v] == 1 else f"{v} [{k}]") for k, v in labels.items()}


def capture_histories(
    store: Store, by: str | None = None, language: str = "en"
) -> pd.DataFrame:
    """One row per linked person, a 0/1 column per list, and optional strata.

    ``by``: ``province``, ``city``, ``prison`` or ``period`` (month of death) adds that
    column (the most frequent value among the person's records, ``unknown`` when none
    says); ``"all"`` adds all four. Places are shown by name in ``language`` (``en``
    or ``fa``; see :func:`place_labels`), not by their internal keys. List columns
    are named after their source titles (ids when titles clash or are protected)
    and listed in ``df.attrs["lists"]``.
    """
    if by is not None and by != "all" and by not in STRATA:
        raise ValueError(f"cannot stratify by {by!r}: choose {', '.join(STRATA)}")
    frame = linked_records(store)
    labels = list_labels(store, _import_order(frame))
    return histories_of(frame, labels, by, language)


_STRATUM_KEYS = {
    "province": "province_key",
    "city": "city_key",
    "prison": "prison_key",
    "period": "period",
}


def histories_of(
    frame: pd.DataFrame, labels: Mapping[str, str], by: str | None = None,
    language: str = "en",
) -> pd.DataFrame:
    """:func:`capture_histories` of records (as :func:`linked_records` gives them) and
    whatever partition their ``person_id`` column holds: the store's, or a drawn one.

    ``labels`` names each source id. Lists come in import order; records without
    a person are left out.
    """
    linked = frame.dropna(subset=["person_id"])
    order = _import_order(frame)
    member = _membership(linked).reindex(columns=order, fill_value=0)
    histories = member.rename(columns=lambda c: labels[str(c)])
    histories.columns.name = None
    wanted = STRATA if by == "all" else (() if by is None else (by,))
    if "period" in wanted:
        linked = linked.assign(period=_period(linked))
    unknown = UNKNOWN_LABEL.get(language, UNKNOWN_LABEL["en"])
    for name in wanted:
        values = _mode(linked, _STRATUM_KEYS[name])
        if name != "period":
            values = values.map(place_labels(linked, _STRATUM_KEYS[name], name, language))
        histories[name] = values.reindex(histories.index).fillna(unknown)
    histories.index.name = "person_id"
    histories = histories.reset_index()
    histories.attrs["lists"] = [labels[str(c)] for c in order]
    return histories
