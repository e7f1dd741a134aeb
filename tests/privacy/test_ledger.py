"""The privacy-loss ledger: budgets, refusals, named overrides, and tamper detection."""

from __future__ import annotations

import json

import pytest

from ctdx.errors import ConflictError, EncryptionKeyError, IntegrityError, PermissionDenied, ValidationError
from ctdx.privacy.ledger import Override, Part, create_ledger, load_ledger
from ctdx.privacy.ledger import spend as keyed_spend
from ctdx.store.keyring import new_keyring

KEYRING = new_keyring()


def spend(path, **kwargs):
    return keyed_spend(path, keyring=KEYRING, **kwargs)


@pytest.fixture
def path(tmp_path):
    path = tmp_path / "ledger.json"
    create_ledger(path, dataset="hub-2024", epsilon_budget=5.0, delta_budget=1e-5, keyring=KEYRING)
    return path


def test_releases_add_up_until_the_budget_refuses_one(path) -> None:
    spend(path, release="r1", epsilon=2.0, delta=1e-6, mechanism="discrete_gaussian")
    spend(path, release="r2", epsilon=3.0, delta=0.0, mechanism="discrete_laplace")
    ledger = load_ledger(path, KEYRING)
    assert ledger.epsilon_spent == pytest.approx(5.0) and ledger.delta_spent == pytest.approx(1e-6)
    with pytest.raises(PermissionDenied, match="over its budget"):
        spend(path, release="r3", epsilon=0.1, delta=0.0, mechanism="discrete_laplace")
    assert len(load_ledger(path, KEYRING).entries) == 2  # nothing recorded for the refused release


def test_an_override_needs_a_name_and_a_reason_and_is_recorded(path) -> None:
    spend(path, release="r1", epsilon=5.0, delta=0.0, mechanism="discrete_laplace")
    with pytest.raises(ValidationError, match="name of who decided it and the reason"):
        spend(path, release="r2", epsilon=1.0, delta=0.0, mechanism="x", override=Override(by="Ana", reason=" "))
    entry = spend(
        path, release="r2", epsilon=1.0, delta=0.0, mechanism="x", override=Override(by="Ana", reason="court order")
    )
    assert (entry.override_by, entry.override_reason) == ("Ana", "court order")
    assert load_ledger(path, KEYRING).epsilon_spent == pytest.approx(6.0)


def test_a_release_within_budget_records_no_override(path) -> None:
    entry = spend(path, release="r1", epsilon=1.0, delta=0.0, mechanism="x", override=Override("Ana", "why"))
    assert entry.override_by is None and entry.override_reason is None


def test_an_edited_ledger_is_detected(path) -> None:
    spend(path, release="r1", epsilon=4.0, delta=0.0, mechanism="discrete_laplace")
    raw = json.loads(path.read_text())
    raw["entries"][0]["epsilon"] = 0.5  # someone hides spent budget
    path.write_text(json.dumps(raw))
    with pytest.raises(IntegrityError, match="altered"):
        load_ledger(path, KEYRING)


def test_an_edit_with_a_recomputed_file_mac_still_breaks_the_chain(path) -> None:
    from ctdx.privacy.ledger import _digest, mac_key

    spend(path, release="r1", epsilon=4.0, delta=0.0, mechanism="discrete_laplace")
    raw = json.loads(path.read_text())
    raw["entries"][0]["epsilon"] = 0.5
    raw.pop("hash")
    raw["hash"] = _digest(raw, mac_key(KEYRING, raw["key_id"]))
    path.write_text(json.dumps(raw))
    with pytest.raises(IntegrityError, match="breaks the chain"):
        load_ledger(path, KEYRING)


def test_a_ledger_rechained_without_the_key_is_refused(path) -> None:
    """Someone who edits an entry and recomputes every hash, as the unkeyed ledger allowed, is caught."""
    import hashlib

    spend(path, release="r1", epsilon=4.0, delta=0.0, mechanism="discrete_laplace")
    raw = json.loads(path.read_text())
    raw["entries"][0]["epsilon"] = 0.5

    def sha(data) -> str:
        return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()

    raw["entries"][0]["hash"] = sha({k: v for k, v in raw["entries"][0].items() if k != "hash"})
    raw.pop("hash")
    raw["hash"] = sha(raw)
    path.write_text(json.dumps(raw))
    with pytest.raises(IntegrityError, match="altered"):
        load_ledger(path, KEYRING)


def test_checking_a_ledger_needs_the_key_it_was_chained_with(path) -> None:
    spend(path, release="r1", epsilon=1.0, delta=0.0, mechanism="x")
    with pytest.raises(EncryptionKeyError, match="has no key"):
        load_ledger(path, new_keyring())
    other = new_keyring()
    forged = type(other)(active=KEYRING.active, keys={KEYRING.active: other.keys[other.active]})
    with pytest.raises(IntegrityError, match="altered"):
        load_ledger(path, forged)  # the same key id with other key material


def test_the_spend_is_recorded_per_mechanism_and_must_add_up(path) -> None:
    parts = (Part("aggregates", "discrete_laplace", 1.0, 0.0), Part("synthetic", "zcdp", 2.0, 1e-6))
    entry = spend(path, release="r1", epsilon=3.0, delta=1e-6, mechanism="both", parts=parts)
    assert load_ledger(path, KEYRING).entries[0].parts == parts == entry.parts
    with pytest.raises(ValidationError, match="add up"):
        spend(path, release="r2", epsilon=1.0, delta=1e-6, mechanism="both", parts=parts)


def test_a_ledger_is_never_replaced_and_a_release_never_counted_twice(path) -> None:
    with pytest.raises(ConflictError):
        create_ledger(path, dataset="hub-2024", epsilon_budget=100.0, delta_budget=0.0, keyring=KEYRING)
    spend(path, release="r1", epsilon=1.0, delta=0.0, mechanism="x")
    with pytest.raises(ConflictError, match="already"):
        spend(path, release="r1", epsilon=1.0, delta=0.0, mechanism="x")


def test_a_release_is_refused_while_another_is_being_recorded(path) -> None:
    lock = path.with_suffix(".json.lock")
    lock.write_text("")
    with pytest.raises(ConflictError, match="another release is being recorded"):
        spend(path, release="r1", epsilon=1.0, delta=0.0, mechanism="x")
    lock.unlink()
    spend(path, release="r1", epsilon=1.0, delta=0.0, mechanism="x")
    assert not lock.exists()
