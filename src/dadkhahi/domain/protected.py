"""Which fields of a protected object stay in clear: all others are sealed.

A protected object's every field is sealed (encrypted under an erasable data key,
in its row and in its ledger event) except what identifies and links the row
and what the ledger needs to prove it: its ID, kind, sensitivity, foreign keys
and content hashes, plus the system's own timestamps (equal to the event's time,
which the ledger shows anyway), content size and media type (properties of the
hashed bytes) and flags. The lists below are allow-lists, so a field added later
is sealed unless someone decides otherwise here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

#: What stands in the plain column of a sealed text field.
REDACTED = "[protected]"

_ALWAYS = frozenset({"id", "sensitivity"})

CLEAR_FIELDS: dict[str, frozenset[str]] = {
    "source": _ALWAYS | {"kind", "created_at"},
    "item": _ALWAYS | {"source_id", "sha256", "size", "media_type", "received_at",
                       "derived_from", "derivation"},
    "custody": _ALWAYS | {"item_id", "action", "actor", "location", "sha256", "at"},
    # A verification of a protected item's capture: which item, whose pseudonym, when and
    # the result stay in clear; the capture time and place found, the method and the note
    # (which can point at the witness or the place) are sealed.
    "capture_verification": _ALWAYS | {"item_id", "source_id", "actor", "at", "result"},
    "person": _ALWAYS | {"synthetic"},
    "organization": _ALWAYS,
    "place": _ALWAYS | {"kind", "parent_id"},
    "act": _ALWAYS | {"type", "place_id"},
    # Which sources support an involvement stays in clear, as a claim's does.
    "involvement": _ALWAYS | {"act_id", "person_id", "organization_id", "support"},
    "claim": _ALWAYS | {"entity_kind", "entity_id", "property", "status", "support"},
    # The witness, the interview's circumstances and language are sealed; a random
    # pseudonym is what others see. ``changed`` (the names of the fields a change of the
    # interview changed) belongs to its events.
    "testimony": _ALWAYS | {"source_id", "pseudonym", "created_at", "changed"},
    # A protected list's file: what the system read it as stays in clear; the names of
    # its columns and sheet (which a team may write a witness's name into) are sealed.
    "list_import": _ALWAYS | {"list_id", "list_version", "supersedes", "source_id", "item_id",
                              "sha256", "format", "encoding", "delimiter", "imported_at"},
    # A protected list: its source, provenance references (IDs), current version and
    # time stay in clear; what it lists, the provinces and the period it covers (which
    # can point at a family or a town) are sealed. ``list_id`` and ``changed`` (the
    # names of the fields a description changed) belong to its events.
    "list": _ALWAYS | {"source_id", "derived_from", "compiled_by", "current_import_id",
                       "versions", "created_at", "list_id", "changed"},
    # A passage's words, its direct/hearsay mark, time codes and translations are sealed.
    "segment": _ALWAYS | {"testimony_id", "source_id", "seq"},
    "translation": _ALWAYS | {"segment_id", "testimony_id", "source_id", "created_at"},
    # A review decision touching a protected record: which records, what was decided,
    # by whose pseudonym and when stay in clear; the reviewer's note (free text that
    # may name the person) is sealed.
    "link_decision": frozenset({"id", "record_a", "record_b", "decision", "actor", "run_id",
                                "probability", "decided_at", "carried_from"}),
    # What a protected text names, where, and the claims proposed from it are sealed;
    # the links to the run, item and source, the kind and the review state stay clear.
    "mention": _ALWAYS | {"run_id", "item_id", "text_item_id", "source_id", "seq", "kind"},
    "proposal": _ALWAYS | {"run_id", "item_id", "text_item_id", "source_id", "seq",
                           "property", "status", "claim_id", "mention_ids"},
}


#: Where a custody step that handed an item over in a court bundle puts it
#: (``bundle:<export ID>``). Such a step's sealed fields name the recipient (a court, a
#: prosecutor's office), which is the case's business: only the case's team reads them
#: (``access.reads.custody_of``), whoever may see the item.
BUNDLE_LOCATION = "bundle:"

#: How a court transfer written before 8e1750f (stop 24) begins its ``how``, the recipient
#: in clear: "transferred to <recipient> in court bundle <export ID> (exhibit N)".
_CLEAR_TRANSFER = "transferred to "
_TRANSFER_TAIL = re.compile(r" in court bundle (\S+) \(exhibit ([^()]*)\)\Z")


def court_transfer_placeholder(export_id: str, exhibit: object) -> str:
    """What a court transfer's ``how`` reads as where its recipient is sealed."""
    return (f"transferred in court bundle {export_id} (exhibit {exhibit}) "
            "to a recipient sealed in the ledger")


def clear_court_transfer(data: Mapping[str, Any]) -> str | None:
    """The placeholder for a court transfer whose ``how`` names the recipient in clear (a
    custody row or event written before 8e1750f); None for anything else.

    The ledger is append-only, so those events keep the recipient for ever: readers outside
    the case's team get the event withheld and the row's ``how`` as this placeholder."""
    how, location = data.get("how"), str(data.get("location") or "")
    if (data.get("sealed") or not location.startswith(BUNDLE_LOCATION)
            or not isinstance(how, str) or not how.startswith(_CLEAR_TRANSFER)):
        return None
    tail = _TRANSFER_TAIL.search(how)
    # Only the bundle and exhibit are shown; a how that does not parse shows neither.
    return REDACTED if tail is None else court_transfer_placeholder(*tail.groups())

#: The key under which a sealed payload keeps its supports' locators, in support order.
SUPPORT_LOCATORS = "support_locators"


def open_locators(
    support: Sequence[Mapping[str, Any]], payload: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """Supports (each with its ``seq``) with the locators sealed in ``payload`` laid back.

    Without a payload (not sealed, or erased) the supports are returned as they are.
    """
    locators = (payload or {}).get(SUPPORT_LOCATORS)
    if not locators:
        return [dict(x) for x in support]
    return [{**x, "locator": locators[int(x["seq"])]} if int(x["seq"]) < len(locators)
            else dict(x) for x in support]


def placeholder(value: object) -> object:
    """What a sealed field's clear column holds instead of its value."""
    if isinstance(value, dict):
        return {}
    if isinstance(value, list):
        return []
    return REDACTED if isinstance(value, str) else None
