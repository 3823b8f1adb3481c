"""``sources list|show``, ``items list|show``, ``records show``, ``persons list|show``,
``acts list|show|add``, ``claims list|add``, ``places list|show|add``.

Thin shells over the read and write services every face uses (``access.reads``,
``services.objects``): the one visibility rule decides what is listed, protected
objects shown are audited, and a change is checked and ledgered there. Every listing
has ``--json``; every ID argument takes a unique prefix (:mod:`dadkhahi.cli.refs`).
"""

# No ``from __future__ import annotations``: Typer reads the commands' annotations, and
# those built in _register_reads name its arguments.
import datetime as dt
import json
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.table import Table

from dadkhahi.cli.common import cell_text, console, fields_table, open_store
from dadkhahi.cli.refs import AsUserOpt, resolve_any, resolve_id, resolve_source, viewer

JsonOpt = Annotated[bool, typer.Option("--json", help="JSON output (one document)")]
LimitOpt = Annotated[int, typer.Option(min=1, max=500, help="Most objects to list")]
FilterOpt = Annotated[list[str] | None, typer.Option(
    "--filter", metavar="FIELD=VALUE", help="Only objects whose FIELD is VALUE (repeatable)")]

#: Columns of each listing, in order (every field is in --json).
COLUMNS: dict[str, tuple[str, ...]] = {
    "sources": ("id", "title", "kind", "reliability", "credibility", "sensitivity",
                "created_at"),
    "items": ("id", "source_id", "original_name", "media_type", "size", "sensitivity",
              "received_at"),
    "records": ("id", "source_id", "external_id", "row_number", "sensitivity"),
    "persons": ("id", "label", "sensitivity"),
    "acts": ("id", "type", "place_id", "date_text", "sensitivity"),
    "claims": ("id", "entity_kind", "entity_id", "property", "value", "status",
               "sensitivity"),
    "places": ("id", "kind", "name", "name_fa", "status", "sensitivity"),
}


def listing_table(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> Table:
    """A table that wraps its cells (IDs and times are never cut) at any width."""
    table = Table(*columns)
    for col in table.columns:
        col.overflow = "fold"
    for row in rows:
        table.add_row(*(cell_text(row.get(c)) for c in columns))
    return table


def _filters(pairs: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or []:
        field, sep, value = pair.partition("=")
        if not sep or not field:
            raise typer.BadParameter(f"{pair!r} is not FIELD=VALUE", param_hint="'--filter'")
        out[field.strip()] = value
    return out


def list_objects(name: str, *, limit: int, filters: dict[str, str], q: str | None,
                 as_user: str | None, as_json: bool) -> None:
    """One page of visible objects of a kind, as a table or JSON."""
    from dadkhahi.access.reads import RESOURCES, PageQuery
    from dadkhahi.access.reads import list_objects as read_list

    store = open_store()
    principal = viewer(store, as_user)
    page = read_list(store, principal, RESOURCES[name],
                     PageQuery(filters=filters, q=q, limit=limit, count=True))
    if as_json:
        typer.echo(json.dumps({"data": page.data, "total": page.total}, ensure_ascii=False,
                              indent=2, default=str))
        return
    console.print(listing_table(COLUMNS[name], page.data))
    more = f" (first {len(page.data)}; --limit for more)" if page.total and \
        page.total > len(page.data) else ""
    console.print(f"{page.total} {name}{more}", highlight=False)


def show_object(name: str, kind: str, ref: str, *, as_user: str | None, as_json: bool,
                extra: Callable[[Any, Any, dict[str, Any]], dict[str, Any]] | None = None,
                ) -> None:
    """One visible object (ID or unique prefix), every field, as a table or JSON."""
    from dadkhahi.access.reads import RESOURCES, get_object

    store = open_store()
    principal = viewer(store, as_user)
    full = resolve_id(store, principal, ref, kind)
    obj = get_object(store, principal, RESOURCES[name], full)
    if extra is not None:
        obj.update(extra(store, principal, obj))
    if as_json:
        typer.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))
        return
    console.print(fields_table(obj))


