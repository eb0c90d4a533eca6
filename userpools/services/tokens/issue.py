"""Issuing tokens: RS256 ID and access JWTs and opaque refresh tokens.

* Claim sets follow Cognito's ID and access tokens (Developer Guide, "Understanding the
  identity (ID) token" / "... access token"); the pool's current signer
  (:mod:`userpools.services.tokens.keys`) signs them.
* Refresh tokens are opaque random strings stored as SHA-256 hashes. Each
  :class:`RefreshToken` has an ``origin_jti`` that every ID/access token issued from it
  carries, so revoking it (:mod:`userpools.services.tokens.sessions`) revokes them too.
* Each sign-in starts a token session (``session_id``): its first refresh token and,
  with rotation, the ones that replaced it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt

from userpools.context import ServiceContext
from userpools.models import AppClient, GroupMembership, RefreshToken, User, UserGroup
from userpools.services import users
from userpools.services.audit import audit_record, audit_row
from userpools.services.clients import token_validity
from userpools.services.compiled import CompiledInsert, CompiledQuery, rows_insert
from userpools.services.tokens import common
from userpools.services.tokens.common import ADMIN_SCOPE, ALGORITHM, OPENID_SCOPE, _hash
from userpools.services.tokens.discovery import issuer
from userpools.services.tokens.keys import _signer

SESSION_PREFIX = "tkn"  # SessionIdType: (tkn|sso)[a-z0-9]{25}
_SESSION_ALPHABET = string.ascii_lowercase + string.digits


@dataclass(frozen=True)
class TokenSet:
    id_token: str | None  # None: an OAuth sign-in without the openid scope, or client credentials
    access_token: str
    refresh_token: str | None
    expires_in: int  # access token lifetime, seconds

    def authentication_result(self) -> dict[str, Any]:
        """Cognito's AuthenticationResultType."""
        out: dict[str, Any] = {"AccessToken": self.access_token, "ExpiresIn": self.expires_in, "TokenType": "Bearer"}
        if self.refresh_token is not None:
            out["RefreshToken"] = self.refresh_token
        if self.id_token is not None:
            out["IdToken"] = self.id_token
        return out

    def oauth_response(self) -> dict[str, Any]:
        """The token endpoint's JSON body (RFC 6749 §5.1), as Cognito's ``/oauth2/token`` sends it."""
        out: dict[str, Any] = {"access_token": self.access_token}
        if self.id_token is not None:
            out["id_token"] = self.id_token
        if self.refresh_token is not None:
            out["refresh_token"] = self.refresh_token
        out.update({"token_type": "Bearer", "expires_in": self.expires_in})
        return out


_OWNER = CompiledQuery(
    lambda token_hash: RefreshToken.objects.select_related("user").filter(token_hash=token_hash).order_by("pk")[:1],
    token_hash=RefreshToken._meta.get_field("token_hash"),
)


def refresh_token_owner(refresh_token: str) -> User | None:
    """Who holds ``refresh_token``, if it is one of ours (revoked or not)."""
    row = _OWNER.first(token_hash=_hash(refresh_token))
    return row.user if row is not None else None


def _new_refresh_value() -> str:
    return secrets.token_urlsafe(72)  # 96 characters


_GROUPS = CompiledQuery(
    lambda user_id: UserGroup.objects.filter(memberships__user_id=user_id).only("name", "role_arn", "precedence"),
    user_id=GroupMembership._meta.get_field("user"),
)


def _groups(user: User) -> list[UserGroup]:
    """The user's groups by precedence, lower first (no precedence last), then by name."""
    groups = _GROUPS.rows(user_id=user.pk)
    groups.sort(key=lambda g: (g.precedence is None, g.precedence or 0, g.name))
    return groups


def _id_attributes(user: User, client: AppClient) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attribute in users.attributes_list(user, client=client, developer=False):
        name, value = attribute["Name"], attribute["Value"]
        if name in users.VERIFIED_FLAG.values():
            out[name] = value == "true"
        else:
            out[name] = value
    return out


def _sign(pool_id: str, claims: dict[str, Any]) -> str:
    signer = _signer(pool_id)
    return jwt.encode(claims, signer.key, algorithm=ALGORITHM, headers={"kid": signer.kid})


