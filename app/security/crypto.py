"""Meta access tokens are stored encrypted (Fernet: AES-128-CBC + HMAC) with TOKEN_ENCRYPTION_KEY."""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken

from app.config import get_settings


@lru_cache
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


def encrypt_secret(plaintext: str) -> str:
    key = get_settings().token_encryption_key.get_secret_value()
    return _fernet(key).encrypt(plaintext.encode()).decode()


def decrypt_secret(ciphertext: str) -> str | None:
    """None when the ciphertext was made with another key (the account must be reconnected)."""
    key = get_settings().token_encryption_key.get_secret_value()
    try:
        return _fernet(key).decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        return None
