"""Precision and recall of the text-only mention finders on a SYNTHETIC corpus.

    .venv/bin/python benchmarks/documents/bench_mentions.py [--sentences 2000] [--seed 7]

Sentences are generated here from templates written for this benchmark (never the seed
articles' sentences), in English and Persian, with invented parties and numbers: counts of
people in digits (``3,200``, ``۳۲۰۰``) and in words (``thirty thousand``, ``سی هزار``),
dates in both calendars (``12 Mordad 1367``, ``3 August 1988``, ``۱۲ مرداد ۱۳۶۷``,
``1367/05/12``, a bare year), the party a statement is attributed to ("according to P", "P
published …", a quotation "said P", "به گفته‌ی P", "P اعلام کرد"), forms the patterns were
not written for (a passive "published by P", a plural "say", a Persian verb far from its
party), and distractors that must give nothing (numbers that count no people, pronoun
speakers, page numbers). The generator knows every span it wrote; a found span counts as
right only when its start and end are exactly those written. Persons are not measured
here: finding a person needs the store's name keys (the person search), see
``tests/mentions/test_mentions_find.py``.

Prints, per kind (count, date, attribution), true and false positives, misses, precision
and recall, as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dadkhahi.mentions.text import attributions, counts
from dadkhahi.persian.dates import find_dates

EN_PARTIES = ["the SYNTHETIC Committee for Example Justice", "Example Watch",
              "the Invented Families Association", "Fictional Rights Group",
              "the Example Truth Commission"]
FA_PARTIES = ["کمیته‌ی نمونه", "انجمن ساختگی", "گروه حقوق بشری فرضی", "کانون خانواده‌های نمونه"]
EN_PEOPLE = ["prisoners", "political prisoners", "names", "victims", "executions", "graves"]
FA_PEOPLE = ["زندانی", "زندانی سیاسی", "نام", "قربانی", "اعدام"]
EN_MONTHS = ["January", "March", "July", "August", "September", "December"]
SH_MONTHS = ["Mordad", "Shahrivar", "Tir", "Mehr"]
FA_MONTHS = ["مرداد", "شهریور", "تیر", "مهر"]
EN_WORDS = {30000: "thirty thousand", 5000: "five thousand", 70: "seventy",
            213: "two hundred thirteen", 110: "one hundred ten", 4500: "four thousand five hundred"}
FA_WORDS = {30000: "سی هزار", 5000: "پنج هزار", 70: "هفتاد", 213: "دویست و سیزده",
            110: "صد و ده"}
FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


@dataclass
class Sentence:
    """A generated sentence and the spans written into it, by kind."""

    text: str = ""
    truth: dict[str, set[tuple[int, int]]] = field(default_factory=dict)

    def add(self, piece: str, kind: str | None = None) -> None:
        if kind is not None:
            self.truth.setdefault(kind, set()).add((len(self.text), len(self.text) + len(piece)))
        self.text += piece


def _count_en(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(list(EN_WORDS.values()))
    return f"{rng.choice([3200, 30000, 213, 110, 70, 4481, 12]):,}"


def _count_fa(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(list(FA_WORDS.values()))
    return str(rng.choice([3200, 30000, 213, 110, 70, 4481])).translate(FA_DIGITS)


def _date_en(rng: random.Random) -> str:
    day = rng.randint(1, 28)
    return rng.choice([f"{day} {rng.choice(EN_MONTHS)} 1988",
                       f"{day} {rng.choice(SH_MONTHS)} 1367",
                       f"1367/0{rng.randint(4, 7)}/{day:02d}", f"{rng.choice(EN_MONTHS)} 1988"])


def _date_fa(rng: random.Random) -> str:
    day = rng.randint(1, 28)
    return f"{day} {rng.choice(FA_MONTHS)} ۱۳۶۷".translate(FA_DIGITS)


def en_published(rng: random.Random) -> Sentence:
    s = Sentence()
    party = rng.choice(EN_PARTIES)
    s.add(party[0].upper() + party[1:], "attribution")
    s.add(" published a list of ")
    s.add(_count_en(rng), "count")
    s.add(f" {rng.choice(EN_PEOPLE)} in ")
    s.add(str(rng.choice([1999, 2004, 2016])), "date")
    s.add(".")
    return s


def en_according(rng: random.Random) -> Sentence:
    s = Sentence()
    s.add("According to ")
    s.add(rng.choice(EN_PARTIES), "attribution")
    s.add(", ")
    s.add(_count_en(rng), "count")
    s.add(f" {rng.choice(EN_PEOPLE)} were executed on ")
    s.add(_date_en(rng), "date")
    s.add(".")
    return s


def en_quote(rng: random.Random) -> Sentence:
    s = Sentence()
    s.add('"At least ')
    s.add(_count_en(rng), "count")
    s.add(f' {rng.choice(EN_PEOPLE)} were killed that summer," said ')
    s.add(rng.choice(EN_PARTIES), "attribution")
    s.add(".")
    return s


def en_plain(rng: random.Random) -> Sentence:
    s = Sentence()
    s.add("The transfers began on ")
    s.add(_date_en(rng), "date")
    s.add(" and ")
    s.add(_count_en(rng), "count")
    s.add(f" {rng.choice(EN_PEOPLE)} were moved.")
    return s


def en_distractor(rng: random.Random) -> Sentence:
    s = Sentence()
    s.add(rng.choice([
        f"It said the building had {rng.randint(3, 9)} floors and {rng.randint(20, 90)} rooms.",
        f"See page {rng.randint(2, 80)} of the report for the map.",
        f"They said the road was {rng.randint(10, 40)} kilometres long.",
        "He said nothing more about it.",
    ]))
    return s


def fa_according(rng: random.Random) -> Sentence:
    s = Sentence()
    s.add(rng.choice(["به گفته‌ی ", "به نقل از ", "طبق گزارش "]))
    s.add(rng.choice(FA_PARTIES), "attribution")
    s.add("، ")
    s.add(_count_fa(rng), "count")
    s.add(f" {rng.choice(FA_PEOPLE)} در ")
    s.add(_date_fa(rng), "date")
    s.add(" اعدام شدند.")
    return s


def fa_announced(rng: random.Random) -> Sentence:
    s = Sentence()
    s.add(rng.choice(FA_PARTIES), "attribution")
    s.add(" اعلام کرد که نام ")
    s.add(_count_fa(rng), "count")
    s.add(f" {rng.choice(FA_PEOPLE)} را گردآوری کرده است.")
    return s


def fa_distractor(rng: random.Random) -> Sentence:
    s = Sentence()
    s.add(rng.choice([
        f"این ساختمان {str(rng.randint(3, 9)).translate(FA_DIGITS)} طبقه دارد.",
        f"نقشه در صفحه‌ی {str(rng.randint(2, 80)).translate(FA_DIGITS)} آمده است.",
        "او چیزی نگفت.",
    ]))
    return s


def en_passive(rng: random.Random) -> Sentence:
    """Attributions the patterns are not written for: a passive "published by P", a
    plural "say", a statement introduced by a phrase."""
    s = Sentence()
    party = rng.choice(EN_PARTIES)
    form = rng.randrange(3)
    if form == 0:
        s.add("The list, published by ")
        s.add(party, "attribution")
        s.add(", names ")
        s.add(_count_en(rng), "count")
        s.add(f" {rng.choice(EN_PEOPLE)}.")
    elif form == 1:
        s.add("Families of the victims", "attribution")
        s.add(" say that ")
        s.add(_count_en(rng), "count")
        s.add(f" {rng.choice(EN_PEOPLE)} were buried there.")
    else:
        s.add("In a statement issued on ")
        s.add(_date_en(rng), "date")
        s.add(", ")
        s.add(party, "attribution")
        s.add(" said that ")
        s.add(_count_en(rng), "count")
        s.add(f" {rng.choice(EN_PEOPLE)} had disappeared.")
    return s


def fa_later_verb(rng: random.Random) -> Sentence:
    """A Persian party whose verb comes later in the sentence."""
    s = Sentence()
    s.add(rng.choice(FA_PARTIES), "attribution")
    s.add(" در گزارشی که ")
    s.add(_date_fa(rng), "date")
    s.add(" منتشر شد اعلام کرد که ")
    s.add(_count_fa(rng), "count")
    s.add(f" {rng.choice(FA_PEOPLE)} اعدام شدند.")
    return s


TEMPLATES: list[Callable[[random.Random], Sentence]] = [
    en_published, en_according, en_quote, en_plain, en_distractor, en_passive,
    fa_according, fa_announced, fa_distractor, fa_later_verb]


def found_spans(text: str) -> dict[str, set[tuple[int, int]]]:
    """What the finders report, by kind, as (start, end) spans."""
    dates = find_dates(text)
    return {"date": {(d.start, d.end) for d in dates},
            "count": {(c.start, c.end) for c in counts(text, dates)},
            "attribution": {(a.party.start, a.party.end) for a in attributions(text)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--misses", type=int, default=0,
                        help="print this many wrong spans per kind, to see why")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tally = {k: {"tp": 0, "fp": 0, "fn": 0} for k in ("count", "date", "attribution")}
    wrong: dict[str, list[str]] = {k: [] for k in tally}
    started = time.perf_counter()
    for _ in range(args.sentences):
        sentence = rng.choice(TEMPLATES)(rng)
        got = found_spans(sentence.text)
        for kind, counts_ in tally.items():
            truth = sentence.truth.get(kind, set())
            counts_["tp"] += len(got[kind] & truth)
            counts_["fp"] += len(got[kind] - truth)
            counts_["fn"] += len(truth - got[kind])
            if got[kind] != truth and len(wrong[kind]) < args.misses:
                wrong[kind].append(f"{sentence.text!r}: found "
                                   f"{[sentence.text[a:b] for a, b in sorted(got[kind])]}, "
                                   f"written {[sentence.text[a:b] for a, b in sorted(truth)]}")
    elapsed = time.perf_counter() - started
    report: dict[str, object] = {"sentences": args.sentences, "seed": args.seed,
                                 "seconds": round(elapsed, 2)}
    for kind, c in tally.items():
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        report[kind] = {**c, "precision": round(precision, 4), "recall": round(recall, 4)}
    print(json.dumps(report, ensure_ascii=False, indent=2))
    for kind, lines in wrong.items():
        for line in lines:
            print(f"{kind}: {line}")


if __name__ == "__main__":
    main()
