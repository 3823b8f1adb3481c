"""The list import wizard: upload, what was read, map columns, dry run, confirm.

1. *Upload* (multipart: form token, source, sensitivity, then the file): the source and
   the permission are checked before the file is read (the import service's own
   :func:`~dadkhahi.services.lists_linkage.import_target`), then the file is streamed
   into a staging folder of the data directory (owner-only, one folder per upload,
   bound to the user who uploaded it).
2. *Columns*: the detected format, encoding and delimiter, the first rows, and one
   choice of column per field, preselected with the project's suggestions
   (:func:`~dadkhahi.intake.list_columns.plan_columns`).
3. *Dry run*: the file checked exactly as the import would check it
   (:func:`~dadkhahi.intake.lists.check_list`), every problem by line and field.
4. *Confirm*: the import service (:func:`~dadkhahi.services.lists_linkage.import_upload`),
   all or nothing, one ledger event with the signed-in user as actor; the staged file is
   deleted. *Cancel* deletes it too, and a staged file older than :data:`STAGED_FOR` is
   deleted by the next upload.

A corrected file may be uploaded as the next version of a list the visitor may see
(:func:`~dadkhahi.services.lists_linkage.version_target`, as the API's
``new_version_of``): the same steps, ending on what the new version changed (records
added, removed and changed, and what became of the review decisions).

The staging token and every value travel in form bodies, never in a URL.
"""

from __future__ import annotations

import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from dadkhahi.access import reads
from dadkhahi.access.policy import Permission, Principal
from dadkhahi.domain.errors import ConflictError, NotFoundError, UserError, ValidationError
from dadkhahi.domain.safe_text import safe_name
from dadkhahi.domain.vocab import Credibility, Reliability, Sensitivity
from dadkhahi.http.uploads import FormReader
from dadkhahi.intake.evidence import Receipt
from dadkhahi.intake.list_columns import FIELDS
from dadkhahi.intake.lists import check_list
from dadkhahi.services import lists_linkage as svc
from dadkhahi.services.uploads import receive_file, uploads_root
from dadkhahi.store.store import Store
from dadkhahi.web.i18n import language
from dadkhahi.web.nav import N_, holding, register
from dadkhahi.web.pages.common import LangDep, Listing, VisitorDep, page_router, permitted
from dadkhahi.web.pages.labels import FIELD_LABELS
from dadkhahi.web.pages.persons import SENSITIVITY
from dadkhahi.web.render import render
from dadkhahi.web.security import check_csrf, read_form, visitor

router = page_router()
register("/imports", N_("List import"), holding(Permission.ADD_EVIDENCE))

#: How long an uploaded list waits in staging for its dry run and confirmation.
STAGED_FOR = 3600
#: Rows shown of the file as read.
FIRST_ROWS = 5
_TOKEN = re.compile(r"[0-9a-f]{32}")
_PREFIX = "wizard-"
UPLOAD_FIELDS = frozenset({"csrf", "source", "sensitivity", "new_version_of"})
_PROBLEM = re.compile(r"line (\d+)(?:, field ([^:]+))?: (.*)", re.S)


@dataclass(frozen=True)
class Staged:
    """An uploaded list waiting for its dry run and confirmation."""

    token: str
    folder: Path
    path: Path


def _staging(store: Store) -> Path:
    return uploads_root(store.home)


def _sweep(store: Store) -> None:
    """Delete staged uploads older than :data:`STAGED_FOR` (abandoned wizards)."""
    limit = time.time() - STAGED_FOR
    for folder in _staging(store).glob(_PREFIX + "*"):
        if folder.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)


def _new_stage(store: Store, principal: Principal, filename: str) -> Staged:
    token = secrets.token_hex(16)
    folder = _staging(store) / (_PREFIX + token)
    folder.mkdir(mode=0o700)
    (folder / "owner").write_text(str(principal.user_id), "utf-8")
    return Staged(token, folder, folder / filename)


def _staged(store: Store, principal: Principal, token: str) -> Staged:
    """The visitor's own staged upload (anyone else's, or an expired one, is not found)."""
    if not _TOKEN.fullmatch(token):
        raise NotFoundError("no such upload")
    folder = _staging(store) / (_PREFIX + token)
    owner = folder / "owner"
    if not owner.is_file() or owner.read_text("utf-8") != str(principal.user_id):
        raise NotFoundError("no such upload")
    files = [p for p in folder.iterdir() if p.name != "owner"]
    if len(files) != 1:
        raise NotFoundError("no such upload")
    return Staged(token, folder, files[0])


