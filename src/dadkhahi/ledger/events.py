"""Ledger events: the one thing the ledger stores, as canonical JSON (RFC 8785).

An event's bytes are its identity: the leaf hash is taken over :meth:`Event.to_bytes`, so
those bytes must be reproducible by anyone. :meth:`Event.from_bytes` therefore accepts only
input that is already canonical and re-serialises to the very same bytes.

Two versions. ``v: 1`` events are hashed as they are stored. ``v: 2`` events are
*batches*: their ``data.records`` is a list of rows, and the leaf is taken over the
event's committed form (:func:`leaf_bytes`), where that list is replaced by
``{"count": N, "root": hex}``, the RFC 9162 Merkle tree hash over the rows' canonical
bytes. So one row can be proven (its bytes and an inclusion path to ``root``) without
disclosing the others (:mod:`dadkhahi.ledger.selective`). The stored event keeps its
rows, so the tables are still projected from, and rebuilt from, the events alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from dadkhahi.ledger.canonical import canonical_json
from dadkhahi.ledger.errors import LedgerInputError, VerificationError
from dadkhahi.ledger.merkle import compute_root, leaf_hash

EVENT_VERSION = 1
"""The ``v`` field of an event hashed as stored; bump it when the envelope changes."""

BATCH_VERSION = 2
"""The ``v`` of a batch event, whose leaf commits to its rows by a Merkle root."""

ROWS_KEY = "records"
"""The data key holding a batch event's rows (a list of JSON objects)."""

_VERSIONS = frozenset({EVENT_VERSION, BATCH_VERSION})

_MAX_SAFE_INT = 2**53 - 1
_FIELDS = frozenset({"v", "type", "actor", "time", "data"})
_HEX64 = re.compile(r"[0-9a-f]{64}", re.ASCII)
_RFC3339_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z", re.ASCII)


def _freeze(value: Any) -> Any:
    """Deep read-only copy, so an event cannot change after its bytes are fixed."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: _freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(_freeze(item) for item in value)
    return value


def _check_time(time: object) -> None:
    if not isinstance(time, str) or not _RFC3339_UTC.fullmatch(time):
        raise LedgerInputError(
            f"event time {time!r} must be RFC 3339 UTC like 2024-05-01T12:00:00Z"
        )
    try:
        datetime.fromisoformat(time)
    except ValueError as exc:
        raise LedgerInputError(f"event time {time!r} is not a real instant: {exc}") from exc


def utc_now() -> str:
    """The current time as RFC 3339 UTC with microseconds and a ``Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode_event(
    type: str, data: Mapping[str, Any], actor: str, time: str, *, batch: bool = False
) -> bytes:
    """The canonical bytes of an event, without building an :class:`Event`.

    The store's write path needs only the bytes; skipping the frozen copy keeps
    batched appends fast. Same checks and the same bytes as ``Event(...).to_bytes()``.
    ``batch``: a version-2 event whose ``data.records`` rows are committed by a Merkle
    root (see the module's docstring).
    """
    return _encode(type, data, actor, time, batch=batch, committed_ok=False)


def encode_batch(type: str, data: Mapping[str, Any], actor: str, time: str
                 ) -> tuple[bytes, bytes]:
    """A batch event's bytes and its committed form (what :func:`leaf_bytes` returns),
    the commitment taken from the rows in hand rather than by parsing the bytes again.

    JCS is a function of the JSON value, so rows in hand and the same rows read back
    give the same canonical bytes, hence the same root.
    """
    body = _encode(type, data, actor, time, batch=True, committed_ok=False)
    committed = {**data, ROWS_KEY: rows_commitment(data[ROWS_KEY])}
    return body, _encode(type, committed, actor, time, batch=True, committed_ok=True)


def _encode(type: str, data: Mapping[str, Any], actor: str, time: str, *, batch: bool,
            committed_ok: bool) -> bytes:
    if not isinstance(type, str) or not type:
        raise LedgerInputError("event type must be a non-empty string")
    if not isinstance(actor, str) or not actor:
        raise LedgerInputError("event actor must be a non-empty string")
    if not isinstance(data, Mapping):
        raise LedgerInputError("event data must be a JSON object (a mapping)")
    _check_time(time)
    if batch:
        _check_rows(data.get(ROWS_KEY), committed_ok=committed_ok)
    return canonical_json({"v": BATCH_VERSION if batch else EVENT_VERSION, "type": type,
                           "actor": actor, "time": time, "data": data})


def _check_rows(rows: object, *, committed_ok: bool) -> None:
    """A batch's rows: a list of JSON objects (or, in a committed form, its commitment)."""
    if committed_ok and isinstance(rows, Mapping) and _is_commitment(rows):
        return
    if not isinstance(rows, list | tuple) or not all(isinstance(r, Mapping) for r in rows):
        raise LedgerInputError(
            f"a batch event (version {BATCH_VERSION}) needs data.{ROWS_KEY}: a list of objects")


