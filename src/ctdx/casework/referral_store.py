"""Referrals and transfers kept in the store: sending one (consent-gated), and moving it through its states.

``refer`` checks the person's consent for a referral to the receiving organisation (purpose ``referral``,
recipient = the organisation's code) before anything is written; without it the referral is refused with
``ConsentError`` unless an actor with the override permission gives a reason (audited, reason sealed).
The case records the latest outgoing referral in its HTCDS fields (``cas_ReferredOrganisation``,
``cas_OutgoingReferralDate``, ``cas_ReasonForOutgoingReferral``). ``move_referral`` applies the state
machine of ``ctdx.casework.referrals``: the receiving organisation accepts, rejects or marks done, the
sending one revokes. Accepting a transfer hands the case, its person
and its open tasks to the receiving organisation and clears the case owner. Rows use the store's
``referral`` table with Primero's state names, plus ``referral_detail`` for the catalogue service.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import or_, select, update

from ctdx.casework.access import CaseworkContext, add_note, find_case, organisation_by_code, set_case_values
from ctdx.casework.consent import Purpose
from ctdx.casework.consents import authorise
from ctdx.casework.referrals import Party, ReferralKind, ReferralState, check_referral_move
from ctdx.casework.services import referral_service
from ctdx.casework.tables import CaseworkTask, ReferralDetail
from ctdx.errors import ConflictError, NotFoundError, ValidationError
from ctdx.model import FieldValue
from ctdx.standard import load_standard
from ctdx.store import audit
from ctdx.store.tables import Case, Organisation, Person, Referral


@dataclass(frozen=True)
class ReferralView:
    """A referral or transfer as either side sees it (codes and ids only)."""

    id: uuid.UUID
    case_id: uuid.UUID
    kind: ReferralKind
    state: ReferralState
    from_organisation: str
    to_organisation: str
    service: str | None
    reason: str | None
    referred_at: dt.datetime
    consent_basis: str | None = None


def _view(ctx: CaseworkContext, row: Referral, consent_basis: str | None = None) -> ReferralView:
    codes = dict(
        ctx.session.execute(
            select(Organisation.id, Organisation.code).where(
                Organisation.id.in_([row.from_organisation_id, row.to_organisation_id])
            )
        ).all()
    )
    detail = ctx.session.get(ReferralDetail, row.id)
    return ReferralView(
        id=row.id,
        case_id=row.case_id,
        kind=ReferralKind(row.kind),
        state=ReferralState(row.status),
        from_organisation=str(codes[row.from_organisation_id]),
        to_organisation=str(codes[row.to_organisation_id]),
        service=detail.service if detail else None,
        reason=row.reason,
        referred_at=row.referred_at,
        consent_basis=consent_basis,
    )


def refer(
    ctx: CaseworkContext,
    case_id: uuid.UUID,
    to_organisation: str,
    *,
    kind: ReferralKind = ReferralKind.REFERRAL,
    service: str | None = None,
    reason: str | None = None,
    override_reason: str | None = None,
) -> ReferralView:
    """Refer or transfer one of the actor's cases to organisation ``to_organisation`` (its code).

    ``service`` is a referral-service catalogue id; ``reason`` an HTCDS ``cas_ReasonForOutgoingReferral``
    value. Raises ``ConsentError`` without a matching consent or a permitted override, ``ConflictError``
    when the case is closed or already has an open referral of this kind to that organisation.
    """
    ctx.require_write()
    case = find_case(ctx, case_id)
    if case.status in ("Closed", "ClosedReferred"):
        raise ConflictError(
            f"case {case.reference} is {case.status}; reopen it before referring it", case_id=str(case.id)
        )
    target = organisation_by_code(ctx, to_organisation)
    if target.id == case.organisation_id:
        raise ValidationError("a case cannot be referred to its own organisation", field="organisation")
    if service is not None:
        referral_service(service)
    if reason is not None and reason not in load_standard().field("cas_ReasonForOutgoingReferral").value_names:
        raise ValidationError(
            f"{reason!r} is not a cas_ReasonForOutgoingReferral value", field="cas_ReasonForOutgoingReferral"
        )
    open_states = [ReferralState.IN_PROGRESS.value, ReferralState.ACCEPTED.value]
    duplicate = ctx.session.scalar(
        select(Referral.id).where(
            Referral.case_id == case.id,
            Referral.to_organisation_id == target.id,
            Referral.kind == kind.value,
            Referral.status.in_(open_states),
        )
    )
    if duplicate is not None:
        raise ConflictError(f"case {case.reference} already has an open {kind.value} to {to_organisation}")
    decision = authorise(
        ctx, case.id, Purpose.REFERRAL, target.code, override_reason=override_reason, action=kind.value
    )
    referral_id, stamp = uuid.uuid4(), ctx.now()
    row = Referral(
        id=referral_id,
        case_id=case.id,
        kind=kind.value,
        from_organisation_id=case.organisation_id,
        to_organisation_id=target.id,
        status=ReferralState.IN_PROGRESS.value,
        reason=reason,
        referred_at=stamp,
        created_by=ctx.actor.label,
    )
    ctx.session.add(row)
    ctx.session.flush()
    outgoing: dict[str, FieldValue] = {
        "cas_ReferredOrganisation": target.code,
        "cas_OutgoingReferralDate": stamp.date(),
    }
    if reason is not None:
        outgoing["cas_ReasonForOutgoingReferral"] = reason
    set_case_values(ctx, case, outgoing)
    ctx.session.add(
        ReferralDetail(referral_id=referral_id, service=service, updated_by=ctx.actor.label, updated_at=stamp)
    )
    ctx.audit(
        audit.CreateEvent(
            actor=ctx.actor,
            entity="referral",
            entity_id=str(referral_id),
            detail={
                "case_id": str(case.id),
                "kind": kind.value,
                "to": target.code,
                "service": service,
                "consent_basis": decision.basis.value,
            },
        )
    )
    return _view(ctx, row, decision.basis.value)


def _referral_for(ctx: CaseworkContext, referral_id: uuid.UUID) -> tuple[Referral, Party]:
    row = ctx.session.get(Referral, referral_id)
    org = ctx.actor.organisation_id
    if row is None or org not in (row.from_organisation_id, row.to_organisation_id):
        raise NotFoundError(f"no referral {referral_id}", referral_id=str(referral_id))
    return row, Party.SENDER if row.from_organisation_id == org else Party.RECIPIENT


def move_referral(
    ctx: CaseworkContext, referral_id: uuid.UUID, target: ReferralState, reason: str | None = None
) -> ReferralView:
    """Accept, reject, mark done or revoke a referral or transfer (see ``check_referral_move``)."""
    ctx.require_write()
    row, party = _referral_for(ctx, referral_id)
    kind = ReferralKind(row.kind)
    check_referral_move(kind, ReferralState(row.status), target, party, reason)
    stamp = ctx.now()
    row.status = target.value
    row.decided_at = stamp
    detail: dict[str, str | int | bool | None] = {
        "case_id": str(row.case_id),
        "kind": kind.value,
        "state": target.value,
    }
    if reason is not None and reason.strip():
        detail["note_id"] = str(add_note(ctx, row.case_id, f"{kind.value}_{target.value}", str(row.id), reason))
    found = ctx.session.get(ReferralDetail, row.id)
    if found is not None:
        found.updated_by, found.updated_at = ctx.actor.label, stamp
    if kind is ReferralKind.TRANSFER and target is ReferralState.ACCEPTED:
        _hand_over(ctx, row)
    ctx.audit(
        audit.UpdateEvent(actor=ctx.actor, entity="referral", entity_id=str(row.id), fields=("status",), detail=detail)
    )
    return _view(ctx, row)


def _hand_over(ctx: CaseworkContext, row: Referral) -> None:
    """An accepted transfer: the case, its person and its open tasks now belong to the receiving organisation."""
    case = ctx.session.get(Case, row.case_id)
    assert case is not None
    case.organisation_id = row.to_organisation_id
    case.owner = None
    case.values = {k: v for k, v in case.values.items() if k != "cas_CaseOwner"}
    case.updated_at = ctx.now()
    ctx.session.execute(
        update(Person).where(Person.id == case.person_id).values(organisation_id=row.to_organisation_id)
    )
    ctx.session.execute(
        update(CaseworkTask)
        .where(CaseworkTask.case_id == case.id, CaseworkTask.status == "open")
        .values(organisation_id=row.to_organisation_id)
    )
    ctx.audit(
        audit.UpdateEvent(
            actor=ctx.actor,
            entity="case_file",
            entity_id=str(case.id),
            fields=("organisation_id", "cas_CaseOwner"),
            detail={"transfer_id": str(row.id)},
        )
    )


def referrals_of_case(ctx: CaseworkContext, case_id: uuid.UUID) -> list[ReferralView]:
    """The referrals and transfers of a case the actor may see (the owner: all; a recipient: its own)."""
    case = find_case(ctx, case_id, owner_only=False)
    query = select(Referral).where(Referral.case_id == case.id).order_by(Referral.referred_at)
    if case.organisation_id != ctx.actor.organisation_id:
        query = query.where(Referral.to_organisation_id == ctx.actor.organisation_id)
    return [_view(ctx, r) for r in ctx.session.scalars(query)]


def incoming_referrals(ctx: CaseworkContext, *, open_only: bool = True) -> list[ReferralView]:
    """Referrals and transfers addressed to the actor's organisation, oldest first."""
    query = select(Referral).where(Referral.to_organisation_id == ctx.actor.organisation_id)
    if open_only:
        query = query.where(
            or_(Referral.status == ReferralState.IN_PROGRESS.value, Referral.status == ReferralState.ACCEPTED.value)
        )
    return [_view(ctx, r) for r in ctx.session.scalars(query.order_by(Referral.referred_at))]
