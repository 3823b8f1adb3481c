"""``dadkhahi demo``: a small ledger from synthetic data and sourced public facts.

Everything about victims and witnesses here is SYNTHETIC and labelled so; the
public facts (prisons, the Tehran commission, published counts) carry the
publications they come from.
"""

from __future__ import annotations

import io
import json
import tempfile
from datetime import date
from pathlib import Path

from PIL import Image
from rich.console import Console
from rich.table import Table

from dadkhahi.demo import public_facts as pf
from dadkhahi.demo.lists import ListsOutcome, import_link_estimate
from dadkhahi.domain.dates import DateRange
from dadkhahi.domain.errors import UserError
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import (
    ActType,
    Credibility,
    EntityKind,
    InvolvementRole,
    PlaceKind,
    Reliability,
    Sensitivity,
    SourceKind,
)
from dadkhahi.facts.entities import (
    Support,
    add_claim,
    add_involvement,
    create_act,
    create_organization,
    create_person,
    create_place,
)
from dadkhahi.facts.figures import add_published_figure
from dadkhahi.intake.evidence import Receipt, add_evidence, verify_blobs
from dadkhahi.intake.sources import register_source
from dadkhahi.ledger.proofs import make_bundle, verify_bundle
from dadkhahi.store import ledger_log
from dadkhahi.store.erase import erase_payload
from dadkhahi.store.home import Home
from dadkhahi.store.status import summarize
from dadkhahi.store.store import Store
from dadkhahi.store.verify import verify_ledger

ACTOR = "demo"
#: The demo's sign-in for the workspace: a demo home holds synthetic data only, and is
#: served on loopback; never use this account anywhere else.
DEMO_USER = "demo"
DEMO_PASSWORD = "synthetic demo only, lantern harbour 1367"  # noqa: S105 - printed by the demo
MORDAD_1367 = DateRange(date(1988, 7, 23), date(1988, 8, 22), "Mordad 1367")


def run_demo(home: Home, console: Console) -> None:
    """Build the demo ledger in ``home`` (which must not exist yet) and verify it."""
    if home.exists():
        raise UserError(f"{home.path} already holds a ledger; give the demo a fresh --dir")
    console.rule("[bold]Dadkhahi demo — synthetic data, clearly labelled")
    store = Store.init(home, "demo.dadkhahi.local/1988", ACTOR)
    public = _public_facts(store)
    _synthetic_case(store, public, console)
    console.print("Importing, linking and estimating four SYNTHETIC victim lists…")
    outcome = import_link_estimate(store, ACTOR)
    _lists_report(outcome, console, home)
    from dadkhahi.access.policy import Role
    from dadkhahi.access.users import add_user

    add_user(store, DEMO_USER, Role.ADMIN, DEMO_PASSWORD, ACTOR)
    _court_case(store, public, console)
    _memorial(store, console)
    _report(store, console)
    console.print(
        f"[bold]Workspace:[/bold] dadkhahi --home {home.path} serve, then open "
        f"http://127.0.0.1:8000/ and sign in as {DEMO_USER!r} with the password "
        f"{DEMO_PASSWORD!r} (synthetic demo data only)", highlight=False, soft_wrap=True)


def _lists_report(o: ListsOutcome, console: Console, home: Home) -> None:
    table = Table(title="SYNTHETIC victim lists (invented people)", show_header=False)
    table.add_row("records imported", f"{o.records:,} in {o.lists} lists")
    table.add_row("persons after linkage",
                  f"{o.persons:,} linked from the lists' records (generator's truth: "
                  f"{o.true_persons:,})")
    # Hints run as printed: they name the demo's home (issue 12 item 21).
    table.add_row("pairs waiting for review",
                  f"{o.review:,}  (dadkhahi --home {home.path} link review)")
    low, high = o.interval
    table.add_row(
        f"estimated total ({o.method})",
        f"{o.estimate:,.0f}, 95% interval {low:,.0f}–{high:,.0f} "
        f"(documented {o.documented:,}; synthetic population {o.population:,})",
    )
    console.print(table)


