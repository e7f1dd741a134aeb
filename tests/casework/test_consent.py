from __future__ import annotations

import datetime as dt

import pytest

from ctdx.casework.consent import (
    Basis,
    ConsentEvent,
    ConsentOverride,
    GivenBy,
    Purpose,
    decide_consent,
    matching_consent,
)
from ctdx.errors import ConsentError, PermissionDenied, ValidationError

T0 = dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.UTC)


def event(purpose: Purpose = Purpose.REFERRAL, recipient: str | None = "shelter-org", **kw: object) -> ConsentEvent:
    values: dict[str, object] = {"id": "c1", "given_by": GivenBy.SELF, "given_at": T0, **kw}
    return ConsentEvent(purpose=purpose, recipient=recipient, **values)  # type: ignore[arg-type]


def test_a_referral_without_consent_is_refused() -> None:
    with pytest.raises(ConsentError) as caught:
        decide_consent([], Purpose.REFERRAL, "shelter-org", T0)
    assert caught.value.code == "consent_missing"


def test_consent_must_match_purpose_and_recipient() -> None:
    later = T0 + dt.timedelta(days=1)
    assert decide_consent([event()], Purpose.REFERRAL, "shelter-org", later).consent_id == "c1"
    with pytest.raises(ConsentError):
        decide_consent([event()], Purpose.REFERRAL, "police", later)
    with pytest.raises(ConsentError):
        decide_consent([event()], Purpose.DATA_SHARING, "shelter-org", later)
    assert decide_consent([event(recipient=None)], Purpose.REFERRAL, "police", later).basis is Basis.CONSENT


def test_withdrawn_expired_and_future_consent_do_not_count() -> None:
    day = dt.timedelta(days=1)
    withdrawn = event(withdrawn_at=T0 + day)
    assert matching_consent([withdrawn], Purpose.REFERRAL, "shelter-org", T0 + day / 2) is not None
    assert matching_consent([withdrawn], Purpose.REFERRAL, "shelter-org", T0 + 2 * day) is None
    expired = event(expires_at=T0 + day)
    assert matching_consent([expired], Purpose.REFERRAL, "shelter-org", T0 + day) is None
    assert matching_consent([event()], Purpose.REFERRAL, "shelter-org", T0 - day) is None


def test_naive_times_from_sqlite_compare_as_utc() -> None:
    naive = event(given_at=T0.replace(tzinfo=None))
    assert matching_consent([naive], Purpose.REFERRAL, "shelter-org", T0 + dt.timedelta(hours=1)) is not None


def test_an_override_needs_the_permission_and_a_reason() -> None:
    with pytest.raises(PermissionDenied):
        decide_consent([], Purpose.REFERRAL, "x", T0, override=ConsentOverride("life at risk", permitted=False))
    with pytest.raises(ValidationError):
        decide_consent([], Purpose.REFERRAL, "x", T0, override=ConsentOverride("  ", permitted=True))
    decision = decide_consent([], Purpose.REFERRAL, "x", T0, override=ConsentOverride(" life at risk ", True))
    assert decision.basis is Basis.OVERRIDE and decision.reason == "life at risk"
    assert decision.audit_details()["basis"] == "override"


def test_an_existing_consent_is_used_before_an_override() -> None:
    decision = decide_consent([event()], Purpose.REFERRAL, "shelter-org", T0, override=ConsentOverride("r", True))
    assert decision.basis is Basis.CONSENT


def test_a_pack_exemption_allows_without_consent_and_says_so() -> None:
    decision = decide_consent([], Purpose.REFERRAL, "uk-nrm", T0, exemption="uk-nrm/child")
    assert decision.basis is Basis.EXEMPT and decision.exemption == "uk-nrm/child"
