"""Precision and recall of person mentions on a SYNTHETIC corpus with known names: span
detection and resolution reported apart (issue 15's mention figure for persons).

    .venv/bin/python benchmarks/documents/bench_person_mentions.py [--persons 300]
        [--sentences 600] [--seed 15]

A new SQLite home gets a list of ``--persons`` invented people, their names in Persian
script (given and family names from the tables below). Sentences are generated from
templates written for this benchmark (English and Persian; never the seed articles'), each
naming one person: one of the list, written in the other script as an English article
would (``Hossein Rezaei`` for ``حسین رضایی``, with the spelling variants the tables give:
``Hosein``, ``Rezai``) or in the list's own script; or someone not on the list (a held-out
pair of names: finding them is a false positive, as it would propose a claim about the
wrong person). Distractors of capitalised words that are not names (``Evin Prison``,
``the Example Committee``) must give nothing. The text is scanned with
``mentions.finder.scan_pages`` (what `documents mentions` runs: name windows whose keys the
store knows, then the one person search).

Span detection: a found person mention is right when its start and end are exactly the
name's. Resolution: a right span is resolved when the person's record is among the
records of the best candidate. Prints true and false positives, misses, precision and
recall of both, per script, as JSON.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select

from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity, SourceKind
from dadkhahi.intake.lists import import_list
from dadkhahi.mentions.finder import scan_pages
from dadkhahi.store import schema as s
from dadkhahi.store.home import Home
from dadkhahi.store.store import Store

# (Persian, Latin spellings) of invented name parts. SYNTHETIC.
GIVEN = [("علی", ["Ali"]), ("حسین", ["Hossein", "Hosein"]), ("مریم", ["Maryam"]),
         ("زهرا", ["Zahra"]), ("رضا", ["Reza"]), ("فاطمه", ["Fatemeh"]),
         ("محمد", ["Mohammad"]), ("نرگس", ["Narges"]), ("مهدی", ["Mehdi", "Mahdi"]),
         ("لیلا", ["Leila", "Layla"]), ("حمید", ["Hamid"]), ("سیمین", ["Simin"]),
         ("بهروز", ["Behrouz", "Behruz"]), ("پروین", ["Parvin"]), ("کاظم", ["Kazem"])]
FAMILY = [("رضایی", ["Rezaei", "Rezai"]), ("کریمی", ["Karimi"]), ("احمدی", ["Ahmadi"]),
          ("موسوی", ["Mousavi", "Musavi"]), ("حسینی", ["Hosseini", "Hoseini"]),
          ("صادقی", ["Sadeghi"]), ("نوری", ["Nouri", "Nuri"]), ("جعفری", ["Jafari"]),
          ("رحیمی", ["Rahimi"]), ("قاسمی", ["Ghasemi", "Qasemi"]), ("طاهری", ["Taheri"]),
          ("شریفی", ["Sharifi"]), ("یزدانی", ["Yazdani"]), ("فرهادی", ["Farhadi"]),
          ("کامرانی", ["Kamrani"]), ("اکبری", ["Akbari"]), ("نیکپور", ["Nikpour"])]
EN_TEMPLATES = [
    "SYNTHETIC report: {name} was executed in the summer of 1988.",
    "Relatives say {name} was last seen in Evin Prison.",
    "According to the Example Committee, {name} was buried in an unmarked grave.",
    "The list published by Example Watch names {name} among the prisoners.",
    "{name} was arrested in 1981 and held for seven years.",
    "A letter from {name} reached the family in Mordad 1367.",
]
FA_TEMPLATES = [
    "گزارش ساختگی: {name} در تابستان ۱۳۶۷ اعدام شد.",
    "خانواده‌ی {name} تا سال‌ها از گور او خبری نداشتند.",
    "به گفته‌ی کمیته‌ی نمونه، {name} در زندان اوین بود.",
    "نام {name} در فهرست زندانیان آمده است.",
]
DISTRACTORS = [
    "The Example Committee met in Geneva on Monday.",
    "Evin Prison and Gohardasht Prison held thousands.",
    "Example Watch published its Annual Report in March.",
    "کمیته‌ی نمونه گزارش سالانه را منتشر کرد.",
]


def _corpus(rng: random.Random, persons: int, sentences: int
            ) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    pairs = [(g, f) for g in range(len(GIVEN)) for f in range(len(FAMILY))]
    rng.shuffle(pairs)
    listed, held_out = pairs[:persons], pairs[persons:]
    people = [(f"L{n}", f"{GIVEN[g][0]} {FAMILY[f][0]}") for n, (g, f) in enumerate(listed)]
    truth: list[dict[str, Any]] = []
    for n in range(sentences):
        roll = rng.random()
        if roll < 0.1:
            truth.append({"text": rng.choice(DISTRACTORS), "name": None})
            continue
        on_list = roll < 0.8
        index = rng.randrange(len(listed)) if on_list else None
        g, f = listed[index] if index is not None else rng.choice(held_out)
        script = "latin" if rng.random() < 0.6 else "persian"
        if script == "latin":
            name = f"{rng.choice(GIVEN[g][1])} {rng.choice(FAMILY[f][1])}"
            template = rng.choice(EN_TEMPLATES)
        else:
            name = f"{GIVEN[g][0]} {FAMILY[f][0]}"
            template = rng.choice(FA_TEMPLATES)
        text = template.format(name=name)
        start = template.index("{name}")
        truth.append({"text": text, "name": (start, start + len(name)), "script": script,
                      "record": None if index is None else people[index][0]})
        del n
    return people, truth


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=200)
    parser.add_argument("--sentences", type=int, default=600)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    assert args.persons < len(GIVEN) * len(FAMILY), "leave some pairs held out"
    rng = random.Random(args.seed)
    people, truth = _corpus(rng, args.persons, args.sentences)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.init(Home(Path(tmp) / "home"), "bench.dadkhahi.local/persons", "bench")
        path = Path(tmp) / "names.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["ID", "Full name"])
            writer.writerows(people)
        import_list(store, path, actor="bench", id_column="ID", source=SourceSpec(
            title="SYNTHETIC names", kind=SourceKind.LIST, sensitivity=Sensitivity.PUBLIC))
        with store.reading() as conn:
            record_of = {str(r.id): str(r.external_id) for r in conn.execute(
                select(s.records.c.id, s.records.c.external_id))}
        # One sentence a page: a page's spans are the sentence's.
        pages = [(n + 1, t["text"]) for n, t in enumerate(truth)]
        started = time.perf_counter()
        found, _ = scan_pages(store, pages, Sensitivity.PUBLIC, "bench", "bench")
        seconds = time.perf_counter() - started
        store.engine.dispose()
    counts: dict[str, Counter[str]] = {"all": Counter(), "latin": Counter(),
                                       "persian": Counter()}
    by_page: dict[int, list[Any]] = {}
    for f in found:
        if f.kind == "person":
            by_page.setdefault(f.page, []).append(f)
    for n, t in enumerate(truth, start=1):
        mentions = by_page.get(n, [])
        keys = ["all"] + ([t["script"]] if t["name"] else [])
        for key in keys:
            c = counts[key]
            expected = t["name"] if t["name"] and t["record"] else None
            right = [m for m in mentions if expected and (m.start, m.end) == expected]
            c["span_tp"] += len(right)
            c["span_fp"] += len(mentions) - len(right)
            c["span_fn"] += int(bool(expected) and not right)
            for m in right:
                best = (m.value["candidates"] or [{}])[0]
                records = {record_of.get(r) for r in best.get("record_ids", [])}
                c["resolved"] += int(t["record"] in records)
            c["named"] += int(bool(expected))
    report: dict[str, Any] = {"persons": args.persons, "sentences": args.sentences,
                              "seed": args.seed, "scan_seconds": round(seconds, 1)}
    for key, c in counts.items():
        report[key] = {
            "named": c["named"], "span_tp": c["span_tp"], "span_fp": c["span_fp"],
            "span_fn": c["span_fn"],
            "span_precision": _ratio(c["span_tp"], c["span_tp"] + c["span_fp"]),
            "span_recall": _ratio(c["span_tp"], c["span_tp"] + c["span_fn"]),
            # Resolution: of the right spans, those whose best candidate is the person.
            "resolved": c["resolved"], "resolution_precision": _ratio(c["resolved"], c["span_tp"]),
            "end_to_end_recall": _ratio(c["resolved"], c["named"])}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
