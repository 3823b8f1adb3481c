"""Issue 15: an audio or video file's technical metadata (duration, codecs) in custody, and
a copy without identifying metadata (tags, location, cover art, chapters) whose streams are
the original's; the tags left out kept sealed. SYNTHETIC recordings made here by FFmpeg
(a sine tone, a test pattern), tagged with marker words (scripts/install-system-deps.sh
installs FFmpeg)."""

from __future__ import annotations

import hashlib
import subprocess
import tracemalloc
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from dadkhahi.documents import av
from dadkhahi.domain.errors import UserError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake.evidence import (
    ENV_MAX_SEALED_RECORDING,
    Receipt,
    add_evidence,
    derivatives_in,
    item_content,
    max_sealed_recording,
    removed_metadata,
)
from dadkhahi.store import schema as s
from dadkhahi.store.home import ENV_DATABASE_URL, Home
from dadkhahi.store.store import Store

MARKERS = (b"SYNTHETICWITNESS", b"MarkerPhone", b"35.6892", b"CHAPTERMARK")
TAGS = ["-metadata", "title=SYNTHETICWITNESS", "-metadata", "location=+35.6892+051.3890/",
        "-metadata", "creation_time=1999-01-02T03:04:05Z"]


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", *args], check=True)


def _recordings(tmp: Path) -> dict[str, Path]:
    """An M4A with cover art and a chapter, an MP4 video with a phone's handler name."""
    cover = tmp / "cover.png"
    Image.new("RGB", (16, 16), (200, 10, 10)).save(cover)
    chapters = tmp / "chapters.txt"
    chapters.write_text(";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\n"
                        "title=CHAPTERMARK\n", "utf-8")
    audio, video = tmp / "witness.m4a", tmp / "scene.mp4"
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-i", str(cover),
            "-i", str(chapters), "-map", "0", "-map", "1", "-map_chapters", "2",
            "-c:a", "aac", "-c:v", "png", "-disposition:v", "attached_pic", *TAGS, str(audio))
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=2", "-f", "lavfi",
            "-i", "sine=duration=2", "-c:v", "mpeg4", "-c:a", "aac", "-shortest", *TAGS,
            "-metadata:s:v:0", "handler_name=MarkerPhone", str(video))
    return {"audio/x-m4a": audio, "video/mp4": video}


def test_a_recording_gets_a_copy_without_identifying_metadata(
        store: Store, tmp_path: Path) -> None:
    assert av.available(), "FFmpeg is missing: run scripts/install-system-deps.sh"
    files = _recordings(tmp_path)
    for original in files.values():
        assert any(m in original.read_bytes() for m in MARKERS)
    # Protected first: the restricted copy of the same file is the same bytes (bit-exact).
    for level in (Sensitivity.PROTECTED, Sensitivity.RESTRICTED):
        report = add_evidence(store, list(files.values()), Receipt(actor="t"),
                              new_source=SourceSpec(title=f"SYNTHETIC {level}",
                                                    sensitivity=level))
        for (_, item_id), (media_type, path) in zip(report.added, files.items(), strict=True):
            with store.reading() as conn:
                [copy] = derivatives_in(conn, item_id)
                row = conn.execute(select(s.items).where(s.items.c.id == copy["id"])
                                   ).mappings().one()
                data = b"".join(item_content(store, conn, dict(row)))
                original = conn.execute(select(s.items.c.sha256).where(
                    s.items.c.id == item_id)).scalar_one()
                custody = store.keys.open_row(conn, dict(conn.execute(
                    select(s.custody).where(s.custody.c.item_id == copy["id"])
                ).mappings().one()))
                removed = removed_metadata(store, conn, item_id)
            assert row["media_type"] == media_type and row["derivation"] == "metadata_stripped"
            assert not any(m in data for m in MARKERS), (level, media_type)
            # The original is kept as it was; the copy's streams are its streams.
            assert original == hashlib.sha256(path.read_bytes()).hexdigest()
            with av.memory_file("copy") as (copy_path, fd):
                av.fill(fd, data)
                copied = av.probe(copy_path, (fd,))
            shown = av.probe(str(path))
            kinds = [(st["codec_type"], st["codec_name"]) for st in copied.technical["streams"]]
            # Sound and pictures only: not the cover art, not the chapters' text track.
            assert kinds == [(st["codec_type"], st["codec_name"])
                             for st in shown.technical["streams"]
                             if not st.get("attached_picture") and st["codec_type"] != "data"]
            assert copied.technical["chapters"] == 0
            # Custody says the tool and the technical metadata.
            assert "ffmpeg" in custody["notes"] and "2.0 s" in custody["notes"]
            assert "audio aac" in custody["notes"]
            # What was left out is kept, sealed (readable with the grant, never in clear).
            assert removed is not None and removed["format:title"] == "SYNTHETICWITNESS"
            with store.reading() as conn:
                sealed = conn.execute(select(s.item_metadata.c.sealed).where(
                    s.item_metadata.c.item_id == item_id)).scalar_one()
            assert "SYNTHETICWITNESS" not in str(sealed)
        if level is Sensitivity.PROTECTED:  # the sealed copy has no clear file anywhere
            for (_, item_id) in report.added:
                with store.reading() as conn:
                    [copy] = derivatives_in(conn, item_id)
                    sha = conn.execute(select(s.items.c.sha256).where(
                        s.items.c.id == copy["id"])).scalar_one()
                assert not store.blobs.has(sha)


