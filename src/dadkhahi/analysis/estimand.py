"""What an estimate of the store estimates, and which records may enter it.

From each list's description (:mod:`dadkhahi.intake.list_description`):

* only lists of **victims** enter (a list of detainees holds survivors, one of
  perpetrators other people altogether); the others are named as left out;
* only each list's **current version** counts (records of earlier imports of
  the same list are left out);
* a list **derived from** another list of the estimate (copied, extracted,
  translated) is no independent witness of the same deaths: its records are
  merged into that list's column, as if they were one list;
* lists that **cover only some provinces** make a total over all provinces
  meaningless unless stratified: the estimand says so and asks for
  ``--by province``, where a list counts only in the provinces it covers (in
  the others nobody can be on it: a structural zero, so it is left out of
  that stratum's model).

The sentence that states the estimand goes into the result and the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dadkhahi.domain.protected import REDACTED
from dadkhahi.domain.vocab import ListKind
from dadkhahi.intake.list_description import ListInfo, list_catalogue
from dadkhahi.store.store import Store


@dataclass(frozen=True)
class Estimand:
    """The sentence, each list's part in it, and the records that enter."""

    text: str
    lists: tuple[dict[str, Any], ...]
    records: pd.DataFrame
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _root(info: ListInfo, by_ref: dict[str, ListInfo], used: set[str]) -> ListInfo:
    """The list ``info`` is derived from, followed to its first list (used ones only)."""
    seen = {info.id}
    current = info
    while True:
        parents = [by_ref[r] for r in current.derived_from
                   if r in by_ref and by_ref[r].id in used and by_ref[r].id not in seen]
        if not parents:
            return current
        current = parents[0]
        seen.add(current.id)


def _coverage(info: ListInfo) -> str:
    """What the estimand says a list covers: a protected list's coverage stays sealed."""
    return REDACTED if info.sealed else info.coverage_text()


def _provinces(info: ListInfo) -> str:
    return REDACTED if info.sealed else ", ".join(info.provinces or [])


def _kind(info: ListInfo) -> str:
    """What a list lists, as the estimand says it: a protected list's kind is sealed with
    its description (the estimate's sentence and settings, in its event, last for ever);
    that it is left out, and so not of victims, is all the estimand says of it."""
    return REDACTED if info.sealed else info.kind


def _left_out(part: dict[str, Any]) -> str:
    kind = part["kind"]
    return str(part["title"]) + ("" if kind == REDACTED else f" ({kind})")


def estimand_of(store: Store, frame: pd.DataFrame) -> Estimand:
    """Select and merge the records of ``frame`` (from ``linked_records``) by list.

    ``source_id`` of a derived list's records becomes its parent's, so the
    parent's column holds both.
    """
    with store.reading() as conn:
        catalogue = list_catalogue(store, conn)
    used = {i.id for i in catalogue if i.kind == ListKind.VICTIMS.value}
    by_ref: dict[str, ListInfo] = {}
    for info in catalogue:
        by_ref[info.id] = info
        by_ref.setdefault(info.source_id, info)
    parts: list[dict[str, Any]] = []
    remap: dict[str, str] = {}
    current: set[str] = set()
    for info in catalogue:
        entry: dict[str, Any] = {"list": info.id, "title": info.source_title,
                                 "kind": _kind(info), "coverage": _coverage(info),
                                 "versions": info.versions, "import": info.current_import_id}
        if info.id not in used:
            entry.update(used=False, why="not a list of victims" if info.sealed
                         else f"a list of {info.kind}, not of victims")
        else:
            root = _root(info, by_ref, used)
            entry["used"] = True
            if root.id != info.id:
                entry["merged_into"] = root.id
                entry["why"] = f"derived from {root.source_title}: merged with it"
            remap[info.source_id] = root.source_id
            current.add(info.current_import_id)
        parts.append(entry)
    # Records of a list's earlier versions, and of lists left out, stay out.
    keep = frame["import_id"].isin(current)
    records = frame[keep].assign(source_id=lambda f: f["source_id"].map(
        lambda sid: remap.get(str(sid), sid)))
    chosen = [i for i in catalogue if i.id in used]
    warnings: list[str] = []
    limited = [i for i in chosen if i.province_keys]
    if limited:
        where = "the provinces the lists cover"
        warnings.append(
            "lists covering only some provinces: "
            + "; ".join(f"{i.source_title} ({_provinces(i)})" for i in limited)
            + ". Estimate --by province: each list then counts only where it looked"
        )
    else:
        where = "all provinces"
    # A protected list's period is the list's own secret: the sentence (which the
    # estimate's event keeps for ever) bounds the period by the other lists only.
    told = [i for i in chosen if not i.sealed]
    froms = [i.period_from for i in told]
    tos = [i.period_to for i in told]
    if told and all(froms) and all(tos):
        when = f"killed between {min(f for f in froms if f)} and {max(t for t in tos if t)}"
        if len(told) < len(chosen):
            when += " (and in a protected list's period)"
    else:
        when = "killed (not every list states its period)"
    merged = sum(1 for p in parts if p.get("merged_into"))
    left_out = [p for p in parts if not p["used"]]
    columns = len({remap[i.source_id] for i in chosen})
    text = (
        f"people {when}, in {where}, as listed by {columns} independent "
        f"list{'s' if columns != 1 else ''} of victims"
        + (f" ({merged} derived list{'s' if merged != 1 else ''} merged into "
           "the list it came from)" if merged else "")
        + (f"; left out: {', '.join(_left_out(p) for p in left_out)}" if left_out else "")
    )
    return Estimand(text, tuple(parts), records.reset_index(drop=True), tuple(warnings))

