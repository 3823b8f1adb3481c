"""``dadkhahi persons search``: the one person search, from the command line."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from dadkhahi.cli.common import console, open_store
from dadkhahi.cli.refs import AsUserOpt, viewer

app = typer.Typer(help="Persons: the people linkage found, and the one person search.",
                  no_args_is_help=True)

@app.command("search")
def search(
    name: Annotated[str, typer.Argument(help="A name in any script (Persian finds Latin "
                                             "spellings and the reverse)")],
    limit: Annotated[int, typer.Option(min=1, max=100, help="Most hits to show")] = 20,
    min_score: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="Leave out hits scoring below this (0-1)")] = 0.7,
    as_user: AsUserOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document")] = False,
) -> None:
    """Find persons by name across scripts, best first, saying why each matched.

    Records already linked to one person are one hit; a record not linked yet is a hit of
    its own (no person ID). Protected records are never searched by name.
    """
    from dadkhahi.search.persons import search_persons

    store = open_store()
    found = search_persons(store, viewer(store, as_user), name, limit=limit,
                           min_score=min_score)
    if as_json:
        typer.echo(json.dumps(found.as_dict(), ensure_ascii=False, indent=2))
        return
    table = Table("score", "person", "name", "records", "why", expand=False)
    for hit in found.hits:
        records = "\n".join(
            f"{r.record_id}" + (f" ({r.external_id})" if r.external_id else "")
            for r in hit.records)
        table.add_row(f"{hit.score:.2f}", hit.person_id or "(not linked)", hit.label,
                      records, "\n".join(hit.reasons))
    console.print(table)
    among = f"at least {found.candidates}" if found.more else str(found.candidates)
    console.print(f"{len(found.hits)} hit(s) among {among} record(s) sharing a "
                  "name key", highlight=False)