def _person_extra(store: Any, principal: Any, person: dict[str, Any]) -> dict[str, Any]:
    """A person's records (those the viewer may see) and current claims."""
    from sqlalchemy import select

    from dadkhahi.access.policy import params, visible
    from dadkhahi.access.reads import RESOURCES, PageQuery, list_objects
    from dadkhahi.store import schema as s

    pr, r = s.person_records.c, s.records.c
    with store.reading() as conn:
        records = [dict(row) for row in conn.execute(
            select(r.id, r.source_id, r.external_id, r.sensitivity)
            .join(s.person_records, pr.record_id == r.id)
            .where(pr.person_id == person["id"], visible(principal, s.records))
            .order_by(r.ledger_index, r.row_number, r.id), params(principal)).mappings()]
    claims = list_objects(store, principal, RESOURCES["claims"], PageQuery(
        filters={"entity_id": person["id"], "status": "asserted"}, limit=500)).data
    return {"records": records,
            "claims": [{k: c.get(k) for k in ("id", "property", "value", "sensitivity")}
                       for c in claims]}


def _register_reads(app: typer.Typer, name: str, kind: str, *, listing: bool = True,
                    searchable: bool = False,
                    extra: Callable[[Any, Any, dict[str, Any]], dict[str, Any]] | None = None,
                    ) -> None:
    if listing:
        if searchable:
            def list_command(
                limit: LimitOpt = 50, filter_: FilterOpt = None,
                search: Annotated[str | None, typer.Option(
                    help="Only objects whose text contains this")] = None,
                as_user: AsUserOpt = None, as_json: JsonOpt = False,
            ) -> None:
                list_objects(name, limit=limit, filters=_filters(filter_), q=search,
                             as_user=as_user, as_json=as_json)
        else:
            def list_command(  # type: ignore[misc]
                limit: LimitOpt = 50, filter_: FilterOpt = None,
                as_user: AsUserOpt = None, as_json: JsonOpt = False,
            ) -> None:
                list_objects(name, limit=limit, filters=_filters(filter_), q=None,
                             as_user=as_user, as_json=as_json)
        list_command.__doc__ = f"List the {name} you may see, as a table or --json."
        app.command("list")(list_command)

    def show_command(
        ref: Annotated[str, typer.Argument(metavar="ID", help=f"{kind.capitalize()} ID or a "
                                                              "unique prefix of it")],
        as_user: AsUserOpt = None, as_json: JsonOpt = False,
    ) -> None:
        show_object(name, kind, ref, as_user=as_user, as_json=as_json, extra=extra)

    show_command.__doc__ = f"One {kind} with every field you may see."
    app.command("show")(show_command)


def _typer(help_text: str) -> typer.Typer:
    return typer.Typer(help=help_text, no_args_is_help=True)


sources_app = _typer("Sources: where information came from (lists, documents, testimony).")
items_app = _typer("Evidence items: the files taken in, by SHA-256.")
records_app = _typer("Records: what one source says about one person.")
acts_app = _typer("Acts: who did what to whom, where and when.")
claims_app = _typer("Claims: sourced statements about persons, places, acts, organisations.")
places_app = _typer("Places: prisons, cities, burial sites.")

_register_reads(sources_app, "sources", "source", searchable=True)
_register_reads(items_app, "items", "item", searchable=True)
_register_reads(records_app, "records", "record", listing=False)
_register_reads(acts_app, "acts", "act", searchable=True)
_register_reads(places_app, "places", "place", searchable=True)


@claims_app.command("list")
def claims_list(
    about: Annotated[str | None, typer.Option(
        metavar="ID", help="Only claims about this person, place, act or organisation "
                           "(ID or unique prefix)")] = None,
    limit: LimitOpt = 50, filter_: FilterOpt = None,
    as_user: AsUserOpt = None, as_json: JsonOpt = False,
) -> None:
    """List the claims you may see, as a table or --json."""
    filters = _filters(filter_)
    if about is not None:
        store = open_store()
        _, filters["entity_id"] = resolve_any(store, viewer(store, as_user), about, _ENTITIES)
    list_objects("claims", limit=limit, filters=filters, q=None, as_user=as_user,
                 as_json=as_json)


_ENTITIES = ("person", "place", "act", "organization")
SensitivityOpt = Annotated[str, typer.Option(
    help="public, restricted (team) or protected (named investigators only)")]


def _print_created(obj: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))
    else:
        console.print(f"added {obj['id']}", highlight=False)


