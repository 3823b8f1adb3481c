"""Building the memorial of about 30,000 SYNTHETIC victims: time and peak memory.

    .venv/bin/python benchmarks/publish/bench_publish.py [--people 41000] [--seed 3]
        [--book] [--builds 3] [--keep DIR]

Victims come from ``benchmarks/linkage/generate.py`` (invented people on 3 lists; about
30,000 of 41,000 are on one list at least). Each becomes a public person with the public
claims its list rows make (names in both scripts, sex, birth year, city, province,
prison, date of execution, burial place, affiliation, each supported by its list's
source) and a claim that they were executed; the three sources are approved. The
claims are written as ``claim.added`` events straight into one transaction (the
benchmark measures publication, not intake). Then, each in its own process so its peak
memory is its own:

* ``dadkhahi.publish.build.build`` into a new folder: seconds, CPU seconds (its render
  processes included; ``DADKHAHI_PUBLISH_WORKERS`` sets how many) and peak RSS
  (target: under 60 s and 2 GiB on 2 cores);
* the same build again into the same folder (nothing changes: files written 0);
* one victim gains a claim, and the build runs again: how many files it rewrites.

``--builds 1`` stops after the first build. With ``--book`` each book part is printed as
a render process finishes it (its pages, the process's CPU so far, the time) and the
memory sampled so far every 5 minutes, so a run stopped before its end (a whole book of
30,000 victims takes hours) still shows the pages laid out, their CPU and the peaks.
``--book-victims N`` (with ``--book``) lays out only the all-victims books, each of its
first N victims: the memorial keeps its size, so the render processes laying out and
joining the parts are forked from a build process of the full size, at a fraction of the
books' CPU (a 30,000-victim book needs hours of it on a slow machine). ``--book`` builds
with ``publish --book`` (a PDF per language of all victims and one per province,
rendered again by every build): each build line is followed by the books' own share
(wall, CPU, the largest render process's peak RSS), their files, bytes and pages. After
the first build, the heaviest victim page's first load is added up (its HTML and every
file it and its stylesheets load; target under 200 KB).

Memory: besides each process's own peak (``ru_maxrss``, printed by the build), the driver
samples every process of each build's tree once a second (``/proc``): each one's peak
(``VmHWM``), the most of its own pages seen in a render process (``Private_Clean`` +
``Private_Dirty``: pages no other process maps, e.g. the build's objects it copied on
writing to them), and the whole tree's memory at once, as proportional set size (``Pss``: a page
the render processes share with the build process after the fork counts once, split
between them) and as the plain sum of resident sizes (which counts a shared page in every
process). The 2 GiB target is for the whole build: the PSS sum is the figure to judge.

``--keep DIR``: the store is built in ``DIR/home`` (with the people and seed it was built
for) and kept; a later run with the same ``--keep`` and the same people and seed builds
the site again from it (into a new ``DIR/site``) without writing the store again, which
at 41,000 people takes longer than the build. A kept store also holds the earlier runs'
builds (their manifests' events) and, after ``--builds 3``, the changed victim.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dadkhahi.publish.site import Book

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "linkage"))

FIELDS = ("sex", "birth_year", "city", "province", "prison", "burial_place", "affiliation")


def populate(home: Path, people: int, seed: int) -> int:
    """The SYNTHETIC store; returns the number of victims."""
    from generate import generate

    from dadkhahi.domain.ids import new_id
    from dadkhahi.domain.sources import SourceSpec
    from dadkhahi.domain.vocab import Sensitivity, SourceKind
    from dadkhahi.intake.sources import register_source
    from dadkhahi.persian.dates import DateParseError, parse_date
    from dadkhahi.publish.gate import approve
    from dadkhahi.store.home import Home
    from dadkhahi.store.store import Store

    frame = generate(people, 3, seed)
    store = Store.init(Home(home), "bench.dadkhahi.local/memorial", "bench")
    with store.transaction("bench") as tx:
        sources = {name: register_source(store, tx, SourceSpec(
            title=f"SYNTHETIC {name} (benchmark)", kind=SourceKind.LIST,
            sensitivity=Sensitivity.PUBLIC, citation="SYNTHETIC benchmark data"))
            for name in sorted(set(frame["source_id"]))}
        persons: dict[int, str] = {}
        seen: set[tuple[str, str, str]] = set()

        def claim(pid: str, prop: str, value: str, source: str,
                  lo: str | None = None, hi: str | None = None, text: str | None = None) -> None:
            if (pid, prop, value) in seen:
                return
            seen.add((pid, prop, value))
            tx.emit("claim.added", {
                "id": new_id("claim"), "entity_kind": "person", "entity_id": pid,
                "property": prop, "value": value, "date_earliest": lo, "date_latest": hi,
                "date_text": text, "sensitivity": "public", "status": "asserted",
                "support": [{"source_id": source, "record_id": None, "item_id": None,
                             "locator": None}]})

        for row in frame.sort_values(["true_person_id", "record_id"]).itertuples():
            person = int(row.true_person_id)
            pid = persons.get(person)
            if pid is None:
                pid = persons[person] = new_id("person")
                tx.emit("person.created", {"id": pid, "label": f"SYNTHETIC {person}",
                                           "sensitivity": "public", "synthetic": 1})
                claim(pid, "fate", "executed", sources[row.source_id])
            source = sources[row.source_id]
            name = row.full_name if isinstance(row.full_name, str) else " ".join(
                p for p in (row.given_name, row.family_name) if isinstance(p, str))
            if name:
                claim(pid, "name", name, source)
            for field in FIELDS:
                value = getattr(row, field)
                if isinstance(value, str) and value:
                    claim(pid, field, value, source)
            if isinstance(row.death_date, str) and row.death_date:
                try:
                    when = parse_date(row.death_date)
                except DateParseError:
                    continue
                claim(pid, "death_date", row.death_date, source,
                      when.earliest.isoformat() if when.earliest else None,
                      when.latest.isoformat() if when.latest else None, row.death_date)
    approve(store, "bench", all_sources=True)
    store.engine.dispose()
    return len(persons)


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (the render processes)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _child_peak() -> float:
    """Peak RSS (MiB) of the largest finished child (a render process)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def build_once(home: Path, out: Path, book: bool = False,
               book_victims: int | None = None) -> None:
    """One build in this process; prints seconds, files written, peak RSS (and the
    books' share with ``book``; ``book_victims``: see ``--book-victims``)."""
    from dadkhahi.publish.build import build
    from dadkhahi.publish.site import Options, Page, Site, render_workers
    from dadkhahi.store.home import Home
    from dadkhahi.store.store import Store

    store = Store.open(Home(home))
    if book_victims is not None:
        every_book = Site.books

        def sample(site: Site) -> list[Book]:
            return [replace(b, victims=b.victims[:book_victims]) for b in every_book(site)
                    if b.path.endswith("/all.pdf")]

        Site.books = sample  # type: ignore[method-assign]
    if book:
        # Each book part and index part as a render process finishes it: a book of
        # 30,000 victims takes hours, and a run stopped before its end still shows the
        # pages laid out and the CPU they took (per process: add the lines up).
        render_page = Site.render

        def counted(site: Site, page: Page) -> bytes:
            data = render_page(site, page)
            if page.template in ("book.html", "book_index.html"):
                from dadkhahi.pdf import page_count

                print(f"  part {page.path}: {page_count(data)} pages, process {os.getpid()}"
                      f" CPU {_cpu():.1f} s, {time.strftime('%H:%M:%S', time.gmtime())} UTC",
                      flush=True)
            return data

        Site.render = counted  # type: ignore[method-assign]
    # The books are made by one render_books call (their parts laid out on the render
    # processes, then joined and numbered in this one): time that call.
    books: list[tuple[float, float, int]] = []
    held: list[int] = []
    render_books = Site.render_books

    def timed(site: Site, *args: Any, **kwargs: Any) -> dict[str, bytes]:
        # What the collection after each part of a join passes over when the books are
        # joined in this process (a single-process build: join_memory.py --heap-objects).
        # Counted by freezing them (a list of them all would add to the peak measured).
        gc.freeze()
        held.append(gc.get_freeze_count())
        gc.unfreeze()
        started, cpu = time.perf_counter(), _cpu()
        out = render_books(site, *args, **kwargs)
        if out:
            books.append((time.perf_counter() - started, _cpu() - cpu, len(out)))
        return out

    Site.render_books = timed  # type: ignore[method-assign]
    # The machine's load beside the times: a shared machine's wall clock measures the
    # neighbours as much as the build.
    load_before = os.getloadavg()[0]
    started, cpu = time.perf_counter(), _cpu()
    report = build(store, "bench", out, Options(book=book))
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # CPU seconds beside the wall clock: on a shared machine the wall clock measures the
    # neighbours as much as the build.
    load = os.getloadavg()[0]
    print(f"  {seconds:.1f} s ({cpu:.1f} s CPU), {report.published:,} victims, "
          f"{report.files:,} files, "
          f"{report.written:,} written, {report.removed:,} removed, peak RSS {peak:,.0f} MiB, "
          f"load {load_before:.1f} before and {load:.1f} after (1-minute average, "
          f"{os.cpu_count()} CPUs), {render_workers()} render processes, "
          f"largest render process peak RSS {_child_peak():,.0f} MiB")
    if book:
        from pypdf import PdfReader

        pdfs = sorted(out.glob("*/book/*.pdf"))
        pages = {p: len(PdfReader(p).pages) for p in pdfs}
        largest = max(pdfs, key=lambda p: pages[p])
        wall, spent, count = books[0] if books else (0.0, 0.0, 0)
        print(f"  books: {wall:.1f} s ({spent:.1f} s CPU) of it for {count} PDFs, "
              f"{sum(p.stat().st_size for p in pdfs) / 1e6:.1f} MB, "
              f"{sum(pages.values()):,} pages; the largest "
              f"{largest.relative_to(out)}: {pages[largest]:,} pages, "
              f"{largest.stat().st_size / 1e6:.1f} MB; the build process held "
              f"{held[0] if held else 0:,} objects the cyclic collector tracks")


