"""``ctdx case``: the case lifecycle, referrals, consent, support plans and deadlines, from the terminal.

Every command names who acts (``--user NAME``, or ``--system NAME --org CODE``) and the store
(``--database URL``, default from the settings), parses its arguments, calls one function of
``ctdx.casework`` and prints ids, codes and dates: never an identifying value. Free-text reasons go into
the store sealed and are not echoed back.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table

from ctdx.casework import access, cases, consents, referral_store, task_store
from ctdx.casework.access import CaseworkContext
from ctdx.casework.actors import casework_session
from ctdx.casework.checklists import evaluate_checklist
from ctdx.casework.consent import parse_given_by, parse_purpose
from ctdx.casework.lifecycle import parse_status
from ctdx.casework.packs import load_pack
from ctdx.casework.referrals import ReferralKind, ReferralState
from ctdx.cli.console import cli_errors, console
from ctdx.errors import ValidationError
from ctdx.settings import load_settings

app = typer.Typer(
    help="Cases: lifecycle, referrals and transfers, consent, support plans, deadlines.", no_args_is_help=True
)
consent_app = typer.Typer(help="Record or withdraw consent per purpose and recipient.", no_args_is_help=True)
plan_app = typer.Typer(help="Support plans (HTCDS spl_Type).", no_args_is_help=True)
tasks_app = typer.Typer(help="Tasks with deadlines from jurisdiction packs.", no_args_is_help=True)
app.add_typer(consent_app, name="consent")
app.add_typer(plan_app, name="plan")
app.add_typer(tasks_app, name="tasks")

Database = Annotated[str | None, typer.Option("--database", help="SQLAlchemy URL of the store (default: settings).")]
User = Annotated[str | None, typer.Option("--user", help="act as this user of the store")]
System = Annotated[str | None, typer.Option("--system", help="act as this named system process (needs --org)")]
Org = Annotated[str | None, typer.Option("--org", help="organisation code of the system process")]
CaseArg = Annotated[str, typer.Argument(help="case reference (four groups of four, e.g. 9193-F15B-8C0F-44FA) or id")]
ReferralArg = Annotated[str, typer.Argument(help="referral id")]
Reason = Annotated[str | None, typer.Option("--reason", help="why (stored sealed; required where the rules say)")]


def _date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{name} must be a date as YYYY-MM-DD", field=name) from None


def _uuid(value: str, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationError(f"{name} must be an id like 1b4e28ba-2fa1-11d2-883f-0016d3cca427", field=name) from None


@contextmanager
def _acting(database: str | None, user: str | None, system: str | None, org: str | None) -> Iterator[CaseworkContext]:
    from ctdx.store import open_store

    with (
        open_store(load_settings().with_database(database)) as store,
        casework_session(store, user=user, system=system, organisation=org) as ctx,
    ):
        yield ctx


def _print_case(view: cases.CaseView) -> None:
    console.print(f"case {view.reference} ({view.id})", highlight=False)
    owner = view.owner or "-"
    console.print(
        f"organisation {view.organisation}; status {view.status}; owner {owner}; opened {view.opened_date}",
        highlight=False,
    )
    if view.referrals:
        table = Table(title="referrals and transfers")
        for column in ("id", "kind", "state", "from", "to", "service", "since"):
            table.add_column(column)
        for r in view.referrals:
            table.add_row(
                str(r.id),
                r.kind.value,
                r.state.value,
                r.from_organisation,
                r.to_organisation,
                r.service or "",
                r.referred_at.date().isoformat(),
            )
        console.print(table)
    if view.consents:
        table = Table(title="consent")
        for column in ("purpose", "status", "recipient", "given by", "on", "expires"):
            table.add_column(column)
        for c in view.consents:
            table.add_row(
                c.purpose,
                c.status,
                c.recipient or "any",
                c.given_by or "",
                c.decided_on.isoformat(),
                c.expires_on.isoformat() if c.expires_on else "",
            )
        console.print(table)
    for plan in view.plans:
        console.print(f"support plan {plan.plan_type} (planned end {plan.planned_end or '-'})", highlight=False)
    if view.tasks:
        _print_tasks(list(view.tasks), "tasks")


def _print_tasks(tasks: list[task_store.TaskView], title: str) -> None:
    table = Table(title=title)
    for column in ("due", "case", "task", "status", "rule", "pack", "id"):
        table.add_column(column)
    for t in tasks:
        flag = "" if t.verified else " (unverified)"
        table.add_row(
            t.due.isoformat(),
            t.case_reference,
            t.title + flag,
            t.status,
            t.rule,
            f"{t.pack_id} {t.pack_version}",
            str(t.id),
        )
    console.print(table)


def _print_referral(view: referral_store.ReferralView) -> None:
    basis = f"; consent basis {view.consent_basis}" if view.consent_basis else ""
    console.print(
        f"{view.kind.value} {view.id}: {view.from_organisation} -> {view.to_organisation}, {view.state.value}{basis}",
        highlight=False,
    )


@app.command("open")
def open_command(
    opened: Annotated[str | None, typer.Option("--opened", help="opening date (default: today)")] = None,
    database: Database = None,
    user: User = None,
    system: System = None,
    org: Org = None,
) -> None:
    """Open a new Active case in the actor's organisation."""
    with cli_errors(), _acting(database, user, system, org) as ctx:
        case_id = cases.open_case(ctx, _date(opened, "--opened") or dt.date.today())
        _print_case(cases.show_case(ctx, case_id))


