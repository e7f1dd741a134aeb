"""Writing a cohort: the native CSV and JSON Lines files, the truth beside them, determinism, refusals."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from ctdx.errors import ConflictError
from ctdx.model import FieldValue
from ctdx.sample import CHUNK_RECORDS, FIELDS, generate_cohort, write_cohort
from ctdx.standard import load_standard


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _parse(name: str, cell: str) -> FieldValue | None:
    """Read one native CSV cell back the way an importer does (the reverse of the documented format)."""
    if cell == "":
        return None
    if cell.startswith("'") and cell[1:2] in ("=", "+", "-", "@"):
        cell = cell[1:]
    field = load_standard().field(name)
    if field.type == "multi_picklist":
        return tuple(cell.split(";"))
    if field.type == "date":
        return dt.date.fromisoformat(cell)
    if field.type == "checkbox":
        return {"TRUE": True, "FALSE": False}[cell]
    if field.type == "number":
        return int(cell)
    return cell


def test_native_csv_round_trips_to_the_generated_records(tmp_path: Path) -> None:
    cohort = generate_cohort(800, 3, seed=3)
    manifest = write_cohort(cohort, tmp_path / "out")
    expected = {r.source.record_id: r.values for r in cohort.records()}
    out = tmp_path / "out"
    seen = 0
    for org in cohort.organisations:
        with open(out / f"{org.code}.csv", encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == ["source_record_id", *FIELDS]
        assert "person_id" not in rows[0]
        for row in rows[1:]:
            values = {
                name: v for name, cell in zip(FIELDS, row[1:], strict=True) if (v := _parse(name, cell)) is not None
            }
            assert values == expected[row[0]]
            seen += 1
        assert manifest["records_by_organisation"][org.code] == len(rows) - 1
    assert seen == 800 == manifest["cases"]


def test_phone_cells_are_neutralised_and_multi_selects_joined(tmp_path: Path) -> None:
    write_cohort(generate_cohort(600, 2, seed=8), tmp_path / "out")
    text = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out").glob("*-*.csv"))
    assert ",'+" in text
    assert ",+" not in text
    assert "ForcedLabour;SexualExploitation" in text
    assert ",TRUE," in text and ",FALSE," in text


def test_truth_names_every_record_once_with_its_person_and_organisation(tmp_path: Path) -> None:
    cohort = generate_cohort(1_000, 3, seed=4)
    manifest = write_cohort(cohort, tmp_path / "out")
    out = tmp_path / "out"
    with open(out / "truth.csv", encoding="utf-8", newline="") as handle:
        truth = list(csv.DictReader(handle))
    assert list(truth[0]) == ["source_record_id", "org", "person_id", "corruptions"]
    ids_in_files = {}
    for org in cohort.organisations:
        with open(out / f"{org.code}.csv", encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                ids_in_files[row["source_record_id"]] = org.code
    assert {t["source_record_id"]: t["org"] for t in truth} == ids_in_files
    assert len({t["person_id"] for t in truth}) == manifest["persons"]
    assert manifest["cases"] - manifest["persons"] == manifest["repeat_records"] > 0
    assert 0 < manifest["repeat_records_same_organisation"] < manifest["repeat_records"]
    kinds = [k for t in truth for k in t["corruptions"].split(";") if k]
    assert manifest["corruptions"] == {k: kinds.count(k) for k in manifest["corruptions"]}
    assert sum(manifest["corruptions"].values()) == len(kinds)
    organisations = json.loads((out / "organisations.json").read_text(encoding="utf-8"))
    assert [o["code"] for o in organisations] == [o.code for o in cohort.organisations]
    org_types = load_standard().field("org_Type").value_names
    assert all(set(o) == {"code", "name", "org_Type", "country"} and o["org_Type"] in org_types for o in organisations)


def test_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    write_cohort(generate_cohort(700, 3, seed=9), tmp_path / "a")
    write_cohort(generate_cohort(700, 3, seed=9), tmp_path / "b")
    write_cohort(generate_cohort(700, 3, seed=10), tmp_path / "c")
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert _files(tmp_path / "a")["truth.csv"] != _files(tmp_path / "c")["truth.csv"]


def test_worker_processes_write_the_same_bytes_as_one_process(tmp_path: Path) -> None:
    cases = CHUNK_RECORDS + 40  # two chunks
    write_cohort(generate_cohort(cases, 2, seed=1), tmp_path / "one", workers=1)
    write_cohort(generate_cohort(cases, 2, seed=1), tmp_path / "two", workers=2)
    assert _files(tmp_path / "one") == _files(tmp_path / "two")


def test_json_lines_hold_the_same_records(tmp_path: Path) -> None:
    cohort = generate_cohort(400, 2, seed=6)
    write_cohort(cohort, tmp_path / "out", "jsonl")
    expected = {r.source.record_id: r.values for r in cohort.records()}
    seen = 0
    for org in cohort.organisations:
        for line in (tmp_path / "out" / f"{org.code}.jsonl").read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            assert record["source"]["system"] == org.code
            rid, values = record["source"]["record_id"], record["values"]
            assert set(values) == set(expected[rid])
            assert values.get("prs_Citizenship") in (None, [*expected[rid].get("prs_Citizenship", ())])
            seen += 1
    assert seen == 400
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "jsonl" and manifest["seed"] == 6


def test_a_directory_that_is_not_empty_is_refused_and_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ConflictError):
        write_cohort(generate_cohort(10, 1, seed=1), out)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert not any(p.name.startswith(".out.partial") for p in tmp_path.iterdir())


def test_an_empty_directory_is_filled(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    write_cohort(generate_cohort(20, 2, seed=1), out)
    assert {"truth.csv", "organisations.json", "manifest.json"} <= {p.name for p in out.iterdir()}
