"""Time the import of a SYNTHETIC 100,000-row victim list (CSV, UTF-8).

    .venv/bin/python benchmarks/intake/bench_list_import.py [--rows N] [--keep DIR]

Every name, date and place is generated from small tables: no real person is
described. Prints rows/s, the time per phase and the ledger event size.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from dadkhahi.intake.lists import import_list
from dadkhahi.store import schema as s
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store

GIVEN = ["Mohammad", "Ali", "Hossein", "Reza", "Mehdi", "Gholamreza", "Fatemeh", "Zahra",
         "محمد", "علی", "حسین", "رضا", "مهدی", "غلامرضا", "فاطمه", "زهرا", "Ahmad", "Maryam"]
FAMILY = ["Hosseini", "Ahmadi", "Rezaei", "Mohammadi", "Karimi", "Jafari", "Moradi",
          "حسینی", "احمدی", "رضایی", "محمدی", "کریمی", "جعفری", "مرادی", "Tehrani", "Rostami"]
CITIES = ["Tehran", "Tabriz", "Shiraz", "Mashhad", "تهران", "تبریز", "شیراز", "رشت", "Rasht"]
PRISONS = ["Evin", "Gohardasht", "اوین", "گوهردشت", "Vakilabad", "Adelabad"]
MONTHS = ["Mordad", "Shahrivar", "مرداد", "شهریور"]


def write_list(path: Path, rows: int, seed: int = 1) -> None:
    """A SYNTHETIC list with the usual columns and a mix of scripts and date forms."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["ID", "Given name", "Family name", "Father", "Age", "City", "Prison",
                      "Date of execution", "Notes"])
        for i in range(rows):
            form = rng.random()
            if form < 0.4:
                day = f"1367/{rng.choice([5, 6]):02d}/{rng.randint(1, 31):02d}"
            elif form < 0.7:
                day = f"{rng.randint(1, 30)} {rng.choice(MONTHS)} 1367"
            elif form < 0.9:
                day = f"1988-{rng.choice([7, 8, 9]):02d}-{rng.randint(1, 28):02d}"
            else:
                day = ""
            out.writerow([
                f"S{i + 1}", rng.choice(GIVEN), rng.choice(FAMILY), rng.choice(GIVEN),
                str(rng.randint(17, 60)) if rng.random() < 0.8 else "", rng.choice(CITIES),
                rng.choice(PRISONS), day, "SYNTHETIC row" if rng.random() < 0.1 else "",
            ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, default=None, help="keep the home here")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="dadkhahi-bench-list-"))
    work.mkdir(parents=True, exist_ok=True)
    csv_path = work / "synthetic_list.csv"
    tick = time.perf_counter()
    write_list(csv_path, args.rows)
    print(f"generated {args.rows:,} SYNTHETIC rows ({csv_path.stat().st_size / 1e6:.1f} MB) "
          f"in {time.perf_counter() - tick:.1f} s")
    store = Store.init(Home(work / "home"), "bench.dadkhahi.local/ledger", "bench")
    phases: list[tuple[str, float]] = []
    last = [time.perf_counter()]

    def progress(message: str) -> None:
        now = time.perf_counter()
        phases.append((message, now - last[0]))
        last[0] = now

    tick = time.perf_counter()
    report = import_list(store, csv_path, source="SYNTHETIC benchmark list", actor="bench",
                         id_column="ID", progress=progress)
    total = time.perf_counter() - tick
    phases.append(("commit + checkpoint", time.perf_counter() - last[0]))
    with store.reading() as conn:
        stored = conn.execute(select(func.count()).select_from(s.records)).scalar_one()
        body = conn.execute(
            select(func.length(s.ledger_events.c.body))
            .where(s.ledger_events.c.idx == report.ledger_index)
        ).scalar_one()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"imported {report.rows:,} rows ({stored:,} records stored) in {total:.2f} s "
          f"= {report.rows / total:,.0f} rows/s; event {body / 1e6:.1f} MB; "
          f"peak RSS {peak:,.0f} MiB; backend {store.engine.dialect.name}")
    # Each progress message starts a phase; the time logged with it is the previous one's.
    names = ["start"] + [m for m, _ in phases]
    for name, (_, seconds) in zip(names, phases, strict=False):
        print(f"  {name:<28} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
