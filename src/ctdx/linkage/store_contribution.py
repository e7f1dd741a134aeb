"""A contribution built from the organisation's own case store: the main way an organisation contributes.

Who acts is resolved as in every casework command (a named user, or a named system process of the
organisation; ``ctdx.casework.actors``), and only a role that may read identifying fields may contribute.
Only the organisation's **own** cases are read (a case referred to it belongs to the referring
organisation, which contributes it under its consent). Each case's recorded consent decisions are folded
as the consent gate folds them (``casework.consents.consent_events``) and a case goes into the package only
if a current ``data_sharing`` consent covers the hub (a consent with no recipient covers any hub). Every
other case is listed as withdrawn, so a hub that holds an earlier version of it deletes it.

Identity fields are decrypted inside the organisation, in this process, and only what the encodings need:
the person row's sealed values (names, birth date). Victim context, case, events and perpetrators stay
sealed. Each chunk of up to ``CHUNK`` decrypted cases appends one ``read_identifying`` audit event naming
the fields, the cases and, in the same order, the consents that allowed them (one event per case cost
5 ms each, most of a contribution's time), and the contribution one ``export`` event with the hub, the
counts and the package id: never a value.

Own code rather than ``CaseRepository.read_identifying``: that method decrypts the whole record (the
perpetrators' identities too) with several queries per case; a contribution reads thousands of cases in a
few queries per chunk and decrypts one row of each.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from ctdx.casework.access import CaseworkContext
from ctdx.casework.consent import Purpose, matching_consent
from ctdx.casework.consents import consent_events, consent_records_of
from ctdx.errors import PermissionDenied, ValidationError
from ctdx.linkage.contribution import ContributionReport, build_contribution
from ctdx.linkage.encoding import DEFAULT_ENCODING_CONFIG, EncodingConfig, LinkageSecret
from ctdx.model.records import CaseRecord, FieldValue, SourceRef
from ctdx.store import audit
from ctdx.store.case_rows import SEALED
from ctdx.store.crypto import FieldCipher
from ctdx.store.tables import Case, Organisation, Person, VictimContext
from ctdx.store.values import decode

CHUNK = 500
PURPOSE = Purpose.DATA_SHARING
EXPORT_ENTITY = "hub_contribution"


@dataclass(frozen=True)
class StoreCase:
    """One own case of the organisation as a contribution sees it."""

    case_id: uuid.UUID
    record: CaseRecord
    consent_id: str | None  # the consent that allows sharing with the hub now; None: withdrawn


def _person_values(cipher: FieldCipher, person: Person) -> tuple[dict[str, FieldValue], tuple[str, ...]]:
    """The person's values, its sealed ones decrypted, and the names of the fields decrypted."""
    sealed: dict[str, Any] = {}
    if person.sealed is not None and person.key_id is not None:
        sealed = cipher.open(person.sealed, person.key_id, "person", person.id, SEALED)
    return decode(person.values, sealed), tuple(sorted(sealed))


def _source(case: Case) -> SourceRef:
    """The case's source reference, as ``read_identifying`` gives it (imported id, else the case reference)."""
    return SourceRef(system=case.source_system or "ctdx", record_id=case.source_record_id or case.reference)


def own_cases(ctx: CaseworkContext, hub: str, *, at: dt.datetime) -> Iterator[StoreCase]:
    """The organisation's own cases, decrypted (and audited) only where a current consent covers ``hub``."""
    if not ctx.actor.can_read_identifying:
        raise PermissionDenied(f"role {ctx.actor.role!r} may not read the identifying fields a contribution needs")
    session = ctx.session
    ids = session.scalars(
        select(Case.id).where(Case.organisation_id == ctx.actor.organisation_id).order_by(Case.id)
    ).all()
    for start in range(0, len(ids), CHUNK):
        chunk = list(ids[start : start + CHUNK])
        cases = session.scalars(select(Case).where(Case.id.in_(chunk)).order_by(Case.id)).all()
        consents = consent_records_of(session, chunk)
        allowed = {}
        for case in cases:
            event = matching_consent(consent_events(consents.get(case.id, [])), PURPOSE, hub, at)
            if event is not None:
                allowed[case.id] = event.id
        shared = [c for c in cases if c.id in allowed]
        persons = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_({c.person_id for c in shared})))}
        victims = {
            v.case_id: v.values
            for v in session.scalars(select(VictimContext).where(VictimContext.case_id.in_([c.id for c in shared])))
        }
        found: list[StoreCase] = []
        fields: set[str] = set()
        for case in cases:
            consent_id = allowed.get(case.id)
            if consent_id is None:
                # Not decrypted: only the source is needed, to list the case as withdrawn.
                found.append(StoreCase(case.id, CaseRecord(source=_source(case), values={}), None))
                continue
            person_values, decrypted = _person_values(ctx.cipher, persons[case.person_id])
            fields.update(decrypted)
            # Clear values of the victim context and the case (never decrypted), then the person's.
            values = {**decode(victims.get(case.id), case.values), **person_values}
            found.append(StoreCase(case.id, CaseRecord(source=_source(case), values=values), consent_id))
        if shared:
            ctx.audit(
                audit.ReadIdentifyingEvent(
                    actor=ctx.actor,
                    entity="case_file",
                    fields=tuple(sorted(fields)),
                    detail={
                        "purpose": PURPOSE.value,
                        "recipient": hub,
                        "cases": len(shared),
                        "case_ids": " ".join(str(c.id) for c in shared),
                        "consent_ids": " ".join(allowed[c.id] for c in shared),
                    },
                )
            )
        yield from found


def contribute_from_store(
    ctx: CaseworkContext,
    hub: str,
    *,
    secret: LinkageSecret,
    signing_key: Ed25519PrivateKey,
    config: EncodingConfig = DEFAULT_ENCODING_CONFIG,
    created: dt.datetime | None = None,
    one_record_per_person: bool = False,
) -> ContributionReport:
    """A signed package of the acting organisation's consented cases for ``hub``, audited; see the module
    docstring. The package is returned, not written: the caller writes it where the user asked."""
    if not hub.strip():
        raise ValidationError("the hub id is empty", field="hub")
    organisation = ctx.session.get(Organisation, ctx.actor.organisation_id)
    if organisation is None:
        raise ValidationError("the acting organisation is not in the store", field="organisation")
    moment = created or ctx.now()
    consented: set[SourceRef] = set()

    def records() -> Iterator[CaseRecord]:
        for case in own_cases(ctx, hub, at=moment):
            if case.consent_id is not None:
                consented.add(case.record.source)
            yield case.record

    report = build_contribution(
        organisation.code,
        records(),
        secret=secret,
        signing_key=signing_key,
        consented=lambda case: case.source in consented,
        config=config,
        created=moment,
        one_record_per_person=one_record_per_person,
    )
    ctx.audit(
        audit.ExportEvent(
            actor=ctx.actor,
            entity=EXPORT_ENTITY,
            entity_id=report.package_id,
            detail={
                "recipient": hub,
                "purpose": PURPOSE.value,
                "included": report.included,
                "withdrawn": report.withdrawn,
                "left_out": len(report.problems),
                "secret_fingerprint": secret.fingerprint,
                "one_record_per_person": report.one_record_per_person,
            },
        )
    )
    return report
