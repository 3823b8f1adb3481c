"""What a person says about a source when registering it."""

from __future__ import annotations

from dataclasses import dataclass

from dadkhahi.domain.protected import REDACTED
from dadkhahi.domain.vocab import Credibility, Reliability, Sensitivity, SourceKind

__all__ = ["REDACTED", "SourceSpec"]


@dataclass(frozen=True)
class SourceSpec:
    """A source to register: where information came from and how far to trust it."""

    title: str
    kind: SourceKind = SourceKind.DOCUMENT
    sensitivity: Sensitivity = Sensitivity.RESTRICTED
    reliability: Reliability = Reliability.F
    credibility: Credibility = Credibility.CANNOT_JUDGE
    collected_by: str | None = None
    collected_at: str | None = None
    method: str | None = None
    location: str | None = None
    language: str | None = None
    citation: str | None = None
    notes: str | None = None