def _is_commitment(value: Mapping[str, Any]) -> bool:
    count, root = value.get("count"), value.get("root")
    return (set(value) == {"count", "root"} and type(count) is int and count >= 0
            and isinstance(root, str) and _HEX64.fullmatch(root) is not None)


def rows_commitment(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``{"count": N, "root": hex}``: the RFC 9162 tree hash over the rows' canonical bytes."""
    size, root = compute_root(leaf_hash(canonical_json(row)) for row in rows)
    return {"count": size, "root": root.hex()}


def committed_form(event: Mapping[str, Any]) -> dict[str, Any]:
    """A parsed batch event with its rows replaced by their commitment (idempotent)."""
    data = dict(event["data"])
    rows = data.get(ROWS_KEY)
    if isinstance(rows, list | tuple):
        data[ROWS_KEY] = rows_commitment(rows)
    return {**event, "data": data}


def leaf_bytes(body: bytes) -> bytes:
    """The bytes a stored event's leaf hash is taken over.

    A version-1 event: its bytes. A batch (version 2): its committed form, the rows
    replaced by their Merkle root, so the leaf covers every row through that root.
    """
    if not body.endswith(b',"v":2}'):  # canonical key order puts "v" last
        return body
    parsed = json.loads(body, parse_int=_json_int)
    if parsed.get("v") != BATCH_VERSION:
        return body
    return canonical_json(committed_form(parsed))


@dataclass(frozen=True)
class Event:
    """One ledger event: what happened (``type``, ``data``), who did it, and when (UTC).

    ``data`` must be JSON that RFC 8785 can canonicalise (no NaN, integers within ±2**53);
    it is checked and frozen on construction.
    """

    type: str
    data: Mapping[str, Any]
    actor: str
    time: str
    batch: bool = False
    _bytes: bytes = field(init=False, repr=False, compare=False, default=b"")

    def __post_init__(self) -> None:
        # A parsed batch may be its committed form (rows replaced by their root).
        body = _encode(self.type, self.data, self.actor, self.time, batch=self.batch,
                       committed_ok=True)
        object.__setattr__(self, "_bytes", body)
        object.__setattr__(self, "data", _freeze(self.data))

    def __hash__(self) -> int:
        return hash(self._bytes)

    @classmethod
    def now(cls, type: str, data: Mapping[str, Any], actor: str) -> Event:
        """An event stamped with the current UTC time."""
        return cls(type=type, data=data, actor=actor, time=utc_now())

    def to_bytes(self) -> bytes:
        """Canonical JSON of ``{"v":1,"type":…,"actor":…,"time":…,"data":…}``: the event."""
        return self._bytes

    def leaf_bytes(self) -> bytes:
        """What the leaf hash is taken over (:func:`leaf_bytes`)."""
        return leaf_bytes(self._bytes)

    @classmethod
    def from_bytes(cls, raw: bytes) -> Event:
        """Parse event bytes, refusing anything not byte-for-byte canonical.

        Raises :class:`VerificationError` for invalid UTF-8, invalid JSON, duplicate keys,
        a wrong envelope, or bytes that differ from the canonical form of what they hold.
        """
        if not isinstance(raw, bytes):
            raise VerificationError("event must be bytes")
        try:
            parsed = json.loads(
                raw.decode("utf-8"),
                object_pairs_hook=_object_without_duplicates,
                parse_constant=_reject_constant,
                parse_int=_json_int,
            )
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise VerificationError(f"event is not valid JSON: {exc}") from exc
        if not isinstance(parsed, dict) or set(parsed) != _FIELDS:
            raise VerificationError(f"event must be an object with exactly {sorted(_FIELDS)}")
        version = parsed["v"]
        if type(version) is not int or version not in _VERSIONS:
            raise VerificationError(f"unsupported event version {version!r}")
        try:
            event = cls(
                type=parsed["type"],
                data=parsed["data"],
                actor=parsed["actor"],
                time=parsed["time"],
                batch=version == BATCH_VERSION,
            )
        except LedgerInputError as exc:
            raise VerificationError(f"event is malformed: {exc}") from exc
        if event.to_bytes() != raw:
            raise VerificationError("event bytes are not in canonical form (RFC 8785)")
        return event


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate key in JSON object")
    return obj


def _json_int(text: str) -> int | float:
    """An integer literal; beyond ±(2**53 - 1) it can only be a double, so read it as one.

    Canonical JSON writes a large float such as 2.0**53 as ``9007199254740992``; reading it
    back as a Python int would be refused as out of range. Any literal that is not exactly a
    double fails the byte-for-byte comparison afterwards.
    """
    value = int(text)
    return value if abs(value) <= _MAX_SAFE_INT else float(value)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
