"""The ``ctdx serve`` application: the JSON API under ``/api/v1`` and the server-rendered pages, with static
assets from the package (no CDN: works offline). The OpenAPI document is at ``/api/openapi.json``; FastAPI's
docs viewer is off because it loads its scripts from a CDN.

Errors: the API answers with its one error shape (``ctdx.api.errors``); pages show an error page with the
same status, and a page that needs a sign-in redirects to ``/login``. Every answer carries security headers
(a same-origin content security policy, no framing, no referrer, no MIME sniffing) and ``no-store``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ctdx.api import admin, auth, cases, referrals
from ctdx.api.deps import Services
from ctdx.api.errors import ctdx_error_response, http_error_response, invalid_request_response, status_of
from ctdx.api.schemas import ErrorBody
from ctdx.errors import CtdxError
from ctdx.store import Store
from ctdx.web import admin as admin_pages
from ctdx.web import pages, screening, session
from ctdx.web.rendering import render

API_PREFIX = "/api/v1"
ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody, "description": what}
    for status, what in (
        (400, "the file cannot be read"),
        (401, "not signed in"),
        (403, "not allowed (or CSRF token missing)"),
        (404, "not found, or not visible to the caller"),
        (409, "conflicts with the current state, or consent is missing"),
        (422, "the request is malformed"),
    )
}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX, responses=ERROR_RESPONSES)
    for module in (auth, cases, referrals, admin):
        router.include_router(module.router)
    return router


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(store: Store, data_dir: Path) -> FastAPI:
    """The application over an open ``store``; uploads and quarantine files go under ``data_dir``."""
    app = FastAPI(
        title="ctdx",
        summary="Case work on HTCDS 2.0: cases, screening, consent, referrals",
        version="1",
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = Services(store, data_dir)
    app.include_router(api_router())
    for module in (session, pages, screening, admin_pages):
        app.include_router(module.router)
    static = resources.files("ctdx.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    async def on_ctdx_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, CtdxError)
        if _is_api(request):
            return ctdx_error_response(exc)
        if isinstance(exc, session.SignInRequired):
            return RedirectResponse("/login", status_code=303)
        return render(
            request, "error.html", None, None, status_code=status_of(exc.code), code=exc.code, message=exc.message
        )

    async def on_invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if _is_api(request):
            return invalid_request_response(exc)
        message = "the form is incomplete or malformed"
        return render(request, "error.html", None, None, status_code=422, code="validation", message=message)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if _is_api(request):
            return http_error_response(exc)
        return render(
            request, "error.html", None, None, status_code=exc.status_code, code="http", message=str(exc.detail)
        )

    app.add_exception_handler(CtdxError, on_ctdx_error)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(StarletteHTTPException, on_http)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app
