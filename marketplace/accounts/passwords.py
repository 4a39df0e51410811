"""Password hashing with argon2id at RFC 9106's low-memory profile (above OWASP's minimum)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4

MIN_LENGTH = 10
MAX_LENGTH = 256

# A dummy hash to verify against when the e-mail is unknown, so both paths take the same time.
_DUMMY_HASH = _hasher.hash("not a real password, only here for timing")


def hash_password(password: str) -> str:
    """Return an argon2id hash of `password` (with its parameters and salt) to store."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Tell whether `password` matches `password_hash`; with no hash a dummy one is checked, so both take as long."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Tell whether `password_hash` was made with weaker parameters than the current ones (then hash the password again)."""
    return _hasher.check_needs_rehash(password_hash)
