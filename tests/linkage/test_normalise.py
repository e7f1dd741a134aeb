"""Normalisation: scripts, diacritics, compound names, nicknames and uncertain birth dates."""

from __future__ import annotations

import datetime as dt

import pytest

from ctdx.errors import ValidationError
from ctdx.linkage.normalise import (
    BirthDate,
    identity_of,
    latinise,
    normalise_citizenship,
    normalise_name,
    normalise_sex,
    parse_birth_date,
    skeleton,
)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Мухаммед", "Mohammed"),
        ("محمد", "Muhammad"),
        ("Хусейн", "Hussein"),
        ("Джамал", "Jamal"),
        ("جمال", "Jamal"),
        ("يوسف", "Yusuf"),
        ("Youssef", "Iosif"),
        ("Abd al-Rahman", "Abdulrahman"),
    ],
)
def test_spellings_from_different_scripts_share_a_skeleton(left: str, right: str) -> None:
    assert normalise_name(left).skeletons == normalise_name(right).skeletons


def test_different_names_keep_different_skeletons() -> None:
    assert skeleton("maria") != skeleton("marta")
    assert normalise_name("Jamal").skeletons != normalise_name("Kamal").skeletons


def test_diacritics_and_case_disappear() -> None:
    assert latinise("Ngọc TRẦN") == "ngoc tran"
    assert latinise("Jürgen Groß") == "jurgen gross"
    assert normalise_name("Zoë", "Łukasiewicz") == normalise_name("zoe", "LUKASIEWICZ")


def test_particles_fuse_and_hyphenated_compounds_split() -> None:
    assert normalise_name(None, "Al-Hassan").family == ("alhassan",)
    assert normalise_name(None, "al Hassan").family == ("alhassan",)
    assert normalise_name(None, "García-López").family == ("garcia", "lopez")
    assert normalise_name(None, "van der Berg").family == ("vanderberg",)


def test_honorifics_are_dropped() -> None:
    assert normalise_name("Mrs. Amina", "Diallo") == normalise_name("Amina", "Diallo")


def test_nicknames_resolve_to_the_full_given_name() -> None:
    assert normalise_name("Sasha").given == normalise_name("Александр").given == ("aleksandr",)
    assert normalise_name("Bill").given == ("william",)
    assert normalise_name("Natasha").given == normalise_name("Наталья").given


def test_swapped_names_have_the_same_token_set() -> None:
    a = normalise_name("Olena", "Kovalenko")
    b = normalise_name("Kovalenko", "Olena")
    assert a.given != b.given
    assert a.tokens == b.tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1990-05-12", BirthDate(1990, 5, 12)),
        ("12/05/1990", BirthDate(1990, 5, 12)),
        ("12.05.1990", BirthDate(1990, 5, 12)),
        ("19900512", BirthDate(1990, 5, 12)),
        ("1990-05", BirthDate(1990, 5)),
        ("1990", BirthDate(1990)),
        ("circa 1990", BirthDate(1990, year_error=1)),
        ("1990-25-05", BirthDate(1990, 5, 25)),
        ("unknown", BirthDate()),
    ],
)
def test_birth_dates_in_the_forms_case_files_use(text: str, expected: BirthDate) -> None:
    assert parse_birth_date(text) == expected


def test_an_age_said_on_a_date_becomes_a_range_of_birth_years() -> None:
    said = dt.date(2024, 3, 1)
    about = parse_birth_date("about 25 years old", reference=said)
    assert about.precision == "estimated"
    assert 1999 in about.years and 1997 in about.years and 2001 in about.years
    exact_age = parse_birth_date("25 years", reference=said)
    assert list(exact_age.years) == [1997, 1998, 1999]
    assert parse_birth_date("~25", reference=said) == about


def test_an_age_without_a_reference_date_is_refused_without_echoing_it() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_birth_date("about 31 years old")
    assert "31" not in str(caught.value)
    assert caught.value.context["field"] == "prs_Birthdate"


@pytest.mark.parametrize("text", ["1990-13-13", "1990-02-30", "1776", "tomorrow", "200 years old"])
def test_impossible_birth_dates_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_birth_date(text, reference=dt.date(2024, 1, 1))


def test_sex_and_citizenship() -> None:
    assert normalise_sex("Feminine") == "f"
    assert normalise_sex("NonSpecifiedUnknown") is None
    with pytest.raises(ValidationError):
        normalise_sex("F")
    assert normalise_citizenship(("ua", "MD")) == ("MD", "UA")
    with pytest.raises(ValidationError):
        normalise_citizenship(("Ukraine",))


def test_identity_of_a_case_reads_an_age_against_the_identification_date() -> None:
    identity = identity_of(
        {
            "prs_FirstName": "Olena",
            "prs_SecondName": "Kovalenko",
            "prs_Birthdate": "about 30 years old",
            "prs_Gender": "Feminine",
            "prs_Citizenship": ("UA",),
            "ext_IdentificationDate": dt.date(2023, 6, 1),
        }
    )
    assert identity.birth.year == 1993 and identity.birth.year_error == 2
    assert identity.name.family == ("kovalenko",)
    assert identity.sex == "f" and identity.citizenship == ("UA",)
