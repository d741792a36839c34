"""Encryption at rest: round trips, passphrases, rotation, and failures that say so."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.storage.crypto import Cipher, DecryptionError


def test_round_trip_and_ciphertext_hides_the_text() -> None:
    cipher = Cipher.from_secret(Cipher.generate_key())
    token = cipher.encrypt("Kan du se på kontrakten i kveld?")
    assert b"kontrakten" not in token
    assert cipher.decrypt(token) == "Kan du se på kontrakten i kveld?"


def test_passphrases_are_accepted_and_stable() -> None:
    first = Cipher.from_secret("correct horse battery staple")
    second = Cipher.from_secret("correct horse battery staple")
    assert second.decrypt(first.encrypt("hei")) == "hei"


@pytest.mark.parametrize("secret", ["", "   ", ",", "short"])
def test_missing_or_weak_secrets_are_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="QUIET_HOURS_SECRET_KEY"):
        Cipher.from_secret(secret)


def test_wrong_key_and_tampering_raise_our_error() -> None:
    cipher = Cipher.from_secret(Cipher.generate_key())
    other = Cipher.from_secret(Cipher.generate_key())
    token = cipher.encrypt("secret plans")
    with pytest.raises(DecryptionError):
        other.decrypt(token)
    tampered = token[:-5] + (b"A" if token[-5:-4] != b"A" else b"B") + token[-4:]
    with pytest.raises(DecryptionError):
        cipher.decrypt(tampered)
    with pytest.raises(DecryptionError):
        cipher.decrypt(b"not a token at all")


def test_rotation_old_key_decrypts_new_key_encrypts() -> None:
    old_key, new_key = Cipher.generate_key(), Cipher.generate_key()
    old = Cipher.from_secret(old_key)
    token = old.encrypt("held over the weekend")
    both = Cipher.from_secret(f"{new_key},{old_key}")
    assert both.decrypt(token) == "held over the weekend"
    rotated = both.rotate(token)
    assert Cipher.from_secret(new_key).decrypt(rotated) == "held over the weekend"
    with pytest.raises(DecryptionError):
        old.decrypt(rotated)


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_any_text_round_trips(text: str) -> None:
    cipher = Cipher.from_secret("a passphrase that is long enough")
    assert cipher.decrypt(cipher.encrypt(text)) == text
