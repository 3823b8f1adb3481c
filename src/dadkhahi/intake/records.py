"""Single records: what one source says about one person or event, entered one at a time.

(Whole lists come in through list import.) A record of a protected source is
protected too, and its verbatim and normalised fields are sealed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dadkhahi.domain.ids import new_id
from dadkhahi.domain.vocab import Sensitivity, strictest
from dadkhahi.store.store import Transaction


def stricter(a: Sensitivity, b: Sensitivity) -> Sensitivity:
    """The more restrictive of two sensitivities."""
    return strictest(a, b)


def add_record(
    tx: Transaction,
    source_id: str,
    source_sensitivity: Sensitivity,
    verbatim: Mapping[str, Any],
    *,
    normalized: Mapping[str, Any] | None = None,
    item_id: str | None = None,
    external_id: str | None = None,
    sensitivity: Sensitivity | None = None,
) -> str:
    """Emit ``record.added``; never less protected than its source. Returns the record ID."""
    level = stricter(source_sensitivity, sensitivity or source_sensitivity)
    record_id = new_id("record")
    data: dict[str, Any] = {
        "id": record_id, "source_id": source_id, "item_id": item_id, "import_id": None,
        "row_number": None, "external_id": external_id, "verbatim": dict(verbatim),
        "normalized": dict(normalized or {}), "sensitivity": str(level),
    }
    if level is Sensitivity.PROTECTED:
        data["sealed"] = tx.seal(
            {"verbatim": data["verbatim"], "normalized": data["normalized"]}, record_id)
        data["verbatim"], data["normalized"] = {}, {}
    tx.emit("record.added", data)
    return record_id
