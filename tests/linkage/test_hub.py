"""The hub end to end: three organisations contribute signed packages; the hub links them without names."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import re
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect

from ctdx.demo_linkage import run_demo_linkage
from ctdx.errors import ConflictError, CtdxError, InputFileError, IntegrityError, NotFoundError, StoreError
from ctdx.linkage.clustering import ClusteringConfig
from ctdx.linkage.contribution import build_contribution, case_reference, generate_signing_key, public_key_text
from ctdx.linkage.encoding import DEFAULT_ENCODING_CONFIG, EncodingConfig, LinkageSecret
from ctdx.linkage.hub import ARRAYS_FROM, Hub, hub_database_status, upgrade_hub_database
from ctdx.linkage.hub_schema import hub_head
from ctdx.linkage.linking import LinkageResult
from ctdx.linkage.normalise import latinise
from ctdx.linkage.scoring import ScoringConfig
from ctdx.model.records import CaseRecord, SourceRef
from ctdx.sample import generate_cohort, write_cohort
from ctdx.settings import load_settings, sqlite_url
from ctdx.store import Actor, open_store
from tests.linkage.cohort import COHORT, ORGANISATIONS, Entry, predicted_pairs, truth_pairs
from tests.store import conftest as store_fixtures

SECRET = LinkageSecret(bytes(range(100, 132)))
KEYS = {org: generate_signing_key() for org in ORGANISATIONS}
T0 = dt.datetime(2024, 7, 1, tzinfo=dt.UTC)


def package(org: str, entries: tuple[Entry, ...] = COHORT, created: dt.datetime = T0, **kw: object) -> bytes:
    mine = [e for e in entries if e.organisation == org]
    by_id = {e.record_id: e for e in mine}
    report = build_contribution(
        org,
        [e.case() for e in mine],
        secret=kw.get("secret", SECRET),  # type: ignore[arg-type]
        signing_key=kw.get("key", KEYS[org]),  # type: ignore[arg-type]
        consented=lambda case: by_id[case.source.record_id].consent,
        config=kw.get("config", DEFAULT_ENCODING_CONFIG),  # type: ignore[arg-type]
        created=created,
    )
    return report.package


def new_hub(path: Path) -> Hub:
    hub = Hub(f"sqlite:///{path}", create=True)
    for org in ORGANISATIONS:
        hub.register_organisation(org, public_key_text(KEYS[org]))
    return hub


LOG_LINES: list[str] = []


class _Collect(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        LOG_LINES.append(self.format(record))


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, LinkageResult]:
    path = tmp_path_factory.mktemp("hub") / "hub.sqlite"
    # Every log line of every library, at every level, while the hub receives and links.
    handler = _Collect(level=logging.DEBUG)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        hub = new_hub(path)
        for org in ORGANISATIONS:
            hub.receive(package(org))
        result = hub.link(ScoringConfig(mode="privacy", log_level=logging.DEBUG))
        hub.close()
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    return path, result


def shared(entries: tuple[Entry, ...] = COHORT) -> tuple[Entry, ...]:
    return tuple(e for e in entries if e.consent)


def test_the_hub_links_variants_across_organisations_and_keeps_near_duplicates_apart(
    linked: tuple[Path, LinkageResult],
) -> None:
    path, result = linked
    hub = Hub(f"sqlite:///{path}")
    persons = hub.persons()
    # Map the hub's pseudonymous references back through the organisations' own references.

    by_record = {
        f"{e.organisation}:{e.record_id}": persons[
            (
                e.organisation,
                case_reference(SECRET, e.organisation, SourceRef(system=e.organisation, record_id=e.record_id)),
            )
        ]
        for e in shared()
    }
    assert all(by_record.values())
    assert predicted_pairs({k: v or "" for k, v in by_record.items()}) == truth_pairs(shared())
    people = len({e.person for e in shared()})
    assert result.count.estimate == people
    assert result.count.low <= people <= result.count.high
    assert hub.last_run() == json.loads(json.dumps(result.summary()))


def test_a_hub_takes_the_array_path_by_itself_once_it_holds_enough_cases(tmp_path: Path) -> None:
    # A small hub links its cases as objects; from ``arrays_from`` cases on it links packed arrays without
    # being told (the object path needs several GB at 50,000 cases), and says which path it took.
    hub = new_hub(tmp_path / "hub.sqlite")
    for org in ORGANISATIONS:
        hub.receive(package(org))
    cases = hub.case_count()
    assert hub.link().path == "objects" and cases < ARRAYS_FROM
    grown = hub.link(arrays_from=cases)
    assert grown.path == "arrays" and hub.last_run() == json.loads(json.dumps(grown.summary()))
    assert hub.last_run()["path"] == "arrays"  # type: ignore[index]
    assert grown.summary()["blocking"]["rules"] == "hub keys"  # the array rules of a hub this size
    # Told, it does as told whatever its size.
    assert hub.link(arrays=False, arrays_from=cases).path == "objects"
    assert hub.link(arrays=True).path == "arrays"
    # Both paths find the same persons in this cohort.
    assert grown.count.estimate == hub.link(arrays=False).count.estimate == len({e.person for e in shared()})
    hub.close()


def test_overlap_between_organisations_matches_the_truth(linked: tuple[Path, LinkageResult]) -> None:
    _, result = linked
    orgs_of: dict[str, set[str]] = {}
    for e in shared():
        orgs_of.setdefault(e.person, set()).add(e.organisation)
    for (a, b), count in result.overlap.items():
        assert count == sum(1 for orgs in orgs_of.values() if {a, b} <= orgs)
    assert set(result.overlap) == {
        tuple(sorted((a, b))) for orgs in orgs_of.values() for a in orgs for b in orgs if a < b
    }
    for org, summary in result.organisations.items():
        assert summary.cases == sum(1 for e in shared() if e.organisation == org)
        assert summary.shared_persons == sum(1 for orgs in orgs_of.values() if org in orgs and len(orgs) > 1)


def test_the_hub_database_and_logs_hold_no_name_and_no_birth_date(linked: tuple[Path, LinkageResult]) -> None:
    path, _ = linked
    stored = path.read_bytes().lower()
    for entry in COHORT:
        for name in (entry.first, entry.second):
            # Only four bytes or more: shorter strings occur by chance in binary pages.
            assert len(name.encode()) < 4 or name.lower().encode() not in stored, "a name is stored at the hub"
            for token in latinise(name).split():
                assert len(token) < 4 or token.encode() not in stored, "a name part is stored at the hub"
        if isinstance(entry.birth, dt.date):
            for text in (entry.birth.isoformat(), entry.birth.strftime("%Y%m%d"), entry.birth.strftime("%d/%m/%Y")):
                assert text.encode() not in stored, "a birth date is stored at the hub"
    assert LOG_LINES, "Splink logged nothing: the check below would prove nothing"
    logged = "\n".join(LOG_LINES).lower()
    for entry in COHORT:
        for name in (entry.first, entry.second):
            assert name.lower() not in logged, "a name is in the hub's logs"
        if isinstance(entry.birth, dt.date):
            assert entry.birth.isoformat() not in logged, "a birth date is in the hub's logs"
    hub = Hub(f"sqlite:///{path}")
    with hub.engine.connect() as db:
        fields = [json.loads(row[0]) for row in db.exec_driver_sql("SELECT fields FROM hub_case")]
    assert fields and all(
        not any(k.startswith(("prs_FirstName", "prs_SecondName", "prs_Birthdate")) for k in f) for f in fields
    )
    assert all("prs_Gender" in f and "vic_AgeWhenTrafficked" in f for f in fields)
    assert all(f["ext_IdentificationDate"] == 2024 for f in fields)


def test_a_tampered_package_is_refused(tmp_path: Path) -> None:
    hub = new_hub(tmp_path / "hub.sqlite")
    envelope = json.loads(package("ngo"))
    payload = json.loads(base64.b64decode(envelope["payload"]))
    payload["cases"][0]["fields"]["prs_Gender"] = "Masculine"
    envelope["payload"] = base64.b64encode(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).decode()
    with pytest.raises(IntegrityError):
        hub.receive(json.dumps(envelope).encode())
    # Signed by the police but claiming to be the NGO.
    with pytest.raises(IntegrityError):
        hub.receive(package("ngo", key=KEYS["police"]))
    assert hub.case_count() == 0


def test_a_package_in_another_encoding_format_is_refused(tmp_path: Path) -> None:
    # Unsalted and birth-date-salted name filters cannot be compared: the hub keeps the first package's
    # encoding description and refuses any other, storing nothing.
    # The refusal says what differs and what to do (salts are public settings, not secrets).
    hub = new_hub(tmp_path / "hub.sqlite")
    first = hub.receive(package("ngo"))
    with pytest.raises(ConflictError) as refused:
        hub.receive(package("police", config=EncodingConfig(salt="none")))
    advice = "salt 'none' where the hub has 'birth-date'; build it again with --salt birth-date"
    assert str(refused.value).endswith(advice)
    with pytest.raises(ConflictError, match=r": flip probability 0.05 where the hub has 0.02$"):
        hub.receive(package("police", config=EncodingConfig(flip_probability=0.05)))
    assert hub.case_count() == first.added


def test_a_hub_holding_packages_of_an_earlier_encoding_format_says_so_before_linking(tmp_path: Path) -> None:
    # A hub filled before the first given name got its own filter (ctdx-bloom/2): its blobs no longer fit,
    # and the run stops with what to do instead of failing inside the unpacking.
    hub = new_hub(tmp_path / "hub.sqlite")
    hub.receive(package("ngo"))
    assert hub.encoding_config().salt == "birth-date"
    with sqlite3.connect(tmp_path / "hub.sqlite") as db:
        (stored,) = db.execute("select value from hub_setting where name = 'encoding'").fetchone()
        old = {**json.loads(stored), "format": "ctdx-bloom/2"}
        db.execute("update hub_setting set value = ? where name = 'encoding'", (json.dumps(old),))
    with pytest.raises(StoreError, match=r"ctdx-bloom/2.*build their packages again"):
        hub.link()
    hub.close()


def test_unregistered_organisations_and_other_secrets_are_refused(tmp_path: Path) -> None:
    hub = Hub(f"sqlite:///{tmp_path / 'hub.sqlite'}", create=True)
    with pytest.raises(NotFoundError):
        hub.receive(package("ngo"))
    hub.register_organisation("ngo", public_key_text(KEYS["ngo"]))
    hub.register_organisation("police", public_key_text(KEYS["police"]))
    with pytest.raises(ConflictError):
        hub.register_organisation("ngo", public_key_text(KEYS["police"]))
    sent = package("ngo")
    first = hub.receive(sent)
    with pytest.raises(ConflictError):
        hub.receive(sent)  # the same package twice
    with pytest.raises(ConflictError):
        hub.receive(package("police", secret=LinkageSecret.generate()))
    assert hub.case_count() == first.added


def test_recontributing_replaces_the_case_and_withdrawn_consent_deletes_it(tmp_path: Path) -> None:
    hub = new_hub(tmp_path / "hub.sqlite")
    first = hub.receive(package("ngo"))
    assert first.added == sum(1 for e in shared() if e.organisation == "ngo")
    assert first.replaced == first.deleted == 0
    updated = tuple(Entry(**{**vars(e), "birth": dt.date(1985, 3, 3)}) if e.record_id == "n3" else e for e in COHORT)
    second = hub.receive(package("ngo", updated, created=T0 + dt.timedelta(days=1)))
    assert (second.added, second.replaced, second.deleted) == (0, first.added, 0)
    assert hub.case_count() == first.added
    # An older package arriving late does not overwrite newer versions.
    late = hub.receive(package("ngo", COHORT, created=T0 - dt.timedelta(days=1)))
    assert late.stale == first.added and late.replaced == 0
    # The person withdraws consent: the next package lists the case as withdrawn and the hub deletes it.
    withdrawn = tuple(Entry(**{**vars(e), "consent": False}) if e.record_id == "n3" else e for e in COHORT)
    third = hub.receive(package("ngo", withdrawn, created=T0 + dt.timedelta(days=2)))
    assert third.deleted == 1
    assert hub.case_count() == first.added - 1


def test_the_report_says_what_the_hub_holds_and_whether_its_last_run_still_describes_it(tmp_path: Path) -> None:
    hub = new_hub(tmp_path / "hub.sqlite")
    empty = hub.report()
    assert (empty.cases, empty.secret_fingerprint, empty.last_run, empty.stale) == (0, None, None, False)
    assert [(h.organisation, h.cases, h.packages, h.last_package) for h in empty.holdings] == [
        (org, 0, 0, None) for org in sorted(ORGANISATIONS)
    ]
    for org in ORGANISATIONS:
        hub.receive(package(org))
    held = hub.report()
    assert {h.organisation: h.cases for h in held.holdings} == {
        org: sum(1 for e in shared() if e.organisation == org) for org in ORGANISATIONS
    }
    assert held.cases == hub.case_count() and held.secret_fingerprint == SECRET.fingerprint
    assert all(h.packages == 1 and h.last_package == T0 and not h.one_record_per_person for h in held.holdings)
    assert held.last_run is None and not held.stale
    result = hub.link()
    current = hub.report()
    assert current.last_run == json.loads(json.dumps(result.summary())) and current.last_run_at is not None
    assert (current.packages_since_run, current.stale) == (0, False)
    # A person withdraws consent: no person id changes, but the run no longer describes what the hub holds.
    withdrawn = tuple(Entry(**{**vars(e), "consent": False}) if e.record_id == "n3" else e for e in COHORT)
    hub.receive(package("ngo", withdrawn, created=T0 + dt.timedelta(days=1)))
    later = hub.report()
    assert (later.packages_since_run, later.stale, later.cases) == (1, True, held.cases - 1)
    ngo = next(h for h in later.holdings if h.organisation == "ngo")
    assert (ngo.packages, ngo.last_package) == (2, T0 + dt.timedelta(days=1))
    summary = later.summary()
    assert json.loads(json.dumps(summary)) == summary and summary["stale"] is True
    assert not any(e.second in json.dumps(summary) for e in COHORT)  # counts and dates, never a name
    hub.link()
    assert not hub.report().stale
    hub.close()


# -- tampering: refused with a coded error, and nothing stored ------------------------------------------------


def _snapshot(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of the hub database, read with sqlite3 (not through the hub's code)."""
    with sqlite3.connect(path) as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: sorted(db.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}


