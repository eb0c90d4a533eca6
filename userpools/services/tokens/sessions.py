"""Token sessions: refreshing (with rotation and reuse detection), revoking and listing.

Each sign-in starts a token session (``session_id``, :mod:`userpools.services.tokens.issue`):
its first refresh token and, with rotation, the ones that replaced it. ListUserSessions
lists sessions, and revocation (RevokeToken, GlobalSignOut, RevokeUserSession) and reuse
detection act on whole sessions; the ID and access tokens issued from a revoked session
are refused through their ``origin_jti`` (:mod:`userpools.services.tokens.verify`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from userpools.context import ServiceContext
from userpools.errors import (
    InvalidParameter,
    NotAuthorized,
    RefreshTokenReuse,
    ResourceNotFound,
    Unauthorized,
    UnsupportedOperation,
    UnsupportedTokenType,
)
from userpools.models import AppClient, RefreshToken, User
from userpools.services import users
from userpools.services.audit import audit_record
from userpools.services.clientauth import flow_allowed
from userpools.services.compiled import CompiledQuery
from userpools.services.pagination import paginate
from userpools.services.tokens import common
from userpools.services.tokens.common import DISABLED, INVALID_REFRESH, REVOKED_REFRESH, _hash
from userpools.services.tokens.issue import TokenSet, _caller, _jwts, _refresh_create

SESSIONS_PAGE_SIZE = 125  # SessionsListType's maximum


def _rotation(client: AppClient) -> dict[str, Any] | None:
    rotation = client.settings.get("RefreshTokenRotation") or {}
    return rotation if rotation.get("Feature") == "ENABLED" else None


def _within_grace(record: RefreshToken, rotation: dict[str, Any] | None, now: datetime) -> bool:
    """Whether a rotated-out token still works: RetryGracePeriodSeconds after its first
    rotation (retries never extend it); 0 (the default) means not at all."""
    assert record.rotated_at is not None
    grace = int((rotation or {}).get("RetryGracePeriodSeconds") or 0)
    return grace > 0 and now - record.rotated_at <= timedelta(seconds=grace)


def _locked(token_hash: str, *, with_user: bool = False) -> RefreshToken | None:
    """The refresh token with ``token_hash``, locked for this transaction together with its
    session's root row.

    Every writer of a session locks the root first (rows in primary-key order, and a root
    is older than the rest of its session), so writers of one session take turns and see
    each other's rows: a revocation cannot miss a replacement a concurrent rotation has
    just added, and two uses of one token cannot both rotate it as if first. Only the
    refresh tokens are locked (``of``), not the joined user.
    """
    rows = (_LOCKED_WITH_USER if with_user else _LOCKED).rows(token_hash=token_hash)
    return next((row for row in rows if row.token_hash == token_hash), None)


def _locked_query(*, with_user: bool) -> CompiledQuery:
    def build(token_hash: str) -> Any:
        # ``session_id = (subquery)`` (not ``IN``, not an OR across columns) keeps PostgreSQL on
        # the session_id index: the OR form was a sequential scan of every refresh token.
        session = RefreshToken.objects.filter(token_hash=token_hash).values("session_id")[:1]
        rows = (
            RefreshToken.objects.select_for_update(of=("self",))
            .filter(session_id=Subquery(session))
            .filter(Q(token_hash=token_hash) | Q(parent__isnull=True))
            .order_by("pk")
        )
        return rows.select_related("user") if with_user else rows

    return CompiledQuery(build, token_hash=RefreshToken._meta.get_field("token_hash"))


_LOCKED = _locked_query(with_user=False)
_LOCKED_WITH_USER = _locked_query(with_user=True)


def _session_revoke(session_id: str, now: datetime) -> int:
    """Revoke every token of a session whose root the caller has locked (:func:`_locked`)."""
    return RefreshToken.objects.filter(session_id=session_id, revoked_at__isnull=True).update(revoked_at=now)


_USED = CompiledQuery(
    lambda pk, now, last_ip, device_type: (
        RefreshToken.objects.filter(pk=pk),
        {"last_used_at": now, "last_ip": last_ip, "device_type": device_type},
    ),
    update=True,
    pk=RefreshToken._meta.pk,
    now=RefreshToken._meta.get_field("last_used_at"),
    last_ip=RefreshToken._meta.get_field("last_ip"),
    device_type=RefreshToken._meta.get_field("device_type"),
)
"""A refresh without rotation: the token's last use, IP address and device (ListUserSessions)."""

