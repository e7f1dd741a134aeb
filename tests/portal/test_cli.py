"""``ctdx portal export-static`` writes the whole portal as files; ``ctdx portal serve`` refuses bad input."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ctdx.cli.main import app
from tests.portal.conftest import get_json

runner = CliRunner()


def test_export_static_writes_pages_data_and_api_answers(client, built, tmp_path) -> None:
    out = tmp_path / "site"
    result = runner.invoke(app, ["portal", "export-static", str(built.path), str(out)])
    assert result.exit_code == 0, result.output
    for lang in ("en", "fr", "es"):
        page = (out / lang / built.slug / "index.html").read_text(encoding="utf-8")
        assert f'<html lang="{lang}">' in page and "disabled" in page
        assert (out / lang / built.slug / "release" / "index.html").is_file()
    assert json.loads((out / "api" / "index.json").read_text())["releases"][0]["slug"] == built.slug
    assert json.loads((out / "api" / f"{built.slug}.json").read_text()) == get_json(client, f"/api/{built.slug}")
    chart = json.loads((out / "api" / built.slug / "-" / "charts" / "age.json").read_text())
    assert chart == get_json(client, f"/api/{built.slug}/-/charts/age.json")
    assert (out / "api" / built.slug / "-" / "flows" / "region.csv").read_bytes() == client.get(
        f"/api/{built.slug}/-/flows/region.csv"
    ).content
    assert (out / "downloads" / built.slug / "aggregates" / "flows.csv").read_bytes() == (
        built.path / "aggregates" / "flows.csv"
    ).read_bytes()
    assert (out / "downloads" / f"{built.slug}.zip").is_file() and (out / "static" / "portal.css").is_file()
    # every link a static page makes to the API or a download exists as a file
    page = (out / "en" / built.slug / "index.html").read_text(encoding="utf-8")
    for link in {p.split('"')[0] for p in page.split('href="/')[1:]}:
        if link.startswith(("api/", "downloads/", "static/")):
            assert (out / link).is_file(), link

    again = runner.invoke(app, ["portal", "export-static", str(built.path), str(out)])
    assert again.exit_code == 8 and "empty directory" in again.output


def test_export_and_serve_refuse_what_is_not_a_release(tmp_path) -> None:
    result = runner.invoke(app, ["portal", "export-static", str(tmp_path), str(tmp_path / "out")])
    assert result.exit_code == 11 and "datapackage.json" in result.output
    result = runner.invoke(app, ["portal", "export-static", str(tmp_path)])
    assert result.exit_code == 9 and "output directory" in result.output
    for command in (["portal", "serve", str(tmp_path)], ["portal", str(tmp_path)]):
        result = runner.invoke(app, command)
        assert result.exit_code == 11 and "datapackage.json" in result.output
