"""Variants that must link and near-duplicates that must not, through the real privacy-mode linkage.

One hub run (``ctdx.linkage.linking.link`` on keyed, balanced, flipped encodings, the untrained model a
small hub uses) over pairs of records of one person written differently, pairs of different people who
look alike, and unrelated people around them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pytest

from ctdx.linkage.blocking import encoding_blocking_keys
from ctdx.linkage.encoding import DEFAULT_ENCODING_CONFIG, Encoder, EncodingConfig, LinkageSecret
from ctdx.linkage.linking import LinkageInput, LinkageResult, link
from ctdx.linkage.normalise import identity_of
from ctdx.linkage.scoring import ScoringConfig

SECRET = LinkageSecret(bytes(range(100, 132)))
SEEN = dt.date(2024, 6, 1)


def person(first: str | None, second: str | None, birth: object, gender: str = "Feminine") -> dict[str, object]:
    values: dict[str, object] = {"prs_Gender": gender, "ext_IdentificationDate": SEEN}
    if first:
        values["prs_FirstName"] = first
    if second:
        values["prs_SecondName"] = second
    if birth is not None:
        values["prs_Birthdate"] = birth
    return values


# (label, left record, right record): one person each.
MUST_LINK = [
    ("cyrillic", person("Olena", "Kovalenko", dt.date(1990, 5, 12)), person("Олена", "Коваленко", "1990-05-12")),
    (
        "arabic",
        person("Mohammed", "Ali", dt.date(1995, 1, 20), "Masculine"),
        person("محمد", "علي", dt.date(1995, 1, 20), "Masculine"),
    ),
    (
        "swapped names",
        person("Tetiana", "Shevchuk", dt.date(1993, 3, 14)),
        person("Shevchuk", "Tetiana", dt.date(1993, 3, 14)),
    ),
    ("day-month swap", person("Irina", "Moroz", dt.date(1988, 4, 9)), person("Irina", "Moroz", dt.date(1988, 9, 4))),
    (
        "compound name",
        person("Maria Guadalupe", "Hernandez Castellanos", dt.date(2001, 7, 3)),
        person("Maria", "Hernandez-Castellanos", dt.date(2001, 7, 3)),
    ),
    (
        "nickname",
        person("Sasha", "Petrov", dt.date(1987, 11, 2), "Masculine"),
        person("Александр", "Петров", dt.date(1987, 11, 2), "Masculine"),
    ),
    (
        "diacritics",
        person("Lan", "Nguyễn Thị", dt.date(2000, 8, 30)),
        person("Lan", "Nguyen Thi", dt.date(2000, 8, 30)),
    ),
    ("year only", person("Amina", "Diallo", dt.date(1999, 2, 14)), person("Amina", "Diallo", 1999)),
    ("about an age", person("Grace", "Okafor", dt.date(2003, 9, 9)), person("Grace", "Okafor", "about 21 years old")),
    ("typo", person("Fatima", "Haidari", dt.date(1997, 4, 4)), person("Fatma", "Haidari", dt.date(1997, 4, 4))),
]

# (label, left, right): two different people.
MUST_NOT_LINK = [
    ("twins", person("Oksana", "Bondar", dt.date(1991, 6, 6)), person("Halyna", "Bondar", dt.date(1991, 6, 6))),
    (
        "common name, other birth date",
        person("Maria", "Popescu", dt.date(1985, 3, 2)),
        person("Maria", "Popescu", dt.date(1979, 8, 21)),
    ),
    (
        "twins, family name also the middle name",
        person("Ana Santos", "Santos", dt.date(1994, 2, 8)),
        person("Maria Santos", "Santos", dt.date(1994, 2, 8)),
    ),
    (
        "brothers",
        person("Ivan", "Melnyk", dt.date(1980, 1, 1), "Masculine"),
        person("Petro", "Melnyk", None, "Masculine"),
    ),
]

FILLER_GIVEN = ["Anna", "Daria", "Nadia", "Sofia", "Yusuf", "Omar", "Chen", "Ravi", "Nia", "Zara", "Luis", "Ana"]
FILLER_FAMILY = ["Smith", "Garcia", "Wang", "Kumar", "Mensah", "Novak", "Silva", "Rossi", "Khan", "Tanaka"]


def records() -> list[tuple[str, dict[str, object]]]:
    rows: list[tuple[str, dict[str, object]]] = []
    for label, left, right in MUST_LINK + MUST_NOT_LINK:
        rows += [(f"{label}/a", left), (f"{label}/b", right)]
    for i, given in enumerate(FILLER_GIVEN):
        for j, family in enumerate(FILLER_FAMILY[i % 3 :: 3]):
            rows.append((f"filler/{i}-{j}", person(given, family, dt.date(1970 + i + 3 * j, 1 + j, 1 + i))))
    return rows


def run(config: EncodingConfig) -> LinkageResult:
    rows = records()
    identities = [identity_of(values) for _, values in rows]
    encodings = Encoder(SECRET, config).encode_many(identities).records()
    keys = encoding_blocking_keys(encodings)
    inputs = [
        LinkageInput(uid, uid.split("/")[0], enc, key) for (uid, _), enc, key in zip(rows, encodings, keys, strict=True)
    ]
    return link(inputs, ScoringConfig(mode="privacy"))


@pytest.fixture(scope="module")
def persons() -> Mapping[str, str]:
    return run(DEFAULT_ENCODING_CONFIG).persons


# A compound given name against its first part ("Maria Guadalupe" / "Maria", same family name and birth
# date) has whole given names as far apart as twins' ("Olena" / "Oksana"); the first given names agree, so
# the twin rule lets it link.
@pytest.mark.parametrize("label", [label for label, _, _ in MUST_LINK])
def test_variants_of_one_person_link(persons: Mapping[str, str], label: str) -> None:
    assert persons[f"{label}/a"] == persons[f"{label}/b"]


@pytest.mark.parametrize("label", [label for label, _, _ in MUST_NOT_LINK])
def test_people_who_look_alike_stay_apart(persons: Mapping[str, str], label: str) -> None:
    assert persons[f"{label}/a"] != persons[f"{label}/b"]


def test_no_unrelated_person_joins_a_pair(persons: Mapping[str, str]) -> None:
    fillers = {uid: p for uid, p in persons.items() if uid.startswith("filler/")}
    assert len(set(fillers.values())) == len(fillers)
    assert not set(fillers.values()) & {p for uid, p in persons.items() if not uid.startswith("filler/")}


def test_under_the_birth_date_salt_a_full_date_still_links_an_estimated_age() -> None:
    # The salt leaves a record without a full birth date no given or family filter: its names must still
    # count as agreeing through the filter of all name parts ("Grace Okafor, about 21 years old").
    persons = run(EncodingConfig(salt="birth-date")).persons
    linked = [label for label, _, _ in MUST_LINK if persons[f"{label}/a"] == persons[f"{label}/b"]]
    assert set(linked) == {label for label, _, _ in MUST_LINK}
