"""The list import wizard: upload, what was read, columns, dry run, confirm, cancel."""

from __future__ import annotations

import json
import re

from api_world import World
from fastapi import FastAPI
from sqlalchemy import func, select
from test_web_sources import _multipart
from web_world import client_for, csrf_of

from dadkhahi.domain.vocab import Sensitivity
from dadkhahi.store import schema as s
from dadkhahi.store.actors import pseudonym_in


def _arabic_letters(text: str) -> str:
    """Windows-1256 has Arabic yeh and kaf only, as lists typed on it do."""
    return text.replace("ی", "ي").replace("ک", "ك")


FULL_NAME = _arabic_letters("نام و نام خانوادگی")
#: Windows-1256, as lists typed on Persian Windows often are; line 3 has a bad date.
LIST = _arabic_letters(
    "شناسه,نام و نام خانوادگی,نام پدر,تاریخ اعدام,شهر\n"
    "W1,رضا SYNTHETIC,علی,1367/05/12,تهران\n"
    "W2,زهرا SYNTHETIC,حسن,not a date,شیراز\n").encode("cp1256")
_STAGED = re.compile(r'name="staged" value="([0-9a-f]{32})"')


def _records(world: World) -> int:
    with world.store.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(s.records)).scalar_one())


def _start(client, source: str, body: bytes, name: str = "list.csv"):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/en/imports").text)
    data, headers = _multipart({"csrf": token, "source": source, "sensitivity": ""},
                               body, name)
    return client.post("/en/imports", content=data, headers=headers)


def _form(html: str, **changes: str) -> dict[str, str]:
    """The column form as the browser would send it (selected options), changed."""
    form = {"csrf": csrf_of(html), "staged": _STAGED.search(html).group(1)}  # type: ignore[union-attr]
    for name in ("source", "sensitivity", "new_version_of"):
        form[name] = re.search(rf'name="{name}" value="([^"]*)"', html).group(1)  # type: ignore[union-attr]
    for menu in re.finditer(r'<select id="[^"]+" name="([^"]+)">(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', menu.group(2))
        form[menu.group(1)] = chosen.group(1) if chosen else ""
    form.update(changes)
    return form


def test_wizard_reads_suggests_dry_runs_by_line_and_confirms(app: FastAPI,
                                                            world: World) -> None:
    client = client_for(app, world, "investigator_g")
    source = world.objects[Sensitivity.RESTRICTED].list_source
    before = _records(world)
    read = _start(client, source, LIST)
    assert read.status_code == 200
    html = read.text
    assert "windows-1256" in html.lower() or "cp1256" in html.lower()  # detected encoding
    assert "رضا SYNTHETIC" in html  # the first rows, decoded
    # The project's suggestions are preselected (header spellings in Persian).
    assert re.search(rf'name="map_full_name">.*?value="{FULL_NAME}"[^>]*selected', html,
                     re.S)
    death = _arabic_letters("تاریخ اعدام")
    assert re.search(rf'name="map_death_date">.*?value="{death}"[^>]*selected', html, re.S)
    assert _STAGED.search(html) and "staged" not in read.headers.get("location", "")
    dry = client.post("/en/imports/check", data=_form(html, action="dry-run",
                                                      id_column="شناسه"))
    assert dry.status_code == 422
    assert re.search(r"<td>3</td><td>.*death_date.*</td>", dry.text)  # line and field
    assert "Confirm the import" not in dry.text
    assert _records(world) == before  # a dry run stores nothing
    # Map the date to no column: the dry run passes, then confirm imports both rows.
    fixed = client.post("/en/imports/check", data=_form(
        dry.text, action="dry-run", id_column="شناسه", map_death_date=""))
    assert fixed.status_code == 200 and "All 2 rows can be imported." in fixed.text
    done = client.post("/en/imports/check", data=_form(fixed.text, action="confirm"))
    assert done.status_code == 200 and "2 records were imported" in done.text
    assert _records(world) == before + 2
    with world.store.reading() as conn:
        body = conn.execute(select(s.ledger_events.c.body).order_by(
            s.ledger_events.c.idx.desc()).limit(1)).scalar_one()
    with world.store.reading() as conn:  # a user's pseudonym is keyed on their account
        investigator = pseudonym_in(conn, world.store.keys, "investigator_g")
    assert json.loads(body)["actor"] == investigator
    # The staged file is gone: the same token cannot import twice.
    again = client.post("/en/imports/check", data=_form(fixed.text, action="confirm"))
    assert again.status_code == 404
    staging = world.store.home.path / "uploads"
    assert not list(staging.glob("wizard-*"))


