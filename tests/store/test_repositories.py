"""Organisation scoping inside the repositories: another organisation's case does not exist until it is referred."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from ctdx.casework import CaseworkContext, Purpose, ReferralState, move_referral, record_consent, refer
from ctdx.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from ctdx.store import Actor, CaseRepository, Store
from ctdx.store.tables import AuditEventRow
from tests.store.records import birth_date, family_name, given_name, identity_number, record, records


def _two_organisations(store: Store) -> tuple[Actor, Actor, uuid.UUID]:
    """Organisation A with three cases, organisation B with one; returns A's and B's case workers and A's first case."""
    a = store.ensure_organisation(code="ngo-a", name="NGO A")
    b = store.ensure_organisation(code="ngo-b", name="NGO B")
    store.import_cases("ngo-a", records(3), actor=Actor.system("import", a.id), label="a.csv")
    store.import_cases("ngo-b", records(1, start=50), actor=Actor.system("import", b.id), label="b.csv")
    worker_a = Actor.user(uuid.uuid4(), a.id, "caseworker")
    worker_b = Actor.user(uuid.uuid4(), b.id, "caseworker")
    with store.cases(worker_a) as cases:
        first = cases.find_person_by_identity(identity_number(0))[0].id
    return worker_a, worker_b, first


def test_an_organisation_cannot_see_another_organisations_cases(store: Store) -> None:
    _, worker_b, case_id = _two_organisations(store)
    with store.cases(worker_b) as cases:
        assert cases.count() == 1
        assert [c.source.record_id for c in cases.list_cases() if c.source] == ["R00050"]
        assert cases.find_person_by_identity(identity_number(0)) == []
        assert cases.find_persons_by_name(family_name(0), given_name(0)) == []
        with pytest.raises(NotFoundError) as error:
            cases.get(case_id)
        with pytest.raises(NotFoundError):
            cases.read_identifying(case_id)
    unknown = uuid.uuid4()
    with store.cases(worker_b) as cases, pytest.raises(NotFoundError) as missing:
        cases.get(unknown)
    # the answer for a case of another organisation is the answer for a case that does not exist
    assert str(error.value).replace(str(case_id), "ID") == str(missing.value).replace(str(unknown), "ID")


def _referral_with_consent(store: Store, worker_a: Actor, case_id: uuid.UUID) -> uuid.UUID:
    """A referral of A's case to B through ``ctdx.casework``, the one path that writes referrals."""
    with store.transaction() as session:
        ctx = CaseworkContext(session, store.cipher, worker_a)
        record_consent(ctx, case_id, Purpose.REFERRAL, granted=True, decided_on=dt.date(2024, 1, 1), recipient="ngo-b")
        return refer(ctx, case_id, "ngo-b", reason="AdditionalServicesRequired").id


def test_an_accepted_referral_lets_the_receiving_organisation_read_the_case(store: Store) -> None:
    worker_a, worker_b, case_id = _two_organisations(store)
    referral_id = _referral_with_consent(store, worker_a, case_id)
    with store.cases(worker_b) as cases, pytest.raises(NotFoundError):
        cases.get(case_id)  # in progress: not yet
    with store.transaction() as session:
        move_referral(CaseworkContext(session, store.cipher, worker_b), referral_id, ReferralState.ACCEPTED)
    with store.cases(worker_b) as cases:
        assert cases.count() == 2
        assert cases.get(case_id).reference
        got = cases.read_identifying(case_id)
    # the receiver reads the person's identifying fields; casework wrote the referral onto the case
    assert {k: v for k, v in got.values.items() if k.startswith("prs_")} == {
        k: v for k, v in record(0).values.items() if k.startswith("prs_")
    }
    assert got.values["cas_ReferredOrganisation"] == "ngo-b"


def test_a_rejected_referral_keeps_the_case_hidden(store: Store) -> None:
    worker_a, worker_b, case_id = _two_organisations(store)
    referral_id = _referral_with_consent(store, worker_a, case_id)
    with store.transaction() as session:
        move_referral(
            CaseworkContext(session, store.cipher, worker_b), referral_id, ReferralState.REJECTED, reason="no capacity"
        )
    with store.cases(worker_b) as cases, pytest.raises(NotFoundError):
        cases.get(case_id)


