"""The services a case can be referred to, and the HTCDS support-plan types a case's plans may have.

Referral services use the ids of the screening package's referral-service catalogue (domain.md section
4.6); each maps to the HTCDS ``spl_Type`` a support plan for it records (the mapping is ours, not part of
HTCDS). Support-plan types are the ``spl_Type`` values of the standard including our extension values
(``Interpretation``, ``AssistedVoluntaryReturnAndReintegration``, ``LabourInspection``), read from
``ctdx.standard`` so that the two never drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from ctdx.errors import ValidationError
from ctdx.standard import load_standard


@dataclass(frozen=True)
class ReferralService:
    """A service a case can be referred to, and the support-plan type it corresponds to."""

    id: str
    label: str
    plan_type: str


REFERRAL_SERVICES: tuple[ReferralService, ...] = (
    ReferralService("shelter", "Shelter / safe accommodation", "SocialCare"),
    ReferralService("medical", "Medical care", "Health"),
    ReferralService("psychosocial", "Psychosocial support, counselling", "Health"),
    ReferralService("legal_aid", "Legal aid (immigration, criminal, civil)", "Legal"),
    ReferralService("interpretation", "Interpretation", "Interpretation"),
    ReferralService("livelihoods", "Livelihoods, vocational training", "Livelihood"),
    ReferralService("education", "Education", "Education"),
    ReferralService("financial", "Financial assistance", "Financial"),
    ReferralService("rights_training", "Rights-based training", "RightsBasedTraining"),
    ReferralService("family_tracing", "Family tracing and reunification (children)", "SocialCare"),
    ReferralService("child_protection", "Child protection services", "SocialCare"),
    ReferralService("avrr", "Assisted voluntary return and reintegration", "AssistedVoluntaryReturnAndReintegration"),
    ReferralService("compensation", "Compensation claim", "Legal"),
    ReferralService("labour_inspection", "Labour inspection / wage recovery", "LabourInspection"),
    ReferralService("national_referral_mechanism", "National referral mechanism (NRM, CP, T visa, HHS)", "Legal"),
)
_BY_ID = {s.id: s for s in REFERRAL_SERVICES}


def referral_service(service_id: str) -> ReferralService:
    """The service ``service_id``; ``ValidationError`` listing the catalogue when it is not in it."""
    try:
        return _BY_ID[service_id]
    except KeyError:
        known = ", ".join(_BY_ID)
        raise ValidationError(
            f"unknown referral service {service_id!r}; expected one of {known}", field="service"
        ) from None


def support_plan_types() -> tuple[str, ...]:
    """The HTCDS ``spl_Type`` system names, official values first, then our extension values."""
    return load_standard().field("spl_Type").value_names


def check_plan_type(plan_type: str) -> str:
    """``plan_type`` if it is an ``spl_Type`` value; ``ValidationError`` listing the values otherwise."""
    types = support_plan_types()
    if plan_type not in types:
        raise ValidationError(
            f"unknown support-plan type {plan_type!r}; expected one of {', '.join(types)}", field="spl_Type"
        )
    return plan_type
