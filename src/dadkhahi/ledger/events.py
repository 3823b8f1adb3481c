"""Ledger events: the one thing the ledger stores, as canonical JSON (RFC 8785).

An event's bytes are its identity: the leaf hash is taken over :meth:`Event.to_bytes`, so
those bytes must be reproducible by anyone. :meth:`Event.from_bytes` therefore accepts only
input that is already canonical and re-serialises to the very same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from dadkhahi.ledger.canonical import canonical_json
from dadkhahi.ledger.errors import LedgerInputError, VerificationError

EVENT_VERSION = 1
"""The ``v`` field every event carries; bump it when the envelope changes."""

_MAX_SAFE_INT = 2**53 - 1
_FIELDS = frozenset({"v", "type", "actor", "time", "data"})
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


def encode_event(type: str, data: Mapping[str, Any], actor: str, time: str) -> bytes:
    """The canonical bytes of an event, without building an :class:`Event`.

    The store's write path needs only the bytes; skipping the frozen copy keeps
    batched appends fast. Same checks and the same bytes as ``Event(...).to_bytes()``.
    """
    if not isinstance(type, str) or not type:
        raise LedgerInputError("event type must be a non-empty string")
    if not isinstance(actor, str) or not actor:
        raise LedgerInputError("event actor must be a non-empty string")
    if not isinstance(data, Mapping):
        raise LedgerInputError("event data must be a JSON object (a mapping)")
    _check_time(time)
    return canonical_json(
        {"v": EVENT_VERSION, "type": type, "actor": actor, "time": time, "data": data}
    )


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
    _bytes: bytes = field(init=False, repr=False, compare=False, default=b"")

    def __post_init__(self) -> None:
        body = encode_event(self.type, self.data, self.actor, self.time)
        object.__setattr__(self, "_bytes", body)
        object.__setattr__(self, "data", _freeze(self.data))

    def __hash__(self) -> int:
        return hash(self._bytes)

    @classmethod
    def now(cls, type: str, data: Mapping[str, Any], actor: str) -> Event:
        """An event stamped with the current UTC time."""
        return cls(type=type, data=data, actor=actor, time=utc_now())

    def to_bytes(self) -> bytes:
        """Canonical JSON of ``{"v":1,"type":…,"actor":…,"time":…,"data":…}``: the leaf data."""
        return self._bytes

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
        if type(version) is not int or version != EVENT_VERSION:
            raise VerificationError(f"unsupported event version {version!r}")
        try:
            event = cls(
                type=parsed["type"],
                data=parsed["data"],
                actor=parsed["actor"],
                time=parsed["time"],
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
