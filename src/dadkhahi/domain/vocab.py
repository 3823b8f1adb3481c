"""Controlled vocabularies shared by every layer.

Values are lower-case strings so they read well in JSON, SQL and the ledger,
and so a stored value never depends on a Python enum's name.
"""

from __future__ import annotations

from enum import StrEnum


class Sensitivity(StrEnum):
    """Who may see a thing: everyone, the team, or named investigators only."""

    PUBLIC = "public"
    RESTRICTED = "restricted"
    PROTECTED = "protected"


def strictest(first: Sensitivity, *others: Sensitivity) -> Sensitivity:
    """The most restrictive of the given sensitivities (protected > restricted > public)."""
    order = list(Sensitivity)
    return max((first, *others), key=order.index)


class SourceKind(StrEnum):
    LIST = "list"
    TESTIMONY = "testimony"
    DOCUMENT = "document"
    ARTICLE = "article"
    DATASET = "dataset"
    PHOTO = "photo"
    VIDEO = "video"
    AUDIO = "audio"


class ListKind(StrEnum):
    """What a list lists: whom its rows are about (decides which lists an estimate uses).

    A list of detainees holds survivors too; it is not a list of the dead.
    """

    VICTIMS = "victims"
    DETAINEES = "detainees"
    PERPETRATORS = "perpetrators"
    OTHER = "other"


class Reliability(StrEnum):
    """Admiralty (NATO) source reliability: A completely reliable … F cannot be judged."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"
    F = "F"


class Credibility(StrEnum):
    """Admiralty information credibility: 1 confirmed … 6 truth cannot be judged."""

    CONFIRMED = "1"
    PROBABLY_TRUE = "2"
    POSSIBLY_TRUE = "3"
    DOUBTFUL = "4"
    IMPROBABLE = "5"
    CANNOT_JUDGE = "6"


class PlaceKind(StrEnum):
    COUNTRY = "country"
    PROVINCE = "province"
    CITY = "city"
    PRISON = "prison"
    BURIAL_SITE = "burial_site"
    COURT = "court"
    OTHER = "other"


class PlaceStatus(StrEnum):
    """State of a site, chiefly of burial sites whose destruction is itself documented."""

    INTACT = "intact"
    DAMAGED = "damaged"
    DESTROYED = "destroyed"
    BUILT_OVER = "built_over"
    UNKNOWN = "unknown"


class ActType(StrEnum):
    """Act types after the HURIDOCS Events Standard Formats, narrowed to this case."""

    EXECUTION = "execution"
    EXTRAJUDICIAL_KILLING = "extrajudicial_killing"
    ENFORCED_DISAPPEARANCE = "enforced_disappearance"
    TORTURE = "torture"
    ARBITRARY_DETENTION = "arbitrary_detention"
    UNMARKED_BURIAL = "unmarked_burial"
    DESTRUCTION_OF_GRAVES = "destruction_of_graves"
    SHAM_TRIAL = "sham_trial"
    PERSECUTION_OF_FAMILY = "persecution_of_family"


class InvolvementRole(StrEnum):
    """How a person or organisation took part in an act."""

    VICTIM = "victim"
    PERPETRATOR_ORDERED = "perpetrator_ordered"
    PERPETRATOR_CARRIED_OUT = "perpetrator_carried_out"
    PERPETRATOR_TOOK_PART = "perpetrator_took_part"
    PERPETRATOR_COMMISSION_MEMBER = "perpetrator_commission_member"
    # Factual roles (issue 16): what a source says a person did, never what it makes
    # them in law; modes of liability belong to a charge inside a case.
    SIGNED = "signed"
    INTERROGATED = "interrogated"
    GUARDED = "guarded"
    TRANSPORTED = "transported"
    BURIED = "buried"
    SAT_ON_COMMISSION = "sat_on_commission"
    WITNESS = "witness"
    SOURCE = "source"


#: Roles that name someone as having taken part on the side of those who acted
#: (what the perpetrator registry lists); victims, witnesses and sources are not.
ALLEGED_ROLES = frozenset({
    InvolvementRole.PERPETRATOR_ORDERED, InvolvementRole.PERPETRATOR_CARRIED_OUT,
    InvolvementRole.PERPETRATOR_TOOK_PART, InvolvementRole.PERPETRATOR_COMMISSION_MEMBER,
    InvolvementRole.SIGNED, InvolvementRole.INTERROGATED, InvolvementRole.GUARDED,
    InvolvementRole.TRANSPORTED, InvolvementRole.BURIED, InvolvementRole.SAT_ON_COMMISSION,
})


class SourceLinkKind(StrEnum):
    """How two sources depend on each other; linked sources do not corroborate each other."""

    DERIVED_FROM = "derived_from"
    CITES = "cites"
    SAME_COMPILER = "same_compiler"
    SAME_INTERVIEW_SESSION = "same_interview_session"


class Direction(StrEnum):
    """Which way a fact or exhibit points for a charge."""

    INCRIMINATING = "incriminating"
    EXCULPATORY = "exculpatory"
    MIXED = "mixed"


class GapStatus(StrEnum):
    """A lawyer's mark on a gap in the evidence (an element without enough support)."""

    INVESTIGATING = "investigating"
    UNOBTAINABLE = "unobtainable"
    ACCEPTED = "accepted"


class EntityKind(StrEnum):
    """Things a claim can be about."""

    PERSON = "person"
    ORGANIZATION = "organization"
    PLACE = "place"
    ACT = "act"


#: The property of the claim an act recorded or corrected from a source carries (what the
#: source says happened, when): each version of the act rests on one (``services.objects``),
#: and erasing that source erases the version (``intake.erasure``).
ACT_ACCOUNT = "account"


class CaptureResult(StrEnum):
    """What a verification of an item's capture time or place found, against what its
    source claims: a judgement of consistency, never "proven" (a court's finding)."""

    CONSISTENT = "consistent"
    INCONSISTENT = "inconsistent"
    INCONCLUSIVE = "inconclusive"


class CustodyAction(StrEnum):
    """Steps in an item's chain of custody."""

    RECEIVED = "received"
    TRANSFERRED = "transferred"
    COPIED = "copied"
    VERIFIED = "verified"
    DERIVED = "derived"


class Role(StrEnum):
    """Team roles, from public-only to administration (what each may do:
    ``access.policy.ROLE_PERMISSIONS``)."""

    VIEWER = "viewer"
    RESEARCHER = "researcher"
    INVESTIGATOR = "investigator"
    ANALYST = "analyst"
    LAWYER = "lawyer"
    ADMIN = "admin"


#: Review decisions on a pair of records. ``same`` and ``different`` decide the pair;
#: ``unsure`` (the reviewer cannot tell: another reviewer takes it) and ``withdrawn`` (an
#: undo with nothing earlier to return to) leave no decision in force.
LINK_DECISIONS = ("same", "different", "unsure", "withdrawn")
DECISIONS_IN_FORCE = ("same", "different")


#: Claim statuses never shown as standing facts: replaced by a later linkage run
#: (``superseded``) or withdrawn by their source (``retracted``).
HIDDEN_CLAIM_STATUSES: tuple[str, ...] = ("superseded", "retracted")