def _date(text: str | None) -> Any:
    if text is None:
        return None
    from dadkhahi.domain.dates import DateRange
    from dadkhahi.persian import DateParseError, parse_date

    try:
        parsed = parse_date(text)
    except DateParseError as exc:
        raise typer.BadParameter(f"{text!r}: {exc}", param_hint="'--date'") from None
    return DateRange(parsed.earliest, parsed.latest, text)


@acts_app.command("add")
def acts_add(
    act_type: Annotated[str, typer.Option("--type", help="What was done (e.g. execution, "
                                                         "arrest, torture, burial)")],
    source: Annotated[str, typer.Option(help="The source that tells the act: ID, unique "
                                             "prefix or exact title (required)")],
    place: Annotated[str | None, typer.Option(metavar="ID",
                                              help="Where: a place ID or prefix")] = None,
    date: Annotated[str | None, typer.Option(
        help="When, as the source says it: 1367/05/12, Mordad 1367, 1988-08")] = None,
    description: Annotated[str | None, typer.Option(help="What happened")] = None,
    locator: Annotated[str | None, typer.Option(help="Where in the source (page, line)")
                       ] = None,
    sensitivity: SensitivityOpt = "restricted",
    as_user: AsUserOpt = None, as_json: JsonOpt = False,
) -> None:
    """Add an act as a source tells it (a claim citing the source is recorded with it,
    and the act is raised to the source's level when that is stricter); its victims and
    perpetrators are added as involvements."""
    from dadkhahi.domain.vocab import ActType, Sensitivity
    from dadkhahi.facts.entities import Support
    from dadkhahi.services.objects import record_act

    store = open_store()
    principal = viewer(store, as_user)
    place_id = None if place is None else resolve_id(store, principal, place, "place")
    cited = Support(str(resolve_source(store, principal, source)["id"]), locator=locator)
    obj = record_act(store, principal, _choice(ActType, act_type, "--type"), cited,
                     place_id=place_id, date=_date(date), description=description,
                     sensitivity=_choice(Sensitivity, sensitivity, "--sensitivity"))
    _print_created(obj, as_json)


@acts_app.command("change")
def acts_change(
    act: Annotated[str, typer.Argument(metavar="ACT", help="The act (ID or prefix)")],
    source: Annotated[str, typer.Option(help="The source that tells the act so: ID, unique "
                                             "prefix or exact title")],
    act_type: Annotated[str | None, typer.Option(
        "--type", help="What was done, if it changes (execution, torture, …)")] = None,
    place: Annotated[str | None, typer.Option(
        metavar="ID", help="Where, if it changes: a place ID or prefix")] = None,
    date: Annotated[str | None, typer.Option(
        help="When, if it changes, as the source says it: 1367/05/12, Mordad 1367")] = None,
    description: Annotated[str | None, typer.Option(
        help="What happened, if it changes")] = None,
    locator: Annotated[str | None, typer.Option(help="Where in the source (page, line)")
                       ] = None,
    as_user: AsUserOpt = None, as_json: JsonOpt = False,
) -> None:
    """Correct an act as a source tells it: the options given replace its kind, place,
    date or description, the others stay; a claim citing the source is recorded with the
    change (its victims and perpetrators change as involvements: `acts withdraw`)."""
    from dadkhahi.access.reads import RESOURCES, get_object
    from dadkhahi.domain.dates import DateRange
    from dadkhahi.domain.vocab import ActType
    from dadkhahi.facts.entities import Support
    from dadkhahi.services.objects import change_act

    store = open_store()
    principal = viewer(store, as_user)
    act_id = resolve_id(store, principal, act, "act")
    now = get_object(store, principal, RESOURCES["acts"], act_id)
    earliest, latest = (None if now.get(k) is None else dt.date.fromisoformat(now[k])
                        for k in ("date_earliest", "date_latest"))
    kept = DateRange(earliest, latest, now.get("date_text")) if earliest or latest else None
    obj = change_act(
        store, principal, act_id,
        _choice(ActType, act_type if act_type is not None else now["type"], "--type"),
        Support(str(resolve_source(store, principal, source)["id"]), locator=locator),
        place_id=now.get("place_id") if place is None
        else resolve_id(store, principal, place, "place"),
        date=kept if date is None else _date(date),
        description=now.get("description") if description is None else description,
        expected_version=int(now["version"]))
    if as_json:
        typer.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))
    else:
        console.print(f"changed {obj['id']}", highlight=False)