def _discard(staged: Staged) -> None:
    shutil.rmtree(staged.folder, ignore_errors=True)


def _target(store: Store, principal: Principal, source: str, version_of: str,
            sensitivity: Sensitivity | None) -> svc.ImportTarget:
    """Where the file goes: the next version of a list (``version_of``), or a source."""
    if version_of:
        if source.strip():
            raise ValidationError("a new version stays with its list's source")
        return svc.version_target(store, principal, version_of, sensitivity)
    return svc.import_target(store, principal, source, sensitivity, Reliability.F,
                             Credibility.CANNOT_JUDGE)


def _target_errors(store: Store, principal: Principal, source: str, version_of: str,
                   sensitivity: Sensitivity | None, tr: Any) -> dict[str, str]:
    """The form's errors, by field, if the file cannot go where the form says."""
    try:
        _target(store, principal, source, version_of, sensitivity)
    except NotFoundError:
        if version_of:
            return {"new_version_of": tr("There is no such list, or you may not see it.")}
        return {"source": tr("There is no such source, or you may not see it.")}
    except ValidationError:
        if version_of and source.strip():
            return {"source": tr("A new version stays with its list's source: leave the "
                                 "source empty.")}
        if version_of:
            return {"new_version_of": tr("You would not be able to see these records: ask "
                                         "for a grant on the list's source first.")}
        return {"source": tr("Give a source's identifier or the title of a source to "
                             "register.")}
    return {}


def _problems(lines: list[str]) -> list[tuple[str, str, str]]:
    """(line, field, what) of each problem, as the import names them."""
    out = []
    for text in lines:
        found = _PROBLEM.fullmatch(text)
        out.append((found.group(1), found.group(2) or "", found.group(3)) if found
                   else ("", "", text))
    return out


#: Imports on one page of their list, and the list's controls.
IMPORTS_SHOWN = 20
IMPORT_LIST = Listing({"-imported_at": N_("newest first"), "imported_at": N_("oldest first")},
                      "-imported_at", {
                          "sensitivity": (N_("Sensitivity"), SENSITIVITY),
                          "state": (N_("Version"), {"current": N_("current version"),
                                                    "superseded": N_("superseded")})})


@router.get("/imports")
async def start(request: Request, lang: LangDep, current: VisitorDep) -> Response:
    """Step 1: choose the file and where it goes; the imports one may see."""
    permitted(request, current, lang, Permission.ADD_EVIDENCE)
    return await _start_page(request, lang)


async def _start_page(request: Request, lang: str, errors: dict[str, str] | None = None,
                      status: int = 200) -> Response:
    current = await visitor(request)
    store: Store = request.app.state.store
    asked = IMPORT_LIST.asked(request)
    level, state = asked.filters.get("sensitivity"), asked.filters.get("state")

    def gather() -> dict[str, Any]:
        listed, next_cursor = svc.imports_page(
            store, current.principal, sensitivity=Sensitivity(level) if level else None,
            superseded=None if state is None else state == "superseded", sort=asked.sort,
            cursor=asked.cursor, limit=IMPORTS_SHOWN)
        # The lists a corrected file may replace: each list's current version.
        current_lists, _ = svc.imports_page(store, current.principal, superseded=False,
                                            limit=reads.MAX_PAGE)
        return {"imports": listed, "page": {"next_cursor": next_cursor},
                "lists": current_lists}

    shown = await run_in_threadpool(gather)
    return render(request, "imports.html", {
        **shown, "asked": asked, "listing": IMPORT_LIST, "errors": errors or {},
        "sensitivity": SENSITIVITY,
    }, current, lang, status)


