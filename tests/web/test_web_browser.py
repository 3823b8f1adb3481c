"""The workspace in a real Chromium against a real ``dadkhahi serve``.

Every page in both languages at desktop and phone widths: screenshots saved under
``build/screenshots/`` for a reviewer, axe-core finds no serious or critical
violation, no table is cut off at desktop width, nothing loads from another origin or
breaks the CSP, and a Persian page shows no Latin interface text outside user data,
identifiers and hashes. Then the journeys: sign in and out by keyboard, find a person
typed in the other script, record an act and name a person in it inline.

One world, one server for the module, one browser for the session: each costs seconds,
the pages and journeys do not need their own.
"""

from __future__ import annotations

import re
import secrets
import tarfile
from pathlib import Path
from typing import Any

import pytest
from api_world import PASSWORD, World
from browser import (
    LATIN_TEXT,
    ROMANISED,
    axe_problems,
    fonts_drawing,
    shot_name,
    sign_in,
    visit_all,
)
from page_data import (
    PUBLIC,
    WITNESS,
    add_attributed_proposal,
    add_case,
    add_document,
    add_estimates,
    add_facts,
    add_testimonies,
    add_weighed_person,
)
from served import Served
from sqlalchemy import select

#: (screenshot name, path after the language) of every page a signed-in admin opens.
PAGES: list[tuple[str, str]] = [
    ("dashboard", "/"),
    ("search", "/search"),
    ("documents", "/documents"),
    ("documents-filters", "/documents?kind=testimony"),
    ("sources", "/sources"),
    ("imports", "/imports"),
    ("places", "/places"),
    ("review", "/review"),
    ("jobs", "/jobs"),
    ("transcriptions", "/transcriptions"),
]
#: Pages seen signed out.
PUBLIC_PAGES: list[tuple[str, str]] = [
    ("sign-in", "/sign-in"),
    ("dashboard-anonymous", "/"),
]


@pytest.fixture(scope="module")
def facts(world: World) -> dict[str, str]:
    """Acts, officials, estimates and a case for the facts, estimates and case pages."""
    add_estimates(world)
    return {**add_facts(world), "case": add_case(world, ["admin_g"]),
            "document": add_document(world, PUBLIC),
            "testimony": add_testimonies(world)["protected"]}


def _fact_pages(world: World, facts: dict[str, str]) -> list[tuple[str, str]]:
    return [
        ("acts", "/acts"),
        ("act", f"/acts/{facts['act']}"),
        ("act-new", "/acts/new"),
        ("perpetrators", "/perpetrators"),
        ("organizations", "/organizations"),
        ("organization", f"/organizations/{world.objects[PUBLIC].organization}"),
        ("timeline", "/timeline"),
        ("estimates", "/estimates"),
        ("admin-users", "/admin/users"),
        ("admin-audit", "/admin/audit"),
        ("cases", "/cases"),
        ("case", f"/cases/{facts['case']}"),
        ("item-text", f"/items/{facts['document']}/text"),
        ("testimonies", "/testimonies"),
        ("testimony-new", "/testimonies/new"),
        ("testimony-protected", f"/testimonies/{facts['testimony']}"),
    ]


def _object_pages(world: World) -> list[tuple[str, str]]:
    from dadkhahi.domain.vocab import Sensitivity
    from dadkhahi.store import schema as s

    with world.store.reading() as conn:
        linked = conn.execute(s.person_records.select().limit(1)).mappings().first()
    assert linked is not None
    protected = world.objects[Sensitivity.PROTECTED]
    return [("person-protected", f"/persons/{protected.person}"),
            ("person-linked", f"/persons/{linked['person_id']}"),
            ("source-protected", f"/sources/{protected.source}"),
            ("item-protected", f"/items/{protected.item}"),
            ("transcribe-protected", f"/items/{protected.item}/transcribe?page=1"),
            ("place-protected", f"/places/{protected.place}")]


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_every_page_in_both_languages(browser: Any, server: Served, world: World,
                                      facts: dict[str, str], lang: str) -> None:
    problems = visit_all(browser, server.url, lang, PUBLIC_PAGES, signed_in=False)
    problems |= visit_all(browser, server.url, lang,
                           PAGES + _object_pages(world) + _fact_pages(world, facts),
                           signed_in=True, who="admin_g")
    assert problems == {}
    assert shot_name("dashboard", lang, "phone").stat().st_size > 0


def test_the_dashboard_draws_acts_by_month_prison_and_province(
        browser: Any, server: Served, facts: dict[str, str]) -> None:
    """Each breakdown's chart is drawn (an SVG image the page loads) beside its table, in
    both languages; the bars read from the right on the Persian page."""
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server.url, "fa", "analyst")
        for lang in ("fa", "en"):
            page.goto(f"{server.url}/{lang}/")
            for name in ("month", "prison", "province"):
                section = page.locator(f"section[aria-labelledby='{name}-heading']")
                image = section.locator("figure.chart img")
                image.scroll_into_view_if_needed()
                page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                                       arg=image.element_handle())
                assert section.locator("table tbody tr").count() >= 1, (lang, name)
            assert axe_problems(page) == [], lang
            page.screenshot(path=str(shot_name("dashboard-charts", lang, "desktop")),
                            full_page=True)
    finally:
        context.close()


