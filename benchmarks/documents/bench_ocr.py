"""Persian OCR's character error rate on pages rendered here, clean and noisy, beside plain
``tesseract -l fas+eng`` on the same pages (issue 15's OCR figure).

    .venv/bin/python benchmarks/documents/bench_ocr.py [--pages 50] [--seed 15] [--workers 2]

Every page is SYNTHETIC: Persian lines and mixed Persian/English lines made here from
templates with invented names (in Persian and Latin script), Solar Hijri dates (Persian
and ASCII digits) and counts, rendered at 300 dpi with Raqm (shaped, right to left) in
Vazirmatn (the project's own vendored font) and Noto Naskh Arabic (Debian
``fonts-noto-core``) at 10, 11 and 12 pt, the fonts and sizes taking turns (the mixed
lines, with a Latin name or a slashed date, on Vazirmatn's pages only: Noto Naskh Arabic
has no Latin letters and no slash, and Pillow falls back to no other font). Each page is
read clean, then noisy: Gaussian noise of sigma 10, JPEG at quality 60 and a skew of up to
2 degrees either way (seeded). Each image is read by ``documents.extract.extract`` (what
intake runs) and by plain ``tesseract IMAGE - -l fas+eng``.

The character error rate is the Levenshtein distance over the length of the text
rendered, with runs of white space made one space (line breaks are layout, not
characters): raw, and after normalisation (both sides through the search tokenizer:
Arabic code points, diacritics, digits and case folded as search sees them). Prints per
condition (clean, noisy) and reader (ours, plain) the mean and worst CER, and ours' pages
per minute, as JSON.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from rapidfuzz.distance import Levenshtein

from dadkhahi.documents.extract import extract
from dadkhahi.search.tokens import tokenize

ROOT = Path(__file__).resolve().parents[2]
FONTS = {
    "Vazirmatn": ROOT / "src/dadkhahi/assets/static/vendor/vazirmatn/Vazirmatn-Variable.woff2",
    "Noto Naskh Arabic": Path("/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf"),
}
SIZES_PT = (10, 11, 12)
DPI = 300
WIDTH, HEIGHT = 2480, 3508  # A4 at 300 dpi
MARGIN = 150
# SYNTHETIC invented names and places.
FA_GIVEN = ["علی", "مریم", "حسین", "زهرا", "رضا", "فاطمه", "محمد", "نرگس", "مهدی", "لیلا"]
FA_FAMILY = ["رضایی", "کریمی", "احمدی", "موسوی", "حسینی", "صادقی", "نوری", "جعفری", "رحیمی"]
EN_NAMES = ["Ali Rezaei", "Maryam Karimi", "Hossein Ahmadi", "Zahra Mousavi", "Reza Nouri"]
FA_MONTHS = ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان"]
FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
TEMPLATES = [
    "نام {name} در فهرست خانواده‌ها آمده است",
    "{name} در {day} {month} {year} در زندان بازداشت شد",
    "خانواده‌ی {name} تا {day} {month} {year} خبری نداشتند",
    "در این فهرست نام {count} زندانی سیاسی ثبت شده است",
    "گزارش {name} درباره‌ی {count} نفر در سال {year} منتشر شد",
    "{name} ({latin}) در {day} {month} {year} ملاقات داشت",
    "شاهد گفت که {latin} در بند سه نگهداری می‌شد",
    "تاریخ نامه {date} است و امضای {name} را دارد",
]


def _line(rng: random.Random, latin: bool) -> str:
    """A line of a template; without ``latin``, only templates a Persian-only font draws
    (Noto Naskh Arabic has no Latin letters and no slash: it would draw empty boxes)."""
    templates = TEMPLATES if latin else [t for t in TEMPLATES
                                         if "{latin}" not in t and "{date}" not in t]
    year = rng.randint(1360, 1370)
    day = rng.randint(1, 29)
    digits = rng.random() < 0.7  # Persian digits mostly, ASCII sometimes
    fmt = (lambda v: str(v).translate(FA_DIGITS)) if digits else str
    return rng.choice(templates).format(
        name=f"{rng.choice(FA_GIVEN)} {rng.choice(FA_FAMILY)}", latin=rng.choice(EN_NAMES),
        day=fmt(day), month=rng.choice(FA_MONTHS), year=fmt(year),
        count=fmt(rng.randint(12, 3500)), date=fmt(f"{year}/{rng.randint(1, 12):02d}/{day:02d}"))


def render(n: int, seed: int) -> tuple[Image.Image, str, str, int]:
    """Page ``n``: its image, the text rendered (logical order), the font and size."""
    rng = random.Random(seed * 100_003 + n)
    font_name = list(FONTS)[n % len(FONTS)]
    size = SIZES_PT[(n // len(FONTS)) % len(SIZES_PT)]
    font = ImageFont.truetype(str(FONTS[font_name]), round(size * DPI / 72))
    img = Image.new("L", (WIDTH, HEIGHT), 255)
    draw = ImageDraw.Draw(img)
    step = round(size * DPI / 72 * 2.0)
    lines = []
    y = MARGIN
    while y + step < HEIGHT - MARGIN and len(lines) < 22:
        line = _line(rng, latin=font_name == "Vazirmatn")
        draw.text((WIDTH - MARGIN, y), line, font=font, fill=0, direction="rtl",
                  anchor="ra", language="fa")
        lines.append(line)
        y += step
    return img, "\n".join(lines), font_name, size


def noisy(img: Image.Image, n: int, seed: int) -> Image.Image:
    """Gaussian noise sigma 10, a skew within +-2 degrees, JPEG at quality 60 (seeded)."""
    rng = np.random.default_rng(seed * 7919 + n)
    angle = float(rng.uniform(-2.0, 2.0))
    skewed = img.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    pixels = np.asarray(skewed, dtype=np.float32) + rng.normal(0.0, 10.0, (HEIGHT, WIDTH))
    noised = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")
    out = io.BytesIO()
    noised.save(out, format="JPEG", quality=60, dpi=(DPI, DPI))
    return Image.open(io.BytesIO(out.getvalue()))


def _png(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, format="PNG", dpi=(DPI, DPI))
    return out.getvalue()


def cer(truth: str, got: str, *, normal: bool) -> float:
    if normal:
        a = " ".join(t.text for t in tokenize(truth))
        b = " ".join(t.text for t in tokenize(got))
    else:
        a, b = " ".join(truth.split()), " ".join(got.split())
    return Levenshtein.distance(a, b) / max(1, len(a))


def plain_tesseract(png: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".png") as f:
        f.write(png)
        f.flush()
        done = subprocess.run(["tesseract", f.name, "-", "-l", "fas+eng"],
                              capture_output=True, check=True)
    return done.stdout.decode("utf-8", "replace")


def one_page(task: tuple[int, int]) -> dict[str, Any]:
    n, seed = task
    img, truth, font, size = render(n, seed)
    row: dict[str, Any] = {"page": n, "font": font, "pt": size}
    for condition, image in (("clean", img), ("noisy", noisy(img, n, seed))):
        png = _png(image)
        started = time.process_time()
        t0 = time.perf_counter()
        ours = extract(png, "image/png").pages[0].text
        row[f"{condition}_seconds"] = time.perf_counter() - t0
        row[f"{condition}_cpu"] = time.process_time() - started
        plain = plain_tesseract(png)
        for reader, got in (("ours", ours), ("plain", plain)):
            row[f"{condition}_{reader}_raw"] = cer(truth, got, normal=False)
            row[f"{condition}_{reader}_normal"] = cer(truth, got, normal=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    # One thread per Tesseract: the pool's processes are the parallelism.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    started = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(one_page, [(n, args.seed) for n in range(args.pages)]))
    wall = time.perf_counter() - started
    summary: dict[str, Any] = {"pages": args.pages, "seed": args.seed,
                               "workers": args.workers, "wall_seconds": round(wall, 1),
                               "load": os.getloadavg()}
    for condition in ("clean", "noisy"):
        for reader in ("ours", "plain"):
            for form in ("raw", "normal"):
                values = [r[f"{condition}_{reader}_{form}"] for r in rows]
                summary[f"{condition} {reader} {form}"] = {
                    "mean": round(sum(values) / len(values), 4), "worst": round(max(values), 4)}
        seconds = sum(r[f"{condition}_seconds"] for r in rows)
        summary[f"{condition} ours pages/min (one process)"] = round(len(rows) / seconds * 60, 1)
    for font in FONTS:
        for condition in ("clean", "noisy"):
            values = [r[f"{condition}_ours_raw"] for r in rows if r["font"] == font]
            if values:
                summary[f"{condition} ours raw, {font}"] = round(sum(values) / len(values), 4)
    print(json.dumps(summary, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
