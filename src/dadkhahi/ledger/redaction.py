"""Redacted event bodies: identifying fields taken out of a stored event, its leaf kept.

The ledger is hash-chained over each event's bytes, so an event's words cannot be
changed without breaking every proof after it, unless the tree rests on something
that stays: it does. The tree, every inclusion and consistency proof and every signed
checkpoint are built from the *leaf hashes*, which the store keeps beside each body.
A redaction therefore replaces a stored body by its *redacted form* and keeps the
stored leaf hash: the event's canonical JSON with the named fields of its ``data`` set
to null and one more top-level member, ``"redacted": {"by": N, "fields": [...],
"reason": CODE}``, where ``N`` is the index of the ``event.redacted`` event that
recorded the redaction (the index, the original leaf hash, the fields by name and the
reason code: no value).

What a verifier can check of a redacted body: that a later ``event.redacted`` names its
index, its stored leaf hash and the same fields, that those fields are null, and that
what the body keeps is what the redaction kept: ``event.redacted`` records ``kept``, the
SHA-256 of the redacted body without its marker (:func:`kept_digest`), and is itself a
leaf of the tree, so a later change to a redacted body's other fields is found too.
Its place in the log is still proven (the leaf hash is in the tree). A body that does
not hash to its leaf and is not so named is tampering.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from dadkhahi.ledger.canonical import canonical_json
from dadkhahi.ledger.errors import LedgerInputError

#: The top-level member a redacted body carries (never one of an event's own members).
MARKER = "redacted"
#: The event recording a redaction: ``index``, ``leaf_hash`` (the original, hex), ``type``,
#: ``fields`` (names, sorted), ``reason`` (a code) and ``kept`` (:func:`kept_digest`).
REDACTION_EVENT = "event.redacted"
#: A cheap test before parsing: canonical JSON escapes every quote inside a string, so
#: these bytes occur only as a member name (top-level or nested; :func:`redaction_of`
#: looks at the top level).
_NEEDLE = b'"' + MARKER.encode() + b'":{'


def redact_body(body: bytes, fields: Sequence[str], by: int, reason: str) -> bytes:
    """The redacted form of a stored version-1 event ``body``: ``fields`` of its data set
    to null, marked as redacted by event ``by`` for ``reason``. A body redacted before
    keeps its earlier fields null too (the marker names them all). A batch event
    (version 2) is refused: its leaf is taken over its rows' commitment, not its bytes."""
    parsed: dict[str, Any] = json.loads(body)
    if parsed.get("v") != 1:
        raise LedgerInputError("only a version-1 event can be redacted")
    prior = parsed.pop(MARKER, None)
    names = sorted({*fields, *((prior or {}).get("fields") or ())})
    data = dict(parsed["data"])
    for name in names:
        if name not in data:
            raise LedgerInputError(f"the event has no field {name!r} to redact")
        data[name] = None
    return canonical_json({**parsed, "data": data,
                           MARKER: {"by": by, "fields": names, "reason": reason}})


def kept_digest(body: bytes) -> str:
    """Hex SHA-256 of what a redacted ``body`` keeps: its canonical JSON without the
    marker (which names the ``event.redacted`` recording it, so it cannot be in the
    digest that event carries)."""
    parsed: dict[str, Any] = json.loads(body)
    parsed.pop(MARKER, None)
    return hashlib.sha256(canonical_json(parsed)).hexdigest()


def redaction_of(body: bytes) -> dict[str, Any] | None:
    """The ``redacted`` marker of a stored body, or None for a body as written."""
    if _NEEDLE not in body:
        return None
    try:
        marker = json.loads(body).get(MARKER)
    except (ValueError, AttributeError):
        return None
    return marker if isinstance(marker, dict) else None


def redacted_fields(body: bytes) -> list[str]:
    """The fields a stored body has redacted (none for a body as written)."""
    marker = redaction_of(body)
    return list(marker.get("fields") or ()) if marker else []


def redaction_problem(index: int, body: bytes, leaf_hash: bytes,
                      recorded: Mapping[str, Any] | None) -> str | None:
    """Why the redacted ``body`` of event ``index`` (stored beside ``leaf_hash``) is not
    accepted, or None when it is: ``recorded`` is the data of the event its marker names
    as the redaction (None when that is no ``event.redacted``, or comes before it)."""
    marker = redaction_of(body)
    if marker is None:
        return "body does not match its leaf hash"
    if recorded is None:
        return "redacted body names no later event.redacted"
    if recorded.get("index") != index or recorded.get("leaf_hash") != leaf_hash.hex():
        return "redacted body: its event.redacted names another event or leaf hash"
    if sorted(recorded.get("fields") or ()) != list(marker.get("fields") or ()):
        return "redacted body: its fields differ from those its event.redacted names"
    data = json.loads(body).get("data") or {}
    if any(data.get(name) is not None for name in marker.get("fields") or ()):
        return "redacted body: a field named redacted still holds a value"
    if recorded.get("kept") != kept_digest(body):
        return "redacted body: what it keeps differs from what its event.redacted recorded"
    return None


__all__ = ["MARKER", "REDACTION_EVENT", "kept_digest", "redact_body", "redacted_fields",
           "redaction_of", "redaction_problem"]
