"""The acceptance check of issue 15 on the sample articles: ingest them, find their
mentions, and say which of the figures the issue names a reviewer is given as proposed
claims (with the sentence's locator and the party it is attributed to).

    .venv/bin/python benchmarks/documents/seed_acceptance.py [DIR] [--home DIR]

DIR holds the sample articles (``../shared/seeds`` beside the checkout by default: public
articles kept outside the repository; none of their sentences is copied here). They are
taken in as one source in a new SQLite home (a temporary one unless ``--home``), text
extracted and scanned by ``mentions.finder.find_mentions`` as `documents add` and
`documents mentions` do. The figures expected are the issue's own list, not read from the
articles: 3,200 names published in 1999, 30,000, 110 decision-makers, 213 officials, 70
graves. Prints, as JSON, each expected figure with the proposals that give it (property,
value, date, attribution, locator: never the sentence), then every proposal's property
and value, and the counts of proposals by property.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select

from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity, SourceKind
from dadkhahi.intake.documents import extract_items
from dadkhahi.intake.evidence import Receipt, add_evidence
from dadkhahi.mentions.finder import find_mentions
from dadkhahi.store import schema as s
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store

#: (label, property, number, year the figure was published or None)
EXPECTED = [
    ("3,200 names published in 1999", "victim_count", 3200, 1999),
    ("30,000", "victim_count", 30000, None),
    ("110 decision-makers", "official_count", 110, None),
    ("213 officials", "official_count", 213, None),
    ("70 graves", "grave_count", 70, None),
]
DEFAULT_SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"


def _number(value: dict[str, Any]) -> int | None:
    found = value.get("approximately", value.get("at_least", value.get("count")))
    return found if isinstance(found, int) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seeds", nargs="?", type=Path, default=DEFAULT_SEEDS)
    parser.add_argument("--home", type=Path, help="keep the home here (new directory)")
    args = parser.parse_args()
    files = sorted(p for p in args.seeds.iterdir() if p.is_file())
    with tempfile.TemporaryDirectory() as tmp:
        home = Home(args.home or Path(tmp) / "home")
        store = Store.init(home, "bench.dadkhahi.local/seeds", "bench")
        started = time.perf_counter()
        report = add_evidence(store, files, Receipt(actor="bench"), new_source=SourceSpec(
            title="sample articles (issue 15 acceptance)", kind=SourceKind.DOCUMENT,
            sensitivity=Sensitivity.PUBLIC))
        items = [item for _, item in report.added]
        extracted = extract_items(store, items, "bench")
        for item in items:
            find_mentions(store, item, "bench")
        seconds = time.perf_counter() - started
        with store.reading() as conn:
            rows = [dict(r) for r in conn.execute(
                select(s.proposals).order_by(s.proposals.c.ledger_index, s.proposals.c.seq)
            ).mappings()]
            mentions = Counter(str(k) for k in conn.execute(select(s.mentions.c.kind)).scalars())
        store.engine.dispose()
    found = []
    for label, prop, number, year in EXPECTED:
        hits = [r for r in rows if r["property"] == prop and _number(r["value"] or {}) == number
                and (year is None or str(r["date_earliest"] or "").startswith(str(year)))]
        found.append({"expected": label, "found": bool(hits), "proposals": [
            {"item": r["item_id"], "value": r["value"], "date": r["date_text"],
             "attributed_to": (r["value"] or {}).get("attributed_to"),
             "locator": r["locator"]} for r in hits]})
    print(json.dumps({
        "articles": len(files), "extracted": sum(d.state == "done" for d in extracted),
        "seconds": round(seconds, 1), "mentions": dict(sorted(mentions.items())),
        "proposals": len(rows),
        "by_property": dict(sorted(Counter(str(r["property"]) for r in rows).items())),
        "expected_found": sum(f["found"] for f in found), "expected": found,
        "all": [[r["property"], r["value"], r["date_text"]] for r in rows],
    }, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
