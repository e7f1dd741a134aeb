"""Templates and translations: Jinja2 pages with every label in the user's language (``translations/*.json``).

Autoescaping is on for every template, so no value reaches a page as markup.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ctdx.accounts import Principal

LANGUAGES = ("en", "fr", "es")
TEMPLATES = Jinja2Templates(
    env=Environment(
        loader=PackageLoader("ctdx.web", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
    )
)


@cache
def translations(lang: str) -> dict[str, str]:
    text = resources.files("ctdx.web").joinpath("translations", f"{lang}.json").read_text(encoding="utf-8")
    loaded: dict[str, str] = json.loads(text)
    return loaded


def language_of(request: Request, principal: Principal | None) -> str:
    """The user's language, else the browser's first supported one, else English."""
    if principal is not None and principal.language in LANGUAGES:
        return principal.language
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip()[:2].lower()
        if code in LANGUAGES:
            return code
    return "en"


def render(
    request: Request, name: str, principal: Principal | None, csrf: str | None, status_code: int = 200, **values: Any
) -> HTMLResponse:
    lang = language_of(request, principal)
    context = {"t": translations(lang), "lang": lang, "me": principal, "csrf": csrf or "", **values}
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)
