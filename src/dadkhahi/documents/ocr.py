"""OCR with Tesseract (Debian's ``tesseract-ocr`` with ``fas`` and ``eng``), word by word.

The ``tesseract`` program is run directly with TSV output rather than through a wrapper
library: TSV carries every word's box and confidence, which is what the transcription flow
needs (low-confidence pages go to a person), and the program reads the image from stdin so
nothing is written to disk (a protected scan stays in memory).
"""

from __future__ import annotations

import csv
import functools
import io
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from dadkhahi.documents.model import ExtractionError, Line, Page, Word

#: Languages tried on every page unless the caller says otherwise.
DEFAULT_LANGUAGES = ("fas", "eng")
#: A page image larger than this many pixels is refused (a 2 GB scan must not take the box).
MAX_PIXELS = 12000 * 12000
#: Seconds Tesseract may spend on one page.
PAGE_TIMEOUT = 300


@functools.cache
def tesseract_version() -> str:
    """The installed Tesseract's version ("5.3.0"), or an ExtractionError if it is missing."""
    exe = shutil.which("tesseract")
    if exe is None:
        raise ExtractionError("OCR needs Tesseract (Debian packages tesseract-ocr, "
                              "tesseract-ocr-fas, tesseract-ocr-eng)")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    first = (out.stdout or out.stderr).splitlines()[0] if (out.stdout or out.stderr) else ""
    return first.removeprefix("tesseract ").strip() or "unknown"


def ocr_image(
    image: bytes, *, number: int = 1, languages: Sequence[str] = DEFAULT_LANGUAGES,
    dpi: int = 300, psm: int = 3, tessdata: Path | None = None,
) -> Page:
    """OCR one page image (PNG, TIFF, JPEG …) given as bytes; returns its lines and words."""
    tesseract_version()
    command = ["tesseract", "stdin", "stdout", "-l", "+".join(languages), "--dpi", str(dpi),
               "--psm", str(psm)]
    if tessdata is not None:
        command += ["--tessdata-dir", str(tessdata)]
    command.append("tsv")
    try:
        done = subprocess.run(command, input=image, capture_output=True, check=False,
                              timeout=PAGE_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise ExtractionError(f"page {number}: OCR took longer than {PAGE_TIMEOUT} s") from None
    if done.returncode != 0:
        raise ExtractionError(f"page {number}: Tesseract could not read the image")
    return parse_tsv(done.stdout.decode("utf-8", "replace"), number)


def parse_tsv(tsv: str, number: int = 1) -> Page:
    """Build a page from Tesseract's TSV (level 5 rows are words; they group into lines)."""
    lines: dict[tuple[int, int, int], list[Word]] = {}
    width = height = None
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        level = row.get("level")
        if level == "1":
            width, height = float(row["width"]), float(row["height"])
        if level != "5" or not (row.get("text") or "").strip():
            continue
        left, top = float(row["left"]), float(row["top"])
        box = (left, top, left + float(row["width"]), top + float(row["height"]))
        conf = float(row["conf"])
        key = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
        lines.setdefault(key, []).append(
            Word(row["text"], box, conf if conf >= 0 else None))
    built: list[Line] = []
    for key in sorted(lines):
        words = lines[key]
        confs = [w.confidence for w in words if w.confidence is not None]
        box = (min(w.box[0] for w in words), min(w.box[1] for w in words),
               max(w.box[2] for w in words), max(w.box[3] for w in words))
        built.append(Line(" ".join(w.text for w in words), box,
                          sum(confs) / len(confs) if confs else None, tuple(words)))
    all_confs = [w.confidence for ln in built for w in ln.words if w.confidence is not None]
    return Page(number=number, text="\n".join(ln.text for ln in built), method="ocr",
                lines=tuple(built),
                confidence=sum(all_confs) / len(all_confs) if all_confs else None,
                width=width, height=height)
