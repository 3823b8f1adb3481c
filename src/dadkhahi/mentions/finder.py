"""Finding what a document's text names, and proposing claims from it.

:func:`find_mentions` reads an item's extracted text (``intake.documents.read_text``) and
finds, page by page, with each page's character span:

* **persons**: word windows that may be names (:func:`~dadkhahi.mentions.text.name_windows`)
  whose keys the store knows, resolved with the one person search
  (:func:`dadkhahi.search.persons.search_persons`), so ``Hossein Rezaei`` in an English
  article finds the records of ``حسین رضایی``; and **perpetrators**, the registry's
  persons (named in a role on the side of those who acted, or holding an office), who
  have no list records, by their whole name's key in either script. Finding a name and
  deciding who it is are separate steps: a mention lists every candidate person, and
  only an unambiguous one is proposed as the claim's subject;
* **places** of the store (prisons, cemeteries…) by their names in either script, and
  **organisations** of the store by their names;
* **dates**, Solar Hijri and Gregorian (:func:`dadkhahi.persian.dates.find_dates`);
* **counts** of people, of officials and of graves (``30,000 political prisoners``,
  ``سی هزار زندانی``, ``213 officials``, ``70 mass graves``), with the words saying what
  they count;
* **attributions**: the party a sentence says made the statement ("according to P",
  "P published …", a quotation "said P", "به گفته‌ی P", "P اعلام کرد"), carried into
  each proposal of that sentence as ``value.attributed_to``: the claim, once accepted, is
  the document's (its source) reporting that party's statement.

A page's transcription (``intake.transcriptions``: typed by a person where OCR could not
read it) feeds the same finder once the page is settled (its one transcription, two that
agree, or the resolution of two that differ; never while a second transcriber must still
type blind): :func:`propose_from_transcription`. Its mentions and proposals belong to the
original item and name the transcription as their text (``text_item_id``, and the
locator ``transcription ITEM, page N, characters a-b``).

From each sentence that reports an execution it proposes "this text says person P was
executed (at Q, on D)", and from each count "this text says N people (at Q, on D)": a
``victim_count``, ``official_count`` or ``grave_count`` whose value is a published figure
(:func:`dadkhahi.facts.figures.figure_value`: ``approximately`` or ``at_least``, and
``what`` in the text's words). When the party a sentence attributes it to is an
organisation of the store, the proposal names it (``value.attributed_party``). The
mentions and proposals are one ``mentions.found`` event; nothing becomes a claim until a
person accepts it (:mod:`dadkhahi.mentions.review`).

**Protection.** Mentions and proposals take the text's sensitivity (the stricter of the
original item and its source) and, when protected, every field but IDs, kind and review
state is sealed. The person search runs with no more sight than the document's readers
have: a public document's names are matched against public records only, so a proposal
on a public text never names a restricted person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from dadkhahi.access.policy import Principal
from dadkhahi.domain.errors import ValidationError
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.vocab import ALLEGED_ROLES, Role, Sensitivity
from dadkhahi.facts.entities import POSITION
from dadkhahi.intake.documents import has_own_text, read_text
from dadkhahi.intake.evidence import ContentErasedError, item_content, resolve_item
from dadkhahi.intake.transcriptions import DERIVATION as TRANSCRIPTION
from dadkhahi.intake.transcriptions import page_state
from dadkhahi.mentions.text import (
    KILLING_WORDS,
    Span,
    attributions,
    counts,
    name_windows,
    sentences,
)
from dadkhahi.persian import label_key, name_keys
from dadkhahi.persian.dates import find_dates
from dadkhahi.search.persons import key_strings, refresh_name_index, search_persons
from dadkhahi.search.tokens import tokenize
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store, utc_now

#: A person search hit below this score is not a candidate for a mention.
MIN_PERSON_SCORE = 0.85
#: Candidates kept per person mention (best first).
MAX_CANDIDATES = 5
#: The best candidate is proposed alone only when it leads the next by this much.
CLEAR_LEAD = 0.1
_KEY_BATCH = 500


@dataclass
class Found:
    """One mention before it is stored."""

    kind: str
    page: int
    start: int
    end: int
    text: str
    value: dict[str, Any]
    id: str = field(default_factory=lambda: new_id("mention"))


def _level(conn: Connection, item: dict[str, Any]) -> Sensitivity:
    source = conn.execute(select(s.sources.c.sensitivity).where(
        s.sources.c.id == item["source_id"])).scalar_one()
    levels = {str(item["sensitivity"]), str(source)}
    for level in (Sensitivity.PROTECTED, Sensitivity.RESTRICTED):
        if str(level) in levels:
            return level
    return Sensitivity.PUBLIC


def _searcher(level: Sensitivity, actor: str) -> Principal:
    # A public text is matched against public records only (see the module docstring).
    role = Role.VIEWER if level is Sensitivity.PUBLIC else Role.ADMIN
    return Principal(username=actor, role=role)


def latest_run(conn: Connection, item_id: str, text_item_id: str | None = None) -> str | None:
    """The ID of the newest mention run of an item (of one of its texts, if
    ``text_item_id``: its extraction or a transcription), if any (a run that found nothing
    leaves no row, so such a text is simply scanned again)."""
    newest: tuple[int, str] | None = None
    for table in (s.mentions, s.proposals):
        stmt = select(table.c.ledger_index, table.c.run_id).where(table.c.item_id == item_id)
        if text_item_id is not None:
            stmt = stmt.where(table.c.text_item_id == text_item_id)
        row = conn.execute(stmt.order_by(table.c.ledger_index.desc()).limit(1)).first()
        if row is not None and (newest is None or int(row[0]) > newest[0]):
            newest = (int(row[0]), str(row[1]))
    return None if newest is None else newest[1]


# --- places ------------------------------------------------------------------------------


def _place_patterns(conn: Connection, level: Sensitivity) -> dict[tuple[str, ...], str]:
    """Token sequences naming each place: its names in both scripts, and each without its
    generic words (``Evin Prison`` is also ``Evin``; ``زندان اوین`` is also ``اوین``)."""
    p = s.places.c
    patterns: dict[tuple[str, ...], str] = {}
    rows = conn.execute(select(p.id, p.name, p.name_fa).where(p.sensitivity.in_(_shown(level)))
                        .order_by(p.ledger_index, p.id)).all()
    for place_id, name, name_fa in rows:
        for label in (name, name_fa):
            if not label:
                continue
            tokens = tokenize(str(label))
            words = tuple(t.text for t in tokens)
            # label_key is None for a generic word alone (prison, cemetery, زندان…).
            distinctive = tuple(t.text for t in tokens
                                if label_key(str(label)[t.start:t.end]) is not None)
            for pattern in (words, distinctive):
                if pattern:
                    patterns.setdefault(pattern, str(place_id))
    return patterns


def _shown(level: Sensitivity) -> list[str]:
    # A public text is matched against public places and organisations only (a mention
    # of a restricted one would name it to the text's readers).
    shown = [str(Sensitivity.PUBLIC)]
    if level is not Sensitivity.PUBLIC:
        shown.append(str(Sensitivity.RESTRICTED))
    return shown


def _organization_patterns(conn: Connection, level: Sensitivity) -> dict[tuple[str, ...], str]:
    """Token sequences naming each organisation: its name, and its name without a leading
    "the" (``the Example Committee`` is written ``The Example Committee`` or without it).
    A protected organisation's name is sealed, and never matched."""
    o = s.organizations.c
    patterns: dict[tuple[str, ...], str] = {}
    rows = conn.execute(select(o.id, o.name).where(o.sensitivity.in_(_shown(level)))
                        .order_by(o.ledger_index, o.id)).all()
    for org_id, name in rows:
        words = tuple(t.text for t in tokenize(str(name)))
        for pattern in (words, words[1:] if words[:1] == ("the",) else ()):
            if pattern:
                patterns.setdefault(pattern, str(org_id))
    return patterns


