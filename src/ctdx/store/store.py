"""The ``Store`` facade and ``open_store``: one database, its schema checked, its key checked.

Opening is careful about order, so that a wrong setting never changes a database:

1. the database must exist unless ``create=True`` (a SQLite file is never created by accident);
2. its schema revision must be one this package knows (``SchemaVersionError`` otherwise);
3. the keyring must be present and hold the key the database records, with a matching key check value
   (``EncryptionKeyError`` otherwise); for a brand-new database with no key anywhere, ``create=True``
   creates the key file (mode 0600);
4. only then, with ``create=True``, are migrations run and the key check value recorded.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ctdx.errors import ConflictError, EncryptionKeyError, NotFoundError, StoreError, ValidationError
from ctdx.model import CaseRecord
from ctdx.settings import Settings
from ctdx.standard import is_country_code, load_standard
from ctdx.store import audit, schema
from ctdx.store.actor import Actor
from ctdx.store.crypto import FieldCipher
from ctdx.store.engine import READ_ONLY_OPTION, database_exists, make_engine, parse_url, safe_url
from ctdx.store.importer import CHUNK_SIZE, CaseImport, ImportOutcome
from ctdx.store.keyring import Keyring, init_keyring, load_keyring
from ctdx.store.repositories import CaseRepository
from ctdx.store.tables import Case, Organisation, Person, StoreMeta, VictimContext, VictimExploitation

ACTIVE_KEY = "active_key_id"
SYSTEM_ORGANISATION_LABEL = "ctdx"


def check_value_key(key_id: str) -> str:
    return f"kcv:{key_id}"


@dataclass(frozen=True)
class OrganisationRef:
    id: uuid.UUID
    code: str
    name: str
    org_type: str | None
    country: str | None


@dataclass(frozen=True)
class CaseCounts:
    """Case counts for a summary: by organisation code, by exploitation type, by (citizenship, exploitation country).

    A case with several exploitation types counts once under each; ``None`` in a country pair means unknown.
    """

    total: int
    by_organisation: dict[str, int]
    by_exploitation_type: dict[str, int]
    by_country_pair: dict[tuple[str | None, str | None], int]


class Store:
    """An open case store. Use ``open_store``; close it (or use it as a context manager) when done."""

    def __init__(self, engine: Engine, cipher: FieldCipher, url: URL) -> None:
        self.engine = engine
        self.cipher = cipher
        self.url = url
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(engine.execution_options(**{READ_ONLY_OPTION: True}), expire_on_commit=False)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.engine.dispose()

    @property
    def safe_url(self) -> str:
        return safe_url(self.url)

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed at the end, rolled back on any exception or Ctrl-C.

        ``read_only=True`` promises that the block only reads; on SQLite it then runs beside a writer.

        A constraint violation becomes ``ConflictError`` and a database that cannot be used ``StoreError``;
        their messages name the constraint or the failure, never the SQL parameters (which hold values).
        """
        session = (self._read_sessions if read_only else self._sessions)()
        try:
            with session.begin():
                yield session
        except DatabaseIntegrityError as exc:
            raise ConflictError(
                f"the change conflicts with what is stored ({type(exc.orig).__name__}); nothing was written"
            ) from None
        except OperationalError as exc:
            raise StoreError(f"the database at {self.safe_url} failed: {type(exc.orig).__name__}") from None
        finally:
            session.close()

    @contextmanager
    def cases(self, actor: Actor) -> Iterator[CaseRepository]:
        """The cases ``actor`` may see, in one transaction (committed when the block ends without error)."""
        with self.transaction() as session:
            yield CaseRepository(session, self.cipher, actor)

    # -- organisations -----------------------------------------------------------------------------------
    def ensure_organisation(
        self, code: str, name: str, org_type: str | None = None, country: str | None = None
    ) -> OrganisationRef:
        """The organisation with ``code``, created if missing (an existing one is returned unchanged)."""
        if not code or len(code) > 64:
            raise ValidationError("an organisation code has 1 to 64 characters")
        if org_type is not None and org_type not in load_standard().field("org_Type").value_names:
            raise ValidationError(f"{org_type!r} is not an HTCDS org_Type", field="org_Type")
        if country is not None and not is_country_code(country):
            raise ValidationError(f"{country!r} is not an ISO 3166-1 alpha-2 code", field="org_ShippingCountry")
        with self.transaction() as session:
            found = session.scalars(select(Organisation).where(Organisation.code == code)).one_or_none()
            if found is None:
                found = Organisation(id=uuid.uuid4(), code=code, name=name, org_type=org_type, country=country)
                session.add(found)
                session.flush()
                actor = Actor.system(SYSTEM_ORGANISATION_LABEL, found.id)
                audit.append(
                    session,
                    audit.CreateEvent(
                        actor=actor,
                        entity="organisation",
                        entity_id=str(found.id),
                        fields=("code", "name", "org_type", "country"),
                    ),
                )
            return OrganisationRef(found.id, found.code, found.name, found.org_type, found.country)

    def organisation(self, code: str) -> OrganisationRef:
        with self.transaction(read_only=True) as session:
            found = session.scalars(select(Organisation).where(Organisation.code == code)).one_or_none()
            if found is None:
                raise NotFoundError(f"no organisation {code!r}", organisation=code)
            return OrganisationRef(found.id, found.code, found.name, found.org_type, found.country)

    # -- imports and summaries ---------------------------------------------------------------------------
    def import_cases(
        self,
        org_code: str,
        records: Iterable[CaseRecord],
        *,
        actor: Actor,
        label: str,
        on_progress: Callable[[int], None] | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> ImportOutcome:
        """Import ``records`` into organisation ``org_code`` in one transaction (see ``ctdx.store.importer``).

        ``on_progress`` is called with the number of records done after each chunk of ``chunk_size``.
        """
        organisation = self.organisation(org_code)
        with self.transaction() as session:
            job = CaseImport(session, self.cipher, organisation.id, actor, chunk_size)
            return job.run(records, label, on_progress)

    def case_counts(self, organisation_codes: Iterable[str] | None = None) -> CaseCounts:
        """Counts for a summary across organisations (no identifying values are read)."""
        codes = None if organisation_codes is None else list(organisation_codes)
        with self.transaction(read_only=True) as session:
            scope = select(Organisation.id)
            if codes is not None:
                scope = scope.where(Organisation.code.in_(codes))
            in_scope = Case.organisation_id.in_(scope)
            by_org = session.execute(
                select(Organisation.code, func.count(Case.id))
                .join(Case, Case.organisation_id == Organisation.id)
                .where(in_scope)
                .group_by(Organisation.code)
            ).all()
            by_type = session.execute(
                select(VictimExploitation.exploitation_type, func.count())
                .join(Case, Case.id == VictimExploitation.case_id)
                .where(in_scope)
                .group_by(VictimExploitation.exploitation_type)
            ).all()
            by_pair = session.execute(
                select(Person.citizenship, VictimContext.country_of_exploitation, func.count(Case.id))
                .select_from(Case)
                .join(Person, Person.id == Case.person_id)
                .outerjoin(VictimContext, VictimContext.case_id == Case.id)
                .where(in_scope)
                .group_by(Person.citizenship, VictimContext.country_of_exploitation)
            ).all()
        return CaseCounts(
            total=sum(int(n) for _, n in by_org),
            by_organisation={str(code): int(n) for code, n in by_org},
            by_exploitation_type={str(kind): int(n) for kind, n in by_type},
            by_country_pair={(a, b): int(n) for a, b, n in by_pair},
        )

    def verify_audit(self) -> audit.AuditReport:
        return audit.verify_audit(self.engine)


def _stored_keys(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        if not inspect(connection).has_table(StoreMeta.__tablename__):
            return {}
        rows = connection.execute(select(StoreMeta.key, StoreMeta.value)).all()
        connection.rollback()
    return {str(k): str(v) for k, v in rows}


def _cipher_for(keyring: Keyring, meta: dict[str, str]) -> FieldCipher:
    """The cipher whose active key is the one the database records (after checking it), or the keyring's."""
    active = meta.get(ACTIVE_KEY)
    if active is None:
        return FieldCipher(keyring)
    cipher = FieldCipher(replace(keyring, active=active) if active in keyring.keys else keyring)
    stored = meta.get(check_value_key(active))
    if stored is None:
        raise StoreError(f"the database names key {active!r} but holds no check value for it")
    cipher.check(active, stored)
    return cipher


def _load_or_create_keyring(settings: Settings, meta: dict[str, str], create: bool) -> Keyring:
    try:
        return load_keyring(settings)
    except EncryptionKeyError:
        fresh = ACTIVE_KEY not in meta and not settings.key_text and not settings.key_file.exists()
        if create and fresh:
            return init_keyring(settings.key_file)
        raise


def _record_key(store: Store) -> None:
    with store.transaction() as session:
        if session.get(StoreMeta, ACTIVE_KEY) is None:
            material = store.cipher.active
            session.add(StoreMeta(key=ACTIVE_KEY, value=material.key_id))
            session.add(StoreMeta(key=check_value_key(material.key_id), value=material.check_value))


def open_store(settings: Settings, *, create: bool = False) -> Store:
    """Open the store named by ``settings``; ``create=True`` creates the database and migrates it to head.

    ``create=False`` requires a database already at this package's schema revision (``ctdx db upgrade``).
    """
    url = parse_url(settings.database_url)
    if not create and database_exists(url) is False:
        raise StoreError(f"there is no ctdx database at {safe_url(url)}; create it with `ctdx db upgrade`")
    engine = make_engine(url)
    try:
        status = schema.schema_status(engine)
        if not create and not status.up_to_date:
            what = "no ctdx schema" if status.empty else f"schema revision {status.current}, not {status.head}"
            raise StoreError(f"the database at {safe_url(url)} has {what}; run `ctdx db upgrade`")
        meta = _stored_keys(engine)
        cipher = _cipher_for(_load_or_create_keyring(settings, meta, create), meta)
        if create and not status.up_to_date:
            schema.upgrade(engine)
        store = Store(engine, cipher, url)
        _record_key(store)
        return store
    except BaseException:
        engine.dispose()
        raise


@contextmanager
def _engine(settings: Settings, *, must_exist: bool) -> Iterator[tuple[Engine, URL]]:
    url = parse_url(settings.database_url)
    if must_exist and database_exists(url) is False:
        raise StoreError(f"there is no ctdx database at {safe_url(url)}; create it with `ctdx db upgrade`")
    engine = make_engine(url)
    try:
        yield engine, url
    finally:
        engine.dispose()


def database_status(settings: Settings) -> tuple[str, schema.SchemaStatus]:
    """The (password-masked) URL and schema status of the database of ``settings``; reads only, needs no key."""
    with _engine(settings, must_exist=True) as (engine, url):
        return safe_url(url), schema.schema_status(engine)


def upgrade_database(settings: Settings) -> tuple[str, schema.SchemaStatus]:
    """Create the database of ``settings`` if needed and migrate it to this package's schema; needs no key."""
    with _engine(settings, must_exist=False) as (engine, url):
        return safe_url(url), schema.upgrade(engine)


def audit_report(settings: Settings) -> audit.AuditReport:
    """Verify the audit chain of the database of ``settings`` (needs no key: the chain holds no secrets)."""
    with _engine(settings, must_exist=True) as (engine, url):
        status = schema.schema_status(engine)
        if status.empty:
            raise StoreError(f"the database at {safe_url(url)} has no ctdx schema")
        return audit.verify_audit(engine)
