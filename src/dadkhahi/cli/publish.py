"""``dadkhahi publish``: the public memorial (build, approve, withdraw, verify)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dadkhahi.cli.common import (
    JSON_HELP,
    console,
    current_actor,
    echo_json,
    err_console,
    open_store,
)

app = typer.Typer(
    help="The public memorial: a static, bilingual, signed site of the approved victims.",
    invoke_without_command=True)


@app.callback()
def publish(
    ctx: typer.Context,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Folder to build the site in (new, or a previous build to update)")] = None,
    base_url: Annotated[str | None, typer.Option(
        "--base-url", help="Public address of the site, for hreflang links")] = None,
    languages: Annotated[str, typer.Option(
        "--languages", help="Languages, first is the main one (fa, en)")] = "fa,en",
    contact: Annotated[str | None, typer.Option(
        "--contact", help="Where families send corrections (shown on every victim page)")]
    = None,
    book: Annotated[bool, typer.Option(
        "--book", help="Also write the printable book of memory: a PDF of all the victims "
        "and one per province, in each language")] = False,
    actor: Annotated[str | None, typer.Option(
        "--actor", help="Who is acting (default: OS user)")] = None,
    queue: Annotated[bool, typer.Option(
        "--queue", help="Queue the build as a job for `dadkhahi worker` (or a server's "
                        "worker thread), built into the home's memorial/ folder, and print "
                        "its ID, instead of building here")] = False,
) -> None:
    """Build the memorial from what the editorial gate and the disclosure rule release."""
    if ctx.invoked_subcommand is not None:
        return
    if out is None and not queue:
        console.print(ctx.get_help())
        raise typer.Exit(2)
    from dadkhahi.publish.build import build
    from dadkhahi.publish.site import Options

    langs = tuple(code.strip() for code in languages.split(",") if code.strip())
    bad = [code for code in langs if code not in ("fa", "en")]
    if bad or not langs:
        raise typer.BadParameter(f"languages are fa and en, not {','.join(bad) or '(none)'}",
                                 param_hint="--languages")
    if queue:
        from dadkhahi.publish.jobs import queue_publish

        if out is not None:
            raise typer.BadParameter("a queued build goes into the home's memorial/ folder",
                                     param_hint="--out")
        job = queue_publish(open_store(), current_actor(actor), languages=langs,
                            base_url=base_url, contact=contact, book=book)
        typer.echo(job.id)
        err_console.print(f"queued; follow it with: dadkhahi jobs show {job.id}",
                          highlight=False)
        return
    assert out is not None
    report = build(open_store(), current_actor(actor), out,
                   Options(languages=langs, base_url=base_url, contact=contact, book=book))
    console.print(f"Built memorial build {report.sequence} in {report.out}: "
                  f"{report.published:,} victims published, {report.withdrawn:,} withdrawn, "
                  f"{len(report.held):,} held back; {report.redirected:,} earlier addresses "
                  f"redirected, {report.reviewing:,} under review; {report.files:,} files "
                  f"({report.written:,} written, {report.removed:,} removed)"
                  + ("" if report.recorded else "; same content as the build recorded before"),
                  highlight=False, soft_wrap=True)
    if report.held:
        reasons: dict[str, int] = {}
        for why in report.held.values():
            for reason in why:
                reasons[reason] = reasons.get(reason, 0) + 1
        console.print("Held back:")
        for reason, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])):
            console.print(f"  {n:,}  {reason}", highlight=False, soft_wrap=True)
        console.print("Each person held back and why: dadkhahi publish held", highlight=False)
    console.print(f"Open {report.out / 'index.html'} in a browser "
                  f"(manifest SHA-256 {report.manifest_sha256})", highlight=False,
                  soft_wrap=True)


@app.command("held")
def held(as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False) -> None:
    """List every person the editorial gate holds back, with the reasons."""
    from dadkhahi.publish.collect import named_persons
    from dadkhahi.publish.gate import evaluate

    store = open_store()
    with store.reading() as conn:
        result = evaluate(store, conn, named_persons(conn))
    if as_json:  # one line per person held back (issue 12 item 19)
        for pid in sorted(result.held):
            echo_json({"person_id": pid, "reasons": list(result.held[pid])})
        return
    for pid in sorted(result.held):
        console.print(f"{pid}\t{'; '.join(result.held[pid])}", highlight=False,
                      soft_wrap=True)
    console.print(f"{len(result.held):,} held back, {len(result.published):,} publishable",
                  highlight=False)


@app.command("approve")
def approve(
    source: Annotated[list[str] | None, typer.Option(
        "--source", help="A source to approve for publication: ID, unique ID prefix or "
                         "exact title (repeatable)")] = None,
    all_sources: Annotated[bool, typer.Option(
        "--all", help="Approve every source the store holds now")] = False,
    actor: Annotated[str | None, typer.Option(
        "--actor", help="Who is acting (default: OS user)")] = None,
) -> None:
    """Approve sources for publication (a ledger event)."""
    from dadkhahi.cli.refs import resolve_source
    from dadkhahi.publish.gate import approve as approve_sources

    store = open_store()
    chosen = [str(resolve_source(store, None, ref)["id"]) for ref in source or []]
    done = approve_sources(store, current_actor(actor), chosen, all_sources=all_sources)
    console.print(f"Approved {len(done):,} source(s) for publication.", highlight=False)


@app.command("withdraw")
def withdraw(
    person: Annotated[str, typer.Argument(help="The person's ID or a unique prefix of it")],
    reason_file: Annotated[Path, typer.Option(
        "--reason-file", help="File holding the family's reason (kept sealed)",
        exists=True, dir_okay=False, readable=True)],
    actor: Annotated[str | None, typer.Option(
        "--actor", help="Who is acting (default: OS user)")] = None,
) -> None:
    """A family's request: the person's page becomes a nameless tombstone."""
    from dadkhahi.cli.refs import resolve_id
    from dadkhahi.publish.gate import withdraw as withdraw_person

    store = open_store()
    index = withdraw_person(store, current_actor(actor), resolve_id(store, None, person, "person"),
                            reason_file.read_text("utf-8"))
    console.print(f"Withdrawn (event {index}); the next build shows a nameless page.",
                  highlight=False)


@app.command("verify")
def verify(
    site: Annotated[Path, typer.Argument(help="The site's folder")],
    key: Annotated[str | None, typer.Option(
        "--key", help="The publication key (text or file); default: the home's announced key")]
    = None,
    seen: Annotated[Path | None, typer.Option(
        "--seen", help="JSON file of the newest builds seen (flags an older copy)")] = None,
) -> None:
    """Check a copy of the memorial against its signed manifest."""
    from dadkhahi.publish.verify import key_text
    from dadkhahi.publish.verify import verify as verify_site

    ledger_key: str | None = None
    if key is None:
        from dadkhahi.publish.manifest import announced_key

        store = open_store()
        with store.reading() as conn:
            key = announced_key(conn)
        if key is None:
            raise typer.BadParameter("this home announced no publication key; give --key",
                                     param_hint="--key")
        ledger_key = store.verifier_key()
    else:
        key = key_text(key)
    problems, head = verify_site(site, key, ledger_key, seen)
    for problem in problems:
        err_console.print(f"FAIL {problem}", highlight=False, soft_wrap=True)
    if problems:
        raise typer.Exit(1)
    console.print(f"OK build {head['sequence']} of {head['origin']}: {head['files']} files "
                  "match the signed manifest", highlight=False)


def register(root: typer.Typer) -> None:
    """Add ``publish`` to the ``dadkhahi`` app."""
    root.add_typer(app, name="publish")
