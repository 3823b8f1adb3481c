"""What extraction produces: pages of text with where each line came from and how sure it is.

The text is kept exactly as the tool gave it (search normalises a copy, never this). A
line's box is in the page's own units (PDF points for a text layer, pixels of the rendered
image for OCR) so a reviewer can be shown the spot on the page image.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dadkhahi.domain.errors import UserError


class ExtractionError(UserError):
    """The file's text cannot be extracted (encrypted, corrupt, empty, too large…).

    The original stays stored and hashed; the failure is recorded on the item.
    """


@dataclass(frozen=True)
class Word:
    text: str
    box: tuple[float, float, float, float]
    confidence: float | None = None  # 0–100 (OCR); None for a text layer


@dataclass(frozen=True)
class Line:
    text: str
    box: tuple[float, float, float, float] | None = None
    confidence: float | None = None  # mean of the words' confidences (OCR)
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Page:
    """One page (a PDF page, an image, or the whole of a text document)."""

    number: int  # 1-based
    text: str
    method: str  # "text-layer", "ocr", "docx", "odt", "html", "plain"
    lines: tuple[Line, ...] = ()
    confidence: float | None = None  # OCR mean word confidence on the page
    width: float | None = None
    height: float | None = None
    language: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form (the derivative's stored body)."""
        return {
            "number": self.number, "text": self.text, "method": self.method,
            "confidence": self.confidence, "width": self.width, "height": self.height,
            "language": self.language,
            "lines": [{"text": ln.text, "box": ln.box, "confidence": ln.confidence,
                       "words": [[w.text, w.box, w.confidence] for w in ln.words]}
                      for ln in self.lines],
        }


@dataclass(frozen=True)
class Extraction:
    """All the text of one file and the tools that produced it."""

    media_type: str
    pages: tuple[Page, ...]
    tools: dict[str, str] = field(default_factory=dict)  # tool name -> version
    notes: tuple[str, ...] = ()  # what was not possible (e.g. "page 3: image only, no OCR")

    @property
    def text(self) -> str:
        """Every page's text, pages separated by a form feed."""
        return "\f".join(p.text for p in self.pages)

    def low_confidence_pages(self, threshold: float) -> list[int]:
        """OCR pages whose mean word confidence is under ``threshold`` (for transcription)."""
        return [p.number for p in self.pages
                if p.method == "ocr" and (p.confidence is None or p.confidence < threshold)]

    def to_json(self) -> dict[str, Any]:
        return {"media_type": self.media_type, "tools": dict(sorted(self.tools.items())),
                "notes": list(self.notes), "pages": [p.to_json() for p in self.pages]}
