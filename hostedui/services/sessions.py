"""Browser sessions of the hosted pages: the ``cognito`` cookie.

A successful sign-in on a pool's pages starts a :class:`~hostedui.models.HostedSession`;
the cookie carries a random token, the row its SHA-256. While the session lives, the
authorize endpoint signs the browser in to any app client of the pool without a prompt
(single sign-on across the pool's clients, as Cognito's managed login does for an hour).
A session ends at ``/logout``, when it expires, and — stricter than Cognito, whose
cookie outlives a global sign-out — when the user is disabled or signed out everywhere
(``GlobalSignOut``, ``AdminUserGlobalSignOut``: ``tokens_valid_after``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from hostedui.models import HostedSession
from userpools.context import ServiceContext
from userpools.models import User, UserPool
from userpools.services.audit import audit_record

COOKIE_NAME = "cognito"
DEFAULT_SECONDS = 3600  # Cognito's managed login session: one hour


def lifetime() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "COGNATE_HOSTED_SESSION_SECONDS", DEFAULT_SECONDS)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def hosted_session_start(
    ctx: ServiceContext, *, user: User, auth_time: datetime, methods: list[str]
) -> tuple[HostedSession, str]:
    """A new browser session for ``user`` (who has just signed in): the row and the cookie value."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    session = HostedSession.objects.create(
        token_hash=_digest(token),
        pool_id=user.pool_id,
        user=user,
        auth_time=auth_time,
        methods=methods,
        expires_at=now + lifetime(),
        source_ip=(ctx.source_ip or "")[:128],
        user_agent=(ctx.user_agent or "")[:1024],
    )
    audit_record(ctx, "user.hosted_session_start", pool_id=user.pool_id, target=user.username)
    return session, token


def hosted_session_find(pool: UserPool, token: str | None) -> HostedSession | None:
    """The live session ``token`` (the cookie's value) names in ``pool``, its user loaded;
    None when there is none, it ended or expired, or its user may no longer sign in."""
    if not token or len(token) > 256:
        return None
    session = HostedSession.objects.select_related("user").filter(token_hash=_digest(token), pool=pool).first()
    if session is None or session.ended_at is not None or session.expires_at <= timezone.now():
        return None
    user = session.user
    if not user.is_active or user.status not in (User.Status.CONFIRMED, User.Status.EXTERNAL_PROVIDER):
        return None
    if user.tokens_valid_after is not None and session.created_at < user.tokens_valid_after:
        return None
    user.pool = pool
    return session


def hosted_session_end(ctx: ServiceContext, pool: UserPool, token: str | None) -> None:
    """End the session ``token`` names (``/logout``); nothing to do for an unknown one."""
    if not token or len(token) > 256:
        return
    ended = HostedSession.objects.filter(token_hash=_digest(token), pool=pool, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )
    if ended:
        audit_record(ctx, "user.hosted_session_end", pool_id=pool.id)


def hosted_sessions_purge(*, now: datetime | None = None) -> int:
    """Delete sessions that ended or expired a day ago (the hourly clean-up task)."""
    cutoff = (now or timezone.now()) - timedelta(days=1)
    deleted, _ = HostedSession.objects.filter(expires_at__lt=cutoff).delete()
    ended, _ = HostedSession.objects.filter(ended_at__lt=cutoff).delete()
    return deleted + ended
