from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from ctdx.casework.access import CaseworkContext, read_notes
from ctdx.casework.cases import add_plan, assign_case, change_status, open_case, show_case
from ctdx.casework.consent import Purpose
from ctdx.casework.consents import authorise, record_consent
from ctdx.casework.lifecycle import CaseStatus
from ctdx.casework.referral_store import move_referral, refer
from ctdx.casework.referrals import ReferralKind, ReferralState
from ctdx.errors import ConsentError, NotFoundError, PermissionDenied, ValidationError
from ctdx.store import open_store, rotate_keys
from ctdx.store.tables import AuditEventRow, Referral

from .conftest import World, _add_user

TODAY = dt.date.today()


def _case(world: World) -> uuid.UUID:
    with world.acting(world.worker) as ctx:
        return open_case(ctx, TODAY)


def _audit(world: World) -> list[AuditEventRow]:
    with world.store.transaction() as session:
        return list(session.scalars(select(AuditEventRow).order_by(AuditEventRow.seq)))


def test_a_referral_without_consent_is_refused_and_nothing_is_written(world: World) -> None:
    case_id = _case(world)
    events_before = len(_audit(world))
    with pytest.raises(ConsentError), world.acting(world.worker) as ctx:
        refer(ctx, case_id, "clinic", service="medical")
    with world.store.transaction() as session:
        assert session.scalars(select(Referral)).all() == []
    assert len(_audit(world)) == events_before


def test_an_override_needs_the_permission_and_is_audited_with_a_sealed_reason(world: World) -> None:
    case_id = _case(world)
    with pytest.raises(PermissionDenied), world.acting(world.worker) as ctx:
        refer(ctx, case_id, "clinic", service="medical", override_reason="needs urgent surgery")
    with world.acting(world.admin) as ctx:
        referral = refer(ctx, case_id, "clinic", service="medical", override_reason="needs urgent surgery")
    assert referral.consent_basis == "override" and referral.state is ReferralState.IN_PROGRESS
    overrides = [e for e in _audit(world) if e.action == "override"]
    assert len(overrides) == 1
    detail = overrides[0].detail
    assert detail["purpose"] == "referral" and detail["recipient"] == "clinic" and detail["basis"] == "override"
    assert overrides[0].actor == world.admin.label
    assert "urgent surgery" not in str([e.detail for e in _audit(world)])
    with world.acting(world.admin) as ctx:
        notes = read_notes(ctx, case_id)
    assert [(n.kind, str(n.id), text) for n, text in notes] == [
        ("consent_override", detail["note_id"], "needs urgent surgery")
    ]
    reads = [e for e in _audit(world) if e.action == "read_identifying" and e.entity == "casework_note"]
    assert [(r.entity_id, r.fields) for r in reads] == [(str(case_id), ["text"])]
    assert world.store.verify_audit().ok


def test_consent_must_name_the_recipient_and_must_not_be_withdrawn(world: World) -> None:
    case_id = _case(world)
    with world.acting(world.worker) as ctx:
        record_consent(ctx, case_id, Purpose.REFERRAL, granted=True, decided_on=TODAY, recipient="police")
    with pytest.raises(ConsentError), world.acting(world.worker) as ctx:
        refer(ctx, case_id, "clinic")
    with world.acting(world.worker) as ctx:
        record_consent(ctx, case_id, Purpose.REFERRAL, granted=True, decided_on=TODAY, recipient="clinic")
        referral = refer(ctx, case_id, "clinic", service="medical", reason="AdditionalServicesRequired")
    assert referral.consent_basis == "consent" and referral.service == "medical"
    with world.store.cases(world.worker) as cases:
        values = cases.get(case_id).values
    assert values["cas_ReferredOrganisation"] == "clinic"
    assert values["cas_ReasonForOutgoingReferral"] == "AdditionalServicesRequired"
    with world.acting(world.worker) as ctx:
        move_referral(ctx, referral.id, ReferralState.REVOKED, "sent to the wrong clinic")
        record_consent(ctx, case_id, Purpose.REFERRAL, granted=False, decided_on=TODAY, recipient="clinic")
    with pytest.raises(ConsentError), world.acting(world.worker) as ctx:
        refer(ctx, case_id, "clinic")


def _referred(world: World, kind: ReferralKind = ReferralKind.REFERRAL) -> tuple[uuid.UUID, uuid.UUID]:
    case_id = _case(world)
    with world.acting(world.worker) as ctx:
        record_consent(ctx, case_id, Purpose.REFERRAL, granted=True, decided_on=TODAY)
        referral = refer(ctx, case_id, "clinic", kind=kind, service="medical")
    return case_id, referral.id


def test_another_organisation_cannot_act_on_the_case_until_it_accepts_the_referral(world: World) -> None:
    case_id, referral_id = _referred(world)
    with world.acting(world.worker) as ctx:
        assign_case(ctx, case_id, "amina")
    with pytest.raises(NotFoundError), world.acting(world.clinic_worker) as ctx:
        show_case(ctx, case_id)
    with pytest.raises(NotFoundError), world.acting(world.clinic_worker) as ctx:
        add_plan(ctx, case_id, "Health")
    with pytest.raises(PermissionDenied), world.acting(world.worker) as ctx:
        move_referral(ctx, referral_id, ReferralState.ACCEPTED)
    with world.acting(world.clinic_worker) as ctx:
        move_referral(ctx, referral_id, ReferralState.ACCEPTED)
        seen = show_case(ctx, case_id)
        add_plan(ctx, case_id, "Health", planned_end=TODAY + dt.timedelta(days=30))
    assert not seen.owned_by_actor and seen.consents == () and seen.tasks == () and seen.owner is None
    with pytest.raises(PermissionDenied), world.acting(world.clinic_worker) as ctx:
        change_status(ctx, case_id, CaseStatus.CLOSED, "done here")
    with world.acting(world.clinic_worker) as ctx:
        move_referral(ctx, referral_id, ReferralState.DONE)
    with pytest.raises(NotFoundError), world.acting(world.clinic_worker) as ctx:
        show_case(ctx, case_id)
    with world.acting(world.worker) as ctx:
        view = show_case(ctx, case_id)
        closed = change_status(ctx, case_id, CaseStatus.CLOSED_REFERRED, "continues at the clinic")
    assert [p.plan_type for p in view.plans] == ["Health"]
    assert [r.state for r in view.referrals] == [ReferralState.DONE]
    assert closed.status == "ClosedReferred"


