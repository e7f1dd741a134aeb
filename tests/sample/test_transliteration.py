"""Romanisation of Cyrillic names: the official passport systems and the variants of the others."""

from __future__ import annotations

import pytest

from ctdx.sample.transliteration import RUSSIAN_SYSTEMS, UKRAINIAN_SYSTEMS, romanisations


# Examples from the table of Cabinet of Ministers of Ukraine resolution No. 55 (27 January 2010).
@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Згорани", "Zghorany"),
        ("Розгон", "Rozghon"),
        ("Гадяч", "Hadiach"),
        ("Єнакієве", "Yenakiieve"),
        ("Їжакевич", "Yizhakevych"),
        ("Йосипівка", "Yosypivka"),
        ("Стрий", "Stryi"),
        ("Щербухи", "Shcherbukhy"),
        ("Юрій", "Yurii"),
        ("Короп'є", "Koropie"),
        ("Ґалаґан", "Galagan"),
    ],
)
def test_ukrainian_passport_system(cyrillic: str, latin: str) -> None:
    assert UKRAINIAN_SYSTEMS[0].romanise(cyrillic) == latin


# ICAO Doc 9303 as used in Russian passports since 2013.
@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Юлия", "Iuliia"),
        ("Наталья", "Natalia"),
        ("Соловьёв", "Solovev"),
        ("Щукин", "Shchukin"),
        ("Подъячев", "Podieiachev"),
    ],
)
def test_russian_passport_system(cyrillic: str, latin: str) -> None:
    assert RUSSIAN_SYSTEMS[0].romanise(cyrillic) == latin


def test_variants_come_from_the_other_systems() -> None:
    canonical, variants = romanisations("Юлия", "cyrillic_ru")
    assert canonical == "Iuliia"
    assert {"Yuliya", "Julija"} <= set(variants)
    assert canonical not in variants
    canonical, variants = romanisations("Шевченко", "cyrillic_uk")
    assert (canonical, variants) == ("Shevchenko", ("Schewtschenko",))