def _refused(hub: Hub, path: Path, package_bytes: bytes, error: type[CtdxError], code: str) -> None:
    before = _snapshot(path)
    with pytest.raises(error) as raised:
        hub.receive(package_bytes)
    assert raised.value.code == code
    assert _snapshot(path) == before, "a refused package changed the hub's database"


def test_a_tampered_package_is_refused_with_a_coded_error_and_nothing_stored(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite"
    hub = new_hub(path)
    # On an empty hub (nothing stored yet, not even the secret's fingerprint) and after a first package.
    for received in (False, True):
        envelope = json.loads(package("ngo"))
        payload = bytearray(base64.b64decode(envelope["payload"]))
        payload[len(payload) // 2] ^= 0x01  # one bit of the signed bytes
        envelope["payload"] = base64.b64encode(bytes(payload)).decode()
        _refused(hub, path, json.dumps(envelope).encode(), IntegrityError, "integrity")
        # Signed by the police's key, but naming the NGO.
        _refused(hub, path, package("ngo", key=KEYS["police"]), IntegrityError, "integrity")
        # A signature copied from another organisation's package.
        other = json.loads(package("police"))
        envelope = json.loads(package("ngo"))
        envelope["signature"] = other["signature"]
        _refused(hub, path, json.dumps(envelope).encode(), IntegrityError, "integrity")
        if not received:
            assert hub.case_count() == 0
            hub.receive(package("hotline"))
    # Encoded under another secret (its fingerprint differs from the hub's earlier packages).
    _refused(hub, path, package("police", secret=LinkageSecret.generate()), ConflictError, "conflict")
    # Not a package at all.
    _refused(hub, path, b'{"format": "something else"}', InputFileError, "input_file")
    assert {org for org, _ in hub.persons()} == {"hotline"}


# -- the hub's schema: its own Alembic history, never an organisation's store ---------------------------------


def test_the_hub_schema_is_migrated_by_its_own_alembic_history(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    with pytest.raises(StoreError, match=r"no hub database at .*ctdx hub upgrade"):
        Hub(url)
    assert hub_database_status(url).empty
    assert not (tmp_path / "hub.sqlite").exists()  # neither leaves an empty file behind where a typo pointed
    status = upgrade_hub_database(url)
    assert status.up_to_date and status.current == hub_head()
    with sqlite3.connect(tmp_path / "hub.sqlite") as db:
        tables = {t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "hub_alembic_version" in tables and "alembic_version" not in tables
    assert {"hub_organisation", "hub_case", "hub_package", "hub_setting", "hub_linkage_run"} <= tables
    Hub(url).close()
    assert upgrade_hub_database(url) == status  # idempotent


def test_a_hub_refuses_a_database_holding_an_organisations_case_store(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "ctdx.sqlite")
    with open_store(load_settings({"CTDX_DATA_DIR": str(tmp_path), "CTDX_DATABASE_URL": url}), create=True):
        pass
    with pytest.raises(ConflictError, match="case store"):
        Hub(url, create=True)


# -- the hub holds no identity: a generated cohort contributed from the organisations' stores -----------------

DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y")


@pytest.fixture(scope="module")
def generated_hub(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[CaseRecord], list[str]]:
    """A 240-case cohort of three organisations, imported into their store, consents recorded from
    ``con_Consent``, contributed from the store, received and linked by the hub; every log line kept."""
    data_dir = tmp_path_factory.mktemp("generated")
    cohort = generate_cohort(240, 3, 17)
    write_cohort(cohort, data_dir / "cohort")
    records = list(cohort.records())
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect(level=logging.DEBUG)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    settings = load_settings({"CTDX_DATA_DIR": str(data_dir), "CTDX_DATABASE_URL": sqlite_url(data_dir / "org.sqlite")})
    try:
        with open_store(settings, create=True) as store:
            codes = sorted({r.source.system for r in records})
            for code in codes:
                org = store.ensure_organisation(code, code)
                mine = [r for r in records if r.source.system == code]
                store.import_cases(code, mine, actor=Actor.system("test-import", org.id), label="test")
            outcome = run_demo_linkage(
                store, records, codes, data_dir=data_dir, cohort_dir=data_dir / "cohort", today=dt.date.today()
            )
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    assert outcome.contributed == sum(1 for r in records if r.get("con_Consent") is True) > 100
    return data_dir / "hub.sqlite", records, lines


def _identities(records: list[CaseRecord]) -> tuple[set[str], set[str]]:
    """Every name and name part (lower case, 4 characters or more) and every birth date, in several formats."""
    names: set[str] = set()
    dates: set[str] = set()
    for record in records:
        for field_name in ("prs_FirstName", "prs_MiddleName", "prs_SecondName"):
            value = record.get(field_name)
            if isinstance(value, str):
                parts = {*value.split(), *latinise(value).split()}
                names |= {p.lower() for p in parts if len(p) >= 4}
        birth = record.get("prs_Birthdate")
        if isinstance(birth, dt.date):
            dates |= {birth.strftime(form) for form in DATE_FORMATS}
    return names, dates


def _filters_only(blob: bytes) -> bool:
    """Whether ``blob`` is exactly a presence byte per encoded field, each followed by a filter of its size."""
    at = 0
    for spec in DEFAULT_ENCODING_CONFIG.fields:
        if at >= len(blob) or blob[at] not in (0, 1):
            return False
        at += 1 + (DEFAULT_ENCODING_CONFIG.encoded_bytes(spec) if blob[at] == 1 else 0)
    return at == len(blob)


HEX_ONLY = re.compile(r"^[a-f]+$")  # a name like "abbe" also occurs by chance inside hex ids


def _words(text: str) -> set[str]:
    """The words of ``text``, lower case: a name is looked for as a word ("king" is not in "trafficking")."""
    return set(re.findall(r"[^\W\d_]+", text.lower()))


def test_the_hub_database_and_every_log_line_hold_no_name_and_no_birth_date(
    generated_hub: tuple[Path, list[CaseRecord], list[str]],
) -> None:
    path, records, lines = generated_hub
    names, dates = _identities(records)
    assert len(names) > 200 and len(dates) > 500
    # 1. The raw bytes of the SQLite file. Filters are random bytes, where a short lower-cased string occurs
    #    by chance: names of five characters or more here; every name in the text columns below.
    raw = path.read_bytes()
    raw_words = _words(raw.decode("utf-8", "replace"))
    for name in names:
        assert len(name) < 5 or name not in raw_words, "a name is in the hub's database file"
    for text in dates:
        assert text.encode() not in raw, "a birth date is in the hub's database file"
    # 2. Every table, every row, read with sqlite3: text columns hold no name or date; blob columns hold
    #    nothing but filters of the encoding config's exact size.
    texts: list[str] = []
    rows = 0
    for table, table_rows in _snapshot(path).items():
        for row in table_rows:
            rows += 1
            for value in row:
                if isinstance(value, bytes):
                    assert table == "hub_case" and _filters_only(value), "unexpected binary data at the hub"
                elif value is not None:
                    texts.append(str(value).lower())
    assert rows > 100
    stored_text = "\n".join(texts)
    stored_words = _words(stored_text)
    for name in names:
        assert HEX_ONLY.match(name) or name not in stored_words, "a name is in a hub table"
    for text in dates:
        assert text not in stored_text, "a birth date is in a hub table"
    # 3. Every log line of every library (Splink and DuckDB at DEBUG, Alembic, ours) while the organisations
    #    contributed and the hub received and linked.
    assert lines, "nothing was logged: the check would prove nothing"
    logged = "\n".join(lines).lower()
    logged_words = _words(logged)
    for name in names:
        assert HEX_ONLY.match(name) or name not in logged_words, "a name is in the logs"
    for text in dates:
        assert text not in logged, "a birth date is in the logs"


# -- the same hub on PostgreSQL (a shared hub) and SQLite -----------------------------------------------------

postgres_url = store_fixtures.postgres_url
database_url = store_fixtures.database_url


def test_the_hub_receives_replaces_refuses_and_links_on_each_database(database_url: str) -> None:
    hub = Hub(database_url, create=True)
    try:
        assert "hub_alembic_version" in inspect(hub.engine).get_table_names()
        for org in ORGANISATIONS:
            hub.register_organisation(org, public_key_text(KEYS[org]))
        for org in ORGANISATIONS:
            hub.receive(package(org))
        stored = hub.case_count()
        assert stored == len(shared())
        with pytest.raises(IntegrityError):
            hub.receive(package("ngo", key=KEYS["police"], created=T0 + dt.timedelta(days=1)))
        again = hub.receive(package("ngo", created=T0 + dt.timedelta(days=1)))
        assert again.replaced == sum(1 for e in shared() if e.organisation == "ngo") and hub.case_count() == stored
        result = hub.link()
        assert result.records == stored and all(hub.persons().values())
        assert hub.last_run() == json.loads(json.dumps(result.summary()))
        assert hub.report().last_run == hub.last_run() and not hub.report().stale
        hub.receive(package("ngo", created=T0 + dt.timedelta(days=2)))
        assert (hub.report().packages_since_run, hub.report().stale) == (1, True)
    finally:
        hub.close()


# -- organisations that declare one record per person --------------------------------------------------------

LOOKALIKES = (
    # One NGO's two clients, sisters with one given name and birth dates nine days apart (the NGO knows
    # them apart), and the police's record of the first, in Cyrillic.
    Entry("ngo", "n1", "olena-12", "Olena", "Kovalenko", dt.date(1990, 5, 12), "Feminine", ("UA",)),
    Entry("ngo", "n2", "olena-21", "Olena", "Kovalenko", dt.date(1990, 5, 21), "Feminine", ("UA",)),
    Entry("police", "p1", "olena-12", "Олена", "Коваленко", dt.date(1990, 5, 12), "Feminine", ("UA",)),
)


def _lookalike_persons(tmp_path: Path, name: str, declare: set[str]) -> tuple[Hub, dict[str, str | None]]:
    hub = new_hub(tmp_path / name)
    for org in ("ngo", "police"):
        mine = [e for e in LOOKALIKES if e.organisation == org]
        report = build_contribution(
            org,
            [e.case() for e in mine],
            secret=SECRET,
            signing_key=KEYS[org],
            consented=lambda case: True,
            created=T0,
            one_record_per_person=org in declare,
        )
        assert hub.receive(report.package).one_record_per_person == (org in declare)
    result = hub.link(clustering=ClusteringConfig(threshold=0.5))
    assert list(result.one_record_per_person) == sorted(declare)
    assert hub.last_run()["one_record_per_person"] == sorted(declare)  # type: ignore[index]
    persons = hub.persons()
    sources = {e: SourceRef(system=e.organisation, record_id=e.record_id) for e in LOOKALIKES}
    refs = {
        f"{e.organisation}:{e.record_id}": persons[(e.organisation, case_reference(SECRET, e.organisation, source))]
        for e, source in sources.items()
    }
    return hub, refs


def test_a_declared_organisations_records_never_share_a_person_at_the_hub(tmp_path: Path) -> None:
    hub, undeclared = _lookalike_persons(tmp_path, "undeclared.sqlite", set())
    hub.close()
    # Undeclared, the sisters look like one woman recorded twice: the hub makes one person of all three.
    assert undeclared["ngo:n1"] == undeclared["ngo:n2"] == undeclared["police:p1"]
    hub, declared = _lookalike_persons(tmp_path, "declared.sqlite", {"ngo"})
    # Declared, the NGO's two records stay two persons; the police record joins the closer one.
    assert declared["ngo:n1"] == declared["police:p1"] != declared["ngo:n2"]
    assert hub.one_record_per_person() == {"ngo"}
    # The latest package speaks for the organisation: a later undeclared package withdraws the declaration.
    later = build_contribution(
        "ngo",
        [e.case() for e in LOOKALIKES if e.organisation == "ngo"],
        secret=SECRET,
        signing_key=KEYS["ngo"],
        consented=lambda case: True,
        created=T0 + dt.timedelta(days=1),
    )
    assert not hub.receive(later.package).one_record_per_person
    assert hub.one_record_per_person() == frozenset()
    hub.close()


def test_a_declaration_that_is_not_true_or_false_is_refused(tmp_path: Path) -> None:
    report = build_contribution(
        "ngo", [COHORT[0].case()], secret=SECRET, signing_key=KEYS["ngo"], consented=lambda case: True, created=T0
    )
    envelope = json.loads(report.package)
    payload = json.loads(base64.b64decode(envelope["payload"]))
    payload["one_record_per_person"] = "yes"
    payload_bytes = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    envelope["payload"] = base64.b64encode(payload_bytes).decode()
    envelope["signature"] = base64.b64encode(KEYS["ngo"].sign(payload_bytes)).decode()
    hub = new_hub(tmp_path / "hub.sqlite")
    with pytest.raises(InputFileError, match="one_record_per_person"):
        hub.receive(json.dumps(envelope).encode())
    assert hub.case_count() == 0
    hub.close()


def test_packages_received_before_the_declaration_existed_count_as_not_declared(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import create_engine, text

    from ctdx.linkage.hub_schema import HUB_MIGRATIONS

    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        command.upgrade(HUB_MIGRATIONS.config(connection), "h0001")
        connection.execute(
            text(
                "INSERT INTO hub_package (package_id, org_id, created_at, received_at, cases, withdrawn) "
                "VALUES ('p1', 'ngo', '2024-07-01 00:00:00', '2024-07-01 00:00:00', 1, 0)"
            )
        )
    engine.dispose()
    assert upgrade_hub_database(url).current == hub_head()
    with sqlite3.connect(tmp_path / "hub.sqlite") as db:
        assert db.execute("SELECT one_record_per_person FROM hub_package").fetchall() == [(0,)]
    with Hub(url) as hub:
        assert hub.one_record_per_person() == frozenset()