@app.command("show")
def show(case: CaseArg, database: Database = None, user: User = None, system: System = None, org: Org = None) -> None:
    """Show a case: status, owner, referrals, consent, support plans and tasks (no identifying values)."""
    with cli_errors(), _acting(database, user, system, org) as ctx:
        _print_case(cases.show_case(ctx, access.case_id_of(ctx, case)))


@app.command("assign")
def assign(
    case: CaseArg,
    username: Annotated[str, typer.Argument(help="the new case owner, a user of the organisation")],
    database: Database = None,
    user: User = None,
    system: System = None,
    org: Org = None,
) -> None:
    """Make USERNAME the owner of the case (cas_CaseOwner)."""
    with cli_errors(), _acting(database, user, system, org) as ctx:
        _print_case(cases.assign_case(ctx, access.case_id_of(ctx, case), username))


@app.command("status")
def status(
    case: CaseArg,
    new_status: Annotated[str, typer.Argument(metavar="STATUS", help="Active, FollowUp, Closed or ClosedReferred")],
    reason: Reason = None,
    database: Database = None,
    user: User = None,
    system: System = None,
    org: Org = None,
) -> None:
    """Change the case status (closing and reopening need --reason)."""
    with cli_errors(), _acting(database, user, system, org) as ctx:
        target = parse_status(new_status)
        _print_case(cases.change_status(ctx, access.case_id_of(ctx, case), target, reason))


@app.command("refer")
def refer(
    case: CaseArg,
    organisation: Annotated[str, typer.Argument(help="code of the receiving organisation")],
    service: Annotated[str | None, typer.Option("--service", help="referral-service catalogue id")] = None,
    transfer: Annotated[bool, typer.Option("--transfer", help="transfer the case instead of referring it")] = False,
    reason_code: Annotated[
        str | None, typer.Option("--reason-code", help="HTCDS cas_ReasonForOutgoingReferral value")
    ] = None,
    override_reason: Annotated[
        str | None, typer.Option("--override-reason", help="refer without consent (needs the override permission)")
    ] = None,
    database: Database = None,
    user: User = None,
    system: System = None,
    org: Org = None,
) -> None:
    """Refer (or transfer) a case to another organisation; refused without the person's consent."""
    with cli_errors(), _acting(database, user, system, org) as ctx:
        kind = ReferralKind.TRANSFER if transfer else ReferralKind.REFERRAL
        view = referral_store.refer(
            ctx,
            access.case_id_of(ctx, case),
            organisation,
            kind=kind,
            service=service,
            reason=reason_code,
            override_reason=override_reason,
        )
        _print_referral(view)


@app.command("inbox")
def inbox(
    all_states: Annotated[bool, typer.Option("--all", help="also the rejected, done and revoked ones")] = False,
    database: Database = None,
    user: User = None,
    system: System = None,
    org: Org = None,
) -> None:
    """List the referrals and transfers addressed to your organisation (open ones unless --all)."""
    with cli_errors(), _acting(database, user, system, org) as ctx:
        views = referral_store.incoming_referrals(ctx, open_only=not all_states)
        if not views:
            console.print("no referrals addressed to your organisation", highlight=False)
        for view in views:
            _print_referral(view)


def _move(target: ReferralState, referral: str, reason: str | None, acting: tuple[str | None, ...]) -> None:
    database, user, system, org = acting
    with cli_errors(), _acting(database, user, system, org) as ctx:
        _print_referral(referral_store.move_referral(ctx, _uuid(referral, "referral"), target, reason))


