"""Key rotation through `ctdx keys rotate`: every value stays readable, lookups still work, the old key is gone."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import Column, LargeBinary, MetaData, String, Table, Uuid, insert, select
from typer.testing import CliRunner

from ctdx.cli.main import app
from ctdx.errors import ConfigError, EncryptionKeyError
from ctdx.settings import Settings
from ctdx.store import Actor, Store, open_store, rotate_keys
from ctdx.store.keyring import Keyring, write_keyring
from ctdx.store.rotation import rotate_in_store
from ctdx.store.tables import Case, Person
from tests.store.records import family_name, given_name, identity_number, record, records

runner = CliRunner()
EXTRA_NOTE = Table(
    "extra_note",
    MetaData(),
    Column("id", Uuid, primary_key=True),
    Column("sealed", LargeBinary),
    Column("key_id", String(40)),
)


def _populate(store: Store) -> Actor:
    org = store.ensure_organisation(code="ngo-a", name="NGO A")
    store.import_cases("ngo-a", records(4), actor=Actor.system("import", org.id), label="x")
    return Actor.system("reader", org.id)


def test_rotation_re_encrypts_everything_and_keeps_it_readable(
    store: Store, settings: Settings, cli_env: dict[str, str | None]
) -> None:
    reader = _populate(store)
    with store.transaction() as session:
        before = {p.id: (p.sealed, p.name_index) for p in session.scalars(select(Person))}
    old_ring = json.loads(settings.key_file.read_text())
    store.close()

    result = runner.invoke(app, ["keys", "rotate"], env=cli_env)
    assert result.exit_code == 0, result.output

    new_ring = json.loads(settings.key_file.read_text())
    assert new_ring["active"] != old_ring["active"]
    assert list(new_ring["keys"]) == [new_ring["active"]]  # the old key is dropped once rotation succeeded
    assert settings.key_file.stat().st_mode & 0o777 == 0o600
    with open_store(settings) as rotated:
        with rotated.transaction() as session:
            persons = list(session.scalars(select(Person)))
            assert {p.key_id for p in persons} == {new_ring["active"]}
            assert all(p.sealed != before[p.id][0] and p.name_index != before[p.id][1] for p in persons)
            assert {c.key_id for c in session.scalars(select(Case))} == {new_ring["active"]}
        with rotated.cases(reader) as cases:
            for i in range(4):
                [found] = cases.find_person_by_identity(identity_number(i))
                assert cases.read_identifying(found.id) == record(i)
            assert len(cases.find_persons_by_name(family_name(2), given_name(2))) == 1
        again = rotated.import_cases(
            "ngo-a", records(4), actor=Actor.system("import", reader.organisation_id), label="x"
        )
        assert (again.created, again.updated, again.unchanged) == (0, 0, 4)  # content hashes were recomputed
        report = rotated.verify_audit()
        assert report.ok
    old_settings = Settings(settings.data_dir, settings.database_url, settings.key_file, json.dumps(old_ring))
    with pytest.raises(EncryptionKeyError):
        open_store(old_settings)


def test_rotation_twice_in_a_row(store: Store, settings: Settings) -> None:
    reader = _populate(store)
    store.close()
    first = rotate_keys(settings)
    second = rotate_keys(settings)
    assert first.new_key_id == second.old_key_id and first.blobs == second.blobs > 0
    with open_store(settings) as rotated, rotated.cases(reader) as cases:
        assert cases.read_identifying(cases.find_person_by_identity(identity_number(1))[0].id) == record(1)


def test_rotation_needs_a_key_file(store: Store, settings: Settings) -> None:
    _populate(store)
    from_env = Settings(settings.data_dir, settings.database_url, settings.key_file, settings.key_file.read_text())
    with pytest.raises(ConfigError, match="key file"):
        rotate_keys(from_env)


def test_a_key_file_left_with_both_keys_still_opens_the_database(store: Store, settings: Settings) -> None:
    """A crash after the database switched keys but before the key file lost the old key."""
    reader = _populate(store)
    both = store.cipher.keyring.with_new_key()
    write_keyring(settings.key_file, Keyring(active=store.cipher.keyring.active, keys=both.keys), replace=True)
    rotate_in_store(store, both)
    store.close()
    with open_store(settings) as reopened:
        assert reopened.cipher.active.key_id == both.active
        with reopened.cases(reader) as cases:
            assert cases.read_identifying(cases.find_person_by_identity(identity_number(3))[0].id) == record(3)


def test_sealed_values_of_tables_added_by_other_packages_are_re_encrypted_too(store: Store, settings: Settings) -> None:
    with store.engine.begin() as connection:
        EXTRA_NOTE.create(connection)
    try:
        note = uuid.uuid4()
        with store.transaction() as session:
            session.execute(
                insert(EXTRA_NOTE).values(
                    id=note,
                    sealed=store.cipher.seal({"text": "a note"}, "extra_note", note, "sealed"),
                    key_id=store.cipher.active.key_id,
                )
            )
        store.close()
        outcome = rotate_keys(settings)
        with open_store(settings) as rotated, rotated.transaction() as session:
            row = session.execute(select(EXTRA_NOTE)).one()
            assert row.key_id == outcome.new_key_id
            assert rotated.cipher.open(row.sealed, row.key_id, "extra_note", note, "sealed") == {"text": "a note"}
    finally:
        with store.engine.begin() as connection:
            EXTRA_NOTE.drop(connection)


def test_a_privacy_ledger_chained_before_a_rotation_still_verifies_and_grows(
    store: Store, settings: Settings, cli_env: dict[str, str | None], tmp_path
) -> None:
    from ctdx.privacy.ledger import create_ledger, load_ledger, spend
    from ctdx.store.keyring import load_keyring

    _populate(store)
    before = load_keyring(settings)
    ledger_path = tmp_path / "ledger.json"
    create_ledger(ledger_path, dataset="d", epsilon_budget=4.0, delta_budget=1e-5, keyring=before)
    spend(ledger_path, release="r1", epsilon=1.0, delta=0.0, mechanism="laplace", keyring=before)
    store.close()

    assert runner.invoke(app, ["keys", "rotate"], env=cli_env).exit_code == 0

    after = load_keyring(settings)
    assert before.active not in after.keys  # the retired key itself is gone...
    assert set(after.ledger_keys) == {before.active}  # ...only the key derived from it for ledgers stays
    assert after.ledger_keys[before.active] != before.keys[before.active]
    ledger = load_ledger(ledger_path, after)
    assert [e.release for e in ledger.entries] == ["r1"] and ledger.key_id == before.active
    spend(ledger_path, release="r2", epsilon=1.0, delta=0.0, mechanism="laplace", keyring=after)
    assert load_ledger(ledger_path, after).epsilon_spent == 2.0
    assert load_ledger(ledger_path, before).epsilon_spent == 2.0  # same chain, same MAC key

    # A second rotation keeps the first retired ledger key as well.
    assert runner.invoke(app, ["keys", "rotate"], env=cli_env).exit_code == 0
    again = load_keyring(settings)
    assert set(again.ledger_keys) == {before.active, after.active}
    assert load_ledger(ledger_path, again).epsilon_spent == 2.0
    with pytest.raises(EncryptionKeyError):
        load_ledger(ledger_path, Keyring(active=again.active, keys={again.active: again.keys[again.active]}))
