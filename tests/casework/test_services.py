from __future__ import annotations

import pytest

from ctdx.casework.services import REFERRAL_SERVICES, check_plan_type, referral_service, support_plan_types
from ctdx.errors import ValidationError


def test_every_referral_service_maps_to_an_htcds_support_plan_type() -> None:
    types = set(support_plan_types())
    assert all(service.plan_type in types for service in REFERRAL_SERVICES)
    assert referral_service("avrr").plan_type == "AssistedVoluntaryReturnAndReintegration"


def test_support_plan_types_include_our_extension_values() -> None:
    assert check_plan_type("LabourInspection") == "LabourInspection"
    assert check_plan_type("SocialCare") == "SocialCare"
    with pytest.raises(ValidationError, match="Education"):
        check_plan_type("Housing")


def test_an_unknown_service_lists_the_catalogue() -> None:
    with pytest.raises(ValidationError, match="shelter"):
        referral_service("spa")
