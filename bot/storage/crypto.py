"""Encryption at rest for held message bodies, excerpts and tokens (Fernet, with key rotation)."""

from __future__ import annotations

import base64
import binascii
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["HOW_TO_MAKE_A_KEY", "Cipher", "DecryptionError", "KeyFormatError"]

#: A Fernet key as ``quiet-hours keygen`` prints it: 32 random bytes, urlsafe base64 (44 chars).
_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}=")

#: How to make a proper key, said with every refusal.
HOW_TO_MAKE_A_KEY = (
    "make one with `quiet-hours keygen` (or `quiet-hours init`, which writes it to .env)"
)


class DecryptionError(Exception):
    """A stored value could not be decrypted: wrong key(s) or tampered data."""


class KeyFormatError(ValueError):
    """An entry of ``QUIET_HOURS_SECRET_KEY`` is not a key; the message says how to make one."""


def _fernet_key(part: str, position: int) -> bytes:
    """One entry of the secret, checked to be a key of 32 random bytes in urlsafe base64.

    Anything else is refused rather than stretched: a passphrase through a fast hash with a fixed
    salt is only as strong as a guess at it.

    Raises:
        KeyFormatError: the entry is not such a key (the message never echoes it).
    """
    raw = part.encode("ascii", errors="replace")
    try:
        # strict: a lenient decode would drop stray characters and mistake a passphrase for a key
        if _KEY_SHAPE.fullmatch(part) and len(base64.urlsafe_b64decode(raw)) == 32:
            return raw
    except (binascii.Error, ValueError):
        pass
    # never echo the key itself, only where it is and what is wrong with it
    raise KeyFormatError(
        f"key #{position} in QUIET_HOURS_SECRET_KEY is not a key (it must be 32 random bytes in "
        f"urlsafe base64, 44 characters; passphrases are not accepted): {HOW_TO_MAKE_A_KEY}"
    )


class Cipher:
    """Encrypts with the first key and decrypts with any of them, so keys can be rotated."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("a Cipher needs at least one key")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    @classmethod
    def from_secret(cls, secret: str) -> Cipher:
        """Keys from a comma-separated secret (``QUIET_HOURS_SECRET_KEY``); the first encrypts.

        Raises:
            KeyFormatError: the secret is empty, has an empty entry, or an entry is not a key.
        """
        parts = [part.strip() for part in secret.split(",")]
        if not any(parts):
            raise KeyFormatError(f"QUIET_HOURS_SECRET_KEY is empty: {HOW_TO_MAKE_A_KEY}")
        if not all(parts):
            raise KeyFormatError(
                "QUIET_HOURS_SECRET_KEY has an empty entry: separate keys with single commas"
            )
        return cls([_fernet_key(part, position) for position, part in enumerate(parts, 1)])

    @staticmethod
    def generate_key() -> str:
        """A new random key, suitable for ``QUIET_HOURS_SECRET_KEY``."""
        return Fernet.generate_key().decode("ascii")

    def encrypt(self, text: str) -> bytes:
        return self._fernet.encrypt(text.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        try:
            return self._fernet.decrypt(bytes(token)).decode("utf-8")
        except (InvalidToken, UnicodeDecodeError, TypeError):
            raise DecryptionError(
                "stored value could not be decrypted: wrong QUIET_HOURS_SECRET_KEY or tampered data"
            ) from None

    def rotate(self, token: bytes) -> bytes:
        """The same plaintext, re-encrypted with the first key."""
        try:
            return self._fernet.rotate(bytes(token))
        except (InvalidToken, TypeError):
            raise DecryptionError(
                "stored value could not be re-encrypted: none of the keys in "
                "QUIET_HOURS_SECRET_KEY opens it"
            ) from None
