"""Testimonies: a source with a protected witness, the interview's circumstances, and
consent per recipient.

A testimony is a source of kind ``testimony`` (protected by default) plus a
``testimony.recorded`` event: the witness's identity, the interview's date and place, the
interviewer, who else was present, any interpreter, the language, whether the statement
was read back and acknowledged, materials shown and prior statements. Every one of these
is sealed (``domain.protected.CLEAR_FIELDS["testimony"]`` keeps only the IDs, the
pseudonym and the time in clear); everyone without the grant sees a **random pseudonym**
(not a sequence number, which would tell how many witnesses there are).

Consent is recorded per recipient (the team, a named partner organisation, a named UN
mechanism, a named court, the public) by ``consent.recorded`` events: given or refused,
the date and how it was given, and whether the witness was told the statement may reach
a defence. A withdrawal is a ``consent.recorded`` event with status ``withdrawn`` that lists
what had already been disclosed to that recipient. Importing this module registers the
consent with the one disclosure rule (:data:`CONSENT_RULES`, through
:func:`dadkhahi.access.disclosure.register_consent`): every export, bundle and
publication to a partner, UN mechanism or court decides through
:func:`~dadkhahi.access.disclosure.may_disclose`, which then asks for this consent;
:func:`consent_allows` answers the same question for a set of sources.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    Text,
    bindparam,
    case,
    func,
    select,
)

from dadkhahi.access.disclosure import (
    AUDIENCE_KIND,
    AUDIENCE_NAME,
    ConsentRule,
    Tier,
    register_consent,
)
from dadkhahi.domain.errors import NotFoundError, ValidationError
from dadkhahi.domain.ids import new_id
from dadkhahi.domain.sources import SourceSpec
from dadkhahi.domain.vocab import Sensitivity, SourceKind
from dadkhahi.intake.sources import register_source
from dadkhahi.store import schema as s
from dadkhahi.store.store import Store, utc_now

RECIPIENT_KINDS = ("team", "partner", "un_mechanism", "court", "public")
#: Recipient kinds that are one body and need no name.
_UNNAMED = frozenset({"team", "public"})
CONSENT_STATES = ("given", "refused", "withdrawn")
#: Letters of a pseudonym: no 0/O or 1/I/L, so it can be read aloud and typed back.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_pseudonym() -> str:
    """A random pseudonym such as ``W-7KQ2-M9XD`` (40 bits: no order, no count)."""
    chars = [secrets.choice(_ALPHABET) for _ in range(8)]
    return f"W-{''.join(chars[:4])}-{''.join(chars[4:])}"


@dataclass(frozen=True)
class TestimonySpec:
    """What is known of one interview. Everything but ``title`` is optional."""

    title: str
    witness_name: str | None = None
    witness_contact: str | None = None
    interview_date: str | None = None
    interview_place: str | None = None
    interviewer: str | None = None
    others_present: list[str] = field(default_factory=list)
    interpreter: str | None = None
    language: str | None = None
    read_back: bool | None = None
    materials_shown: list[str] = field(default_factory=list)
    prior_statements: list[str] = field(default_factory=list)
    sensitivity: Sensitivity = Sensitivity.PROTECTED


def add_testimony(store: Store, spec: TestimonySpec, actor: str) -> dict[str, str]:
    """Register the testimony's source and its interview; returns IDs and the pseudonym."""
    if not spec.title.strip():
        raise ValidationError("a testimony needs a title (it is sealed like the rest)")
    pseudonym = new_pseudonym()
    testimony_id = new_id("testimony")
    with store.transaction(actor) as tx:
        source_id = register_source(store, tx, SourceSpec(
            title=spec.title, kind=SourceKind.TESTIMONY, sensitivity=spec.sensitivity,
            language=spec.language))
        data: dict[str, Any] = {
            "id": testimony_id, "source_id": source_id, "pseudonym": pseudonym,
            "sensitivity": str(spec.sensitivity), "created_at": utc_now(),
            **{k: v for k, v in asdict(spec).items() if k not in ("title", "sensitivity")},
        }
        # Lists and flags travel in the sealed payload; their columns keep no trace.
        data["others_present"] = data["others_present"] or None
        data["materials_shown"] = data["materials_shown"] or None
        data["prior_statements"] = data["prior_statements"] or None
        if spec.sensitivity is Sensitivity.PROTECTED:
            data = tx.seal_protected("testimony", data, testimony_id)
        tx.emit("testimony.recorded", data)
    return {"testimony_id": testimony_id, "source_id": source_id, "pseudonym": pseudonym}


def get_testimony(conn: Connection, ref: str) -> dict[str, Any]:
    """A testimony by its ID, its source's ID or its pseudonym (sealed fields stay sealed)."""
    t = s.testimonies.c
    row = conn.execute(select(s.testimonies).where(
        (t.id == ref) | (t.source_id == ref) | (t.pseudonym == ref))).mappings().first()
    if row is None:
        raise NotFoundError(f"no testimony {ref!r}")
    return dict(row)