def test_a_staged_upload_is_its_uploaders_only_and_cancel_deletes_it(
        app: FastAPI, world: World) -> None:
    source = world.objects[Sensitivity.PUBLIC].list_source
    owner = client_for(app, world, "investigator_g")
    read = _start(owner, source, LIST.replace(b"W1", b"X1"))
    assert read.status_code == 200
    other = client_for(app, world, "admin_g")
    form = _form(read.text, action="dry-run")
    form["csrf"] = csrf_of(other.get("/en/imports").text)
    assert other.post("/en/imports/check", data=form).status_code == 404
    cancel = owner.post("/en/imports/check", data=_form(read.text, action="cancel"))
    assert cancel.status_code == 303
    assert not list((world.store.home.path / "uploads").glob("wizard-*"))


def test_wizard_refuses_without_permission_or_with_an_unreadable_file(
        app: FastAPI, world: World) -> None:
    source = world.objects[Sensitivity.PUBLIC].list_source
    researcher = client_for(app, world, "researcher")
    assert researcher.get("/en/imports").status_code == 403
    assert "List import" not in researcher.get("/en/").text
    client = client_for(app, world, "investigator_g")
    bad = _start(client, source, b"\x89PNG\r\n\x1a\n" + bytes(100), "x.csv")
    assert bad.status_code == 422 and 'id="f-file-error"' in bad.text
    hidden = _start(client_for(app, world, "analyst"),
                    world.objects[Sensitivity.PROTECTED].list_source, LIST)
    assert hidden.status_code in (403, 422) and "SECRET" not in hidden.text
    assert not list((world.store.home.path / "uploads").glob("wizard-*"))


def _start_version(client, list_id: str, body: bytes, source: str = ""):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get("/en/imports").text)
    data, headers = _multipart({"csrf": token, "source": source, "sensitivity": "",
                                "new_version_of": list_id}, body, "corrected.csv")
    return client.post("/en/imports", content=data, headers=headers)


def test_a_corrected_file_becomes_the_list_s_next_version_and_shows_what_changed(
        app: FastAPI, world: World) -> None:
    client = client_for(app, world, "investigator_g")
    first = _start(client, world.objects[Sensitivity.PUBLIC].list_source,
                   LIST.replace(b"W1", b"V1").replace(b"W2", b"V2"))
    dry = client.post("/en/imports/check", data=_form(
        first.text, action="dry-run", id_column="شناسه", map_death_date=""))
    done = client.post("/en/imports/check", data=_form(dry.text, action="confirm"))
    assert done.status_code == 200 and "What the new version changed" not in done.text
    list_id = re.search(r'(lst_\w+)', done.text).group(1)  # type: ignore[union-attr]
    # The list is offered as one a corrected file may replace.
    assert f'<option value="{list_id}"' in client.get("/en/imports").text
    # Line 3's date corrected, a row added: the next version of that list.
    fixed = LIST.replace(b"W1", b"V1").replace(b"W2", b"V2").replace(
        b"not a date", b"1367/05/14") + _arabic_letters("V3,مینا SYNTHETIC,رضا,1367/05/20,قم\n"
                                                       ).encode("cp1256")
    read = _start_version(client, list_id, fixed)
    assert read.status_code == 200 and f'name="new_version_of" value="{list_id}"' in read.text
    dry = client.post("/en/imports/check", data=_form(read.text, action="dry-run",
                                                      id_column="شناسه"))
    assert "All 3 rows can be imported." in dry.text
    before = _records(world)
    made = client.post("/en/imports/check", data=_form(dry.text, action="confirm"))
    assert made.status_code == 200 and "What the new version changed" in made.text
    shown = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", made.text))
    assert (shown["Added"], shown["Removed"], shown["Changed"], shown["Unchanged"]) == (
        "1", "0", "2 (2 in fields linkage compares)", "0"), shown
    assert "new version 2 of list" in made.text
    assert _records(world) == before + 3  # the version before stays, superseded
    with world.store.reading() as conn:
        versions = conn.execute(select(s.list_imports.c.list_id).where(
            s.list_imports.c.list_id == list_id)).all()
    assert len(versions) == 2
    # No permission, no version; an unknown list is "no such list"; a source and a list
    # together are refused (a new version stays with its list's source).
    assert _start_version(client_for(app, world, "analyst"), list_id,
                          fixed).status_code == 403
    unknown = _start_version(client, "lst_" + "0" * 20, fixed)
    assert unknown.status_code == 422 and 'id="f-new_version_of-error"' in unknown.text
    both = _start_version(client, list_id, fixed, source="anything")
    assert both.status_code == 422 and 'id="f-source-error"' in both.text
    assert not list((world.store.home.path / "uploads").glob("wizard-*"))