def _public_facts(store: Store) -> dict[str, str]:
    ids: dict[str, str] = {}
    with store.transaction(ACTOR) as tx:
        amnesty = register_source(store, tx, pf.AMNESTY_2018)
        ncri = register_source(store, tx, pf.NCRI_ARTICLE_2021)
        geonames = register_source(store, tx, pf.GEONAMES)
        ids["amnesty"] = amnesty
        for city in pf.CITIES:
            ids[city.name] = create_place(
                tx, city.name, PlaceKind.CITY, name_fa=city.name_fa,
                latitude=city.latitude, longitude=city.longitude,
            )
            add_claim(tx, EntityKind.PLACE, ids[city.name], "coordinates",
                      {"lat": city.latitude, "lon": city.longitude, "precision": "city centre"},
                      [Support(geonames)], sensitivity=Sensitivity.PUBLIC)
        for name, name_fa, city_name in (*pf.PRISONS, pf.KHAVARAN):
            kind = PlaceKind.BURIAL_SITE if name == pf.KHAVARAN[0] else PlaceKind.PRISON
            ids[name] = create_place(tx, name, kind, name_fa=name_fa, parent_id=ids[city_name])
            add_claim(tx, EntityKind.PLACE, ids[name], "named_in", pf.AMNESTY_2018.citation,
                      [Support(amnesty)], sensitivity=Sensitivity.PUBLIC)
        killings = create_act(
            tx, ActType.EXTRAJUDICIAL_KILLING,
            date=DateRange(date(1988, 7, 1), date(1988, 9, 30), "summer 1988"),
            description="Mass executions of political prisoners in Iran, summer 1988 "
            "(public fact; see supporting sources)",
            sensitivity=Sensitivity.PUBLIC,
        )
        ids["killings"] = killings
        # Two published figures that disagree: both kept, each with its source.
        add_published_figure(
            tx, killings, {"approximately": 5000, "qualifier": "estimate; exact number unknown"},
            [Support(amnesty)])
        add_published_figure(tx, killings, {"approximately": 30000}, [Support(ncri)])
        # More published figures, each a claim of the publication that states it.
        figure_sources = {
            "ihrdc": register_source(store, tx, pf.IHRDC_DEADLY_FATWA),
            "iran_hrm": register_source(store, tx, pf.IRAN_HRM_VICTIMS),
            "wikipedia": register_source(store, tx, pf.WIKIPEDIA_1988),
        }
        for key, figure in pf.FIGURES:
            add_published_figure(tx, killings, figure, [Support(figure_sources[key])])
        commission = create_organization(tx, "Tehran 'death commission' (1988)", "commission")
        ids["commission"] = commission
        add_involvement(tx, killings, InvolvementRole.PERPETRATOR_ORDERED,
                        organization_id=commission, sensitivity=Sensitivity.PUBLIC)
        for name, office in pf.TEHRAN_COMMISSION:
            official = create_person(tx, name, sensitivity=Sensitivity.PUBLIC)
            add_claim(tx, EntityKind.PERSON, official, "member_of",
                      {"organization_id": commission, "office_in_1988": office},
                      [Support(amnesty)], sensitivity=Sensitivity.PUBLIC)
    return ids


