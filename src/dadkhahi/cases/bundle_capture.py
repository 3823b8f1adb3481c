"""What a court bundle says of each exhibit's capture: time and place as its source claims
them, and as verifiers found them, each proven by the ledger event that records it.

* **Claimed**: the source's ``collected_at`` and ``location`` as registered
  (``source.registered``). The event is proven; a protected source's two fields are
  disclosed from its sealed payload by a selective proof (nothing else of it), a source
  registered before selective proofs has them withheld ("not disclosed").
* **Verified**: every ``item.capture_verified`` event of the exhibit's original
  (``intake.capture_checks``), proven, a protected item's sealed fields disclosed by a
  selective proof; the verifier named beside it (from the sealed pseudonym mapping:
  named, not proven, as custodians are). None recorded: ``null``, said in words.

What goes is decided by the one disclosure rule (``access.disclosure``) for the court:
a verification goes with its item (table ``capture_verifications``), the claim with its
source. Where only a released redacted copy of the original goes, neither goes (the copy
discloses no more of its source than its ID). Both verifiers check every value against
the proven events (``cases.bundle_verify``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select

from dadkhahi.access.disclosure import Audience, disclosable
from dadkhahi.cases.bundle_proofs import Disclosure, custody_disclosures
from dadkhahi.intake.capture_checks import verifications_in
from dadkhahi.store import schema as s
from dadkhahi.store.actors import name_of
from dadkhahi.store.sealed import KeyRing

#: The fields of a verification an exhibit shows, as its event names them.
VERIFIED_FIELDS = ("at", "actor", "method", "result", "time", "place", "note")
#: The claim's fields in ``exhibit.json`` → the source's fields that hold them.
CLAIMED_FIELDS = {"time": "collected_at", "place": "location"}
NOT_VERIFIED = "not verified: no verification of this exhibit's capture time or place is recorded"
NOT_SHOWN = "not shown: only a redacted copy of the original goes"
NOTHING_CLAIMED = "nothing claimed: the source was registered without a capture time or place"
SEALED_BEFORE = ("not disclosed: the source was sealed before selective proofs, so these "
                 "fields cannot be proven alone")


class CaptureReader:
    """Claims and verifications of many exhibits' originals, read in a few queries; the
    events to prove (:attr:`proven`) and what their proofs disclose (:attr:`disclosed`)."""

    def __init__(self, conn: Connection, keys: KeyRing, originals: Sequence[Mapping[str, Any]],
                 audience: Audience) -> None:
        self._conn, self._keys = conn, keys
        self.proven: set[int] = set()
        self.disclosed: dict[int, Disclosure] = {}
        self._names: dict[str, str] = {}
        ids = [str(item["id"]) for item in originals]
        rows = verifications_in(conn, ids) if ids else []
        going = disclosable(conn, "capture_verification", [str(r["id"]) for r in rows],
                            audience)
        self._checks: dict[str, list[int]] = {}
        for row in rows:
            if str(row["id"]) in going:
                self._checks.setdefault(str(row["item_id"]), []).append(int(row["ledger_index"]))
        sources = disclosable(conn, "source", {str(i["source_id"]) for i in originals}, audience)
        self._registered = _registrations(conn, sorted(sources))
        wanted = {i for chain in self._checks.values() for i in chain}
        self._bodies = _bodies(conn, sorted(wanted))

    def claimed(self, item: Mapping[str, Any]) -> dict[str, Any]:
        """The source's claim of when and where (``event``: the proven registration)."""
        out: dict[str, Any] = {"time": None, "place": None, "received_at": item["received_at"],
                               "event": None}
        found = self._registered.get(str(item["source_id"]))
        if found is None:
            return {**out, "note": NOT_SHOWN}
        index, data = found
        sealed = data.get("sealed")
        if isinstance(sealed, Mapping):
            if "commitments" not in sealed:
                return {**out, "note": SEALED_BEFORE}
            opened = self._keys.disclose(self._conn, sealed, str(data["id"])) or {}
            fields: list[tuple[int | None, str, str]] = [
                (None, name, text) for name, text in opened.items()
                if name in CLAIMED_FIELDS.values()]
            values = Disclosure(fields=fields).values()
            if fields:
                self.disclosed[index] = Disclosure(fields=fields)
        else:
            values = data
        claim = {shown: values.get(field) for shown, field in CLAIMED_FIELDS.items()}
        if any(v is not None for v in claim.values()):
            self.proven.add(index)
            return {**out, **claim, "event": index}
        return {**out, "note": NOTHING_CLAIMED}

    def verified(self, item: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        """Each verification of the item's capture, as its proven event says (and who)."""
        chain = self._checks.get(str(item["id"]))
        if not chain:
            return None
        out = []
        disclosed = custody_disclosures(self._conn, self._keys,
                                        {i: self._bodies[i] for i in chain})
        for index in chain:
            data = json.loads(self._bodies[index])["data"]
            opened = disclosed[index].values() if index in disclosed else {}
            entry: dict[str, Any] = {"event": index, **{
                k: opened.get(k, data.get(k)) for k in VERIFIED_FIELDS}}
            actor = str(data["actor"])
            if actor not in self._names:
                self._names[actor] = name_of(self._conn, self._keys, actor) or "[name erased]"
            entry["verified_by"] = self._names[actor]
            out.append(entry)
            self.proven.add(index)
            if index in disclosed:
                self.disclosed[index] = disclosed[index]
        return out

    def capture(self, item: Mapping[str, Any], original_goes: bool) -> dict[str, Any]:
        """``exhibit.json``'s ``capture``: claimed, verified (or null, and why)."""
        if not original_goes:
            return {"claimed": {"time": None, "place": None,
                                "received_at": item["received_at"], "event": None,
                                "note": NOT_SHOWN},
                    "verified": None, "verification": NOT_SHOWN}
        verified = self.verified(item)
        return {"claimed": self.claimed(item), "verified": verified,
                "verification": NOT_VERIFIED if verified is None else
                f"{len(verified)} verification(s) recorded, each proven by its event"}


def _bodies(conn: Connection, indices: Sequence[int]) -> dict[int, bytes]:
    e = s.ledger_events.c
    out: dict[int, bytes] = {}
    for start in range(0, len(indices), 500):
        part = list(indices[start:start + 500])
        out.update((int(i), bytes(b)) for i, b in conn.execute(
            select(e.idx, e.body).where(e.idx.in_(part))))
    return out


def _registrations(conn: Connection, source_ids: Sequence[str]
                   ) -> dict[str, tuple[int, dict[str, Any]]]:
    """Each source's ``source.registered`` event (index, data). Usually the row's own
    ``ledger_index``; a source whose language changed since is found among the
    registrations before it (the type has no index: read only those events)."""
    if not source_ids:
        return {}
    rows = {str(r.id): int(r.ledger_index) for r in conn.execute(
        select(s.sources.c.id, s.sources.c.ledger_index).where(s.sources.c.id.in_(source_ids)))}
    e = s.ledger_events.c
    out: dict[str, tuple[int, dict[str, Any]]] = {}
    for index, kind, body in conn.execute(select(e.idx, e.type, e.body).where(
            e.idx.in_(sorted(set(rows.values()))))):
        event = json.loads(bytes(body))
        if kind == "source.registered":
            out[str(event["data"]["id"])] = (int(index), event["data"])
    missing = {sid for sid in rows if sid not in out}
    if missing:
        for index, body in conn.execute(select(e.idx, e.body).where(
                e.type == "source.registered", e.idx < max(rows[m] for m in missing))):
            raw = bytes(body)
            if any(m.encode() in raw for m in missing):
                data = json.loads(raw)["data"]
                if data.get("id") in missing:
                    out[str(data["id"])] = (int(index), data)
    return out


__all__ = ["CLAIMED_FIELDS", "NOTHING_CLAIMED", "NOT_SHOWN", "NOT_VERIFIED", "SEALED_BEFORE",
           "VERIFIED_FIELDS", "CaptureReader"]
