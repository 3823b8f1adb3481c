"""Erasing a protected list, or its source, leaves nothing readable (issue 11), reproducing
the attack.

The attacker holds a copy of the home and of the database (SQLite's file and WAL, or
PostgreSQL's relation files) *and the master key*: every sealed payload whose data key
still exists, in any table or any ledger event, opens. SYNTHETIC lists: one open, one
protected whose title, file name, hand-over party, column name, cells, description
(provinces, period) and review note are markers fresh each run. After a linkage run (the
stand-in linker), a review note, a second description and a second version, the list is
erased (through its file, or through its source): no marker may be read anywhere, no
destroyed key's wrapped bytes may be left in the database's own files, and the open
list stays readable. Before the fix the list's description, records, column names,
persons and claims all still opened.
"""

from __future__ import annotations

import base64
import csv
import json
import secrets
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlalchemy import select

from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import ACT_ACCOUNT, ActType, EntityKind, Sensitivity, SourceKind
from dadkhahi.facts.entities import Support, add_claim, create_act
from dadkhahi.intake.erasure import erase_item, erase_source, sealed_key_ids
from dadkhahi.intake.evidence import Receipt
from dadkhahi.intake.list_description import DescriptionChange, ListDescription, describe_list
from dadkhahi.intake.lists import import_list
from dadkhahi.ledger.sealing import unwrap_key
from dadkhahi.linkage.service import decide, run_linkage
from dadkhahi.linkage.store_io import load_records
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger
from database_files import database_files

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "linkage"))
import contextlib

from fake_linker import fake_linker

P = Sensitivity.PROTECTED


def _markers() -> dict[str, str]:
    # Fresh each run: PostgreSQL's WAL is shared and outlives a test database.
    letters = "".join(secrets.choice("bcdfghjklmnpqrstvwxz") for _ in range(8))
    names = (
        "title",
        "cite",
        "file",
        "from",
        "column",
        "cell",
        "city",
        "given",
        "family",
        "province",
        "province2",
        "note",
        "third",
        "act",
    )
    return {n: f"Qzv{letters}{n}" for n in names}


def _open(wrapped: str, master: bytes, sealed: dict[str, Any]) -> bytes:
    """What an attacker with the master key reads of a sealed payload, knowing nothing of
    its context: AES-GCM is CTR mode underneath, so the text decrypts without the tag."""
    key = unwrap_key(wrapped, master)
    nonce, ct = base64.b64decode(sealed["nonce"]), base64.b64decode(sealed["ct"])
    decryptor = Cipher(algorithms.AES(key), modes.CTR(nonce + b"\x00\x00\x00\x02")).decryptor()
    return decryptor.update(ct[:-16]) + decryptor.finalize()


