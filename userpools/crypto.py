"""Secrets at rest (docs/architecture.md, decision 6): client secrets, signing keys, access-key secrets.

Fernet tokens under ``COGNATE_ENCRYPTION_KEYS`` (comma-separated, newest first: the
first encrypts, all decrypt, so keys rotate by prepending a new one and running
``manage.py rotate_encryption_keys``). Without configured keys, one key is derived
from ``SECRET_KEY`` with HKDF, which is enough for development and tests.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

from userpools.conf import cognate_settings


class DecryptionError(Exception):
    """No configured key decrypts the value (a key was removed too early)."""


def _derived_key(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"cognate-secrets-at-rest", info=b"fernet")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    material = [k.encode() for k in keys] if keys else [_derived_key(secret_key)]
    return MultiFernet([Fernet(k) for k in material])


def fernet() -> MultiFernet:
    return _fernet(tuple(cognate_settings().ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("no configured encryption key decrypts this value") from exc


def reencrypt(token: str) -> str:
    """Re-encrypt under the newest key (for rotation)."""
    return fernet().rotate(token.encode()).decode()


class EncryptedTextField(models.TextField):
    """A text column whose value is stored as a Fernet token and read back as plaintext."""

    def from_db_value(self, value, expression, connection):  # noqa: ARG002 - Django's signature
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