def test_an_estimate_s_capture_histories_overlaps_and_diagnostics(
        browser: Any, server: Served, facts: dict[str, str]) -> None:
    """The estimates page's detail in both languages: the capture-history table, the
    overlap chart (an SVG the page loads) beside its table, the diagnostics; axe clean."""
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server.url, "fa", "analyst")
        for lang in ("fa", "en"):
            page.goto(f"{server.url}/{lang}/estimates?estimate=est_{'1' * 20}")
            section = page.locator("section[aria-labelledby='diagnostics-heading']")
            image = section.locator("figure.chart img")
            image.scroll_into_view_if_needed()
            page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                                   arg=image.element_handle())
            assert section.locator("table").first.locator("tbody tr").count() == 8, lang
            assert section.locator("#overlap-data").count() == 1
            assert section.locator("dl.facts dt").count() >= 4, lang
            assert axe_problems(page) == [], lang
            section.screenshot(path=str(shot_name("estimate-diagnostics", lang, "desktop")))
    finally:
        context.close()


def test_sign_in_by_keyboard_then_sign_out(browser: Any, server: Served) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server.url, "fa", "researcher")
        assert page.locator(".who bdi").inner_text() == "researcher"
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["dadkhahi_page"]["httpOnly"] and cookies["dadkhahi_page"][
            "sameSite"] == "Strict"
        page.get_by_role("button", name="خروج").click()
        page.wait_for_url(f"{server.url}/fa/sign-in")
        assert "dadkhahi_page" not in {c["name"] for c in context.cookies()}
    finally:
        context.close()
    assert Path(server.log).exists()


def test_romanised_names_are_drawn_in_the_workspace_s_own_fonts(browser: Any,
                                                                  server: Served) -> None:
    """Every letter of a romanised name comes from a font the server ships (fetched only
    when a page needs it), never from the reader's machine."""
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server.url, "en", "researcher")
        page.evaluate("n => { document.querySelector('h1').textContent = n; }", ROMANISED)
        drawn = fonts_drawing(page, "h1")
    finally:
        context.close()
    assert drawn and all(custom for _, custom in drawn), drawn
    assert {family for family, _ in drawn} <= {"Vazirmatn", "Noto Sans"}, drawn
    assert any(family == "Noto Sans" for family, _ in drawn), drawn


def test_find_a_person_typed_in_the_other_script(browser: Any, server: Served) -> None:
    """Journey: type a Latin-listed name in Persian, see suggestions as you type (htmx),
    search, open the person's page; the name never reaches a URL."""
    context = browser.new_context()
    urls: list[str] = []
    try:
        page = context.new_page()
        page.on("request", lambda r: urls.append(r.url))
        sign_in(page, server.url, "fa", "researcher")
        page.goto(f"{server.url}/fa/search")
        page.locator("#f-name").press_sequentially("علی کریمی", delay=20)
        page.locator("#suggestions li").first.wait_for()
        page.keyboard.press("Enter")
        page.wait_for_load_state("load")
        page.locator("ul.hits a").first.click()
        page.wait_for_url(f"{server.url}/fa/persons/*")
        assert "Karimi" in page.content()
    finally:
        context.close()
    assert not [u for u in urls if "%D8" in u or "%DA" in u or "Karimi" in u]


def test_record_an_act_then_name_a_victim_inline(browser: Any, server: Served,
                                                 world: World) -> None:
    """Journey: a new act from its form (a date typed with Persian digits), then a victim
    named on the act's page through htmx: the section is swapped in place, no reload."""
    pub = world.objects[PUBLIC]
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server.url, "fa", "investigator_g")
        page.goto(f"{server.url}/fa/acts/new")
        page.select_option("#f-type", "execution")
        page.locator("#f-date").fill("۱۳۶۷/۰۵/۱۲")
        page.select_option("#f-source_id", pub.source)
        page.select_option("#f-sensitivity", "public")
        page.get_by_role("button", name="ثبت این اقدام").click()
        page.wait_for_url(f"{server.url}/fa/acts/act_*")
        act_url = page.url
        assert "۱۲ مرداد ۱۳۶۷" in page.locator("h1").inner_text()
        page.locator("#f-person_id").fill(pub.person)
        page.select_option("#f-role", "victim")
        page.select_option("#who #f-source_id", pub.source)
        page.select_option("#who #f-sensitivity", "public")
        marked = page.evaluate("window.__kept = true")  # gone if the page reloaded
        assert marked is True
        page.get_by_role("button", name="افزودن به این اقدام").click()
        page.locator(f'#who a[href="/fa/persons/{pub.person}"]').wait_for()
        assert page.url == act_url and page.evaluate("window.__kept") is True
        # The act corrected in place (htmx): its kind and date as another source tells
        # them; the heading and the claims follow without a reload. Axe on the open form.
        page.locator("#act-facts summary").click()
        page.select_option("#f-edit_type", "torture")
        page.locator("#f-edit_date").fill("مرداد ۱۳۶۷")
        page.select_option("#f-edit_source_id", pub.source)
        assert axe_problems(page) == []
        page.screenshot(path=str(shot_name("act-correct", "fa", "desktop")), full_page=True)
        page.get_by_role("button", name="ثبت اصلاح").click()
        page.wait_for_function("() => document.querySelector('h1').textContent"
                               ".includes('شکنجه')")
        assert "مرداد ۱۳۶۷" in page.locator("h1").inner_text()
        assert page.locator("#act-claims tbody tr").count() == 2  # recorded, corrected
        # The victim withdrawn in place: the section swapped, the person gone.
        page.locator("#who").get_by_role("button", name="پس گرفتن").first.click()
        page.locator(f'#who a[href="/fa/persons/{pub.person}"]').wait_for(state="detached")
        assert page.url == act_url and page.evaluate("window.__kept") is True
        page.screenshot(path=str(shot_name("act-corrected", "fa", "desktop")),
                        full_page=True)
    finally:
        context.close()


