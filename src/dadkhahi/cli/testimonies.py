"""``dadkhahi testimonies add|interview|segment|translate|show|erase`` and ``dadkhahi
consent set``.

The witness's identity and the interview's circumstances are read from a JSON file, never
from the command line (a process's arguments are visible to every user of the machine and
kept in shell histories).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dadkhahi.cli.common import console, current_actor, fail, fields_table, open_store
from dadkhahi.cli.refs import kind_of, resolve_id
from dadkhahi.domain.vocab import Sensitivity

if TYPE_CHECKING:
    from dadkhahi.store.store import Store

testimonies_app = typer.Typer(help="Testimonies: protected witnesses, interviews, transcripts.",
                              no_args_is_help=True)
consent_app = typer.Typer(help="Consent per recipient for each testimony.",
                          no_args_is_help=True)

_LISTS = ("others_present", "materials_shown", "prior_statements")
_TEXTS = ("witness_name", "witness_contact", "interview_date", "interview_place",
          "interviewer", "interpreter", "language")


_TESTIMONY_HELP = "Testimony ID, source ID (or a unique prefix of either) or pseudonym"


def _testimony(store: Store, ref: str) -> str:
    """The testimony ``ref`` names as the service reads it: an ID or prefix of a testimony
    or of its source made whole (the CLI takes prefixes, the API exact IDs), else ``ref``
    as given (a pseudonym)."""
    kind = kind_of(ref.strip())
    if kind in ("testimony", "source"):
        return resolve_id(store, None, ref, kind)
    return ref


def _json_object(path: Path) -> dict[str, Any]:
    """A JSON object from a file; a clear error if it is not one."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail(f"{path}: not a readable JSON file ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise fail(f"{path}: expected a JSON object of interview details")
    return data


def read_details(path: Path) -> dict[str, Any]:
    """The interview's details from a JSON object; a clear error naming a bad field."""
    data = _json_object(path)
    known = set(_LISTS) | set(_TEXTS) | {"read_back"}
    for key, value in data.items():
        if key not in known:
            raise fail(f"{path}: unknown field {key!r} (known: {', '.join(sorted(known))})")
        if key in _LISTS and not (isinstance(value, list)
                                  and all(isinstance(v, str) for v in value)):
            raise fail(f"{path}: field {key!r} must be a list of texts")
        if key in _TEXTS and not isinstance(value, str):
            raise fail(f"{path}: field {key!r} must be a text")
        if key == "read_back" and not isinstance(value, bool):
            raise fail(f"{path}: field 'read_back' must be true or false")
    return data


@testimonies_app.command("add")
def add(
    title: Annotated[str, typer.Option(help="The testimony's title (sealed)")],
    details: Annotated[Path | None, typer.Option(
        help="JSON file: witness_name, witness_contact, interview_date, interview_place, "
             "interviewer, others_present[], interpreter, language, read_back, "
             "materials_shown[], prior_statements[]")] = None,
    transcript: Annotated[list[Path] | None, typer.Option(
        help="Transcript or recording files, taken in and their text extracted")] = None,
    sensitivity: Annotated[Sensitivity, typer.Option(
        help="Protected by default")] = Sensitivity.PROTECTED,
    actor: Annotated[str | None, typer.Option(help="Who records it")] = None,
) -> None:
    """Record a testimony: prints its ID, its source's ID and the witness's pseudonym."""
    from dadkhahi.intake.testimonies import TestimonySpec, add_testimony

    fields = read_details(details) if details is not None else {}
    store = open_store()
    who = current_actor(actor)
    made = add_testimony(store, TestimonySpec(title=title, sensitivity=sensitivity, **fields),
                         who)
    console.print(f"testimony {made['testimony_id']}  source {made['source_id']}  "
                  f"pseudonym {made['pseudonym']}", highlight=False)
    if transcript:
        from dadkhahi.cli.documents import _print_outcomes, _run_extraction
        from dadkhahi.intake.evidence import Receipt, add_evidence

        report = add_evidence(store, transcript, Receipt(actor=who),
                              source_id=made["source_id"])
        ids = [i for _p, i in report.added]
        for item in ids:
            console.print(f"item       {item}  source {made['source_id']}", highlight=False)
        if ids:
            _print_outcomes(_run_extraction(store, {"item_ids": ids}, who))


