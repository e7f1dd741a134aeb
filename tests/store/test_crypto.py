"""Field encryption: blobs are bound to their table, row and column; blind indexes normalise before hashing."""

from __future__ import annotations

import hmac
import uuid

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select, update

from ctdx.errors import IntegrityError
from ctdx.store import Actor, Store
from ctdx.store.crypto import FieldCipher, normalise_identity_number, normalise_name
from ctdx.store.keyring import new_keyring
from ctdx.store.tables import Person
from tests.store.records import identity_number, records


def test_a_sealed_value_opens_only_where_it_was_sealed() -> None:
    cipher = FieldCipher(new_keyring())
    row, other = uuid.uuid4(), uuid.uuid4()
    blob = cipher.seal({"prs_FirstName": "Ana"}, "person", row, "sealed")
    assert cipher.open(blob, cipher.active.key_id, "person", row, "sealed") == {"prs_FirstName": "Ana"}
    for table, row_id, column in (("person", other, "sealed"), ("case_file", row, "sealed"), ("person", row, "x")):
        with pytest.raises(IntegrityError):
            cipher.open(blob, cipher.active.key_id, table, row_id, column)
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(IntegrityError):
        cipher.open(tampered, cipher.active.key_id, "person", row, "sealed")
    assert b"Ana" not in blob


def test_another_key_cannot_open_a_blob() -> None:
    row = uuid.uuid4()
    blob = FieldCipher(new_keyring()).seal({"a": 1}, "person", row, "sealed")
    stranger = FieldCipher(new_keyring())
    with pytest.raises(IntegrityError):
        stranger.open(blob, stranger.active.key_id, "person", row, "sealed")


def test_identity_blobs_swapped_between_people_do_not_decrypt(store: Store) -> None:
    org = store.ensure_organisation(code="ngo-a", name="NGO A")
    store.import_cases("ngo-a", records(2), actor=Actor.system("import", org.id), label="x")
    with store.transaction() as session:
        first, second = session.scalars(select(Person).order_by(Person.created_at, Person.id)).all()[:2]
        session.execute(update(Person).where(Person.id == first.id).values(sealed=second.sealed))
    with store.cases(Actor.system("reader", org.id)) as cases:
        victims = {c.id for c in cases.find_person_by_identity(identity_number(0))}
        victims |= {c.id for c in cases.find_person_by_identity(identity_number(1))}
        outcomes = []
        for case_id in victims:
            try:
                cases.read_identifying(case_id)
                outcomes.append("read")
            except IntegrityError as error:
                outcomes.append("refused")
                assert "changed or moved" in str(error)
    assert sorted(outcomes) == ["read", "refused"]


def test_blind_indexes_normalise_names_and_numbers() -> None:
    assert normalise_name("  Nguyễn   THỊ ") == "nguyen thi"
    assert normalise_name("O'Brien-Smith") == "o brien smith"
    assert normalise_identity_number("ab-12 345") == "AB12345"
    cipher = FieldCipher(new_keyring())
    assert cipher.name_index("NGUYEN", "thi") == cipher.name_index("Nguyễn", "Thị")
    assert cipher.name_index("Nguyen", "Thi") != cipher.name_index("Thi", "Nguyen")
    assert cipher.identity_number_index("AB 12345") == cipher.identity_number_index("ab-12345")
    assert cipher.identity_number_index("--") is None and cipher.name_index(None, " ") is None
    assert FieldCipher(new_keyring()).identity_number_index("AB12345") != cipher.identity_number_index("AB12345")


def test_blind_indexes_and_content_hashes_are_the_documented_hmacs() -> None:
    """HMAC-SHA256 under the HKDF sub-keys, as stores written by every earlier version hold them."""
    keyring = new_keyring()
    cipher = FieldCipher(keyring)
    key = keyring.keys[keyring.active]

    def sub_key(purpose: str) -> bytes:
        info = f"ctdx/{purpose}/v1".encode()
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)

    index_key, content_key = sub_key("blind-index"), sub_key("content-hash")
    expected = hmac.digest(index_key, b"identity\x00AB12345", "sha256")[:16].hex()
    assert cipher.identity_number_index("ab-12 345") == expected
    expected_name = hmac.digest(index_key, b"name\x00nguyen|thi", "sha256")[:16].hex()
    assert cipher.name_index("NGUYỄN", "Thi") == cipher.name_index("nguyen", "THI") == expected_name
    for document in (b"{}", b'{"a":1}' * 1000):
        assert cipher.content_hash(document) == hmac.digest(content_key, document, "sha256").hex()
