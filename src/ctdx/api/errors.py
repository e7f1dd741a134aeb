"""The one error shape of the API and the one place where error codes become HTTP statuses.

Every error answer is ``{"error": {"code": ..., "message": ..., "field": ...}}`` (``field`` when known).
Codes are the stable ``code`` of ``ctdx.errors``; request-validation failures use ``validation``. The
message is the library's, which never holds an identifying value; other context is not echoed.
"""

from __future__ import annotations

import logging

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ctdx.errors import CtdxError

LOG = logging.getLogger("ctdx.api")

STATUS_BY_CODE: dict[str, int] = {
    "validation": 422,
    "input_file": 400,
    "unauthenticated": 401,
    "login_failed": 401,
    "too_many_attempts": 429,
    "csrf": 403,
    "permission_denied": 403,
    "not_found": 404,
    "conflict": 409,
    "consent_missing": 409,
    "config": 500,
    "encryption_key": 500,
    "integrity": 500,
    "store": 503,
    "schema_version": 503,
}
DEFAULT_STATUS = 500
HTTP_CODES: dict[int, str] = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated", 403: "csrf"}


def status_of(code: str) -> int:
    return STATUS_BY_CODE.get(code, DEFAULT_STATUS)


def error_body(code: str, message: str, field: str | None = None) -> dict[str, dict[str, str]]:
    body = {"code": code, "message": message}
    if field is not None:
        body["field"] = field
    return {"error": body}


class NotAuthenticated(CtdxError):
    """No valid session or token came with the request."""

    code = "unauthenticated"


class CsrfRefused(CtdxError):
    """A form or cookie-authenticated request came without the session's CSRF token."""

    code = "csrf"


def ctdx_error_response(exc: CtdxError) -> JSONResponse:
    status = status_of(exc.code)
    if status >= 500:
        LOG.error("request failed: %s", exc.code)
    field = exc.context.get("field")
    retry = exc.context.get("retry_after")
    headers = {"Retry-After": str(retry)} if isinstance(retry, int) else None
    return JSONResponse(
        error_body(exc.code, exc.message, str(field) if field else None), status_code=status, headers=headers
    )


def invalid_request_response(exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
    message = f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg", "invalid request"))
    return JSONResponse(error_body("validation", message, where or None), status_code=422)


def http_error_response(exc: StarletteHTTPException) -> JSONResponse:
    code = HTTP_CODES.get(exc.status_code, "http_error")
    return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers)