RefreshVia = Literal["REFRESH_TOKEN_AUTH", "GetTokensFromRefreshToken", "oauth2/token"]


def tokens_refresh(
    ctx: ServiceContext, *, client: AppClient, refresh_token: str, via: RefreshVia = "REFRESH_TOKEN_AUTH"
) -> TokenSet:
    """New ID and access tokens from a refresh token: InitiateAuth/AdminInitiateAuth with
    REFRESH_TOKEN_AUTH (``via`` its default; the caller has checked the client's flows) or
    GetTokensFromRefreshToken (``via="GetTokensFromRefreshToken"``).

    With the client's ``RefreshTokenRotation`` ENABLED, a new refresh token of the same
    session replaces the presented one, which then works only for
    ``RetryGracePeriodSeconds`` more (client retries; each retry gets a replacement of its
    own); later use raises RefreshTokenReuseException and revokes the whole session
    (RFC 9700 §4.14.2). A replacement keeps the session's expiry, so rotating never
    lengthens a session. Without rotation the result has no refresh token. Either way
    the session's last activity, IP address and device are updated (ListUserSessions).

    Rotation can only be completed with GetTokensFromRefreshToken (Developer Guide,
    "Refresh tokens": REFRESH_TOKEN_AUTH isn't compatible with refresh token rotation):
    REFRESH_TOKEN_AUTH on a rotating client is an InvalidParameterException, as is
    GetTokensFromRefreshToken on a client that neither rotates nor allows
    ALLOW_REFRESH_TOKEN_AUTH. The token endpoint's refresh_token grant (``via="oauth2/token"``)
    rotates like GetTokensFromRefreshToken and needs no ExplicitAuthFlows (they govern the API).

    Raises NotAuthorizedException ("Invalid Refresh Token": unknown, another client's or
    expired; "Refresh Token has been revoked"; "User is disabled.").
    """
    rotation = _rotation(client)
    if rotation is not None and via == "REFRESH_TOKEN_AUTH":
        raise InvalidParameter(
            "REFRESH_TOKEN_AUTH is not supported by clients with refresh token rotation; use GetTokensFromRefreshToken."
        )
    if rotation is None and via == "GetTokensFromRefreshToken" and not flow_allowed(client, "REFRESH_TOKEN_AUTH"):
        raise InvalidParameter("REFRESH_TOKEN_AUTH flow not enabled for this client")
    reused = False
    with transaction.atomic():
        record = _locked(_hash(refresh_token), with_user=True)
        now = common.now()  # after the lock: a wait must not look like an earlier use
        if record is None or record.client_id != client.pk or record.expires_at <= now:
            raise NotAuthorized(INVALID_REFRESH)
        if record.revoked_at is not None:
            raise NotAuthorized(REVOKED_REFRESH)
        user = record.user
        if not user.is_active:
            raise NotAuthorized(DISABLED)
        value: str | None = None
        origin_jti = record.origin_jti
        if record.rotated_at is not None and not _within_grace(record, rotation, now):
            _session_revoke(record.session_id, now)
            audit_record(
                ctx,
                "user.refresh_token_reuse",
                pool_id=user.pool_id,
                target=user.username,
                client=client.client_id,
                session=record.session_id,
            )
            reused = True
        elif rotation is not None:
            origin_jti, value = _refresh_create(
                ctx,
                user=user,
                client=client,
                auth_time=record.auth_time,
                now=now,
                scopes=list(record.scopes),
                expires_at=record.expires_at,
                parent=record,
            )
            if record.rotated_at is None:
                RefreshToken.objects.filter(pk=record.pk).update(rotated_at=now, last_used_at=now)
        else:
            _USED.execute(pk=record.pk, now=now, **_caller(ctx))
    if reused:  # after the atomic block, so the session's revocation is committed
        raise RefreshTokenReuse("Refresh token has been reused.")
    # A rotated-in token keeps its parent's auth_time, scopes and oauth.
    issued = _jwts(
        user=user,
        client=client,
        auth_time=record.auth_time,
        scopes=list(record.scopes),
        origin_jti=origin_jti,
        oauth=record.oauth,
    )
    return TokenSet(issued.id_token, issued.access_token, value, issued.expires_in)


