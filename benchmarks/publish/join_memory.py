"""The book's join (``dadkhahi.pdf.join_pdfs``): its peak memory against the book's pages.

    .venv/bin/python benchmarks/publish/join_memory.py [--pages 1000 4000 8000]
        [--distinct 4] [--entries 300] [--src DIR] [--heap-objects 0 N]

A book of memory is laid out in parts (``site.BOOK_PART`` entries each, about 80 pages)
and the parts are joined. This lays out ``--distinct`` parts of ``--entries`` book-like
entries each (a heading with an anchor, a Persian paragraph, a line of sources: what the
book's template draws, without a store), once; then, for each size of ``--pages``, a
fresh process joins as many of them in turn as make that many pages (the same parts
again after the first ``--distinct``: a part's named destinations then repeat, which the
join keeps once, but its outline items, pages and objects are all joined), and prints:

* the join's own peak: the process's peak resident size during the join (``VmHWM``, set
  back to the resident size just before it through ``/proc/self/clear_refs``) less its
  resident size just before it (the parts read, the fonts cut, everything imported);
* the join's CPU seconds (the page numbers' overlays are laid out by WeasyPrint in it);
* the joined file's bytes and the start of its SHA-256 (two versions of the join that
  should write the same file: the same hash), and the parts' bytes (what the caller
  holds already); the machine's load.

The parts are laid out in the driver's process, one after another, by the ``dadkhahi``
package it imports (``PYTHONPATH``); the start of their SHA-256 is printed.

``--heap-objects N``: the joining process holds N objects the cyclic collector tracks
(as a build joining its books in its own process holds its memorial; a build prints how
many it holds): the CPU it adds is what the collection after each part costs there.

``--src DIR``: join with the ``dadkhahi`` package of ``DIR`` (e.g. an older checkout's
``src``); given twice or more, each size is joined by each in turn (A B A B), to compare
versions of the join on the same parts on this machine.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import itertools
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PERSIAN = "بهرام نمونه در مرداد ۱۳۶۷ در زندان اوین اعدام شد؛ محل دفن او خاوران است."


def _status_mib(field: str) -> float:
    """A ``field: N kB`` line of /proc/self/status, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def lay_out(distinct: int, entries: int) -> list[bytes]:
    """``distinct`` parts of ``entries`` entries each, as the book's parts are laid out
    (no page numbers; the first opens with the book's heading)."""
    from dadkhahi.pdf import html_to_pdf

    parts = []
    for number in range(distinct):
        body = "".join(
            f"<article id='v-{number}-{i}' style='break-inside: avoid'>"
            f"<h2 dir='ltr'>Entry {number}-{i:03d} SYNTHETIC</h2><p>{PERSIAN}</p>"
            f"<p>[1] SYNTHETIC list A. SYNTHETIC benchmark data</p></article>"
            for i in range(entries))
        if number == 0:
            body = "<h1>دفتر یادبود</h1>" + body
        parts.append(html_to_pdf(f"<html lang='fa' dir='rtl'><body>{body}</body></html>",
                                 stamp="SYNTHETIC", numbers=None, title="SYNTHETIC book"))
    return parts


def join_step(parts_file: Path, pages: int, heap: int = 0) -> None:
    """In this process: join parts up to ``pages`` pages, ``heap`` objects the cyclic
    collector tracks held beside; print what it cost."""
    from dadkhahi.pdf import join_pdfs, page_count, shared_fonts

    # What a build holds when it joins in its own process (a single-process build): the
    # collection after each part passes over all of it.
    held = [[] for _ in range(heap)]
    distinct: list[bytes] = pickle.loads(parts_file.read_bytes())
    counts = [page_count(part) for part in distinct]
    chosen, total = [], 0
    while total < pages:
        at = len(chosen) % len(distinct)
        chosen.append(distinct[at])
        total += counts[at]
    fonts = shared_fonts(distinct, [("persian", "rtl")])
    gc.collect()
    # The peak from here on (Linux: 5 sets VmHWM back to the resident size now).
    Path("/proc/self/clear_refs").write_text("5")
    before, cpu, wall = _status_mib("VmRSS"), _cpu(), time.perf_counter()
    joined = join_pdfs(chosen, numbers="persian", direction="rtl", fonts=fonts)
    cpu, wall = _cpu() - cpu, time.perf_counter() - wall
    after = _status_mib("VmHWM")
    del held
    print(f"{total:>6,} pages, {len(chosen):>3} parts, {heap:,} objects held: join peak "
          f"{after - before:7.1f} MiB above the {before:.0f} MiB before it "
          f"({(after - before) * 1024 / total:5.1f} KiB a page), {cpu:6.1f} s CPU "
          f"({wall:.1f} s wall), joined {len(joined) / 1e6:.1f} MB "
          f"(SHA-256 {hashlib.sha256(joined).hexdigest()[:16]}…), "
          f"parts {sum(map(len, distinct)) / 1e6 * len(chosen) / len(distinct):.1f} MB, "
          f"load {os.getloadavg()[0]:.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[1000, 4000, 8000])
    parser.add_argument("--distinct", type=int, default=4)
    parser.add_argument("--entries", type=int, default=300)
    parser.add_argument("--src", type=Path, action="append",
                        help="a folder holding the dadkhahi package to join with (given "
                        "twice or more: each size is joined by each in turn)")
    parser.add_argument("--heap-objects", type=int, nargs="+", default=[0], metavar="N",
                        help="objects (empty lists) the process holds while it joins, as a "
                        "single-process build holds its memorial; given twice or more, "
                        "each size is joined holding each in turn")
    parser.add_argument("--step-parts", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--step-heap", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--step-pages", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step_parts is not None:
        join_step(args.step_parts, args.step_pages, args.step_heap)
        return
    with tempfile.TemporaryDirectory(prefix="dadkhahi-join-") as tmp:
        started = _cpu()
        parts = lay_out(args.distinct, args.entries)
        from dadkhahi.pdf import page_count

        print(f"{len(parts)} distinct parts of {args.entries} entries laid out "
              f"({', '.join(str(page_count(p)) for p in parts)} pages) in "
              f"{_cpu() - started:.0f} s CPU, SHA-256 of them all "
              f"{hashlib.sha256(b''.join(parts)).hexdigest()[:16]}…", flush=True)
        parts_file = Path(tmp) / "parts.pickle"
        parts_file.write_bytes(pickle.dumps(parts))
        for pages, heap in itertools.product(args.pages, args.heap_objects):
            for src in args.src or [None]:
                env = dict(os.environ)
                if src is not None:
                    env["PYTHONPATH"] = os.pathsep.join(
                        [str(src.resolve()), *filter(None, [env.get("PYTHONPATH")])])
                print(f"{src or 'this checkout'}: ", end="", flush=True)
                # A fresh process each: its peak is the join's alone.
                subprocess.run([sys.executable, __file__, "--step-parts", str(parts_file),
                                "--step-pages", str(pages), "--step-heap", str(heap)],
                               check=True, env=env)


if __name__ == "__main__":
    main()
