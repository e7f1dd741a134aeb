from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml

from ctdx.casework.calendars import Unit
from ctdx.casework.packs import load_pack, pack_ids, parse_pack
from ctdx.casework.tasks import plan_tasks
from ctdx.errors import ConfigError, NotFoundError, ValidationError


def test_the_three_packs_load_with_a_version() -> None:
    assert pack_ids() == ("iom-generic", "uk-nrm", "us")
    for pack_id in pack_ids():
        pack = load_pack(pack_id)
        assert pack.version and pack.data.sources


def test_nrm_reasonable_grounds_target_counts_working_days_across_easter() -> None:
    pack = load_pack("uk-nrm")
    tasks = {t.template_id: t for t in plan_tasks(pack, "nrm_referral_submitted", dt.date(2025, 4, 17), minor=False)}
    rg = tasks["rg_decision_target"]
    assert rg.unit is Unit.WORKING_DAYS and rg.offset == 5
    # Five calendar days would be Tuesday 22 April; Good Friday and Easter Monday push it to Monday 28 April.
    assert rg.due == dt.date(2025, 4, 28)
    assert (rg.pack_id, rg.pack_version) == ("uk-nrm", pack.version)
    assert "Statutory Guidance" in rg.source and rg.rule == "5 working days after nrm_referral_submitted"


def test_nrm_recovery_period_counts_calendar_days() -> None:
    tasks = {t.template_id: t for t in plan_tasks(load_pack("uk-nrm"), "rg_positive", dt.date(2025, 12, 1), minor=None)}
    assert tasks["recovery_day30_review"].due == dt.date(2025, 12, 31)
    assert tasks["cg_decision_expected"].due == dt.date(2026, 1, 15)
    assert tasks["recovery_minimum_end"].verified and not tasks["cg_decision_expected"].verified


def test_nrm_child_route_needs_no_consent_and_adds_the_safeguarding_referral() -> None:
    pack = load_pack("uk-nrm")
    child = pack.route_for(minor=True, consent=False)
    assert child.id == "child" and not child.consent_required
    assert pack.route_for(minor=True, consent=True).id == "child"
    child_tasks = {t.template_id for t in plan_tasks(pack, child.starts, dt.date(2025, 6, 2), minor=True)}
    adult_tasks = {t.template_id for t in plan_tasks(pack, child.starts, dt.date(2025, 6, 2), minor=False)}
    assert child_tasks - adult_tasks == {"child_safeguarding_referral"}


def test_nrm_adult_routes_depend_on_consent() -> None:
    pack = load_pack("uk-nrm")
    consented = pack.route_for(minor=False, consent=True)
    assert consented.id == "adult_consented" and consented.consent_required
    declined = pack.route_for(minor=False, consent=False)
    assert declined.id == "adult_declined" and declined.starts == "adult_declined_referral"
    tasks = plan_tasks(pack, declined.starts, dt.date(2025, 6, 2), minor=False)
    assert [t.template_id for t in tasks] == ["duty_to_notify"]


def test_us_continued_presence_deadlines_in_months() -> None:
    tasks = {t.template_id: t for t in plan_tasks(load_pack("us"), "cp_granted", dt.date(2025, 3, 31), minor=False)}
    assert tasks["cp_ends"].due == dt.date(2027, 3, 31)
    assert tasks["cp_renewal_request"].due == dt.date(2026, 12, 31)


def test_an_unknown_event_or_pack_is_refused() -> None:
    with pytest.raises(ValidationError, match="rg_positive"):
        plan_tasks(load_pack("uk-nrm"), "rg_maybe", dt.date(2025, 1, 6), minor=False)
    with pytest.raises(NotFoundError, match="uk-nrm"):
        load_pack("fr-nrm")


def _raw_nrm() -> dict[str, Any]:
    from importlib import resources

    text = resources.files("ctdx.casework").joinpath("packs").joinpath("uk-nrm.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def test_a_pack_with_broken_references_lists_every_problem() -> None:
    raw = _raw_nrm()
    raw["tasks"][0]["after"] = "nowhere"
    raw["tasks"][1]["source"] = "no-such-source"
    raw["calendar"] = None
    with pytest.raises(ConfigError) as caught:
        parse_pack(raw, "broken.yaml")
    message = caught.value.message
    assert "unknown event 'nowhere'" in message
    assert "unknown source 'no-such-source'" in message
    assert "counts working days but the pack names no calendar" in message


def test_a_malformed_pack_names_the_field() -> None:
    raw = _raw_nrm()
    raw["tasks"][0]["unit"] = "fortnights"
    with pytest.raises(ConfigError, match=r"tasks\.0\.unit"):
        parse_pack(raw, "broken.yaml")


def test_every_source_a_pack_lists_is_cited_by_one_of_its_rules() -> None:
    for pack_id in pack_ids():
        data = load_pack(pack_id).data
        cited = {t.source for t in data.tasks} | {r.source for r in data.routes}
        for checklist in data.checklists:
            cited |= {i.source for i in checklist.items} | {e.source for e in checklist.exemptions}
        assert {s.id for s in data.sources} == cited, pack_id
