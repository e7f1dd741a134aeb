"""The explanation wording: complete in three languages, and used in the interview's language."""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any, get_args

import pytest
import yaml

from ctdx.errors import ConfigError
from ctdx.screening import ScreeningContext, screen
from ctdx.screening.explain import build_wording, load_wording
from ctdx.screening.referrals import Finding, load_referral_catalogue
from tests.screening.conftest import answered


def _raw() -> Any:
    return yaml.safe_load(
        resources.files("ctdx.screening").joinpath("data", "explanations.yaml").read_text(encoding="utf-8")
    )


def test_every_finding_of_the_catalogue_has_its_wording() -> None:
    assert set(get_args(Finding)) == set(load_wording().findings)
    assert all(set(s.name) == {"en", "fr", "es"} for s in load_referral_catalogue().services)


def test_missing_translations_are_refused_with_every_problem_named() -> None:
    raw = copy.deepcopy(_raw())
    del raw["headlines"]["coercion"]["es"]
    del raw["rules"]["palermo.intent"]
    with pytest.raises(ConfigError) as caught:
        build_wording(raw)
    assert "headlines.coercion: no es text" in str(caught.value)
    assert "palermo.intent" in str(caught.value)


@pytest.mark.parametrize(
    ("language", "headline", "service"),
    [
        ("en", "Indicators of trafficking are present", "Shelter or safe accommodation"),
        ("fr", "Des indicateurs de traite sont présents", "Hébergement ou logement sûr"),
        ("es", "Hay indicadores de trata", "Albergue o alojamiento seguro"),
    ],
)
def test_the_explanation_and_referrals_follow_the_interview_language(
    language: str, headline: str, service: str
) -> None:
    yes = {"ACT01", "ACT02", "DR01", "DR08", "EX01", "EX04", "CD01", "CD03"}
    result = screen("full", answered("full", yes), context=ScreeningContext(language=language))  # type: ignore[arg-type]
    assert result.explanation[0].startswith(headline)
    assert service in {r.name for r in result.suggested_referrals}
    assert "[delphi.adult]" in "\n".join(result.explanation)
    english = screen("full", answered("full", yes))
    assert result.fired_rules == english.fired_rules, "only the wording changes, never the finding"
    assert result.continuum_class == english.continuum_class
