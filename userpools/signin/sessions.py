"""Challenge sessions: the :class:`~userpools.models.AuthSession` rows behind the opaque
``Session`` strings a sign-in hands out between its steps.

A session is stored only as a SHA-256 hash, expires after the client's
``AuthSessionValidity`` minutes and is spent by the answer that completes its step. A
hosted sign-in's sessions start with :data:`HOSTED_SESSION_PREFIX`; only the hosted pages
answer them, and they answer no other. Session errors carry a machine-readable reason
(:class:`~userpools.errors.ErrorReason`) for the protocol layers to branch on.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.utils import timezone

from userpools.errors import ErrorReason, NotAuthorized
from userpools.models import AppClient, AuthSession, User
from userpools.services.compiled import CompiledQuery
from userpools.signin.state import SESSION_EXPIRED, SESSION_INVALID, SignIn

DEFAULT_SESSION_MINUTES = 3
SESSION_BYTES = 48  # 64 URL-safe characters; botocore refuses a Session under 20
HOSTED_SESSION_PREFIX = "hosted."  # "." is not in the URL-safe alphabet of other sessions


def invalid() -> NotAuthorized:
    return NotAuthorized(SESSION_INVALID, reason=ErrorReason.SESSION_INVALID)


def expired() -> NotAuthorized:
    return NotAuthorized(SESSION_EXPIRED, reason=ErrorReason.SESSION_EXPIRED)


def digest(token: str) -> str:
    """How sessions (and, in the token service, refresh tokens) are stored: SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def session_validity(client: AppClient) -> timedelta:
    return timedelta(minutes=int(client.settings.get("AuthSessionValidity") or DEFAULT_SESSION_MINUTES))


def session_open(
    client: AppClient, user: User | None, challenge: str, state: dict[str, Any], token: str | None = None
) -> str:
    """Store a new challenge session and return its token (made here unless given)."""
    token = token or (HOSTED_SESSION_PREFIX if state.get("hosted") else "") + secrets.token_urlsafe(SESSION_BYTES)
    AuthSession.objects.create(
        token_hash=digest(token),
        pool=client.pool,
        client=client,
        user=user,
        challenge=challenge,
        state=state,
        expires_at=timezone.now() + session_validity(client),
    )
    return token


def session_start(sign_in: SignIn, challenge: str) -> str:
    """The session of ``sign_in``'s next challenge, keeping what the sign-in carries."""
    return session_open(sign_in.client, sign_in.user, challenge, sign_in.persisted())


_SESSION_WITH_USER = CompiledQuery(
    lambda token_hash: AuthSession.objects.select_related("user").filter(token_hash=token_hash).order_by("pk")[:1],
    token_hash=AuthSession._meta.get_field("token_hash"),
)
_SPENDERS: dict[frozenset[str], CompiledQuery] = {}


def _spender(challenges: frozenset[str]) -> CompiledQuery:
    """The conditional UPDATE that spends a live session at one of ``challenges`` (a
    constant of the caller's, so one compiled query each)."""
    spender = _SPENDERS.get(challenges)
    if spender is None:
        spender = _SPENDERS[challenges] = CompiledQuery(
            lambda token_hash, client_id, now: (
                AuthSession.objects.filter(
                    token_hash=token_hash,
                    client_id=client_id,
                    challenge__in=sorted(challenges),
                    used_at__isnull=True,
                    expires_at__gt=now,
                ),
                {"used_at": now},
            ),
            update=True,
            token_hash=AuthSession._meta.get_field("token_hash"),
            client_id=AuthSession._meta.get_field("client"),
            now=AuthSession._meta.get_field("used_at"),
        )
    return spender


def session_spend(token: str | None, client: AppClient, challenges: frozenset[str]) -> AuthSession:
    """Spend the live session ``token`` names for ``client`` at one of ``challenges`` and return
    it. Spending is one conditional UPDATE, so of two concurrent answers only one gets it;
    a refused answer stays spent (a sign-in's first factor gets one try per challenge)."""
    if not token:
        raise invalid()
    now = timezone.now()
    hashed = digest(token)
    spent = _spender(challenges).execute(token_hash=hashed, client_id=client.pk, now=now)
    stored = _SESSION_WITH_USER.first(token_hash=hashed)
    if not spent or stored is None:
        if stored is not None and stored.used_at is None and stored.expires_at <= now and stored.client_id == client.pk:
            raise expired()
        raise invalid()
    return stored


def session_take(token: str | None, client: AppClient, *, anonymous: bool = False) -> AuthSession:
    """The live session ``token`` names for ``client``, row-locked; NotAuthorizedException
    otherwise. ``anonymous`` admits a session without a user (an unknown user's challenge)."""
    if not token:
        raise invalid()
    session = (
        AuthSession.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(token_hash=digest(token))
        .first()
    )
    if (
        session is None
        or session.used_at is not None
        or session.client_id != client.pk
        or (session.user is None and not anonymous)
    ):
        raise invalid()
    if session.expires_at <= timezone.now():
        raise expired()
    return session


def setup_session_take(token: str | None, challenge: str) -> AuthSession:
    """The live ``challenge`` (MFA_SETUP) session ``token`` names (any client), row-locked, user loaded."""
    if not token:
        raise invalid()
    stored = (
        AuthSession.objects.select_for_update(of=("self",))
        .select_related("user", "pool")
        .filter(token_hash=digest(token))
        .first()
    )
    if stored is None or stored.used_at is not None or stored.user is None or stored.challenge != challenge:
        raise invalid()
    if stored.expires_at <= timezone.now():
        raise expired()
    stored.user.pool = stored.pool
    return stored


def session_replace(stored: AuthSession, **state: Any) -> str:
    """Spend ``stored`` and open its successor at the same challenge, with ``state`` added."""
    stored.used_at = timezone.now()
    stored.save(update_fields=["used_at"])
    return session_open(stored.client, stored.user, stored.challenge, {**stored.state, **state})


def hosted_check(hosted: bool, *tokens: str | None) -> None:
    """A hosted sign-in's session is answered by the hosted pages only, and theirs by nothing
    else: the prefix is part of the hashed token, so it cannot be added or removed."""
    for token in tokens:
        if token and token.startswith(HOSTED_SESSION_PREFIX) != hosted:
            raise invalid()


def stored_state(token: str | None) -> dict[str, Any] | None:
    """The state of the session ``token`` names, whatever its status (None: no such session)."""
    return AuthSession.objects.filter(token_hash=digest(token or "")).values_list("state", flat=True).first()