_LOADS = re.compile(r'<(?:link[^>]*rel="stylesheet"[^>]*href|script[^>]*src|img[^>]*src)'
                    r'="([^"#?]+)"')
_CSS_LOADS = re.compile(r'url\(\s*["\']?([^"\')?#]+)')


def first_load(out: Path) -> None:
    """The heaviest victim page's first load: its HTML plus every file it loads
    (stylesheets, scripts, images) and its stylesheets load (the font), each once."""
    worst: tuple[int, Path, list[tuple[str, int]]] | None = None
    for page in sorted(out.glob("*/victims/*.html")):
        html = page.read_text("utf-8")
        files: dict[Path, int] = {}
        todo = [(page.parent / ref).resolve() for ref in _LOADS.findall(html)]
        while todo:
            path = todo.pop()
            if path in files or not path.is_file():
                continue
            files[path] = path.stat().st_size
            if path.suffix == ".css":
                todo += [(path.parent / ref).resolve()
                         for ref in _CSS_LOADS.findall(path.read_text("utf-8"))]
        total = len(html.encode("utf-8")) + sum(files.values())
        if worst is None or total > worst[0]:
            worst = (total, page, [(p.name, n) for p, n in sorted(files.items())])
    if worst is None:
        return
    total, page, files = worst
    loads = ", ".join(f"{name} {n / 1024:.1f} KB" for name, n in files)
    print(f"victim page first load, the heaviest ({page.relative_to(out)}): "
          f"{total / 1024:.1f} KB (HTML {page.stat().st_size / 1024:.1f} KB, {loads}; "
          f"target < 200 KB, uncompressed)")


