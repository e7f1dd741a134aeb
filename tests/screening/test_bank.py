"""The indicator bank: translations, Delphi structure, HTCDS mappings, and refusal of an unsound bank."""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any

import pytest
import yaml

from ctdx.errors import ConfigError, NotFoundError
from ctdx.screening import LANGUAGES, load_bank
from ctdx.screening.bank import DIMENSIONS, WEIGHT_TABLES, build_bank
from ctdx.standard import load_standard


def _raw(name: str) -> Any:
    return yaml.safe_load(resources.files("ctdx.screening").joinpath("data", name).read_text(encoding="utf-8"))


def test_every_question_exists_in_english_french_and_spanish() -> None:
    bank = load_bank()
    for item in bank.items:
        assert set(item.text) == set(LANGUAGES), item.id
        texts = [item.text[lang].strip() for lang in LANGUAGES]
        assert all(texts), item.id
        assert len(set(texts)) == 3, f"{item.id}: a translation is a copy of another language"
        assert texts[0].endswith("?") and texts[1].endswith("?") and texts[2].endswith("?"), item.id
        assert "¿" in item.text["es"], f"{item.id}: Spanish questions open with ¿"
    for instrument in bank.instruments:
        assert set(instrument.title) == set(LANGUAGES)
    for section in ("keys", "intro"):
        assert set(bank.ui[section]) == set(LANGUAGES)
    for phase in ("recruitment", "transit", "destination"):
        assert set(bank.ui["phase"][phase]) == set(LANGUAGES)


def test_delphi_dimensions_have_the_published_adult_labour_item_counts() -> None:
    bank = load_bank()
    counts = {d: len(bank.of_dimension(d)) for d in DIMENSIONS}
    assert counts == {"D1": 10, "D2": 10, "D3": 16, "D4": 9, "D5": 15, "D6": 7}
    assert all(i.weight("adult_labour") is not None for d in DIMENSIONS for i in bank.of_dimension(d))


def test_weight_tables_follow_the_known_profile_differences() -> None:
    bank = load_bank()
    delphi = [i for i in bank.items if i.dimension]
    # Child lists have no weak tier; the adult sexual "exploitation" dimension has no strong indicator.
    assert not [i.id for i in delphi for t in ("child_labour", "child_sexual") if i.weight(t) == "W"]
    assert not [i.id for i in bank.of_dimension("D4") if i.weight("adult_sexual") == "S"]
    assert bank.item("CD07").weight("adult_sexual") == "S"
    # The recruitment-to-destination gain for documents, debt and isolation (adults).
    for recruitment, destination in (("CR03", "CD01"), ("CR04", "CD02"), ("CR05", "CD03")):
        assert bank.item(recruitment).weight("adult_labour") == "M"
        assert bank.item(destination).weight("adult_labour") == "S"
    # Items missing from the child lists (domain.md 2.1).
    assert bank.item("VR07").weight("child_labour") is None
    assert bank.item("EX06").weight("child_labour") is None
    assert set(WEIGHT_TABLES) == {"adult_labour", "adult_sexual", "child_labour", "child_sexual"}


def test_htcds_values_are_values_of_the_standard() -> None:
    standard = load_standard()
    filled = [(i.id, f, v) for i in load_bank().items for f, v in i.htcds_values()]
    assert filled
    for item_id, field, value in filled:
        assert value in standard.field(field).value_names, item_id


def test_bank_and_instruments_are_versioned() -> None:
    bank = load_bank()
    assert bank.version and bank.weights_version
    assert bank.weights_verified is False
    assert {i.id for i in bank.instruments} == {"triage", "full", "forced_labour", "journey"}
    assert all(i.version for i in bank.instruments)


def test_an_unsound_bank_is_refused_with_every_problem_named() -> None:
    indicators = copy.deepcopy(_raw("indicators.yaml"))
    instruments = copy.deepcopy(_raw("instruments.yaml"))
    indicators["items"][0]["text"].pop("fr")
    indicators["items"][1]["htcds"] = ["vic_MethodsOfControl:Hypnosis"]
    instruments["instruments"][0]["items"].append("ZZ99")
    with pytest.raises(ConfigError) as caught:
        build_bank(indicators, instruments)
    message = str(caught.value)
    assert "3 problem(s)" in message
    assert "no fr text" in message and "Hypnosis" in message and "ZZ99" in message


def test_unknown_item_and_instrument_are_not_found() -> None:
    bank = load_bank()
    with pytest.raises(NotFoundError):
        bank.item("XX01")
    with pytest.raises(NotFoundError, match="known: triage"):
        bank.instrument("tvit")
