"""Screening interviews in progress in the browser: saved after every answer, sealed (they hold what a person
said), visible to the user who started them only, and deleted once the case is registered.

The interview itself is ``ctdx.screening.Interview``; this module only keeps it between requests.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ctdx.accounts.principal import Principal
from ctdx.accounts.tables import ScreeningDraft
from ctdx.errors import NotFoundError
from ctdx.screening import Interview
from ctdx.store.crypto import FieldCipher
from ctdx.store.tables import utcnow

SEALED_COLUMN = "sealed"


@dataclass(frozen=True)
class DraftInfo:
    id: uuid.UUID
    instrument: str
    language: str
    answered: int


class Drafts:
    """The drafts of one principal, in one session."""

    def __init__(self, session: Session, cipher: FieldCipher, principal: Principal) -> None:
        self.session, self.cipher, self.principal = session, cipher, principal

    def _seal(self, draft_id: uuid.UUID, interview: Interview) -> bytes:
        return self.cipher.seal(
            interview.model_dump(mode="json"), ScreeningDraft.__tablename__, draft_id, SEALED_COLUMN
        )

    def save(self, interview: Interview, draft_id: uuid.UUID | None = None) -> uuid.UUID:
        """Store ``interview`` as a new draft, or over the principal's draft ``draft_id``."""
        self.principal.require("cases.write")
        if draft_id is None:
            draft_id = uuid.uuid4()
            row = ScreeningDraft(
                id=draft_id,
                organisation_id=self.principal.organisation_id,
                user_id=self.principal.user_id,
                sealed=b"",
                key_id="",
            )
            self.session.add(row)
        else:
            row = self._row(draft_id)
        row.sealed = self._seal(draft_id, interview)
        row.key_id = self.cipher.active.key_id
        row.updated_at = utcnow()
        return draft_id

    def _row(self, draft_id: uuid.UUID) -> ScreeningDraft:
        row = self.session.get(ScreeningDraft, draft_id)
        if row is None or row.user_id != self.principal.user_id:
            raise NotFoundError(f"no screening draft {draft_id}")
        return row

    def load(self, draft_id: uuid.UUID) -> Interview:
        row = self._row(draft_id)
        raw = self.cipher.open(row.sealed, row.key_id, ScreeningDraft.__tablename__, row.id, SEALED_COLUMN)
        return Interview.model_validate(raw)

    def delete(self, draft_id: uuid.UUID) -> None:
        self.session.delete(self._row(draft_id))

    def mine(self) -> list[DraftInfo]:
        rows = self.session.scalars(
            select(ScreeningDraft)
            .where(ScreeningDraft.user_id == self.principal.user_id)
            .order_by(ScreeningDraft.updated_at.desc())
        )
        out = []
        for row in rows:
            interview = self.load(row.id)
            out.append(DraftInfo(row.id, interview.instrument, interview.language, len(interview.answers)))
        return out
