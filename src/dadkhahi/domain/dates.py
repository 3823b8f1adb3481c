"""Uncertain dates: an interval plus the words the source used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class DateRange:
    """A date known to lie between ``earliest`` and ``latest`` (inclusive).

    ``text`` keeps what the source actually said (e.g. "Mordad 1367"), so that
    no conversion ever replaces the evidence.
    """

    earliest: date | None
    latest: date | None
    text: str | None = None

    def edtf(self) -> str:
        """Extended Date/Time Format (ISO 8601-2) rendering of the interval."""
        if self.earliest is None and self.latest is None:
            return "XXXX"
        if self.earliest == self.latest and self.earliest is not None:
            return self.earliest.isoformat()
        left = self.earliest.isoformat() if self.earliest else ".."
        right = self.latest.isoformat() if self.latest else ".."
        return f"{left}/{right}"