# --- Revoking --------------------------------------------------------------------------------


def refresh_token_revoke(ctx: ServiceContext, *, client: AppClient, token: str) -> None:
    """RevokeToken and ``/oauth2/revoke``: revoke a refresh token, its session
    (the rotation chain it belongs to) and the ID and access tokens issued from them.

    Raises UnsupportedOperationException when the client has EnableTokenRevocation off,
    UnsupportedTokenTypeException for a JWT (only refresh tokens are revocable), and
    UnauthorizedException for another client's token. An unknown token is not an error
    (RFC 7009 §2.2: the client's goal, an unusable token, is met).
    """
    if not client.settings.get("EnableTokenRevocation", True):
        raise UnsupportedOperation("Token revocation is not enabled for this app client.")
    if token.count(".") == 2:
        raise UnsupportedTokenType("Only refresh tokens can be revoked.")
    with transaction.atomic():
        record = _locked(_hash(token))
        if record is None:
            return
        if record.client_id != client.pk:
            raise Unauthorized("The token was not issued to this client.")
        _session_revoke(record.session_id, common.now())
        audit_record(
            ctx,
            "user.refresh_token_revoke",
            pool_id=record.pool_id,
            target=str(record.user_id),
            client=client.client_id,
            session=record.session_id,
        )


def token_session_of(refresh_token: str) -> str | None:
    """The token session (sign-in) ``refresh_token`` belongs to, if it is one of ours."""
    return RefreshToken.objects.filter(token_hash=_hash(refresh_token)).values_list("session_id", flat=True).first()


def token_session_revoke(ctx: ServiceContext, *, session_id: str, reason: str) -> None:
    """Revoke a whole token session and the ID and access tokens issued from it (an
    authorization code used twice: RFC 6749 §4.1.2)."""
    with transaction.atomic():
        root = RefreshToken.objects.filter(session_id=session_id, parent__isnull=True).values("token_hash").first()
        if root is None:
            return
        record = _locked(root["token_hash"], with_user=True)
        if record is None:
            return
        _session_revoke(session_id, common.now())
        audit_record(
            ctx,
            "user.token_session_revoke",
            pool_id=record.pool_id,
            target=record.user.username,
            session=session_id,
            reason=reason,
        )


