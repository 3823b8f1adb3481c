"""``dadkhahi publish``: read, render, sign, write, record — in that order.

The site is rendered in memory first, so a failure leaves the output folder as it was.
Files whose bytes did not change are not rewritten (a mirror syncing by modification
time copies only what changed); files of the previous build that are gone are removed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from dadkhahi.analysis.estimates import released_estimates
from dadkhahi.domain.errors import UserError
from dadkhahi.publish import manifest as mf
from dadkhahi.publish.collect import collect, event_time
from dadkhahi.publish.lock import Waiting, building
from dadkhahi.publish.search_index import write_search
from dadkhahi.publish.site import (
    INDEX_DIR,
    PLACES_DATA,
    REDIRECTS,
    Options,
    Site,
    asset_files,
    places_script,
)
from dadkhahi.publish.verify import verifier_script
from dadkhahi.store.store import Store

#: Extra files a build adds (the search index, ``index/...``): path → bytes.
Extra = dict[str, bytes]


@dataclass
class BuildReport:
    """What a build wrote and whom it held back."""

    out: Path
    sequence: int
    recorded: bool
    files: int
    written: int
    removed: int
    published: int
    withdrawn: int
    held: dict[str, list[str]] = field(default_factory=dict)
    manifest_sha256: str = ""
    #: Addresses published before that now redirect (a merge) or show "under review".
    redirected: int = 0
    reviewing: int = 0


#: Reports a build's progress: (step done, steps in all, what comes next).
Progress = Callable[[int, int, str], None]
#: The steps a build reports, in order.
STEPS = ("collecting what may be published", "rendering the pages", "laying out the books",
         "indexing the names for search", "signing", "writing the files")


def build(store: Store, actor: str, out: Path, options: Options | None = None,
          extra: Extra | None = None, progress: Progress | None = None,
          waiting: Waiting | None = None) -> BuildReport:
    """Build the memorial into ``out`` (a new folder, or a previous build to update).

    ``progress`` hears each of :data:`STEPS` as it starts (a job's progress; it may stop
    the build by raising, which it can until the files are written). One build of a home
    or a folder runs at a time (:mod:`dadkhahi.publish.lock`): while another runs, this
    one fails at once with :class:`~dadkhahi.publish.lock.BuildBusyError`, or, given
    ``waiting``, waits for it, calling ``waiting`` about once a second."""
    with building(store, out, waiting):
        return _build(store, actor, out, options or Options(), extra, progress)


def _build(store: Store, actor: str, out: Path, options: Options, extra: Extra | None,
           progress: Progress | None) -> BuildReport:
    _check_out(out)

    def step(n: int) -> None:
        if progress is not None:
            progress(n, len(STEPS), STEPS[n])

    step(0)
    signer = mf.publication_signer(store, actor)
    released = released_estimates(store, "public")
    with store.reading() as conn:
        memorial = collect(store, conn, released)
    site = Site(memorial, options)
    step(1)
    pages = list(site.content_pages())
    files = site.render_all(iter(pages))
    files.update(asset_files())
    # The books: laid out in parts and joined on the render processes.
    step(2)
    files.update(site.render_books(partial(event_time, store)))
    files[REDIRECTS] = site.redirect_map()
    files.update(site.sitemap([
        *(page.path for page in pages if page.template != "redirect.html"),
        *(page.path for page in site.about_pages({}))]))
    files[PLACES_DATA] = places_script(memorial.places)
    step(3)
    files.update(search_files(site))
    for path, data in sorted((extra or {}).items()):
        if not path.startswith(f"{INDEX_DIR}/") or path in files:
            raise UserError(f"an extra file must go under {INDEX_DIR}/: {path}")
        files[path] = data
    files["verify_site.py"] = verifier_script().encode("utf-8")
    files[mf.KEY_FILE] = (signer.verifier_key() + "\n").encode("ascii")
    step(4)
    content = mf.content_hash(files)
    build_info, new = mf.next_build(store, content)
    files.update(site.render_all(site.about_pages({
        "sequence": build_info.sequence, "checkpoint_size": build_info.checkpoint_size,
        "key": signer.verifier_key()})))
    files[mf.CHECKPOINT] = build_info.checkpoint_note.encode("utf-8")
    manifest = signer.sign(mf.manifest_text(build_info, files)).encode("utf-8")
    files[mf.MANIFEST] = manifest
    step(5)
    written, removed = _write(out, files)
    if new:
        mf.record(store, actor, build_info, manifest, content, len(files),
                  memorial.addresses.new,
                  sorted(set(site.list_pages()) - memorial.addresses.pages))
    return BuildReport(
        out=out, sequence=build_info.sequence, recorded=new, files=len(files),
        written=written, removed=removed, published=len(memorial.victims),
        withdrawn=len(memorial.tombstones), held=memorial.gate.held,
        redirected=len(memorial.addresses.redirects),
        reviewing=len(memorial.addresses.reviewing),
        manifest_sha256=hashlib.sha256(manifest).hexdigest())


def search_files(site: Site) -> dict[str, bytes]:
    """The offline name search (``index/``) of the published victims, as files."""
    with tempfile.TemporaryDirectory(prefix="dadkhahi-search-") as tmp:
        written = write_search(Path(tmp), site.search_victims(), site.options.languages)
        return {rel: (Path(tmp) / rel).read_bytes() for rel in written.files}


def _check_out(out: Path) -> None:
    if out.exists() and (not out.is_dir() or (
            any(out.iterdir()) and not (out / mf.MANIFEST).is_file())):
        raise UserError(f"{out} exists and is not a memorial built before: give a new "
                        "folder (nothing is overwritten but a previous build)")


def _write(out: Path, files: dict[str, bytes]) -> tuple[int, int]:
    """Write changed files (atomically each); remove files the build no longer has."""
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    made: set[Path] = set()
    for rel in sorted(files):
        target = out / rel
        data = files[rel]
        if target.is_file():
            if target.stat().st_size == len(data) and target.read_bytes() == data:
                continue
            # A changed file is replaced whole: a mirror never serves half of it.
            tmp = target.with_name(target.name + ".tmp")
            tmp.write_bytes(data)
            os.replace(tmp, target)
        else:
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            target.write_bytes(data)
        written += 1
    removed = 0
    for path in sorted(out.rglob("*"), reverse=True):
        rel = path.relative_to(out).as_posix()
        if path.is_file() and rel not in files:
            path.unlink()
            removed += 1
        elif path.is_dir() and not any(path.iterdir()):
            shutil.rmtree(path)
    return written, removed
