"""One error shape for every failure: ``{"error": {"code": ..., "message": ...}}``.

Messages of unexpected failures are generic: a traceback can name a witness.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from dadkhahi.access.passwords import HashPoolFullError
from dadkhahi.access.policy import ForbiddenError
from dadkhahi.access.signin import SignInFailedError, ThrottledError
from dadkhahi.domain.errors import (
    ConflictError,
    IntegrityError,
    NotFoundError,
    UserError,
    ValidationError,
)
from dadkhahi.http.access_log import route_template
from dadkhahi.http.errors import HttpError
from dadkhahi.store.blobs import BlobTooLargeError
from dadkhahi.store.versions import VersionMismatchError

log = logging.getLogger("dadkhahi.api")

_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 410: "gone", 412: "precondition_failed",
    413: "too_large", 415: "unsupported_media_type", 422: "invalid",
    428: "precondition_required", 429: "too_many_requests", 500: "internal",
}


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    """What every failed request answers."""

    error: ErrorDetail


_MEANING = {
    400: "Bad request", 401: "Not signed in, or the session is invalid",
    403: "Your role may not do this", 404: "No such object, or not visible to you",
    410: "The content was erased", 412: "Changed since you read it (If-Match)",
    413: "Larger than the upload limit", 415: "Not a media type this route takes",
    422: "The request is not valid",
    428: "If-Match is required",
    429: "Too many requests: wait the Retry-After seconds",
}
#: Failures any route may answer, documented once for the whole API.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text} for code, text in _MEANING.items()
}


#: The API's name for the one error with an HTTP status (the pages answer it too).
ApiError = HttpError


def error_response(
    status: int, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body: dict[str, Any] = {"code": _CODES.get(status, "error"), "message": message}
    if details is not None:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _status_of(exc: UserError, request: Request) -> int:
    if isinstance(exc, (ThrottledError, HashPoolFullError)):
        return 429
    if isinstance(exc, SignInFailedError):
        return 401
    if isinstance(exc, NotFoundError):
        return 410 if type(exc).__name__ == "ContentErasedError" else 404
    if isinstance(exc, ForbiddenError):
        signed_in = getattr(request.state, "principal", None)
        return 403 if signed_in is not None and signed_in.signed_in else 401
    if isinstance(exc, VersionMismatchError):
        return 412
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, BlobTooLargeError):
        return 413
    if isinstance(exc, ValidationError):
        return 422
    return 400


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, str(exc), headers=exc.headers)

    @app.exception_handler(UserError)
    async def _user(request: Request, exc: UserError) -> JSONResponse:
        status = _status_of(exc, request)
        details = exc.problems if isinstance(exc, ValidationError) and exc.problems else None
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(exc, (ThrottledError, HashPoolFullError)):
            headers = {"Retry-After": str(exc.retry_after)}
        return error_response(status, str(exc), details, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        return error_response(422, "the request is not valid", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # Integrity messages name events and tables, never stored values.
        log.error("integrity error on %s %s: %s", request.method,
                  route_template(request.scope), exc)
        return error_response(500, "stored data failed an integrity check; see the server log")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The route template, not the path; the formatter of `dadkhahi serve` leaves the
        # exception's message out (it may quote a value).
        log.exception("unexpected error on %s %s", request.method,
                      route_template(request.scope))
        return error_response(500, "internal error; see the server log")
