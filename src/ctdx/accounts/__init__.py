"""Accounts: users with argon2id passwords, roles and permissions as data, sign-in with lockout, browser
sessions, API tokens, and each signed-in user's scoped workspace of cases.

``authenticate`` -> ``Principal``; ``open_session`` / ``session_principal`` / ``end_session`` for browsers;
``create_token`` / ``token_principal`` / ``revoke_token`` for machine clients; ``workspace(store, principal)``
for every case operation (scope and permission checked there, not in adapters).
"""

from ctdx.accounts.drafts import DraftInfo, Drafts
from ctdx.accounts.principal import Principal, load_principal
from ctdx.accounts.roles import PERMISSIONS, RoleDef, load_roles, role
from ctdx.accounts.sessions import (
    LoginFailed,
    NewSession,
    TokenInfo,
    authenticate,
    check_password,
    create_token,
    end_session,
    list_tokens,
    open_session,
    revoke_token,
    session_principal,
    token_principal,
)
from ctdx.accounts.users import NewUser, UserInfo, create_admin, create_user, list_users, set_language
from ctdx.accounts.workspace import AuditLine, CasePage, CaseRow, Page, StoredScreening, Workspace, workspace

__all__ = [
    "PERMISSIONS",
    "AuditLine",
    "CasePage",
    "CaseRow",
    "DraftInfo",
    "Drafts",
    "LoginFailed",
    "NewSession",
    "NewUser",
    "Page",
    "Principal",
    "RoleDef",
    "StoredScreening",
    "TokenInfo",
    "UserInfo",
    "Workspace",
    "authenticate",
    "check_password",
    "create_admin",
    "create_token",
    "create_user",
    "end_session",
    "list_tokens",
    "list_users",
    "load_principal",
    "load_roles",
    "open_session",
    "revoke_token",
    "role",
    "session_principal",
    "set_language",
    "token_principal",
    "workspace",
]
