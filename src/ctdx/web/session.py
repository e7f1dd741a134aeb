"""Signing in and out of the web pages, the signed-in page dependency and the CSRF check of every form.

Every form carries the session's CSRF token in a hidden ``csrf_token`` field. Before sign-in there is no
session, so the sign-in form uses a double-submit token: a random value in a short-lived HttpOnly cookie
that the form must repeat. Cookies are HttpOnly and SameSite=Lax, and Secure when the request came over
TLS (directly or through a proxy that uvicorn trusts with ``--proxy-headers``).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from ctdx.accounts import Principal, authenticate, end_session, open_session, session_principal, set_language
from ctdx.accounts.sessions import ABSOLUTE_TIMEOUT, LoginFailed
from ctdx.accounts.throttle import TooManyAttempts
from ctdx.api.deps import SESSION_COOKIE, ServicesDep, client_address
from ctdx.api.errors import CsrfRefused
from ctdx.errors import CtdxError, NotFoundError
from ctdx.web.rendering import render

LOGIN_CSRF_COOKIE = "ctdx_login_csrf"
router = APIRouter(include_in_schema=False)


class SignInRequired(CtdxError):
    """A page needs a signed-in user; the web layer answers with a redirect to the sign-in page."""

    code = "unauthenticated"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", secure=_secure(request), path="/")


def check_csrf(expected: str | None, given: str | None) -> None:
    if not expected or not given or not hmac.compare_digest(expected, given):
        raise CsrfRefused("the form was not sent from this site's page (CSRF token missing or wrong); reload the page")


def page_session(request: Request, services: ServicesDep) -> tuple[Principal, str]:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        try:
            with services.store.transaction() as session:
                return session_principal(session, cookie)
        except NotFoundError:
            pass
    raise SignInRequired("sign in first")


PageSession = Annotated[tuple[Principal, str], Depends(page_session)]


async def form_session(request: Request, found: PageSession) -> tuple[Principal, str]:
    """The signed-in user of a form post, after checking the form's CSRF token."""
    form = await request.form()
    given = form.get("csrf_token")
    check_csrf(found[1], given if isinstance(given, str) else None)
    return found


FormSession = Annotated[tuple[Principal, str], Depends(form_session)]


@router.get("/login")
def login_page(request: Request, failed: bool = False) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request, "login.html", None, token, status_code=401 if failed else 200, failed=failed, throttled=None
    )
    set_cookie(response, request, LOGIN_CSRF_COOKIE, token, 600)
    return response


@router.post("/login")
def login(
    request: Request,
    services: ServicesDep,
    username: Annotated[str, Form(max_length=150)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    check_csrf(request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token)
    try:
        principal = authenticate(
            services.store, username, password, throttle=services.throttle, address=client_address(request)
        )
    except LoginFailed:
        return RedirectResponse("/login?failed=true", status_code=303)
    except TooManyAttempts as refused:
        token = secrets.token_urlsafe(32)
        minutes = max(1, -(-refused.retry_after // 60))
        page = render(request, "login.html", None, token, status_code=429, failed=False, throttled=minutes)
        page.headers["Retry-After"] = str(refused.retry_after)
        set_cookie(page, request, LOGIN_CSRF_COOKIE, token, 600)
        return page
    with services.store.transaction() as session:
        new = open_session(session, principal, previous_token=request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/", status_code=303)
    set_cookie(response, request, SESSION_COOKIE, new.token, int(ABSOLUTE_TIMEOUT.total_seconds()))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, services: ServicesDep, found: FormSession) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        with services.store.transaction() as session:
            end_session(session, cookie)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/language")
def choose_language(
    services: ServicesDep, found: FormSession, language: Annotated[str, Form(max_length=5)]
) -> Response:
    """The signed-in user's interface language, kept with the account."""
    with services.store.transaction() as session:
        set_language(session, found[0], language)
    return RedirectResponse("/", status_code=303)
