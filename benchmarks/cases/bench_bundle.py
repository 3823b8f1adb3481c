"""Court bundle write and verify speed against cp + sha256sum + sha512sum on the same files.

    .venv/bin/python benchmarks/cases/bench_bundle.py --items 10000 --total-gib 10

Builds a store holding ``--items`` random files (``--total-gib`` in all) that one claim
cites, a case with one charge linked to that claim, then times, each as a real process
on a warm page cache:

* ``dadkhahi case bundle`` (reads every blob, writes it into the bag hashing SHA-256 and
  SHA-512 as it writes, custody and ledger events, proofs, manifests) against
  ``cp -r`` of the same files + ``sha256sum`` + ``sha512sum`` of the copies;
* ``python3 verify_bundle.py`` (every hash, the signature, every proof) against
  ``sha256sum`` + ``sha512sum`` of the bag's files;

and the peak RSS of each process. The store, the bag and the copy need about three times
the total on disk: the benchmark checks free space first and scales the total down
(same number of items) with a note if there is not enough. It prints what it measured.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: CPU seconds (user + system) of each command timed, by its label.
CPU: dict[str, float] = {}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(cmd: list[str] | str, label: str = "", **kw: object) -> tuple[float, float]:
    """Wall time (s) and the peak RSS (MiB) of the children run so far; the command's CPU
    time (its processes, user + system) is kept in ``CPU[label]`` (the machine is shared:
    wall time alone says as much about the others' load as about the work)."""
    t0, c0 = time.perf_counter(), _cpu()
    subprocess.run(cmd, check=True, capture_output=True, **kw)  # type: ignore[call-overload]
    took = time.perf_counter() - t0
    CPU[label] = _cpu() - c0
    return took, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _build(home: Path, files: Path, items: int, size: int) -> str:
    from dadkhahi.cases.case import Scope, add_charge, create_case, link_fact
    from dadkhahi.domain.sources import SourceSpec
    from dadkhahi.domain.vocab import (
        ActType,
        Credibility,
        Direction,
        EntityKind,
        Reliability,
        Sensitivity,
    )
    from dadkhahi.facts.entities import Support, add_claim, create_act, create_person
    from dadkhahi.intake.evidence import Receipt, add_evidence
    from dadkhahi.store.home import Home
    from dadkhahi.store.store import Store

    files.mkdir()
    seed = os.urandom(1 << 20)
    for n in range(items):
        with open(files / f"f{n:06d}.bin", "wb") as f:
            left = size
            f.write(n.to_bytes(8, "big"))  # every file distinct
            left -= 8
            while left > 0:
                f.write(seed[:min(left, len(seed))])
                left -= len(seed)
    store = Store.init(Home(home), "bench.local/cases", "bench")
    report = add_evidence(store, [files], Receipt(actor="bench"),
                          new_source=SourceSpec(title="SYNTHETIC bench files",
                                                sensitivity=Sensitivity.RESTRICTED))
    assert report.source_id is not None
    with store.transaction("bench") as tx:
        act = create_act(tx, ActType.EXECUTION, description="SYNTHETIC bench act")
        suspect = create_person(tx, "SYNTHETIC bench suspect", synthetic=True)
        claim = add_claim(tx, EntityKind.ACT, act, "documents", "SYNTHETIC",
                          [Support(report.source_id, item_id=i) for _, i in report.added])
    case = create_case(store, "bench", "SYNTHETIC bench case", Scope((suspect,), (act,)))
    charge = add_charge(store, "bench", case, suspect, "national-murder", "murder",
                        "perpetrator")
    link_fact(store, "bench", case, charge, "1", "claim", claim, reliability=Reliability.C,
              credibility=Credibility.POSSIBLY_TRUE, how="bench",
              direction=Direction.INCRIMINATING)
    store.engine.dispose()
    return case


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--total-gib", type=float, default=10.0)
    parser.add_argument("--dir", type=Path, default=None, help="Work folder (default: tmp)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dadkhahi-bundle-bench-", dir=args.dir))
    total = int(args.total_gib * 2**30)
    free = shutil.disk_usage(work).free
    need = 3.3 * total  # source files + blob store + bag (+ the cp copy replaces the bag)
    if need > free * 0.8:
        total = int(free * 0.8 / 3.3)
        print(f"NOTE: not enough free disk for {args.total_gib} GiB "
              f"({free / 2**30:.1f} GiB free); scaled down to {total / 2**30:.2f} GiB")
    size = max(total // args.items, 16)
    try:
        t0 = time.perf_counter()
        case = _build(work / "home", work / "files", args.items, size)
        print(f"built store: {args.items:,} items x {size:,} B = "
              f"{args.items * size / 2**30:.2f} GiB in {time.perf_counter() - t0:.0f} s")
        dk = [sys.executable, "-m", "dadkhahi", "--home", str(work / "home")]
        subprocess.run(["bash", "-c", f"cat {work}/home/blobs -r >/dev/null 2>&1; "
                        f"find {work}/home/blobs -type f -exec cat {{}} + > /dev/null"],
                       check=False)
        bag = work / "bag"
        load_before = os.getloadavg()
        write_s, write_rss = _timed([*dk, "case", "bundle", case, "--recipient",
                                     "SYNTHETIC bench court", "--out", str(bag)], "write")
        shutil.rmtree(work / "files")
        copy = work / "copy"
        base_write_s, _ = _timed(
            f"cp -r {work}/home/blobs {copy} && find {copy} -type f -print0 | "
            f"xargs -0 sha256sum > /dev/null && find {copy} -type f -print0 | "
            "xargs -0 sha512sum > /dev/null", shell=True, label="base_write")
        shutil.rmtree(copy)
        verify_s, verify_rss = _timed([sys.executable, str(bag / "verify_bundle.py"),
                                       str(bag), "--key",
                                       (work / "home/keys/ledger.pub").read_text().strip()],
                                      "verify")
        base_verify_s, _ = _timed(
            f"find {bag}/data -type f -print0 | xargs -0 sha256sum > /dev/null && "
            f"find {bag}/data -type f -print0 | xargs -0 sha512sum > /dev/null", shell=True,
            label="base_verify")
        load_after = os.getloadavg()
        gib = args.items * size / 2**30
        print(f"bundle write: {write_s:.1f} s ({gib / write_s * 1024:.0f} MiB/s); "
              f"cp + sha256sum + sha512sum: {base_write_s:.1f} s; "
              f"speed ratio {base_write_s / write_s:.2f} (goal >= 0.8)")
        print(f"bundle verify: {verify_s:.1f} s; sha256sum + sha512sum: {base_verify_s:.1f} s; "
              f"speed ratio {base_verify_s / verify_s:.2f} (goal >= 0.8)")
        print(f"CPU time (user + system): bundle write {CPU['write']:.2f} s, cp + sums "
              f"{CPU['base_write']:.2f} s (CPU ratio {CPU['base_write'] / CPU['write']:.2f}); "
              f"verify {CPU['verify']:.2f} s, sums {CPU['base_verify']:.2f} s")
        print(f"peak RSS of the child processes so far: {max(write_rss, verify_rss):.0f} MiB "
              "(goal < 500 MiB)")
        print("load average (1, 5, 15 min) before the write: "
              f"{' '.join(f'{x:.1f}' for x in load_before)}; after the verify: "
              f"{' '.join(f'{x:.1f}' for x in load_after)} ({os.cpu_count()} CPUs)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
