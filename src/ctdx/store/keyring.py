"""The field-encryption keyring: 256-bit keys by id and the active id, kept outside the database.

The keyring is a small JSON document, read from ``Settings.key_text`` (the ``CTDX_KEY`` environment
variable) when set, otherwise from ``Settings.key_file``::

    {"format": "ctdx-keyring/1", "active": "k-20261129-ab12", "keys": {"k-20261129-ab12": "<base64 of 32 bytes>"}}

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctdx.errors import ConflictError, EncryptionKeyError
from ctdx.settings import Settings

KEYRING_FORMAT = "ctdx-keyring/1"
KEY_BYTES = 32  # AES-256


@dataclass(frozen=True)
class Keyring:
    """Keys by id, and the id of the key that encrypts new values."""

    active: str
    keys: dict[str, bytes]

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise EncryptionKeyError("the keyring's active key id is not one of its keys")
        for key_id, key in self.keys.items():
            if len(key) != KEY_BYTES:
                raise EncryptionKeyError(f"key {key_id!r} of the keyring is not a 256-bit key")

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
        return Keyring(active=key_id, keys={**self.keys, key_id: secrets.token_bytes(KEY_BYTES)})

    def only_active(self) -> Keyring:
        return Keyring(active=self.active, keys={self.active: self.keys[self.active]})

    def to_json(self) -> str:
        keys = {k: base64.b64encode(v).decode("ascii") for k, v in self.keys.items()}
        return json.dumps({"format": KEYRING_FORMAT, "active": self.active, "keys": keys}, indent=2) + "\n"


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
    keys: dict[str, bytes] = {}
    for key_id, encoded in keys_raw.items():
        try:
            keys[str(key_id)] = base64.b64decode(str(encoded), validate=True)
        except (binascii.Error, ValueError):
            raise EncryptionKeyError(f"key {key_id!r} in {where} is not base64") from None
    return Keyring(active=active, keys=keys)


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
