"""Audio and video: technical metadata, and a copy without identifying metadata.

A recorded testimony or a filmed scene carries, besides its sound and pictures, tags that
can identify who recorded it or where: the phone's make and model, the recording time,
GPS coordinates (``location``, ``com.apple.quicktime.location.ISO6709``), a title or
artist typed by a person, cover art, chapters, and data tracks (a phone's timed location
track). :func:`probe` reads the technical metadata (duration, container, codecs, sample
rate, channels, picture size, frame rate) apart from those tags; :func:`strip` writes a
copy of the sound and pictures alone, streams copied bit for bit (never re-encoded: the
copy is the recording, not a new rendering of it), and probes the copy again: a copy on
which any tag is left is refused.

FFmpeg (Debian ``ffmpeg``, installed by ``scripts/install-system-deps.sh``) is run as a
program: no Python library wraps ``ffprobe``'s JSON or ``ffmpeg``'s stream copy better
than the two commands themselves (the bindings on PyPI build the same command lines).
Files are handed over as paths; a sealed (protected) original is given as an in-memory
file (``memfd``) so its clear bytes never reach a disk.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from dadkhahi.documents.model import ExtractionError

#: Media types whose recordings are probed and copied without their metadata, with the
#: FFmpeg muxer that writes the copy in the original's container.
MUXERS = {
    "audio/mpeg": "mp3", "audio/x-wav": "wav", "audio/wav": "wav", "audio/x-flac": "flac",
    "audio/flac": "flac", "audio/ogg": "ogg", "video/ogg": "ogg", "audio/x-m4a": "ipod",
    "audio/mp4": "ipod", "video/mp4": "mp4", "video/quicktime": "mov", "video/3gpp": "3gp",
    "video/x-matroska": "matroska", "audio/x-matroska": "matroska", "video/webm": "webm",
    "audio/webm": "webm", "video/x-msvideo": "avi",
}
#: A run of ffprobe or ffmpeg longer than this is stopped (a stream copy reads the file
#: once; this bounds a file crafted to make the demuxer loop).
TIMEOUT_SECONDS = 600
# Tags a muxer writes by itself on a stream copy, saying nothing about who recorded it:
# these values, and an MP4's brands (the file type, whatever their values).
_MUXER_TAGS = {("handler_name", "SoundHandler"), ("handler_name", "VideoHandler"),
               ("vendor_id", "[0][0][0][0]"), ("language", "und")}
_CONTAINER_TAGS = frozenset({"major_brand", "minor_version", "compatible_brands"})
_FORMAT_FIELDS = ("format_name", "duration", "bit_rate", "nb_streams")
_STREAM_FIELDS = ("index", "codec_type", "codec_name", "profile", "sample_rate", "channels",
                  "channel_layout", "width", "height", "avg_frame_rate", "duration",
                  "bit_rate")


def available() -> bool:
    """Whether ffprobe and ffmpeg are on the machine."""
    return shutil.which("ffprobe") is not None and shutil.which("ffmpeg") is not None


@functools.cache
def ffmpeg_version() -> str:
    """FFmpeg's version (as it prints it: ``5.1.9-0+deb12u1``), for custody."""
    out = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True,
                         check=True, timeout=30).stdout
    first = out.split("\n", 1)[0].split()
    return first[2] if len(first) > 2 else "unknown"


@dataclass(frozen=True)
class Probe:
    """What ffprobe says about a recording: the technical metadata anyone may read, and
    the tags (container, streams, chapters) that may identify its maker."""

    technical: dict[str, Any]
    tags: dict[str, str]

    def summary(self) -> str:
        """One line: duration, container and each stream's codec (for custody)."""
        fmt = self.technical.get("format", {})
        parts = [f"{float(fmt['duration']):.1f} s" if fmt.get("duration") else "duration unknown",
                 str(fmt.get("format_name", "?"))]
        for st in self.technical.get("streams", []):
            kind, codec = st.get("codec_type", "?"), st.get("codec_name", "?")
            if kind == "audio":
                parts.append(f"audio {codec} {st.get('sample_rate', '?')} Hz "
                             f"{st.get('channels', '?')} ch")
            elif kind == "video":
                parts.append(f"video {codec} {st.get('width', '?')}x{st.get('height', '?')}")
            else:
                parts.append(f"{kind} {codec}")
        return ", ".join(parts)


