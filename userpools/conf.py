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
    # Origins accepted for passkeys besides the relying party's own (userpools.services.passkeys).
    "WEBAUTHN_EXTRA_ORIGINS": [],
    # Identity pools: where logins from social providers are verified (identity.services.logins).
    "GOOGLE_JWKS_URL": "https://www.googleapis.com/oauth2/v3/certs",
    "APPLE_JWKS_URL": "https://appleid.apple.com/auth/keys",
    "FACEBOOK_DEBUG_TOKEN_URL": "https://graph.facebook.com/debug_token",
    "FACEBOOK_APP_ACCESS_TOKEN": "",
    "AMAZON_TOKENINFO_URL": "https://api.amazon.com/auth/o2/tokeninfo",
    "IDENTITY_PROVIDER_TIMEOUT_SECONDS": 10,
    # Custom domains' verification (userpools.services.domains): the DNS servers asked for the
    # _cognate-challenge TXT record, as "host" or "host:port" (empty: the system's resolver).
    "DOMAIN_VERIFICATION_NAMESERVERS": [],
    "DOMAIN_VERIFICATION_TIMEOUT_SECONDS": 5,
}


@dataclass(frozen=True)
class CognateSettings:
    PUBLIC_URL: str
    REGION: str
    ACCOUNT_ID: str
    ENCRYPTION_KEYS: list[str]
    DOMAIN_SUFFIX: str
    MAX_CLOCK_SKEW_SECONDS: int
    WEBAUTHN_EXTRA_ORIGINS: list[str]
    GOOGLE_JWKS_URL: str
    APPLE_JWKS_URL: str
    FACEBOOK_DEBUG_TOKEN_URL: str
    FACEBOOK_APP_ACCESS_TOKEN: str
    AMAZON_TOKENINFO_URL: str
    IDENTITY_PROVIDER_TIMEOUT_SECONDS: int
    DOMAIN_VERIFICATION_NAMESERVERS: list[str]
    DOMAIN_VERIFICATION_TIMEOUT_SECONDS: int


def cognate_settings() -> CognateSettings:
    """The ``COGNATE`` setting merged over the defaults; read each call so tests can override."""
    merged = {**_DEFAULTS, **getattr(settings, "COGNATE", {})}
    return CognateSettings(**{k: merged[k] for k in _DEFAULTS})
