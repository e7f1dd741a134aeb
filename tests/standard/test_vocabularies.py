from __future__ import annotations

import pytest

from ctdx.standard import load_standard, resolve_country
from ctdx.standard.vocabularies import choices, form_languages, language_codes, resolve_language


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("fra", "fra"),
        ("fr", "fra"),
        ("fre", "fra"),
        ("French", "fra"),
        ("ceb", "ceb"),
        ("Cebuano", "ceb"),
        ("TL", "tgl"),
        ("und", "und"),
        (" ne ", "nep"),
    ],
)
def test_languages_resolve_to_the_three_letter_terminology_code(typed: str, code: str) -> None:
    assert resolve_language(typed) == code


@pytest.mark.parametrize("typed", ["", "xx", "Frenchh", "qaa"])
def test_what_is_not_a_language_does_not_resolve(typed: str) -> None:
    assert resolve_language(typed) is None


def test_language_codes_cover_iso_639_2_and_the_form_offers_a_usable_subset() -> None:
    codes = set(language_codes())
    assert {"fra", "eng", "ara", "rus", "vie", "tha", "hau", "yor", "rom", "mis", "und", "mul", "zxx"} <= codes
    offered = [v.name for v in form_languages()]
    assert len(offered) == len(set(offered)) and 150 < len(offered) < 300
    assert set(offered) <= codes and offered[-4:] == ["mis", "mul", "und", "zxx"]


def test_a_field_takes_its_picklist_or_the_vocabulary_it_names() -> None:
    standard = load_standard()
    assert len(choices(standard.field("prs_Citizenship"))) == 250  # ISO 3166-1 and Kosovo
    assert len(choices(standard.field("prs_PrimaryLanguage"))) == len(language_codes())
    controls = standard.field("vic_MethodsOfControl")
    assert len(choices(controls)) == 18 and len(choices(controls, extensions=False)) == 16
    assert choices(standard.field("prs_FirstName")) == ()


@pytest.mark.parametrize(
    "typed",
    ["Côte d’Ivoire", "Côte d'Ivoire", "COTE D‘IVOIRE", "Cote dʼIvoire", "Côte d´Ivoire", "Ivory Coast"],
)
def test_cote_d_ivoire_resolves_whatever_the_apostrophe(typed: str) -> None:
    assert resolve_country(typed) == "CI"


def test_un_style_names_of_the_official_toolkit_resolve() -> None:
    assert resolve_country("Bolivia (Plurinational State of)") == "BO"
    assert resolve_country("Korea (Democratic People’s Republic of)") == "KP"
    assert resolve_country("Congo, Democratic Republic of the") == "CD"