def _run(args: list[str], fds: tuple[int, ...] = ()) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(args, capture_output=True, check=False, pass_fds=fds,
                              timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise ExtractionError(f"{args[0]} took more than {TIMEOUT_SECONDS} s") from None


def probe(path: str, fds: tuple[int, ...] = ()) -> Probe:
    """Technical metadata and tags of the recording at ``path``; ExtractionError when
    FFmpeg cannot read it (the error names no part of the file)."""
    done = _run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format",
                 "-show_streams", "-show_chapters", path], fds)
    if done.returncode != 0:
        raise ExtractionError("the recording cannot be read (ffprobe failed)")
    data = json.loads(done.stdout or b"{}")
    fmt = data.get("format") or {}
    streams = data.get("streams") or []
    technical = {
        "format": {k: fmt[k] for k in _FORMAT_FIELDS if k in fmt},
        "streams": [{k: st[k] for k in _STREAM_FIELDS if k in st}
                    | ({"attached_picture": True}
                       if (st.get("disposition") or {}).get("attached_pic") else {})
                    for st in streams],
        "chapters": len(data.get("chapters") or []),
    }
    tags: dict[str, str] = {}
    for key, value in (fmt.get("tags") or {}).items():
        tags[f"format:{key}"] = str(value)[:300]
    for st in streams:
        for key, value in (st.get("tags") or {}).items():
            tags[f"stream {st.get('index')}:{key}"] = str(value)[:300]
    for n, chapter in enumerate(data.get("chapters") or []):
        for key, value in (chapter.get("tags") or {}).items():
            tags[f"chapter {n}:{key}"] = str(value)[:300]
    return Probe(technical, tags)


def _identifying(found: Probe) -> list[str]:
    """Tags left on a copy that a muxer does not write by itself."""
    return sorted(k for k, v in found.tags.items()
                  if (k.rsplit(":", 1)[-1], v) not in _MUXER_TAGS
                  and not (k.startswith("format:") and k[7:] in _CONTAINER_TAGS))


@contextlib.contextmanager
def memory_file(name: str) -> Iterator[tuple[str, int]]:
    """An in-memory file (Linux memfd): its path for a child process and its descriptor
    (to pass to it). Never on a disk; gone when closed."""
    fd = os.memfd_create(name)
    try:
        yield f"/proc/self/fd/{fd}", fd
    finally:
        os.close(fd)



def strip(path: str, media_type: str, out_path: str, fds: tuple[int, ...] = ()) -> Probe:
    """Write to ``out_path`` a copy of the recording's sound and pictures without any
    metadata (container and stream tags, chapters, cover art, data tracks), streams copied
    unchanged, and return the copy's probe. ExtractionError when the type has no muxer
    here, FFmpeg fails, or a tag is left on the copy (the caller then keeps no copy)."""
    muxer = MUXERS.get(media_type)
    if muxer is None:
        raise ExtractionError(f"no metadata-free copy is made of {media_type} files")
    # A path /proc/self/fd/N in the child is its own descriptor N, passed in ``fds``.
    args = ["ffmpeg", "-v", "error", "-nostdin", "-y", "-i", path,
            # Pictures (not cover art: capital V) and sound only: no data tracks.
            "-map", "0:V?", "-map", "0:a?", "-c", "copy",
            "-map_metadata", "-1", "-map_chapters", "-1",
            "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
            "-f", muxer, out_path]
    done = _run(args, fds)
    if done.returncode != 0:
        raise ExtractionError("the recording could not be copied (ffmpeg failed)")
    checked = probe(out_path, fds)
    left = _identifying(checked)
    if left:
        raise ExtractionError(f"the copy still carries {len(left)} tag(s): none is kept")
    return checked


def fill(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd``."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