def test_a_charge_is_added_from_the_case_page(browser: Any, server: Served, world: World,
                                              facts: dict[str, str]) -> None:
    """The case page's charge form, with a real browser's form post (CSRF token and all)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server.url, "en", "admin_g")
        page.goto(f"{server.url}/en/cases/{facts['case']}")
        page.select_option("#f-crime", "rome-statute-art7::7(1)(f)")
        page.select_option("#f-mode", "25(3)(a)")
        page.get_by_role("button", name="Add the charge").click()
        page.wait_for_url(re.compile(r"done=charged"))
        assert page.get_by_role("status").inner_text() == "The charge was added."
        matrix = page.locator("section[aria-labelledby=matrix-heading]").inner_text()
        assert "Torture" in matrix and "no fact linked" in matrix
    finally:
        context.close()


def test_a_court_bundle_is_written_by_the_worker_and_downloaded_from_the_case_page(
    browser: Any, server: Served, world: World, facts: dict[str, str], tmp_path: Path,
) -> None:
    """The case page queues a bundle (the recipient in the form's body only), shows its
    progress while ``dadkhahi serve``'s worker writes it (htmx polling), then offers the
    archive: downloaded in Chromium, it holds the bag naming its recipient. The recipient
    is in no address the browser asked for, no line of the server's log and no column
    of the jobs table; the download is audited."""
    from dadkhahi.store import schema as s

    court = f"SYNTHETIC Court Qzv{secrets.token_hex(6)}"
    context = browser.new_context(accept_downloads=True)
    asked: list[str] = []
    try:
        page = context.new_page()
        page.on("request", lambda r: asked.append(r.url))
        sign_in(page, server.url, "en", "admin_g")
        page.goto(f"{server.url}/en/cases/{facts['case']}")
        page.fill("#f-recipient", court)
        page.get_by_role("button", name="Write the court bundle").click()
        page.wait_for_url(re.compile(r"done=bundle"))
        assert "court bundle was queued" in page.get_by_role("status").inner_text()
        link = page.get_by_role("link", name="Download the bundle")
        link.wait_for(timeout=120_000)  # the table refreshes itself until it is done
        with page.expect_download() as got:
            link.click()
        saved = tmp_path / "bundle.tar"
        got.value.save_as(saved)
    finally:
        context.close()
    with tarfile.open(saved) as tar:
        info = next(m for m in tar.getmembers() if m.name.endswith("/bag-info.txt"))
        extracted = tar.extractfile(info)
        assert extracted is not None
        assert f"Recipient: {court}" in extracted.read().decode("utf-8")
    assert [u for u in asked if "Qzv" in u] == []
    assert court not in server.text() and "Qzv" not in server.text()
    with world.store.reading() as conn:
        jobs = "\n".join(repr(tuple(r)) for r in conn.execute(select(s.jobs)))
        audits = [b for b in conn.execute(select(s.ledger_events.c.body).where(
            s.ledger_events.c.type == "audit.read")).scalars()
            if b"cases.bundle_download" in b]
    assert "case.bundle" in jobs and court not in jobs
    assert len(audits) == 1 and facts["case"].encode() in audits[0]


def test_a_security_key_signs_in_through_the_page_script(
    browser: Any, server: Served, world: World, fast_argon2: None
) -> None:
    """The second-factor page's script (``web/security-key.js``) asks a security key in
    Chromium (a virtual authenticator over the DevTools protocol holding the test key)
    and posts what it signed: the server checks a real signature for this origin."""
    import base64

    import httpx
    from cryptography.hazmat.primitives import serialization
    from soft_authenticator import SoftKey

    from dadkhahi.access import users
    from dadkhahi.access.policy import Role

    # WebAuthn needs a domain, not an IP address: the same loopback server by name.
    base = server.url.replace("127.0.0.1", "localhost")
    key = SoftKey()
    users.add_user(world.store, "keyholder_b", Role.RESEARCHER, PASSWORD, "setup")
    with httpx.Client(base_url=base) as api:
        token = api.post("/api/auth/login", json={"username": "keyholder_b",
                                                   "password": PASSWORD}).json()["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        options = api.post("/api/auth/factors/webauthn/options", headers=bearer).json()
        made = api.post("/api/auth/factors/webauthn", headers=bearer,
                        json={"credential": key.create(options, base)})
        assert made.status_code == 201, made.text
    context = browser.new_context()
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        authenticator = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
            "protocol": "ctap2", "transport": "usb", "hasResidentKey": False,
            "hasUserVerification": True, "isUserVerified": True,
            "automaticPresenceSimulation": True}})["authenticatorId"]
        pkcs8 = key.key.private_bytes(serialization.Encoding.DER,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
        cdp.send("WebAuthn.addCredential", {"authenticatorId": authenticator, "credential": {
            "credentialId": base64.b64encode(key.credential_id).decode(),
            "isResidentCredential": False, "rpId": "localhost",
            "privateKey": base64.b64encode(pkcs8).decode(), "signCount": key.counter}})
        page.goto(f"{base}/en/sign-in")
        page.locator("#username").fill("keyholder_b")
        page.locator("#password").fill(PASSWORD)
        with page.expect_navigation():
            page.locator("#password").press("Enter")
        assert page.url.startswith(f"{base}/en/sign-in/second-factor"), (
            page.url, page.locator("main").inner_text()[:300])
        page.get_by_role("button", name="Use your security key").click()
        page.wait_for_url(f"{base}/en/")
        assert page.locator(".who bdi").inner_text() == "keyholder_b"
    finally:
        context.close()


def test_search_the_documents_by_keyboard(browser: Any, server: Served,
                                          facts: dict[str, str]) -> None:
    """Journey: the documents page's search, typed and sent from the keyboard; hits with
    their matches marked (screenshots of the hits in both widths); then a word of a
    testimony's segment, its hit's time code, and its link to the segment."""
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server.url, "fa", "admin_g")
        page.goto(f"{server.url}/fa/documents")
        page.locator("#f-q").press_sequentially("SYNTHETIC")
        page.keyboard.press("Enter")
        page.locator("ol.hits mark").first.wait_for()
        assert page.url == f"{server.url}/fa/documents"
        page.screenshot(path=str(shot_name("documents-hits", "fa", "desktop")), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(shot_name("documents-hits", "fa", "phone")), full_page=True)
        # A word of a testimony's segment: the passage's hit, its time code, and its link
        # to the segment on the testimony's page.
        page.locator("#f-q").fill("راهرو")
        page.keyboard.press("Enter")
        passage = page.locator("ol.hits li.passage").first
        passage.wait_for()
        assert "از ۱۲٫۰ ثانیه" in passage.inner_text()
        assert passage.locator("mark").inner_text() == "راهرو"
        page.screenshot(path=str(shot_name("documents-passage", "fa", "phone")), full_page=True)
        passage.locator("a").first.click()
        page.wait_for_url(re.compile(rf".*/fa/testimonies/{facts['testimony']}#seg_\w+$"))
        segment = page.url.rsplit("#", 1)[1]
        assert "راهرو" in page.locator(f"li#{segment}").inner_text()
    finally:
        context.close()


def test_search_the_documents_narrowed_to_a_source_and_a_kind(
        browser: Any, server: Served, world: World, facts: dict[str, str]) -> None:
    """Journey (Persian): the filters chosen in the address open the form's filters; a
    source chosen from the list and documents' pages only: every hit is a page of that
    source; then testimonies' passages only: every hit is a passage. axe-core finds no
    serious problem on the narrowed hits, and no Latin interface text shows."""
    public = world.objects[PUBLIC].source
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server.url, "fa", "admin_g")
        page.goto(f"{server.url}/fa/documents?kind=document")
        assert page.locator("#f-kind").input_value() == "document"
        assert page.locator("#f-source").is_visible()  # the filters open, as chosen
        page.locator("#f-source").select_option(public)
        page.locator("#f-q").press_sequentially("SYNTHETIC")
        page.locator("#f-q").press("Enter")
        page.locator("ol.hits mark").first.wait_for()
        assert page.url == f"{server.url}/fa/documents"  # the words never in the address
        sources = page.locator('ol.hits a[href*="/sources/"]')
        assert sources.count() >= 1 and page.locator("ol.hits li.passage").count() == 0
        assert {sources.nth(n).get_attribute("href") for n in range(sources.count())} == {
            f"/fa/sources/{public}"}
        assert page.locator("#f-source").evaluate(
            "s => [...s.selectedOptions].map(o => o.value)") == [public]
        assert axe_problems(page) == []
        assert page.evaluate(LATIN_TEXT) == []
        page.screenshot(path=str(shot_name("documents-filtered", "fa", "desktop")),
                        full_page=True)
        page.locator("#f-source").select_option([])
        page.locator("#f-kind").select_option("testimony")
        page.locator("#f-q").fill("راهرو")
        page.locator("#f-q").press("Enter")
        page.locator("ol.hits li.passage").first.wait_for()
        assert page.locator("ol.hits li").count() == page.locator(
            "ol.hits li.passage").count()
    finally:
        context.close()


def test_accept_and_reject_proposed_claims_on_the_text_page(browser: Any, server: Served,
                                                            world: World) -> None:
    """Journey: an item's text with its mentions marked; the subject of a proposed claim
    found by typing their name in Persian (the one person search, as you type, the name
    in the body only) and chosen, accepted; the other proposal rejected."""
    from dadkhahi.store import schema as s

    item = add_document(world, PUBLIC, "journey.txt")
    with world.store.reading() as conn:
        karimi = str(conn.execute(s.person_records.select().where(
            s.person_records.c.record_id == world.objects[PUBLIC].list_record)
        ).mappings().one()["person_id"])
    context = browser.new_context()
    urls: list[str] = []
    try:
        page = context.new_page()
        page.on("request", lambda r: urls.append(r.url))
        sign_in(page, server.url, "fa", "investigator_g")
        for lang, accept, reject in (("en", "Accept", "Reject"), ("fa", "پذیرفتن", "رد کردن")):
            page.goto(f"{server.url}/{lang}/items/{item}/text")
            # A proposal's Accept and Reject buttons stand apart (they touched).
            shown = page.locator("ol.hits > li").first
            above = shown.get_by_role("button", name=accept).bounding_box()
            below = shown.get_by_role("button", name=reject).bounding_box()
            assert below["y"] - (above["y"] + above["height"]) >= 8, (lang, above, below)
            page.screenshot(path=str(shot_name("item-text-decide", lang, "desktop")),
                            full_page=True)
        assert page.locator("pre mark").count() == 5
        first = page.locator("ol.hits > li").first
        first.locator("input[name=subject_name]").press_sequentially("علی کریمی", delay=20)
        choice = first.locator(f'input[name=person_pick][value="{karimi}"]')
        choice.wait_for()
        choice.check()
        page.screenshot(path=str(shot_name("item-text-subject-picked", "fa", "desktop")),
                        full_page=True)
        first.get_by_role("button", name="پذیرفتن").click()
        page.wait_for_url(re.compile(r"done=accepted"))
        assert page.get_by_role("status").inner_text() == "ادعا افزوده شد، با پشتوانهٔ این سند."
        # Proposals waiting for review come first.
        page.locator("ol.hits > li").first.get_by_role("button", name="رد کردن").click()
        page.wait_for_url(re.compile(r"done=rejected"))
        tags = page.locator("ol.hits .tag").all_inner_texts()
        assert tags == ["پذیرفته شد", "رد شد"]
        page.screenshot(path=str(shot_name("item-text-reviewed", "fa", "desktop")),
                        full_page=True)
        # A count the text attributes to a party: the party found by name as typed (its
        # own picker in the same form), then accepted.
        party = add_attributed_proposal(world)
        page.goto(f"{server.url}/fa/items/{world.objects[PUBLIC].item}/text")
        form = page.locator(f'li[id="{party}"]')
        form.locator("input[name=party_name]").press_sequentially("علی کریمی", delay=20)
        choice = form.locator(f'#party-{party} input[name=party_pick][value="{karimi}"]')
        choice.wait_for()
        assert form.locator("input[name=person_pick]").count() == 0
        choice.check()
        page.screenshot(path=str(shot_name("item-text-party-picked", "fa", "desktop")),
                        full_page=True)
        assert axe_problems(page) == []
        form.get_by_role("button", name="پذیرفتن").click()
        page.wait_for_url(re.compile(r"done=accepted"))
    finally:
        context.close()
    assert not [u for u in urls if "%D8" in u or "%DA" in u]


def test_open_a_testimony_from_the_list_and_its_witness(browser: Any, server: Served,
                                                        facts: dict[str, str]) -> None:
    """Journey: the testimonies entry of the bar, the list, a testimony by its pseudonym;
    the witness's name shown only once its panel is opened; a segment added and the
    interview changed from their forms; the interview's date on the Persian page."""
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server.url, "en", "investigator_g")
        page.get_by_role("navigation").get_by_role("link", name="Testimonies").click()
        page.wait_for_url(f"{server.url}/en/testimonies")
        page.locator(f'a[href="/en/testimonies/{facts["testimony"]}"]').click()
        page.wait_for_url(f"{server.url}/en/testimonies/{facts['testimony']}")
        segments = page.locator("section[aria-labelledby=segments-heading] li")
        assert segments.count() == 2
        assert "seen or lived by the witness" in segments.first.inner_text()
        witness = page.get_by_text(WITNESS)
        assert not witness.is_visible()
        page.get_by_text("The witness's name and contact").click()
        assert witness.is_visible()
        # A segment added from the page's form (no script needed), by keyboard.
        page.get_by_text("Add a segment after the last one").click()
        page.locator("#f-text").focus()
        page.keyboard.type("SYNTHETIC: I heard the names read out.")
        page.select_option("#f-knowledge", "hearsay")
        page.locator("#f-start").fill("۴۲")
        page.screenshot(path=str(shot_name("testimony-segment-form", "en", "desktop")),
                        full_page=True)
        page.locator("#f-start").press("Enter")
        page.wait_for_url(re.compile(r"done=segment"))
        assert segments.count() == 3
        assert "I heard the names read out" in segments.last.inner_text()
        # The interview changed from its form (no script needed), by keyboard; axe on it.
        page.get_by_text("Change the interview").click()
        assert axe_problems(page) == []
        page.locator("#f-interview_place").fill("")
        page.locator("#f-interview_place").focus()
        page.keyboard.type("SYNTHETIC: a café in the old town")
        page.select_option("#f-read_back", "no")
        page.screenshot(path=str(shot_name("testimony-interview-form", "en", "desktop")),
                        full_page=True)
        page.locator("#f-interview_place").press("Enter")
        page.wait_for_url(re.compile(r"done=interview"))
        interview = page.locator("section[aria-labelledby=interview-heading] dl").first
        assert "SYNTHETIC: a café in the old town" in interview.inner_text()
        assert "SYNTHETIC" not in page.url
        # The interview's date (typed 1399/02/10) as the Persian page's dates: Solar Hijri
        # first, Persian digits.
        page.goto(f"{server.url}/fa/testimonies/{facts['testimony']}")
        shown = interview.inner_text()
        assert "۱۰ اردیبهشت ۱۳۹۹" in shown and "1399" not in shown
    finally:
        context.close()


