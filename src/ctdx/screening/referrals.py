"""The referral-service catalogue (domain.md 4.6) and the services a screening suggests from its findings.

The catalogue is data (``data/referral_services.yaml``): each service lists the findings that make the
engine suggest it. A suggestion is not a referral; casework refers, and only with consent.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from ctdx.errors import ConfigError
from ctdx.screening.bank import LANGUAGES
from ctdx.screening.explain import load_wording
from ctdx.screening.result import SuggestedReferral
from ctdx.standard import load_standard

Finding = Literal[
    "triage_positive",
    "journey_indicators",
    "trafficking_indicated",
    "forced_labour",
    "exploitation",
    "labour_rights_violation",
    "violence",
    "coercion",
    "smuggling",
    "child",
    "age_to_verify",
]


class Service(BaseModel):
    """One service of the catalogue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: dict[str, str]
    spl_type: str | None
    primero: str | None
    when: tuple[Finding, ...]


class ReferralCatalogue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    services: tuple[Service, ...]

    def suggest(self, findings: Mapping[Finding, bool], language: str = "en") -> tuple[SuggestedReferral, ...]:
        """The services whose triggers are among the true findings, in catalogue order, each with its reasons
        (names and reasons in ``language``)."""
        wording = load_wording()
        out = []
        for service in self.services:
            because = tuple(wording.text("findings", f, language) for f in service.when if findings.get(f, False))
            if because:
                out.append(
                    SuggestedReferral(
                        service=service.id,
                        name=service.name[language],
                        because=because,
                        spl_type=service.spl_type,
                        primero=service.primero,
                    )
                )
        return tuple(out)


@cache
def load_referral_catalogue() -> ReferralCatalogue:
    """The catalogue shipped with this package; ConfigError if it names an unknown HTCDS support type."""
    raw = yaml.safe_load(
        resources.files("ctdx.screening").joinpath("data", "referral_services.yaml").read_text(encoding="utf-8")
    )
    try:
        catalogue = ReferralCatalogue.model_validate(raw)
    except PydanticValidationError as exc:
        raise ConfigError(f"the referral-service catalogue is malformed: {exc}") from exc
    known = load_standard().field("spl_Type").value_names
    bad = [s.id for s in catalogue.services if s.spl_type is not None and s.spl_type not in known]
    bad += [f"{s.id} (no {lang} name)" for s in catalogue.services for lang in LANGUAGES if not s.name.get(lang)]
    if bad:
        raise ConfigError(f"referral services with an unknown HTCDS spl_Type or a missing name: {', '.join(bad)}")
    return catalogue
