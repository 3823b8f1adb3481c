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
    WITNESS = "witness"
    SOURCE = "source"


class EntityKind(StrEnum):
    """Things a claim can be about."""

    PERSON = "person"
    ORGANIZATION = "organization"
    PLACE = "place"
    ACT = "act"


class CustodyAction(StrEnum):
    """Steps in an item's chain of custody."""

    RECEIVED = "received"
    TRANSFERRED = "transferred"
    COPIED = "copied"
    VERIFIED = "verified"
    DERIVED = "derived"
