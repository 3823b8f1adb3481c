"""What can be found in a text without the store: sentences, counts of people, dates, and
the word windows that may be names.

Everything here works on one page's exact text and answers character offsets into it,
so a mention can always be shown as the document has it. Persian and Latin script alike:
digits in any script, number words in English and Persian (``thirty thousand``,
``سی هزار``), Solar Hijri and Gregorian dates (:func:`dadkhahi.persian.dates.find_dates`).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from dadkhahi.persian.dates import DateInText, find_dates
from dadkhahi.search.tokens import Token, tokenize

# Sentences end at . ! ? ؟ or a blank line; a full stop between digits (3.5) or after a
# single capital (initials: "M. Rajavi") does not end one.
_SENTENCE_END = re.compile(r"(?<!\b[A-Z])[.!?؟](?!\d)[\"'”»)\]]*(?=\s|$)|\n\s*\n")

_DIGITS = {0x06F0 + i: str(i) for i in range(10)} | {0x0660 + i: str(i) for i in range(10)}
# Thousands separators: comma, Arabic thousands separator, thin and narrow spaces.
_NUMBER = re.compile(r"(?<![\d.,/])\d{1,3}(?:[,\u066c\u2009\u202f]\d{3})+(?![\d/]|[.,]\d)"
                     r"|(?<![\d.,/])\d+(?![\d/]|[.,]\d)")


def _words(text: str) -> list[str]:
    return text.split()


_EN_UNITS = {w: i for i, w in enumerate(_words(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"))}
_EN_TENS = {w: 10 * (i + 2) for i, w in enumerate(_words(
    "twenty thirty forty fifty sixty seventy eighty ninety"))}
_EN_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_FA_UNITS = {w: i for i, w in enumerate(_words(
    "صفر یک دو سه چهار پنج شش هفت هشت نه ده یازده دوازده سیزده چهارده پانزده شانزده "
    "هفده هجده نوزده"))}
_FA_UNITS["هیجده"] = 18
_FA_TENS = {w: 10 * (i + 2) for i, w in enumerate(_words(
    "بیست سی چهل پنجاه شصت هفتاد هشتاد نود"))}
_FA_HUNDREDS = {w: 100 * (i + 1) for i, w in enumerate(_words(
    "صد دویست سیصد چهارصد پانصد ششصد هفتصد هشتصد نهصد"))}
_FA_SCALES = {"هزار": 1000, "میلیون": 1_000_000}
_NUMBER_WORDS = {*_EN_UNITS, *_EN_TENS, *_EN_SCALES, *_FA_UNITS, *_FA_TENS, *_FA_HUNDREDS,
                 *_FA_SCALES}
_JOINERS = {"and", "و", "-"}

#: Words that say a number counts people (victims, prisoners, names on a list…).
PEOPLE_WORDS = frozenset(_words("""
    prisoners prisoner people persons victims names executions executed killed dead bodies
    individuals men women members supporters detainees inmates martyrs
    زندانی زندانیان نفر تن قربانی قربانیان نام اعدام اعدامی اعدامیان کشته باخته
    جانباخته شهید شهدا عضو
"""))
#: Words that say a number counts those who ordered or carried out the killings.
OFFICIAL_WORDS = frozenset(_words("""
    officials makers decisionmakers perpetrators judges commissioners
    مقام مقامات مسئول مسئولان عامل عاملان آمر آمران
"""))
#: Words that say a number counts graves.
GRAVE_WORDS = frozenset(_words("graves گور گورها قبر قبرها"))
#: What a count counts, by the word that says it: the property a claim of it takes.
COUNTED = {**dict.fromkeys(PEOPLE_WORDS, "victim_count"),
           **dict.fromkeys(OFFICIAL_WORDS, "official_count"),
           **dict.fromkeys(GRAVE_WORDS, "grave_count")}
# Words just before a number that make it a lower bound ("over 30,000", "بیش از ۳۰۰۰").
_AT_LEAST = re.compile(r"(?:^|[^\w\u200c])(?:over|more than|at least|upwards of|in excess of"
                       r"|بیش از|بیشتر از|دست[\u200c ]کم|حداقل)\s*$", re.IGNORECASE)
#: Words that say a sentence reports an execution or a killing.
KILLING_WORDS = frozenset(_words("""
    executed execution executions hanged killed murdered shot massacred
    اعدام تیرباران کشته دار اعدامی
