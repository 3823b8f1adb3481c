"""The demo's victim-list part: SYNTHETIC lists imported, linked and estimated.

The four lists in ``data/`` were written once by ``benchmarks/linkage/generate.py
--people 600 --lists 4 --seed 7``: every person in them is invented (Persian
script, several romanisations, Solar Hijri and Gregorian dates, UTF-8, UTF-16 and
Windows-1256). ``truth.csv`` holds the generator's answer, so the demo can show
how close linkage and estimation come to it.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity, SourceKind
from dadkhahi.intake.lists import import_list
from dadkhahi.linkage.service import quiet_splink, run_linkage
from dadkhahi.linkage.views import link_stats
from dadkhahi.store.store import Store

_DATA = resources.files("dadkhahi.demo") / "data"
#: Lists published by whoever compiled them (so public, and on the demo memorial); the
#: fourth was given to the team in confidence and stays restricted: its people are on
#: the memorial only where a public list names them too and linkage does not join them.
PUBLIC_LISTS = {name: Sensitivity.PUBLIC for name in ("list_1.csv", "list_2.csv", "list_3.csv")}


@dataclass(frozen=True)
class ListsOutcome:
    """What the demo's list pipeline found, next to the synthetic truth."""

    records: int
    lists: int
    persons: int
    true_persons: int
    population: int
    review: int
    documented: int
    estimate: float
    interval: tuple[float, float]
    method: str


def _manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((_DATA / "manifest.json").read_text("utf-8"))
    return manifest


def _source(spec: dict[str, Any], manifest: dict[str, Any]) -> SourceSpec:
    """A demo list's source: public ones cite how they were made, as public sources do."""
    level = PUBLIC_LISTS.get(spec["file"], Sensitivity.RESTRICTED)
    citation = (f"SYNTHETIC data written by benchmarks/linkage/generate.py --people "
                f"{manifest['n_people']} --lists 4 --seed {manifest['seed']} (invented people)"
                if level is Sensitivity.PUBLIC else None)
    return SourceSpec(title=spec["title"], kind=SourceKind.LIST, sensitivity=level,
                      citation=citation)


def _true_persons() -> int:
    with (_DATA / "truth.csv").open("r", encoding="utf-8") as handle:
        return len({row["true_person_id"] for row in csv.DictReader(handle)})


def import_link_estimate(store: Store, actor: str, *, seed: int = 1) -> ListsOutcome:
    """Import the synthetic lists, link them, estimate the total with LCMCR, and release
    the estimate to the public (``estimate.released``: the memorial's "how many" shows
    it), as ``dadkhahi estimate`` and ``dadkhahi estimate release`` do."""
    # Imported here: the numerical stack loads only when the demo gets this far.
    from dadkhahi.analysis.estimates import estimate_store, record_estimate, release_estimate
    from dadkhahi.estimate import Options

    # Splink warns about every level a small training sample never shows; the
    # demo's reader needs the outcome, not the training log.
    quiet_splink()
    manifest = _manifest()
    records = 0
    for spec in manifest["lists"].values():
        with resources.as_file(_DATA / spec["file"]) as path:
            report = import_list(
                store, path, source=_source(spec, manifest), actor=actor,
                id_column=spec["id_column"], mapping=spec["map"],
            )
        records += report.rows
    run = run_linkage(store, actor, synthetic=True)
    stats = link_stats(store)
    done = estimate_store(store, "lcmcr", Options(iterations=4000, chains=2, seed=seed))
    estimate_id = record_estimate(store, actor, done)
    release_estimate(store, actor, estimate_id, "public",
                     note="SYNTHETIC demo: invented lists, released to show the memorial")
    result = done.result
    return ListsOutcome(
        records=records,
        lists=len(manifest["lists"]),
        persons=stats.persons,
        true_persons=_true_persons(),
        population=int(manifest["n_people"]),
        review=run.review,
        documented=result.documented,
        estimate=result.estimate,
        interval=result.interval,
        method=result.method,
    )