def user_global_sign_out(ctx: ServiceContext, *, user: User) -> None:
    """GlobalSignOut / AdminUserGlobalSignOut: revoke every refresh token of the user and
    refuse the ID and access tokens issued until now."""
    with transaction.atomic():
        # The sessions' roots first (see _locked): a rotation under way finishes before the
        # revocation below, which then sees its new refresh token.
        list(
            RefreshToken.objects.select_for_update()
            .filter(user=user, parent__isnull=True, revoked_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        now = common.now()
        RefreshToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
        User.objects.filter(pk=user.pk).update(tokens_valid_after=now)
        audit_record(ctx, "user.global_sign_out", pool_id=user.pool_id, target=user.username)
    user.tokens_valid_after = now


def user_admin_global_sign_out(ctx: ServiceContext, *, pool_id: str, username: str) -> None:
    """AdminUserGlobalSignOut. Raises ResourceNotFoundException, UserNotFoundException."""
    user_global_sign_out(ctx, user=users.user_get(pool_id, username))


# --- Sessions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserSession:
    """One token session (a sign-in and its refreshes) as ListUserSessions describes it."""

    session_id: str
    client_id: str
    created_at: datetime
    last_active_at: datetime
    last_ip: str
    device_type: str
    is_current: bool


@dataclass(frozen=True)
class SessionPage:
    sessions: list[UserSession]
    next_token: str | None


def _sessions(user: User, *, now: datetime, current_origin_jti: str | None, next_token: str | None) -> SessionPage:
    """The user's active (not revoked, not expired) token sessions, oldest first, by their
    root rows; the latest activity, IP address and device are the session's most recently
    used or issued token's. One query."""
    tokens = RefreshToken.objects.filter(session_id=OuterRef("session_id"))
    latest = tokens.annotate(activity=Coalesce("last_used_at", "created_at")).order_by("-activity", "-pk")
    roots = RefreshToken.objects.filter(
        user=user, parent__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).annotate(
        client_key=F("client__client_id"),
        last_active=Subquery(latest.values("activity")[:1]),
        latest_ip=Subquery(latest.values("last_ip")[:1]),
        latest_device=Subquery(latest.values("device_type")[:1]),
        is_current=Exists(tokens.filter(origin_jti=current_origin_jti or "")),
    )
    page = paginate(roots, order=("created_at", "session_id"), limit=SESSIONS_PAGE_SIZE, token=next_token)
    return SessionPage(
        [
            UserSession(
                session_id=row.session_id,
                client_id=row.client_key,
                created_at=row.created_at,
                last_active_at=row.last_active or row.created_at,
                last_ip=row.latest_ip or "",
                device_type=row.latest_device or "",
                is_current=bool(current_origin_jti) and row.is_current,
            )
            for row in page.items
        ],
        page.next_token,
    )


def user_sessions_list(
    *,
    user: User,
    current_origin_jti: str | None = None,
    next_token: str | None = None,
) -> SessionPage:
    """ListUserSessions: the signed-in user's active sessions across all app clients, up to
    125 a page (SessionsListType), ``NextToken`` for the rest. ``current_origin_jti`` is
    the calling access token's ``origin_jti``: its session has ``is_current``.

    Only token sessions are listed, not the hosted pages' sign-on sessions. Raises
    InvalidParameterException for a NextToken this listing did not issue.
    """
    return _sessions(user, now=common.now(), current_origin_jti=current_origin_jti, next_token=next_token)


def user_admin_sessions_list(*, pool_id: str, username: str, next_token: str | None = None) -> SessionPage:
    """AdminListUserSessions: as :func:`user_sessions_list`, none of them current.

    Cognito answers in one page because it keeps at most 100 sessions a user; Cognate has
    no such limit, so a user with more than 125 active sessions gets a NextToken here too.
    Raises ResourceNotFoundException (pool), UserNotFoundException.
    """
    user = users.user_get(pool_id, username)
    return _sessions(user, now=common.now(), current_origin_jti=None, next_token=next_token)


def user_session_revoke(
    ctx: ServiceContext,
    *,
    user: User,
    session_id: str,
    current_origin_jti: str | None = None,
    revoke_associated: str = "NONE",
) -> None:
    """RevokeUserSession / AdminRevokeUserSession: revoke every refresh token of one of the
    user's sessions, and thereby the ID and access tokens issued from them.

    ``current_origin_jti`` is the calling access token's (RevokeUserSession): its own
    session can't be revoked this way (InvalidParameterException; GlobalSignOut and
    RevokeToken can). An unknown, revoked or expired session, or another user's, is a
    ResourceNotFoundException. ``revoke_associated`` LINKED would also revoke the SSO
    session a token session came through; token sessions are not linked to the hosted
    pages' sign-on sessions, so it is accepted and has no further effect.
    """
    if (
        current_origin_jti
        and RefreshToken.objects.filter(origin_jti=current_origin_jti, session_id=session_id).exists()
    ):
        raise InvalidParameter(
            "The session of the access token in the request can't be revoked with "
            "RevokeUserSession; use GlobalSignOut or RevokeToken."
        )
    with transaction.atomic():
        root = (
            RefreshToken.objects.select_for_update()
            .filter(user=user, session_id=session_id, parent__isnull=True)
            .only("pk", "revoked_at", "expires_at")
            .first()
        )
        now = common.now()
        if root is None or root.revoked_at is not None or root.expires_at <= now:
            raise ResourceNotFound(f"Session {session_id} does not exist.")
        _session_revoke(session_id, now)
        audit_record(
            ctx,
            "user.session_revoke",
            pool_id=user.pool_id,
            target=user.username,
            session=session_id,
            associated=revoke_associated,
        )


def user_admin_session_revoke(
    ctx: ServiceContext, *, pool_id: str, username: str, session_id: str, revoke_associated: str = "NONE"
) -> None:
    """AdminRevokeUserSession: :func:`user_session_revoke` for the user ``username`` names
    (the session must be theirs). Raises ResourceNotFoundException, UserNotFoundException."""
    user_session_revoke(
        ctx, user=users.user_get(pool_id, username), session_id=session_id, revoke_associated=revoke_associated
    )
