"""Password hashing with argon2id (argon2-cffi) and the password policy.

Parameters: m=19 MiB, t=2, p=1, the OWASP Password Storage Cheat Sheet's first argon2id configuration; RFC
9106's low-memory profile (64 MiB, t=3, p=4) costs seconds on a busy two-core field-office laptop, which
turns the sign-in page into a denial-of-service lever. Hashes made with other parameters are re-hashed at the
next sign-in.

The policy follows NIST SP 800-63B section 5.1.1.2: at least 12 characters, no composition rules, and a
check against the most common passwords is left to the organisation's admin (no list is shipped).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ctdx.errors import ValidationError

MIN_LENGTH = 12
MAX_LENGTH = 256
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when a user does not exist, so that a wrong name costs as much time as a wrong password.
_DUMMY_HASH = HASHER.hash("ctdx-no-such-user-password")


def check_policy(password: str) -> None:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise ValidationError(f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters", field="password")


def hash_password(password: str) -> str:
    check_policy(password)
    return HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (an argon2id hash); ``None`` burns the same time and fails."""
    try:
        return HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return HASHER.check_needs_rehash(stored)