def _synthetic_case(store: Store, public: dict[str, str], console: Console) -> None:
    with tempfile.TemporaryDirectory(prefix="dadkhahi-demo-") as tmp:
        folder = Path(tmp)
        (folder / "synthetic-list-A.csv").write_text(
            "id,full_name,father_name,prison,death_date\n"
            "A1,SYNTHETIC Bahram Nemouneh,Karim,Evin,1367/05/12\n"
            "A2,SYNTHETIC Shirin Azmayesh,Hassan,Evin,Mordad 1367\n", "utf-8")
        (folder / "synthetic-photo.jpg").write_bytes(_photo_with_gps())
        list_report = add_evidence(
            store, [folder / "synthetic-list-A.csv", folder / "synthetic-photo.jpg"],
            Receipt(actor=ACTOR, from_party="SYNTHETIC family association", how="email"),
            new_source=SourceSpec(
                title="SYNTHETIC list A (demo data, not real people)", kind=SourceKind.LIST,
                reliability=Reliability.C, credibility=Credibility.POSSIBLY_TRUE),
        )
        (folder / "testimony.txt").write_text(
            "SYNTHETIC testimony for the demo. The witness (a made-up person) describes "
            "being moved between wards in Mordad 1367.\n", "utf-8")
        testimony = add_evidence(
            store, [folder / "testimony.txt"],
            Receipt(actor=ACTOR, from_party="SYNTHETIC witness W-1", how="in-person interview"),
            new_source=SourceSpec(
                title="Testimony of SYNTHETIC witness W-1", kind=SourceKind.TESTIMONY,
                sensitivity=Sensitivity.PROTECTED, reliability=Reliability.C,
                credibility=Credibility.PROBABLY_TRUE, collected_by="SYNTHETIC interviewer"),
        )
    list_item = list_report.added[0][1]
    assert list_report.source_id is not None  # the files above were stored
    with store.transaction(ACTOR) as tx:
        list_b = register_source(store, tx, SourceSpec(
            title="SYNTHETIC list B (demo data, not real people)", kind=SourceKind.LIST,
            reliability=Reliability.D, credibility=Credibility.POSSIBLY_TRUE))
        act = create_act(tx, ActType.EXECUTION, place_id=public["Evin Prison"], date=MORDAD_1367,
                         description="SYNTHETIC execution for the demo")
        for label in ("SYNTHETIC Bahram Nemouneh", "SYNTHETIC Shirin Azmayesh"):
            victim = create_person(tx, label, synthetic=True)
            add_involvement(tx, act, InvolvementRole.VICTIM, person_id=victim)
            # Conflicting death dates, both kept with their sources.
            add_claim(tx, EntityKind.PERSON, victim, "death_date", "1367/05/12",
                      [Support(list_report.source_id, item_id=list_item, locator="row 2")],
                      date=DateRange(date(1988, 8, 3), date(1988, 8, 3), "1367/05/12"))
            add_claim(tx, EntityKind.PERSON, victim, "death_date", "August 1988",
                      [Support(list_b, locator="row 7")],
                      date=DateRange(date(1988, 8, 1), date(1988, 8, 31), "August 1988"))
        witness = create_person(tx, "SYNTHETIC witness W-1", sensitivity=Sensitivity.PROTECTED,
                                synthetic=True)
        add_involvement(tx, act, InvolvementRole.WITNESS, person_id=witness,
                        sensitivity=Sensitivity.PROTECTED)
    # The witness later asks to be forgotten: the sealed name is erased, the hash stays.
    with store.reading() as conn:
        from sqlalchemy import select

        from dadkhahi.store import schema as s

        sealed = conn.execute(
            select(s.sources.c.sealed).where(s.sources.c.id == testimony.source_id)
        ).scalar_one()
    erase_payload(store, sealed["key_id"], "SYNTHETIC witness asked for erasure", ACTOR)
    console.print(f"Took in {len(list_report.added) + len(testimony.added)} files "
                  f"({list_report.derivatives} metadata-stripped public copy); "
                  "erased the synthetic witness's sealed identity.")


#: Where the demo writes its court bundle (inside the home: owner-only like the rest).
BUNDLE_DIR = Path("exports") / "court-bundle-demo"


def _court_case(store: Store, public: dict[str, str], console: Console) -> None:
    """The SYNTHETIC case for court: gaps printed, bundle written and verified offline."""
    from dadkhahi.cases.bundle import write_bundle
    from dadkhahi.cases.bundle_verify import verify
    from dadkhahi.cases.case import load_case
    from dadkhahi.cases.matrix import element_rows, gap_report
    from dadkhahi.demo.case import build_demo_case

    demo = build_demo_case(store, ACTOR, public["Evin Prison"], members=(DEMO_USER,))
    with store.reading() as conn:
        rows = element_rows(store, conn, load_case(store, conn, demo.case_id))
    table = Table(title="SYNTHETIC case for court: gap report (threshold 2 independent "
                  "sources)", show_header=False)
    for line in gap_report(rows):
        table.add_row(line)
    console.print(table)
    out = store.home.path / BUNDLE_DIR
    result = write_bundle(store, ACTOR, demo.case_id, out,
                          recipient="SYNTHETIC Court of the demo")
    problems = verify(out, store.verifier_key())
    if problems:
        raise UserError("the demo's court bundle did not verify: " + "; ".join(problems))
    console.print(f"Court bundle: {out} ({result.exhibits} exhibits, {result.withheld} "
                  "withheld for lack of consent), verified offline; check it yourself with "
                  f"python3 {out}/verify_bundle.py {out} --key \"$(cat "
                  f"{store.home.verifier_key_path})\"", highlight=False, soft_wrap=True)


