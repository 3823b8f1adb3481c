"""What one memorial search loads, on a site of about 30,000 SYNTHETIC victims.

    .venv/bin/python benchmarks/publish/bench_search_index.py [--people 41000] [--queries 300]

Victims and their spellings come from ``benchmarks/linkage/generate.py``: 41,000
invented people, of whom about 30,000 are on one of its 3 lists, each victim's names as
the lists wrote them (Persian script, romanisations, typos). The index is written by
``dadkhahi.publish.search_index.write_search``; each query is one of a victim's
spellings, keyed in Python (the JavaScript keys agree: see the tests) and answered as
``search.js`` answers it, counting the bytes of every file the browser would load:
``search.js``, ``lexicon.js``, ``shards.js``, the shards of the query's keys and the people
files of the first 20 hits. Prints build time, bytes per query (p50, p95, max; target
< 300 KB) and how often the victim is the first hit / in the first 20.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "linkage"))

from generate import generate

from dadkhahi.persian import name_keys
from dadkhahi.publish.search_index import FOLDER, SearchVictim, write_search
from dadkhahi.search.persons import key_strings

SHOWN = 20


def _victims(people: int, seed: int) -> list[SearchVictim]:
    frame = generate(people, 3, seed)
    names: dict[int, dict[str, None]] = {}
    for person, full, given, family in zip(frame["true_person_id"], frame["full_name"],
                                           frame["given_name"], frame["family_name"],
                                           strict=True):
        name = full if isinstance(full, str) else " ".join(
            p for p in (given, family) if isinstance(p, str))
        if name:
            names.setdefault(int(person), {})[name] = None
    return [SearchVictim(f"per_{p:06d}", tuple(n), {"en": "SYNTHETIC"})
            for p, n in sorted(names.items())]


def _load(folder: Path, file: str, sizes: dict[str, int]) -> int:
    if file not in sizes:
        sizes[file] = (folder / file).stat().st_size
    return sizes[file]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=41_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    victims = _victims(args.people, args.seed)
    print(f"victims: {len(victims)} (SYNTHETIC), generated in "
          f"{time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        started = time.perf_counter()
        written = write_search(out, victims, ["fa", "en"])
        built = time.perf_counter() - started
        folder = out / FOLDER
        total = sum((out / f).stat().st_size for f in written.files)
        print(f"index: {len(written.files)} files, {total / 1e6:.1f} MB, {written.keys} keys "
              f"in {written.shards} shards, built in {built:.1f} s")
        manifest = json.loads((folder / "shards.js").read_text("utf-8")[len(
            "dadkhahiShards("):-3])
        chunk = manifest["chunk"]
        numbers = {}
        for file in sorted(folder.glob("p-*.js")):
            text = file.read_text("utf-8")
            _, first, rows = json.loads("[" + text[len("dadkhahiPeople("):-3] + "]")
            numbers.update({row[0]: first + i for i, row in enumerate(rows)})
        postings: dict[str, list[int]] = {}
        sizes: dict[str, int] = {}
        rng = random.Random(args.seed)
        loaded: list[int] = []
        first_hit = in_shown = 0
        for victim in rng.sample(victims, min(args.queries, len(victims))):
            text = rng.choice(victim.names)
            wanted = key_strings(name_keys(text))
            parts = max(1, len(name_keys(text).skeletons))
            files = ["search.js", "lexicon.js", "shards.js"]
            part_of: dict[str, int] = {}
            for part, key in wanted:
                part_of.setdefault(key, part)
                shard = next((manifest["files"][key[:n]] for n in range(len(key), 2, -1)
                              if key[:n] in manifest["files"]), None)
                if shard is not None and shard not in files:
                    files.append(shard)
            matched: dict[int, set[int]] = {}
            for shard in files[3:]:
                if shard not in postings:
                    body = (folder / shard).read_text("utf-8")
                    _, lists = json.loads("[" + body[len("dadkhahiIndex("):-3] + "]")
                    for key, gaps in lists.items():
                        run, acc = [], 0
                        for g in gaps:
                            acc += g
                            run.append(acc)
                        postings[key] = run
                    postings[shard] = []
            for key, part in part_of.items():
                for n in postings.get(key, []):
                    matched.setdefault(n, set()).add(part)
            hits = sorted(((len(p) + (parts if -1 in p else 0), n) for n, p in matched.items()),
                          key=lambda h: (-h[0], h[1]))[:SHOWN]
            files += sorted({f"p-{n // chunk}.js" for _, n in hits})
            loaded.append(sum(_load(folder, f, sizes) for f in files))
            ranks = [n for _, n in hits]
            first_hit += bool(ranks) and ranks[0] == numbers[victim.id]
            in_shown += numbers[victim.id] in ranks
        loaded.sort()
        q = len(loaded)
        print(f"bytes loaded per query ({q} queries): p50 {loaded[q // 2] / 1e3:.0f} KB, "
              f"p95 {loaded[int(q * 0.95)] / 1e3:.0f} KB, max {loaded[-1] / 1e3:.0f} KB "
              f"(target < 300 KB)")
        print(f"the victim is the first hit in {first_hit / q:.0%}, "
              f"in the first {SHOWN} in {in_shown / q:.0%}")


if __name__ == "__main__":
    main()
