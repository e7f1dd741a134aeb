from __future__ import annotations

import pytest

from ctdx.casework.services import check_plan_type, referral_service, referral_services, support_plan_types
from ctdx.errors import ValidationError


def test_referral_services_are_the_screening_catalogue_with_htcds_support_plan_types() -> None:
    from ctdx.screening import load_referral_catalogue

    assert referral_services() == load_referral_catalogue().services
    types = set(support_plan_types())
    assert all(service.spl_type in types for service in referral_services() if service.spl_type)
    assert referral_service("avrr").spl_type == "AssistedVoluntaryReturnAndReintegration"
    assert {"shelter", "medical", "legal_aid", "national_referral_mechanism"} <= {s.id for s in referral_services()}


def test_support_plan_types_include_our_extension_values() -> None:
    assert check_plan_type("LabourInspection") == "LabourInspection"
    assert check_plan_type("SocialCare") == "SocialCare"
    with pytest.raises(ValidationError, match="Education"):
        check_plan_type("Housing")


def test_an_unknown_service_lists_the_catalogue() -> None:
    with pytest.raises(ValidationError, match="shelter"):
        referral_service("spa")