@testimonies_app.command("interview")
def interview(
    testimony: Annotated[str, typer.Argument(help=_TESTIMONY_HELP)],
    details: Annotated[Path, typer.Option(
        help="JSON file of the fields to change (others kept; null clears one): "
             "interview_date, interview_place, interviewer, others_present[], interpreter, "
             "language, read_back, materials_shown[], prior_statements[]")],
    if_version: Annotated[int, typer.Option(
        help="The testimony's version as `testimonies show` printed it: the change is "
             "refused if someone changed it since")],
    actor: Annotated[str | None, typer.Option(help="Who records the change")] = None,
) -> None:
    """Change a testimony's interview (as PATCH /api/testimonies/{id} and the testimony
    page do): one ledger event, sealed as the testimony is; prints the fields changed and
    the new version."""
    from dadkhahi.domain.errors import ValidationError
    from dadkhahi.intake.testimonies import change_interview

    fields = _json_object(details)
    try:
        store = open_store()
        changed, index = change_interview(store, _testimony(store, testimony), fields,
                                          current_actor(actor), expected_version=if_version)
    except ValidationError as exc:
        raise fail(f"{details}: {exc}") from None
    if index is None:
        console.print(f"nothing changed: version {if_version}", highlight=False)
    else:
        console.print(f"changed {', '.join(changed)}: version {index}", highlight=False)


@consent_app.command("set")
def set_(
    testimony: Annotated[str, typer.Argument(help=_TESTIMONY_HELP)],
    recipient_kind: Annotated[str, typer.Option(
        "--to", help="team, partner, un_mechanism, court or public")],
    status: Annotated[str, typer.Option(help="given, refused or withdrawn")],
    recipient: Annotated[str | None, typer.Option(
        help="Which partner, mechanism or court")] = None,
    how: Annotated[str | None, typer.Option(
        help="How consent was given (signed form, recorded orally…)")] = None,
    date: Annotated[str | None, typer.Option(help="When (YYYY-MM-DD; default today)")] = None,
    informed_defence: Annotated[bool, typer.Option(
        "--informed-defence", help="The witness was told a defence may see it")] = False,
    disclosed: Annotated[list[str] | None, typer.Option(
        help="With a withdrawal: what was already disclosed (bundle/export IDs)")] = None,
    actor: Annotated[str | None, typer.Option(help="Who records it")] = None,
) -> None:
    """Record consent for one recipient, or its withdrawal (listing what was disclosed)."""
    from dadkhahi.intake.testimonies import set_consent

    store = open_store()
    index = set_consent(store, _testimony(store, testimony), recipient_kind, recipient, status,
                        current_actor(actor), date=date, how=how,
                        informed_defence=informed_defence, disclosed=disclosed or ())
    console.print(f"consent {status} for {recipient_kind}"
                  + (f" ({recipient})" if recipient else "") + f": event {index}",
                  highlight=False)


def read_segments(path: Path) -> list[Any]:
    """Segments from a JSON list of {text, knowledge, start?, end?, note?}; a clear error
    naming the segment and field."""
    from dadkhahi.intake.testimonies import SegmentSpec

    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail(f"{path}: not a readable JSON file ({type(exc).__name__})") from None
    if not isinstance(data, list):
        raise fail(f"{path}: expected a JSON list of segments")
    out = []
    for n, seg in enumerate(data, start=1):
        if not isinstance(seg, dict):
            raise fail(f"{path}: segment {n} is not an object")
        unknown = set(seg) - {"text", "knowledge", "start", "end", "note"}
        if unknown:
            raise fail(f"{path}: segment {n}: unknown field {sorted(unknown)[0]!r}")
        if not isinstance(seg.get("text"), str) or not isinstance(seg.get("knowledge"), str):
            raise fail(f"{path}: segment {n}: 'text' and 'knowledge' must be texts")
        for key in ("start", "end"):
            if seg.get(key) is not None and not isinstance(seg[key], int | float):
                raise fail(f"{path}: segment {n}: {key!r} must be a number of seconds")
        out.append(SegmentSpec(seg["text"], seg["knowledge"], seg.get("start"), seg.get("end"),
                               seg.get("note")))
    return out