@app.command("accept")
def accept(
    referral: ReferralArg, database: Database = None, user: User = None, system: System = None, org: Org = None
) -> None:
    """Accept a referral or transfer addressed to your organisation."""
    _move(ReferralState.ACCEPTED, referral, None, (database, user, system, org))


@app.command("reject")
def reject(
    referral: ReferralArg,
    reason: Reason = None,
    database: Database = None,
    user: User = None,
    system: System = None,
    org: Org = None,
) -> None:
    """Reject a referral or transfer addressed to your organisation (needs --reason)."""
    _move(ReferralState.REJECTED, referral, reason, (database, user, system, org))


@app.command("done")
def done(
    referral: ReferralArg, database: Database = None, user: User = None, system: System = None, org: Org = None
) -> None:
    """Mark an accepted referral done (the service was provided)."""
    _move(ReferralState.DONE, referral, None, (database, user, system, org))


@app.command("revoke")
def revoke(
    referral: ReferralArg,
    reason: Reason = None,
    database: Database = None,
    user: User = None,
    system: System = None,
    org: Org = None,
) -> None:
    """Revoke a referral or transfer your organisation sent (needs --reason)."""
    _move(ReferralState.REVOKED, referral, reason, (database, user, system, org))


Purpose = Annotated[str, typer.Argument(help="interview, referral, data_sharing or research")]
Recipient = Annotated[
    str | None, typer.Option("--recipient", help="organisation code or pack id (default: any recipient)")
]
On = Annotated[str | None, typer.Option("--on", help="date (default: today)")]


@consent_app.command("record")
def consent_record(
    case: CaseArg,
    purpose: Purpose,
    recipient: Recipient = None,
    given_by: Annotated[str, typer.Option("--given-by", help="self, caregiver, guardian or representative")] = "self",
    child_assent: Annotated[
        bool | None, typer.Option("--child-assent/--no-child-assent", help="the child's own assent")
    ] = None,
    on: On = None,
    expires: Annotated[str | None, typer.Option("--expires", help="expiry date")] = None,
    database: Database = None,
    user: User = None,
    system: System = None,
    org: Org = None,
) -> None:
    """Record the person's consent for PURPOSE (to one recipient, or any)."""
    with cli_errors(), _acting(database, user, system, org) as ctx:
        record = consents.record_consent(
            ctx,
            access.case_id_of(ctx, case),
            parse_purpose(purpose),
            granted=True,
            decided_on=_date(on, "--on") or dt.date.today(),
            recipient=recipient,
            given_by=parse_given_by(given_by),
            child_assent=child_assent,
            expires_on=_date(expires, "--expires"),
        )
        console.print(f"consent {record.id}: {record.purpose} to {record.recipient or 'any'} granted", highlight=False)


@consent_app.command("withdraw")
def consent_withdraw(
    case: CaseArg,
    purpose: Purpose,
    recipient: Recipient = None,
    on: On = None,
    database: Database = None,
    user: User = None,
    system: System = None,
    org: Org = None,
) -> None:
    """Record that the person withdrew consent for PURPOSE (to one recipient, or all)."""
    with cli_errors(), _acting(database, user, system, org) as ctx:
        record = consents.record_consent(
            ctx,
            access.case_id_of(ctx, case),
            parse_purpose(purpose),
            granted=False,
            decided_on=_date(on, "--on") or dt.date.today(),
            recipient=recipient,
        )
        console.print(
            f"consent {record.id}: {record.purpose} to {record.recipient or 'all'} withdrawn", highlight=False
        )


@plan_app.command("add")
def plan_add(
    case: CaseArg,
    plan_type: Annotated[str, typer.Argument(metavar="TYPE", help="HTCDS spl_Type, e.g. Legal or SocialCare")],
    planned_end: Annotated[str | None, typer.Option("--planned-end", help="planned end date")] = None,
    objectives: Annotated[str | None, typer.Option("--objectives", help="objectives (stored sealed)")] = None,
    database: Database = None,
    user: User = None,
    system: System = None,
    org: Org = None,
) -> None:
    """Add a support plan to a case."""
    with cli_errors(), _acting(database, user, system, org) as ctx:
        plan = cases.add_plan(
            ctx,
            access.case_id_of(ctx, case),
            plan_type,
            planned_end=_date(planned_end, "--planned-end"),
            objectives=objectives,
        )
        console.print(f"support plan {plan.id}: {plan.plan_type}", highlight=False)