def _names_in(text: str, page: int, patterns: dict[tuple[str, ...], str], kind: str,
              key: str) -> list[Found]:
    """Mentions of the store's places or organisations: the longest name at each word."""
    tokens = tokenize(text)
    longest = max((len(k) for k in patterns), default=0)
    out: list[Found] = []
    i = 0
    while i < len(tokens):
        hit: tuple[int, str] | None = None
        for n in range(min(longest, len(tokens) - i), 0, -1):
            found = patterns.get(tuple(t.text for t in tokens[i:i + n]))
            if found is not None:
                hit = (n, found)
                break
        if hit is None:
            i += 1
            continue
        n, found = hit
        a, b = tokens[i].start, tokens[i + n - 1].end
        out.append(Found(kind, page, a, b, text[a:b], {key: found}))
        i += n
    return out


# --- persons -----------------------------------------------------------------------------


def _person_keys(window: str) -> list[tuple[int, str]]:
    # Skeletons of one or two letters match too many ordinary words to be worth a search.
    return [(i, k) for i, k in key_strings(name_keys(window))
            if not (k.startswith("s:") and len(k) < 5)]


def _known_keys(conn: Connection, keys: set[str]) -> set[str]:
    wanted = sorted(keys)
    known: set[str] = set()
    for first in range(0, len(wanted), _KEY_BATCH):
        chunk = wanted[first:first + _KEY_BATCH]
        known.update(str(k) for k in conn.execute(
            select(s.name_keys.c.key).where(s.name_keys.c.key.in_(chunk)).distinct()).scalars())
    return known


