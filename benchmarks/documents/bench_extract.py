"""Time text extraction: born-digital PDFs (text layer) and OCR pages (Tesseract fas+eng).

    .venv/bin/python benchmarks/documents/bench_extract.py [--pdfs 1000] [--pages 10]
        [--ocr-pages 6] [--workers 2]

Born-digital PDFs are made here with PyMuPDF (SYNTHETIC English sentences with invented
names, dates and counts), then each goes through ``documents.extract.extract`` in a pool
of ``--workers`` processes, as a worker would run them. OCR pages are SYNTHETIC Persian
lines rendered at 300 dpi in Noto Naskh Arabic (12 pt) and read by ``extract`` as PNG
images. Prints wall time, PDFs and pages per second (and whether 1,000 ten-page PDFs fit
in 5 minutes), OCR pages per minute, and the OCR character error rate on those pages.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import time
from concurrent.futures import ProcessPoolExecutor

import pymupdf
from PIL import Image, ImageDraw, ImageFont

from dadkhahi.documents.extract import extract

NASKH = "/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf"
NAMES = ["Ali Rezaei", "Maryam Karimi", "Hossein Ahmadi", "Zahra Mousavi", "Reza Hosseini"]
FA_LINES = ["نام این زندانی در فهرست خانواده‌ها آمده است",
            "زندان اوین در تهران محل نگهداری زندانیان سیاسی بود",
            "در مرداد ۱۳۶۷ ملاقات‌ها قطع شد",
            "خانواده‌ها نام سه هزار و دویست نفر را گردآوری کردند"]


def make_pdf(seed: int, pages: int) -> bytes:
    rng = random.Random(seed)
    doc = pymupdf.open()
    for n in range(pages):
        page = doc.new_page()
        lines = [f"SYNTHETIC page {n + 1} line {line}: {rng.choice(NAMES)} was held "
                 f"in 1988; the list counts {rng.randint(100, 30000):,} names."
                 for line in range(30)]
        # One call a page (30 lines 24 points apart): a call a line made building 1,000
        # ten-page PDFs take longer than extracting them.
        page.insert_text((50, 60), "\n".join(lines), fontsize=10, lineheight=2.4)
    data: bytes = doc.tobytes()
    doc.close()
    return data


def one(data: bytes) -> tuple[int, float]:
    """Pages extracted and the CPU seconds it took in this worker."""
    started = time.process_time()
    pages = len(extract(data, "application/pdf").pages)
    return pages, time.process_time() - started


def warm(_: int) -> float:
    """Load the language detector's models in a worker (once per process, as a worker
    that runs for hours would); returns the CPU seconds it took."""
    started = time.process_time()
    extract(make_pdf(10**6, 1), "application/pdf")
    return time.process_time() - started


def ocr_page(seed: int) -> tuple[bytes, str]:
    rng = random.Random(seed)
    lines = [rng.choice(FA_LINES) for _ in range(8)]
    font = ImageFont.truetype(NASKH, 50)  # 12 pt at 300 dpi
    img = Image.new("L", (2480, 1300), 255)
    draw = ImageDraw.Draw(img)
    for row, line in enumerate(lines):
        draw.text((2380, 100 + row * 140), line, font=font, fill=0, direction="rtl",
                  anchor="ra", language="fa")
    out = io.BytesIO()
    img.save(out, format="PNG", dpi=(300, 300))
    return out.getvalue(), "\n".join(lines)


def cer(truth: str, got: str) -> float:
    from rapidfuzz.distance import Levenshtein

    a, b = " ".join(truth.split()), " ".join(got.split())
    return Levenshtein.distance(a, b) / max(1, len(a))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pdfs", type=int, default=1000)
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--ocr-pages", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    pdfs = [make_pdf(i, args.pages) for i in range(args.pdfs)]
    load = os.getloadavg()[0]
    start = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        warmed = list(pool.map(warm, range(args.workers)))
        started = time.perf_counter()
        done = list(pool.map(one, pdfs, chunksize=8))
    wall = time.perf_counter() - started
    pages = sum(n for n, _ in done)
    cpu = sum(c for _, c in done)
    per_1000 = wall / args.pdfs * 1000
    print(f"text layer: {args.pdfs} PDFs x {args.pages} pages ({pages} pages) in {wall:.1f} s "
          f"with {args.workers} workers (after {time.perf_counter() - start - wall:.1f} s "
          f"starting them, {sum(warmed):.1f} s CPU loading the language models): "
          f"{pages / wall:.0f} pages/s; 1,000 such PDFs would take {per_1000:.0f} s "
          f"(target < 300 s); load {load:.1f} -> {os.getloadavg()[0]:.1f}")
    print(f"  CPU {cpu:.1f} s in the workers, {cpu / args.pdfs * 1000:.0f} ms a PDF: "
          f"1,000 PDFs on {args.workers} idle cores {cpu / args.pdfs * 1000 / args.workers:.0f} s")
    if args.ocr_pages < 1:
        return
    rates = []
    start = time.perf_counter()
    for i in range(args.ocr_pages):
        png, truth = ocr_page(i)
        got = extract(png, "image/png").pages[0].text
        rates.append(cer(truth, got))
    wall = time.perf_counter() - start
    print(f"OCR: {args.ocr_pages} Persian pages (12 pt Naskh, 300 dpi, clean) in {wall:.1f} s: "
          f"{args.ocr_pages / wall * 60:.1f} pages/min, one process; "
          f"mean CER {sum(rates) / len(rates):.3f}, worst {max(rates):.3f}")


if __name__ == "__main__":
    main()