def at_hash(access_token: str) -> str:
    """OpenID Connect Core 1.0 §3.1.3.6: the left half of the access token's SHA-256, base64url."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def _jwts(
    *,
    user: User,
    client: AppClient,
    auth_time: datetime,
    scopes: list[str],
    origin_jti: str,
    oauth: bool = False,
    nonce: str | None = None,
) -> TokenSet:
    """ID and access JWTs. ``oauth`` (the token endpoint's): the ID token only with the
    openid scope, and with ``at_hash`` (and ``nonce`` when the authorization request had one)."""
    now = common.now()
    iat = int(now.timestamp())
    settings = client.settings
    access_lifetime = int(token_validity(settings, "AccessToken").total_seconds())
    id_lifetime = int(token_validity(settings, "IdToken").total_seconds())
    event_id = str(uuid.uuid4())
    groups = _groups(user)
    group_names = [g.name for g in groups]
    shared = {"sub": str(user.sub), "iss": issuer(user.pool_id), "origin_jti": origin_jti, "event_id": event_id}

    id_claims: dict[str, Any] = {**shared}
    if group_names:
        id_claims["cognito:groups"] = group_names
        roles = [g.role_arn for g in groups if g.role_arn]
        if roles:
            id_claims["cognito:preferred_role"] = roles[0]
            id_claims["cognito:roles"] = roles
    id_claims.update(_id_attributes(user, client))
    id_claims.update(
        {
            "sub": str(user.sub),
            "aud": client.client_id,
            "token_use": "id",
            "auth_time": int(auth_time.timestamp()),
            "cognito:username": user.username,
            "exp": iat + id_lifetime,
            "iat": iat,
            "jti": str(uuid.uuid4()),
        }
    )

    access_claims: dict[str, Any] = {**shared}
    if group_names:
        access_claims["cognito:groups"] = group_names
    access_claims.update(
        {
            "client_id": client.client_id,
            "token_use": "access",
            "scope": " ".join(scopes),
            "auth_time": int(auth_time.timestamp()),
            "exp": iat + access_lifetime,
            "iat": iat,
            "jti": str(uuid.uuid4()),
            "username": user.username,
            "version": 2,  # Cognito's access token format version
        }
    )
    access_token = _sign(user.pool_id, access_claims)
    id_token: str | None = None
    if not oauth or OPENID_SCOPE in scopes:
        if oauth:
            id_claims["at_hash"] = at_hash(access_token)
            if nonce:
                id_claims["nonce"] = nonce
        id_token = _sign(user.pool_id, id_claims)
    return TokenSet(id_token=id_token, access_token=access_token, refresh_token=None, expires_in=access_lifetime)


def _new_session_id() -> str:
    """Cognito's SessionIdType for a token session: ``tkn`` and 25 lowercase alphanumerics."""
    # One random number read as 25 base-36 digits: each digit is uniform and independent, as
    # 25 separate choices would be, for one read of the system's random source instead of 25.
    number = secrets.randbelow(len(_SESSION_ALPHABET) ** 25)
    digits = []
    for _ in range(25):
        number, digit = divmod(number, len(_SESSION_ALPHABET))
        digits.append(_SESSION_ALPHABET[digit])
    return SESSION_PREFIX + "".join(digits)


# (substring, name), first match wins: browsers name the engines they imitate, so the
# imitators come first; iOS user agents mention Mac OS X, Android ones Linux.
_APPS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("aws-cli/", "AWS CLI"),
    ("Boto3/", "Boto3"),
    ("aws-amplify", "Amplify"),
    ("aws-sdk-", "AWS SDK"),
    ("Botocore/", "Botocore"),
)
_SYSTEMS = (
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("os/windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("os/macos", "macOS"),
    ("Linux", "Linux"),
    ("os/linux", "Linux"),
)


def _device_type(user_agent: str | None) -> str:
    """A short description of the caller's device from its User-Agent ("Chrome on Windows",
    "Boto3 on Linux"); the agent's first product name when neither part is known."""
    if not user_agent:
        return ""
    app = next((name for token, name in _APPS if token in user_agent), None)
    system = next((name for token, name in _SYSTEMS if token in user_agent), None)
    if app and system:
        return f"{app} on {system}"
    return (app or system or user_agent.split(" ", 1)[0].split("/", 1)[0])[:1024]


def _caller(ctx: ServiceContext) -> dict[str, str]:
    """The session-tracking columns a refresh token records about its caller."""
    return {"last_ip": (ctx.source_ip or "")[:128], "device_type": _device_type(ctx.user_agent)}


_REFRESH_INSERT = CompiledInsert(RefreshToken)


def _refresh_create(
    ctx: ServiceContext,
    *,
    user: User,
    client: AppClient,
    auth_time: datetime,
    scopes: list[str],
    expires_at: datetime,
    now: datetime,
    parent: RefreshToken | None = None,
    oauth: bool = False,
    audit: tuple[CompiledInsert, dict[str, Any]] | None = None,
) -> tuple[str, str]:
    """A new refresh token: a new session's first (``parent`` None), or ``parent``'s
    replacement; inserted with ``audit``'s row (:func:`audit_row`) in one statement. Its
    ``origin_jti`` and the token."""
    value = _new_refresh_value()
    row = {
        "pool_id": user.pool_id,
        "user": user,
        "client": client,
        "token_hash": _hash(value),
        "origin_jti": str(uuid.uuid4()),
        "session_id": parent.session_id if parent is not None else _new_session_id(),
        "parent": parent,
        "auth_time": auth_time,
        "scopes": scopes,
        "created_at": now,
        "expires_at": expires_at,
        "oauth": parent.oauth if parent is not None else oauth,
        **_caller(ctx),
    }
    rows_insert((_REFRESH_INSERT, row), *([audit] if audit is not None else []))
    return row["origin_jti"], value


def tokens_issue(
    ctx: ServiceContext,
    *,
    user: User,
    client: AppClient,
    auth_time: datetime | None = None,
    scopes: list[str] | None = None,
    oauth: bool = False,
    nonce: str | None = None,
    refresh: bool = True,
) -> TokenSet:
    """Tokens for a new sign-in of ``user`` through ``client``: a new token session whose
    refresh token is stored hashed and valid for the client's RefreshTokenValidity, and ID
    and access JWTs that carry its ``origin_jti``. The caller has authenticated the user;
    nothing is checked here. ``ctx``'s source IP and user agent are recorded for
    ListUserSessions.

    ``scopes`` defaults to ``aws.cognito.signin.user.admin`` (API sign-ins). ``oauth``: the
    OAuth 2.0 endpoints' tokens (the hosted pages): an ID token only with the openid scope,
    carrying ``at_hash`` and ``nonce``; ``refresh=False`` (the implicit grant) issues no
    refresh token and starts no session.
    """
    now = common.now()
    auth_time = auth_time or now
    scopes = list(scopes) if scopes is not None else [ADMIN_SCOPE]
    if not refresh:
        audit_record(ctx, "user.tokens_issue", pool_id=user.pool_id, target=user.username, client=client.client_id)
        return _jwts(
            user=user,
            client=client,
            auth_time=auth_time,
            scopes=scopes,
            origin_jti=str(uuid.uuid4()),
            oauth=oauth,
            nonce=nonce,
        )
    origin_jti, value = _refresh_create(
        ctx,
        user=user,
        client=client,
        auth_time=auth_time,
        scopes=scopes,
        now=now,
        expires_at=now + token_validity(client.settings, "RefreshToken"),
        oauth=oauth,
        audit=audit_row(ctx, "user.tokens_issue", pool_id=user.pool_id, target=user.username, client=client.client_id),
    )
    issued = _jwts(
        user=user, client=client, auth_time=auth_time, scopes=scopes, origin_jti=origin_jti, oauth=oauth, nonce=nonce
    )
    return TokenSet(issued.id_token, issued.access_token, value, issued.expires_in)


def tokens_issue_for_client(ctx: ServiceContext, *, client: AppClient, scopes: list[str]) -> TokenSet:
    """An access token for ``client`` itself (the client_credentials grant): ``sub`` and
    ``client_id`` are the client's id, ``scope`` the granted resource-server scopes; no ID
    or refresh token. The caller has authenticated the client and checked the scopes."""
    now = common.now()
    iat = int(now.timestamp())
    lifetime = int(token_validity(client.settings, "AccessToken").total_seconds())
    claims = {
        "sub": client.client_id,
        "token_use": "access",
        "scope": " ".join(scopes),
        "auth_time": iat,
        "iss": issuer(client.pool_id),
        "exp": iat + lifetime,
        "iat": iat,
        "version": 2,
        "jti": str(uuid.uuid4()),
        "client_id": client.client_id,
    }
    audit_record(ctx, "client.tokens_issue", pool_id=client.pool_id, target=client.client_id, scopes=scopes)
    return TokenSet(id_token=None, access_token=_sign(client.pool_id, claims), refresh_token=None, expires_in=lifetime)