def test_the_map_draws_the_places_with_the_memorial_s_script(
        browser: Any, server: Served, world: World) -> None:
    """The places page and a place's page draw their markers with the one map script,
    its data loaded as classic scripts (as the memorial's from file://); a marker's
    popup links to the place's page."""
    from dadkhahi.access.policy import Principal
    from dadkhahi.domain.vocab import PlaceKind, PlaceStatus
    from dadkhahi.services import objects

    who = "admin_g"
    principal = Principal(user_id=world.user_ids[who], username=who, role=world.roles[who])
    made = [objects.create_place(
        world.store, principal, name, PlaceKind.BURIAL_SITE, name_fa=name_fa,
        parent_id=None, latitude=lat, longitude=lon, status=status, sensitivity=PUBLIC)
        for name, name_fa, lat, lon, status in (
            ("Khavaran SYNTHETIC map", "خاوران نمونه", 35.6136, 51.6061, PlaceStatus.DAMAGED),
            ("Golzar SYNTHETIC map", None, 37.28, 49.58, PlaceStatus.BUILT_OVER))]
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server.url, "fa", who)
        for lang in ("fa", "en"):
            page.goto(f"{server.url}/{lang}/places?kind=burial_site")
            page.wait_for_selector("#map[data-markers='2'] .leaflet-interactive",
                                   timeout=15_000)
            page.screenshot(path=str(shot_name("places-map", lang, "desktop")))
            page.locator("#map .leaflet-interactive").first.click()
            link = page.locator("#map .leaflet-popup-content a")
            assert link.get_attribute("href") in {f"/{lang}/places/{p['id']}" for p in made}
            page.goto(f"{server.url}/{lang}/places/{made[0]['id']}")
            page.wait_for_selector("#map[data-markers='1'] .leaflet-interactive",
                                   timeout=15_000)
            page.screenshot(path=str(shot_name("place-map", lang, "desktop")))
        # A status recorded from the place's page: the section swapped in place (htmx),
        # the history showing the new dated status as the one shown now; axe clean.
        page.goto(f"{server.url}/fa/places/{made[0]['id']}")
        page.select_option("#status #f-status", "destroyed")
        page.locator("#status #f-date").fill("۱۳۸۷/۱۰/۱۸")
        page.select_option("#status #f-source_id", world.objects[PUBLIC].source)
        page.select_option("#status #f-sensitivity", "public")
        page.evaluate("window.__kept = true")  # gone if the page reloaded
        page.get_by_role("button", name="ثبت وضعیت").click()
        page.locator("#status li .status-destroyed").wait_for()
        assert page.evaluate("window.__kept") is True
        assert "۱۳۸۷" in page.locator("#status ol").inner_text()
        assert axe_problems(page) == []
        page.locator("#status").screenshot(path=str(shot_name("place-status", "fa",
                                                              "desktop")))
    finally:
        context.close()


