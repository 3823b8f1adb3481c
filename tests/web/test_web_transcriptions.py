"""The transcription pages: a protected PDF page's image beside the box its text is typed
in, two independent transcriptions typed blind, their differences and the resolution;
the page and its image "not found" to anyone without the grant."""

from __future__ import annotations

from pathlib import Path

import pymupdf
from api_world import World
from fastapi import FastAPI
from web_world import client_for, csrf_of

from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.intake import transcriptions as tr
from dadkhahi.intake.evidence import Receipt, add_evidence

FIRST = "SYNTHETICWEBHANDQX zendan 1367 ten"
SECOND = "SYNTHETICWEBHANDQX zendan 1367 two"


def _pdf(world: World, tmp_path: Path) -> str:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 100), "SYNTHETIC scanned letter")
    path = tmp_path / "letter.pdf"
    doc.save(path)
    doc.close()
    source = world.objects[Sensitivity.PROTECTED].source
    return add_evidence(world.store, [path], Receipt(actor="setup"),
                        source_id=source).added[0][1]


def test_two_blind_transcriptions_beside_the_page_image_then_a_resolution(
    app: FastAPI, world: World, tmp_path: Path,
) -> None:
    item = _pdf(world, tmp_path)
    tr.request(world.store, item, [1], "setup", required=2)
    url = f"/en/items/{item}/transcribe?page=1"
    first = client_for(app, world, "investigator_g")
    assert item in first.get("/en/transcriptions").text
    page = first.get(url)
    assert page.status_code == 200 and 'name="text"' in page.text
    assert f"/en/items/{item}/page-image?page=1" in page.text
    image = first.get(f"/en/items/{item}/page-image?page=1")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert "sandbox" in image.headers["content-security-policy"]
    form = {"csrf": csrf_of(page.text), "page": "1", "action": "transcribe"}
    assert first.post(f"/en/items/{item}/transcribe",
                      data={**form, "text": FIRST}).status_code == 303
    second = client_for(app, world, "admin_g")
    blind = second.get(url).text
    assert "SYNTHETICWEBHANDQX" not in blind and 'name="text"' in blind
    assert second.post(f"/en/items/{item}/transcribe", data={
        **form, "csrf": csrf_of(blind), "text": SECOND}).status_code == 303
    reviewer = client_for(app, world, "lawyer_g")
    both = reviewer.get(url).text
    assert "Where the two transcriptions differ" in both and 'value="resolve"' in both
    assert "<td><bdi dir=\"auto\">ten</bdi></td><td><bdi dir=\"auto\">two</bdi></td>" in both
    for who in ("researcher", "admin"):
        hidden = client_for(app, world, who)
        assert hidden.get(url).status_code == 404
        assert hidden.get(f"/en/items/{item}/page-image?page=1").status_code == 404
    assert reviewer.post(f"/en/items/{item}/transcribe", data={
        "csrf": csrf_of(both), "page": "1", "action": "resolve",
        "text": FIRST}).status_code == 303
    done = reviewer.get(url).text
    assert "transcribed" in done and 'name="text"' not in done
    assert item not in reviewer.get("/en/transcriptions").text