#: Where the demo builds its memorial (inside the home, like the bundle).
MEMORIAL_DIR = Path("memorial")


def _memorial(store: Store, console: Console) -> None:
    """The SYNTHETIC public memorial: every source approved, built, verified offline."""
    from dadkhahi.publish.build import build
    from dadkhahi.publish.gate import approve
    from dadkhahi.publish.manifest import announced_key
    from dadkhahi.publish.verify import verify

    approve(store, ACTOR, all_sources=True)
    out = store.home.path / MEMORIAL_DIR
    report = build(store, ACTOR, out)
    with store.reading() as conn:
        key = announced_key(conn)
    assert key is not None  # the build announced it
    problems, _head = verify(out, key, store.verifier_key())
    if problems:
        raise UserError("the demo memorial did not verify: " + "; ".join(problems[:3]))
    reasons: dict[str, int] = {}
    for why in report.held.values():
        for reason in why:
            reasons[reason] = reasons.get(reason, 0) + 1
    held = "; ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
    console.print(
        f"SYNTHETIC memorial: {report.published} victims published, {len(report.held)} "
        f"held back by the editorial gate ({held or 'none'}); {report.files} files, "
        f"signed build {report.sequence}, verified offline.", highlight=False, soft_wrap=True)
    console.print(f"[bold]Memorial:[/bold] open file://{out / 'index.html'} in a browser; "
                  f"check it with python3 {out}/verify_site.py {out} --key "
                  f"{out}/publication-key.txt", highlight=False, soft_wrap=True)


def _photo_with_gps() -> bytes:
    img = Image.new("RGB", (64, 48), (90, 110, 130))
    exif = Image.Exif()
    exif[0x010F] = "SYNTHETIC camera"  # Make
    exif[0x8825] = {1: "N", 2: (35.0, 47.0, 0.0), 3: "E", 4: (51.0, 23.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _report(store: Store, console: Console) -> None:
    note = store.checkpoint()
    with store.reading() as conn:
        report = verify_ledger(conn, store.verifier_key())
        size, _ = ledger_log.head(conn)
        event = ledger_log.get_event(conn, 1)
        bundle = make_bundle(1, event.body, ledger_log.inclusion_proof(conn, 1, size), note)
    verify_bundle(json.loads(json.dumps(bundle)), store.verifier_key())
    blobs = verify_blobs(store)
    summary = summarize(store)
    table = Table(title="Demo ledger", show_header=False)
    table.add_row("home", str(store.home.path))
    table.add_row("events", str(summary.size))
    for name, count in summary.counts.items():
        # "persons" counts every person of the ledger: those linkage made from the lists
        # and those the demo added as facts (officials, the synthetic case's victims, a witness).
        shown = (f"{count} (linked from the lists, and added as facts of the case)"
                 if name == "persons" else str(count))
        table.add_row(name, shown)
    table.add_row("ledger verify", "[green]OK[/green]" if report.ok else "[red]FAILED[/red]")
    table.add_row("files re-hashed", "[green]OK[/green]" if blobs.ok else "[red]FAILED[/red]")
    table.add_row("offline inclusion proof",
                  f"[green]OK[/green] (event 1; events are numbered 0 to {size - 1}: "
                  f"dadkhahi --home {store.home.path} ledger prove 1)")
    console.print(table)
    console.print("[bold]Signed checkpoint:[/bold]")
    console.print(note, highlight=False, markup=False, soft_wrap=True)
    console.print(f"Verifier key: {store.verifier_key()}", highlight=False, soft_wrap=True)
    if not report.ok or not blobs.ok:
        raise UserError("the demo ledger did not verify")
