"""API routes for who is signed in and for API tokens (created with a password, shown once, revocable)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request

from ctdx.accounts import authenticate, create_token, list_tokens, revoke_token
from ctdx.api.deps import PrincipalDep, ServicesDep, client_address
from ctdx.api.schemas import Envelope, MeOut, Meta, TokenOut, TokenRequest

router = APIRouter(tags=["accounts"])


@router.get("/me", summary="The signed-in user, its role, scope and permissions")
def me(principal: PrincipalDep) -> Envelope[MeOut]:
    allowed = sorted(p for p in principal.role.permissions if principal.allows(p))
    return Envelope(
        data=MeOut(
            username=principal.username,
            display_name=principal.display_name,
            organisation=principal.organisation_code,
            role=principal.role.name,
            scope=principal.role.scope,
            team=principal.team,
            language=principal.language,
            permissions=allowed,
        )
    )


@router.post("/tokens", status_code=201, summary="Create an API token with a user name and password")
def new_token(body: TokenRequest, services: ServicesDep, request: Request) -> Envelope[TokenOut]:
    principal = authenticate(
        services.store, body.username, body.password, throttle=services.throttle, address=client_address(request)
    )
    with services.store.transaction() as session:
        secret, info = create_token(session, principal, body.name, body.scopes)
    out = TokenOut(
        id=info.id, name=info.name, scopes=list(info.scopes), created_at=info.created_at, revoked=False, secret=secret
    )
    return Envelope(data=out)


@router.get("/tokens", summary="The caller's API tokens (never their secrets)")
def tokens(services: ServicesDep, principal: PrincipalDep) -> Envelope[list[TokenOut]]:
    with services.store.transaction() as session:
        found = [
            TokenOut(id=t.id, name=t.name, scopes=list(t.scopes), created_at=t.created_at, revoked=t.revoked)
            for t in list_tokens(session, principal)
        ]
    return Envelope(data=found, meta=Meta(total=len(found)))


@router.delete("/tokens/{token_id}", summary="Revoke one of the caller's API tokens")
def revoke(token_id: uuid.UUID, services: ServicesDep, principal: PrincipalDep) -> Envelope[TokenOut]:
    with services.store.transaction() as session:
        t = revoke_token(session, principal, token_id)
    return Envelope(data=TokenOut(id=t.id, name=t.name, scopes=list(t.scopes), created_at=t.created_at, revoked=True))
