"""The field-encryption keyring: 256-bit keys by id and the active id, kept outside the database.

The keyring is a small JSON document, read from ``Settings.key_text`` (the ``CTDX_KEY`` environment
variable) when set, otherwise from ``Settings.key_file``::

    {"format": "ctdx-keyring/1", "active": "k-20261129-ab12", "keys": {"k-20261129-ab12": "<base64 of 32 bytes>"},
     "ledger_keys": {"k-20260101-9f00": "<base64 of 32 bytes>"}}

``ledger_keys`` (optional) keeps, for each key that ``ctdx keys rotate`` retired, only the key derived from it
for privacy-ledger MACs (HKDF-SHA256 with the ledger's own ``info`` label, from ``cryptography``): a ledger
chained before the rotation can still be checked and extended, while the retired key itself, which could
decrypt old copies of the database, is gone.

The file is created with mode 0600 (owner read/write only) in a directory created with mode 0700, and is
refused when other users can read it: the key is the only thing between a stolen database and the
identities of the people in it. Key material never appears in an error message.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ctdx.errors import ConflictError, EncryptionKeyError
from ctdx.settings import Settings

KEYRING_FORMAT = "ctdx-keyring/1"
KEY_BYTES = 32  # AES-256
LEDGER_HKDF_INFO = b"ctdx privacy ledger hmac v1"


def derive_ledger_key(key: bytes) -> bytes:
    """The privacy-ledger MAC key derived from a keyring key (never the key that encrypts fields)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=LEDGER_HKDF_INFO).derive(key)


@dataclass(frozen=True)
class Keyring:
    """Keys by id, and the id of the key that encrypts new values."""

    active: str
    keys: dict[str, bytes]
    # Ledger MAC keys of retired keys, by the retired key's id (see the module docstring).
    ledger_keys: dict[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise EncryptionKeyError("the keyring's active key id is not one of its keys")
        for key_id, key in {**self.keys, **self.ledger_keys}.items():
            if len(key) != KEY_BYTES:
                raise EncryptionKeyError(f"key {key_id!r} of the keyring is not a 256-bit key")

    def ledger_key(self, key_id: str) -> bytes:
        """The privacy-ledger MAC key for ledgers chained under ``key_id``, live or retired."""
        if key_id in self.keys:
            return derive_ledger_key(self.keys[key_id])
        if key_id in self.ledger_keys:
            return self.ledger_keys[key_id]
        raise EncryptionKeyError(
            f"the keyring has no key {key_id!r}, which this ledger was chained with; point CTDX_KEY_FILE "
            "(or --key-file) at the hub's key file",
            key_id=key_id,
        )

    def key(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise EncryptionKeyError(
                f"the keyring has no key {key_id!r}, which this database was encrypted with", key_id=key_id
            ) from None

    def with_new_key(self) -> Keyring:
        """This keyring plus a fresh key that becomes the active one (the old keys stay, for reading)."""
        key_id = new_key_id()
        return Keyring(
            active=key_id, keys={**self.keys, key_id: secrets.token_bytes(KEY_BYTES)}, ledger_keys=self.ledger_keys
        )

    def only_active(self) -> Keyring:
        """The active key alone, keeping the ledger MAC keys of every key it drops."""
        retired = {k: derive_ledger_key(v) for k, v in self.keys.items() if k != self.active}
        return Keyring(
            active=self.active, keys={self.active: self.keys[self.active]}, ledger_keys={**self.ledger_keys, **retired}
        )

    def to_json(self) -> str:
        document: dict[str, Any] = {"format": KEYRING_FORMAT, "active": self.active, "keys": _b64(self.keys)}
        if self.ledger_keys:
            document["ledger_keys"] = _b64(self.ledger_keys)
        return json.dumps(document, indent=2) + "\n"


def _b64(keys: dict[str, bytes]) -> dict[str, str]:
    return {k: base64.b64encode(v).decode("ascii") for k, v in keys.items()}


def new_key_id() -> str:
    return f"k-{dt.datetime.now(dt.UTC):%Y%m%d}-{secrets.token_hex(4)}"


def new_keyring() -> Keyring:
    key_id = new_key_id()
    return Keyring(active=key_id, keys={key_id: secrets.token_bytes(KEY_BYTES)})


def parse_keyring(text: str, where: str) -> Keyring:
    """The keyring in ``text``; ``where`` names its origin in error messages (never the text itself)."""
    try:
        raw: Any = json.loads(text)
    except json.JSONDecodeError:
        raise EncryptionKeyError(f"the keyring in {where} is not valid JSON") from None
    if not isinstance(raw, dict) or raw.get("format") != KEYRING_FORMAT:
        raise EncryptionKeyError(f"the keyring in {where} is not a {KEYRING_FORMAT} document")
    keys_raw = raw.get("keys")
    active = raw.get("active")
    if not isinstance(keys_raw, dict) or not keys_raw or not isinstance(active, str):
        raise EncryptionKeyError(f"the keyring in {where} needs an 'active' id and at least one key")
    ledger_raw = raw.get("ledger_keys", {})
    if not isinstance(ledger_raw, dict):
        raise EncryptionKeyError(f"the 'ledger_keys' of the keyring in {where} is not an object")
    return Keyring(active=active, keys=_decode(keys_raw, where), ledger_keys=_decode(ledger_raw, where))


def _decode(raw: dict[Any, Any], where: str) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for key_id, encoded in raw.items():
        try:
            keys[str(key_id)] = base64.b64decode(str(encoded), validate=True)
        except (binascii.Error, ValueError):
            raise EncryptionKeyError(f"key {key_id!r} in {where} is not base64") from None
    return keys


def load_keyring(settings: Settings) -> Keyring:
    """The keyring from ``CTDX_KEY`` or the key file; ``EncryptionKeyError`` when missing or unreadable."""
    if settings.key_text:
        return parse_keyring(settings.key_text, "CTDX_KEY")
    path = settings.key_file
    if not path.is_file():
        raise EncryptionKeyError(
            f"no encryption key: {path} does not exist and CTDX_KEY is not set "
            "(create one with `ctdx keys init`, or point CTDX_KEY_FILE at the key this database was written with)"
        )
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise EncryptionKeyError(f"{path} can be read by other users; restrict it with `chmod 600 {path}`")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EncryptionKeyError(f"cannot read the key file {path}: {type(exc).__name__}") from None
    return parse_keyring(text, str(path))


def write_keyring(path: Path, keyring: Keyring, *, replace: bool) -> None:
    """Write ``keyring`` to ``path`` with mode 0600; an existing file is only replaced when ``replace``.

    The new text goes to a temporary file in the same directory first and is renamed over the old one, so a
    crash leaves either the old or the new keyring, never half of one.
    """
    if path.exists() and not replace:
        raise ConflictError(f"{path} already exists; it may be the only key to an existing database")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(keyring.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def init_keyring(path: Path) -> Keyring:
    """Create a new keyring file at ``path`` (``ConflictError`` if one exists)."""
    keyring = new_keyring()
    write_keyring(path, keyring, replace=False)
    return keyring
