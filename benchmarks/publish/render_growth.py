"""A book's render processes: their memory as they lay out part after part.

    .venv/bin/python benchmarks/publish/render_growth.py [--parts 40] [--seed 3]
        [--tasks-per-process N]

Stop 30 saw the whole tree of a 30,000-victim build with the book grow by about 2.5 MiB
a book part (1,398 MiB PSS after one part, 1,794 MiB at 110 of ~430), mostly in the
render processes' own pages. This lays out ``--parts`` parts of a Persian all-victims
book (``site.BOOK_PART`` entries each) as a build does (``Site.render_all`` over
``Site.book_parts``, ``chunk=1``: the real pool, forked from this process with its
objects frozen, and recycled every ``site.PARTS_PER_PROCESS`` parts where the code
does that; ``--tasks-per-process`` sets another number, 0 none), and prints:

* after each part, the render process that laid it out: its pages, its own memory
  (``Private_Clean + Private_Dirty``), its PSS, and the whole tree's PSS (this process
  and every render process, sampled once a second from ``/proc``) when the part ended;
* the whole tree's PSS after the first parts (one per process) and at its peak, the
  slope of the tree's PSS per part over the second half of the parts (least squares),
  CPU seconds (this process and the render processes) and the load.

The memorial is made in memory, with no store: SYNTHETIC victims from
``benchmarks/linkage/generate.py`` (invented people and their names as the lists write
them, in Persian script and romanised with ḥ ṭ ṣ ʻ …), with the public facts
``bench_publish.py`` writes as claims (names, sex, birth year, city, province, prison,
burial place, affiliation, date of execution), each citing its list. The render
processes see what a build's see: a ``Site`` over a ``Memorial``. Run it with the
``dadkhahi`` package to measure on ``PYTHONPATH`` (e.g. an older checkout's ``src`` for
the figure before a change).
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "linkage"))

FIELDS = ("sex", "birth_year", "city", "province", "prison", "burial_place", "affiliation")


def memorial(victims_wanted: int, seed: int) -> Any:
    """A SYNTHETIC memorial of at least ``victims_wanted`` victims, built in memory."""
    from generate import generate

    from dadkhahi.persian.dates import DateParseError, parse_date
    from dadkhahi.publish.collect import Fact, Memorial, Source, Victim
    from dadkhahi.publish.gate import GateResult

    # About 3 in 4 generated people are on a list (bench_publish.py: 30,521 of 41,000).
    frame = generate(int(victims_wanted * 1.4) + 100, 3, seed)
    sources = {name: Source(name, f"SYNTHETIC {name} (benchmark)", "list",
                            "SYNTHETIC benchmark data", "B", "2")
               for name in sorted(set(frame["source_id"]))}
    victims: dict[int, Any] = {}
    seen: set[tuple[int, str, str]] = set()
    for row in frame.sort_values(["true_person_id", "record_id"]).itertuples():
        person = int(row.true_person_id)
        victim = victims.setdefault(person, Victim(f"person-{person:08d}", synthetic=True))
        name = row.full_name if isinstance(row.full_name, str) else " ".join(
            p for p in (row.given_name, row.family_name) if isinstance(p, str))
        values = [("name", name, None)] + [(f, getattr(row, f), None) for f in FIELDS]
        if isinstance(row.death_date, str) and row.death_date:
            with contextlib.suppress(DateParseError):
                values.append(("death_date", row.death_date, parse_date(row.death_date)))
        for prop, value, when in values:
            if not isinstance(value, str) or not value or (person, prop, value) in seen:
                continue
            seen.add((person, prop, value))
            victim.facts.setdefault(prop, []).append(Fact(
                prop, value,
                when.earliest.isoformat() if when and when.earliest else None,
                when.latest.isoformat() if when and when.latest else None,
                (value,) if when else (), (str(row.source_id),)))
    return Memorial(sorted(victims.values(), key=lambda v: v.id), [], sources,
                    GateResult(), [], [], {}, True)


def _kib(pid: int, fields: tuple[str, ...]) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    return sum(int(line.split()[1]) for line in text.splitlines()
               if line.split(":")[0] in fields)


def _tree(root: int) -> list[int]:
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return found


class Sampler(threading.Thread):
    """The whole tree's PSS once a second: (time, KiB) pairs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[float, int]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            pss = sum(_kib(pid, ("Pss",)) for pid in _tree(os.getpid()))
            self.samples.append((time.time(), pss))
            self.done.wait(1.0)

    def at(self, when: float) -> int:
        """The last sample taken by ``when`` (KiB)."""
        before = [kib for t, kib in self.samples if t <= when]
        return before[-1] if before else 0


