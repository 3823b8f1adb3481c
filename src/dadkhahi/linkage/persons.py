"""From clusters to Person entities: stable ids, membership changes, claims.

Why one bulk event per run rather than ``facts.entities`` calls: a run over a
million records would otherwise emit millions of ``person.created`` and
``claim.added`` events. The run's event holds exactly what changed since the
previous run, so a re-run that finds the same people writes almost nothing:

* a cluster keeps the id of the previous person it shares most records with
  (each previous person is given to one cluster at most, largest overlap first);
  other clusters become new persons;
* ``assign`` lists records that had no person, ``move`` records whose person
  changed, ``lineage`` how many records went from which person to which (so an
  address once published can follow a merge or a split);
* a person whose set of records changed gets fresh claims and its old linkage
  claims are retired (status ``superseded``); unchanged persons keep theirs.

Claims: one per person, property and distinct value (conflicting values stay side
by side), each supported by every record that gives that value, with locator
``link:<run id>``. A claim is never less protected than what supports it, and a
value open records give is not hidden because a protected record agrees: what
protected records say becomes claims of their own (same person, property and
value, supported by the protected records only), protected and sealed by the
service before the event is written, so only a holder of a grant on the protected
source sees them (``access.may_disclose``). A person known only from protected
records is itself protected (label sealed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dadkhahi.domain.ids import new_id
from dadkhahi.domain.vocab import Sensitivity

_RANK = {"public": 0, "restricted": 1, "protected": 2}
_LEVEL = {v: k for k, v in _RANK.items()}

#: Claim property → the normalised record field it comes from.
CLAIM_FIELDS: dict[str, str] = {
    "name": "name",
    "father_name": "father_name",
    "sex": "sex",
    "birth_year": "birth_year",
    "age_at_death": "age",
    "city": "city",
    "province": "province",
    "prison": "prison",
    "burial_place": "burial_place",
    "affiliation": "affiliation",
}


@dataclass
class PersonChanges:
    """What one run changes, ready to go into the ``link.run`` event."""

    final: pd.DataFrame  # record_id, person_id
    new_persons: list[dict[str, Any]] = field(default_factory=list)
    assign: list[list[str]] = field(default_factory=list)
    move: list[list[str]] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # persons whose records changed
    #: [from person, to person, records moved] per pair (merges and splits, sorted).
    lineage: list[list[Any]] = field(default_factory=list)
    reused: int = 0


def _one_to_one(overlap: pd.DataFrame) -> dict[str, str]:
    """Cluster → previous person, greedily by overlap (ties: smaller ids first)."""
    chosen: dict[str, str] = {}
    left = overlap.sort_values(["n", "cluster_id", "person_id"], ascending=[False, True, True])
    while not left.empty:
        # Each round gives every still-free person its best still-free cluster;
        # a few rounds settle what one greedy pass over all pairs would.
        best = left.drop_duplicates("person_id").drop_duplicates("cluster_id")
        chosen.update(zip(best["cluster_id"], best["person_id"], strict=True))
        left = left[
            ~left["cluster_id"].isin(best["cluster_id"])
            & ~left["person_id"].isin(best["person_id"])
        ]
    return chosen


def plan_persons(clusters: pd.DataFrame, previous: pd.DataFrame) -> PersonChanges:
    """Give clusters person ids (reusing previous ones) and list the membership changes.

    ``clusters``: ``record_id``, ``cluster_id``; ``previous``: ``record_id``,
    ``person_id`` (the current assignment in the store).
    """
    merged = clusters[["record_id", "cluster_id"]].merge(previous, on="record_id", how="left")
    known = merged.dropna(subset=["person_id"])
    overlap = known.groupby(["cluster_id", "person_id"]).size().rename("n").reset_index()
    reuse = _one_to_one(overlap)
    fresh = sorted(set(clusters["cluster_id"]) - reuse.keys())
    ids = {**reuse, **{c: new_id("person") for c in fresh}}
    final = pd.DataFrame(
        {
            "record_id": clusters["record_id"].to_numpy(),
            "person_id": clusters["cluster_id"].map(ids).to_numpy(),
        }
    )
    changes = PersonChanges(final=final, reused=len(reuse))
    both = final.merge(previous, on="record_id", how="left", suffixes=("", "_old"))
    new_rows = both[both["person_id_old"].isna()]
    moved = both[both["person_id_old"].notna() & (both["person_id"] != both["person_id_old"])]
    changes.assign = new_rows[["record_id", "person_id"]].to_numpy().tolist()
    changes.move = moved[["record_id", "person_id"]].to_numpy().tolist()
    flows = moved.groupby(["person_id_old", "person_id"]).size().rename("n").reset_index()
    changes.lineage = sorted(
        [str(a), str(b), int(n)] for a, b, n in
        zip(flows["person_id_old"], flows["person_id"], flows["n"], strict=True))

    def members(frame: pd.DataFrame) -> pd.Series:
        return frame.sort_values("record_id").groupby("person_id")["record_id"].agg("\x00".join)

    before, after = members(previous), members(final)
    joined = pd.concat([before.rename("before"), after.rename("after")], axis=1)
    changed = joined[joined["before"] != joined["after"]]
    changes.changed = sorted(str(p) for p in changed.index)
    changes.new_persons = [{"id": ids[c]} for c in fresh]
    return changes


def _name(records: pd.DataFrame) -> pd.Series:
    given = records["given_name"].fillna("")
    family = records["family_name"].fillna("")
    parsed = (given + " " + family).str.strip()
    full = records["full_name"].fillna("")
    return parsed.where(parsed != "", full).replace("", None)


def person_rows(
    changes: PersonChanges, records: pd.DataFrame, seal: Any, *, synthetic: bool = False
) -> list[dict[str, Any]]:
    """The ``persons`` rows of the new persons: label, sensitivity (sealed if protected)."""
    new_ids = {p["id"] for p in changes.new_persons}
    return [{**row, "synthetic": int(synthetic)}
            for row in _label_rows(new_ids, changes.final, records, seal)]


def relabelled_rows(
    changes: PersonChanges, records: pd.DataFrame, seal: Any
) -> list[dict[str, Any]]:
    """Label and sensitivity again for each kept person whose records changed.

    A person keeps its id across runs, so what it is called and who may see it must
    follow its records: a public person left with protected records only becomes
    protected (else its existence and old name stay in view of everyone), and a
    protected-only person that gains open records becomes visible to their readers.
    """
    new_ids = {p["id"] for p in changes.new_persons}
    kept = set(changes.final["person_id"])
    return _label_rows({p for p in changes.changed if p in kept} - new_ids,
                       changes.final, records, seal)


def _label_rows(
    ids: set[str], final: pd.DataFrame, records: pd.DataFrame, seal: Any
) -> list[dict[str, Any]]:
    # The label is the open records' commonest name; a person with open records is as
    # visible as its most protected open record; one with none is protected and sealed.
    if not ids:
        return []
    members = final[final["person_id"].isin(ids)].merge(
        records.assign(name=_name(records))[["record_id", "name", "sensitivity"]],
        on="record_id",
    )
    members["rank"] = members["sensitivity"].map(_RANK)
    open_members = members[members["rank"] < 2]
    labels = (
        open_members.dropna(subset=["name"])
        .groupby(["person_id", "name"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values(["n", "name"], ascending=[False, True])
        .drop_duplicates("person_id")
        .set_index("person_id")["name"]
    )
    level = open_members.groupby("person_id")["rank"].max()
    secret_labels = (
        members.dropna(subset=["name"])
        .sort_values("name")
        .drop_duplicates("person_id")
        .set_index("person_id")["name"]
    )
    rows: list[dict[str, Any]] = []
    for pid in sorted(ids):
        if pid in level.index:
            rows.append({
                "id": pid,
                "label": str(labels.get(pid, "(no name)")),
                "sensitivity": _LEVEL[int(level[pid])],
            })
        else:
            label = str(secret_labels.get(pid, "(no name)"))
            rows.append({
                "id": pid,
                "label": "[protected]",
                "sealed": seal({"label": label}, pid),
                "sensitivity": str(Sensitivity.PROTECTED),
            })
    return rows


def _text(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def build_claims(
    final: pd.DataFrame, records: pd.DataFrame, persons: list[str]
) -> list[list[Any]]:
    """Claims about ``persons`` from their records; see the module docstring.

    Each claim is compact, as the ``link.run`` event carries it: ``[claim id, person id,
    property, value, sensitivity, date earliest, date latest, date text, [record ids]]``;
    the projection adds each supporting record's source and item from the event's
    ``supports`` table and the locator ``link:<run id>``.
    """
    if not persons:
        return []
    frame = final[final["person_id"].isin(set(persons))].merge(records, on="record_id")
    frame = frame.assign(name=lambda f: _name(f))
    support_cols = ["record_id", "source_id", "item_id"]
    long_parts = []
    for prop, column in CLAIM_FIELDS.items():
        part = frame[["person_id", *support_cols, "sensitivity", column]].dropna(subset=[column])
        part = part.rename(columns={column: "value"}).assign(
            property=prop, earliest=None, latest=None, text=None
        )
        long_parts.append(part)
    deaths = frame.dropna(subset=["death_earliest"])
    long_parts.append(
        pd.DataFrame(
            {
                "person_id": deaths["person_id"],
                "record_id": deaths["record_id"],
                "source_id": deaths["source_id"],
                "item_id": deaths["item_id"],
                "sensitivity": deaths["sensitivity"],
                "property": "death_date",
                "value": deaths["death_earliest"] + "/" + deaths["death_latest"].fillna(""),
                "earliest": deaths["death_earliest"],
                "latest": deaths["death_latest"],
                "text": deaths["death_date"],
            }
        )
    )
    long = pd.concat(long_parts, ignore_index=True)
    if long.empty:
        return []
    long["value"] = long["value"].astype(str)
    long["rank"] = long["sensitivity"].map(_RANK)
    # Protected records' claims stand apart from the open records' claims of one value.
    long["apart"] = long["rank"] == _RANK["protected"]
    long = long.sort_values(["person_id", "property", "value", "apart", "record_id"],
                            kind="stable")
    key = ["person_id", "property", "value", "apart"]
    starts = (long[key] != long[key].shift()).any(axis=1).to_numpy()
    group = starts.cumsum() - 1
    level = pd.Series(long["rank"].to_numpy()).groupby(group).max().to_numpy()
    claims: list[list[Any]] = []
    # One pass over the rows in plain Python: iterating pandas groups costs ~50 µs
    # each, which a run with a million claims cannot afford.
    rows = zip(starts, group, long["person_id"], long["property"], long["value"],
               long["earliest"], long["latest"], long["text"], long["record_id"], strict=True)
    for first, g, pid, prop, value, lo, hi, text, rec in rows:
        if first:
            claims.append([new_id("claim"), pid, prop, value, _LEVEL[int(level[g])],
                           _text(lo), _text(hi), _text(text), []])
        claims[-1][8].append(rec)
    return claims
