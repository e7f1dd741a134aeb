"""The hub: registers organisations, verifies and stores their contributions, links them into persons.

The hub holds each organisation's Ed25519 public key, and for each contributed case its pseudonymous
reference, its de-identified fields and its encodings: never a name or a birth date, and never the
linkage secret. A package is stored only when its signature verifies under the key registered for the
organisation it names, and only if it was encoded under the same secret and config as every package
before it (checked by the secret's public fingerprint, which the hub can also be given before the first
package: ``expect_secret``). A re-contributed case replaces its earlier
version; a case listed as withdrawn is deleted. ``link`` runs the privacy-mode linkage over everything
stored and records a person id per case and the run's summary (counts only). A small hub links its cases
as objects with string blocking keys (``linking.link``); ``arrays=True`` links the packed encodings as
arrays (``batch.link_encoded``: vectorised blocking, chunked scoring, array clustering), and
``backend="spark"`` scores them on Splink's Spark backend. Unless told, the hub takes the array path from
``ARRAYS_FROM`` cases on, and the run's summary says which it took. ``report`` reads back what the hub
holds per organisation and the last run's summary without linking again, and whether packages arrived since.
``case_persons`` gives the last run's person id of each case, with the number of organisations that hold
that person: the per-case output an organisation joins to its own cases by their references.

A package may declare that its organisation holds one record per person (``contribution``). The hub keeps
the declaration with the package, and an organisation counts as declared when its latest package (by
creation time) declares it: a package carries all of an organisation's shared cases, so the latest one
speaks for what the hub holds. Linking then puts at most one record of a declared organisation in a person.

Storage is SQLAlchemy Core on any URL (SQLite for a laptop hub, PostgreSQL for a shared one). The tables
(``hub_tables``) are versioned by the hub's own Alembic migrations (``hub_schema``, ``ctdx hub upgrade``),
apart from an organisation's case store; a database holding a case store is refused.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import create_engine, delete, func, insert, make_url, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ctdx.errors import ConflictError, NotFoundError, StoreError, ValidationError
from ctdx.linkage.contribution import load_public_key, open_contribution, package_organisation
from ctdx.linkage.encoding import DEFAULT_ENCODING_CONFIG, ENCODING_FORMAT, EncodingConfig
from ctdx.linkage.hub_schema import HubSchemaStatus, hub_head, hub_status, upgrade_hub
from ctdx.linkage.hub_tables import cases, organisations, packages, runs, settings_table

if TYPE_CHECKING:  # the linkage engine (Splink, DuckDB) is imported only when the hub links
    from ctdx.linkage.batch import Backend, EncodedRecords
    from ctdx.linkage.clustering import ClusteringConfig
    from ctdx.linkage.linking import LinkageInput, LinkageResult
    from ctdx.linkage.scoring import ScoringConfig

FINGERPRINT_LENGTH = 16  # ``LinkageSecret.fingerprint``: 16 hex digits
# From this many stored cases a hub links arrays unless told otherwise. On LD5 cohorts (bench/linkage/README.md,
# "Where the hub switches to arrays") the array path, which blocks with the string keys' design up to
# ``blocking.LSH_BLOCKING_UP_TO`` records, found the same links at 0.9 (F1 0.321 against 0.321 at 10,000 records,
# 0.320 against 0.321 at 50,000) for less: 49 against 77 CPU-s and 1.4 against 1.7 GB at 10,000, 177 against
# 361 CPU-s and 1.5 against 7.1 GB at 50,000 (12.9-13.1 GB at 100,000). Below 10,000 it was not measured
# against the objects but on the demo's hub (2,598 cases), where the two counts agree within 0.4 %.
ARRAYS_FROM = 10_000


def safe_url(url: str) -> str:
    """The URL as it may be printed: the password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        raise ValidationError("the hub database URL is not a SQLAlchemy URL", field="database") from None


def _engine(url: str) -> Engine:
    try:
        return create_engine(url)
    except (ArgumentError, SQLAlchemyError, ImportError) as exc:
        raise StoreError("the hub database cannot be opened", error=type(exc).__name__) from None


def _missing_file(url: str) -> bool:
    """Whether ``url`` names a SQLite file that does not exist: connecting would leave it behind, empty."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return False
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:" or name.startswith("file:"):
        return False
    return not Path(name).exists()


def hub_database_status(url: str) -> HubSchemaStatus:
    """The hub database's schema revision (reads only; a SQLite file that does not exist has none)."""
    if _missing_file(url):
        return HubSchemaStatus(current=None, head=hub_head())
    engine = _engine(url)
    try:
        return hub_status(engine)
    except SQLAlchemyError as exc:
        raise StoreError("the hub database cannot be read", error=type(exc).__name__) from None
    finally:
        engine.dispose()