@router.post("/imports")
async def upload(request: Request, lang: LangDep) -> Response:
    """Step 1 → 2: take the file into staging and show what was read."""
    current = await visitor(request)
    tr = language(lang).gettext
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        check_csrf(request, current, None)
    form = FormReader(request, UPLOAD_FIELDS)
    fields = await form.fields()
    check_csrf(request, current, fields.one("csrf"))
    permitted(request, current, lang, Permission.ADD_EVIDENCE)
    store: Store = request.app.state.store
    source = fields.one("source") or ""
    version_of = (fields.one("new_version_of") or "").strip()
    level = fields.one("sensitivity") or ""
    if level and level not in SENSITIVITY:
        return await _start_page(request, lang, {"sensitivity": tr(
            "Choose one of the values offered.")}, 422)
    sensitivity = Sensitivity(level) if level else None
    errors = await run_in_threadpool(_target_errors, store, current.principal, source,
                                     version_of, sensitivity, tr)
    if errors:
        return await _start_page(request, lang, errors, 422)
    await run_in_threadpool(_sweep, store)
    staged = await run_in_threadpool(_new_stage, store, current.principal,
                                     safe_name(fields.filename) or "list")
    try:
        await receive_file(form.file_chunks(), staged.path,
                           request.app.state.settings.max_upload_bytes)
    except BaseException:  # over the limit, a broken body, a dropped connection
        _discard(staged)
        raise
    if staged.path.stat().st_size == 0:
        _discard(staged)
        return await _start_page(request, lang, {"file": tr("Choose a list file.")}, 422)
    return await _columns_page(request, lang, staged, (source, version_of), level, {}, None)


async def _columns_page(request: Request, lang: str, staged: Staged,
                        target: tuple[str, str], level: str, chosen: dict[str, str],
                        id_column: str | None, dry: bool = False,
                        refused: list[str] | None = None) -> Response:
    """Step 2 (what was read, the column choices) with, after a dry run or a refused
    confirmation, the problems by line and field."""
    current = await visitor(request)
    tr = language(lang).gettext
    try:
        found = await run_in_threadpool(lambda: check_list(
            staged.path, id_column=id_column, mapping=chosen or None))
    except UserError as exc:
        _discard(staged)
        problems = getattr(exc, "problems", None) or []
        return await _start_page(request, lang, {"file": tr(
            "This file cannot be read as a list (CSV or XLSX with a header row).")
            + (" " + " · ".join(problems[:3]) if problems else "")}, 422)
    problems = refused if refused is not None else (found.problems if dry else None)
    return render(request, "import_columns.html", {
        "staged": staged, "source": target[0], "new_version_of": target[1], "level": level,
        "found": found,
        "first_rows": list(zip(found.table.lines, found.table.rows, strict=True))[:FIRST_ROWS],
        "fields": FIELDS, "field_labels": FIELD_LABELS, "plan": found.plan.fields,
        "id_column": id_column, "checked": problems is not None,
        "problems": _problems(problems or []),
    }, current, lang, 422 if problems else 200)


@router.post("/imports/check")
async def check(request: Request, lang: LangDep) -> Response:
    """Step 2 → 3 → 4: dry run, confirm or cancel the staged list."""
    form = await read_form(request)
    current = await visitor(request)
    permitted(request, current, lang, Permission.ADD_EVIDENCE)
    tr = language(lang).gettext
    store: Store = request.app.state.store
    staged = await run_in_threadpool(_staged, store, current.principal,
                                     form.get("staged", ""))
    if form.get("action") == "cancel":
        await run_in_threadpool(_discard, staged)
        return RedirectResponse(f"/{lang}/imports", status_code=303)
    # Every field as chosen, "" for "not in this list" (so it is not guessed again).
    chosen = {name: form.get(f"map_{name}", "") for name in FIELDS}
    id_column = form.get("id_column") or None
    source, level = form.get("source", ""), form.get("sensitivity", "")
    version_of = form.get("new_version_of", "").strip()
    where = (source, version_of)
    if form.get("action") != "confirm":
        return await _columns_page(request, lang, staged, where, level, chosen, id_column,
                                   dry=True)
    sensitivity = Sensitivity(level) if level in SENSITIVITY else None
    try:
        target = await run_in_threadpool(_target, store, current.principal, source,
                                         version_of, sensitivity)
        made = await run_in_threadpool(lambda: svc.import_upload(
            store, current.principal, staged.path, target, id_column=id_column,
            mapping=chosen, sensitivity=sensitivity, encoding=None, sheet=None,
            receipt=Receipt(actor=current.principal.name, how="web list import")))
    except ConflictError:
        await run_in_threadpool(_discard, staged)
        return await _start_page(request, lang, {"file": tr(
            "This file was imported before; nothing was stored.")}, 409)
    except ValidationError as exc:
        return await _columns_page(request, lang, staged, where, level, chosen, id_column,
                                   refused=exc.problems or [str(exc)])
    except NotFoundError:
        raise
    except UserError as exc:  # a new version that changes nothing, say
        return await _columns_page(request, lang, staged, where, level, chosen, id_column,
                                   refused=[str(exc)])
    await run_in_threadpool(_discard, staged)
    return render(request, "import_done.html", {"made": made, "sensitivity": SENSITIVITY},
                  current, lang)