"""))


@dataclass(frozen=True)
class Span:
    """``text[start:end]``."""

    start: int
    end: int


@dataclass(frozen=True)
class Count:
    """A number written in the text, and the value it says; for a count of people (or
    graves), ``what`` spans the words saying what it counts (``political prisoners``),
    ``counted`` names the claim property (:data:`COUNTED`) and ``at_least`` says the text
    gives it as a lower bound (``over 30,000``)."""

    start: int
    end: int
    value: int
    what: Span | None = None
    counted: str | None = None
    at_least: bool = False


#: A line shorter than this share of the page's longest line, not ending in a comma or a
#: hyphen, ends its sentence: a heading, a caption or a dateline ("Paris, 24 August 2016")
#: is not the start of the sentence below it. Wrapped lines of a PDF's paragraph are near
#: the longest, so a sentence broken across them stays whole.
SHORT_LINE = 0.6
_LINE_GOES_ON = (",", "،", "-", "\u00ad")


def sentences(text: str) -> list[Span]:
    """The sentences of a page, as spans (leading and trailing space left out)."""
    ends = {m.end() for m in _SENTENCE_END.finditer(text)}
    lines = text.split("\n")
    longest = max((len(line.strip()) for line in lines), default=0)
    at = 0
    for line in lines[:-1]:
        at += len(line) + 1
        shown = line.strip()
        if shown and len(shown) < SHORT_LINE * longest and not shown.endswith(_LINE_GOES_ON):
            ends.add(at)
    out: list[Span] = []
    start = 0
    for end in sorted(ends):
        out.append(Span(start, end))
        start = end
    out.append(Span(start, len(text)))
    trimmed = []
    for span in out:
        a, b = span.start, span.end
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            trimmed.append(Span(a, b))
    return trimmed


def _words_value(words: list[str]) -> int | None:
    """The value of number words (``thirty thousand``, ``سی و دو هزار``), or None."""
    total = current = 0
    seen = False
    for word in words:
        w = word.casefold()
        if w in _JOINERS:
            continue
        if w in _EN_UNITS or w in _FA_UNITS:
            current += _EN_UNITS.get(w, _FA_UNITS.get(w, 0))
        elif w in _EN_TENS or w in _FA_TENS:
            current += _EN_TENS.get(w, _FA_TENS.get(w, 0))
        elif w in _FA_HUNDREDS:
            current += _FA_HUNDREDS[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        elif w in _EN_SCALES or w in _FA_SCALES:
            scale = _EN_SCALES.get(w, _FA_SCALES.get(w, 1))
            total += max(current, 1) * scale
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


def _number_runs(text: str, tokens: list[Token]) -> list[Count]:
    """Numbers written in digits (any script) or in words, with their values."""
    folded = text.translate(_DIGITS)
    runs: list[Count] = []
    for match in _NUMBER.finditer(folded):
        digits = re.sub(r"\D", "", match.group())
        runs.append(Count(match.start(), match.end(), int(digits)))
    i = 0
    while i < len(tokens):
        if tokens[i].text not in _NUMBER_WORDS or tokens[i].text in {"و", "and"}:
            i += 1
            continue
        j = i
        while j + 1 < len(tokens) and (tokens[j + 1].text in _NUMBER_WORDS
                                       or tokens[j + 1].text in _JOINERS):
            j += 1
        while j > i and tokens[j].text in _JOINERS:
            j -= 1
        # A digit run with a scale word after it: "30 thousand", "۳۰ هزار".
        value = _words_value([t.text for t in tokens[i:j + 1]])
        if value is not None:
            runs.append(Count(tokens[i].start, tokens[j].end, value))
        i = j + 1
    runs.sort(key=lambda c: c.start)
    merged: list[Count] = []
    for run in runs:
        if merged and merged[-1].end <= run.start and text[merged[-1].end:run.start].strip() == "" \
                and run.value in (1000, 1_000_000) and merged[-1].value < 1000:
            prev = merged.pop()
            merged.append(Count(prev.start, run.end, prev.value * run.value))
        else:
            merged.append(run)
    return merged


def counts(text: str, dates: list[DateInText] | None = None) -> list[Count]:
    """Numbers of people (or graves): a number followed, within four words, by a word for
    what it counts (``30,000 political prisoners``, ``3,200 names``, ``سی هزار زندانی``,
    ``70 mass graves``), with nothing but spaces, hyphens or ZWNJ between them: a comma,
    a full stop or another number ends the search (``in five months, 30,000 people`` is a
    count of 30,000, not of five).

    Numbers inside a date (``12 Mordad 1367``, a year) are not counts, and neither are
    numbers under 2 (``one prisoner`` is a person, not a count).
    """
    tokens = tokenize(text)
    taken = [(d.start, d.end) for d in (find_dates(text) if dates is None else dates)]
    runs = _number_runs(text, tokens)
    out: list[Count] = []
    for run in runs:
        if run.value < 2 or any(a <= run.start < b or a < run.end <= b for a, b in taken):
            continue
        found = _counted(text, tokens, run, runs)
        if found is None:
            continue
        what, counted = found
        before = text[max(0, run.start - 20):run.start]
        out.append(Count(run.start, run.end, run.value, what, counted,
                         _AT_LEAST.search(before) is not None))
    return out


def _counted(text: str, tokens: list[Token], run: Count, runs: list[Count]
             ) -> tuple[Span, str] | None:
    """The words after a number saying what it counts, and the property they make."""
    after = [t for t in tokens if t.start >= run.end][:4]
    previous = run.end
    for token in after:
        if text[previous:token.start].strip(" \u200c-\u00a0"):
            return None  # punctuation between: the word belongs to something else
        if any(r.start <= token.start < r.end for r in runs):
            return None  # another number comes first
        counted = COUNTED.get(token.text)
        if counted is not None:
            return Span(after[0].start, token.end), counted
        previous = token.end
    return None


ZWNJ = "\u200c"


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def name_windows(text: str, *, longest: int = 4) -> list[tuple[Span, list[Token]]]:
    """Runs of words that could be a name: two to ``longest`` capitalised Latin words, or
    two to three Persian words, never across a sentence end. Whether one is a name is the
    store's question (the one person search), not this function's.
    """
    out: list[tuple[Span, list[Token]]] = []
    for sentence in sentences(text):
        tokens = [t for t in tokenize(text[sentence.start:sentence.end])]
        tokens = [Token(t.text, t.start + sentence.start, t.end + sentence.start) for t in tokens]
        for i in range(len(tokens)):
            first = text[tokens[i].start:tokens[i].end]
            persian = not first.isascii() and not _capitalised(first)
            if not persian and not _capitalised(first):
                continue
            top = 3 if persian else longest
            for n in range(2, top + 1):
                run = tokens[i:i + n]
                if len(run) < n:
                    break
                # A window neither starts nor ends inside a word joined by a ZWNJ: the
                # ezafe of "خانواده‌ی علی رضایی" is the family's word, not the name's
                # (the tokenizer splits at a ZWNJ, so "ی" alone would lead the window).
                if text[run[0].start - 1:run[0].start] == ZWNJ or \
                        text[run[-1].end:run[-1].end + 1] == ZWNJ:
                    continue
                words = [text[t.start:t.end] for t in run]
                gaps = [text[a.end:b.start] for a, b in itertools.pairwise(run)]
                # Words of one name stand apart by spaces or a ZWNJ or hyphen only.
                if any(g.strip(" \u200c-") for g in gaps):
                    break
                if persian and any(w.isascii() for w in words):
                    break
                if not persian and not all(_capitalised(w) for w in words):
                    break
                out.append((Span(run[0].start, run[-1].end), run))
    return out


# --- who the text says said it ------------------------------------------------------------

_EN_VERBS = ("said|says|stated|states|told|reported|reports|announced|announces|claimed|"
             "claims|estimated|estimates|published|publishes|wrote|writes|testified|alleged|"
             "alleges|added|counted|documented|recorded|listed")
# A party's name: capitalised words, with "of", "for", "and", "the" between them
# ("the Iranian Resistance", "Amnesty International", "the Committee for the Defence").
_EN_PARTY = (r"(?:[Tt]he\s+)?[A-Z][\w'’.-]*"
             r"(?:\s+(?:(?:of|for|and|the|on|in)\s+)*[A-Z][\w'’.-]*){0,7}")
_FA_VERBS = ("گفت|گفته است|می‌گوید|اعلام کرد|اعلام کرده است|اظهار داشت|نوشت|نوشته است|"
             "منتشر کرد|منتشر کرده است|گزارش داد|گزارش کرده است|برآورد کرد|شمارش کرد")
# A Persian party: one to five words, stopping at punctuation or a quotation mark.
_FA_PARTY = r"[^\s،,.«»\"]+(?:[ \u200c][^\s،,.«»\"]+){0,4}"

_ATTRIBUTIONS = (
    # "according to Amnesty International, …"
    re.compile(rf"\b[Aa]ccording to (?P<party>{_EN_PARTY})"),
    # "…," said the committee's chair. / "…" Amnesty International reported.
    re.compile(rf"[\"”]\s*,?\s*(?P<verb>{_EN_VERBS})\s+(?P<party>{_EN_PARTY})"),
    re.compile(rf"[\"”]\s*,?\s*(?P<party>{_EN_PARTY})\s+(?P<verb>{_EN_VERBS})\b"),
    # "The Iranian Resistance published a list …"
    re.compile(rf"(?P<party>{_EN_PARTY})\s+(?:has\s+|have\s+|had\s+)?(?P<verb>{_EN_VERBS})\b"),
    # "به گفته‌ی عفو بین‌الملل، …" / "به نقل از …" / "طبق گزارش …"
    re.compile(rf"(?:به گفته(?:[‌ ]?ی|ٔ)?|به نقل از|طبق گزارش|بنا بر گزارش|بر اساس گزارش)"
               rf"\s+(?P<party>{_FA_PARTY}?)(?=\s*[،,]|\s+(?:در|از|که|،))"),
    # "کمیته‌ی دفاع … اعلام کرد که …"
    re.compile(rf"^(?P<party>{_FA_PARTY}?)\s+(?P<verb>{_FA_VERBS})"),
)
_QUOTE = re.compile(r"[\"“«]([^\"”»]{3,})[\"”»]")


@dataclass(frozen=True)
class Attribution:
    """A sentence the text attributes to a party: who (``party``), the reporting verb, and
    the quoted words when the statement is in quotation marks."""

    sentence: Span
    party: Span
    verb: str | None
    quote: Span | None


def attributions(text: str) -> list[Attribution]:
    """Per sentence, the party the text says made the statement, if it names one.

    Patterns, not a parser: "according to P", a quotation followed by "said P" or "P
    said", "P said/reported/published …", and in Persian "به گفته‌ی P", "به نقل از P",
    "طبق گزارش P", "P اعلام کرد/گفت …". The first pattern that matches a sentence wins.
    """
    out: list[Attribution] = []
    for sentence in sentences(text):
        body = text[sentence.start:sentence.end]
        for pattern in _ATTRIBUTIONS:
            found = pattern.search(body)
            if found is None:
                continue
            a, b = found.span("party")
            raw = body[a:b]
            a += len(raw) - len(raw.lstrip())
            party = raw.strip().rstrip(".,;:،")
            # A party is more than a pronoun or a sentence's first word alone ("It said").
            if not party or party.casefold() in _NOT_PARTIES:
                continue
            verb = found.groupdict().get("verb")
            quote = _QUOTE.search(body)
            out.append(Attribution(
                sentence, Span(sentence.start + a, sentence.start + a + len(party)), verb,
                None if quote is None else Span(sentence.start + quote.start(1),
                                                sentence.start + quote.end(1))))
            break
    return out


_NOT_PARTIES = frozenset(_words("""
    it he she they we i this that there who which the a an
    او آنها ما من این آن وی ایشان
"""))