def test_pick_a_person_on_the_act_page_by_typing_their_name(browser: Any, server: Served,
                                                            world: World) -> None:
    """Journey: on an act's page, a Latin-listed name typed in Persian; the persons found
    are offered as you type (htmx, the name in the body only), one is chosen and named
    in the act in place."""
    from dadkhahi.store import schema as s

    pub = world.objects[PUBLIC]
    with world.store.reading() as conn:
        karimi = str(conn.execute(s.person_records.select().where(
            s.person_records.c.record_id == pub.list_record)).mappings().one()["person_id"])
    context = browser.new_context()
    urls: list[str] = []
    try:
        page = context.new_page()
        page.on("request", lambda r: urls.append(r.url))
        sign_in(page, server.url, "fa", "investigator_g")
        page.goto(f"{server.url}/fa/acts/{pub.act}")
        page.locator("#f-person_name").press_sequentially("علی کریمی", delay=20)
        choice = page.locator(f'#person-picks input[value="{karimi}"]')
        choice.wait_for()
        choice.check()
        page.select_option("#f-role", "victim")
        page.select_option("#who #f-source_id", pub.source)
        page.select_option("#who #f-sensitivity", "public")
        page.get_by_role("button", name="افزودن به این اقدام").click()
        page.locator(f'#who a[href="/fa/persons/{karimi}"]').wait_for()
        page.screenshot(path=str(shot_name("act-picked", "fa", "desktop")), full_page=True)
    finally:
        context.close()
    assert not [u for u in urls if "%D8" in u or "%DA" in u]


