"""Tokens: RS256 ID and access JWTs, opaque refresh tokens, signing keys (DESIGN.md decision 3).

* One JWT key set per pool (``SigningKey`` purpose ``jwt``), created on first issue. The
  newest unretired key signs; retired keys stay in the JWKS for :data:`MAX_TOKEN_LIFETIME`
  (Cognito's ceiling for ID and access tokens) so tokens they signed still verify.
* ``iss`` is ``{PUBLIC_URL}/{UserPoolId}``; claim sets follow Cognito's ID and access
  tokens (Developer Guide, "Understanding the identity (ID) token" / "... access token").
* Refresh tokens are opaque random strings stored as SHA-256 hashes. Each
  :class:`RefreshToken` has an ``origin_jti`` that every ID/access token issued from it
  carries, so revoking it (RevokeToken, GlobalSignOut, RevokeUserSession) revokes them too.
* Each sign-in starts a token session (``session_id``): its first refresh token and,
  with rotation, the ones that replaced it. ListUserSessions lists sessions, and
  revocation and reuse detection act on whole sessions.
* The loaded private key and the JWKS are cached in process memory: signing is on the
  hot path. Rotation drops this process's cache; other processes notice within
  :data:`CACHE_SECONDS`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
import string
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from userpools.conf import cognate_settings
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
from userpools.models import AppClient, GroupMembership, RefreshToken, SigningKey, User, UserGroup, UserPool
from userpools.services import users
from userpools.services.audit import audit_record, audit_row
from userpools.services.clientauth import client_load, flow_allowed
from userpools.services.clients import token_validity
from userpools.services.compiled import CompiledInsert, CompiledQuery, rows_insert
from userpools.services.pagination import paginate
from userpools.services.pools import user_pool_get
from userpools.services.signing import _new_key

ADMIN_SCOPE = "aws.cognito.signin.user.admin"
OPENID_SCOPE = "openid"
ALGORITHM = "RS256"
# Cognito's longest ID/access token validity: a retired key is listed this long after retiring.
MAX_TOKEN_LIFETIME = timedelta(days=1)
CACHE_SECONDS = 60.0

INVALID_ACCESS = "Invalid Access Token"
EXPIRED_ACCESS = "Access Token has expired"
REVOKED_ACCESS = "Access Token has been revoked"
INVALID_REFRESH = "Invalid Refresh Token"
REVOKED_REFRESH = "Refresh Token has been revoked"
DISABLED = "User is disabled."

SESSION_PREFIX = "tkn"  # SessionIdType: (tkn|sso)[a-z0-9]{25}; sso sessions arrive with the hosted UI
_SESSION_ALPHABET = string.ascii_lowercase + string.digits
SESSIONS_PAGE_SIZE = 125  # SessionsListType's maximum


def _now() -> datetime:
    """The one clock of this module (tests move it)."""
    return timezone.now()


# --- Keys ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Signer:
    kid: str
    key: rsa.RSAPrivateKey
    loaded: float


@dataclass(frozen=True)
class _Verifier:
    pool_id: str
    key: rsa.RSAPublicKey
    retired_at: datetime | None
    loaded: float


_lock = threading.Lock()
_signers: dict[str, _Signer] = {}
_verifiers: dict[str, _Verifier] = {}
_jwks: dict[str, tuple[float, dict[str, Any]]] = {}


def keys_cache_clear(pool_id: str | None = None) -> None:
    """Forget cached keys (all pools, or one): after rotation, and between tests."""
    with _lock:
        if pool_id is None:
            _signers.clear()
            _verifiers.clear()
            _jwks.clear()
            return
        _signers.pop(pool_id, None)
        _jwks.pop(pool_id, None)
        for kid in [k for k, v in _verifiers.items() if v.pool_id == pool_id]:
            del _verifiers[kid]


def _load_private(record: SigningKey) -> rsa.RSAPrivateKey:
    # Our own key, made here and stored encrypted: skipping OpenSSL's RSA consistency check
    # turns a 36 ms load (every process, every CACHE_SECONDS) into 0.02 ms.
    key = serialization.load_pem_private_key(record.private_key_pem.encode(), password=None,
                                             unsafe_skip_rsa_key_validation=True)  # fmt: skip
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def _fresh(loaded: float) -> bool:
    return time.monotonic() - loaded < CACHE_SECONDS


def _signer(pool_id: str) -> _Signer:
    cached = _signers.get(pool_id)
    if cached is not None and _fresh(cached.loaded):
        return cached
    record = SigningKey.objects.filter(pool_id=pool_id, purpose=SigningKey.Purpose.JWT, retired_at__isnull=True).first()
    if record is None:
        record = _create_first_key(pool_id)
    signer = _Signer(record.kid, _load_private(record), time.monotonic())
    with _lock:
        _signers[pool_id] = signer
    return signer


@transaction.atomic
def _create_first_key(pool_id: str) -> SigningKey:
    pool = user_pool_get(pool_id, lock=True)  # two first sign-ins must not make two signers
    existing = pool.signing_keys.filter(purpose=SigningKey.Purpose.JWT, retired_at__isnull=True).first()
    return existing or _new_key(pool, SigningKey.Purpose.JWT)


def _listed(retired_at: datetime | None, now: datetime) -> bool:
    return retired_at is None or retired_at + MAX_TOKEN_LIFETIME > now


def _verifier(kid: str) -> _Verifier | None:
    cached = _verifiers.get(kid)
    if cached is not None and _fresh(cached.loaded):
        return cached
    record = SigningKey.objects.filter(kid=kid, purpose=SigningKey.Purpose.JWT).first()
    if record is None:
        return None
    verifier = _Verifier(record.pool_id, _load_private(record).public_key(), record.retired_at, time.monotonic())
    with _lock:
        _verifiers[kid] = verifier
    return verifier


def signing_keys_rotate(ctx: ServiceContext, *, pool_id: str) -> SigningKey:
    """Make a new JWT signing key the pool's signer; the old ones retire but stay in the
    JWKS until tokens they signed have expired (:data:`MAX_TOKEN_LIFETIME`)."""
    with transaction.atomic():
        pool = user_pool_get(pool_id, lock=True)
        now = _now()
        pool.signing_keys.filter(purpose=SigningKey.Purpose.JWT, retired_at__isnull=True).update(retired_at=now)
        key = _new_key(pool, SigningKey.Purpose.JWT)
        audit_record(ctx, "pool.rotate_signing_keys", pool_id=pool.id, target=key.kid)
    keys_cache_clear(pool_id)
    return key


def jwks(pool_id: str) -> dict[str, Any]:
    """The pool's JSON Web Key Set (RFC 7517 §5): the signer and recently retired keys.

    Raises ResourceNotFoundException for an unknown pool. A pool that has issued no
    token yet gets its first key here, so the JWKS is never empty.
    """
    cached = _jwks.get(pool_id)
    if cached is not None and _fresh(cached[0]):
        return cached[1]
    user_pool_get(pool_id)
    _signer(pool_id)
    now = _now()
    records = SigningKey.objects.filter(pool_id=pool_id, purpose=SigningKey.Purpose.JWT).filter(
        Q(retired_at__isnull=True) | Q(retired_at__gt=now - MAX_TOKEN_LIFETIME)
    )
    keys = []
    for record in records:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(_load_private(record).public_key(), as_dict=True)
        keys.append({"alg": ALGORITHM, "e": jwk["e"], "kid": record.kid, "kty": "RSA", "n": jwk["n"], "use": "sig"})
    document = {"keys": keys}
    with _lock:
        _jwks[pool_id] = (time.monotonic(), document)
    return document


def jwks_cached(pool_id: str) -> dict[str, Any] | None:
    """The document :func:`jwks` would return from this process's cache (the same object),
    or None when answering would need the database: never a query."""
    cached = _jwks.get(pool_id)
    return cached[1] if cached is not None and _fresh(cached[0]) else None


def issuer(pool_id: str) -> str:
    return f"{cognate_settings().PUBLIC_URL.rstrip('/')}/{pool_id}"


def openid_configuration(pool_id: str) -> dict[str, Any]:
    """OpenID Connect Discovery 1.0 §3 metadata, as Cognito publishes it.

    The OAuth 2.0 endpoints are the hosted pages': on the pool's domain when it has one,
    else under the issuer (:func:`userpools.services.domains.pages_base_url`). Raises
    ResourceNotFoundException.
    """
    from userpools.services.domains import pages_base_url  # domains imports the pool services too

    user_pool_get(pool_id)
    iss = issuer(pool_id)
    pages = pages_base_url(pool_id)
    oauth = f"{pages}/oauth2"
    return {
        "authorization_endpoint": f"{oauth}/authorize",
        "code_challenge_methods_supported": ["S256", "plain"],
        "end_session_endpoint": f"{pages}/logout",
        "grant_types_supported": ["authorization_code", "implicit", "refresh_token", "client_credentials"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "issuer": iss,
        "jwks_uri": f"{iss}/.well-known/jwks.json",
        "response_types_supported": ["code", "token"],
        "revocation_endpoint": f"{oauth}/revoke",
        "scopes_supported": ["openid", "email", "phone", "profile", ADMIN_SCOPE],
        "subject_types_supported": ["public"],
        "token_endpoint": f"{oauth}/token",
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "userinfo_endpoint": f"{oauth}/userInfo",
    }


# --- Issuing ---------------------------------------------------------------------------------


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


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


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


def _jwts(*, user: User, client: AppClient, auth_time: datetime, scopes: list[str], origin_jti: str,
          oauth: bool = False, nonce: str | None = None) -> TokenSet:  # fmt: skip
    """ID and access JWTs. ``oauth`` (the token endpoint's): the ID token only with the
    openid scope, and with ``at_hash`` (and ``nonce`` when the authorization request had one)."""
    now = _now()
    iat = int(now.timestamp())
    settings = client.settings
    access_lifetime = int(token_validity(settings, "AccessToken").total_seconds())
    id_lifetime = int(token_validity(settings, "IdToken").total_seconds())
    event_id = str(uuid.uuid4())
    groups = _groups(user)
    group_names = [g.name for g in groups]
    common = {"sub": str(user.sub), "iss": issuer(user.pool_id), "origin_jti": origin_jti, "event_id": event_id}

    id_claims: dict[str, Any] = {**common}
    if group_names:
        id_claims["cognito:groups"] = group_names
        roles = [g.role_arn for g in groups if g.role_arn]
        if roles:
            id_claims["cognito:preferred_role"] = roles[0]
            id_claims["cognito:roles"] = roles
    id_claims.update(_id_attributes(user, client))
    id_claims.update({
        "sub": str(user.sub),
        "aud": client.client_id,
        "token_use": "id",
        "auth_time": int(auth_time.timestamp()),
        "cognito:username": user.username,
        "exp": iat + id_lifetime,
        "iat": iat,
        "jti": str(uuid.uuid4()),
    })

    access_claims: dict[str, Any] = {**common}
    if group_names:
        access_claims["cognito:groups"] = group_names
    access_claims.update({
        "client_id": client.client_id,
        "token_use": "access",
        "scope": " ".join(scopes),
        "auth_time": int(auth_time.timestamp()),
        "exp": iat + access_lifetime,
        "iat": iat,
        "jti": str(uuid.uuid4()),
        "username": user.username,
        "version": 2,  # Cognito's access token format version
    })
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
_APPS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"),
         ("aws-cli/", "AWS CLI"), ("Boto3/", "Boto3"), ("aws-amplify", "Amplify"), ("aws-sdk-", "AWS SDK"),
         ("Botocore/", "Botocore"))  # fmt: skip
_SYSTEMS = (("iPhone", "iOS"), ("iPad", "iPadOS"), ("Android", "Android"), ("Windows", "Windows"),
            ("os/windows", "Windows"), ("CrOS", "ChromeOS"), ("Mac OS X", "macOS"), ("Macintosh", "macOS"),
            ("os/macos", "macOS"), ("Linux", "Linux"), ("os/linux", "Linux"))  # fmt: skip


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


def _refresh_create(ctx: ServiceContext, *, user: User, client: AppClient, auth_time: datetime, scopes: list[str],
                    expires_at: datetime, now: datetime, parent: RefreshToken | None = None, oauth: bool = False,
                    audit: tuple[CompiledInsert, dict[str, Any]] | None = None) -> tuple[str, str]:  # fmt: skip
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


def tokens_issue(ctx: ServiceContext, *, user: User, client: AppClient, auth_time: datetime | None = None,
                 scopes: list[str] | None = None, oauth: bool = False, nonce: str | None = None,
                 refresh: bool = True) -> TokenSet:  # fmt: skip
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
    now = _now()
    auth_time = auth_time or now
    scopes = list(scopes) if scopes is not None else [ADMIN_SCOPE]
    if not refresh:
        audit_record(ctx, "user.tokens_issue", pool_id=user.pool_id, target=user.username, client=client.client_id)
        return _jwts(user=user, client=client, auth_time=auth_time, scopes=scopes, origin_jti=str(uuid.uuid4()),
                     oauth=oauth, nonce=nonce)  # fmt: skip
    origin_jti, value = _refresh_create(ctx, user=user, client=client, auth_time=auth_time, scopes=scopes, now=now,
                                        expires_at=now + token_validity(client.settings, "RefreshToken"), oauth=oauth,
                                        audit=audit_row(ctx, "user.tokens_issue", pool_id=user.pool_id,
                                                        target=user.username, client=client.client_id))  # fmt: skip
    issued = _jwts(user=user, client=client, auth_time=auth_time, scopes=scopes, origin_jti=origin_jti,
                   oauth=oauth, nonce=nonce)  # fmt: skip
    return TokenSet(issued.id_token, issued.access_token, value, issued.expires_in)


def tokens_issue_for_client(ctx: ServiceContext, *, client: AppClient, scopes: list[str]) -> TokenSet:
    """An access token for ``client`` itself (the client_credentials grant): ``sub`` and
    ``client_id`` are the client's id, ``scope`` the granted resource-server scopes; no ID
    or refresh token. The caller has authenticated the client and checked the scopes."""
    now = _now()
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
        RefreshToken.objects.filter(pk=pk), {"last_used_at": now, "last_ip": last_ip, "device_type": device_type}
    ),
    update=True,
    pk=RefreshToken._meta.pk,
    now=RefreshToken._meta.get_field("last_used_at"),
    last_ip=RefreshToken._meta.get_field("last_ip"),
    device_type=RefreshToken._meta.get_field("device_type"),
)
"""A refresh without rotation: the token's last use, IP address and device (ListUserSessions)."""

RefreshVia = Literal["REFRESH_TOKEN_AUTH", "GetTokensFromRefreshToken", "oauth2/token"]


def tokens_refresh(ctx: ServiceContext, *, client: AppClient, refresh_token: str,
                   via: RefreshVia = "REFRESH_TOKEN_AUTH") -> TokenSet:  # fmt: skip
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
        raise InvalidParameter("REFRESH_TOKEN_AUTH is not supported by clients with refresh token rotation; "
                               "use GetTokensFromRefreshToken.")  # fmt: skip
    if rotation is None and via == "GetTokensFromRefreshToken":
        if not flow_allowed(client, "REFRESH_TOKEN_AUTH"):
            raise InvalidParameter("REFRESH_TOKEN_AUTH flow not enabled for this client")
    reused = False
    with transaction.atomic():
        record = _locked(_hash(refresh_token), with_user=True)
        now = _now()  # after the lock: a wait must not look like an earlier use
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
            audit_record(ctx, "user.refresh_token_reuse", pool_id=user.pool_id, target=user.username,
                         client=client.client_id, session=record.session_id)  # fmt: skip
            reused = True
        elif rotation is not None:
            origin_jti, value = _refresh_create(ctx, user=user, client=client, auth_time=record.auth_time, now=now,
                                                scopes=list(record.scopes), expires_at=record.expires_at,
                                                parent=record)  # fmt: skip
            if record.rotated_at is None:
                RefreshToken.objects.filter(pk=record.pk).update(rotated_at=now, last_used_at=now)
        else:
            _USED.execute(pk=record.pk, now=now, **_caller(ctx))
    if reused:  # after the atomic block, so the session's revocation is committed
        raise RefreshTokenReuse("Refresh token has been reused.")
    # A rotated-in token keeps its parent's auth_time, scopes and oauth.
    issued = _jwts(user=user, client=client, auth_time=record.auth_time, scopes=list(record.scopes),
                   origin_jti=origin_jti, oauth=record.oauth)  # fmt: skip
    return TokenSet(issued.id_token, issued.access_token, value, issued.expires_in)


# --- Verifying -------------------------------------------------------------------------------


_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")
_REQUIRED = ("exp", "iat", "sub", "token_use", "origin_jti", "iss")


def _segment(segment: str) -> bytes:
    """One unpadded base64url segment of a compact JWS (RFC 7515 §2, §7.1), decoded; only its
    canonical encoding is accepted, so no two strings carry the same token. ValueError else."""
    if len(segment) % 4 == 1 or _SEGMENT.fullmatch(segment) is None:
        raise ValueError("not base64url")
    raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    if base64.urlsafe_b64encode(raw).rstrip(b"=") != segment.encode("ascii"):
        raise ValueError("not canonical base64url")
    return raw


def _json_object(raw: bytes) -> dict[str, Any]:
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


# Tokens whose signature and claims' shape were verified, by their exact text: a client
# sends the same access token with every call until it expires. Whatever can change is
# checked again on every use: the key still listed, ``iss``, ``token_use``, ``nbf``, ``exp``
# (and, by the callers, the user, GlobalSignOut and revocation). Past VERIFIED_MAX the
# cache starts afresh.
VERIFIED_MAX = 10_000
_verified: dict[str, tuple[dict[str, Any], str]] = {}


def _signature_verified(token: Any, now: datetime) -> tuple[dict[str, Any], _Verifier]:
    """The claims of a compact JWS whose signature a listed key of ours verifies (ValueError,
    UnicodeError, binascii.Error or InvalidSignature otherwise): the checks that depend on
    the token's text alone, done once per token text."""
    hit = _verified.get(token) if isinstance(token, str) else None
    if hit is not None:
        claims, kid = hit
        verifier = _verifier(kid)
        if verifier is None or not _listed(verifier.retired_at, now):
            raise ValueError("not a listed key")
        return dict(claims), verifier
    if not isinstance(token, str) or token.count(".") != 2:
        raise ValueError("not a compact JWS")
    head, body, signature = token.split(".")
    header = _json_object(_segment(head))
    kid = header.get("kid")
    if header.get("alg") != ALGORITHM or not isinstance(kid, str) or "crit" in header or "b64" in header:
        raise ValueError("not our header")
    verifier = _verifier(kid)
    if verifier is None or not _listed(verifier.retired_at, now):
        raise ValueError("not a listed key")
    verifier.key.verify(_segment(signature), f"{head}.{body}".encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    claims = _json_object(_segment(body))
    if any(claims.get(name) is None for name in _REQUIRED):
        raise ValueError("claims missing")
    if not isinstance(claims["sub"], str) or not isinstance(claims.get("jti", ""), str):
        raise ValueError("sub and jti are strings")
    if len(_verified) >= VERIFIED_MAX:
        _verified.clear()
    _verified[token] = (claims, kid)
    return dict(claims), verifier


def _decode(token: str, *, token_use: str) -> dict[str, Any]:
    """The verified claims of one of our JWTs; NotAuthorizedException otherwise.

    Verified here rather than through PyJWT, whose pure-Python per-character checks of
    every segment (and parsing the header twice: once to find the key) made verifying an
    access token cost 0.14 ms, against 0.035 ms here, RSA included. The rules are the ones
    PyJWT applied with our options (tests/tokens/test_jwt_verify.py): a compact JWS of three
    canonical, unpadded base64url segments; a JSON header with ``alg`` RS256, a string
    ``kid`` of a listed key and no ``crit`` or ``b64``; the signature (RSASSA-PKCS1-v1_5
    with SHA-256, RFC 7518 §3.3) over the first two segments as sent; a JSON payload with
    ``exp``, ``iat``, ``sub``, ``token_use``, ``origin_jti`` and ``iss`` set, ``iss`` this
    pool's issuer, ``sub`` (and ``jti``) strings, ``nbf`` (if any) not in the future, and
    ``exp`` (an integer) in the future. (PyJWT also took '=' padding, which our tokens
    never carry.) What depends on the token's text alone is checked once per token
    (:func:`_signature_verified`); the rest on every call.
    """
    now = _now()
    try:
        claims, verifier = _signature_verified(token, now)
        if claims["iss"] != issuer(verifier.pool_id):
            raise ValueError("not ours")
        if "nbf" in claims and (isinstance(claims["nbf"], bool) or not isinstance(claims["nbf"], (int, float))
                                or claims["nbf"] > now.timestamp()):  # fmt: skip
            raise ValueError("not valid yet")
    except (ValueError, UnicodeError, binascii.Error, InvalidSignature, RecursionError):
        raise NotAuthorized(INVALID_ACCESS) from None
    if claims.get("token_use") != token_use:
        raise NotAuthorized(INVALID_ACCESS)
    if not isinstance(claims["exp"], int) or claims["exp"] <= now.timestamp():
        raise NotAuthorized(EXPIRED_ACCESS)
    claims["_pool_id"] = verifier.pool_id
    return claims


_TOKEN_USER = CompiledQuery(
    lambda pool_id, sub, origin_jti: (
        User.objects
        .annotate(origin_revoked=Exists(RefreshToken.objects.filter(origin_jti=origin_jti, revoked_at__isnull=False,
                                                                    user=OuterRef("pk"))))  # fmt: skip
        .filter(pool_id=pool_id, sub=sub)[:2]
    ),
    pool_id=User._meta.get_field("pool"),
    sub=User._meta.get_field("sub"),
    origin_jti=RefreshToken._meta.get_field("origin_jti"),
)


def _token_user(claims: dict[str, Any]) -> User | None:
    """The user a verified JWT's ``sub`` names in its pool, with ``origin_revoked``: whether
    the sign-in its ``origin_jti`` names was revoked. One query."""
    pool_id = claims.pop("_pool_id")
    try:
        found = _TOKEN_USER.rows(pool_id=pool_id, sub=claims["sub"], origin_jti=claims["origin_jti"])
    except (ValueError, ValidationError):  # a sub that is no UUID names nobody
        return None
    return found[0] if len(found) == 1 else None


def _token_pool(claims: dict[str, Any], pool_id: str) -> UserPool:
    """The pool of a token's user: its app client's from the client cache, the pool object
    sign-in uses too (:mod:`userpools.services.clientauth`: at most its CACHE_SECONDS old;
    read it, never save it), else (the client was deleted) from the database. The user's
    own security state (revocation, disabled, GlobalSignOut) is always the query's."""
    client_id = claims.get("client_id") or claims.get("aud")
    if isinstance(client_id, str):
        try:
            client = client_load(client_id)[0]
        except ResourceNotFound:
            client = None
        if client is not None and client.pool_id == pool_id:
            return client.pool
    return user_pool_get(pool_id)


def access_token_authenticate(token: str) -> tuple[User, dict[str, Any]]:
    """The user an access token speaks for (their pool loaded: :func:`_token_pool`), and its
    claims; one query when the keys and the token's app client are cached.

    Checks the signature against the pool's listed keys, ``iss``, ``token_use``, ``exp``,
    the user (exists, enabled), GlobalSignOut (``tokens_valid_after``) and revocation of
    the sign-in it came from (``origin_jti``). Raises NotAuthorizedException: "Invalid
    Access Token", "Access Token has expired", "Access Token has been revoked",
    "User is disabled.".
    """
    claims = _decode(token, token_use="access")
    pool_id = claims["_pool_id"]
    user = _token_user(claims)
    if user is None:
        raise NotAuthorized(INVALID_ACCESS)
    # Whole seconds: ``iat`` has no fraction. A token issued in the sign-out's own second
    # passes here, but its sign-in's refresh token is revoked, which the next check sees.
    if user.origin_revoked or (
        user.tokens_valid_after is not None and claims["iat"] < int(user.tokens_valid_after.timestamp())
    ):
        raise NotAuthorized(REVOKED_ACCESS)
    if not user.is_active:
        raise NotAuthorized(DISABLED)
    user.pool = _token_pool(claims, pool_id)
    return user, claims


def id_token_verify(token: str) -> dict[str, Any]:
    """The verified claims of an ID token this server issued (for identity pools' Logins).

    Checks what :func:`access_token_authenticate` checks, for ``token_use`` "id": the
    signature against the pool's listed keys, ``iss``, ``exp``, the user (exists, enabled),
    GlobalSignOut (``tokens_valid_after``) and revocation of its sign-in (``origin_jti``).
    ``aud`` is the caller's to check. Raises NotAuthorizedException: "Invalid ID Token",
    "ID Token has expired", "ID Token has been revoked", "User is disabled.".
    """
    try:
        claims = _decode(token, token_use="id")
    except NotAuthorized as exc:
        expired = exc.message == EXPIRED_ACCESS
        raise NotAuthorized("ID Token has expired" if expired else "Invalid ID Token") from None
    user = _token_user(claims)
    if user is None:
        raise NotAuthorized("Invalid ID Token")
    if user.origin_revoked or (
        user.tokens_valid_after is not None and claims["iat"] < int(user.tokens_valid_after.timestamp())
    ):
        raise NotAuthorized("ID Token has been revoked")
    if not user.is_active:
        raise NotAuthorized(DISABLED)
    return claims


def access_token_require_admin_scope(claims: dict[str, Any]) -> None:
    """The self-service operations need ``aws.cognito.signin.user.admin`` in ``scope``."""
    if ADMIN_SCOPE not in str(claims.get("scope", "")).split():
        raise NotAuthorized("Access Token does not have required scopes")


def access_token_client(claims: dict[str, Any]) -> AppClient:
    """The app client an access token was issued to (its ReadAttributes/WriteAttributes apply),
    from the process's client cache (:mod:`userpools.services.clientauth`)."""
    try:
        return client_load(str(claims.get("client_id") or ""))[0]
    except ResourceNotFound:  # the client was deleted: its tokens die with it
        raise NotAuthorized(INVALID_ACCESS) from None


# --- Revoking --------------------------------------------------------------------------------


def client_secret_matches(client: AppClient, given: str | None) -> bool | None:
    """Whether ``given`` is one of the client's secrets (None: it has none). Every secret is
    compared, without stopping early, so timing says nothing about which matched."""
    stored = [s.secret for s in client.secrets.all()]
    if not stored:
        return None
    raw = (given or "").encode("utf-8", "surrogatepass")
    matched = False
    for secret in stored:
        matched |= secrets.compare_digest(secret.encode(), raw)
    return matched


def revoking_client(*, client_id: str, client_secret: str | None) -> AppClient:
    """The client a RevokeToken request names, authenticated by its secret if it has one.

    Raises UnauthorizedException (unknown client, missing or wrong secret): RevokeToken's
    model lists neither NotAuthorizedException nor ResourceNotFoundException.
    """
    client = AppClient.objects.select_related("pool").filter(client_id=client_id).first()
    if client is None or client_secret_matches(client, client_secret) is False:
        raise Unauthorized("Invalid client id or secret.")
    return client


def refreshing_client(*, client_id: str, client_secret: str | None) -> AppClient:
    """The client a GetTokensFromRefreshToken request names, authenticated by its secret
    (``ClientSecret`` is the secret itself, not a SECRET_HASH) if it has any: while a
    secret is being rotated either is accepted. A secret sent for a client without one is
    ignored.

    Raises ResourceNotFoundException (unknown client) and NotAuthorizedException (missing
    or wrong secret).
    """
    client = AppClient.objects.select_related("pool").filter(client_id=client_id).first()
    if client is None:
        raise ResourceNotFound(f"User pool client {client_id} does not exist.")
    matched = client_secret_matches(client, client_secret)
    if matched is False:
        if not client_secret:
            raise NotAuthorized(f"Client {client_id} is configured with secret but ClientSecret was not received")
        raise NotAuthorized(f"Unable to verify secret for client {client_id}")
    return client


def refresh_token_revoke(ctx: ServiceContext, *, client: AppClient, token: str) -> None:
    """RevokeToken (and, from F5, ``/oauth2/revoke``): revoke a refresh token, its session
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
        _session_revoke(record.session_id, _now())
        audit_record(ctx, "user.refresh_token_revoke", pool_id=record.pool_id, target=str(record.user_id),
                     client=client.client_id, session=record.session_id)  # fmt: skip


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
        _session_revoke(session_id, _now())
        audit_record(ctx, "user.token_session_revoke", pool_id=record.pool_id, target=record.user.username,
                     session=session_id, reason=reason)  # fmt: skip


def user_global_sign_out(ctx: ServiceContext, *, user: User) -> None:
    """GlobalSignOut / AdminUserGlobalSignOut: revoke every refresh token of the user and
    refuse the ID and access tokens issued until now."""
    with transaction.atomic():
        # The sessions' roots first (see _locked): a rotation under way finishes before the
        # revocation below, which then sees its new refresh token.
        list(RefreshToken.objects.select_for_update().filter(user=user, parent__isnull=True, revoked_at__isnull=True)
             .order_by("pk").values_list("pk", flat=True))  # fmt: skip
        now = _now()
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
    roots = (
        RefreshToken.objects.filter(user=user, parent__isnull=True, revoked_at__isnull=True, expires_at__gt=now)
        .annotate(
            client_key=F("client__client_id"),
            last_active=Subquery(latest.values("activity")[:1]),
            latest_ip=Subquery(latest.values("last_ip")[:1]),
            latest_device=Subquery(latest.values("device_type")[:1]),
            is_current=Exists(tokens.filter(origin_jti=current_origin_jti or "")),
        )
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


def user_sessions_list(*, user: User, current_origin_jti: str | None = None, next_token: str | None = None,
                       ) -> SessionPage:  # fmt: skip
    """ListUserSessions: the signed-in user's active sessions across all app clients, up to
    125 a page (SessionsListType), ``NextToken`` for the rest. ``current_origin_jti`` is
    the calling access token's ``origin_jti``: its session has ``is_current``.

    Only token sessions exist until the hosted UI brings SSO sessions (F5). Raises
    InvalidParameterException for a NextToken this listing did not issue.
    """
    return _sessions(user, now=_now(), current_origin_jti=current_origin_jti, next_token=next_token)


def user_admin_sessions_list(*, pool_id: str, username: str, next_token: str | None = None) -> SessionPage:
    """AdminListUserSessions: as :func:`user_sessions_list`, none of them current.

    Cognito answers in one page because it keeps at most 100 sessions a user; Cognate has
    no such limit, so a user with more than 125 active sessions gets a NextToken here too.
    Raises ResourceNotFoundException (pool), UserNotFoundException.
    """
    user = users.user_get(pool_id, username)
    return _sessions(user, now=_now(), current_origin_jti=None, next_token=next_token)


def user_session_revoke(ctx: ServiceContext, *, user: User, session_id: str, current_origin_jti: str | None = None,
                        revoke_associated: str = "NONE") -> None:  # fmt: skip
    """RevokeUserSession / AdminRevokeUserSession: revoke every refresh token of one of the
    user's sessions, and thereby the ID and access tokens issued from them.

    ``current_origin_jti`` is the calling access token's (RevokeUserSession): its own
    session can't be revoked this way (InvalidParameterException; GlobalSignOut and
    RevokeToken can). An unknown, revoked or expired session, or another user's, is a
    ResourceNotFoundException. ``revoke_associated`` LINKED would also revoke the SSO
    session a token session came through; there are no SSO sessions until the hosted UI
    (F5), so it is accepted and has no further effect yet.
    """
    if current_origin_jti and RefreshToken.objects.filter(origin_jti=current_origin_jti, session_id=session_id).exists():
        raise InvalidParameter("The session of the access token in the request can't be revoked with "
                               "RevokeUserSession; use GlobalSignOut or RevokeToken.")  # fmt: skip
    with transaction.atomic():
        root = (
            RefreshToken.objects.select_for_update()
            .filter(user=user, session_id=session_id, parent__isnull=True)
            .only("pk", "revoked_at", "expires_at")
            .first()
        )
        now = _now()
        if root is None or root.revoked_at is not None or root.expires_at <= now:
            raise ResourceNotFound(f"Session {session_id} does not exist.")
        _session_revoke(session_id, now)
        audit_record(ctx, "user.session_revoke", pool_id=user.pool_id, target=user.username, session=session_id,
                     associated=revoke_associated)  # fmt: skip


def user_admin_session_revoke(ctx: ServiceContext, *, pool_id: str, username: str, session_id: str,
                              revoke_associated: str = "NONE") -> None:  # fmt: skip
    """AdminRevokeUserSession: :func:`user_session_revoke` for the user ``username`` names
    (the session must be theirs). Raises ResourceNotFoundException, UserNotFoundException."""
    user_session_revoke(ctx, user=users.user_get(pool_id, username), session_id=session_id,
                        revoke_associated=revoke_associated)  # fmt: skip


def signing_keys_rotate_all(ctx: ServiceContext) -> list[SigningKey]:
    """Rotate the JWT signing key of every pool (see :func:`signing_keys_rotate`)."""
    return [signing_keys_rotate(ctx, pool_id=pool_id) for pool_id in UserPool.objects.values_list("id", flat=True)]
