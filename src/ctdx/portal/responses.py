"""The one JSON envelope, the one error shape, and ETag caching of the portal's answers.

Envelope (Datasette's convention): every JSON answer is an object with ``"ok": true`` and its data beside
it. Error shape: ``{"ok": false, "status": <HTTP status>, "code": <stable ctdx error code>, "error":
<message>}``, for every endpoint and every failure, enforced by a test. Codes become statuses through
``ctdx.api.errors.status_of``, the project's one mapping.

Every successful answer carries a strong ETag over its bytes; a request whose ``If-None-Match`` names it
gets ``304 Not Modified``. Release files never change once published, so answers may be cached publicly.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ctdx.api.errors import status_of
from ctdx.errors import CtdxError

CACHE_CONTROL = "public, max-age=300"
HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def cached(request: Request, body: bytes, media_type: str, headers: dict[str, str] | None = None) -> Response:
    """``body`` with its ETag, or ``304`` when the client already holds it."""
    tag = etag_of(body)
    out = {"ETag": tag, "Cache-Control": CACHE_CONTROL, **(headers or {})}
    wanted = [t.strip() for t in request.headers.get("if-none-match", "").split(",")]
    if tag in wanted or "*" in wanted:
        return Response(status_code=304, headers=out)
    return Response(body, media_type=media_type, headers=out)


def envelope(request: Request, data: dict[str, Any]) -> Response:
    body = json.dumps({"ok": True, **data}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return cached(request, body, "application/json")


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "status": status, "code": code, "error": message}, status_code=status)


async def ctdx_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CtdxError)
    status = status_of(exc.code)
    return error_response(400 if status == 422 else status, exc.code, exc.message)


async def invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "path"))
    return error_response(400, "validation", f"{where}: {first.get('msg', 'invalid')}" if where else "invalid request")


async def http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return error_response(exc.status_code, HTTP_CODES.get(exc.status_code, "http_error"), str(exc.detail))
