"""The publication schema and the records-to-table derivation."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from ctdx.errors import ValidationError
from ctdx.model import CaseRecord, SourceRef
from ctdx.privacy.publication import checkbox_consent, publish_records
from ctdx.privacy.schema import PublicationTable, _raw_schema, load_publication_schema, mapping_problems
from ctdx.standard import load_standard
from ctdx.standard.countries import alpha2_codes


def case(record_id: str, **values: object) -> CaseRecord:
    events = values.pop("events", ())
    return CaseRecord(
        source=SourceRef(system="test", record_id=record_id),
        values={"con_Consent": True, **values},
        events=events,
    )


@pytest.fixture
def schema():
    return load_publication_schema(first_year=2010, last_year=2024)


def row_of(publication, index: int = 0) -> dict[str, str]:
    rows = list(publication.table.rows())
    return dict(zip(publication.table.schema.names, rows[index], strict=True))


def test_every_domain_comes_from_the_standard_not_from_the_data(schema) -> None:
    assert len(schema.column("citizenship").categories) == len(alpha2_codes())
    assert schema.column("CountryOfExploitation").categories == schema.column("citizenship").categories
    assert schema.column("yearOfRegistration").categories[0] == "2010"
    assert schema.column("yearOfRegistration").categories[-1] == "2024"
    assert schema.column("ageBroad").categories == (
        "0--8",
        "9--17",
        "18--20",
        "21--23",
        "24--26",
        "27--29",
        "30--38",
        "39--47",
        "48+",
    )
    # one consented case from one country: the domain still has every country
    publication = publish_records([case("a", prs_Citizenship=("NG",))], schema, consent=checkbox_consent)
    assert len(publication.table.schema.column("citizenship").categories) == len(alpha2_codes())


def test_the_shipped_mapping_covers_every_vocabulary_value() -> None:
    assert mapping_problems(_raw_schema(), load_standard()) == []


def test_a_mapping_that_forgets_a_value_or_invents_one_is_caught() -> None:
    raw = copy.deepcopy(_raw_schema())
    threats = next(c for c in raw["columns"] if c["name"] == "meansThreats")
    threats["values"].remove("UsesChildren")
    gender = next(c for c in raw["columns"] if c["name"] == "gender")
    gender["map"]["Female"] = "Woman"
    problems = mapping_problems(raw, load_standard())
    assert any("UsesChildren" in p for p in problems)
    assert any("'Female' is not a value of prs_Gender" in p for p in problems)


def test_a_full_case_becomes_ctdc_style_columns(schema) -> None:
    record = case(
        "c1",
        prs_Gender="TransgenderMasculine",
        prs_Birthdate=dt.date(2000, 6, 15),
        ext_IdentificationDate=dt.date(2018, 6, 14),
        ext_CaseOpenedDate=dt.date(2019, 1, 2),
        prs_Citizenship=("VN", "KH"),
        ext_CountryOfExploitation="GB",
        ext_ExploitationStart=dt.date(2016, 1, 10),
        ext_ExploitationEnd=dt.date(2017, 1, 9),
        vic_MethodsOfControl=("TakesEarnings", "ThreatensChildrenFamily"),
        vic_TypeOfExploitation=("ForcedBegging",),
        vic_ForcedLabourIndustry="T_ActivitiesOfHouseholdsAsEmployers",
        vic_RelationshipToTrafficker="Unacquainted",
        vic_AgeWhenTrafficked=15,
        ext_DataSourceType="Hotline",
    )
    row = row_of(publish_records([record], schema, consent=checkbox_consent))
    assert row["gender"] == "Trans/Transgender/NonConforming"
    assert row["ageBroad"] == "9--17"  # 17 the day before the 18th birthday
    assert row["majorityStatus"] == "Minor"
    assert row["majorityStatusAtExploit"] == "Minor"
    assert row["yearOfRegistration"] == "2019"
    assert row["citizenship"] == "VNM"  # the first citizenship only
    assert row["CountryOfExploitation"] == "GBR"
    assert row["traffickMonths"] == "0--12"  # 11 whole months
    assert row["meansDebtBondageEarnings"] == "1"
    assert row["meansThreats"] == "1"
    assert row["meansAbusePsyPhySex"] == "0"
    assert row["isForcedLabour"] == "1"
    assert row["isSexualExploit"] == "0"
    assert row["typeOfLabourDomesticWork"] == "1"
    assert row["typeOfLabourAgriculture"] == "0"
    assert row["typeOfSexProstitution"] == ""  # not recorded: missing, not "no"
    assert row["recruiterRelation"] == "Other"  # the misspelt official value, through its alias
    assert row["Datasource"] == "Hotline"


def test_unrecorded_fields_are_missing_not_no(schema) -> None:
    row = row_of(publish_records([case("empty")], schema, consent=checkbox_consent))
    assert set(row.values()) == {""}


def test_country_of_exploitation_falls_back_to_the_exploitation_event_then_identification(schema) -> None:
    from_event = case(
        "e",
        events=({"hte_Type": "Transit", "hte_Country": "TH"}, {"hte_Type": "Exploitation", "hte_Country": "MY"}),
        ext_CountryOfIdentification="SG",
    )
    from_identification = case("i", ext_CountryOfIdentification="SG")
    publication = publish_records([from_event, from_identification], schema, consent=checkbox_consent)
    assert publication.table.values("CountryOfExploitation") == ["MYS", "SGP"]


def test_cases_without_consent_are_left_out_and_counted(schema) -> None:
    refused = CaseRecord(source=SourceRef(system="t", record_id="r"), values={"con_Consent": False})
    unknown = CaseRecord(source=SourceRef(system="t", record_id="u"), values={})
    publication = publish_records([refused, unknown, case("ok")], schema, consent=checkbox_consent)
    assert len(publication.table) == 1
    assert publication.without_consent == 2
    assert publication.records == ("ok",)


def test_bad_values_are_reported_with_record_and_column_never_guessed(schema) -> None:
    records = [
        case("y", ext_CaseOpenedDate=dt.date(2009, 12, 31)),
        case("c", prs_Citizenship=("Viet Nam",)),
        case("g", prs_Gender="Female"),
        case("a", prs_Birthdate=dt.date(2020, 1, 1), ext_IdentificationDate=dt.date(2019, 1, 1)),
        case("d", ext_ExploitationStart=dt.date(2020, 1, 1), ext_ExploitationEnd=dt.date(2019, 1, 1)),
        case("m", vic_MethodsOfControl=("Blackmail",)),
    ]
    publication = publish_records(records, schema, consent=checkbox_consent)
    found = {(i.record, i.column, i.code) for i in publication.issues}
    assert found == {
        ("y", "yearOfRegistration", "year_outside_release"),
        ("c", "citizenship", "unknown_country"),
        ("g", "gender", "unknown_value"),
        ("a", "ageBroad", "implausible_age"),
        ("a", "majorityStatus", "implausible_age"),
        ("d", "traffickMonths", "end_before_start"),
        *{("m", name, "unknown_value") for name in schema.groups()["meansOfControl"]},
    }
    for issue in publication.issues:
        assert "Viet Nam" not in issue.message and "Blackmail" not in issue.message


def test_a_table_read_from_text_is_checked_against_the_domain(schema) -> None:
    header = list(schema.names)
    good = ["" for _ in header]
    good[header.index("citizenship")] = "NGA"
    table = PublicationTable.from_rows(schema, header, [good])
    assert table.values("citizenship") == ["NGA"]
    bad = list(good)
    bad[header.index("citizenship")] = "Atlantis"
    with pytest.raises(ValidationError, match="row 1: a value outside the domain of column citizenship"):
        PublicationTable.from_rows(schema, header, [good, bad][1:])
    with pytest.raises(ValidationError, match="absent"):
        PublicationTable.from_rows(schema, header[1:], [good[1:]])