def upgrade_hub_database(url: str) -> HubSchemaStatus:
    """Create the hub schema, or migrate it to this version's, and return the new status."""
    engine = _engine(url)
    try:
        return upgrade_hub(engine)
    except SQLAlchemyError as exc:
        raise StoreError("the hub database cannot be migrated", error=type(exc).__name__) from None
    finally:
        engine.dispose()


def _pack(encodings: dict[str, bytes | None], config: EncodingConfig) -> bytes:
    """The encodings of one case as one blob: per field of the config, in order, a presence byte and the filter.

    Binary rather than JSON of base64 text: a filter is random bytes and stays so in the database file."""
    out = bytearray()
    for spec in config.fields:
        value = encodings.get(spec.name)
        out += b"\x01" + value if value else b"\x00"
    return bytes(out)


def _unpack(blob: bytes, config: EncodingConfig) -> dict[str, bytes | None]:
    found: dict[str, bytes | None] = {}
    at = 0
    for spec in config.fields:
        present = blob[at : at + 1] == b"\x01"
        at += 1
        width = config.encoded_bytes(spec) if present else 0
        found[spec.name] = bytes(blob[at : at + width]) if present else None
        at += width
    if at != len(blob):
        raise StoreError("a stored case's encodings do not fit the hub's encoding config")
    return found


@dataclass(frozen=True)
class Receipt:
    """What receiving one package changed."""

    package_id: str
    organisation: str
    added: int
    replaced: int
    stale: int
    deleted: int
    one_record_per_person: bool = False


@dataclass(frozen=True)
class Holding:
    """What the hub holds from one registered organisation: counts and dates, nothing about a person."""

    organisation: str
    registered_at: dt.datetime
    cases: int
    packages: int
    last_package: dt.datetime | None  # when its latest package was created
    one_record_per_person: bool


@dataclass(frozen=True)
class HubReport:
    """What the hub holds and what its last run found, read without linking again (``ctdx hub report``).

    ``packages_since_run`` counts the packages received after the last run: their cases (added, replaced or
    withdrawn) are not in its figures, so the run is ``stale`` until the hub links again."""

    holdings: tuple[Holding, ...]
    cases: int
    secret_fingerprint: str | None
    salt: str | None
    last_run_at: dt.datetime | None
    last_run: dict[str, Any] | None
    packages_since_run: int

    @property
    def stale(self) -> bool:
        return self.last_run is not None and self.packages_since_run > 0

    def summary(self) -> dict[str, Any]:
        """The report as JSON-ready values."""
        return {
            "cases": self.cases,
            "secret_fingerprint": self.secret_fingerprint,
            "salt": self.salt,
            "organisations": [
                {
                    "organisation": h.organisation,
                    "registered_at": h.registered_at.isoformat(),
                    "cases": h.cases,
                    "packages": h.packages,
                    "last_package": None if h.last_package is None else h.last_package.isoformat(),
                    "one_record_per_person": h.one_record_per_person,
                }
                for h in self.holdings
            ],
            "last_run_at": None if self.last_run_at is None else self.last_run_at.isoformat(),
            "last_run": self.last_run,
            "packages_since_run": self.packages_since_run,
            "stale": self.stale,
        }


@dataclass(frozen=True, order=True)
class CasePerson:
    """One stored case's person id from the last run (``None`` for a case received since), and how many
    organisations hold that person (0 without a person id). ``case_ref`` is the pseudonymous reference an
    organisation computes for its own case (``contribution.case_reference``)."""

    organisation: str
    case_ref: str
    person_id: str | None
    organisations: int


