"""The one exception tree of ctdx. Every error has a stable ``code``; adapters map codes, not classes.

Bad *data* is not an exception: importers and validators return a report of typed problems
(``ctdx.ingest.report``). Exceptions are for misuse and failures::

    CtdxError
    ├── ConfigError              settings missing or contradictory
    ├── EncryptionKeyError       the key is missing, wrong or unreadable
    ├── IntegrityError           the audit chain or a signature does not verify
    ├── StoreError               the database cannot be used
    │   └── SchemaVersionError   the database was written by a newer (or unknown) schema
    ├── NotFoundError            the thing does not exist, or the actor may not know it exists
    ├── PermissionDenied         the actor may not do this
    ├── ConflictError            the change contradicts the current state (duplicate, wrong status)
    ├── ValidationError          an argument is malformed (one value, not a file: files get reports)
    ├── ConsentError             the person has not consented to this purpose
    └── InputFileError           a file cannot be read at all (empty, truncated, wrong format)

Messages never contain identifying values (names, birth dates, numbers): only ids, field names and codes.
"""

from __future__ import annotations

from typing import Any


class CtdxError(Exception):
    """Root of every ctdx error."""

    code = "ctdx_error"
    exit_code = 1

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **{k: v for k, v in self.context.items()}}


class ConfigError(CtdxError):
    """Settings are missing or contradictory."""

    code = "config"
    exit_code = 2


class EncryptionKeyError(CtdxError):
    """The encryption key is missing, unreadable, or not the key the data was written with."""

    code = "encryption_key"
    exit_code = 3


class IntegrityError(CtdxError):
    """An audit chain, checksum or signature does not verify."""

    code = "integrity"
    exit_code = 4


class StoreError(CtdxError):
    """The database cannot be opened or used."""

    code = "store"
    exit_code = 5


class SchemaVersionError(StoreError):
    """The database was written by a newer or unknown version of the ctdx schema."""

    code = "schema_version"


class NotFoundError(CtdxError):
    """The thing does not exist, or the actor is not allowed to learn that it exists."""

    code = "not_found"
    exit_code = 6


class PermissionDenied(CtdxError):
    """The actor is not allowed to do this."""

    code = "permission_denied"
    exit_code = 7


class ConflictError(CtdxError):
    """The change contradicts the current state (a duplicate, a wrong status transition)."""

    code = "conflict"
    exit_code = 8


class ValidationError(CtdxError):
    """An argument is malformed."""

    code = "validation"
    exit_code = 9


class ConsentError(CtdxError):
    """The person has not consented to the purpose this action needs."""

    code = "consent_missing"
    exit_code = 10


class InputFileError(CtdxError):
    """A file cannot be read at all: empty, truncated, or not in the format its name says."""

    code = "input_file"
    exit_code = 11


__all__ = [
    "ConfigError",
    "ConflictError",
    "ConsentError",
    "CtdxError",
    "EncryptionKeyError",
    "InputFileError",
    "IntegrityError",
    "NotFoundError",
    "PermissionDenied",
    "SchemaVersionError",
    "StoreError",
    "ValidationError",
]
