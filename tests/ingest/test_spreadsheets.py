"""Workbooks other than the official templates: ODS from LibreOffice, typed cells, sheets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P

from ctdx.ingest.pipeline import FileReading, ReadOptions
from tests.ingest.conftest import TODAY, dry, issues


def _ods(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    document = OpenDocumentSpreadsheet()
    for name, rows in sheets.items():
        table = Table(name=name)
        for values in rows:
            row = TableRow()
            for value in values:
                if isinstance(value, dt.date):
                    cell = TableCell(valuetype="date", datevalue=value.isoformat())
                elif isinstance(value, int | float):
                    cell = TableCell(valuetype="float", value=value)
                else:
                    cell = TableCell(valuetype="string")
                cell.addElement(P(text=str(value)))
                row.addElement(cell)
            table.addElement(row)
        document.spreadsheet.addElement(table)
    document.save(str(path))
    return path


def test_ods_with_typed_cells_and_an_extra_sheet(tmp_path: Path) -> None:
    path = _ods(
        tmp_path / "cases.ods",
        {
            "Cases": [
                ["source_record_id", "prs_Gender", "prs_Birthdate", "vic_AgeWhenTrafficked", "prs_MobilePhone"],
                ["K1", "Feminine", dt.date(2001, 5, 6), 17, 4915112345678],
                ["K2", "Masculine", dt.date(2030, 1, 1), 17.5, ""],
            ],
            "Notes": [["free text"]],
        },
    )
    result = dry(path)
    assert result.report.format == "ods/native"
    assert [(i.row, i.code) for i in result.report.details if i.severity == "error"] == [
        (3, "future_date"),
        (3, "invalid_number"),
    ]
    assert issues(result, "extra_sheet")
    with FileReading(path, ReadOptions(today=TODAY)) as reading:
        [record] = list(reading.records())
    assert record.values["prs_Birthdate"] == dt.date(2001, 5, 6)
    assert record.values["vic_AgeWhenTrafficked"] == 17
    assert record.values["prs_MobilePhone"] == "4915112345678"