def test_the_repository_has_no_second_path_that_writes_referrals_or_consent() -> None:
    # referrals and consent go through the casework consent gate only
    assert not {"refer", "decide_referral", "record_consent"} & set(dir(CaseRepository))


def test_reading_identifying_fields_is_audited_with_field_names(store: Store) -> None:
    worker_a, _, case_id = _two_organisations(store)
    with store.cases(worker_a) as cases:
        cases.get(case_id)  # non-identifying: not audited
        cases.read_identifying(case_id)
    with store.transaction() as session:
        last = session.scalars(select(AuditEventRow).order_by(AuditEventRow.seq.desc()).limit(1)).one()
    assert last.action == "read_identifying"
    assert last.actor == worker_a.label and last.entity_id == str(case_id)
    assert {"prs_FirstName", "prs_SecondName", "prs_Birthdate", "prs_IdentityNumber", "cco_CaseComment"} <= set(
        last.fields
    )
    assert "prs_Gender" not in last.fields


def test_a_viewer_sees_cases_but_not_identities(store: Store) -> None:
    worker_a, _, case_id = _two_organisations(store)
    viewer = Actor.user(uuid.uuid4(), worker_a.organisation_id, "viewer")
    with store.cases(viewer) as cases:
        summary = cases.get(case_id)
        assert "prs_FirstName" not in summary.values and summary.values["prs_Gender"] == "Masculine"
        with pytest.raises(PermissionDenied):
            cases.read_identifying(case_id)


def test_lookups_by_name_and_birth_date_are_exact_after_normalisation(store: Store) -> None:
    worker_a, _, case_id = _two_organisations(store)
    with store.cases(worker_a) as cases:
        shouted = family_name(0).upper() + "  "
        assert [c.id for c in cases.find_persons_by_name(shouted, given_name(0))] == [case_id]
        assert [c.id for c in cases.find_persons_by_name(family_name(0), given_name(0), birth_date(0))] == [case_id]
        assert cases.find_persons_by_name(family_name(0), given_name(0), dt.date(2000, 1, 1)) == []
        assert cases.find_persons_by_name(given_name(0), family_name(0)) == []  # family and given are not swapped
        assert [c.id for c in cases.find_person_by_identity(identity_number(0).lower().replace("-", " "))] == [case_id]
        with pytest.raises(ValidationError):
            cases.find_person_by_identity(" - ")


def test_consent_and_screening_results_are_recorded_and_audited(store: Store) -> None:
    worker_a, _, case_id = _two_organisations(store)
    with store.transaction() as session:
        ctx = CaseworkContext(session, store.cipher, worker_a)
        record_consent(ctx, case_id, Purpose.REFERRAL, granted=True, decided_on=dt.date(2024, 3, 1))
        record_consent(ctx, case_id, Purpose.REFERRAL, granted=False, decided_on=dt.date(2024, 4, 1))
    with store.cases(worker_a) as cases:
        result_id = cases.add_screening_result(case_id, "ilo-delphi", "2009.1", {"outcome": "strong"})
        consents = cases.consents(case_id)
    assert [(c.purpose, c.status) for c in consents] == [("referral", "granted"), ("referral", "withdrawn")]
    with store.transaction() as session:
        actions = [(e.entity, e.action) for e in session.scalars(select(AuditEventRow).order_by(AuditEventRow.seq))]
    assert actions[-3:] == [("consent", "create"), ("consent", "create"), ("screening_result", "create")]
    assert result_id


def test_a_single_case_is_created_audited_and_not_duplicated(store: Store) -> None:
    org = store.ensure_organisation(code="ngo-a", name="NGO A")
    worker = Actor.user(uuid.uuid4(), org.id, "caseworker")
    with store.cases(worker) as cases:
        created = cases.create_case(record(7))
        assert cases.read_identifying(created.id) == record(7)
    with store.cases(worker) as cases, pytest.raises(ConflictError):
        cases.create_case(record(7))
    with store.transaction() as session:
        create = session.scalars(select(AuditEventRow).where(AuditEventRow.entity == "case_file")).first()
    assert create is not None and create.action == "create" and "prs_FirstName" in create.fields
    assert store.verify_audit().ok
