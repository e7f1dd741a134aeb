"""Roles and permissions as data (``roles.yaml``): which store role a user acts with, which cases it sees and
what it may do. Adapters ask ``RoleDef.allows(permission)``; they never compare role names.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

from ctdx.errors import ConfigError, ValidationError
from ctdx.store.actor import ROLES, Role

Scope = Literal["own", "team", "organisation"]
SCOPES: tuple[Scope, ...] = ("own", "team", "organisation")
PERMISSIONS: tuple[str, ...] = (
    "audit.read",
    "cases.read",
    "cases.write",
    "identifying.read",
    "imports.run",
    "organisations.manage",
    "referrals.decide",
    "stats.read",
    "users.manage",
)


@dataclass(frozen=True)
class RoleDef:
    """One role: its name, labels per language, the store role it acts with, its case scope and permissions."""

    name: str
    label: dict[str, str]
    store_role: Role
    scope: Scope
    permissions: frozenset[str]

    def allows(self, permission: str) -> bool:
        return permission in self.permissions


def _role(name: str, raw: Any) -> RoleDef:
    if not isinstance(raw, dict):
        raise ConfigError(f"role {name!r} in roles.yaml is not a mapping")
    store_role = next((r for r in ROLES if r == raw.get("store_role")), None)
    scope = next((s for s in SCOPES if s == raw.get("scope")), None)
    permissions = frozenset(str(p) for p in raw.get("permissions", []))
    unknown = sorted(permissions - set(PERMISSIONS))
    if store_role is None or scope is None or unknown:
        raise ConfigError(f"role {name!r} in roles.yaml has a bad store_role, scope or permission {unknown}")
    return RoleDef(name, {str(k): str(v) for k, v in raw["label"].items()}, store_role, scope, permissions)


@cache
def load_roles() -> dict[str, RoleDef]:
    """Every role of ``roles.yaml``, by name."""
    raw = yaml.safe_load(resources.files("ctdx.accounts").joinpath("roles.yaml").read_text(encoding="utf-8"))
    return {str(name): _role(str(name), body) for name, body in raw["roles"].items()}


def role(name: str) -> RoleDef:
    """The role called ``name``; ``ValidationError`` naming the known roles otherwise."""
    roles = load_roles()
    if name not in roles:
        raise ValidationError(f"unknown role {name!r}; expected one of {', '.join(roles)}", field="role")
    return roles[name]
