"""Cognate's own settings, read through one accessor with defaults (like DRF's api_settings)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

_DEFAULTS = {
    "PUBLIC_URL": "http://127.0.0.1:8000",
    "REGION": "us-east-1",
    "ACCOUNT_ID": "000000000000",
    "ENCRYPTION_KEYS": [],
    "DOMAIN_SUFFIX": "auth.localhost",
    "MAX_CLOCK_SKEW_SECONDS": 300,
}


@dataclass(frozen=True)
class CognateSettings:
    PUBLIC_URL: str
    REGION: str
    ACCOUNT_ID: str
    ENCRYPTION_KEYS: list[str]
    DOMAIN_SUFFIX: str
    MAX_CLOCK_SKEW_SECONDS: int


def cognate_settings() -> CognateSettings:
    """The ``COGNATE`` setting merged over the defaults; read each call so tests can override."""
    merged = {**_DEFAULTS, **getattr(settings, "COGNATE", {})}
    return CognateSettings(**{k: merged[k] for k in _DEFAULTS})
