"""Hashing and checking key persons' passwords: one Argon2 computation at a time, as long for unknown users.

Argon2's cost is memory on purpose: argon2-cffi's default parameters (RFC 9106's low-memory profile) fill
64 MiB for every hash and every check. Two key persons logging in at the same moment would add 64 MiB each
to the one process; one at a time bounds that at 64 MiB, at the price of a login waiting ~0.15 s (CPU
time on the same cores anyway) behind another.
"""

from __future__ import annotations

import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_ONE_AT_A_TIME = threading.Lock()
_hasher = PasswordHasher()

# Checked instead when the username is unknown, so that both cases take as long: an Argon2 hash with the
# default parameters of `PasswordHasher()` (a test keeps them equal), of a password nobody has. Written
# out rather than computed at import, which cost every start 0.15 s of CPU and 64 MiB at its peak.
DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$hcBn2du3mzxvhKUlJqtomg$lEx1FMntC5By21WAI8pBDzhx8P7Z2dzEu05M4H29D9w"
)


def hash_password(password: str) -> str:
    with _ONE_AT_A_TIME:
        return _hasher.hash(password)


def password_ok(stored: str | None, password: str) -> bool:
    """Whether `password` matches the `stored` hash; with none stored (an unknown or inactive person), the
    dummy hash is checked, so the answer takes as long either way."""
    try:
        with _ONE_AT_A_TIME:
            return _hasher.verify(stored or DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