def _registry_keys(conn: Connection, level: Sensitivity) -> dict[str, list[str]]:
    """The perpetrator registry's persons (``facts.registry``: named in a role on the side
    of those who acted, or holding an office) by the whole-name key of their name, in
    either script: key -> person IDs. They have no list records for the person search
    to find, so their names are matched here. Only those, and only the roles and offices,
    a reader of the text may see (``_shown``); a protected person's name is sealed and
    never matched."""
    p, v, c = s.persons.c, s.involvements.c, s.claims.c
    shown = _shown(level)
    named = (select(v.person_id).where(v.role.in_(sorted(ALLEGED_ROLES)),
                                       v.sensitivity.in_(shown))
             .union(select(c.entity_id).where(c.entity_kind == "person",
                                              c.property == POSITION, c.sensitivity.in_(shown))))
    rows = conn.execute(select(p.id, p.label).where(p.sensitivity.in_(shown),
                                                     p.id.in_(named)).order_by(p.id)).all()
    out: dict[str, list[str]] = {}
    for person_id, label in rows:
        for part, key in key_strings(name_keys(str(label))):
            if part == -1:
                out.setdefault(key, []).append(str(person_id))
    return out


def _persons(
    store: Store, principal: Principal, pages: Sequence[tuple[int, str]],
    taken: dict[int, list[tuple[int, int]]], level: Sensitivity,
) -> list[Found]:
    """Person mentions: windows whose every part the store knows, then the person search;
    and windows naming one of the perpetrator registry's persons by their whole name."""
    refresh_name_index(store)
    windows: list[tuple[int, str, Span, int, list[tuple[int, str]]]] = []
    for number, text in pages:
        for span, run in name_windows(text):
            shown = text[span.start:span.end]
            windows.append((number, text, span, len(run), _person_keys(shown)))
    with store.reading() as conn:
        known = _known_keys(conn, {k for *_, keys in windows for _, k in keys})
        registry = _registry_keys(conn, level)
    out: list[Found] = []
    # Longest windows first: "Hossein Rezaei Tehrani" before "Hossein Rezaei".
    windows.sort(key=lambda w: (w[0], -w[3], w[2].start))
    chosen: dict[int, list[tuple[int, int]]] = {n: list(v) for n, v in taken.items()}
    searched: dict[str, list[dict[str, Any]]] = {}
    for number, text, span, _n, keys in windows:
        parts = {i for i, _ in keys if i >= 0}
        hit_parts = {i for i, k in keys if k in known}
        whole = any(i == -1 and k in known for i, k in keys)
        named = sorted({p for i, k in keys if i == -1 for p in registry.get(k, ())})
        if not parts or not (whole or parts <= hit_parts or named):
            continue
        if any(a < span.end and span.start < b for a, b in chosen.get(number, [])):
            continue
        shown = text[span.start:span.end]
        if shown not in searched:
            found = search_persons(store, principal, shown, limit=MAX_CANDIDATES,
                                   min_score=MIN_PERSON_SCORE) if whole or (
                parts and parts <= hit_parts) else None
            hits: list[dict[str, Any]] = [] if found is None else [
                {"person_id": h.person_id, "score": round(h.score, 3),
                 "record_ids": [r.record_id for r in h.records]} for h in found.hits]
            # The registry's persons the whole name names: the same name, so a full score.
            listed = {h["person_id"] for h in hits}
            registry_hits: list[dict[str, Any]] = [
                {"person_id": p, "score": 1.0, "record_ids": []}
                for p in named if p not in listed]
            searched[shown] = [*registry_hits, *hits][:MAX_CANDIDATES]
        candidates = searched[shown]
        if not candidates:
            continue
        chosen.setdefault(number, []).append((span.start, span.end))
        out.append(Found("person", number, span.start, span.end, shown,
                         {"candidates": candidates}))
    return out


