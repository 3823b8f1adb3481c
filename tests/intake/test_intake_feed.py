"""The copy of files into the blob store ahead of their transactions (``intake.feed``):
each copy placed only at its turn, every copy not taken discarded, the command line's
copy started before the store is opened (issue 12 item 17)."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.intake.feed import FileFeed, FileOutcome, ProgressHooks
from dadkhahi.store.blobs import BlobStore
from dadkhahi.store.store import Store

RECEIPT = Receipt(actor="tester")


def _files(folder: Path, n: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for i in range(n):
        path = folder / f"f{i}.txt"
        path.write_text(f"SYNTHETIC statement {i}\n" * (1000 * (i + 1)))
        paths.append(path)
    return paths


def _placed(blobs: BlobStore) -> set[str]:
    return set(blobs.iter_hashes()) | set(blobs.iter_sealed_names())


def _incoming(blobs: BlobStore) -> list[Path]:
    tmp = blobs.root / "tmp"
    return sorted(tmp.glob("incoming-*")) if tmp.is_dir() else []


@pytest.mark.parametrize("sensitivity", [Sensitivity.RESTRICTED, Sensitivity.PROTECTED])
def test_each_copy_is_placed_at_its_turn_and_no_sooner(
        store: Store, tmp_path: Path, sensitivity: Sensitivity) -> None:
    paths = _files(tmp_path / "in", 4)
    seen: list[tuple[str, set[str], int]] = []

    def outcome(o: FileOutcome) -> None:
        # When a file is recorded, the blobs in place are exactly those recorded so far:
        # the next file's copy, made meanwhile, is still a temporary file.
        seen.append((o.status, _placed(store.blobs), len(_incoming(store.blobs))))

    report = add_evidence(store, [tmp_path / "in"], RECEIPT,
                          new_source=SourceSpec(title="SYNTHETIC", sensitivity=sensitivity),
                          hooks=ProgressHooks(outcome=outcome))
    assert [o.status for o in report.outcomes] == ["added"] * 4
    for n, (_, placed, incoming) in enumerate(seen, start=1):
        assert len(placed) == n and incoming <= 2
    if sensitivity is Sensitivity.RESTRICTED:
        assert seen[-1][1] == {hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    assert not _incoming(store.blobs)


def test_closing_a_feed_discards_what_was_not_taken(store: Store, tmp_path: Path) -> None:
    paths = _files(tmp_path / "in", 3)
    feed = FileFeed(store.blobs, paths, Sensitivity.PUBLIC)
    first = next(iter(feed))
    assert first.path == paths[0] and first.received is not None
    assert first.received.tmp.is_file() and not _placed(store.blobs)
    feed.close()
    feed.close()  # twice is harmless
    # The copy handed over is the taker's to place or discard; the rest are gone.
    assert _incoming(store.blobs) == [first.received.tmp]
    first.received.discard()
    assert not _incoming(store.blobs) and not _placed(store.blobs)
    assert not any(t.name == "intake-feed" for t in threading.enumerate())


def test_a_hook_that_raises_stops_the_feed_there(store: Store, tmp_path: Path) -> None:
    paths = _files(tmp_path / "in", 3)

    def file(path: Path) -> None:
        if path == paths[1]:
            raise RuntimeError("SYNTHETIC failure")

    with FileFeed(store.blobs, paths, Sensitivity.PUBLIC, ProgressHooks(file=file)) as feed:
        arrivals = list(feed)
    assert [a.path for a in arrivals] == paths[:2]
    assert arrivals[0].received is not None and arrivals[0].error is None
    assert isinstance(arrivals[1].error, RuntimeError)
    arrivals[0].received.discard()
    assert not _incoming(store.blobs)


@pytest.mark.parametrize("existing", [None, Sensitivity.RESTRICTED, Sensitivity.PROTECTED])
def test_the_command_line_starts_copying_before_it_opens_the_store(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        existing: Sensitivity | None) -> None:
    # Issue 12 item 17: opening the store imports the store's modules, walks the home and
    # checks its schema; a new source's files are copied meanwhile, and so are an existing
    # source's (stop 28 left `--source X` opening the store first, to learn whether the
    # files must be sealed as they are copied): its sensitivity is read with one query.
    import dadkhahi.cli.evidence as cli_evidence

    paths = _files(tmp_path / "in", 2)
    before = 0
    naming = ["--source-title", "SYNTHETIC"]
    if existing is not None:
        first = tmp_path / "first.txt"
        first.write_text("SYNTHETIC first\n")
        held = add_evidence(store, [first], RECEIPT, new_source=SourceSpec(
            title="SYNTHETIC held", sensitivity=existing))
        before = 1
        # By its exact title, and by a prefix of its ID.
        naming = ["--source", "SYNTHETIC held" if existing is Sensitivity.RESTRICTED
                  else str(held.source_id)[:9]]
    opened = cli_evidence.open_store
    feeding: list[bool] = []
    started: list[Sensitivity] = []
    made = FileFeed.__init__

    def open_store() -> Store:
        feeding.append(any(t.name == "intake-feed" for t in threading.enumerate()))
        return opened()

    def feed(self: FileFeed, *args: object, **kwargs: object) -> None:
        made(self, *args, **kwargs)  # type: ignore[arg-type]
        started.append(self.sensitivity)

    monkeypatch.setattr(cli_evidence, "open_store", open_store)
    monkeypatch.setattr(FileFeed, "__init__", feed)
    from dadkhahi.cli.main import app

    done = CliRunner().invoke(app, ["--home", str(store.home.path), "evidence", "add",
                                    str(tmp_path / "in"), *naming],
                              env={"COLUMNS": "200"})
    assert done.exit_code == 0, done.output
    assert feeding == [True]
    # One feed, copying as the source requires from its first byte (sealed if protected).
    assert started == [existing or Sensitivity.RESTRICTED]
    assert "2 added" in done.output and not _incoming(store.blobs)
    assert len(_placed(store.blobs)) == len(paths) + before
    if existing is Sensitivity.PROTECTED:
        plain = {hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
        assert not plain & set(store.blobs.iter_hashes())


def test_a_source_the_command_line_cannot_find_is_refused_as_before(
        store: Store, tmp_path: Path) -> None:
    from dadkhahi.cli.main import app

    _files(tmp_path / "in", 1)
    done = CliRunner().invoke(app, ["--home", str(store.home.path), "evidence", "add",
                                    str(tmp_path / "in"), "--source", "SYNTHETIC nosuch"],
                              env={"COLUMNS": "200"})
    assert done.exit_code != 0 and "no source 'SYNTHETIC nosuch'" in str(done.exception)
    assert not _incoming(store.blobs) and not _placed(store.blobs)


def test_a_feed_started_under_another_sensitivity_starts_again(
        store: Store, tmp_path: Path) -> None:
    # The sensitivity read ahead of the store is checked against the store's: a source
    # made protected meanwhile gets its files sealed, its plain copies discarded.
    first = tmp_path / "first.txt"
    first.write_text("SYNTHETIC first\n")
    held = add_evidence(store, [first], RECEIPT, new_source=SourceSpec(
        title="SYNTHETIC held", sensitivity=Sensitivity.PROTECTED))
    paths = _files(tmp_path / "in", 2)
    ahead = FileFeed(store.blobs, paths, Sensitivity.RESTRICTED)
    report = add_evidence(store, [tmp_path / "in"], RECEIPT, source_id=held.source_id,
                          feed=ahead)
    assert [o.status for o in report.outcomes] == ["added", "added"]
    plain = {hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    assert not plain & set(store.blobs.iter_hashes())
    assert len(set(store.blobs.iter_sealed_names())) == 3 and not _incoming(store.blobs)


def test_what_the_copy_needs_is_light() -> None:
    # Evidence add starts copying right after Typer has read the command line: the feed,
    # the blob store and the home's paths must not wait for SQLAlchemy or cryptography
    # (a plain copy encrypts nothing; the master key is read later).
    import subprocess
    import sys

    probe = ("import sys\n"
             "import dadkhahi.cli.evidence, dadkhahi.intake.feed, dadkhahi.store.home\n"
             "print(sorted({m.split('.')[0] for m in sys.modules}))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True).stdout
    assert "'typer'" in loaded
    for heavy in ("sqlalchemy", "cryptography", "pydantic", "PIL", "magic"):
        assert f"'{heavy}'" not in loaded, heavy