@acts_app.command("withdraw")
def acts_withdraw(
    involvement: Annotated[str, typer.Argument(
        metavar="INVOLVEMENT", help="The person's or organisation's involvement in an act "
                                    "(ID or prefix)")],
    as_user: AsUserOpt = None,
) -> None:
    """Withdraw a person or organisation named in an act in error (name them again with
    another role to change it); the ledger keeps what was stated and its withdrawal."""
    from dadkhahi.services.objects import withdraw_involvement

    store = open_store()
    principal = viewer(store, as_user)
    involvement_id = resolve_id(store, principal, involvement, "involvement")
    withdraw_involvement(store, principal, involvement_id)
    console.print(f"withdrew {involvement_id}", highlight=False)


@places_app.command("add")
def places_add(
    name: Annotated[str, typer.Argument(help="The place's name (Latin script)")],
    kind: Annotated[str, typer.Option(help="prison, city, province, burial_site, …")],
    name_fa: Annotated[str | None, typer.Option(help="Its name in Persian script")] = None,
    parent: Annotated[str | None, typer.Option(metavar="ID",
                                               help="The place it lies in (ID or prefix)")]
    = None,
    latitude: Annotated[float | None, typer.Option(
        min=-90, max=90, help="Latitude in decimal degrees (WGS 84)")] = None,
    longitude: Annotated[float | None, typer.Option(
        min=-180, max=180, help="Longitude in decimal degrees (WGS 84)")] = None,
    status: Annotated[str, typer.Option(help="What is known of it now")] = "unknown",
    sensitivity: SensitivityOpt = "public",
    as_user: AsUserOpt = None, as_json: JsonOpt = False,
) -> None:
    """Add a place to the gazetteer."""
    from dadkhahi.domain.vocab import PlaceKind, PlaceStatus, Sensitivity
    from dadkhahi.services.objects import create_place

    store = open_store()
    principal = viewer(store, as_user)
    parent_id = None if parent is None else resolve_id(store, principal, parent, "place")
    obj = create_place(store, principal, name, _choice(PlaceKind, kind, "--kind"),
                       name_fa=name_fa, parent_id=parent_id, latitude=latitude,
                       longitude=longitude, status=_choice(PlaceStatus, status, "--status"),
                       sensitivity=_choice(Sensitivity, sensitivity, "--sensitivity"))
    _print_created(obj, as_json)


@places_app.command("status")
def places_status(
    place: Annotated[str, typer.Argument(metavar="PLACE", help="The site (ID or prefix)")],
    status: Annotated[str, typer.Argument(
        metavar="STATUS", help="intact, damaged, destroyed or built_over")],
    source: Annotated[str, typer.Option(help="The source that says so: ID, unique prefix "
                                             "or exact title")],
    date: Annotated[str | None, typer.Option(
        help="When the site was so, as the source says it: 1387/10, 2009-01, 1988")] = None,
    record: Annotated[str | None, typer.Option(
        metavar="ID", help="The supporting record of that source (ID or prefix)")] = None,
    item: Annotated[str | None, typer.Option(
        metavar="ID",
        help="The supporting item of that source (a photo, a report; ID or prefix)")] = None,
    locator: Annotated[str | None, typer.Option(help="Where in it (page, line)")] = None,
    sensitivity: SensitivityOpt = "public",
    as_user: AsUserOpt = None, as_json: JsonOpt = False,
) -> None:
    """State a site's status as a dated claim of its source.

    The place's status shown everywhere becomes its latest accepted status claim (by
    the date it held); `places history PLACE` lists them all.
    """
    from dadkhahi.domain.vocab import Sensitivity
    from dadkhahi.facts.entities import Support
    from dadkhahi.services.objects import add_place_status

    store = open_store()
    principal = viewer(store, as_user)
    place_id = resolve_id(store, principal, place, "place")
    support = Support(
        str(resolve_source(store, principal, source)["id"]),
        None if record is None else resolve_id(store, principal, record, "record"),
        None if item is None else resolve_id(store, principal, item, "item"), locator)
    obj = add_place_status(store, principal, place_id, status, [support], date=_date(date),
                           sensitivity=_choice(Sensitivity, sensitivity, "--sensitivity"))
    _print_created(obj, as_json)


