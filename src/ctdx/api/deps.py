"""Typed dependencies of the API: the running services and the signed-in principal.

A request is signed in by ``Authorization: Bearer <API token>`` or by the browser session cookie. A
cookie-authenticated request that changes something must also carry the session's CSRF token in the
``X-CSRF-Token`` header (a token-authenticated one cannot be forged by another site: browsers do not add it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from ctdx.accounts import Principal, session_principal, token_principal
from ctdx.accounts.throttle import SignInThrottle
from ctdx.api.errors import CsrfRefused, NotAuthenticated
from ctdx.errors import NotFoundError
from ctdx.store import Store

SESSION_COOKIE = "ctdx_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Services:
    """What every request needs: the open store and the data directory (uploads, quarantine)."""

    store: Store
    data_dir: Path
    throttle: SignInThrottle = field(default_factory=SignInThrottle)  # failed sign-ins per client address


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def client_address(request: Request) -> str | None:
    """The address the server sees for the client (see ``ctdx.accounts.throttle`` behind a proxy)."""
    return request.client.host if request.client is not None else None


def signed_in(request: Request, services: ServicesDep) -> tuple[Principal, str | None]:
    """The principal and, for a browser session, its CSRF token; ``NotAuthenticated`` otherwise."""
    header = request.headers.get("authorization", "")
    try:
        if header.lower().startswith("bearer "):
            # checking a token only reads: it does not queue for SQLite's write lock
            with services.store.transaction(read_only=True) as session:
                return token_principal(session, header[7:].strip()), None
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            with services.store.transaction() as session:  # a session's idle expiry moves on each use
                return session_principal(session, cookie)
    except NotFoundError:
        pass
    raise NotAuthenticated("sign in, or send an API token as 'Authorization: Bearer <token>'")


def current_principal(
    request: Request, found: Annotated[tuple[Principal, str | None], Depends(signed_in)]
) -> Principal:
    principal, csrf = found
    if csrf is not None and request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) != csrf:
        raise CsrfRefused("a change made with a browser session needs the session's X-CSRF-Token header")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]