Minor = Annotated[
    bool | None, typer.Option("--minor/--adult", help="whether the person is under 18 (unknown: every task)")
]


@tasks_app.command("route")
def tasks_route(
    case: CaseArg,
    pack: Annotated[str, typer.Argument(help="jurisdiction pack: iom-generic, uk-nrm or us")],
    minor: Annotated[bool, typer.Option("--minor/--adult", help="whether the person is under 18")],
    on: On = None,
    override_reason: Annotated[
        str | None, typer.Option("--override-reason", help="enter without consent (needs the override permission)")
    ] = None,
    database: Database = None,
    user: User = None,
    system: System = None,
    org: Org = None,
) -> None:
    """Enter a jurisdiction pack on the route that fits (the UK NRM child route needs no consent)."""
    with cli_errors(), _acting(database, user, system, org) as ctx:
        started = task_store.start_route(
            ctx,
            access.case_id_of(ctx, case),
            pack,
            _date(on, "--on") or dt.date.today(),
            minor=minor,
            override_reason=override_reason,
        )
        basis = started.consent.basis.value
        console.print(f"route {started.route.id}: {started.route.label} (consent basis {basis})", highlight=False)
        _print_tasks(list(started.tasks), "tasks started")


@tasks_app.command("milestone")
def tasks_milestone(
    case: CaseArg,
    pack: Annotated[str, typer.Argument(help="jurisdiction pack")],
    event: Annotated[str, typer.Argument(help="the pack's milestone, e.g. rg_positive")],
    minor: Minor = None,
    on: On = None,
    database: Database = None,
    user: User = None,
    system: System = None,
    org: Org = None,
) -> None:
    """Record a milestone of a pack and store the tasks it starts."""
    with cli_errors(), _acting(database, user, system, org) as ctx:
        tasks = task_store.record_milestone(
            ctx, access.case_id_of(ctx, case), pack, event, _date(on, "--on") or dt.date.today(), minor=minor
        )
        _print_tasks(list(tasks), "tasks started")


@tasks_app.command("due")
def tasks_due(
    until: Annotated[str | None, typer.Option("--until", help="last due date to list (default: today)")] = None,
    database: Database = None,
    user: User = None,
    system: System = None,
    org: Org = None,
) -> None:
    """List the open tasks of your organisation's cases due by a date, soonest first."""
    with cli_errors(), _acting(database, user, system, org) as ctx:
        day = _date(until, "--until") or dt.date.today()
        due = task_store.tasks_due(ctx, day)
        if due:
            _print_tasks(due, f"tasks due by {day.isoformat()}")
        else:
            console.print(f"no open tasks due by {day.isoformat()}", highlight=False)


@tasks_app.command("complete")
def tasks_complete(
    task: Annotated[str, typer.Argument(help="task id")],
    database: Database = None,
    user: User = None,
    system: System = None,
    org: Org = None,
) -> None:
    """Mark a task done."""
    with cli_errors(), _acting(database, user, system, org) as ctx:
        view = task_store.complete_task(ctx, _uuid(task, "task"))
        console.print(f"task {view.id} done: {view.title}", highlight=False)


@app.command("checklist")
def checklist(
    pack: Annotated[str, typer.Argument(help="jurisdiction pack, e.g. us")],
    name: Annotated[str, typer.Argument(help="checklist id, e.g. t_visa")],
    answer: Annotated[list[str] | None, typer.Option("--answer", help="ITEM=yes|no|unknown, repeatable")] = None,
    exempt: Annotated[list[str] | None, typer.Option("--exempt", help="EXEMPTION=yes|no|unknown, repeatable")] = None,
) -> None:
    """Evaluate an eligibility checklist of a pack (an aid, not a decision); needs no store."""
    with cli_errors():
        found = load_pack(pack).checklist(name)
        result = evaluate_checklist(found, _pairs(answer or [], "--answer"), _pairs(exempt or [], "--exempt"))
        table = Table(title=f"{found.title} ({pack} {load_pack(pack).version})")
        for column in ("item", "status", "exempted by"):
            table.add_column(column)
        for item in result.items:
            table.add_row(item.item, item.status.value, ", ".join(item.exempted_by))
        console.print(table)
        console.print(f"outcome: {result.outcome.value}", highlight=False)


def _pairs(values: list[str], option: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, answer = value.partition("=")
        if not sep or not key:
            raise ValidationError(f"{option} takes NAME=yes|no|unknown, not {value!r}", field=option)
        pairs[key.strip()] = answer.strip()
    return pairs