def _cp1256(text: str) -> bytes:
    """Windows-1256, as lists typed on Persian Windows are (Arabic yeh and kaf)."""
    return text.replace("ی", "ي").replace("ک", "ك").encode("cp1256")


#: A list of three columns the wizard recognises; line 3's date cannot be read.
WIZARD_LIST = ("شناسه,نام و نام خانوادگی,تاریخ اعدام\n"
               "J1,رضا SYNTHETIC-wizard,1367/05/12\n"
               "J2,زهرا SYNTHETIC-wizard,not a date\n")
#: The corrected file: line 3's date fixed, a row added.
WIZARD_FIXED = WIZARD_LIST.replace("not a date", "1367/05/14") + \
    "J3,مینا SYNTHETIC-wizard,1367/05/20\n"


def test_import_a_list_through_the_wizard_then_its_corrected_version(
        browser: Any, server: Served, world: World, tmp_path: Path) -> None:
    """Journey (Persian, then English): upload a Windows-1256 CSV, see the detected
    encoding and the first rows, choose the identifier column, a dry run naming the bad
    date by line and field, the date left out, confirm; then the corrected file as the
    list's next version, which ends on what it changed."""
    first, fixed = tmp_path / "wizard.csv", tmp_path / "wizard-fixed.csv"
    first.write_bytes(_cp1256(WIZARD_LIST))
    fixed.write_bytes(_cp1256(WIZARD_FIXED))
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server.url, "fa", "investigator_g")
        page.goto(f"{server.url}/fa/imports")
        page.locator("#f-source").fill(world.objects[PUBLIC].list_source)
        page.set_input_files("#f-file", str(first))
        page.get_by_role("button", name="خواندن پرونده").click()
        read = page.locator("section[aria-labelledby=read-heading]")
        read.wait_for()
        assert re.search(r"windows-1256|cp1256", read.inner_text().lower())
        assert "رضا SYNTHETIC-wizard" in read.locator("tbody").inner_text()
        page.select_option("#id_column", "شناسه")
        page.get_by_role("button", name="آزمایش بی‌ذخیره").click()
        problems = page.locator("section[aria-labelledby=dry-heading] tbody tr")
        problems.first.wait_for()
        assert [t.split("\t")[:2] for t in problems.all_inner_texts()] == [["۳", "death_date"]]
        assert page.get_by_role("button", name="تأیید ورود فهرست").count() == 0
        page.screenshot(path=str(shot_name("import-dry-run", "fa", "desktop")), full_page=True)
        page.select_option("#map-death_date", "")  # the date left out of this version
        page.get_by_role("button", name="آزمایش بی‌ذخیره").click()
        page.get_by_role("button", name="تأیید ورود فهرست").click()
        made = page.locator("dl.facts.panel")  # the last step's page only
        made.wait_for()
        assert "۲" in page.get_by_role("status").inner_text()
        list_id = made.locator("dd").nth(1).locator("bdi").first.inner_text()
        assert list_id.startswith("lst_")
        # The corrected file, as the next version of that list, in English.
        page.goto(f"{server.url}/en/imports")
        page.select_option("#f-new_version_of", list_id)
        page.set_input_files("#f-file", str(fixed))
        page.get_by_role("button", name="Read the file").click()
        page.select_option("#id_column", "شناسه")
        page.get_by_role("button", name="Dry run").click()
        page.get_by_text("All 3 rows can be imported.").wait_for()
        page.get_by_role("button", name="Confirm the import").click()
        changes = page.locator("section[aria-labelledby=changes-heading]")
        changes.wait_for()
        shown = dict(zip(changes.locator("dt").all_inner_texts(),
                         changes.locator("dd").all_inner_texts(), strict=True))
        # J3 added; J1 and J2 changed (their date read now), nothing removed.
        assert (shown["Added"], shown["Removed"], shown["Changed"], shown["Unchanged"]) == (
            "1", "0", "2 (2 in fields linkage compares)", "0"), shown
        assert "matched by the list's own identifiers" in changes.inner_text()
        page.screenshot(path=str(shot_name("import-new-version", "en", "desktop")),
                        full_page=True)
        assert axe_problems(page) == []
    finally:
        context.close()


