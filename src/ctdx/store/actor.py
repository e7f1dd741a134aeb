"""Who is acting: a user or a named system process, always on behalf of one organisation.

Every repository is built for one ``Actor``; the actor's organisation decides what the repository can see.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from ctdx.errors import ValidationError

# The organisation of actions that belong to the installation, not to one organisation (key rotation).
INSTALLATION = uuid.UUID(int=0)

Role = Literal["admin", "caseworker", "viewer", "system"]
ROLES: tuple[Role, ...] = ("admin", "caseworker", "viewer", "system")
# Roles that may read identifying fields (names, birth dates, numbers, free text); every read is audited.
IDENTIFYING_READERS: frozenset[Role] = frozenset({"admin", "caseworker", "system"})
WRITERS: frozenset[Role] = frozenset({"admin", "caseworker", "system"})


@dataclass(frozen=True)
class Actor:
    """A user (``user_id``) or a system process (``system_name``) acting for ``organisation_id``."""

    organisation_id: uuid.UUID
    role: Role
    user_id: uuid.UUID | None = None
    system_name: str | None = None

    def __post_init__(self) -> None:
        if (self.user_id is None) == (self.system_name is None):
            raise ValidationError("an actor is either a user or a system process")
        if self.role not in ROLES:
            raise ValidationError(f"unknown role {self.role!r}; expected one of {', '.join(ROLES)}")

    @classmethod
    def system(cls, name: str, organisation_id: uuid.UUID) -> Actor:
        return cls(organisation_id=organisation_id, role="system", system_name=name)

    @classmethod
    def installation(cls, name: str) -> Actor:
        """A system process acting for the whole installation (it sees no organisation's cases)."""
        return cls(organisation_id=INSTALLATION, role="system", system_name=name)

    @classmethod
    def user(cls, user_id: uuid.UUID, organisation_id: uuid.UUID, role: Role) -> Actor:
        return cls(organisation_id=organisation_id, role=role, user_id=user_id)

    @property
    def label(self) -> str:
        """How the audit log names this actor: ``user:<uuid>`` or ``system:<name>``."""
        return f"user:{self.user_id}" if self.user_id is not None else f"system:{self.system_name}"

    @property
    def can_read_identifying(self) -> bool:
        return self.role in IDENTIFYING_READERS

    @property
    def can_write(self) -> bool:
        return self.role in WRITERS
