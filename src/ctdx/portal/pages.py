"""HTML pages of the portal: the release list, each release's dashboard and its release page, downloads.

Pages are in English, French or Spanish (``/en/``, ``/fr/``, ``/es/``). The dashboard's filters are query
parameters, so every view has its own URL and works without JavaScript; ``static/portal.js`` only adds
conveniences (filters applied on change, tooltips).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from ctdx.analytics import DIMENSIONS, FILTER_COLUMNS, LEVELS, ReleaseData, breakdown, flows, headline
from ctdx.analytics.breakdowns import NoTable, check_filters
from ctdx.analytics.release import AGGREGATE, Release
from ctdx.errors import NotFoundError, ValidationError
from ctdx.portal import charts
from ctdx.portal.i18n import LANGUAGES, Translator, check_language, language_names
from ctdx.portal.responses import cached

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
BAR_CHARTS = ("sex", "age", "exploitation", "means", "labour", "recruiter")
MAP_CHARTS = ("citizenship", "country")
router = APIRouter()


def filter_options(release: Release) -> dict[str, list[str]]:
    """The values each filter offers: the declared categories of the column (aggregate tables first)."""
    options: dict[str, list[str]] = {}
    for table in sorted(release.tables, key=lambda t: t.product != AGGREGATE):
        for column in FILTER_COLUMNS:
            found = table.field(column)
            if column not in options and found is not None and found.categories:
                options[column] = [c for c in found.categories if c != "*"]
    return options


def protection_text(p: Mapping[str, Any], t: Translator) -> str:
    product = p["product"]
    if product == AGGREGATE:
        return t(
            "p_dp_aggregates", table=p["table"], mechanism=p.get("mechanism"), epsilon=f"{p.get('epsilon') or 0:.3g}",
            delta=f"{p.get('delta') or 0:.1e}", threshold=p["threshold"], bound=p.get("error_bound"),
            confidence=f"{p.get('error_confidence') or 0:.0%}",
        )  # fmt: skip
    if product == "synthetic":
        return t("p_synthetic", epsilon=f"{p.get('epsilon') or 0:.3g}", delta=f"{p.get('delta') or 0:.1e}",
                 threshold=p["threshold"])  # fmt: skip
    return t("p_k_anonymous", k=p.get("k"), qis=", ".join(p.get("quasi_identifiers", [])), threshold=p["threshold"])


def _query(filters: Mapping[str, str], **extra: str) -> str:
    items = {**filters, **extra}
    return ("?" + urlencode(items)) if items else ""


def _chart_block(key: str, kind: str, build: Any, t: Translator, csv_url: str) -> dict[str, Any]:
    try:
        result = build()
    except NoTable:
        return {"key": key, "kind": kind, "available": False, "title": t(f"c_{key}")}
    block: dict[str, Any] = {
        "key": key,
        "kind": kind,
        "available": True,
        "title": t(f"c_{key}"),
        "result": result,
        "protection": protection_text(result.protection, t),
        "product": result.protection["product"],
        "csv_url": csv_url,
    }
    if kind == "sankey":
        block["chart"] = charts.sankey(result, t)
        return block
    block["chart"] = {"bars": charts.bars, "columns": charts.columns, "map": charts.world_map}[kind](result, t)
    if result.total:
        block["denominator"] = t(
            "denominator", n=f"{result.denominator:,}", missing=f"{result.missing:,}",
            share=charts.percent(result.missing_share),
        )  # fmt: skip
    block["multi"] = DIMENSIONS[key].flags
    return block


def dashboard_context(data: ReleaseData, slug: str, lang: str, filters: Mapping[str, str], level: str,
                      static: bool = False) -> dict[str, Any]:  # fmt: skip
    """Everything the dashboard page shows for one release, language and set of filters."""
    release = data.release(slug)
    t = Translator(lang)
    wanted = check_filters(filters)
    if level not in LEVELS:
        raise ValidationError(f"level is one of {', '.join(LEVELS)}", field="level")
    api = f"/api/{slug}/-"
    top = headline(data, slug, wanted)
    confidence = release.report.get("differential_privacy", {}).get("error_confidence", 0.95)
    blocks = [_chart_block("year", "columns", lambda: breakdown(data, slug, "year", wanted), t,
                           f"{api}/charts/year.csv{_query(wanted)}")]  # fmt: skip
    for key in BAR_CHARTS:
        blocks.append(_chart_block(key, "bars", lambda k=key: breakdown(data, slug, k, wanted), t,
                                   f"{api}/charts/{key}.csv{_query(wanted)}"))  # fmt: skip
    for key in MAP_CHARTS:
        blocks.append(_chart_block(key, "map", lambda k=key: breakdown(data, slug, k, wanted), t,
                                   f"{api}/charts/{key}.csv{_query(wanted)}"))  # fmt: skip
    blocks.append(_chart_block("flows", "sankey", lambda: flows(data, slug, level, wanted), t,
                               f"{api}/flows/{level}.csv{_query(wanted)}"))  # fmt: skip
    return {
        "t": t,
        "lang": lang,
        "languages": language_names(),
        "release": release,
        "filters": wanted,
        "options": filter_options(release),
        "filter_columns": FILTER_COLUMNS,
        "level": level,
        "levels": LEVELS,
        "headline": top,
        "confidence": f"{confidence:.0%}",
        "blocks": blocks,
        "static": static,
        "query": _query(wanted),
        "path": f"/{slug}/",
    }


def release_context(release: Release, lang: str, static: bool = False) -> dict[str, Any]:
    changelog = (
        (release.path / "CHANGELOG.md").read_text(encoding="utf-8") if (release.path / "CHANGELOG.md").is_file() else ""
    )
    privacy = release.privacy
    downloads = [
        {"path": str(r["path"]), "name": str(r["name"]), "format": str(r.get("format", "")), "bytes": r.get("bytes")}
        for r in release.package["resources"]
    ]
    return {
        "t": Translator(lang),
        "lang": lang,
        "languages": language_names(),
        "release": release,
        "changelog": [line[2:] for line in changelog.splitlines() if line.startswith("- ")],
        "privacy": privacy,
        "report": release.report,
        "downloads": downloads,
        "path": f"/{release.slug}/release/",
        "query": "",
        "static": static,
    }


def render(request: Request, name: str, context: dict[str, Any]) -> Response:
    body = TEMPLATES.get_template(name).render({"request": request, **context}).encode("utf-8")
    return cached(request, body, "text/html; charset=utf-8")


def _data(request: Request) -> ReleaseData:
    data: ReleaseData = request.app.state.data
    return data


@router.get("/", include_in_schema=False)
def root() -> RedirectResponse:
    return RedirectResponse("/en/")


@router.get("/{lang}/", include_in_schema=False)
def index(request: Request, lang: str) -> Response:
    context = {"t": Translator(check_language(lang)), "lang": lang, "languages": language_names(),
               "releases": list(_data(request).releases.values()), "path": "/", "query": ""}  # fmt: skip
    return render(request, "index.html", context)


@router.get("/{lang}/{release}/", include_in_schema=False)
def dashboard(request: Request, lang: str, release: str) -> Response:
    params = dict(request.query_params)
    level = params.pop("level", "country")
    context = dashboard_context(_data(request), release, check_language(lang), params, level)
    return render(request, "dashboard.html", context)


@router.get("/{lang}/{release}/release/", include_in_schema=False)
def release_page(request: Request, lang: str, release: str) -> Response:
    return render(request, "release.html", release_context(_data(request).release(release), check_language(lang)))


def package_zip(release: Release) -> bytes:
    """The whole Data Package as one zip, every file under the package's name and version."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, path in sorted(release.files().items()):
            archive.write(path, f"{release.slug}/{name}")
    return buffer.getvalue()


@router.get("/downloads/{name}.zip", include_in_schema=False)
def download_zip(request: Request, name: str) -> Response:
    release = _data(request).release(name)
    disposition = {"Content-Disposition": f'attachment; filename="{release.slug}.zip"'}
    return cached(request, package_zip(release), "application/zip", disposition)


@router.get("/downloads/{release}/{path:path}", include_in_schema=False)
def download(request: Request, release: str, path: str) -> Response:
    files = _data(request).release(release).files()
    if path not in files:
        raise NotFoundError(f"release {release} has no file {path!r} to download")
    return FileResponse(files[path], filename=Path(path).name)


__all__ = ["LANGUAGES", "router"]
