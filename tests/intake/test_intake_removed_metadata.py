"""Issue 12 item 16: custody lists an original's derivatives; the metadata its public
copy left out (camera, times, GPS) is kept sealed, readable only with a grant.

SYNTHETIC images only.
"""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from dadkhahi.access.grants import grant_in
from dadkhahi.access.policy import Principal, Role, params, visible
from dadkhahi.access.users import add_user
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.erasure import erase_item
from dadkhahi.intake.evidence import (
    Receipt,
    add_evidence,
    derivatives_of,
    removed_metadata,
)
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger

RECEIPT = Receipt(actor="tester", how="SYNTHETIC camera card")


def _photo(path: Path) -> Path:
    img = Image.new("RGB", (32, 24), (10, 200, 10))
    exif = Image.Exif()
    exif[0x010F] = "SYNTHETICMAKE"  # Make
    exif[0x0110] = "SYNTHETICMODEL"  # Model
    exif[0x0132] = "1988:08:03 10:00:00"  # DateTime
    exif[0x8825] = {1: "N", 2: (35.0, 47.0, 0.0), 3: "E", 4: (51.0, 23.0, 0.0)}
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    path.write_bytes(out.getvalue())
    return path


def _principal(team: bool, user_id: str) -> Principal:
    return Principal(user_id=user_id, username=user_id,
                     role=Role.INVESTIGATOR if team else Role.VIEWER)


def test_custody_lists_the_copy_and_keeps_the_metadata_sealed(
    store: Store, tmp_path: Path
) -> None:
    for level in (Sensitivity.RESTRICTED, Sensitivity.PROTECTED):
        photo = _photo(tmp_path / f"{level}.jpg")
        report = add_evidence(store, [photo], RECEIPT, new_source=SourceSpec(
            title=f"SYNTHETIC {level}", sensitivity=level))
        item_id = report.added[0][1]
        copies = derivatives_of(store, item_id)
        assert [c["derivation"] for c in copies] == ["metadata_stripped"]
        with store.reading() as conn:
            kept = removed_metadata(store, conn, item_id)
            row = conn.execute(select(s.item_metadata).where(
                s.item_metadata.c.item_id == item_id)).mappings().one()
        assert kept is not None
        assert kept["Make"] == "SYNTHETICMAKE" and kept["Model"] == "SYNTHETICMODEL"
        assert kept["DateTime"] == "1988:08:03 10:00:00"
        assert kept["GPS position"] == "35.7833333, 51.3833333"
        assert row["sensitivity"] == "protected" and row["derivative_id"] == copies[0]["id"]
    # Nothing of it is readable in the database file or the ledger (only SQLite homes).
    db = store.home.path / "dadkhahi.sqlite"
    if db.exists():
        with sqlite3.connect(db) as raw:
            dump = "\n".join(raw.iterdump())
        assert "SYNTHETICMAKE" not in dump and "35.78" not in dump
    with store.reading() as conn:
        assert verify_ledger(conn, store.verifier_key()).ok
    # Erasing the protected original erases its metadata too.
    erase_item(store, item_id, "SYNTHETIC erasure request", "tester")
    with store.reading() as conn:
        assert removed_metadata(store, conn, item_id) is None
        assert verify_ledger(conn, store.verifier_key()).ok


def test_only_a_grant_on_the_source_shows_the_metadata(store: Store, tmp_path: Path) -> None:
    photo = _photo(tmp_path / "p.jpg")
    report = add_evidence(store, [photo], RECEIPT, new_source=SourceSpec(
        title="SYNTHETIC team", sensitivity=Sensitivity.RESTRICTED))
    item_id = report.added[0][1]
    outsider, viewer = _principal(True, "usr_outsider"), _principal(False, "usr_viewer")
    holder_id = add_user(store, "synthetic-holder", Role.INVESTIGATOR,
                         "SYNTHETIC long passphrase 1988", "tester")
    holder = _principal(True, holder_id)
    with store.transaction("tester") as tx:
        grant_in(tx, report.source_id, holder_id)

    def sees(who: Principal) -> bool:
        with store.reading() as conn:
            return conn.execute(select(s.item_metadata.c.item_id).where(
                s.item_metadata.c.item_id == item_id, visible(who, s.item_metadata)),
                params(who)).first() is not None

    # The item itself is restricted (the team sees it); its metadata is protected.
    assert (sees(outsider), sees(viewer), sees(holder)) == (False, False, True)
