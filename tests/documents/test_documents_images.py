"""A cut-short image is damaged for every reader of ours, whatever Pillow's process-wide
``LOAD_TRUNCATED_IMAGES`` says (issue 11): importing WeasyPrint turns it on, and with it
on Pillow decodes half a PNG or JPEG into a picture padded with grey. The test turns the
switch on itself, as another library in the process would, and reads SYNTHETIC images
cut short: text extraction, the metadata-stripped copy, redaction and the page image
all refuse them, and the switch is given back as it was found."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image, ImageFile

from dadkhahi.documents.extract import extract
from dadkhahi.documents.images import ImageTooLargeError, open_whole
from dadkhahi.documents.model import ExtractionError
from dadkhahi.documents.redact import Area, RedactionError, redact
from dadkhahi.intake.derivatives import strip_image_metadata


def _picture(fmt: str) -> bytes:
    """A noisy picture (so its compressed data is long), encoded as ``fmt``."""
    rng = random.Random(11)
    img = Image.frombytes("RGB", (160, 120), bytes(rng.randrange(256) for _ in range(57600)))
    out = io.BytesIO()
    img.save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def lenient(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pillow's global switch on, as importing WeasyPrint leaves it."""
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)


@pytest.mark.usefixtures("lenient")
@pytest.mark.parametrize(("fmt", "media_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_a_cut_short_image_is_damaged_whatever_pillows_switch_says(
    fmt: str, media_type: str
) -> None:
    whole = _picture(fmt)
    cut = whole[: len(whole) * 2 // 3]
    # The attack: with the switch on, Pillow alone decodes the cut file without a word.
    with Image.open(io.BytesIO(cut)) as img:
        img.load()
    with pytest.raises(ExtractionError, match="cannot be decoded"):
        extract(cut, media_type)
    assert strip_image_metadata(io.BytesIO(cut)) is None
    with pytest.raises(RedactionError, match="cannot be decoded"):
        redact(cut, media_type, areas=[Area(1, (0, 0, 10, 10))])
    with pytest.raises(OSError, match="truncated"), open_whole(cut):
        pass
    # The whole file still reads, and the switch is given back as it was found.
    assert strip_image_metadata(io.BytesIO(whole)) is not None
    with open_whole(whole) as img:
        assert img.size == (160, 120)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True


def test_too_many_pixels_are_refused_before_decoding() -> None:
    with pytest.raises(ImageTooLargeError, match="160x120"), open_whole(
            _picture("PNG"), max_pixels=100):
        pass
