"""Request bodies both HTTP faces validate: a source to register, a file's upload fields.

The API shows them in its schema (:mod:`dadkhahi.api.models` names them there too); the
pages validate their forms with the same models, so a form and a request take the same
values.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from dadkhahi.domain.vocab import (
    CaptureResult,
    Credibility,
    Reliability,
    Sensitivity,
    SourceKind,
)

#: Bounds of a short text (a title, a name) and of a long one (notes, a citation).
SHORT = 500
LONG = 20_000


class StrictIn(BaseModel):
    """A request body that refuses keys it does not know."""

    model_config = ConfigDict(extra="forbid")


# A source to register (no docstring: it would become the schema's description).
class SourceIn(StrictIn):
    title: str = Field(min_length=1, max_length=SHORT)
    kind: SourceKind = SourceKind.DOCUMENT
    sensitivity: Sensitivity = Sensitivity.RESTRICTED
    reliability: Reliability = Reliability.F
    credibility: Credibility = Credibility.CANNOT_JUDGE
    collected_by: str | None = Field(None, max_length=SHORT)
    collected_at: str | None = Field(None, max_length=64)
    method: str | None = Field(None, max_length=SHORT)
    location: str | None = Field(None, max_length=SHORT)
    language: str | None = Field(None, max_length=32)
    citation: str | None = Field(None, max_length=LONG)
    notes: str | None = Field(None, max_length=LONG)


class ItemUploadIn(StrictIn):
    """The fields of a file upload into a source."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str | None = Field(None, max_length=1024, description=(
        "Original file name (default: the file part's filename)"))
    from_party: str | None = Field(None, alias="from", max_length=SHORT, description=(
        "Who handed the file over (sealed with the custody entry of a protected item)"))
    how: str | None = Field(None, max_length=SHORT, description="How it was obtained")


class CaptureVerificationIn(StrictIn):
    """A verification of an item's capture time and/or place (sealed with a protected
    item's fields: never in an address)."""

    method: str = Field(min_length=1, max_length=SHORT, description=(
        "How it was verified (geolocation from landmarks, shadows, metadata …)"))
    result: CaptureResult = Field(description=(
        "Whether what was found is consistent with the source's claim"))
    time: str | None = Field(None, max_length=SHORT, description="The capture time found")
    place: str | None = Field(None, max_length=SHORT, description="The capture place found")
    note: str | None = Field(None, max_length=4000)


__all__ = ["LONG", "SHORT", "CaptureVerificationIn", "ItemUploadIn", "SourceIn", "StrictIn"]
