"""``dadkhahi documents add | extract | text | reindex``: files in, their text out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from dadkhahi.cli.common import (
    byte_progress,
    console,
    count_progress,
    current_actor,
    err_console,
    fail,
    open_store,
)
from dadkhahi.cli.refs import resolve_id, resolve_source
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Credibility, Reliability, Sensitivity, SourceKind

if TYPE_CHECKING:
    from dadkhahi.search.engine import Hit
    from dadkhahi.store.store import Store

app = typer.Typer(help="Documents: take files in and extract their text (PDF, scans through "
                       "OCR, DOCX, ODT, HTML, plain text).", no_args_is_help=True)


def _run_job(store: Store, job_id: str, what: str) -> dict[str, Any]:
    """Run a job this command queued, here and now, with a progress bar; its result."""
    from dadkhahi.jobs.worker import run_now

    with count_progress() as bar:
        task = bar.add_task(what, total=None)

        def advance(done: int, total: int | None, _note: str | None) -> None:
            bar.update(task, completed=done, total=total)

        finished = run_now(store, job_id, advance)
    if finished.state != "succeeded":
        raise fail(f"{what} job {finished.id} is {finished.state}"
                   + (f": {finished.error}" if finished.error else ""))
    return finished.result or {}


def _run_extraction(store: Store, params: dict[str, Any], actor: str) -> dict[str, Any]:
    """Queue a ``documents.extract`` job and run it here, then the ``mentions.find`` job
    it queued for the texts it extracted (so the command returns with the claims its
    texts suggest proposed for review, as a worker would leave them)."""
    from dadkhahi.intake.documents import queue_extraction

    job = queue_extraction(store, params, actor)
    result = _run_job(store, job.id, "extracting text")
    if result.get("mentions_job"):
        result["mentions"] = _run_job(store, str(result["mentions_job"]), "finding mentions")
    return result


def _print_outcomes(result: dict[str, Any]) -> None:
    for row in result.get("items", []):
        if row["state"] == "failed":
            console.print(Text(f"no text    {row['item_id']}: {row['error']}", style="yellow"),
                          soft_wrap=True)
        elif row["state"] == "done":
            console.print(f"text       {row['item_id']} -> {row['text_item_id']} "
                          f"({row['pages']} page(s))", highlight=False)
    console.print(f"{result.get('done', 0)} extracted, {result.get('failed', 0)} failed, "
                  f"{result.get('skipped', 0)} already done", highlight=False)
    found = result.get("mentions")
    if found:
        console.print(f"{found['mentions']} mention(s) found and {found['proposals']} "
                      "claim(s) proposed for review (`dadkhahi mentions review`)", highlight=False)


def _existing_source(store: Store, ref: str | None) -> str | None:
    """The ID of the source ``--source`` names (ID, unique prefix or exact title; nothing
    matching is refused with the nearest titles), None when none was given."""
    return None if ref is None else str(resolve_source(store, None, ref)["id"])


def _whole(store: Store, entity: tuple[str, str]) -> tuple[str, str]:
    """(kind, ID) with the ID made whole from a unique prefix (the CLI's rule)."""
    kind, ref = entity
    return kind, resolve_id(store, None, ref, kind)


def _ocr_languages(language: str | None) -> list[str] | None:
    from dadkhahi.intake.documents import OCR_LANGUAGES

    return None if language is None else list(OCR_LANGUAGES.get(language, ("fas", "eng")))


@app.command("add")
def add(
    paths: Annotated[list[Path], typer.Argument(help="Files and folders (recursively)")],
    source: Annotated[str | None, typer.Option(
        help="Existing source: ID, unique ID prefix or exact title (a new one: "
             "--source-title)")] = None,
    source_title: Annotated[
        str | None, typer.Option(help="Register a new source with this title")] = None,
    kind: Annotated[SourceKind, typer.Option(help="Kind of the new source")] = SourceKind.DOCUMENT,
    sensitivity: Annotated[
        Sensitivity, typer.Option(help="Sensitivity of the new source")] = Sensitivity.RESTRICTED,
    reliability: Annotated[Reliability, typer.Option(help="Admiralty A-F")] = Reliability.F,
    credibility: Annotated[Credibility, typer.Option(help="Admiralty 1-6")] = (
        Credibility.CANNOT_JUDGE),
    language: Annotated[str | None, typer.Option(
        help="Language of the new source (fa, en, ar…); also picks the OCR languages")] = None,
    no_extract: Annotated[bool, typer.Option(
        "--no-extract", help="Only queue the extraction (a worker or `documents extract` "
                             "runs it)")] = False,
    actor: Annotated[str | None, typer.Option(help="Who is taking them in")] = None,
) -> None:
    """Take files in (hashed, stored, in custody), then extract their text as derivatives.

    Prints each item's ID and its source's ID. A file whose text cannot be read is still
    kept; the reason is recorded on the item."""
    from dadkhahi.intake.documents import queue_extraction
    from dadkhahi.intake.evidence import Receipt, add_evidence
    from dadkhahi.intake.feed import ProgressHooks

    store = open_store()
    who = current_actor(actor)
    source = _existing_source(store, source)
    spec = None
    if source_title is not None:
        spec = SourceSpec(title=source_title, kind=kind, sensitivity=sensitivity,
                          reliability=reliability, credibility=credibility, language=language)
    with byte_progress() as bar:
        task = bar.add_task("storing", total=None)
        hooks = ProgressHooks(total=lambda _files, size: bar.update(task, total=size),
                              advance=lambda n: bar.advance(task, n))
        report = add_evidence(store, paths, Receipt(actor=who), source_id=source,
                              new_source=spec, hooks=hooks)
    ids: list[str] = []
    for outcome in report.outcomes:
        if outcome.item_id is None:
            console.print(Text(f"skipped    {outcome.path}: {outcome.reason}", style="yellow"),
                          soft_wrap=True)
            continue
        ids.append(outcome.item_id)
        held = "" if outcome.status == "added" else " (already held)"
        console.print(Text(f"item       {outcome.item_id}  source {report.source_id}  "
                           f"{outcome.path}{held}"), soft_wrap=True)
    if not ids:
        raise fail("nothing was stored")
    params: dict[str, Any] = {"item_ids": ids, "languages": _ocr_languages(language)}
    if no_extract:
        job = queue_extraction(store, params, who)
        console.print(f"extraction queued as job {job.id}", highlight=False)
    else:
        _print_outcomes(_run_extraction(store, params, who))
    if report.skipped:
        raise typer.Exit(1)


@app.command("extract")
def extract(
    items: Annotated[list[str] | None, typer.Argument(
        help="Item IDs (default: every item not yet extracted, and failed ones)")] = None,
    background: Annotated[bool, typer.Option(
        "--background", help="Only queue the job for the worker")] = False,
    no_retry: Annotated[bool, typer.Option(
        "--no-retry", help="Leave items whose extraction failed alone")] = False,
    actor: Annotated[str | None, typer.Option(help="Who runs it")] = None,
) -> None:
    """Run pending (and failed) extractions now, with a progress bar, or queue them."""
    from dadkhahi.intake.documents import queue_extraction

    store = open_store()
    who = current_actor(actor)
    params: dict[str, Any] = {"retry_failed": not no_retry}
    if items:
        params["item_ids"] = list(items)
    if background:
        job = queue_extraction(store, params, who)
        console.print(f"queued job {job.id}", highlight=False)
        return
    _print_outcomes(_run_extraction(store, params, who))


@app.command("reindex")
def reindex() -> None:
    """Write the search index's common-word pairs again (after an upgrade that changed
    the common words, or for an index made before them; until then phrases are found
    without them, by positions alone), and index every testimony segment and translation
    recorded before they were indexed. Rows are rewritten in small transactions: search
    and extraction may go on meanwhile."""
    from dadkhahi.intake.testimonies import index_unindexed
    from dadkhahi.search.index import reindex as rewrite

    store = open_store()
    passages = index_unindexed(store)
    with count_progress() as bar:
        task = bar.add_task("reindexing", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        changed = rewrite(store, advance)
    console.print(f"{passages} testimony passage(s) indexed; {changed} index row(s) "
                  "rewritten; phrases use the common-word pairs", highlight=False)


@app.command("text")
def text(
    item: Annotated[str, typer.Argument(help="Item ID (or prefix, or SHA-256 prefix)")],
    page: Annotated[int | None, typer.Option(min=1, help="Only this page")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Pages with lines, boxes and confidences, as JSON")] = False,
) -> None:
    """Print an item's extracted text, page by page (exactly as extracted)."""
    from dadkhahi.intake.documents import text_of

    found = text_of(open_store(), item)
    pages = [p for p in found.get("pages", []) if page is None or p["number"] == page]
    if as_json:
        typer.echo(json.dumps({**found, "pages": pages}, ensure_ascii=False, indent=2))
        return
    if found["state"] != "done":
        reason = f": {found['error']}" if found.get("error") else ""
        raise fail(f"item {found['item_id']} has no text ({found['state']}{reason})")
    if page is not None and not pages:
        raise fail(f"item {found['item_id']} has no page {page}")
    for p in pages:
        conf = "" if p.get("confidence") is None else f", OCR confidence {p['confidence']:.0f}"
        err_console.print(f"--- page {p['number']} ({p['method']}, "
                          f"{p.get('language') or 'language unknown'}{conf}) ---",
                          highlight=False)
        # Text(): the document's words are data, never Rich markup.
        console.print(Text(p["text"]), soft_wrap=True)


def search(
    query: Annotated[str, typer.Argument(help='Words, "a phrase", or a prefix*; all required')],
    limit: Annotated[int, typer.Option(min=1, max=100, help="At most this many hits")] = 20,
    source: Annotated[list[str] | None, typer.Option(
        "--source", help="Only this source's texts (repeat for several)")] = None,
    kind: Annotated[str | None, typer.Option(
        "--kind", help="document (pages) or testimony (passages) only")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The hits as JSON")] = False,
) -> None:
    """Search the extracted text of every document and testimony (Persian and English alike).

    Testimonies are searched in their transcripts' segments and translations. Each hit:
    item ID and page (a testimony's passage: testimony ID, segment number, its time code
    and language), and a snippet of the exact text with the matches marked."""
    from dadkhahi.search.engine import Filters, dumps
    from dadkhahi.search.engine import search as run_search

    filters = Filters(tuple(source or ()), kind)
    result = run_search(open_store(), None, query, limit=limit, filters=filters)
    if as_json:
        typer.echo(dumps(result))
        return
    for note in result.notes:
        err_console.print(Text(note, style="yellow"), soft_wrap=True)
    for hit in result.hits:
        line = Text(f"{_where(hit)}  ", style="bold")
        shown = Text(hit.snippet.replace("\n", " "))
        for start, end in hit.highlights:
            shown.stylize("reverse", start, end)
        console.print(line + shown, soft_wrap=True)
    console.print(f"{len(result.hits)} hit(s)", highlight=False)


def _where(hit: Hit) -> str:
    """Where a hit stands: item and page, or testimony, segment, time code and language."""
    p = hit.passage
    if p is None:
        return f"{hit.item_id}  p.{hit.page}"
    when = ("" if p.start is None and p.end is None else
            f"  {_time(p.start)}-{_time(p.end)}")
    what = "translation" if p.translation_id else "segment"
    return f"{p.testimony_id}  {what} {p.seq + 1}{when}  [{p.language or '?'}]"


def _time(seconds: float | None) -> str:
    """A time code as h:mm:ss.s (empty where there is none)."""
    if seconds is None:
        return ""
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    return f"{hours}:{minutes:02d}:{secs:04.1f}"


@app.command("mentions")
def mentions(
    item: Annotated[str, typer.Argument(help="Item ID (or prefix, or SHA-256 prefix)")],
    again: Annotated[bool, typer.Option(
        "--again", help="Scan again (after new records or places), a new run")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The mentions as JSON")] = False,
    actor: Annotated[str | None, typer.Option(help="Who runs it")] = None,
) -> None:
    """Find the persons, places, dates and counts an item's text names, and propose claims
    from them for review (`documents proposals`). Each mention: page, character span,
    the exact words, and what they were taken to mean."""
    from dadkhahi.mentions.finder import find_mentions
    from dadkhahi.mentions.review import mentions_of

    store = open_store()
    run = find_mentions(store, item, current_actor(actor), again=again)
    with store.reading() as conn:
        rows = mentions_of(store, conn, run.item_id, run.run_id)
    if as_json:
        keep = ("id", "kind", "page", "start", "end", "text", "value", "sensitivity")
        typer.echo(json.dumps({"item_id": run.item_id, "run_id": run.run_id,
                               "mentions": [{k: r.get(k) for k in keep} for r in rows]},
                              ensure_ascii=False, indent=2))
        return
    for r in rows:
        console.print(Text(f"{r['kind']:<7} p.{r['page']} {r['start']}-{r['end']}  ")
                      + Text(str(r["text"]), style="bold") + Text(f"  {_meaning(r)}"),
                      soft_wrap=True)
    state = "found before" if run.existing else "found"
    console.print(f"{run.mentions} mention(s) and {run.proposals} proposal(s) {state} "
                  f"(run {run.run_id})", highlight=False)


def _meaning(row: dict[str, Any]) -> str:
    value = row.get("value") or {}
    if row["kind"] == "person":
        return "candidates: " + ", ".join(
            f"{c['person_id'] or 'record ' + c['record_ids'][0]} ({c['score']})"
            for c in value.get("candidates", []))
    if row["kind"] == "place":
        return f"place {value.get('place_id')}"
    if row["kind"] == "date":
        return f"{value.get('edtf')} ({value.get('calendar')})"
    return f"{value.get('count')}"


@app.command("proposals")
def proposals(
    item: Annotated[str | None, typer.Option(help="Only this item's proposals")] = None,
    status: Annotated[str, typer.Option(
        help="pending, accepted, rejected or all")] = "pending",
    accept: Annotated[str | None, typer.Option(
        "--accept", metavar="ID",
        help="Accept this proposal (ID or unique prefix): its claim is added")] = None,
    reject: Annotated[str | None, typer.Option(
        "--reject", metavar="ID", help="Reject this proposal (ID or unique prefix)")] = None,
    entity: Annotated[str | None, typer.Option(
        help="With --accept: the claim's subject as KIND:ID (person:per_…; the ID or a "
             "unique prefix), when the proposal names none or names the wrong one")] = None,
    attributed_to: Annotated[str | None, typer.Option(
        "--attributed-to", help="With --accept: the person or organisation the text "
                                "attributes the statement to, as KIND:ID "
                                "(organization:org_…, person:per_…; the ID or a unique "
                                "prefix)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON")] = False,
    actor: Annotated[str | None, typer.Option(help="Who reviews")] = None,
) -> None:
    """The claims proposed from documents' texts; accept or reject one (nothing becomes a
    claim without review)."""
    from dadkhahi.intake.evidence import resolve_item
    from dadkhahi.mentions import review

    store = open_store()
    if accept and reject:
        raise fail("give --accept or --reject, not both")
    if accept or reject:
        who = current_actor(actor)
        if accept:
            chosen = _whole(store, review.parse_entity(entity)) if entity else None
            party = _whole(store, review.parse_party(attributed_to)) if attributed_to else None
            accept = resolve_id(store, None, accept, "proposal")
            done = review.accept(store, accept, who, entity=chosen, party=party)
            console.print(f"accepted {accept}: claim {done['claim_id']} "
                          f"({done['sensitivity']})", highlight=False)
        else:
            assert reject is not None
            reject = resolve_id(store, None, reject, "proposal")
            review.reject(store, reject, who)
            console.print(f"rejected {reject}", highlight=False)
        return
    with store.reading() as conn:
        item_id = str(resolve_item(conn, item)["id"]) if item else None
        stmt = review.proposals_statement(item_id=item_id,
                                          status=None if status == "all" else status)
        rows = review.read_proposals(store, conn, stmt, limit=10_000)
    if as_json:
        keep = ("id", "item_id", "status", "property", "entity_kind", "entity_id", "value",
                "date_earliest", "date_latest", "date_text", "candidates", "locator",
                "sentence", "claim_id", "sensitivity")
        typer.echo(json.dumps([{k: r.get(k) for k in keep} for r in rows],
                              ensure_ascii=False, indent=2))
        return
    for r in rows:
        console.print(Text(f"{r['id']}  {r['status']}  {review.describe(r)}", style="bold"),
                      soft_wrap=True)
        console.print(Text(f"    {r['locator']}: ") + Text(str(r.get("sentence") or "")),
                      soft_wrap=True)
        others = [c["person_id"] for c in r.get("candidates") or [] if c.get("person_id")]
        if not r.get("entity_id") and others:
            console.print(Text("    candidates: " + ", ".join(others)), soft_wrap=True)
    console.print(f"{len(rows)} proposal(s)", highlight=False)


@app.command("capture")
def capture(
    url: Annotated[str, typer.Argument(help="The page's http:// or https:// address")],
    source: Annotated[str | None, typer.Option(
        help="Existing source: ID, unique ID prefix or exact title (default: a new source "
             "for the capture)")] = None,
    sensitivity: Annotated[
        Sensitivity, typer.Option(help="Sensitivity of the new source")] = Sensitivity.RESTRICTED,
    no_extract: Annotated[bool, typer.Option(
        "--no-extract", help="Only queue the extraction of the page's text")] = False,
    actor: Annotated[str | None, typer.Option(help="Who captures it")] = None,
) -> None:
    """Capture a web page with headless Chromium: a WARC of every response, a full-page
    screenshot, the HTML as sent and as rendered, and their SHA-256 with the URL and time
    (capture.json); all stored as items, then the page's main text extracted."""
    from dadkhahi.intake.capture import capture_url
    from dadkhahi.intake.documents import queue_extraction

    store = open_store()
    who = current_actor(actor)
    source = _existing_source(store, source)
    got = capture_url(store, url, who, source_id=source, sensitivity=sensitivity)
    for name, item in sorted(got.items.items()):
        sha = got.capture.metadata()["files"][name]["sha256"]
        console.print(f"item       {item}  {name}  sha256:{sha}", highlight=False)
    console.print(f"source     {got.source_id}  captured {got.capture.final_url} at "
                  f"{got.capture.captured_at} (HTTP {got.capture.status})", highlight=False)
    if not got.texts:
        return
    params: dict[str, Any] = {"item_ids": got.texts}
    if no_extract:
        job = queue_extraction(store, params, who)
        console.print(f"extraction queued as job {job.id}", highlight=False)
    else:
        _print_outcomes(_run_extraction(store, params, who))


@app.command("transcriptions")
def transcriptions(
    include_done: Annotated[bool, typer.Option(
        "--all", help="Also the pages already transcribed")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="The pages as JSON")] = False,
) -> None:
    """Pages waiting for a person: routed by a low OCR confidence or requested, still
    short of transcriptions, or with two that differ ("differ": resolve them)."""
    from dadkhahi.intake import transcriptions as tr

    with open_store().reading() as conn:
        pages = tr.page_states(conn, include_done=include_done)
    if as_json:
        typer.echo(json.dumps({"pages": [vars(p) for p in pages]}, indent=2))
        return
    for p in pages:
        console.print(f"{p.item_id}  p.{p.page}  {p.state}  {p.transcriptions}/{p.required}"
                      f"  ({p.routed})", highlight=False)
    console.print(f"{len(pages)} page(s)", highlight=False)


@app.command("transcribe")
def transcribe(
    item: Annotated[str, typer.Argument(help="Item ID (or prefix, or SHA-256 prefix)")],
    page: Annotated[int, typer.Option(min=1, help="The page")] = 1,
    text_file: Annotated[Path | None, typer.Option(
        "--text-file", exists=True, dir_okay=False,
        help="The page's text as typed (UTF-8; '-' is not accepted: a file keeps a copy)")
    ] = None,
    resolve: Annotated[bool, typer.Option(
        "--resolve", help="The text settled on where two transcriptions differ")] = False,
    request: Annotated[int | None, typer.Option(
        "--request", min=1, max=2,
        help="Ask for this many independent transcriptions of the page (2: an exhibit)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Answer as JSON")] = False,
    actor: Annotated[str | None, typer.Option(help="Who transcribes")] = None,
) -> None:
    """Transcribe a page by hand (handwriting, or OCR too unsure): without --text-file,
    show the page's state, the OCR's text and what you may see of other transcriptions
    (nothing of another's until the required number are in); with it, record yours as a
    derivative of the original."""
    from dadkhahi.intake import transcriptions as tr
    from dadkhahi.intake.evidence import resolve_item

    store = open_store()
    who = current_actor(actor)
    with store.reading() as conn:
        item_id = str(resolve_item(conn, item)["id"])
    if request is not None:
        answer = tr.request(store, item_id, [page], who, required=request,
                            reason="exhibit" if request > 1 else "requested")
    elif text_file is not None:
        from dadkhahi.mentions.jobs import queue_if_settled

        answer = tr.record(store, item_id, page, text_file.read_text("utf-8"), who,
                           resolution=resolve)
        # A settled page's text is scanned for mentions, as extracted text is: the job
        # queued for it runs here, now, as the extraction's does.
        job = queue_if_settled(store, answer, who)
        answer["mentions"] = None if job is None else _run_job(store, job.id, "finding mentions")
    else:
        answer = tr.page_view(store, item_id, page, who)
    if as_json or text_file is not None or request is not None:
        typer.echo(json.dumps(answer, ensure_ascii=False, indent=2))
        return
    _print_page(answer)


def _print_page(view: dict[str, Any]) -> None:
    err_console.print(f"--- {view['item_id']} page {view['page']}: {view['state']}, "
                      f"{view['transcriptions']}/{view['required']} transcription(s) ---",
                      highlight=False)
    if view["ocr"] is not None:
        err_console.print("OCR:", highlight=False)
        console.print(Text(view["ocr"]["text"]), soft_wrap=True)
    for typed in view["texts"]:
        err_console.print(f"{typed['kind']} {typed['id']} by {typed['transcriber']}:",
                          highlight=False)
        console.print(Text(typed["text"] or "[erased]"), soft_wrap=True)
    for diff in view["differences"] or []:
        if diff["op"] != "equal":
            console.print(Text(f"{diff['op']}: «{diff['first']}» / «{diff['second']}»"),
                          soft_wrap=True)


@app.command("import-warc")
def import_warc(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                         help="A WARC file (.warc or .warc.gz) made by any tool")],
    source: Annotated[str | None, typer.Option(
        help="Existing source: ID, unique ID prefix or exact title (a new one: "
             "--source-title)")] = None,
    source_title: Annotated[
        str | None, typer.Option(help="Register a new source with this title")] = None,
    sensitivity: Annotated[
        Sensitivity, typer.Option(help="Sensitivity of the new source")] = Sensitivity.RESTRICTED,
    no_extract: Annotated[bool, typer.Option(
        "--no-extract", help="Only queue the extraction of the HTML responses' text")] = False,
    actor: Annotated[str | None, typer.Option(help="Who is taking it in")] = None,
) -> None:
    """Take in a WARC made by another tool: the WARC as it came, and each response record's
    body as a derivative with its URL and capture time from the WARC headers; then the text
    of every HTML response, naming its record. A file that is not a readable WARC is
    refused and nothing is stored."""
    from dadkhahi.intake.documents import pending_items, queue_extraction
    from dadkhahi.intake.warc import import_warc as run

    spec = None
    if source_title is not None:
        spec = SourceSpec(title=source_title, kind=SourceKind.ARTICLE, sensitivity=sensitivity)
    store = open_store()
    who = current_actor(actor)
    source = _existing_source(store, source)
    done = run(store, path, who, source_id=source, new_source=spec)
    held = " (already held: its responses were imported then)" if done.duplicate else ""
    console.print(f"item       {done.warc_item_id}  source {done.source_id}  {path.name}{held}",
                  highlight=False)
    for item, url, date in done.responses:
        console.print(Text(f"response   {item}  {date}  {url}"), soft_wrap=True)
    with store.reading() as conn:
        pending = set(pending_items(conn))
    texts = [item for item, _, _ in done.responses if item in pending]
    if not texts:
        return
    params: dict[str, Any] = {"item_ids": texts}
    if no_extract:
        job = queue_extraction(store, params, who)
        console.print(f"extraction queued as job {job.id}", highlight=False)
    else:
        _print_outcomes(_run_extraction(store, params, who))


@app.command("redact")
def redact(
    item: Annotated[str, typer.Argument(help="Item ID (or prefix, or SHA-256 prefix)")],
    reason: Annotated[str, typer.Option(help="Why the copy is redacted (kept in custody)")],
    text: Annotated[list[str] | None, typer.Option(
        "--text", help="Words to remove wherever they occur (repeat)")] = None,
    area: Annotated[list[str] | None, typer.Option(
        "--area", help="PAGE:x0,y0,x1,y1 to remove (PDF points or image pixels; repeat)")
    ] = None,
    actor: Annotated[str | None, typer.Option(help="Who redacts")] = None,
) -> None:
    """Make a redacted copy of an item (the original untouched): the words and areas
    removed from the file itself, a PDF scrubbed of metadata, attachments and hidden text.
    The copy is a derivative in custody; the removed words are stored nowhere."""
    from dadkhahi.documents.redact import Area
    from dadkhahi.intake.evidence import resolve_item
    from dadkhahi.intake.redactions import redact_item

    areas = []
    for spec in area or []:
        page, _, box = spec.partition(":")
        try:
            x0, y0, x1, y1 = (float(v) for v in box.split(","))
            areas.append(Area(int(page), (x0, y0, x1, y1)))
        except ValueError:
            raise fail(f"--area {spec!r}: write PAGE:x0,y0,x1,y1, e.g. 1:72,90,300,110"
                       ) from None
    store = open_store()
    with store.reading() as conn:
        item_id = str(resolve_item(conn, item)["id"])
    done = redact_item(store, item_id, current_actor(actor), reason=reason, areas=areas,
                       texts=text or [])
    console.print(f"item       {done['redacted_item_id']}  redacted copy of {item_id}  "
                  f"sha256:{done['sha256']}  ({done['areas']} area(s), {done['spans']} "
                  "span(s) removed)", highlight=False)


@app.command("release")
def release(
    item: Annotated[str, typer.Argument(help="The redacted copy's item ID (or prefix)")],
    sensitivity: Annotated[Sensitivity, typer.Option(
        help="The copy's new, lower sensitivity")],
    reason: Annotated[str, typer.Option(
        help="Why the copy may be less protected than its original (sealed)")],
    actor: Annotated[str | None, typer.Option(help="Who decides")] = None,
) -> None:
    """Release a redacted copy at a lower sensitivity than its original, because the
    redaction removed what made it protected (an item.released event). Court bundles then
    carry the copy where the original may not go; the original stays as it was."""
    from dadkhahi.intake.evidence import resolve_item
    from dadkhahi.intake.redactions import release_copy

    store = open_store()
    with store.reading() as conn:
        copy_id = str(resolve_item(conn, item)["id"])
    done = release_copy(store, copy_id, current_actor(actor), sensitivity=sensitivity,
                        reason=reason)
    console.print(f"released   {copy_id}  {done['previous']} -> {done['sensitivity']}  "
                  f"(event {done['event']})", highlight=False)


mentions_app = typer.Typer(help="Mentions found in texts, and the claims proposed from "
                                 "them for review.", no_args_is_help=True)


@mentions_app.command("review")
def review_proposals(
    item: Annotated[str | None, typer.Option(
        help="Only this item's proposals (ID, unique prefix or SHA-256 prefix)")] = None,
    actor: Annotated[str | None, typer.Option(help="Who reviews")] = None,
) -> None:
    """Review the proposed claims one by one, oldest first: each shows what it claims,
    the sentence it was found in and its candidates; answer a to accept (naming the
    subject when the proposal names none), r to reject, s to skip, q to stop. Nothing
    becomes a claim without an answer here (or `documents proposals --accept ID`, the
    same review for scripts)."""
    from dadkhahi.intake.evidence import resolve_item
    from dadkhahi.mentions import review

    store = open_store()
    who = current_actor(actor)
    with store.reading() as conn:
        item_id = str(resolve_item(conn, item)["id"]) if item else None
        rows = review.read_proposals(store, conn, review.proposals_statement(
            item_id=item_id, status="pending"), limit=10_000)
    counts = {"accepted": 0, "rejected": 0, "skipped": 0}
    for n, row in enumerate(rows, 1):
        with store.reading() as conn:  # an earlier answer may have accepted it as a repeat
            if review.get_proposal(store, conn, str(row["id"]))["status"] != "pending":
                continue
        console.print(Text(f"[{n}/{len(rows)}] {row['id']}  {review.describe(row)}",
                           style="bold"), soft_wrap=True)
        console.print(Text(f"    {row['locator']}: ") + Text(str(row.get("sentence") or "")),
                      soft_wrap=True)
        others = [c["person_id"] for c in row.get("candidates") or [] if c.get("person_id")]
        if others:
            console.print(Text("    candidates: " + ", ".join(others)), soft_wrap=True)
        answer = typer.prompt("accept, reject, skip or quit [a/r/s/q]", default="s",
                              show_default=False, err=True).strip().lower()[:1]
        if answer == "q":
            break
        if answer == "r":
            review.reject(store, str(row["id"]), who)
            counts["rejected"] += 1
        elif answer == "a":
            entity = None
            if not row.get("entity_id"):
                given = typer.prompt("subject as KIND:ID (person:per_…; empty: skip)",
                                     default="", show_default=False, err=True).strip()
                if not given:
                    counts["skipped"] += 1
                    continue
                entity = _whole(store, review.parse_entity(given))
            done = review.accept(store, str(row["id"]), who, entity=entity)
            counts["accepted"] += 1 + len(done["repeats"])
            console.print(f"    accepted: claim {done['claim_id']} ({done['sensitivity']})"
                          + (f", with {len(done['repeats'])} repeat(s)" if done["repeats"]
                             else ""), highlight=False)
        else:
            counts["skipped"] += 1
    console.print(f"{counts['accepted']} accepted, {counts['rejected']} rejected, "
                  f"{counts['skipped']} skipped", highlight=False)


def register(root: typer.Typer) -> None:
    """Add ``documents``, ``mentions`` and the top-level ``search`` to the ``dadkhahi``
    app."""
    root.add_typer(app, name="documents")
    root.add_typer(mentions_app, name="mentions")
    root.command("search")(search)