def _tree(root: int) -> list[tuple[int, int]]:
    """The processes under ``root`` (itself included) as (pid, depth): 0 the build
    process, 1 its render processes."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # ended while we looked
            continue
        pid, ppid = int(stat.parent.name), int(text.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(pid)
    found, todo = [], [(root, 0)]
    while todo:
        pid, depth = todo.pop()
        found.append((pid, depth))
        todo += [(child, depth + 1) for child in children.get(pid, [])]
    return found


def _kib(path: Path, field: str) -> int:
    """A ``field: N kB`` line of a /proc file (0 if the process has ended)."""
    try:
        for line in path.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler(threading.Thread):
    """Samples a build's process tree every ``every`` seconds (see the module's notes)."""

    def __init__(self, root: int, every: float = 1.0, interim: float = 0.0) -> None:
        super().__init__(daemon=True)
        self.root, self.every = root, every
        # Seconds between reports of the peaks so far (0: only at the end).
        self.interim, self.next_report = interim, time.monotonic() + interim
        self.stop = threading.Event()
        # pid → (depth, VmHWM KiB, the most private KiB seen: pages no other process maps)
        self.peaks: dict[int, tuple[int, int, int]] = {}
        self.pss = self.rss = 0  # the largest sums seen at once, KiB

    def run(self) -> None:
        while not self.stop.is_set():
            pss = rss = 0
            for pid, depth in _tree(self.root):
                proc = Path("/proc") / str(pid)
                hwm = _kib(proc / "status", "VmHWM")
                rollup = proc / "smaps_rollup"
                private = _kib(rollup, "Private_Clean") + _kib(rollup, "Private_Dirty")
                _, seen_hwm, seen_private = self.peaks.get(pid, (depth, 0, 0))
                self.peaks[pid] = (depth, max(hwm, seen_hwm), max(private, seen_private))
                pss += _kib(rollup, "Pss")
                rss += _kib(proc / "status", "VmRSS")
            self.pss, self.rss = max(self.pss, pss), max(self.rss, rss)
            if self.interim and time.monotonic() >= self.next_report:
                self.next_report += self.interim
                print(f"{self.report()} so far, "
                      f"{time.strftime('%H:%M:%S', time.gmtime())} UTC, "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)
            self.stop.wait(self.every)

    def report(self) -> str:
        main = max((hwm for depth, hwm, _ in self.peaks.values() if depth == 0), default=0)
        workers = sorted(((hwm, private) for depth, hwm, private in self.peaks.values()
                          if depth > 0), reverse=True)
        largest = ", ".join(f"{hwm / 1024:,.0f}" for hwm, _ in workers[:4])
        own = ", ".join(f"{private / 1024:,.0f}" for private in
                        sorted((private for _, private in workers), reverse=True)[:4])
        return (f"  memory sampled each {self.every:g} s: build process peak "
                f"{main / 1024:,.0f} MiB; {len(workers)} render processes, the largest "
                f"peaks {largest or '-'} MiB (each counts the pages it shares with the "
                f"build process), their own (private) pages at most {own or '-'} MiB; "
                f"the whole build at most {self.pss / 1024:,.0f} MiB at "
                f"once (PSS summed; {self.rss / 1024:,.0f} MiB RSS summed)")


def _run_sampled(command: list[str], interim: float = 0.0) -> None:
    """Run a build step, sampling its processes' memory; print what was sampled (and
    every ``interim`` seconds the peaks so far)."""
    with subprocess.Popen(command) as child:
        sampler = MemorySampler(child.pid, interim=interim)
        sampler.start()
        code = child.wait()
    sampler.stop.set()
    sampler.join()
    print(sampler.report(), flush=True)
    if code:
        raise subprocess.CalledProcessError(code, command)


def change_one(home: Path) -> None:
    """One victim gains a burial place (a new public claim)."""
    from sqlalchemy import select

    from dadkhahi.domain.vocab import EntityKind, Sensitivity
    from dadkhahi.facts.entities import Support, add_claim
    from dadkhahi.publish.gate import approve
    from dadkhahi.store import schema as s
    from dadkhahi.store.home import Home
    from dadkhahi.store.store import Store

    store = Store.open(Home(home))
    with store.transaction("bench") as tx:
        pid, src = tx.conn.execute(
            select(s.claims.c.entity_id, s.claim_support.c.source_id)
            .join(s.claim_support, s.claim_support.c.claim_id == s.claims.c.id)
            .where(s.claims.c.property == "name").order_by(s.claims.c.entity_id).limit(1)).one()
        add_claim(tx, EntityKind.PERSON, pid, "burial_place", "SYNTHETIC Khavaran",
                  [Support(src)], sensitivity=Sensitivity.PUBLIC)
    approve(store, "bench", all_sources=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=41_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--step", choices=("build", "change"))
    parser.add_argument("--home", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--book", action="store_true",
                        help="build the book of memory too (publish --book)")
    parser.add_argument("--book-victims", type=int, metavar="N",
                        help="with --book: lay out only the all-victims books, each of its "
                        "first N victims; the memorial keeps its size, so the render "
                        "processes are forked from a build process of the full size, at a "
                        "fraction of the books' CPU")
    parser.add_argument("--builds", type=int, choices=(1, 2, 3), default=3,
                        help="1: the first build only; 2: and the same store again; "
                        "3: and a rebuild after one victim changes")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="build the store in DIR/home and keep it; a later run with "
                        "the same DIR, people and seed reuses it")
    args = parser.parse_args()
    if args.step == "build":
        build_once(args.home, args.out, args.book, args.book_victims)
        return
    if args.step == "change":
        change_one(args.home)
        return
    with ExitStack() as stack:
        if args.keep is None:
            tmp = Path(stack.enter_context(
                tempfile.TemporaryDirectory(prefix="dadkhahi-bench-publish-")))
        else:
            tmp = args.keep
            tmp.mkdir(parents=True, exist_ok=True)
        home, out, made_for = tmp / "home", tmp / "site", tmp / "store-for.txt"
        wanted = f"people {args.people} seed {args.seed}\n"
        if args.keep is not None and home.exists():
            if not made_for.is_file() or made_for.read_text() != wanted:
                parser.error(f"{home} holds a store built for other people or seed")
            print(f"store: kept in {home} ({wanted.strip()}), not written again")
        else:
            started = time.perf_counter()
            victims = populate(home, args.people, args.seed)
            print(f"store: {victims:,} SYNTHETIC victims written in "
                  f"{time.perf_counter() - started:.0f} s (not part of the measure)")
            made_for.write_text(wanted)
        # The first build is into a new folder.
        shutil.rmtree(out, ignore_errors=True)
        me = [sys.executable, __file__, "--home", str(home), "--out", str(out)]
        if args.book:
            me.append("--book")
        if args.book_victims is not None:
            me += ["--book-victims", str(args.book_victims)]
        steps = (("first build", "build"), ("same store again", "build"),
                 ("one victim changes", "change"), ("rebuild", "build"))
        for what, step in steps[:{1: 1, 2: 2, 3: 4}[args.builds]]:
            if step == "change":
                subprocess.run([*me, "--step", "change"], check=True)
                print(f"{what}: a burial place added to one victim")
                continue
            print(f"{what}:", flush=True)
            _run_sampled([*me, "--step", step], 300.0 if args.book else 0.0)
            if what == "first build":
                first_load(out)
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        print(f"site: {size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