@places_app.command("history")
def places_history(
    place: Annotated[str, typer.Argument(metavar="PLACE", help="The site (ID or prefix)")],
    as_user: AsUserOpt = None, as_json: JsonOpt = False,
) -> None:
    """A site's status over time: each dated claim with its sources (* = current)."""
    from dadkhahi.services.objects import place_status_history

    store = open_store()
    principal = viewer(store, as_user)
    history = place_status_history(store, principal, resolve_id(store, principal, place,
                                                                "place"))
    if as_json:
        typer.echo(json.dumps([h.as_dict() for h in history], ensure_ascii=False, indent=2))
        return
    rows = [{"": "*" if h.current else "", "status": h.status,
             "when": h.date_text or h.date_latest or h.date_earliest or "",
             "claim": h.claim_id, "claim status": h.claim_status,
             "sources": " ".join(h.sources)} for h in history]
    console.print(listing_table(("", "status", "when", "claim", "claim status", "sources"),
                                rows))


@claims_app.command("add")
def claims_add(
    about: Annotated[str, typer.Option(
        metavar="ID", help="The person, place, act or organisation (ID or prefix)")],
    prop: Annotated[str, typer.Option("--property", help="What is claimed: name, "
                                                         "birth_year, death_date, …")],
    value: Annotated[str, typer.Option(help="The value (JSON numbers are read as numbers)")],
    source: Annotated[str, typer.Option(help="The supporting source: ID, unique prefix or "
                                             "exact title")],
    record: Annotated[str | None, typer.Option(
        metavar="ID", help="The supporting record of that source (ID or prefix)")] = None,
    item: Annotated[str | None, typer.Option(
        metavar="ID", help="The supporting item of that source (ID or prefix)")] = None,
    locator: Annotated[str | None, typer.Option(help="Where in it (page, line)")] = None,
    date: Annotated[str | None, typer.Option(help="When the claimed fact held")] = None,
    sensitivity: SensitivityOpt = "restricted",
    as_user: AsUserOpt = None, as_json: JsonOpt = False,
) -> None:
    """Add a sourced claim (never less protected than what supports it)."""
    from dadkhahi.domain.vocab import EntityKind, Sensitivity
    from dadkhahi.facts.entities import Support
    from dadkhahi.services.objects import create_claim

    store = open_store()
    principal = viewer(store, as_user)
    kind, entity_id = resolve_any(store, principal, about, _ENTITIES)
    source_id = str(resolve_source(store, principal, source)["id"])
    support = Support(
        source_id,
        None if record is None else resolve_id(store, principal, record, "record"),
        None if item is None else resolve_id(store, principal, item, "item"),
        locator)
    try:
        parsed: Any = json.loads(value)
        if not isinstance(parsed, int | float) or isinstance(parsed, bool):
            parsed = value
    except ValueError:
        parsed = value
    obj = create_claim(store, principal, EntityKind(kind), entity_id, prop, parsed, [support],
                       date=_date(date),
                       sensitivity=_choice(Sensitivity, sensitivity, "--sensitivity"))
    _print_created(obj, as_json)


def _choice(enum: Any, value: str, option: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(str(v) for v in enum)
        raise typer.BadParameter(f"{value!r} is not one of {allowed}",
                                 param_hint=f"'{option}'") from None


def _joined(first: typer.Typer, *more: typer.Typer) -> typer.Typer:
    """A new group with ``first``'s help and the commands of all (none is changed)."""
    joined = typer.Typer(help=first.info.help, no_args_is_help=True)
    for app in (first, *more):
        joined.registered_commands.extend(app.registered_commands)
        joined.registered_groups.extend(app.registered_groups)
    return joined


def register(main: typer.Typer) -> None:
    """Add the object commands to ``main``: ``persons`` is ``cli.persons``' search with
    list and show added, ``sources`` gains ``cli.cases``' ``sources link``.

    Neither of those apps is changed, so registering twice (each command line the
    tests build) adds nothing twice.
    """
    from dadkhahi.cli import cases, persons

    people = _joined(persons.app)
    _register_reads(people, "persons", "person", searchable=True, extra=_person_extra)
    main.add_typer(people, name="persons")
    for name, sub in (("sources", _joined(sources_app, cases.sources_app)),
                      ("items", items_app), ("records", records_app), ("acts", acts_app),
                      ("claims", claims_app), ("places", places_app)):
        main.add_typer(sub, name=name)


__all__ = ["COLUMNS", "listing_table", "register"]