def _copies(store: Store, item_id: str) -> list[dict[str, object]]:
    with store.reading() as conn:
        return list(derivatives_in(conn, item_id))


def test_a_sealed_recording_over_64_mib_gets_its_copy_streamed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A protected WAV of 66 MiB (six minutes of silence, a marker in its tags): before,
    a sealed recording over 64 MiB got no copy (the copy was read whole into memory).
    Now it streams through FFmpeg between memory files and into the store a chunk at a
    time: its copy is made, marker-free, and this process's Python allocations stay far
    below the file's size while it is taken in (the original's copy and its hashing
    included)."""
    monkeypatch.delenv(ENV_DATABASE_URL, raising=False)
    big = tmp_path / "long.wav"
    _ffmpeg("-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", "360",
            "-c:a", "pcm_s16le", "-metadata", "title=SYNTHETICWITNESS", str(big))
    size = big.stat().st_size
    assert size > 64 * 1024 * 1024
    store = Store.init(Home(tmp_path / "home"), "test.dadkhahi.local/ledger", "t")
    try:
        tracemalloc.start()
        try:
            report = add_evidence(store, [big], Receipt(actor="t"), new_source=SourceSpec(
                title="SYNTHETIC long", sensitivity=Sensitivity.PROTECTED))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        [(_, item_id)] = report.added
        [copy] = _copies(store, item_id)
        assert peak < 16 * 1024 * 1024, f"{peak:,} bytes held at once for {size:,}"
        with store.reading() as conn:
            row = dict(conn.execute(select(s.items).where(s.items.c.id == copy["id"])
                                    ).mappings().one())
            digest, seen, marked = hashlib.sha256(), 0, False
            for chunk in item_content(store, conn, row):
                digest.update(chunk)
                seen += len(chunk)
                marked = marked or b"SYNTHETICWITNESS" in chunk
            removed = removed_metadata(store, conn, item_id)
        assert row["sensitivity"] == "protected" and not marked
        assert seen == row["size"] and digest.hexdigest() == row["sha256"]
        assert size - 1024 < seen < size  # the same samples, the tags left out
        assert removed is not None and removed["format:title"] == "SYNTHETICWITNESS"
        assert not store.blobs.has(str(row["sha256"]))  # sealed: no clear file
    finally:
        store.engine.dispose()


def test_the_largest_sealed_recording_copied_is_a_setting(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    audio = _recordings(tmp_path)["audio/x-m4a"]
    size = audio.stat().st_size
    level = SourceSpec(title="SYNTHETIC sealed", sensitivity=Sensitivity.PROTECTED)
    copies = []
    for limit in (size - 1, size):  # inclusive, as the images' limit is
        monkeypatch.setenv(ENV_MAX_SEALED_RECORDING, str(limit))
        [(_, item_id)] = add_evidence(store, [audio], Receipt(actor="t"),
                                      new_source=level).added
        copies.append(len(_copies(store, item_id)))
    assert copies == [0, 1]
    monkeypatch.setenv(ENV_MAX_SEALED_RECORDING, "a lot")
    with pytest.raises(UserError, match=ENV_MAX_SEALED_RECORDING):
        max_sealed_recording()
