"""The built memorial as a zip (``services.memorial``): for who may publish only, of the
signed build whole (it verifies once unpacked), the same bytes for the same build,
audited; nothing before the first build, and nothing from a folder that no longer
matches its signed manifest."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from world import World

from dadkhahi.access.policy import ForbiddenError, Principal, Role
from dadkhahi.domain.errors import ConflictError, NotFoundError
from dadkhahi.publish.build import build
from dadkhahi.publish.jobs import memorial_folder
from dadkhahi.publish.lock import BuildBusyError, building
from dadkhahi.publish.manifest import announced_key
from dadkhahi.publish.site import Options
from dadkhahi.publish.verify import verify
from dadkhahi.services.memorial import last_build, memorial_archive
from dadkhahi.store import schema as s

ADMIN = Principal(user_id="usr_publisher", username="tester", role=Role.ADMIN)


def _zip_of(world: World, principal: Principal = ADMIN, sequence: int | None = None
            ) -> bytes:
    archive = memorial_archive(world.store, principal, sequence)
    with archive.file:
        data = archive.file.read()
    assert len(data) == archive.size and archive.name == f"memorial-build-{archive.sequence}.zip"
    return data


def test_the_last_build_as_a_zip(world: World, tmp_path: Path) -> None:
    store = world.store
    for role in (Role.ANALYST, Role.INVESTIGATOR, Role.LAWYER, Role.RESEARCHER, Role.VIEWER):
        with pytest.raises(ForbiddenError):
            memorial_archive(store, Principal(user_id="usr_x", username="x", role=role))
    with pytest.raises(ForbiddenError):
        memorial_archive(store, Principal())
    assert last_build(store, ADMIN) is None
    with pytest.raises(NotFoundError, match="not been built"):
        memorial_archive(store, ADMIN)

    build(store, "tester", memorial_folder(store), Options(contact="SYNTHETIC desk"))
    assert last_build(store, ADMIN) == 1
    assert last_build(store, Principal(user_id="usr_x", username="x", role=Role.ANALYST)) \
        is None
    data = _zip_of(world)
    assert _zip_of(world, sequence=1) == data  # the same build, the same bytes
    with pytest.raises(NotFoundError, match="no longer"):
        memorial_archive(store, ADMIN, 2)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        assert all(n.startswith("memorial-build-1/") for n in names)
        zf.extractall(tmp_path / "copy")
    with store.reading() as conn:
        key = announced_key(conn)
        audits = [b for b in conn.execute(select(s.ledger_events.c.body).where(
            s.ledger_events.c.type == "audit.read")).scalars() if b"memorial.download" in b]
    assert key is not None
    problems, head = verify(tmp_path / "copy" / "memorial-build-1", key, store.verifier_key())
    assert problems == [] and head["sequence"] == "1"
    assert len(audits) == 2  # each copy given

    # A file the build did not write (or one changed by hand): no copy until rebuilt.
    stray = memorial_folder(store) / "en" / "stray.html"
    stray.write_text("not signed", "utf-8")
    with pytest.raises(ConflictError, match="build it again"):
        memorial_archive(store, ADMIN)
    stray.unlink()
    assert _zip_of(world) == data
    # While a build writes the folder, no copy is taken (and no request waits for it).
    with building(store, memorial_folder(store)), pytest.raises(BuildBusyError,
                                                                 match="being built"):
        memorial_archive(store, ADMIN)
