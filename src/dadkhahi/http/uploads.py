"""Upload bodies: metadata fields first, then one file, as streamed ``multipart/form-data``.

Identifying values (a file's name, who handed it over, a protected source's title)
travel in the request body, never in the URL, where proxies, browsers and access logs
keep them beyond the reach of erasure (issue 11).

Why not FastAPI's ``Form``/``UploadFile``: Starlette's form parser reads the whole
body before the route runs and spools each file to a temporary file, so a protected
file would lie in clear in the temporary folder, and the route could not refuse a
request (404, 403) before every byte had arrived. :class:`FormReader` drives
python-multipart's push parser itself: the fields are gathered until the file part
begins, the route checks them, and the file's bytes then go straight to where they
belong (the sealing blob writer, or an import's private folder), chunk by chunk.

:func:`receive_item` is the one path of a file into a source for both faces (the API's
``POST /api/sources/{id}/items`` and the sources page); the storing itself is
:mod:`dadkhahi.services.uploads`.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar, get_origin

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from dadkhahi.access.policy import Principal
from dadkhahi.http.errors import HttpError
from dadkhahi.http.models import ItemUploadIn
from dadkhahi.http.settings import ServerSettings
from dadkhahi.intake.evidence import Receipt
from dadkhahi.services import items, uploads
from dadkhahi.store.store import Store

#: The part holding the file.
FILE_FIELD = "file"
#: Fields a caller's ``check`` reads besides the upload's own (a page's form token).
CHECKED_FIELDS = frozenset({"csrf"})
#: Bounds on the metadata: no field of either upload needs more.
MAX_FIELD_BYTES = 8 * 1024
MAX_FIELDS = 100
#: What the fields and the multipart framing may add to a body beyond the file itself.
FORM_ALLOWANCE = 64 * 1024

M = TypeVar("M", bound=BaseModel)


@dataclass
class UploadFields:
    """The metadata fields sent before the file, and the file part's own name."""

    values: dict[str, list[str]] = field(default_factory=dict)
    filename: str | None = None

    def one(self, name: str) -> str | None:
        """The field's value (422 if it was sent twice); None if absent."""
        found = self.values.get(name)
        if not found:
            return None
        if len(found) > 1:
            raise HttpError(422, f"field {name!r} was sent {len(found)} times; send it once")
        return found[0]

    def many(self, name: str) -> list[str]:
        """Every value of a repeatable field."""
        return list(self.values.get(name, ()))


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    is_file: bool = False
    data: bytearray = field(default_factory=bytearray)
    disposition: bytes = b""


class FormReader:
    """Reads one upload: :meth:`fields` first, then :meth:`file_chunks`.

    ``allowed`` names the metadata fields the route takes (others are refused, as
    JSON bodies refuse extra keys). Fields after the file part are refused: the
    route must be able to check everything before it takes the file.
    """

    def __init__(self, request: Request, allowed: Iterable[str]) -> None:
        self.request = request
        self.allowed = frozenset(allowed)
        self._events: list[tuple[str, Any]] = []
        self._part = _Part()
        self._header_name = b""
        self._header_value = b""
        self._fields = 0
        self._stream: AsyncIterator[bytes] | None = None
        self._parser: MultipartParser | None = None
        self._done = False

    # --- python-multipart callbacks: they only queue events ------------------------

    def _on_part_begin(self) -> None:
        self._part = _Part()

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        if self._header_name.strip().lower() == b"content-disposition":
            self._part.disposition = self._header_value
        self._header_name = self._header_value = b""

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._part.disposition)
        if b"name" not in options:
            raise HttpError(422, "each part needs a Content-Disposition header with a name")
        self._part.name = _text(options[b"name"], "a part's name")
        if self._part.name == FILE_FIELD:
            self._part.is_file = True
            raw = options.get(b"filename")
            self._part.filename = None if raw is None else _text(raw, "the file's name")
            self._events.append(("file", self._part.filename))
            return
        if self._part.name not in self.allowed:
            raise HttpError(422, f"unknown field {self._part.name[:64]!r}; this upload takes "
                                f"{', '.join(sorted(self.allowed))} and {FILE_FIELD!r}")
        self._fields += 1
        if self._fields > MAX_FIELDS:
            raise HttpError(422, f"more than {MAX_FIELDS} fields")

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._part.is_file:
            self._events.append(("data", data[start:end]))
            return
        if len(self._part.data) + end - start > MAX_FIELD_BYTES:
            raise HttpError(422, f"field {self._part.name!r} is longer than "
                                f"{MAX_FIELD_BYTES:,} bytes")
        self._part.data += data[start:end]

    def _on_part_end(self) -> None:
        if self._part.is_file:
            self._events.append(("file_end", None))
        else:
            value = _text(bytes(self._part.data), f"field {self._part.name!r}")
            self._events.append(("field", (self._part.name, value)))

    # --- reading -------------------------------------------------------------------

    def _start(self) -> None:
        content_type, options = parse_options_header(self.request.headers.get("content-type"))
        if content_type != b"multipart/form-data":
            raise HttpError(415, "send multipart/form-data: the fields, then the file as the "
                                f"part named {FILE_FIELD!r}")
        boundary = options.get(b"boundary")
        if not boundary:
            raise HttpError(422, "the multipart body names no boundary")
        try:
            self._parser = MultipartParser(boundary, {
                "on_part_begin": self._on_part_begin,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
            })
        except (FormParserError, ValueError):
            raise HttpError(422, "the multipart boundary is not valid") from None
        self._stream = self.request.stream().__aiter__()

    async def _next_events(self) -> list[tuple[str, Any]]:
        """Feed the parser until it yields events; [("end", None)] at the end of the body."""
        assert self._parser is not None
        assert self._stream is not None
        while not self._events:
            if self._done:
                return [("end", None)]
            try:
                chunk = await self._stream.__anext__()
            except StopAsyncIteration:
                chunk = None
            try:
                if chunk is None:
                    self._done = True
                    self._parser.finalize()
                elif chunk:
                    self._parser.write(chunk)
            except FormParserError:
                raise HttpError(422, "the body is not valid multipart/form-data") from None
        events, self._events = self._events, []
        return events

    async def fields(self) -> UploadFields:
        """The fields sent before the file part (422 if the body holds no file)."""
        self._start()
        out = UploadFields()
        while True:
            events = await self._next_events()
            for i, (kind, value) in enumerate(events):
                if kind == "field":
                    name, text = value
                    out.values.setdefault(name, []).append(text)
                elif kind == "file":
                    out.filename = value
                    # The file's first bytes may have come with the same chunk.
                    self._events = events[i + 1:] + self._events
                    return out
                elif kind == "end":
                    raise HttpError(422, f"the file is missing: send it as the part named "
                                        f"{FILE_FIELD!r}, after the fields")

    async def file_chunks(self) -> AsyncIterator[bytes]:
        """The file's bytes as they arrive; then checks that nothing follows the file."""
        ended = False
        while True:
            events = await self._next_events()
            data = [value for kind, value in events if kind == "data" and not ended]
            for kind, _ in events:
                if kind == "file_end":
                    ended = True
                elif kind in ("field", "file") and ended:
                    raise HttpError(422, "send every field before the file, and one file only")
                elif kind == "end":
                    if not ended:
                        raise HttpError(422, "the body ended inside the file part")
                    if data:
                        yield b"".join(data)
                    return
            if data:
                yield b"".join(data)


