"""The services a case can be referred to, and the HTCDS support-plan types a case's plans may have.

Referral services are the screening package's referral-service catalogue (``ctdx.screening``'s
``data/referral_services.yaml``, domain.md section 4.6), so that a service the screening suggests is one
casework can refer to, under one id, and there is one catalogue to extend. Support-plan types are the
``spl_Type`` values of the standard including our extension values (``Interpretation``,
``AssistedVoluntaryReturnAndReintegration``, ``LabourInspection``), read from ``ctdx.standard``.
"""

from __future__ import annotations

from ctdx.errors import ValidationError
from ctdx.screening import load_referral_catalogue
from ctdx.screening.referrals import Service
from ctdx.standard import load_standard


def referral_services() -> tuple[Service, ...]:
    """The catalogue's services, in catalogue order."""
    return load_referral_catalogue().services


def referral_service(service_id: str) -> Service:
    """The service ``service_id``; ``ValidationError`` listing the catalogue when it is not in it."""
    services = referral_services()
    for service in services:
        if service.id == service_id:
            return service
    known = ", ".join(s.id for s in services)
    message = f"unknown referral service {service_id!r}; expected one of {known}"
    raise ValidationError(message, field="service")


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
