from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from ctdx.casework.cases import open_case
from ctdx.casework.consent import Purpose
from ctdx.casework.consents import record_consent
from ctdx.casework.packs import load_pack
from ctdx.casework.task_store import complete_task, record_milestone, start_route, tasks_due
from ctdx.errors import ConflictError, ConsentError
from ctdx.store.tables import AuditEventRow

from .conftest import World

REFERRED = dt.date(2025, 4, 17)  # a Thursday before Easter


def test_the_nrm_child_route_needs_no_consent_and_is_audited_as_an_exemption(world: World) -> None:
    with world.acting(world.worker) as ctx:
        case_id = open_case(ctx, REFERRED)
        started = start_route(ctx, case_id, "uk-nrm", REFERRED, minor=True)
    assert started.route.id == "child" and started.consent.basis.value == "exempt"
    due = {t.template_id: t for t in started.tasks}
    assert due["rg_decision_target"].due == dt.date(2025, 4, 28)
    assert due["child_safeguarding_referral"].due == REFERRED
    assert all(t.pack_id == "uk-nrm" and t.pack_version == load_pack("uk-nrm").version for t in started.tasks)
    with world.store.transaction() as session:
        checks = session.scalars(select(AuditEventRow).where(AuditEventRow.action == "consent_check")).all()
    assert [c.detail["exemption"] for c in checks] == ["uk-nrm/child"]


def test_an_adult_who_declines_gets_the_duty_to_notify_route(world: World) -> None:
    with world.acting(world.worker) as ctx:
        case_id = open_case(ctx, REFERRED)
        started = start_route(ctx, case_id, "uk-nrm", REFERRED, minor=False)
    assert started.route.id == "adult_declined"
    assert [t.template_id for t in started.tasks] == ["duty_to_notify"]


def test_an_adult_who_consents_to_the_nrm_gets_the_referral_route(world: World) -> None:
    with world.acting(world.worker) as ctx:
        case_id = open_case(ctx, REFERRED)
        record_consent(ctx, case_id, Purpose.REFERRAL, granted=True, decided_on=REFERRED, recipient="uk-nrm")
        started = start_route(ctx, case_id, "uk-nrm", REFERRED, minor=False)
    assert started.route.id == "adult_consented" and started.consent.basis.value == "consent"


def test_a_route_that_needs_consent_is_refused_without_it(world: World) -> None:
    with pytest.raises(ConsentError), world.acting(world.worker) as ctx:
        start_route(ctx, open_case(ctx, REFERRED), "iom-generic", REFERRED, minor=False)


def test_tasks_due_lists_open_tasks_of_the_organisation_until_a_date(world: World) -> None:
    with world.acting(world.worker) as ctx:
        case_id = open_case(ctx, REFERRED)
        record_milestone(ctx, case_id, "uk-nrm", "nrm_referral_submitted", REFERRED, minor=False)
        record_milestone(ctx, case_id, "uk-nrm", "rg_positive", dt.date(2025, 4, 28), minor=False)
    with world.acting(world.worker) as ctx:
        due = tasks_due(ctx, dt.date(2025, 5, 28))
    assert [t.template_id for t in due] == ["rg_decision_target", "recovery_minimum_end", "recovery_day30_review"]
    with world.acting(world.clinic_worker) as ctx:
        assert tasks_due(ctx, dt.date(2030, 1, 1)) == []
    with world.acting(world.worker) as ctx:
        complete_task(ctx, due[0].id)
        assert [t.template_id for t in tasks_due(ctx, dt.date(2025, 4, 30))] == []
    with pytest.raises(ConflictError), world.acting(world.worker) as ctx:
        complete_task(ctx, due[0].id)
