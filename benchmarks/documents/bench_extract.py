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
        for line in range(30):
            text = (f"SYNTHETIC page {n + 1} line {line}: {rng.choice(NAMES)} was held "
                    f"in 1988; the list counts {rng.randint(100, 30000):,} names.")
            page.insert_text((50, 60 + line * 24), text, fontsize=10)
    data: bytes = doc.tobytes()
    doc.close()
    return data


def one(data: bytes) -> int:
    return len(extract(data, "application/pdf").pages)


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
    start = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        pages = sum(pool.map(one, pdfs, chunksize=8))
    wall = time.perf_counter() - start
    per_1000 = wall / args.pdfs * 1000
    print(f"text layer: {args.pdfs} PDFs x {args.pages} pages ({pages} pages) in {wall:.1f} s "
          f"with {args.workers} workers: {pages / wall:.0f} pages/s; "
          f"1,000 such PDFs would take {per_1000:.0f} s (target < 300 s)")
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
