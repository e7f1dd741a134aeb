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

FINDING_TEXT: dict[str, str] = {
    "triage_positive": "the brief screen is positive",
    "journey_indicators": "exploitative practices were met on the journey",
    "trafficking_indicated": "indicators of trafficking are present",
    "forced_labour": "indicators of forced labour are present",
    "exploitation": "exploitative conditions of work are present",
    "labour_rights_violation": "labour rights were breached",
    "violence": "violence was reported",
    "coercion": "coercion or abuse of vulnerability is indicated",
    "smuggling": "the person was smuggled: protection needs remain",
    "child": "the person was a child at the time",
    "age_to_verify": "the person may be a child: age to verify",
}


class Service(BaseModel):
    """One service of the catalogue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    spl_type: str | None
    primero: str | None
    when: tuple[Finding, ...]


class ReferralCatalogue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    services: tuple[Service, ...]

    def suggest(self, findings: Mapping[str, bool]) -> tuple[SuggestedReferral, ...]:
        """The services whose triggers are among the true findings, in catalogue order, each with its reasons."""
        out = []
        for service in self.services:
            because = tuple(FINDING_TEXT[f] for f in service.when if findings.get(f, False))
            if because:
                out.append(
                    SuggestedReferral(
                        service=service.id,
                        name=service.name,
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
    if bad:
        raise ConfigError(f"referral services with an unknown HTCDS spl_Type: {', '.join(bad)}")
    return catalogue
