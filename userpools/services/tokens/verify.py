"""Verifying the ID and access tokens this server issued, and the app clients that present
tokens (RevokeToken, GetTokensFromRefreshToken).

A token's text (signature, form, required claims: PyJWT, :func:`_jws_verified`)
is checked once in this process (:data:`_verified`); whatever can change between two uses
(the key still listed, ``iss``, ``token_use``, ``nbf``, ``exp``, and the user, GlobalSignOut
and revocation of the sign-in it came from) is checked on every use.
"""

from __future__ import annotations

import base64
import re
import secrets
from datetime import datetime
from typing import Any

import jwt
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef

from userpools.errors import NotAuthorized, ResourceNotFound, Unauthorized
from userpools.models import AppClient, RefreshToken, User, UserPool
from userpools.services.clientauth import client_load
from userpools.services.compiled import CompiledQuery
from userpools.services.memo import ProcessCache
from userpools.services.pools import user_pool_get
from userpools.services.tokens import common
from userpools.services.tokens.common import (
    ADMIN_SCOPE,
    ALGORITHM,
    DISABLED,
    EXPIRED_ACCESS,
    INVALID_ACCESS,
    MAX_TOKEN_LIFETIME,
    REVOKED_ACCESS,
)
from userpools.services.tokens.discovery import issuer
from userpools.services.tokens.keys import _listed, _Verifier, _verifier

_REQUIRED = ("exp", "iat", "sub", "token_use", "origin_jti", "iss")
_SEGMENT = re.compile(r"[A-Za-z0-9_-]*")
_REFUSED = (ValueError, RecursionError)  # ValueError includes UnicodeError, binascii.Error
# What PyJWT checks of the claims: their presence. The times, issuer and audience are
# checked by the callers on every use (a verified text is cached, they change meaning).
_PYJWT_OPTIONS = {
    "require": list(_REQUIRED),
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_iss": False,
    "verify_aud": False,
}


def _segment(segment: str) -> str:
    """One segment of a compact JWS (RFC 7515 §2, §7.1), if it is unpadded base64url in its
    canonical encoding, so that no two texts carry the same token (PyJWT takes ``=``
    padding); ValueError else."""
    if len(segment) % 4 == 1 or _SEGMENT.fullmatch(segment) is None:
        raise ValueError("not base64url")
    raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    if base64.urlsafe_b64encode(raw).rstrip(b"=") != segment.encode("ascii"):
        raise ValueError("not canonical base64url")
    return segment


def _jws_verified(token: str) -> tuple[dict[str, Any], str]:
    """The claims and ``kid`` of a compact JWS signed by one of our keys (listed or not:
    the caller checks), or one of :data:`_REFUSED`: the checks that depend on the token's
    text alone.

    PyJWT verifies the signature (RS256 only) and the required claims (:data:`_REQUIRED`);
    around it, the rules PyJWT leaves to its caller: three canonical, unpadded base64url
    segments; a header with ``alg`` RS256, a string ``kid`` of one of our keys, and neither
    ``crit`` nor ``b64`` (JWS extensions PyJWT would honour); ``sub`` (and ``jti`` when
    present) strings. tests/tokens/test_pyjwt_parity.py runs an independent checker of the
    same rules beside this on a corpus of bent tokens: they must agree on every one.
    """
    if not isinstance(token, str) or token.count(".") != 2:
        raise ValueError("not a compact JWS")
    for segment in token.split("."):
        _segment(segment)
    try:
        header = jwt.get_unverified_header(token)
        kid = header.get("kid")
        if header.get("alg") != ALGORITHM or not isinstance(kid, str) or "crit" in header or "b64" in header:
            raise ValueError("not our header")
        verifier = _verifier(kid)
        if verifier is None:
            raise ValueError("not our key")
        claims = jwt.decode(token, verifier.key, algorithms=[ALGORITHM], options=_PYJWT_OPTIONS)
    except jwt.InvalidTokenError as exc:
        raise ValueError("refused by PyJWT") from exc
    if not isinstance(claims["sub"], str) or not isinstance(claims.get("jti", ""), str):
        raise ValueError("sub and jti are strings")
    return claims, kid


# Tokens whose signature and claims' shape were verified, by their exact text: a client
# sends the same access token with every call until it expires. Whatever can change is
# checked again on every use: the key still listed, ``iss``, ``token_use``, ``nbf``, ``exp``
# (and, by the callers, the user, GlobalSignOut and revocation). A token's text never
# changes meaning, so no row invalidates an entry; none is kept longer than a token lives,
# and past VERIFIED_MAX entries the cache starts afresh.
VERIFIED_MAX = 10_000
_verified: ProcessCache[str, tuple[dict[str, Any], str]] = ProcessCache(
    "verified-tokens", MAX_TOKEN_LIFETIME.total_seconds(), max_entries=VERIFIED_MAX
)


def _signature_verified(token: Any, now: datetime) -> tuple[dict[str, Any], _Verifier]:
    """The claims (a copy) of a token whose signature a listed key of ours verifies, and
    that key; one of :data:`_REFUSED` otherwise. The text is checked once (:func:`_jws_verified`)."""
    if not isinstance(token, str):
        raise ValueError("not a string")
    claims, kid = _verified.get(token, _jws_verified)
    verifier = _verifier(kid)
    if verifier is None or not _listed(verifier.retired_at, now):
        raise ValueError("not a listed key")
    return dict(claims), verifier


def _decode(token: str, *, token_use: str) -> dict[str, Any]:
    """The verified claims of one of our JWTs; NotAuthorizedException otherwise.

    The text is checked once (:func:`_jws_verified`). On every call: the key still listed,
    ``iss`` this pool's issuer, ``nbf`` (if any) a number not in the future, ``token_use``,
    and ``exp`` an integer in the future ("... has expired" otherwise).
    """
    now = common.now()
    try:
        claims, verifier = _signature_verified(token, now)
        if claims["iss"] != issuer(verifier.pool_id):
            raise ValueError("not ours")
        if "nbf" in claims and (
            isinstance(claims["nbf"], bool)
            or not isinstance(claims["nbf"], (int, float))
            or claims["nbf"] > now.timestamp()
        ):
            raise ValueError("not valid yet")
    except _REFUSED:
        raise NotAuthorized(INVALID_ACCESS) from None
    if claims.get("token_use") != token_use:
        raise NotAuthorized(INVALID_ACCESS)
    if not isinstance(claims["exp"], int) or claims["exp"] <= now.timestamp():
        raise NotAuthorized(EXPIRED_ACCESS)
    claims["_pool_id"] = verifier.pool_id
    return claims


_TOKEN_USER = CompiledQuery(
    lambda pool_id, sub, origin_jti: User.objects.annotate(
        origin_revoked=Exists(
            RefreshToken.objects.filter(origin_jti=origin_jti, revoked_at__isnull=False, user=OuterRef("pk"))
        )
    ).filter(pool_id=pool_id, sub=sub)[:2],
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


# --- Clients ---------------------------------------------------------------------------------


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