def test_upload_an_item_and_download_its_inclusion_proof(
        browser: Any, server: Served, world: World, tmp_path: Path) -> None:
    """Journey: a file uploaded from its source's page (fields, then the file), the new
    item's page, its inclusion proof downloaded in Chromium; the proof verifies offline
    against the ledger's key and names the item's own event."""
    import json

    from dadkhahi.ledger.proofs import verify_bundle
    from dadkhahi.store import schema as s

    upload = tmp_path / "statement.txt"
    upload.write_text(f"SYNTHETIC statement {secrets.token_hex(8)}\n", "utf-8")
    context = browser.new_context(accept_downloads=True)
    try:
        page = context.new_page()
        sign_in(page, server.url, "en", "investigator_g")
        page.goto(f"{server.url}/en/sources/{world.objects[PUBLIC].source}")
        page.locator("#f-from").fill("SYNTHETIC courier")
        page.locator("#f-how").fill("handed over on a USB stick")
        page.set_input_files("#f-file", str(upload))
        page.get_by_role("button", name="Upload", exact=True).click()
        page.wait_for_url(re.compile(rf"{re.escape(server.url)}/en/items/itm_\w+$"))
        item_id = page.url.rsplit("/", 1)[1]
        assert "statement.txt" in page.locator("main").inner_text()
        page.screenshot(path=str(shot_name("item-uploaded", "en", "desktop")), full_page=True)
        with page.expect_download() as got:
            page.get_by_role("link", name="Download the inclusion proof").click()
        assert got.value.suggested_filename == f"{item_id}.proof.json"
        saved = tmp_path / "proof.json"
        got.value.save_as(saved)
    finally:
        context.close()
    bundle = json.loads(saved.read_text("utf-8"))
    with world.store.reading() as conn:
        index = conn.execute(select(s.items.c.ledger_index).where(
            s.items.c.id == item_id)).scalar_one()
    assert bundle["index"] == index
    assert verify_bundle(bundle, world.store.verifier_key()).size >= index + 1


def _pair_shown(page: Any) -> tuple[str, str]:
    a = page.locator("input[name=record_a]").get_attribute("value")
    b = page.locator("input[name=record_b]").get_attribute("value")
    return min(a, b), max(a, b)


def _decisions_on(world: World, pair: tuple[str, str]) -> list[str]:
    from dadkhahi.store import schema as s

    d = s.link_decisions.c
    with world.store.reading() as conn:
        return list(conn.execute(select(d.decision).where(
            d.record_a == pair[0], d.record_b == pair[1]).order_by(d.ledger_index)).scalars())


def test_decide_pairs_in_the_review_queue_by_keyboard_only(browser: Any, server: Served,
                                                           world: World) -> None:
    """Journey (Persian page, Latin key codes): S same, D different, N not sure, U undo;
    each key records its decision and the next pair comes; the undo returns the pair
    left unsure to the queue."""
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server.url, "fa", "admin_g")
        page.goto(f"{server.url}/fa/review")
        page.screenshot(path=str(shot_name("review-pair", "fa", "desktop")), full_page=True)
        decided = []
        for key, decision in (("s", "same"), ("d", "different"), ("n", "unsure")):
            pair = _pair_shown(page)
            with page.expect_navigation():
                page.keyboard.press(key)
            assert _decisions_on(world, pair)[-1] == decision, key
            assert _pair_shown(page) != pair
            decided.append(pair)
        with page.expect_navigation():
            page.keyboard.press("u")
        assert _decisions_on(world, decided[-1])[-2:] == ["unsure", "withdrawn"]
        assert _pair_shown(page) == decided[-1]  # back in the queue, and first
        assert [_decisions_on(world, p)[-1] for p in decided[:2]] == ["same", "different"]
    finally:
        context.close()