def test_a_rejected_referral_opens_nothing_and_needs_a_reason(world: World) -> None:
    case_id, referral_id = _referred(world)
    with world.acting(world.clinic_worker) as ctx:
        rejected = move_referral(ctx, referral_id, ReferralState.REJECTED, "no capacity this month")
    assert rejected.state is ReferralState.REJECTED
    with pytest.raises(NotFoundError), world.acting(world.clinic_worker) as ctx:
        show_case(ctx, case_id)


def test_an_accepted_transfer_hands_the_case_over(world: World) -> None:
    case_id, transfer_id = _referred(world, ReferralKind.TRANSFER)
    with world.acting(world.clinic_worker) as ctx:
        move_referral(ctx, transfer_id, ReferralState.ACCEPTED)
        view = show_case(ctx, case_id)
    assert view.owned_by_actor and view.organisation == "clinic" and view.owner is None
    with pytest.raises(NotFoundError), world.acting(world.worker) as ctx:
        show_case(ctx, case_id)
    assert world.store.verify_audit().ok


def test_an_unrelated_organisation_cannot_see_a_referral(world: World) -> None:
    _, referral_id = _referred(world)
    third = world.store.ensure_organisation("police", "Police").id
    officer = _add_user(world.store, third, "officer", "caseworker")
    with pytest.raises(NotFoundError), world.acting(officer) as ctx:
        move_referral(ctx, referral_id, ReferralState.ACCEPTED)


def test_data_sharing_needs_its_own_consent(world: World) -> None:
    case_id = _case(world)
    with world.acting(world.worker) as ctx:
        record_consent(ctx, case_id, Purpose.REFERRAL, granted=True, decided_on=TODAY)
    with pytest.raises(ConsentError), world.acting(world.worker) as ctx:
        authorise(ctx, case_id, Purpose.DATA_SHARING, "national-hub", action="contribution")
    with world.acting(world.worker) as ctx:
        record_consent(ctx, case_id, Purpose.DATA_SHARING, granted=True, decided_on=TODAY, recipient="national-hub")
        decision = authorise(ctx, case_id, Purpose.DATA_SHARING, "national-hub", action="contribution")
    assert decision.basis.value == "consent"
    with pytest.raises(ConsentError), world.acting(world.worker) as ctx:
        authorise(ctx, case_id, Purpose.RESEARCH, "national-hub", action="contribution")
    checks = [e.detail for e in _audit(world) if e.action == "consent_check"]
    assert [(c["purpose"], c["action"]) for c in checks] == [("data_sharing", "contribution")]


def test_sealed_reasons_stay_readable_after_key_rotation(world: World) -> None:
    case_id = _case(world)
    with world.acting(world.admin) as ctx:
        refer(ctx, case_id, "clinic", override_reason="risk to life")
        change_status(ctx, case_id, CaseStatus.CLOSED, "moved abroad")
    world.store.close()
    rotate_keys(world.settings)
    with open_store(world.settings) as rotated:
        with rotated.transaction() as session:
            notes = read_notes(CaseworkContext(session, rotated.cipher, world.admin), case_id)
        with rotated.cases(world.admin) as cases:
            record = cases.read_identifying(case_id)
    assert [text for _, text in notes] == ["risk to life"]
    assert record.values["cas_ReasonForCaseClosure"] == "moved abroad"


def test_an_adapter_can_grant_or_withhold_the_override_permission(world: World) -> None:
    case_id = _case(world)
    with pytest.raises(PermissionDenied), world.store.transaction() as session:
        ctx = CaseworkContext(session, world.store.cipher, world.admin, override_permitted=False)
        refer(ctx, case_id, "clinic", override_reason="risk to life")
    with world.store.transaction() as session:
        ctx = CaseworkContext(session, world.store.cipher, world.worker, override_permitted=True)
        assert refer(ctx, case_id, "clinic", override_reason="risk to life").consent_basis == "override"


def test_a_consent_dated_today_where_the_local_date_is_ahead_of_utc_counts_at_once(world: World) -> None:
    evening_utc = dt.datetime(2025, 3, 4, 19, 0, tzinfo=dt.UTC)  # already 5 March in Bangkok
    case_id = _case(world)
    world.store.ensure_organisation("police", "Police")
    with world.store.transaction() as session:
        ctx = CaseworkContext(session, world.store.cipher, world.worker, clock=lambda: evening_utc)
        record_consent(ctx, case_id, Purpose.REFERRAL, granted=True, decided_on=dt.date(2025, 3, 5))
        assert refer(ctx, case_id, "clinic").consent_basis == "consent"
        with pytest.raises(ValidationError, match="future"):
            record_consent(ctx, case_id, Purpose.RESEARCH, granted=True, decided_on=dt.date(2025, 3, 7))
        record_consent(ctx, case_id, Purpose.REFERRAL, granted=False, decided_on=dt.date(2025, 3, 5))
        with pytest.raises(ConsentError):
            refer(ctx, case_id, "police")
