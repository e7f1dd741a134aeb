"""Field encryption and blind indexes over a keyring, using ``cryptography`` (no crypto of our own).

* **Sealing**: identifying values are encrypted as one AES-256-GCM blob per row and column. The associated
  data names the table, the row id and the column (``ctdx/v1|person|<uuid>|identity``), so a blob copied to
  another row or column no longer decrypts: it cannot be swapped to put one person's identity on another.
  Blob layout: one version byte, the 12-byte random nonce, the ciphertext with its tag.
* **Sub-keys**: each keyring key is never used directly; HKDF-SHA256 derives separate keys for encryption,
  blind indexes, content hashes and the key check value (NIST SP 800-108 key separation).
* **Blind indexes**: HMAC-SHA256 of a normalised value (names folded to lowercase ASCII letters and
  digits, identity numbers to uppercase letters and digits, dates as ISO text), for exact lookups without
  decrypting. Truncated to 128 bits, as an index needs no more.
* **Key check value**: an HMAC of a fixed text under the derived check key, stored in the database, so
  opening with a wrong key fails before anything is read or written.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import unicodedata
import uuid
from functools import cached_property
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hmac import HMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ctdx.errors import EncryptionKeyError, IntegrityError
from ctdx.store.keyring import Keyring

BLOB_VERSION = b"\x01"
NONCE_BYTES = 12
_CHECK_TEXT = b"ctdx key check value v1"
_NOT_NAME = re.compile(r"[^0-9a-z]+")
_NOT_IDENTITY = re.compile(r"[^0-9A-Z]")
_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)  # built once: imports seal millions


def _derive(key: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"ctdx/{purpose}/v1".encode()).derive(key)


def _mac(keyed: HMAC, data: bytes) -> bytes:
    """HMAC-SHA256 of ``data`` from a copy of an already keyed HMAC: a tenth of the cost of keying one per value
    (an import computes a few per row), with the same result as ``hmac.digest(key, data, "sha256")``."""
    mac = keyed.copy()
    mac.update(data)
    return mac.finalize()


def associated_data(table: str, row_id: uuid.UUID, column: str) -> bytes:
    return f"ctdx/v1|{table}|{row_id}|{column}".encode()


class KeyMaterial:
    """The derived sub-keys of one keyring key."""

    def __init__(self, key_id: str, key: bytes) -> None:
        self.key_id = key_id
        self._key = key

    @cached_property
    def aead(self) -> AESGCM:
        return AESGCM(_derive(self._key, "field-encryption"))

    @cached_property
    def index_key(self) -> bytes:
        return _derive(self._key, "blind-index")

    @cached_property
    def content_key(self) -> bytes:
        return _derive(self._key, "content-hash")

    @cached_property
    def index_mac(self) -> HMAC:
        """HMAC-SHA256 keyed with ``index_key``, never updated itself: each index works on a copy of it."""
        return HMAC(self.index_key, hashes.SHA256())

    @cached_property
    def content_mac(self) -> HMAC:
        return HMAC(self.content_key, hashes.SHA256())

    @cached_property
    def check_value(self) -> str:
        return hmac.new(_derive(self._key, "key-check"), _CHECK_TEXT, hashlib.sha256).hexdigest()


def normalise_name(text: str) -> str:
    """Lowercase ASCII letters and digits, single spaces: ``"  Nguyễn  Thị "`` -> ``"nguyen thi"``."""
    if text.isascii():  # NFKD leaves ASCII as it is and there is no combining mark to drop
        ascii_text = text.lower()
    else:
        decomposed = unicodedata.normalize("NFKD", text)
        ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(_NOT_NAME.sub(" ", ascii_text).split())


def normalise_identity_number(text: str) -> str:
    """Uppercase letters and digits only: ``"ab-12 345"`` -> ``"AB12345"``."""
    return _NOT_IDENTITY.sub("", unicodedata.normalize("NFKC", text).upper())


class FieldCipher:
    """Seals and opens identifying values and computes blind indexes, for one keyring."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring
        self._materials = {key_id: KeyMaterial(key_id, key) for key_id, key in keyring.keys.items()}

    @property
    def active(self) -> KeyMaterial:
        return self._materials[self.keyring.active]

    def material(self, key_id: str) -> KeyMaterial:
        if key_id not in self._materials:
            self.keyring.key(key_id)  # raises the clear "no such key" error
        return self._materials[key_id]

    def seal(self, values: dict[str, Any], table: str, row_id: uuid.UUID, column: str) -> bytes:
        """One AES-GCM blob of ``values`` (JSON), bound to its table, row and column."""
        plaintext = _JSON.encode(values).encode()
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self.active.aead.encrypt(nonce, plaintext, associated_data(table, row_id, column))
        return BLOB_VERSION + nonce + sealed

    def open(self, blob: bytes, key_id: str, table: str, row_id: uuid.UUID, column: str) -> dict[str, Any]:
        """The values sealed in ``blob``; ``IntegrityError`` when it was changed, moved or sealed by another key."""
        if not blob.startswith(BLOB_VERSION) or len(blob) < 1 + NONCE_BYTES + 16:
            raise IntegrityError(f"the {column} blob of {table} {row_id} is not a ctdx v1 blob", entity=table)
        nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        try:
            plaintext = self.material(key_id).aead.decrypt(nonce, sealed, associated_data(table, row_id, column))
        except InvalidTag:
            raise IntegrityError(
                f"the {column} blob of {table} {row_id} does not decrypt: it was changed or moved from another row",
                entity=table,
            ) from None
        values: dict[str, Any] = json.loads(plaintext)
        return values

    def blind_index(self, kind: str, normalised: str) -> str:
        return _mac(self.active.index_mac, f"{kind}\x00{normalised}".encode())[:16].hex()

    def name_index(self, family_name: str | None, given_name: str | None) -> str | None:
        family = normalise_name(family_name or "")
        given = normalise_name(given_name or "")
        return self.blind_index("name", f"{family}|{given}") if family or given else None

    def birth_date_index(self, iso_date: str | None) -> str | None:
        return self.blind_index("birthdate", iso_date) if iso_date else None

    def identity_number_index(self, number: str | None) -> str | None:
        normalised = normalise_identity_number(number or "")
        return self.blind_index("identity", normalised) if normalised else None

    def content_hash(self, canonical: bytes) -> str:
        """A keyed hash of a record's content: detects unchanged re-imports without a guessable plain hash."""
        return _mac(self.active.content_mac, canonical).hex()

    def check(self, key_id: str, stored_check_value: str) -> None:
        """``EncryptionKeyError`` unless the keyring holds ``key_id`` with the stored check value."""
        if key_id not in self.keyring.keys:
            raise EncryptionKeyError(
                f"the keyring has no key {key_id!r}, which this database was encrypted with", key_id=key_id
            )
        if not hmac.compare_digest(self.material(key_id).check_value, stored_check_value):
            raise EncryptionKeyError(
                f"key {key_id!r} of the keyring is not the key this database was encrypted with", key_id=key_id
            )