def _check_recipient(kind: str, name: str | None) -> str:
    if kind not in RECIPIENT_KINDS:
        raise ValidationError(f"recipient kind {kind!r}: choose one of "
                              f"{', '.join(RECIPIENT_KINDS)}")
    if kind in _UNNAMED:
        return ""
    if not name or not name.strip():
        raise ValidationError(f"a {kind.replace('_', ' ')} recipient needs a name "
                              "(which organisation, mechanism or court)")
    return name.strip()


def set_consent(
    store: Store, testimony_ref: str, recipient_kind: str, recipient: str | None,
    status: str, actor: str, *, date: str | None = None, how: str | None = None,
    informed_defence: bool = False, disclosed: Sequence[str] = (),
) -> int:
    """Record consent (given, refused) or its withdrawal for one recipient.

    A withdrawal lists what was already disclosed to that recipient (``disclosed``: bundle,
    export or publication IDs), so the team knows what can no longer be called back.
    Returns the event's ledger index.
    """
    name = _check_recipient(recipient_kind, recipient)
    if status not in CONSENT_STATES:
        raise ValidationError(f"consent {status!r}: choose one of {', '.join(CONSENT_STATES)}")
    if status == "given" and not how:
        raise ValidationError("say how consent was given (signed form, recorded orally…)")
    if disclosed and status != "withdrawn":
        raise ValidationError("what was already disclosed is listed with a withdrawal only")
    with store.reading() as conn:
        testimony = get_testimony(conn, testimony_ref)
    with store.transaction(actor) as tx:
        return tx.emit("consent.recorded", {
            "id": new_id("consent"), "testimony_id": testimony["id"],
            "source_id": testimony["source_id"], "recipient_kind": recipient_kind,
            "recipient": name, "status": status, "date": date or utc_now()[:10],
            "how": how, "informed_defence": bool(informed_defence),
            "disclosed": list(disclosed), "at": utc_now(),
        })


def consents(conn: Connection, source_id: str) -> list[dict[str, Any]]:
    """The current consent per recipient of a testimony's source (latest event wins)."""
    c = s.consents.c
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for row in conn.execute(select(s.consents).where(c.source_id == source_id)
                            .order_by(c.ledger_index)).mappings():
        latest[(row["recipient_kind"], row["recipient"])] = dict(row)
    return [latest[k] for k in sorted(latest)]


def consent_allows(
    conn: Connection, source_ids: Sequence[str], recipient_kind: str, recipient: str | None,
) -> bool:
    """Whether every testimony among these sources consents to this recipient now.

    Sources that are not testimonies need no consent. The team holds its own material:
    a testimony with no consent recorded for the team still reaches the team, but no one
    else. This is the consent hook of the one disclosure function (``access``).
    """
    name = _check_recipient(recipient_kind, recipient)
    t = s.testimonies.c
    testimony_sources = set(conn.execute(
        select(t.source_id).where(t.source_id.in_(list(source_ids)))).scalars())
    for source_id in sorted(testimony_sources):
        current = {(r["recipient_kind"], r["recipient"]): r["status"]
                   for r in consents(conn, str(source_id))}
        status = current.get((recipient_kind, name))
        if status is None and recipient_kind == "team":
            continue
        if status != "given":
            return False
    return True


# --- consent in the one disclosure rule (access.disclosure) -----------------------------

#: Tables whose protected rows carry a source's material, and the column naming it.
_CONSENTED = {"sources": "id", "items": "source_id", "item_metadata": "source_id",
              "records": "source_id", "lists": "source_id", "list_imports": "source_id"}


def consent_given(source: ColumnElement[Any]) -> ColumnElement[bool]:
    """SQL: the witness of testimony ``source`` consents now (latest consent event per
    recipient wins) to the bound audience (:data:`~dadkhahi.access.disclosure.AUDIENCE_KIND`
    and :data:`~dadkhahi.access.disclosure.AUDIENCE_NAME`)."""
    c = s.consents.c
    # One flat subquery (no EXISTS within EXISTS): the rule nests once per dependency of
    # an object, and SQLite's parser has a depth limit.
    given = func.max(case((c.status == "given", c.ledger_index)))
    return source.in_(
        select(c.source_id)
        .where(c.recipient_kind == bindparam(AUDIENCE_KIND, type_=Text),
               c.recipient == bindparam(AUDIENCE_NAME, type_=Text))
        .group_by(c.source_id)
        .having(given == func.max(c.ledger_index)))


def _consent_rule(column: str) -> ConsentRule:
    def rule(table: FromClause, tier: Tier) -> ColumnElement[bool] | None:
        # The team holds what witnesses gave it; outside the team, protected material
        # goes only where its witness consented to that very recipient. Protected
        # material of other sources has no witness to consent: it goes to no one outside.
        if tier is not Tier.OUTSIDE:
            return None
        return consent_given(table.c[column])
    return rule


#: The consent rules this module plugs into the disclosure rule, by table.
CONSENT_RULES: dict[str, ConsentRule] = {name: _consent_rule(column)
                                         for name, column in _CONSENTED.items()}
for _table, _rule in CONSENT_RULES.items():
    register_consent(_table, _rule)
