"""Frameworks of elements as data: the shipped three, a fourth from a file alone, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dadkhahi.cases.frameworks import (
    builtin_frameworks,
    find_framework,
    frameworks,
    load_framework,
)
from dadkhahi.domain.errors import NotFoundError, UserError


def test_three_frameworks_ship_with_the_crimes_the_issue_names() -> None:
    shipped = {f.id: f for f in builtin_frameworks()}
    assert set(shipped) == {"rome-statute-art7", "war-crimes-art8-2-c-i", "national-murder"}
    art7 = shipped["rome-statute-art7"]
    assert [c.id for c in art7.crimes] == [
        "7(1)(a)", "7(1)(b)", "7(1)(e)", "7(1)(f)", "7(1)(h)", "7(1)(i)", "7(1)(k)"]
    # The ICC has no jurisdiction over 1988 (art. 11): the file says so and starts in 2002.
    assert art7.temporal.from_ == "2002-07-01"
    assert "1988" in art7.temporal.note.en
    assert "25(3)(b)" in {m.id for m in art7.modes_of_liability}
    war = shipped["war-crimes-art8-2-c-i"]
    assert "hors de combat" in war.crime("8(2)(c)(i)-1").elements[1].text.en


def test_contextual_elements_are_defined_once_and_shared() -> None:
    art7 = find_framework("rome-statute-art7", builtin_frameworks())
    murder = art7.elements_of("7(1)(a)")
    torture = art7.elements_of("7(1)(f)")
    assert [e.id for e in murder] == ["1", "ctx:attack", "ctx:knowledge"]
    assert [e.id for e in torture] == ["1", "2", "3", "ctx:attack", "ctx:knowledge"]
    # The very same text object: one definition, not two copies that could drift.
    assert murder[1].text == torture[3].text == art7.contextual_elements[0].text
    # Every element reads in both languages.
    assert all(e.text.fa and e.text.en for f in builtin_frameworks()
               for c in f.crimes for e in f.elements_of(c.id))


def _fourth() -> dict[str, object]:
    return {
        "format": "dadkhahi-framework/v1",
        "id": "example-code-art-123",
        "title": {"en": "Example code: torture", "fa": "قانون نمونه: شکنجه"},
        "jurisdiction": "An example national court (synthetic, for tests)",
        "instrument": "Example Code, art. 123",
        "temporal": {"from": "1980-01-01", "to": None,
                     "note": {"en": "In force since 1980.", "fa": "از ۱۹۸۰ لازم‌الاجرا."}},
        "contextual_elements": [
            {"id": "official", "text": {"en": "The accused acted as a public official.",
                                        "fa": "متهم در مقام مأمور دولت عمل کرد."}}],
        "crimes": [{
            "id": "123",
            "title": {"en": "Torture", "fa": "شکنجه"},
            "elements": [{"id": "1", "text": {"en": "Severe pain was inflicted.",
                                              "fa": "درد شدید وارد شد."}}],
            "contextual": ["official"]}],
        "modes_of_liability": [{"id": "perpetrator",
                                "text": {"en": "Perpetrator", "fa": "مباشر"}}],
    }


def test_a_fourth_framework_comes_from_a_data_file_alone(tmp_path: Path) -> None:
    folder = tmp_path / "frameworks"
    folder.mkdir()
    (folder / "example.json").write_text(json.dumps(_fourth(), ensure_ascii=False), "utf-8")
    available = frameworks([folder])
    assert len(available) == 4
    added = find_framework("example-code-art-123", available)
    assert [e.id for e in added.elements_of("123")] == ["1", "ctx:official"]
    assert added.mode("perpetrator").text.fa == "مباشر"
    with pytest.raises(NotFoundError, match="has no crime '999'"):
        added.crime("999")
    # The same ID twice (a copy of a shipped file) is refused, naming it.
    (folder / "copy.json").write_text(json.dumps(_fourth()), "utf-8")
    with pytest.raises(UserError, match="example-code-art-123"):
        frameworks([folder])


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d.pop("jurisdiction"), "jurisdiction: Field required"),
    (lambda d: d["crimes"][0].update(contextual=["nowhere"]), "unknown contextual elements"),
    (lambda d: d["title"].pop("fa"), "title.fa: Field required"),
    (lambda d: d.update(format="other/v9"), "format"),
    (lambda d: d["temporal"].update(to="1988/07/19"), "temporal.to"),
])
def test_a_bad_framework_file_is_refused_naming_the_field(
    tmp_path: Path, change: object, expected: str
) -> None:
    data = _fourth()
    change(data)  # type: ignore[operator]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), "utf-8")
    with pytest.raises(UserError, match=expected) as caught:
        load_framework(path)
    assert str(caught.value).startswith("bad.json: ")


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json", "utf-8")
    with pytest.raises(UserError, match=r"broken\.json: not a readable JSON framework file"):
        load_framework(path)