@testimonies_app.command("segment")
def segment(
    testimony: Annotated[str, typer.Argument(help=_TESTIMONY_HELP)],
    file: Annotated[Path, typer.Option(
        "--file", help="JSON list of segments: text (exactly as transcribed), knowledge "
                       "(direct or hearsay), start and end (seconds, optional), note")],
    actor: Annotated[str | None, typer.Option(help="Who records it")] = None,
) -> None:
    """Divide a testimony into segments after its last one (all or nothing)."""
    from dadkhahi.intake.testimonies import add_segments

    store = open_store()
    ids = add_segments(store, _testimony(store, testimony), read_segments(file),
                       current_actor(actor))
    for sid in ids:
        console.print(f"segment {sid}", highlight=False)


@testimonies_app.command("translate")
def translate(
    segment_id: Annotated[str, typer.Argument(help="Segment ID or unique prefix")],
    language: Annotated[str, typer.Option(help="The translation's language (en, fa…)")],
    file: Annotated[Path, typer.Option("--file", help="UTF-8 text file of the translation")],
    translator: Annotated[str | None, typer.Option(help="Who translated it")] = None,
    actor: Annotated[str | None, typer.Option(help="Who records it")] = None,
) -> None:
    """Keep a translation beside a segment (the segment's own text never changes)."""
    from dadkhahi.intake.testimonies import add_translation

    try:
        body = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"{file}: not a readable UTF-8 text file ({type(exc).__name__})") from None
    store = open_store()
    tid = add_translation(store, resolve_id(store, None, segment_id, "segment"), language, body,
                          current_actor(actor), translator=translator)
    console.print(f"translation {tid}", highlight=False)


@testimonies_app.command("show")
def show(
    testimony: Annotated[str, typer.Argument(help=_TESTIMONY_HELP)],
    as_json: Annotated[bool, typer.Option("--json", help="JSON output (one document)")]
    = False,
) -> None:
    """A testimony with its interview, consents, segments and translations, and its
    version (the home's operator holds the keys and sees the sealed fields)."""
    from dadkhahi.intake.testimonies import get_testimony, testimony_details

    store = open_store()
    with store.reading() as conn:
        testimony = _testimony(store, testimony)
        shown = testimony_details(store, conn, testimony)
        # The version a change of the interview names (``testimonies interview
        # --if-version``).
        shown["version"] = int(get_testimony(conn, testimony)["ledger_index"])
    if as_json:
        typer.echo(json.dumps(shown, ensure_ascii=False, indent=2, default=str))
        return
    console.print(fields_table(shown))


@testimonies_app.command("erase")
def erase(
    testimony: Annotated[str, typer.Argument(help=_TESTIMONY_HELP)],
    reason: Annotated[str, typer.Option(help="Why (recorded in the ledger; name no one)")],
    actor: Annotated[str | None, typer.Option(help="Who erases it")] = None,
) -> None:
    """Erase a protected testimony and everything told from it: its words, segments,
    translations and title, and the facts written from it (acts, claims, involvements,
    their case links), become unreadable for good (the ledger keeps that they existed)."""
    from dadkhahi.intake.testimonies import erase_testimony

    store = open_store()
    indices = erase_testimony(store, _testimony(store, testimony), reason, current_actor(actor))
    console.print(f"erased: {len(indices)} keys destroyed (events "
                  f"{indices[0]} to {indices[-1]})", highlight=False)


def register(root: typer.Typer) -> None:
    """Add ``testimonies`` and ``consent`` to the ``dadkhahi`` app."""
    root.add_typer(testimonies_app, name="testimonies")
    root.add_typer(consent_app, name="consent")