def _payloads(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        here = [value] if isinstance(value.get("key_id"), str) and "ct" in value else []
        return here + [p for v in value.values() for p in _payloads(v)]
    if isinstance(value, list):
        return [p for v in value for p in _payloads(v)]
    return []


def _json_cells(row: Any) -> list[Any]:
    out = []
    for v in row:
        if isinstance(v, dict | list):
            out.append(v)
        elif isinstance(v, str) and v[:1] in "{[":
            with contextlib.suppress(ValueError):
                out.append(json.loads(v))
    return out


def _readable(store: Store) -> bytes:
    """Everything the attacker reads: every table and event body, every payload that still
    opens, the home's files and the database's own files."""
    master = store.keys.master
    with store.reading() as conn:
        wrapped = dict(conn.execute(select(s.data_keys.c.id, s.data_keys.c.wrapped)).all())
        tables = [t for t in s.metadata.sorted_tables if t.name != "data_keys"]
        rows = [tuple(r) for t in tables for r in conn.execute(select(t))]
        bodies = [r.body for r in conn.execute(select(s.ledger_events.c.body))]
    found = [repr(rows).encode(), *bodies]
    values = [c for r in rows for c in _json_cells(r)] + [json.loads(b) for b in bodies]
    for sealed in (p for v in values for p in _payloads(v)):
        if sealed["key_id"] in wrapped:
            found.append(_open(wrapped[sealed["key_id"]], master, sealed))
    found.append(database_files(store))
    found += [p.read_bytes() for p in sorted(store.home.path.rglob("*")) if p.is_file()]
    return b"\n".join(found)


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


@pytest.mark.parametrize("through", ["file", "source"])
def test_erasing_a_protected_list_leaves_nothing_readable(
    store: Store, tmp_path: Path, through: str
) -> None:
    m = _markers()
    header = ["ID", "Full name", "City", m["column"]]
    _csv(tmp_path / "open.csv", [header[:3], ["O1", "SYNTHETIC Ali Karimi", "Tehran"]])
    import_list(
        store, tmp_path / "open.csv", source="SYNTHETIC open", actor="tester", id_column="ID"
    )
    rows = [
        header,
        ["P1", "SYNTHETIC Ali Karimi", m["city"], m["cell"]],
        ["P2", f"SYNTHETIC {m['given']} {m['family']}", "Qom", ""],
    ]
    secret = import_list(
        store,
        _csv(tmp_path / f"{m['file']}.csv", rows),
        actor="tester",
        id_column="ID",
        source=SourceSpec(
            title=f"SYNTHETIC {m['title']}", kind=SourceKind.LIST, sensitivity=P, citation=m["cite"]
        ),
        receipt=Receipt(actor="tester", from_party=m["from"]),
        description=ListDescription(provinces=[m["province"]], period="1361/01/07..1361/02/11"),
    )
    describe_list(
        store,
        secret.list_id,
        DescriptionChange(provinces=[m["province"], m["province2"]]),
        "tester",
    )
    recs = load_records(store)
    ids = dict(zip(recs["external_id"], recs["record_id"], strict=True))
    run_linkage(store, "tester", linker=fake_linker(store, lambda _r: [[ids["O1"], ids["P1"]]]))
    decide(store, "reviewer", ids["O1"], ids["P2"], "different", note=f"SYNTHETIC not {m['note']}")
    second = import_list(
        store,
        _csv(tmp_path / "v2.csv", [*rows, ["P3", f"SYNTHETIC {m['third']}", "Qom", ""]]),
        actor="tester",
        id_column="ID",
        new_version_of=secret.list_id,
    )
    # An act told from a record of the list: its description is the list's words.
    with store.transaction("tester") as tx:
        act = create_act(tx, ActType.EXECUTION, description=f"SYNTHETIC {m['act']}",
                         sensitivity=P)
        add_claim(tx, EntityKind.ACT, act, ACT_ACCOUNT, {"type": "execution", "date": None},
                  [Support(secret.source_id, record_id=ids["P2"])], sensitivity=P)
    with store.reading() as conn:
        wrapped = dict(conn.execute(select(s.data_keys.c.id, s.data_keys.c.wrapped)).all())
    live = set(wrapped)
    before = _readable(store)
    # The attack works on the live store: what the list said opens with the master key.
    assert [k for k, v in m.items() if v.encode() not in before] == []

    if through == "file":
        erase_item(store, second.item_id, "SYNTHETIC witness asked", "tester")
    else:
        erase_source(store, secret.source_id, "SYNTHETIC witness asked", "tester")

    after = _readable(store)
    # Erasing the list leaves its source's own fields (the source is erased on its own).
    kept = {"title", "cite"} if through == "file" else set()
    assert [k for k, v in m.items() if (v.encode() in after) != (k in kept)] == []
    assert b"SYNTHETIC Ali Karimi" in after and b"Tehran" in after  # the open list
    with store.reading() as conn:
        destroyed = live - set(conn.execute(select(s.data_keys.c.id)).scalars())
        assert verify_ledger(conn, store.verifier_key()).ok
        erased = set(conn.execute(select(s.erasures.c.key_id)).scalars())
        bodies = [json.loads(b) for b in conn.execute(select(s.ledger_events.c.body)).scalars()]
    assert destroyed == erased
    # Every key of the list's events went (the first description's too).
    described = {
        k
        for b in bodies
        if b["type"] in ("records.imported", "list.described")
        for k in sealed_key_ids(b["data"])
    }
    assert described and described <= erased
    for item in (secret.item_id, second.item_id):
        assert not store.blobs.has_sealed(item)
    # No destroyed key's wrapped bytes are left in the database's files or the home.
    left = [k for k in destroyed for form in _forms(wrapped[k]) if form in after]
    assert left == []


def _forms(wrapped: str) -> list[bytes]:
    """A wrapped key as stored, and its raw bytes raw, in hex and in base64."""
    raw = base64.b64decode(wrapped.split(":", 1)[1])
    return [wrapped.encode(), raw, raw.hex().encode(), base64.urlsafe_b64encode(raw)]