def test_the_memorial_is_built_from_the_jobs_page_and_downloaded(
        browser: Any, server: Served, world: World, tmp_path: Path) -> None:
    """Journey (Persian): "Build the memorial" on the jobs page; the worker of ``dadkhahi
    serve`` builds it while the table refreshes itself (htmx) until the build's link
    appears; the zip downloaded in Chromium is the signed build whole (unpacked, it
    verifies against the publication key the ledger announced and the ledger's key).
    The page with its link then passes every page's checks in both languages."""
    import zipfile

    from dadkhahi.publish.manifest import announced_key
    from dadkhahi.publish.verify import verify

    context = browser.new_context(accept_downloads=True)
    try:
        page = context.new_page()
        sign_in(page, server.url, "fa", "admin_g")
        page.goto(f"{server.url}/fa/jobs")
        assert page.locator("#memorial-download").count() == 0  # nothing built yet
        with page.expect_navigation():
            page.get_by_role("button", name="ساختن یادمان").click()
        link = page.locator("#memorial-download a")
        link.wait_for(timeout=240_000)  # the rows refresh themselves until it is done
        with page.expect_download() as got:
            link.click()
        name = got.value.suggested_filename
        got.value.save_as(tmp_path / name)
    finally:
        context.close()
    assert re.fullmatch(r"memorial-build-\d+\.zip", name), name
    with zipfile.ZipFile(tmp_path / name) as zf:
        zf.extractall(tmp_path / "copy")
    with world.store.reading() as conn:
        key = announced_key(conn)
    assert key is not None
    problems, head = verify(tmp_path / "copy" / name.removesuffix(".zip"), key,
                            world.store.verifier_key())
    assert problems == [] and name == f"memorial-build-{head['sequence']}.zip"
    for lang in ("fa", "en"):
        assert visit_all(browser, server.url, lang, [("jobs-memorial-built", "/jobs")],
                         signed_in=True, who="admin_g") == {}


@pytest.fixture(scope="module")
def weighed(world: World) -> str:
    """A person of three records linked with each field's weight. Asked for only by the
    tests below, after every other page and journey: it links the world anew."""
    return add_weighed_person(world)


def test_how_a_person_was_linked_each_field_s_weight(browser: Any, server: Served,
                                                      weighed: str) -> None:
    """The person page's links and the review queue's pair, each field's weight in a
    table, in both languages (Persian digits on the Persian page), axe clean."""
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server.url, "fa", "admin_g")
        for lang in ("fa", "en"):
            page.goto(f"{server.url}/{lang}/persons/{weighed}")
            links = page.locator("section[aria-labelledby='links-heading'] table.weights")
            assert links.count() == 2, lang
            text = links.first.inner_text()
            assert ("۴٫۳۲" if lang == "fa" else "4.32") in text, lang
            assert axe_problems(page) == [], lang
            page.locator("#links-heading").screenshot(
                path=str(shot_name("person-links", lang, "desktop")))
            page.screenshot(path=str(shot_name("person-weighed", lang, "desktop")),
                            full_page=True)
            page.goto(f"{server.url}/{lang}/review")
            assert page.locator("table.weights tbody tr").count() >= 3, lang
            assert axe_problems(page) == [], lang
            page.screenshot(path=str(shot_name("review-weights", lang, "desktop")),
                            full_page=True)
    finally:
        context.close()


def test_split_records_off_a_person_after_seeing_the_result(
        browser: Any, server: Served, world: World, weighed: str) -> None:
    """Journey: pick a record on the person page, preview the persons that result (both
    languages, axe clean), confirm; the decisions are in the ledger under the reviewer."""
    from dadkhahi.store import actors
    from dadkhahi.store import schema as s

    pub = world.objects[PUBLIC]
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server.url, "fa", "admin_g")
        for lang in ("fa", "en"):
            page.goto(f"{server.url}/{lang}/persons/{weighed}")
            page.locator(f"input[name='pick'][value='{pub.list_record}']").check()
            with page.expect_navigation():
                page.locator("#split-heading ~ div button[type='submit']").click()
            assert "/split?pick=" in page.url
            assert page.locator("section[aria-labelledby='off-heading'] li").count() == 1
            assert page.locator("section[aria-labelledby='stay-heading'] li").count() == 2
            assert axe_problems(page) == [], lang
            page.screenshot(path=str(shot_name("split-preview", lang, "desktop")),
                            full_page=True)
        with page.expect_navigation():
            page.locator("section[aria-labelledby='cut-heading'] button").click()
        assert page.url.endswith(f"/en/persons/{weighed}?decided=1")
    finally:
        context.close()
    d = s.link_decisions.c
    with world.store.reading() as conn:
        me = actors.pseudonym_in(conn, world.store.keys, "admin_g")
        rows = conn.execute(select(d.record_a, d.record_b, d.decision).where(
            d.actor == me, d.decision == "different",
            (d.record_a == pub.list_record) | (d.record_b == pub.list_record))).all()
    assert len(rows) >= 2  # from the record split off to each record that stays


def test_a_linkage_run_is_queued_from_the_jobs_page_and_followed(
        browser: Any, server: Served, world: World) -> None:
    """Journey: "Run linkage" on the jobs page (Persian); the worker of ``dadkhahi
    serve`` runs it while the table refreshes itself (htmx), until it is done with its
    counts and a way to the review queue. Last in this file: it links every record
    anew."""
    from dadkhahi.jobs import queue

    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, server.url, "fa", "admin_g")
        page.goto(f"{server.url}/fa/jobs")
        with page.expect_navigation():
            page.get_by_role("button", name="اجرای پیوند رکوردها").click()
        # The only linkage job of this world (its first run was made directly).
        row = page.locator("#jobs tbody tr", has_text="اجرای پیوند رکوردها")
        # The table refreshes itself every 2 s (htmx) until the job has ended.
        row.locator("td", has_text=re.compile("انجام‌شده|ناموفق")).wait_for(timeout=240_000)
        assert "انجام‌شده" in row.inner_text() and "نفر از" in row.inner_text()
        page.screenshot(path=str(shot_name("jobs-linkage-done", "fa", "desktop")),
                        full_page=True)
        row.get_by_role("link", name="صف بررسی").click()
        page.wait_for_url(f"{server.url}/fa/review")
    finally:
        context.close()
    job = queue.list_jobs(world.store, created_by=world.user_ids["admin_g"], limit=1)[0]
    assert job.kind == "linkage.run" and job.state.value == "succeeded"
    assert job.result is not None and job.result["run_id"].startswith("run_")
