"""Encryption at rest: round trips, proper keys only, rotation, and failures that say so."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.storage.crypto import Cipher, DecryptionError, KeyFormatError


def test_round_trip_and_ciphertext_hides_the_text() -> None:
    cipher = Cipher.from_secret(Cipher.generate_key())
    token = cipher.encrypt("Kan du se på kontrakten i kveld?")
    assert b"kontrakten" not in token
    assert cipher.decrypt(token) == "Kan du se på kontrakten i kveld?"


def test_a_key_from_keygen_is_stable_across_processes() -> None:
    key = Cipher.generate_key()
    assert Cipher.from_secret(key).decrypt(Cipher.from_secret(f" {key} ").encrypt("hei")) == "hei"


KEY = "_3v06R5Tp_XTMOLp1t40tpQKXCy2PvYgh-Bgk11-jwE="  # from `quiet-hours keygen`, tests only


@pytest.mark.parametrize(
    "secret",
    [
        "",
        "   ",
        ",",
        "short",
        # passphrases of any length: a fast hash with a fixed salt makes them guessable
        "correct horse battery staple",
        "sixteen-chars-ok",
        "a passphrase that is long enough and then some more words",
        KEY[:-1],  # truncated
        KEY[:-1] + "A",  # padding replaced
        KEY.replace("-", "+").replace("_", "/"),  # standard base64, not urlsafe
        base64.urlsafe_b64encode(b"x" * 16).decode(),  # 16 bytes: too small a key
        base64.urlsafe_b64encode(b"x" * 33).decode(),  # not 32 bytes
        f"{KEY},correct horse battery staple",  # a good key does not excuse a bad one
    ],
)
def test_anything_but_a_proper_key_is_refused_with_how_to_make_one(secret: str) -> None:
    with pytest.raises(KeyFormatError) as refused:
        Cipher.from_secret(secret)
    message = str(refused.value)
    assert "QUIET_HOURS_SECRET_KEY" in message
    assert "quiet-hours keygen" in message
    assert "\n" not in message  # one line
    for part in secret.split(","):
        if len(part.strip()) >= 8:
            assert part.strip() not in message  # never echoed


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_no_text_but_a_key_is_accepted(secret: str) -> None:
    """Property: whatever is typed, only 32 bytes in urlsafe base64 (per entry) gets through."""
    parts = [part.strip() for part in secret.split(",")]
    if not all(part and len(part) == 44 and part.isascii() for part in parts):
        with pytest.raises(KeyFormatError, match=r"^(QUIET_HOURS_SECRET_KEY|key #)"):
            Cipher.from_secret(secret)
        return
    try:
        cipher = Cipher.from_secret(secret)
    except KeyFormatError:
        return  # 44 characters that are not urlsafe base64 of 32 bytes
    for part in secret.split(","):
        assert len(base64.urlsafe_b64decode(part.strip().encode("ascii"))) == 32
    assert cipher.decrypt(cipher.encrypt("hei")) == "hei"


@settings(max_examples=50, deadline=None)
@given(st.binary(min_size=32, max_size=32))
def test_every_32_byte_key_in_urlsafe_base64_is_accepted(raw: bytes) -> None:
    key = base64.urlsafe_b64encode(raw).decode("ascii")
    assert Cipher.from_secret(key).decrypt(Cipher.from_secret(key).encrypt("hei")) == "hei"


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
    cipher = Cipher.from_secret(KEY)
    assert cipher.decrypt(cipher.encrypt(text)) == text