def refuse_oversized(request: Request, limit: int) -> None:
    """413 at once when the declared body is larger than a file of ``limit`` bytes allows.

    The file itself is held to ``limit`` as it streams in (a body may be chunked).
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit + FORM_ALLOWANCE:
        raise HttpError(413, f"file is larger than the limit of {limit:,} bytes")


def _text(raw: bytes, what: str) -> str:
    try:
        return codecs.decode(raw, "utf-8")
    except UnicodeDecodeError:
        raise HttpError(422, f"{what} is not UTF-8 text") from None


def read_fields(model: type[M], fields: UploadFields) -> M:
    """The fields validated by ``model`` (422 naming each bad field, as for JSON bodies)."""
    data: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        key = info.alias or name
        if get_origin(info.annotation) is list:
            if key in fields.values:
                data[key] = fields.many(key)
        else:
            value = fields.one(key)
            if value is not None:
                data[key] = value
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


def field_names(model: type[BaseModel]) -> frozenset[str]:
    """The form field names of ``model`` (aliases where it has them)."""
    return frozenset(info.alias or name for name, info in model.model_fields.items())


async def receive_item(
    request: Request, store: Store, principal: Principal, settings: ServerSettings,
    source_id: str, check: Callable[[UploadFields], None] | None = None,
) -> tuple[dict[str, Any], bool]:
    """Take one streamed upload into a source: (the item as shown, whether it was a
    duplicate). ``check`` sees the fields before the first byte of the file is read (the
    pages check their form token there); the API and the pages share this one path."""
    allowed = field_names(ItemUploadIn) | (CHECKED_FIELDS if check else frozenset())
    form = FormReader(request, allowed)
    fields = None
    if check is not None:
        # A page's form token comes first: a forged form learns nothing, not even whether
        # the source exists (the fields are small; no byte of the file is read yet).
        fields = await form.fields()
        check(fields)
    sensitivity = await run_in_threadpool(items.upload_sensitivity, store, principal,
                                          source_id)
    limit = settings.max_upload_bytes
    refuse_oversized(request, limit)
    if fields is None:
        fields = await form.fields()
    meta = read_fields(ItemUploadIn, fields)
    receipt = Receipt(actor=principal.name, from_party=meta.from_party,
                      how=meta.how or "HTTP upload")
    return await uploads.store_item(store, principal, source_id, sensitivity,
                                    form.file_chunks(), name=meta.name or fields.filename,
                                    receipt=receipt, limit=limit)


def form_schema(model: type[BaseModel], file_description: str) -> dict[str, Any]:
    """OpenAPI ``requestBody`` of an upload: ``model``'s fields, then the file part."""
    schema = model.model_json_schema(by_alias=True)
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        # The form's schema sits inside the operation, where "#/$defs/..." cannot resolve.
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    properties = inline(schema.get("properties", {}))
    properties[FILE_FIELD] = {"type": "string", "format": "binary",
                              "description": f"{file_description}; send it after the fields"}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "properties": properties,
        "required": [*schema.get("required", []), FILE_FIELD],
    }}}}}


__all__ = ["CHECKED_FIELDS", "FILE_FIELD", "FormReader", "UploadFields", "field_names",
           "form_schema", "read_fields", "receive_item", "refuse_oversized"]
