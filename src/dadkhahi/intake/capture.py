"""A captured web page taken in as evidence: its files hashed and stored as items of one
source, with the URL and capture time in their custody entry, and the page's text
extracted like any document's.

The capture itself (browser, WARC, screenshot) is :mod:`dadkhahi.documents.capture`; the
files pass through an owner-only temporary folder on their way into the store (the same
intake path as any file), and the folder is removed whatever happens.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dadkhahi.documents.capture import Capture, capture
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity, SourceKind
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.store.store import Store


@dataclass(frozen=True)
class Captured:
    """The stored capture: its source, an item per file, and the capture's metadata."""

    source_id: str
    items: dict[str, str]  # file name -> item ID
    capture: Capture


def capture_url(
    store: Store, url: str, actor: str, *, source_id: str | None = None,
    sensitivity: Sensitivity = Sensitivity.RESTRICTED, title: str | None = None,
) -> Captured:
    """Capture ``url`` and store its files (WARC, screenshot, HTML, rendered HTML, metadata)
    under a new source (or ``source_id``). Extraction of the HTML's text is the caller's
    next step (``intake.documents``), as after any intake."""
    got = capture(url)
    hashes = ", ".join(f"{n} sha256:{m['sha256']}" for n, m in got.metadata()["files"].items()
                       if n != "capture.json")
    receipt = Receipt(actor=actor, from_party=got.final_url,
                      how="web capture (headless Chromium)",
                      notes=f"captured {got.url} at {got.captured_at}; {hashes}")
    spec = None if source_id else SourceSpec(
        title=title or f"Web capture of {got.url}", kind=SourceKind.ARTICLE,
        sensitivity=sensitivity)
    with tempfile.TemporaryDirectory(prefix="dadkhahi-capture-") as tmp:  # mode 700
        paths = []
        for name, body in sorted(got.files.items()):
            path = Path(tmp) / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(body)
            paths.append(path)
        report = add_evidence(store, paths, receipt, source_id=source_id, new_source=spec,
                              stop_on_error=True)
    assert report.source_id is not None
    items = {path.name: item for path, item in report.added}
    return Captured(report.source_id, items, got)