def _cpu() -> float:
    own, kids = (resource.getrusage(resource.RUSAGE_SELF),
                 resource.getrusage(resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", type=int, default=40)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--tasks-per-process", type=int, metavar="N",
                        help="recycle render processes every N parts (0: never); "
                             "default: the code's own")
    args = parser.parse_args()

    from dadkhahi.pdf import page_count
    from dadkhahi.publish import site as site_module
    from dadkhahi.publish.site import Options, Page, Site

    print(f"dadkhahi from {Path(site_module.__file__).parents[2]}", flush=True)
    started = time.time()
    built = memorial(args.parts * site_module.BOOK_PART, args.seed)
    site = Site(built, Options(book=True, languages=("fa",)))
    book = next(b for b in site.books() if b.path == "fa/book/all.pdf")
    parts = list(site.book_parts([book]))[:args.parts]
    print(f"{len(built.victims):,} SYNTHETIC victims in memory, {len(parts)} parts of "
          f"{site_module.BOOK_PART} entries ({time.time() - started:.1f} s)", flush=True)

    log = Path(tempfile.mkstemp(prefix="render-growth-")[1])
    render_page = Site.render

    def logged(self: Site, page: Page) -> bytes:
        data = render_page(self, page)
        pid = os.getpid()
        mine = _kib(pid, ("Private_Clean", "Private_Dirty"))
        with log.open("a") as out:
            out.write(f"{time.time()} {pid} {page.path} {page_count(data)} {mine} "
                      f"{_kib(pid, ('Pss',))}\n")
        return data

    Site.render = logged  # type: ignore[method-assign]
    kwargs: dict[str, Any] = {"chunk": 1}
    if "tasks_per_process" in inspect.signature(Site.render_all).parameters:
        every = getattr(site_module, "PARTS_PER_PROCESS", None)
        if args.tasks_per_process is not None:
            every = args.tasks_per_process or None
        kwargs["tasks_per_process"] = every
        print(f"render processes recycled every {every} parts", flush=True)
    else:
        print("render processes last the whole run (this code has no recycling)", flush=True)
    sampler = Sampler()
    sampler.start()
    cpu, wall = _cpu(), time.time()
    site.render_all(iter(parts), **kwargs)
    cpu, wall = _cpu() - cpu, time.time() - wall
    sampler.done.set()
    sampler.join()
    lines = [line.split() for line in log.read_text().splitlines()]
    log.unlink()
    lines.sort(key=lambda fields: float(fields[0]))
    tree = []
    for n, (when, pid, path, pages, mine, pss) in enumerate(lines, 1):
        tree.append(sampler.at(float(when)) / 1024)
        print(f"part {n:3d} {path}: {pages} pages, process {pid} own {int(mine) / 1024:.0f} "
              f"MiB, PSS {int(pss) / 1024:.0f} MiB; tree PSS {tree[-1]:.0f} MiB", flush=True)
    processes = len({fields[1] for fields in lines})
    half = tree[len(tree) // 2:]
    xs = range(len(tree) // 2, len(tree))
    mean_x, mean_y = sum(xs) / len(xs), sum(half) / len(half)
    slope = (sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, half, strict=True))
             / max(sum((x - mean_x) ** 2 for x in xs), 1e-9))
    early = tree[min(2, len(tree)) - 1]
    print(f"{len(lines)} parts, {sum(int(f[3]) for f in lines):,} pages by {processes} render "
          f"processes: tree PSS {early:.0f} MiB after part {min(2, len(tree))}, "
          f"{tree[-1]:.0f} MiB after the last, peak {max(k for _, k in sampler.samples) / 1024:.0f}"
          f" MiB; slope over the second half {slope:+.2f} MiB a part; {cpu:.1f} s CPU, "
          f"{wall:.1f} s wall; load {' '.join(f'{x:.1f}' for x in os.getloadavg())}",
          flush=True)


if __name__ == "__main__":
    main()
