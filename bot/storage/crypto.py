"""Encryption at rest for held message bodies and platform tokens (Fernet, with key rotation)."""

from __future__ import annotations

import base64
import binascii

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["MIN_PASSPHRASE_LENGTH", "Cipher", "DecryptionError"]

#: Passphrases shorter than this are refused: they are too easy to guess.
MIN_PASSPHRASE_LENGTH = 16

# Fixed, public derivation parameters: a passphrase must map to the same key in every process.
_HKDF_SALT = b"quiet-hours/v1"
_HKDF_INFO = b"at-rest"


class DecryptionError(Exception):
    """A stored value could not be decrypted: wrong key(s) or tampered data."""


def _fernet_key(part: str, position: int) -> bytes:
    """One entry of the secret as a Fernet key: used as is if it is one, else derived with HKDF."""
    raw = part.encode("utf-8")
    try:
        # strict: a lenient decode would drop stray characters and mistake a passphrase for a key
        if len(base64.b64decode(raw, altchars=b"-_", validate=True)) == 32:
            return raw
    except (binascii.Error, ValueError):
        pass
    if len(part) < MIN_PASSPHRASE_LENGTH:
        # never echo the key itself, only where it is and what is wrong with it
        raise ValueError(
            f"key #{position} in QUIET_HOURS_SECRET_KEY is too short ({len(part)} characters): "
            f"use a key from `quiet-hours keygen` or a passphrase of at least "
            f"{MIN_PASSPHRASE_LENGTH} characters"
        )
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=_HKDF_INFO)
    return base64.urlsafe_b64encode(hkdf.derive(raw))


class Cipher:
    """Encrypts with the first key and decrypts with any of them, so keys can be rotated."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("a Cipher needs at least one key")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    @classmethod
    def from_secret(cls, secret: str) -> Cipher:
        """Keys from a comma-separated secret (``QUIET_HOURS_SECRET_KEY``); the first encrypts."""
        parts = [part.strip() for part in secret.split(",")]
        if not any(parts):
            raise ValueError(
                "QUIET_HOURS_SECRET_KEY is empty: generate a key with `quiet-hours keygen`"
            )
        if not all(parts):
            raise ValueError(
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
