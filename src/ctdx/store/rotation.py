"""Key rotation: a new key, every blob re-encrypted, blind indexes and content hashes recomputed, in one transaction.

The order makes every crash recoverable without losing data:

1. the key file is rewritten with the old keys *and* the new one (the old one still active);
2. one database transaction re-seals every blob under the new key, recomputes the person blind indexes
   and the cases' keyed content hashes, records the new key's check value and appends an audit event;
3. only after that commit is the key file rewritten with the new key alone.

A crash before 3 leaves a key file that still opens the database (it holds both keys; the database says
which is active). Rotation needs a key file: a keyring given in ``CTDX_KEY`` cannot be rewritten here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    LargeBinary,
    Row,
    String,
    TableClause,
    Uuid,
    bindparam,
    column,
    delete,
    inspect,
    select,
    table,
    update,
)
from sqlalchemy.orm import Session

from ctdx.errors import ConfigError
from ctdx.model import SourceRef
from ctdx.settings import Settings
from ctdx.store import audit
from ctdx.store.actor import Actor
from ctdx.store.case_rows import SEALED, load_parts, person_indexes
from ctdx.store.crypto import FieldCipher
from ctdx.store.keyring import Keyring, write_keyring
from ctdx.store.store import ACTIVE_KEY, Store, check_value_key, open_store
from ctdx.store.tables import Case, Person, StoreMeta

CHUNK_SIZE = 1000
SEALED_COLUMNS = frozenset({"id", "sealed", "key_id"})


@dataclass(frozen=True)
class RotationOutcome:
    old_key_id: str
    new_key_id: str
    blobs: int


def sealed_tables(session: Session) -> list[TableClause]:
    """Every table with ``id``, ``sealed`` and ``key_id`` columns, found in the database itself, so that the
    sealed values of tables that other packages add (casework notes) are re-encrypted too."""
    inspector = inspect(session.connection())
    found = []
    for name in sorted(inspector.get_table_names()):
        if {c["name"] for c in inspector.get_columns(name)} >= SEALED_COLUMNS:
            found.append(table(name, column("id", Uuid()), column("sealed", LargeBinary()), column("key_id", String())))
    return found


def _pages(session: Session, sealed: TableClause) -> Iterator[list[Row[Any]]]:
    last: uuid.UUID | None = None
    while True:
        query = select(sealed).where(sealed.c.sealed.is_not(None)).order_by(sealed.c.id).limit(CHUNK_SIZE)
        if last is not None:
            query = query.where(sealed.c.id > last)
        rows = list(session.execute(query))
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _reseal(session: Session, cipher: FieldCipher, sealed: TableClause) -> int:
    count = 0
    for rows in _pages(session, sealed):
        params = []
        for row in rows:
            values = cipher.open(row.sealed, row.key_id, sealed.name, row.id, SEALED)
            param: dict[str, Any] = {
                "b_id": row.id,
                "sealed": cipher.seal(values, sealed.name, row.id, SEALED),
                "key_id": cipher.active.key_id,
            }
            if sealed.name == Person.__tablename__:
                param.update(person_indexes(cipher, values))
            params.append(param)
        target: Any = Person.__table__ if sealed.name == Person.__tablename__ else sealed  # the index columns
        session.connection().execute(update(target).where(target.c.id == bindparam("b_id")), params)
        count += len(params)
    session.expire_all()
    return count


def _rehash_cases(session: Session, cipher: FieldCipher) -> None:
    last: uuid.UUID | None = None
    while True:
        query = select(Case).where(Case.content_hash.is_not(None)).order_by(Case.id).limit(CHUNK_SIZE)
        if last is not None:
            query = query.where(Case.id > last)
        cases = list(session.scalars(query))
        if not cases:
            return
        parts = load_parts(session, cipher, cases)
        params = []
        for case in cases:
            if case.source_system is None or case.source_record_id is None:
                continue
            source = SourceRef(system=case.source_system, record_id=case.source_record_id)
            params.append({"id": case.id, "content_hash": cipher.content_hash(parts[case.id].canonical(source))})
        if params:
            session.execute(update(Case), params)
        session.expire_all()
        last = cases[-1].id


def rotate_in_store(store: Store, new_keyring: Keyring) -> RotationOutcome:
    """Re-seal everything in ``store`` under ``new_keyring.active`` (which must also hold the old keys)."""
    old_key_id = store.cipher.active.key_id
    cipher = FieldCipher(new_keyring)
    with store.transaction() as session:
        blobs = sum(_reseal(session, cipher, sealed) for sealed in sealed_tables(session))
        _rehash_cases(session, cipher)
        session.execute(delete(StoreMeta).where(StoreMeta.key.like("kcv:%")))
        session.execute(update(StoreMeta).where(StoreMeta.key == ACTIVE_KEY).values(value=cipher.active.key_id))
        session.add(StoreMeta(key=check_value_key(cipher.active.key_id), value=cipher.active.check_value))
        audit.append(
            session,
            audit.KeyRotationEvent(
                actor=Actor.installation("keys"),
                entity="store",
                detail={"old_key_id": old_key_id, "new_key_id": cipher.active.key_id, "blobs": blobs},
            ),
        )
    store.cipher = cipher
    return RotationOutcome(old_key_id, cipher.active.key_id, blobs)


def rotate_keys(settings: Settings) -> RotationOutcome:
    """``ctdx keys rotate``: a new key for the database and key file of ``settings``."""
    if settings.key_text:
        raise ConfigError("key rotation rewrites the key file; unset CTDX_KEY and use CTDX_KEY_FILE")
    with open_store(settings) as store:
        current = store.cipher.keyring
        rotated = current.with_new_key()
        write_keyring(settings.key_file, replace(rotated, active=current.active), replace=True)
        outcome = rotate_in_store(store, rotated)
    write_keyring(settings.key_file, rotated.only_active(), replace=True)
    return outcome
