"""The demo's casework step: screen every sample case, store the explained result, and refer with consent.

Each generated case is screened from what its record documents (``ctdx.screening.screen_record``) and the
result is stored on the imported case. Where the screening suggests services and the person consented
(the record's ``con_Consent``), the demo records that consent for a referral to the next organisation and
refers the case for the first suggested service; the receiving organisation accepts it. Without consent
the referral is refused by the consent gate, which the summary counts: the demo never overrides consent.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from ctdx.casework import (
    Purpose,
    ReferralState,
    casework_session,
    move_referral,
    record_consent,
    refer,
)
from ctdx.casework.tables import ReferralDetail
from ctdx.errors import ConsentError
from ctdx.model import CaseRecord
from ctdx.screening import screen_record
from ctdx.store import CaseRepository, Store
from ctdx.store.tables import Case, Organisation, Referral, ScreeningResult

SCREENER = "demo-screening"
CLOSED = ("Closed", "ClosedReferred")  # a closed case is not referred: it would have to be reopened first


@dataclass
class CaseworkSummary:
    """Outcomes of the demo's screenings and the referrals made."""

    screened: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    referrals: Counter[str] = field(default_factory=Counter)
    accepted: int = 0
    refused_without_consent: int = 0


def _unscreened_case_ids(store: Store, org_code: str, record_ids: list[str]) -> dict[str, uuid.UUID]:
    """Source record id -> case id of the imported cases not screened yet (so the demo can run again)."""
    with store.transaction() as session:
        org_id = session.scalars(select(Organisation.id).where(Organisation.code == org_code)).one()
        screened = select(ScreeningResult.case_id)
        rows = session.execute(
            select(Case.source_record_id, Case.id).where(
                Case.organisation_id == org_id, Case.source_record_id.in_(record_ids), Case.id.not_in(screened)
            )
        )
        return {str(source_id): case_id for source_id, case_id in rows}


def screen_and_refer(
    store: Store,
    records: Iterable[CaseRecord],
    org_codes: list[str],
    *,
    today: dt.date,
    on_progress: Callable[[int], None] = lambda _done: None,
) -> CaseworkSummary:
    """Screen ``records`` (already imported), store each result, and refer consenting cases onwards."""
    summary = CaseworkSummary()
    by_org: dict[str, list[CaseRecord]] = {}
    for record in records:
        by_org.setdefault(record.source.system, []).append(record)
    for org_code, org_records in by_org.items():
        receiver = org_codes[(org_codes.index(org_code) + 1) % len(org_codes)]
        case_ids = _unscreened_case_ids(store, org_code, [r.source.record_id for r in org_records])
        referred: list[uuid.UUID] = []
        with casework_session(store, system=SCREENER, organisation=org_code) as ctx:
            repository = CaseRepository(ctx.session, store.cipher, ctx.actor)
            for record in org_records:
                case_id = case_ids.get(record.source.record_id)
                if case_id is None:
                    continue
                result = screen_record(record)
                repository.add_screening_result(
                    case_id, result.instrument, result.versions.instrument_version, result.model_dump(mode="json")
                )
                summary.screened += 1
                summary.outcomes[result.continuum_class] += 1
                on_progress(summary.screened)
                if not result.suggested_referrals or receiver == org_code or record.get("cas_Status") in CLOSED:
                    continue
                if record.get("con_Consent") is True:
                    record_consent(ctx, case_id, Purpose.REFERRAL, granted=True, decided_on=today, recipient=receiver)
                service = result.suggested_referrals[0].service
                try:
                    with ctx.session.begin_nested():
                        referral = refer(ctx, case_id, receiver, service=service)
                except ConsentError:
                    summary.refused_without_consent += 1
                    continue
                summary.referrals[service] += 1
                referred.append(referral.id)
        if referred:
            with casework_session(store, system=SCREENER, organisation=receiver) as ctx:
                for referral_id in referred:
                    move_referral(ctx, referral_id, ReferralState.ACCEPTED)
                    summary.accepted += 1
    return summary


def stored_casework(store: Store, org_codes: list[str], summary: CaseworkSummary) -> CaseworkSummary:
    """The outcomes and referrals as stored for ``org_codes`` (so a second run shows what the first did)."""
    stored = CaseworkSummary(screened=0, refused_without_consent=summary.refused_without_consent)
    with store.transaction() as session:
        orgs = select(Organisation.id).where(Organisation.code.in_(org_codes))
        results = session.scalars(
            select(ScreeningResult.result)
            .join(Case, Case.id == ScreeningResult.case_id)
            .where(Case.organisation_id.in_(orgs), ScreeningResult.created_by.contains(SCREENER))
        )
        for result in results:
            stored.screened += 1
            stored.outcomes[str(result.get("continuum_class"))] += 1
        referrals = session.execute(
            select(ReferralDetail.service, Referral.status)
            .join(Referral, Referral.id == ReferralDetail.referral_id)
            .where(Referral.from_organisation_id.in_(orgs))
        )
        for service, status in referrals:
            stored.referrals[str(service)] += 1
            stored.accepted += status == ReferralState.ACCEPTED
    return stored
