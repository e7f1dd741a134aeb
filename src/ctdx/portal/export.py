"""``ctdx portal export-static``: the whole portal as files that any static web server can serve.

Written: the pages in every language (dashboards without filters, whose forms are disabled, since a static
host cannot answer them), the release pages, every release file and the Data Package zip, the scripts and
styles, and the API's answers for its unfiltered queries (``api/{release}.json``, each table's first page
as ``.json`` and ``.csv``, every chart's data, the headline, the flows at each level, and OpenAPI). API
answers are fetched from the application itself, in process, so they are byte for byte what it serves.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Sequence
from pathlib import Path

import httpx

from ctdx.analytics import DIMENSIONS, LEVELS
from ctdx.errors import ConflictError, IntegrityError
from ctdx.portal.app import STATIC, create_app
from ctdx.portal.i18n import LANGUAGES, Translator, language_names
from ctdx.portal.pages import TEMPLATES, dashboard_context, package_zip, release_context

REDIRECT = '<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=en/"><a href="en/">en</a>\n'


def _write(out: Path, relative: str, body: bytes) -> None:
    path = out / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


async def _fetch_all(app: object, urls: Sequence[str]) -> dict[str, bytes]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://portal") as client:
        found = {}
        for url in urls:
            response = await client.get(url)
            if response.status_code != 200:
                raise IntegrityError(f"the portal answered {response.status_code} for {url} during the export")
            found[url] = response.content
        return found


def export_portal(release_dirs: Sequence[Path], out: Path) -> int:
    """Write the static portal for ``release_dirs`` into the empty directory ``out``; return the file count."""
    if out.exists() and any(out.iterdir()):
        raise ConflictError(f"{out} already holds files: export into an empty directory", path=str(out))
    app = create_app(release_dirs)
    data = app.state.data
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(STATIC, out / "static")
    _write(out, "index.html", REDIRECT.encode())
    urls = ["/api/", "/api/openapi.json"]
    for lang in LANGUAGES:
        index = TEMPLATES.get_template("index.html").render(
            t=Translator(lang), lang=lang, languages=language_names(), releases=list(data.releases.values()),
            path="/", query="", static=True,
        )  # fmt: skip
        _write(out, f"{lang}/index.html", index.encode("utf-8"))
    for slug, release in data.releases.items():
        for lang in LANGUAGES:
            page = TEMPLATES.get_template("dashboard.html").render(
                dashboard_context(data, slug, lang, {}, "country", static=True)
            )
            _write(out, f"{lang}/{slug}/index.html", page.encode("utf-8"))
            about = TEMPLATES.get_template("release.html").render(release_context(release, lang, static=True))
            _write(out, f"{lang}/{slug}/release/index.html", about.encode("utf-8"))
        for name, path in release.files().items():
            target = out / "downloads" / slug / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        _write(out, f"downloads/{slug}.zip", package_zip(release))
        urls.append(f"/api/{slug}")
        urls += [f"/api/{slug}/{t.name}.{fmt}" for t in release.tables for fmt in ("json", "csv")]
        urls += [f"/api/{slug}/-/charts/{key}.{fmt}" for key in DIMENSIONS for fmt in ("json", "csv")]
        urls += [f"/api/{slug}/-/flows/{level}.{fmt}" for level in LEVELS for fmt in ("json", "csv")]
        urls.append(f"/api/{slug}/-/headline.json")
    answers = asyncio.run(_fetch_all(app, urls))
    renamed = {"/api/": "api/index.json", **{f"/api/{slug}": f"api/{slug}.json" for slug in data.releases}}
    for url, body in answers.items():
        _write(out, renamed.get(url, url.lstrip("/")), body)
    return sum(1 for p in out.rglob("*") if p.is_file())
