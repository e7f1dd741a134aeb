"""The public portal: a FastAPI application over published release directories and nothing else.

It is given release directories; it has no case database, no credentials and no write access to anything.
Every page, chart and API answer is computed by ``ctdx.analytics`` from the release files through DuckDB.
Scripts, styles and map shapes are served from the package (no CDN). FastAPI's interactive docs are
off because they load scripts from a CDN; the OpenAPI description is at ``/api/openapi.json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ctdx import __version__
from ctdx.analytics import ReleaseData, open_release
from ctdx.errors import CtdxError, ValidationError
from ctdx.portal import api, pages
from ctdx.portal.responses import ctdx_error, http_error, invalid_request

STATIC = Path(__file__).parent / "static"
DESCRIPTION = (api.__doc__ or "").split("\n\n", 1)[1]


def create_app(release_dirs: Sequence[Path]) -> FastAPI:
    """The portal serving the releases in ``release_dirs`` (each checked to be a ctdx release)."""
    if not release_dirs:
        raise ValidationError("give the portal at least one release directory")
    data = ReleaseData([open_release(Path(d)) for d in release_dirs])
    app = FastAPI(
        title="ctdx open-data portal API",
        version=api.API_VERSION,
        description=DESCRIPTION,
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.data = data
    app.state.software = f"ctdx {__version__}"
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "HEAD"], expose_headers=["ETag"])
    app.add_exception_handler(CtdxError, ctdx_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC, packages=None), name="static")
    return app
