from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from ctdx.cli.main import app

from .conftest import World

runner = CliRunner()

# The command is a thin adapter over the library, whose tests run on both databases; here SQLite suffices.
pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


def _env(world: World) -> dict[str, str | None]:
    return {
        "CTDX_DATABASE_URL": world.settings.database_url,
        "CTDX_DATA_DIR": str(world.settings.data_dir),
        "CTDX_KEY_FILE": str(world.settings.key_file),
        "CTDX_KEY": None,
        "COLUMNS": "200",
    }


def _run(world: World, *args: str, user: str = "amina") -> tuple[int, str]:
    result = runner.invoke(app, ["case", *args, "--user", user], env=_env(world))
    return result.exit_code, result.output


def test_a_case_from_opening_through_a_consented_referral_to_closure(world: World) -> None:
    code, out = _run(world, "open", "--opened", "2025-04-17")
    assert code == 0, out
    reference = re.search(r"case ([0-9A-F]{4}(?:-[0-9A-F]{4}){3})", out)
    assert reference is not None
    case = reference.group(1)

    code, out = _run(world, "refer", case, "clinic", "--service", "medical")
    assert code == 10 and "no current consent for referral to clinic" in out

    assert _run(world, "consent", "record", case, "referral", "--recipient", "clinic")[0] == 0
    code, out = _run(world, "refer", case, "clinic", "--service", "medical")
    assert code == 0 and "consent basis consent" in out
    referral = re.search(r"referral ([0-9a-f-]{36})", out)
    assert referral is not None

    assert _run(world, "show", case, user="carlos")[0] == 6  # not visible before acceptance
    code, out = _run(world, "inbox", user="carlos")
    assert code == 0 and referral.group(1) in out and "shelter -> clinic, in_progress" in out
    code, out = _run(world, "accept", referral.group(1), user="carlos")
    assert code == 0 and "accepted" in out
    assert _run(world, "plan", "add", case, "Health", user="carlos")[0] == 0
    assert _run(world, "done", referral.group(1), user="carlos")[0] == 0

    code, out = _run(world, "status", case, "ClosedReferred")
    assert code == 9 and "needs a reason" in out
    code, out = _run(world, "status", case, "ClosedReferred", "--reason", "continues at the clinic")
    assert code == 0 and "status ClosedReferred" in out
    assert "continues at the clinic" not in out


def test_an_override_by_an_administrator(world: World) -> None:
    case = re.findall(r"case (\S+)", _run(world, "open")[1])[0]
    code, out = _run(world, "refer", case, "clinic", "--override-reason", "medical emergency")
    assert code == 7 and "consent_override" in out
    code, out = _run(world, "refer", case, "clinic", "--override-reason", "medical emergency", user="boss")
    assert code == 0 and "consent basis override" in out


def test_nrm_child_route_and_tasks_due_by_working_days(world: World) -> None:
    case = re.findall(r"case (\S+)", _run(world, "open")[1])[0]
    code, out = _run(world, "tasks", "route", case, "uk-nrm", "--minor", "--on", "2025-04-17")
    assert code == 0, out
    assert "route child" in out and "consent basis exempt" in out
    code, out = _run(world, "tasks", "due", "--until", "2025-04-27")
    assert code == 0 and "Reasonable-grounds" not in out and "safeguarding" in out
    code, out = _run(world, "tasks", "due", "--until", "2025-04-28")
    assert "2025-04-28" in out and "Reasonable-grounds" in out


def test_the_t_visa_checklist_from_the_command_line(world: World) -> None:
    answers = [
        f"--answer={item}=yes"
        for item in ("severe_form_victim", "physical_presence", "extreme_hardship", "admissible_or_waiver")
    ]
    args = ["case", "checklist", "us", "t_visa", *answers, "--answer", "not_a_trafficker=yes"]
    result = runner.invoke(app, [*args, "--answer", "law_enforcement_cooperation=no", "--exempt", "trauma=yes"])
    assert result.exit_code == 0 and "criteria_appear_met" in result.output
    result = runner.invoke(app, [*args, "--answer", "law_enforcement_cooperation=no"])
    assert "criterion_not_met" in result.output
    assert runner.invoke(app, [*args, "--answer", "oops"]).exit_code == 9


def test_acting_needs_a_known_user_or_a_system_with_an_organisation(world: World) -> None:
    assert _run(world, "tasks", "due", user="nobody")[0] == 6
    result = runner.invoke(app, ["case", "tasks", "due", "--system", "nightly"], env=_env(world))
    assert result.exit_code == 9
    result = runner.invoke(app, ["case", "tasks", "due", "--system", "nightly", "--org", "shelter"], env=_env(world))
    assert result.exit_code == 0 and "no open tasks" in result.output


def test_assign_reject_revoke_withdraw_milestone_and_complete(world: World) -> None:
    case = re.findall(r"case (\S+)", _run(world, "open")[1])[0]
    code, out = _run(world, "assign", case, "boss")
    assert code == 0 and "owner boss" in out
    _run(world, "consent", "record", case, "referral")
    first = re.findall(r"referral (\S+):", _run(world, "refer", case, "clinic")[1])[0]
    assert _run(world, "reject", first, user="carlos")[0] == 9  # a rejection needs a reason
    code, out = _run(world, "reject", first, "--reason", "no capacity", user="carlos")
    assert code == 0 and "rejected" in out
    second = re.findall(r"referral (\S+):", _run(world, "refer", case, "clinic")[1])[0]
    assert _run(world, "revoke", second, "--reason", "person moved", user="carlos")[0] == 7  # the sender revokes
    assert "revoked" in _run(world, "revoke", second, "--reason", "person moved")[1]
    code, out = _run(world, "consent", "withdraw", case, "referral")
    assert code == 0 and "withdrawn" in out
    assert _run(world, "refer", case, "clinic")[0] == 10
    code, out = _run(world, "tasks", "milestone", case, "us", "cp_granted", "--adult", "--on", "2025-03-31")
    assert code == 0 and "2027-03-31" in out
    task = re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", out)[0]
    code, out = _run(world, "tasks", "complete", task)
    assert code == 0 and "done" in out
    assert _run(world, "tasks", "complete", task)[0] == 8
    code, out = _run(world, "show", case)
    assert "cp_ends" not in out and "Continued Presence" in out and "consent" in out
