"""Administration pages: users and organisations, the audit trail, and imports with their validation report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from ctdx.accounts import NewUser, create_user, list_users, load_roles, workspace
from ctdx.accounts.imports import choose_columns, keep_upload, run_import
from ctdx.api.deps import ServicesDep
from ctdx.errors import PermissionDenied, ValidationError
from ctdx.standard import load_standard
from ctdx.store.tables import Organisation
from ctdx.web.rendering import render
from ctdx.web.session import FormSession, PageSession

router = APIRouter(include_in_schema=False)


@router.get("/admin")
def admin(request: Request, services: ServicesDep, found: PageSession) -> Response:
    principal, csrf = found
    with services.store.transaction() as session:
        users = list_users(session, principal)
        query = select(Organisation).order_by(Organisation.code)
        if not principal.allows("organisations.manage"):
            query = query.where(Organisation.id == principal.organisation_id)
        organisations = list(session.scalars(query))
    return render(request, "admin.html", principal, csrf, users=users, organisations=organisations, roles=load_roles())


@router.post("/admin/users")
def add_user(
    services: ServicesDep,
    found: FormSession,
    organisation: Annotated[str, Form(max_length=64)],
    username: Annotated[str, Form(max_length=64)],
    display_name: Annotated[str, Form(max_length=300)],
    role: Annotated[str, Form(max_length=40)],
    password: Annotated[str, Form(max_length=256)],
    language: Annotated[str, Form(max_length=5)] = "en",
    team: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    new = NewUser(organisation, username, display_name, role, password, team.strip() or None, language)
    with services.store.transaction() as session:
        create_user(session, found[0], new)
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/organisations")
def add_organisation(
    services: ServicesDep,
    found: FormSession,
    code: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=300)],
) -> Response:
    found[0].require("organisations.manage")
    services.store.ensure_organisation(code, name)
    return RedirectResponse("/admin", status_code=303)


@router.get("/audit")
def audit_trail(request: Request, services: ServicesDep, found: PageSession, page: int = 1) -> Response:
    principal, csrf = found
    with workspace(services.store, principal) as ws:
        trail = ws.audit_trail(max(page, 1), 50)
    return render(request, "audit.html", principal, csrf, trail=trail)


@router.get("/import")
def import_page(request: Request, found: PageSession) -> Response:
    principal, csrf = found
    if not principal.allows("imports.run"):
        raise PermissionDenied(f"role {principal.role.name!r} may not import files")
    return render(request, "import.html", principal, csrf, summary=None, fields=())


@router.post("/import")
async def upload(
    request: Request, services: ServicesDep, found: FormSession, file: Annotated[UploadFile, File()]
) -> Response:
    principal, csrf = found
    upload_id = keep_upload(services.data_dir, principal, file.filename or "", await file.read())
    summary = run_import(services.store, services.data_dir, principal, upload_id, dry_run=True)
    return render(request, "import.html", principal, csrf, summary=summary, fields=_fields())


@router.post("/import/{upload_id}/columns")
def columns(
    request: Request,
    upload_id: str,
    services: ServicesDep,
    found: FormSession,
    column: Annotated[list[str], Form()],
    field: Annotated[list[str], Form()],
) -> Response:
    """The "choose the field of each column" step: an empty field leaves the column out."""
    principal, csrf = found
    if len(column) != len(field):
        raise ValidationError("each column needs its field (or an empty choice)")
    chosen = {c: (f or None) for c, f in zip(column, field, strict=True)}
    summary = choose_columns(services.store, services.data_dir, principal, upload_id, chosen)
    return render(request, "import.html", principal, csrf, summary=summary, fields=_fields())


@router.post("/import/{upload_id}/confirm")
def confirm(request: Request, upload_id: str, services: ServicesDep, found: FormSession) -> Response:
    principal, csrf = found
    summary = run_import(services.store, services.data_dir, principal, upload_id, dry_run=False)
    return render(request, "import.html", principal, csrf, summary=summary, fields=())


def _fields() -> tuple[tuple[str, str], ...]:
    """(name, label) of every standard field a column may be read as, in the standard's order."""
    return tuple((f.name, f.label) for f in load_standard().fields)
