"""API routes for administration: users, organisations, the audit trail, counts and imports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from sqlalchemy import select

from ctdx.accounts import NewUser, create_user, list_users, workspace
from ctdx.accounts.imports import choose_columns, keep_upload, run_import
from ctdx.api.deps import PrincipalDep, ServicesDep
from ctdx.api.schemas import (
    AuditOut,
    ColumnChoice,
    Envelope,
    ImportOut,
    Meta,
    NewOrganisation,
    NewUserIn,
    OrganisationOut,
    StatsOut,
    UserOut,
)
from ctdx.store.tables import Organisation

router = APIRouter(tags=["admin"])


@router.get("/users", summary="Users the caller manages")
def users(services: ServicesDep, principal: PrincipalDep) -> Envelope[list[UserOut]]:
    with services.store.transaction() as session:
        found = [UserOut.model_validate(u, from_attributes=True) for u in list_users(session, principal)]
    return Envelope(data=found, meta=Meta(total=len(found)))


@router.post("/users", status_code=201, summary="Create a user (password hashed with argon2id)")
def add_user(body: NewUserIn, services: ServicesDep, principal: PrincipalDep) -> Envelope[UserOut]:
    new = NewUser(
        body.organisation, body.username, body.display_name, body.role, body.password, body.team, body.language
    )
    with services.store.transaction() as session:
        created = create_user(session, principal, new)
    return Envelope(data=UserOut.model_validate(created, from_attributes=True))


@router.get("/organisations", summary="Organisations (codes and names), e.g. to choose where to refer")
def organisations(services: ServicesDep, principal: PrincipalDep) -> Envelope[list[OrganisationOut]]:
    with services.store.transaction() as session:
        rows = session.scalars(select(Organisation).order_by(Organisation.code))
        found = [OrganisationOut.model_validate(o, from_attributes=True) for o in rows]
    return Envelope(data=found, meta=Meta(total=len(found)))


@router.post("/organisations", status_code=201, summary="Create an organisation (system admin)")
def add_organisation(
    body: NewOrganisation, services: ServicesDep, principal: PrincipalDep
) -> Envelope[OrganisationOut]:
    principal.require("organisations.manage")
    ref = services.store.ensure_organisation(body.code, body.name)
    return Envelope(data=OrganisationOut.model_validate(ref, from_attributes=True))


@router.get("/audit", summary="The audit trail of the organisation, newest first")
def audit_trail(
    services: ServicesDep,
    principal: PrincipalDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 50,
) -> Envelope[list[AuditOut]]:
    with workspace(services.store, principal) as ws:
        found = ws.audit_trail(page, per_page)
    items = [AuditOut.model_validate(a, from_attributes=True) for a in found.items]
    return Envelope(data=items, meta=Meta(page=found.page, per_page=found.per_page, total=found.total))


@router.get("/stats", summary="Case counts of the organisation (no case, no identifying value)")
def stats(services: ServicesDep, principal: PrincipalDep) -> Envelope[StatsOut]:
    principal.require("stats.read")
    counts = services.store.case_counts([principal.organisation_code])
    return Envelope(data=StatsOut(total=counts.total, by_exploitation_type=counts.by_exploitation_type))


@router.post("/imports", status_code=201, summary="Upload a file of cases and check it (dry run)")
async def upload(
    services: ServicesDep, principal: PrincipalDep, file: Annotated[UploadFile, File()]
) -> Envelope[ImportOut]:
    content = await file.read()
    upload_id = keep_upload(services.data_dir, principal, file.filename or "", content)
    summary = run_import(services.store, services.data_dir, principal, upload_id, dry_run=True)
    return Envelope(data=ImportOut.model_validate(summary, from_attributes=True))


@router.post("/imports/{upload_id}/columns", summary="Choose the standard field of columns, and check the upload again")
def columns(upload_id: str, body: ColumnChoice, services: ServicesDep, principal: PrincipalDep) -> Envelope[ImportOut]:
    summary = choose_columns(services.store, services.data_dir, principal, upload_id, body.columns)
    return Envelope(data=ImportOut.model_validate(summary, from_attributes=True))


@router.post("/imports/{upload_id}/confirm", summary="Import a checked upload into the organisation")
def confirm(upload_id: str, services: ServicesDep, principal: PrincipalDep) -> Envelope[ImportOut]:
    summary = run_import(services.store, services.data_dir, principal, upload_id, dry_run=False)
    return Envelope(data=ImportOut.model_validate(summary, from_attributes=True))