def _subject(candidates: list[dict[str, Any]]) -> str | None:
    """The one person a mention names, when the search leaves no doubt; else None."""
    persons = [c for c in candidates if c["person_id"] is not None]
    if not persons:
        return None
    if len(persons) > 1 and persons[0]["score"] - persons[1]["score"] < CLEAR_LEAD:
        return None
    return str(persons[0]["person_id"])


# --- proposals ---------------------------------------------------------------------------


def _proposals(
    text_item_id: str, page: int, text: str, found: list[Found], label: str = "text",
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for sentence in sentences(text):
        inside = [f for f in found if sentence.start <= f.start and f.end <= sentence.end]
        if not inside:
            continue
        words = {t.text for t in tokenize(text[sentence.start:sentence.end])}
        place = next((f for f in inside if f.kind == "place"), None)
        when = next((f for f in inside if f.kind == "date"), None)
        common: dict[str, Any] = {
            "page": page, "sentence": text[sentence.start:sentence.end],
            # The locator names the place in the text, never its words: a claim support's
            # locator is not sealed (ARCHITECTURE.md), the sentence is (when protected).
            "locator": f"{label} {text_item_id}, page {page}, "
                       f"characters {sentence.start}-{sentence.end}",
            "date_earliest": when.value["earliest"] if when else None,
            "date_latest": when.value["latest"] if when else None,
            "date_text": when.text if when else None,
        }
        said = next((f for f in inside if f.kind == "attribution"), None)
        party = None if said is None else next(
            (f for f in inside if f.kind == "organization"
             and said.start <= f.start and f.end <= said.end), None)
        extra = [m.id for m in (place, when, said, party) if m is not None]
        # Who the document says made the statement, apart from the document's own source
        # (an article reporting another party's figure): kept with the value accepted;
        # the store's organisation when the party is one (the reviewer may change it).
        by: dict[str, Any] = {} if said is None else {"attributed_to": said.text}
        if party is not None:
            by["attributed_party"] = {"kind": "organization",
                                      "id": party.value["organization_id"]}
        if words & KILLING_WORDS:
            # Persons of the lists only: a perpetrator named beside the killing word
            # ("P ordered the executions") is no victim of it.
            for person in (f for f in inside if f.kind == "person"
                           and any(c["record_ids"] for c in f.value["candidates"])):
                subject = _subject(person.value["candidates"])
                out.append({**common, "property": "executed",
                            "entity_kind": "person" if subject else None,
                            "entity_id": subject,
                            "value": {"place_id": place.value["place_id"] if place else None,
                                      **by},
                            "candidates": person.value["candidates"],
                            "mention_ids": [person.id, *extra]})
        for count in (f for f in inside if f.kind == "count"):
            bound = "at_least" if count.value["at_least"] else "approximately"
            out.append({**common, "property": count.value["counted"],
                        "entity_kind": "place" if place else None,
                        "entity_id": place.value["place_id"] if place else None,
                        "value": {bound: count.value["count"], "what": count.value["what"],
                                  **by},
                        "candidates": None, "mention_ids": [count.id, *extra]})
    return out


# --- the run -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """What :func:`find_mentions` did: the run's ID, and whether it was already there."""

    run_id: str
    item_id: str
    mentions: int
    proposals: int
    existing: bool = False

    def to_json(self) -> dict[str, Any]:
        """IDs and counts (what a face says after a run; the mentions are read apart)."""
        return {"run_id": self.run_id, "item_id": self.item_id, "mentions": self.mentions,
                "proposals": self.proposals, "existing": self.existing}


def scan_pages(
    store: Store, pages: Sequence[tuple[int, str]], level: Sensitivity, actor: str,
    text_item_id: str, label: str = "text",
) -> tuple[list[Found], list[dict[str, Any]]]:
    """Mentions and proposals of these pages (number, exact text); nothing is stored.
    ``label`` names the kind of text in the locators (``text``, ``transcription``)."""
    with store.reading() as conn:
        patterns = _place_patterns(conn, level)
        organizations = _organization_patterns(conn, level)
    found: list[Found] = []
    for number, text in pages:
        dates = find_dates(text)
        found += [Found("date", number, d.start, d.end, text[d.start:d.end], {
            "earliest": d.interval.earliest.isoformat(),
            "latest": d.interval.latest.isoformat(), "calendar": d.interval.calendar,
            "edtf": d.interval.edtf()}) for d in dates]
        found += [Found("count", number, c.start, c.end, text[c.start:c.end], {
            "count": c.value, "counted": c.counted, "at_least": c.at_least,
            "what": None if c.what is None else text[c.what.start:c.what.end]})
            for c in counts(text, dates)]
        found += _names_in(text, number, patterns, "place", "place_id")
        found += _names_in(text, number, organizations, "organization", "organization_id")
        found += [Found("attribution", number, a.party.start, a.party.end,
                        text[a.party.start:a.party.end], {
                            "verb": a.verb,
                            "quote": None if a.quote is None else [a.quote.start, a.quote.end]})
                  for a in attributions(text)]
    taken: dict[int, list[tuple[int, int]]] = {}
    for f in found:
        if f.kind in ("place", "date", "organization"):
            taken.setdefault(f.page, []).append((f.start, f.end))
    found += _persons(store, _searcher(level, actor), pages, taken, level)
    found.sort(key=lambda f: (f.page, f.start, f.end, f.kind))
    proposals: list[dict[str, Any]] = []
    for number, text in pages:
        proposals += _proposals(text_item_id, number, text,
                                [f for f in found if f.page == number], label)
    return found, proposals


def find_mentions(store: Store, item_ref: str, actor: str, *, again: bool = False) -> Run:
    """Find the mentions in an item's extracted text and propose claims (one event).

    An item whose mentions were found before is left alone unless ``again`` (a new run:
    say after more records or places were added); its earlier proposals stay as they are.
    Given a transcription, its page is scanned (:func:`propose_from_transcription`).
    Raises :class:`ValidationError` when the item has no extracted text.
    """
    with store.reading() as conn:
        item = resolve_item(conn, item_ref)
        if item["derivation"] == TRANSCRIPTION:
            typed = conn.execute(select(s.transcriptions.c.id).where(
                s.transcriptions.c.text_item_id == item["id"])).scalar_one()
        elif not has_own_text(item):
            item = resolve_item(conn, str(item["derived_from"]))
    if item["derivation"] == TRANSCRIPTION:
        return _transcription_run(store, str(typed), actor, again=again)
    item_id = str(item["id"])
    with store.reading() as conn:
        body = read_text(store, conn, item_id)
        if body["state"] != "done":
            raise ValidationError(f"item {item_id} has no extracted text ({body['state']}); "
                                  "run `dadkhahi documents extract` first")
        text_item_id = str(body["text_item_id"])
        previous = _previous(conn, item_id, text_item_id, again)
        level = _level(conn, item)
    if previous is not None:
        return previous
    pages = [(int(p["number"]), str(p["text"])) for p in body["pages"]]
    found, proposals = scan_pages(store, pages, level, actor, text_item_id)
    return _record_run(store, actor, item, level, text_item_id, found, proposals, again=again)


def _previous(conn: Connection, item_id: str, text_item_id: str, again: bool) -> Run | None:
    """The run already made on this text, unless asked to scan it again."""
    previous = latest_run(conn, item_id, text_item_id)
    if previous is None or again:
        return None
    m, p = s.mentions.c, s.proposals.c
    n_m = len(conn.execute(select(m.id).where(m.run_id == previous)).all())
    n_p = len(conn.execute(select(p.id).where(p.run_id == previous)).all())
    return Run(previous, item_id, n_m, n_p, existing=True)


def propose_from_transcription(
    store: Store, transcription_id: str, actor: str,
) -> Run | None:
    """Feed a settled page's transcription to the finder, as extracted text is.

    Called after a transcription or resolution is recorded: when the page is now settled
    (``intake.transcriptions.page_state`` is ``done``), the transcription just recorded
    is its text (two that agree are byte for byte the same; a resolution is the text
    settled on) and is scanned, the transcription named as the text of every mention and
    proposal. While the page still waits (the first of two independent transcriptions,
    or two that differ) nothing is scanned: proposals are shown to reviewers, and would
    show a transcriber the other's words. Returns the run, or None when not settled.
    """
    with store.reading() as conn:
        row = conn.execute(select(s.transcriptions).where(
            s.transcriptions.c.id == transcription_id)).mappings().one()
        state = page_state(conn, str(row["item_id"]), int(row["page"]))
    if state.state != "done":
        return None
    return _transcription_run(store, transcription_id, actor)


def _transcription_run(store: Store, transcription_id: str, actor: str, *,
                       again: bool = False) -> Run:
    with store.reading() as conn:
        row = conn.execute(select(s.transcriptions).where(
            s.transcriptions.c.id == transcription_id)).mappings().one()
        item = resolve_item(conn, str(row["item_id"]))
        text_item_id = str(row["text_item_id"])
        previous = _previous(conn, str(item["id"]), text_item_id, again)
        text_row = conn.execute(select(s.items).where(
            s.items.c.id == text_item_id)).mappings().one()
        try:
            text = b"".join(item_content(store, conn, dict(text_row))).decode("utf-8")
        except ContentErasedError:
            raise ValidationError(f"transcription {transcription_id} was erased") from None
        level = _level(conn, item)
    if previous is not None:
        return previous
    found, proposals = scan_pages(store, [(int(row["page"]), text)], level, actor,
                                  text_item_id, label="transcription")
    return _record_run(store, actor, item, level, text_item_id, found, proposals,
                       again=again)


def _record_run(
    store: Store, actor: str, item: dict[str, Any], level: Sensitivity, text_item_id: str,
    found: list[Found], proposals: list[dict[str, Any]], *, again: bool = False,
) -> Run:
    """The mentions and proposals of one text as one ``mentions.found`` event.

    Unless ``again``, a run on the same text written meanwhile (another worker's job on
    the same item) is looked for again inside the transaction, which holds the ledger's
    lock: found, it is returned and nothing is written, so a text is never proposed from
    twice however many jobs ask for it at once."""
    item_id = str(item["id"])
    run_id = new_id("mentionrun")
    protected = level is Sensitivity.PROTECTED
    with store.transaction(actor) as tx:
        written = None if again else _previous(tx.conn, item_id, text_item_id, False)
        if written is not None:
            return written
        mentions: list[dict[str, Any]] = []
        for seq, f in enumerate(found):
            row = {"id": f.id, "seq": seq, "kind": f.kind, "page": f.page, "start": f.start,
                   "end": f.end, "text": f.text, "value": f.value, "sensitivity": str(level),
                   "run_id": run_id, "item_id": item_id, "text_item_id": text_item_id,
                   "source_id": str(item["source_id"])}
            mentions.append(tx.seal_protected("mention", row, f.id) if protected else row)
        sealed_proposals: list[dict[str, Any]] = []
        for seq, prop in enumerate(proposals):
            pid = new_id("proposal")
            row = {"id": pid, "seq": seq, **prop, "sensitivity": str(level), "run_id": run_id,
                   "item_id": item_id, "text_item_id": text_item_id,
                   "source_id": str(item["source_id"])}
            sealed_proposals.append(tx.seal_protected("proposal", row, pid) if protected
                                    else row)
        for row in (*mentions, *sealed_proposals):
            for k in ("run_id", "item_id", "text_item_id", "source_id"):
                row.pop(k)
        tx.emit("mentions.found", {
            "id": run_id, "item_id": item_id, "text_item_id": text_item_id,
            "source_id": str(item["source_id"]), "sensitivity": str(level), "at": utc_now(),
            "mentions": mentions, "proposals": sealed_proposals})
    return Run(run_id, item_id, len(found), len(proposals))
