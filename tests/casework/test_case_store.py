from __future__ import annotations

import datetime as dt

import pytest

from ctdx.casework.cases import add_plan, assign_case, change_status, open_case, show_case
from ctdx.casework.lifecycle import CaseStatus
from ctdx.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from ctdx.store import Actor

from .conftest import World, _add_user

TODAY = dt.date.today()


def test_a_new_case_is_active_with_its_opening_date(world: World) -> None:
    with world.acting(world.worker) as ctx:
        view = show_case(ctx, open_case(ctx, TODAY))
    assert view.status == "Active" and view.opened_date == TODAY and view.organisation == "shelter"


def test_closing_needs_a_reason_which_is_sealed_as_the_htcds_closure_reason(world: World) -> None:
    with world.acting(world.worker) as ctx:
        case_id = open_case(ctx, TODAY)
    with pytest.raises(ValidationError), world.acting(world.worker) as ctx:
        change_status(ctx, case_id, CaseStatus.CLOSED)
    with world.acting(world.worker) as ctx:
        change_status(ctx, case_id, CaseStatus.FOLLOW_UP)
        closed = change_status(ctx, case_id, CaseStatus.CLOSED, "returned home safely")
    assert closed.status == "Closed"
    with world.store.cases(world.worker) as cases:
        summary = cases.get(case_id)
        record = cases.read_identifying(case_id)
    assert "cas_ReasonForCaseClosure" not in summary.values
    assert record.values["cas_ReasonForCaseClosure"] == "returned home safely"
    assert record.values["cas_Status"] == "Closed"
    with pytest.raises(ConflictError), world.acting(world.worker) as ctx:
        change_status(ctx, case_id, CaseStatus.FOLLOW_UP)
    with world.acting(world.worker) as ctx:
        assert change_status(ctx, case_id, CaseStatus.ACTIVE, "new threats").status == "Active"


def test_closed_referred_needs_an_accepted_referral(world: World) -> None:
    with world.acting(world.worker) as ctx:
        case_id = open_case(ctx, TODAY)
    with pytest.raises(ConflictError, match="no accepted referral"), world.acting(world.worker) as ctx:
        change_status(ctx, case_id, CaseStatus.CLOSED_REFERRED, "moved on")


def test_assign_to_a_user_of_the_owning_organisation_only(world: World) -> None:
    with world.acting(world.worker) as ctx:
        case_id = open_case(ctx, TODAY)
        assert assign_case(ctx, case_id, "boss").owner == "boss"
    with pytest.raises(NotFoundError), world.acting(world.worker) as ctx:
        assign_case(ctx, case_id, "carlos")
    with pytest.raises(ConflictError), world.acting(world.worker) as ctx:
        assign_case(ctx, case_id, "boss")


def test_a_viewer_cannot_change_a_case(world: World) -> None:
    viewer: Actor = _add_user(world.store, world.shelter, "vera", "viewer")
    with world.acting(world.worker) as ctx:
        case_id = open_case(ctx, TODAY)
    with pytest.raises(PermissionDenied), world.acting(viewer) as ctx:
        change_status(ctx, case_id, CaseStatus.FOLLOW_UP)


def test_support_plans_take_htcds_types_and_seal_their_objectives(world: World) -> None:
    with world.acting(world.worker) as ctx:
        case_id = open_case(ctx, TODAY)
        add_plan(ctx, case_id, "AssistedVoluntaryReturnAndReintegration", objectives="reunite with family in town")
    with pytest.raises(ValidationError), world.acting(world.worker) as ctx:
        add_plan(ctx, case_id, "Housing")
    with world.store.cases(world.worker) as cases:
        record = cases.read_identifying(case_id)
    assert record.support_plans == (
        {"spl_Type": "AssistedVoluntaryReturnAndReintegration", "spl_Objectives": "reunite with family in town"},
    )
