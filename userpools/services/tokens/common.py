"""What every part of the token service shares: the scopes, the signing algorithm, the
answers it refuses tokens with, its clock and the refresh-token hash."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.utils import timezone

ADMIN_SCOPE = "aws.cognito.signin.user.admin"
OPENID_SCOPE = "openid"
ALGORITHM = "RS256"
# Cognito's longest ID/access token validity: a retired key is listed this long after retiring.
MAX_TOKEN_LIFETIME = timedelta(days=1)

INVALID_ACCESS = "Invalid Access Token"
EXPIRED_ACCESS = "Access Token has expired"
REVOKED_ACCESS = "Access Token has been revoked"
INVALID_REFRESH = "Invalid Refresh Token"
REVOKED_REFRESH = "Refresh Token has been revoked"
DISABLED = "User is disabled."


def now() -> datetime:
    """The one clock of the token service: every module of the package reads the time
    through ``common.now()``, so a test moves it with
    ``monkeypatch.setattr(tokens.common, "now", ...)``."""
    return timezone.now()


def _hash(token: str) -> str:
    """How a refresh token is stored and looked up: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