class Hub:
    """A hub's store and the operations on it."""

    def __init__(self, url: str, config: EncodingConfig = DEFAULT_ENCODING_CONFIG, *, create: bool = False) -> None:
        """Open the hub at ``url``. ``create=True`` creates or migrates its schema (``ctdx hub upgrade``);
        otherwise a database without the current hub schema is ``StoreError``."""
        self.config = config
        self.url = safe_url(url)
        if not create and _missing_file(url):
            raise StoreError(f"there is no hub database at {self.url}; run `ctdx hub upgrade` to create one")
        self.engine: Engine = _engine(url)
        try:
            status = upgrade_hub(self.engine) if create else hub_status(self.engine)
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise StoreError("the hub database cannot be opened", error=type(exc).__name__) from None
        except BaseException:
            self.engine.dispose()
            raise
        if not status.up_to_date:
            self.engine.dispose()
            what = "no hub schema" if status.empty else f"hub schema revision {status.current}, not {status.head}"
            raise StoreError(f"the database at {self.url} has {what}; run `ctdx hub upgrade`", revision=status.current)

    def __enter__(self) -> Hub:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def register_organisation(self, org_id: str, public_key: str) -> None:
        """Record an organisation's public key; re-registering with another key is a conflict."""
        if not org_id.strip():
            raise ValidationError("the organisation id is empty", field="organisation")
        load_public_key(public_key)
        with self.engine.begin() as db:
            known = db.execute(select(organisations.c.public_key).where(organisations.c.org_id == org_id)).scalar()
            if known is not None:
                if known != public_key.strip():
                    raise ConflictError("the organisation is registered with another key", organisation=org_id)
                return
            db.execute(
                insert(organisations).values(
                    org_id=org_id, public_key=public_key.strip(), registered_at=dt.datetime.now(dt.UTC)
                )
            )

    def expect_secret(self, fingerprint: str) -> None:
        """Record the fingerprint of the organisations' linkage secret before any package arrives (otherwise
        the first package sets it); ``ConflictError`` if the hub already holds another one."""
        fingerprint = fingerprint.strip().lower()
        if len(fingerprint) != FINGERPRINT_LENGTH or any(c not in "0123456789abcdef" for c in fingerprint):
            raise ValidationError("a secret fingerprint is 16 hex digits", field="secret_fingerprint")
        with self.engine.begin() as db:
            self._check_setting(db, "secret_fingerprint", fingerprint)

    def receive(self, package: bytes) -> Receipt:
        """Verify a package and store its cases. ``IntegrityError`` if the signature does not verify,
        ``NotFoundError`` for an unregistered organisation, ``ConflictError`` for another secret or a
        package already received."""
        claimed = package_organisation(package)
        with self.engine.begin() as db:
            key = db.execute(select(organisations.c.public_key).where(organisations.c.org_id == claimed)).scalar()
            if key is None:
                raise NotFoundError("the package comes from an organisation the hub has not registered")
            contribution = open_contribution(package, load_public_key(key), self.config)
            self._check_setting(db, "secret_fingerprint", contribution.secret_fingerprint)
            self._check_setting(db, "encoding", json.dumps(contribution.encoding, sort_keys=True))
            if db.execute(
                select(packages.c.package_id).where(packages.c.package_id == contribution.package_id)
            ).first():
                raise ConflictError("this package was received already", package=contribution.package_id)
            db.execute(
                insert(packages).values(
                    package_id=contribution.package_id,
                    org_id=contribution.organisation,
                    created_at=contribution.created,
                    received_at=dt.datetime.now(dt.UTC),
                    cases=len(contribution.cases),
                    withdrawn=len(contribution.withdrawn),
                    one_record_per_person=contribution.one_record_per_person,
                )
            )
            existing = {
                ref: _aware(created)
                for ref, created in db.execute(
                    select(cases.c.case_ref, cases.c.created_at).where(cases.c.org_id == contribution.organisation)
                )
            }
            added = replaced = stale = deleted = 0
            for case in contribution.cases:
                row = {
                    "package_id": contribution.package_id,
                    "created_at": contribution.created,
                    "fields": json.dumps(case.fields, sort_keys=True),
                    "encodings": _pack(case.encodings, self.config),
                    "person_id": None,
                }
                key_of = (cases.c.org_id == contribution.organisation) & (cases.c.case_ref == case.ref)
                if case.ref not in existing:
                    db.execute(insert(cases).values(org_id=contribution.organisation, case_ref=case.ref, **row))
                    added += 1
                elif existing[case.ref] <= _aware(contribution.created):
                    db.execute(update(cases).where(key_of).values(**row))
                    replaced += 1
                else:
                    stale += 1
            for ref in contribution.withdrawn:
                if ref in existing:
                    key_of = (cases.c.org_id == contribution.organisation) & (cases.c.case_ref == ref)
                    deleted += db.execute(delete(cases).where(key_of)).rowcount
        return Receipt(
            contribution.package_id,
            contribution.organisation,
            added,
            replaced,
            stale,
            deleted,
            contribution.one_record_per_person,
        )

    def _check_setting(self, db: Any, name: str, value: str) -> None:
        stored = db.execute(select(settings_table.c.value).where(settings_table.c.name == name)).scalar()
        if stored is None:
            db.execute(insert(settings_table).values(name=name, value=value))
        elif stored != value:
            differences = _encoding_differences(stored, value) if name == "encoding" else ""
            raise ConflictError(
                f"the package was encoded with another {name.replace('_', ' ')} than the hub's earlier packages"
                + differences,
                setting=name,
            )

    def encoding(self) -> dict[str, Any] | None:
        """The encoding description every package of the hub carries (set by the first; ``None`` before)."""
        with self.engine.connect() as db:
            stored = db.execute(select(settings_table.c.value).where(settings_table.c.name == "encoding")).scalar()
        return None if stored is None else dict(json.loads(stored))

    def encoding_config(self) -> EncodingConfig:
        """The hub's config with the salt its packages were encoded with: what an attack check simulates.
        ``StoreError`` when the packages are of another encoding format than this version reads."""
        stored = self.encoding()
        if stored is None:
            return self.config
        if stored.get("format") != ENCODING_FORMAT:
            raise StoreError(
                f"the hub holds packages encoded as {stored.get('format')}, which this version cannot read "
                f"({ENCODING_FORMAT}): the organisations must build their packages again for a new hub",
                format=str(stored.get("format")),
            )
        return replace(self.config, salt=stored["salt"], salt_window=int(stored["salt_window"]))

    def inputs(self) -> list[LinkageInput]:
        """Every stored case as a privacy-mode linkage input, in a stable order."""
        from ctdx.linkage.blocking import encoding_blocking_keys
        from ctdx.linkage.linking import LinkageInput

        self.encoding_config()  # refuses stored packages of another format with a clear message
        with self.engine.connect() as db:
            rows = db.execute(select(cases).order_by(cases.c.org_id, cases.c.case_ref)).mappings().all()
        encodings = [_unpack(row["encodings"], self.config) for row in rows]
        keys = encoding_blocking_keys(encodings)
        return [
            LinkageInput(f"{row['org_id']}:{row['case_ref']}", row["org_id"], enc, block)
            for row, enc, block in zip(rows, encodings, keys, strict=True)
        ]

    def one_record_per_person(self) -> frozenset[str]:
        """The organisations whose latest package declares one record per person (module docstring)."""
        with self.engine.connect() as db:
            rows = db.execute(
                select(packages.c.org_id, packages.c.one_record_per_person).order_by(
                    packages.c.org_id, packages.c.created_at, packages.c.received_at
                )
            ).all()
        latest = {org: bool(declared) for org, declared in rows}
        return frozenset(org for org, declared in latest.items() if declared)

    def encoded_records(self) -> EncodedRecords:
        """Every stored case's encodings as packed arrays (``batch.EncodedRecords``), in ``inputs``' order."""
        from ctdx.linkage.batch import EncodedRecords

        self.encoding_config()  # refuses stored packages of another format with a clear message
        with self.engine.connect() as db:
            rows = db.execute(
                select(cases.c.org_id, cases.c.case_ref, cases.c.encodings).order_by(cases.c.org_id, cases.c.case_ref)
            ).all()
        packed = {s.name: np.zeros((len(rows), self.config.encoded_bytes(s)), np.uint8) for s in self.config.fields}
        present = {s.name: np.zeros(len(rows), np.bool_) for s in self.config.fields}
        for index, row in enumerate(rows):
            for name, value in _unpack(row.encodings, self.config).items():
                if value is not None:
                    packed[name][index] = np.frombuffer(value, np.uint8)
                    present[name][index] = True
        return EncodedRecords([f"{r.org_id}:{r.case_ref}" for r in rows], [r.org_id for r in rows], packed, present)

    def link(
        self,
        scoring: ScoringConfig | None = None,
        clustering: ClusteringConfig | None = None,
        *,
        arrays: bool | None = None,
        backend: Backend = "duckdb",
        arrays_from: int = ARRAYS_FROM,
    ) -> LinkageResult:
        """Link every stored case, store the person id of each and the run's summary, and return the result.

        The organisations that declared one record per person are those of ``one_record_per_person``, whatever
        ``clustering`` says: the declaration is the organisations' to make, in their signed packages.
        ``arrays`` and ``backend``: the module docstring (the Spark backend always links arrays); ``arrays``
        left at None takes the array path when the hub holds ``arrays_from`` cases or more."""
        from ctdx.linkage.clustering import DEFAULT_CLUSTERING_CONFIG
        from ctdx.linkage.linking import link
        from ctdx.linkage.scoring import ScoringConfig

        if backend not in ("duckdb", "spark"):
            raise ValidationError("the linkage backend must be duckdb or spark", field="backend")
        config = replace(clustering or DEFAULT_CLUSTERING_CONFIG, one_record_per_person=self.one_record_per_person())
        scoring = scoring or ScoringConfig(mode="privacy")
        if backend == "spark" and arrays is False:
            raise ValidationError(
                "the Spark backend links packed arrays: it cannot link one object per case", field="arrays"
            )
        if arrays is None:
            arrays = self.case_count() >= arrays_from
        if arrays or backend == "spark":
            result = self._link_arrays(scoring, config, backend)
        else:
            inputs = self.inputs()
            if not inputs:
                raise NotFoundError("the hub holds no contributed case to link")
            result = link(inputs, scoring, config)
        result = replace(result, salt=self.encoding_config().salt)
        with self.engine.begin() as db:
            for unique_id, person in result.persons.items():
                org_id, case_ref = unique_id.split(":", 1)
                db.execute(
                    update(cases)
                    .where((cases.c.org_id == org_id) & (cases.c.case_ref == case_ref))
                    .values(person_id=person)
                )
            db.execute(
                insert(runs).values(
                    run_id=str(uuid.uuid4()),
                    ran_at=dt.datetime.now(dt.UTC),
                    summary=json.dumps(result.summary(), sort_keys=True),
                )
            )
        return result

    def _link_arrays(self, scoring: ScoringConfig, clustering: ClusteringConfig, backend: Backend) -> LinkageResult:
        from ctdx.linkage.batch import link_encoded
        from ctdx.linkage.blocking import blocking_for, candidate_pairs
        from ctdx.linkage.linking import LinkageResult, organisation_overlap, person_ids
        from ctdx.linkage.scoring import twins_cannot_link

        records = self.encoded_records()
        if not records.ids:
            raise NotFoundError("the hub holds no contributed case to link")
        blocking = blocking_for(len(records.ids))
        candidates = candidate_pairs(records.packed, records.present, blocking)
        linked = link_encoded(records, (candidates.left, candidates.right), scoring, clustering, backend=backend)
        persons = person_ids(dict(zip(records.ids, linked.labels.tolist(), strict=True)))
        organisations, overlap = organisation_overlap(
            dict(zip(records.ids, records.organisations, strict=True)), persons
        )
        return LinkageResult(
            persons=persons,
            count=linked.count,
            records=len(records.ids),
            candidate_pairs=linked.scored_pairs,
            links=int(linked.link_pairs[0].size),
            trained=linked.trained,
            mode="privacy",
            organisations=organisations,
            overlap=overlap,
            twins=scoring.twins,
            twins_cannot_link=twins_cannot_link(scoring.twins, linked.trained),
            seconds=linked.seconds,
            prior=linked.prior,
            one_record_per_person=tuple(sorted(clustering.one_record_per_person & set(records.organisations))),
            path="arrays",
            default_because=linked.default_because,
            blocking={
                "rules": blocking.name,
                "max_block": blocking.max_block,
                "dropped_keys": candidates.dropped_keys,
                "dropped_pairs": candidates.dropped_pairs,
            },
        )

    def persons(self) -> dict[tuple[str, str], str | None]:
        """The person id of each stored case (``None`` before the first run or after a replacement)."""
        with self.engine.connect() as db:
            rows = db.execute(select(cases.c.org_id, cases.c.case_ref, cases.c.person_id)).all()
        return {(org, ref): person for org, ref, person in rows}

    def case_persons(self, organisation: str | None = None) -> list[CasePerson]:
        """The person id of each stored case (of ``organisation``, if given) from the last run, with how many
        organisations hold that person; a case received since has no person id yet (``CasePerson``)."""
        if self.last_run() is None:
            raise NotFoundError("the hub has not linked its cases yet: run `ctdx hub link`")
        persons = self.persons()
        if organisation is not None and organisation not in {org for org, _ in persons}:
            raise NotFoundError(f"the hub holds no case of organisation {organisation!r}", field="organisation")
        holders: dict[str, set[str]] = {}
        for (org, _), person in persons.items():
            if person is not None:
                holders.setdefault(person, set()).add(org)
        return sorted(
            CasePerson(org, ref, person, 0 if person is None else len(holders[person]))
            for (org, ref), person in persons.items()
            if organisation is None or org == organisation
        )

    def received(self, package_id: str) -> bool:
        """Whether the hub has received the package with this id."""
        with self.engine.connect() as db:
            found = db.execute(select(packages.c.package_id).where(packages.c.package_id == package_id)).first()
        return found is not None

    def case_count(self) -> int:
        with self.engine.connect() as db:
            return int(db.execute(select(func.count()).select_from(cases)).scalar_one())

    def last_run(self) -> dict[str, Any] | None:
        with self.engine.connect() as db:
            row = db.execute(select(runs.c.summary).order_by(runs.c.ran_at.desc()).limit(1)).scalar()
        return None if row is None else dict(json.loads(row))

    def report(self) -> HubReport:
        """What the hub holds per organisation and what its last run found (``HubReport``): counts and dates."""
        declared = self.one_record_per_person()
        with self.engine.connect() as db:
            registered = db.execute(
                select(organisations.c.org_id, organisations.c.registered_at).order_by(organisations.c.org_id)
            ).all()
            held = {org: int(n) for org, n in db.execute(select(cases.c.org_id, func.count()).group_by(cases.c.org_id))}
            sent = {
                org: (int(n), latest)
                for org, n, latest in db.execute(
                    select(packages.c.org_id, func.count(), func.max(packages.c.created_at)).group_by(packages.c.org_id)
                )
            }
            settings = {
                name: value for name, value in db.execute(select(settings_table.c.name, settings_table.c.value))
            }
            run = db.execute(select(runs.c.ran_at, runs.c.summary).order_by(runs.c.ran_at.desc()).limit(1)).first()
            since = 0
            if run is not None:
                since = int(
                    db.execute(
                        select(func.count()).select_from(packages).where(packages.c.received_at > run.ran_at)
                    ).scalar_one()
                )
        encoding = json.loads(settings["encoding"]) if "encoding" in settings else None
        holdings = []
        for org, registered_at in registered:
            count, latest = sent.get(org, (0, None))
            holdings.append(
                Holding(
                    organisation=org,
                    registered_at=_utc(registered_at),
                    cases=held.get(org, 0),
                    packages=count,
                    last_package=None if latest is None else _utc(latest),
                    one_record_per_person=org in declared,
                )
            )
        return HubReport(
            holdings=tuple(holdings),
            cases=sum(h.cases for h in holdings),
            secret_fingerprint=settings.get("secret_fingerprint"),
            salt=None if encoding is None or encoding.get("salt") is None else str(encoding["salt"]),
            last_run_at=None if run is None else _utc(run.ran_at),
            last_run=None if run is None else dict(json.loads(run.summary)),
            packages_since_run=since,
        )

    def field_encodings(self, field_name: str) -> list[bytes]:
        """The stored encodings of one field (for the attack check's exposure measure)."""
        if field_name not in {spec.name for spec in self.config.fields}:
            raise ValidationError("no such encoded field", field=field_name)
        with self.engine.connect() as db:
            rows = db.execute(select(cases.c.encodings)).scalars().all()
        found = (_unpack(blob, self.config)[field_name] for blob in rows)
        return [value for value in found if value is not None]

    def close(self) -> None:
        self.engine.dispose()


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _utc(moment: dt.datetime) -> dt.datetime:
    """A stored moment in UTC (PostgreSQL returns it in the session's time zone)."""
    return _aware(moment).astimezone(dt.UTC)


def _encoding_differences(stored: str, received: str) -> str:
    """What differs between two encoding descriptions, for the refusal of a package: the hub's and the
    package's values of each differing item (public settings, such as the name salt; never a secret)."""
    hub, package = json.loads(stored), json.loads(received)
    items = [
        f"{key.replace('_', ' ')} {package.get(key)!r} where the hub has {hub.get(key)!r}"
        for key in sorted(set(hub) | set(package))
        if key != "fields" and hub.get(key) != package.get(key)
    ]
    if hub.get("fields") != package.get("fields"):
        items.append("other encoded fields")
    salt = hub.get("salt")
    choosable = salt in ("none", "birth-date") and salt != package.get("salt")
    advice = f"; build it again with --salt {salt}" if choosable else ""
    return f": {', '.join(items)}{advice}" if items else ""
