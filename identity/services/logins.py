"""Logins of identity pools: verifying provider tokens and linking them to identities.

A ``Logins`` map (GetId, GetCredentialsForIdentity, GetOpenIdToken, UnlinkIdentity)
names a provider and carries its token. :func:`logins_resolve` verifies each one against
what the pool trusts and names the subject it vouches for; :func:`identity_for_logins`
finds or creates the identity those subjects belong to (GetId's core, Cognito API
reference "GetId"; Developer Guide "Identity pools (federated identities) authentication
flow").

Providers (the ``Logins`` key, and how its token is verified):

* A Cognate user pool: ``cognito-idp.{region}.amazonaws.com/{UserPoolId}`` (what SDKs
  build) or the pool's issuer ``{COGNATE_PUBLIC_URL}/{UserPoolId}``; the token is an ID
  token, verified in-process (:func:`userpools.services.tokens.id_token_verify`), and its
  ``aud`` must be a ClientId the pool's CognitoIdentityProviders list for that user pool.
  Both spellings link as ``cognito-idp.{region}.amazonaws.com/{UserPoolId}``.
* An OpenID Connect provider registered with Cognate (:class:`identity.models.OpenIdProvider`)
  whose ARN ``arn:aws:iam::{account}:oidc-provider/{host/path}`` the pool lists: the key is
  ``{host/path}``; the token's signature is checked against the provider's JWKS, ``iss``
  against its issuer and ``aud`` against its client ids.
* ``accounts.google.com`` and ``appleid.apple.com``: ID tokens checked against
  ``COGNATE_GOOGLE_JWKS_URL`` / ``COGNATE_APPLE_JWKS_URL``; ``graph.facebook.com``: an
  access token checked with ``COGNATE_FACEBOOK_DEBUG_TOKEN_URL``; ``www.amazon.com``: an
  access token checked with ``COGNATE_AMAZON_TOKENINFO_URL``. The app id the pool's
  SupportedLoginProviders gives (several separated by ``;``) must be the token's audience.

The developer provider name never verifies here: developer-authenticated logins are
vouched for by a signed GetOpenIdTokenForDeveloperIdentity call, which builds its own
:class:`VerifiedLogin`.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests
from django.db import IntegrityError, transaction
from django.utils import timezone

from identity.models import Identity, IdentityLogin, IdentityPool, OpenIdProvider
from userpools.conf import cognate_settings
from userpools.context import ServiceContext
from userpools.errors import ExternalService, NotAuthorized, ResourceConflict, ResourceNotFound, ServiceError
from userpools.services import tokens
from userpools.services.audit import audit_record

GOOGLE = "accounts.google.com"
APPLE = "appleid.apple.com"
FACEBOOK = "graph.facebook.com"
AMAZON = "www.amazon.com"
SOCIAL_PROVIDERS = (FACEBOOK, GOOGLE, AMAZON, APPLE)

INVALID = "Invalid login token."
UNSUPPORTED_PROVIDER = "Token is not from a supported provider of this identity pool."
LOGINS_MISMATCH = "Logins don't match. Please include at least one valid login for this identity or identity pool."
UNAUTHENTICATED_OFF = "Unauthenticated access is not supported for this identity pool."

# Asymmetric algorithms only: an ``alg`` of ``none`` or HS256 never verifies against a JWKS.
JWT_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]
_USER_POOL_ID = r"[\w-]+_[0-9a-zA-Z]+"
_COGNITO_IDP = re.compile(rf"cognito-idp\.[a-z0-9-]+\.amazonaws\.com/({_USER_POOL_ID})")


@dataclass(frozen=True)
class VerifiedLogin:
    """A login whose token verified: the provider name as identities link it, the subject
    the provider vouches for, and the token's claims (what role mapping and principal
    tags read)."""

    provider: str
    subject: str
    claims: dict = field(default_factory=dict, hash=False, compare=False)


def _invalid(reason: str = "") -> NotAuthorized:
    return NotAuthorized(f"{INVALID} {reason}".strip())


# --- Provider names --------------------------------------------------------------------------


def cognito_provider_name(user_pool_id: str) -> str:
    """``cognito-idp.{region}.amazonaws.com/{UserPoolId}``: how a user-pool login links."""
    return f"cognito-idp.{user_pool_id.split('_', 1)[0]}.amazonaws.com/{user_pool_id}"


def cognito_user_pool_id(provider: str) -> str | None:
    """The user pool a provider name names: the SDK spelling or Cognate's issuer URL
    (with or without its scheme); None for any other provider."""
    matched = _COGNITO_IDP.fullmatch(provider)
    if matched:
        return matched.group(1)
    base = cognate_settings().PUBLIC_URL.rstrip("/")
    for prefix in (base + "/", base.split("://", 1)[-1] + "/"):
        if provider.startswith(prefix) and re.fullmatch(_USER_POOL_ID, provider[len(prefix) :]):
            return provider[len(prefix) :]
    return None


def oidc_provider_key(arn: str) -> str:
    """The Logins key of an IAM OIDC provider ARN: the issuer's host and path."""
    return arn.split(":oidc-provider/", 1)[1] if ":oidc-provider/" in arn else arn


def provider_canonical(pool: IdentityPool, provider: str) -> str:
    """The name a provider's logins are linked under (user pools have two spellings)."""
    user_pool_id = cognito_user_pool_id(provider)
    return cognito_provider_name(user_pool_id) if user_pool_id else provider


def pool_provider_names(pool: IdentityPool) -> set[str]:
    """Every provider name the pool trusts, canonical (role mappings and principal tags key on them)."""
    names = set(pool.supported_login_providers)
    names.update(provider_canonical(pool, p.get("ProviderName", "")) for p in pool.cognito_identity_providers)
    names.update(oidc_provider_key(arn) for arn in pool.open_id_connect_provider_arns)
    names.update(pool.saml_provider_arns)
    return names


# --- Verifiers -------------------------------------------------------------------------------

_jwk_clients: dict[str, jwt.PyJWKClient] = {}
_jwk_lock = threading.Lock()


def _jwk_client(url: str) -> jwt.PyJWKClient:
    with _jwk_lock:
        client = _jwk_clients.get(url)
        if client is None:
            timeout = cognate_settings().IDENTITY_PROVIDER_TIMEOUT_SECONDS
            client = jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=timeout)
            _jwk_clients[url] = client
        return client


def jwk_clients_clear() -> None:
    """Forget cached JWKS clients (between tests)."""
    with _jwk_lock:
        _jwk_clients.clear()


def _jwt_verify(token: str, *, jwks_url: str, issuers: list[str], audiences: list[str]) -> dict[str, Any]:
    """Claims of a JWT signed by a key of ``jwks_url``, from one of ``issuers``, for one of ``audiences``."""
    if not audiences:
        raise _invalid("The identity pool accepts no audience for this provider.")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise _invalid("The token is not a JWT.") from None
    if header.get("alg") not in JWT_ALGORITHMS:
        raise _invalid("The token's algorithm is not accepted.")
    try:
        key = _jwk_client(jwks_url).get_signing_key_from_jwt(token)
    except jwt.PyJWKClientConnectionError:
        raise ExternalService("The identity provider's keys could not be fetched.") from None
    except jwt.PyJWTError:
        raise _invalid("The token's signing key is unknown.") from None
    try:
        return jwt.decode(
            token,
            key.key,
            algorithms=[header["alg"]],
            audience=audiences,
            issuer=issuers,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise _invalid("The token has expired.") from None
    except jwt.InvalidAudienceError:
        raise _invalid("The token's audience is not accepted by this identity pool.") from None
    except jwt.InvalidIssuerError:
        raise _invalid("The token's issuer does not match the provider.") from None
    except jwt.PyJWTError:
        raise _invalid("The token's signature or claims are not valid.") from None


def _app_ids(pool: IdentityPool, provider: str) -> list[str]:
    return [a for a in str(pool.supported_login_providers.get(provider, "")).split(";") if a]


def _verify_user_pool(pool: IdentityPool, user_pool_id: str, token: str) -> VerifiedLogin:
    client_ids = [
        p.get("ClientId")
        for p in pool.cognito_identity_providers
        if cognito_user_pool_id(p.get("ProviderName", "")) == user_pool_id
    ]
    try:
        claims = tokens.id_token_verify(token)
    except NotAuthorized as exc:
        raise _invalid(exc.message) from None
    if claims.get("iss") != tokens.issuer(user_pool_id):
        raise _invalid("The token is not from this user pool.")
    if claims.get("aud") not in client_ids:
        raise _invalid("The token's audience is not accepted by this identity pool.")
    return VerifiedLogin(cognito_provider_name(user_pool_id), str(claims["sub"]), claims)


def _oidc_jwks_url(provider: OpenIdProvider) -> str:
    if provider.jwks_url:
        return provider.jwks_url
    timeout = cognate_settings().IDENTITY_PROVIDER_TIMEOUT_SECONDS
    discovery = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = requests.get(discovery, timeout=timeout)
        response.raise_for_status()
        url = response.json()["jwks_uri"]
    except (requests.RequestException, ValueError, KeyError, TypeError):
        raise ExternalService("The identity provider's discovery document could not be read.") from None
    if not isinstance(url, str):
        raise ExternalService("The identity provider's discovery document names no JWKS.")
    return url


def _verify_oidc(pool: IdentityPool, key: str, token: str) -> VerifiedLogin | None:
    arn = next((a for a in pool.open_id_connect_provider_arns if oidc_provider_key(a) == key), None)
    if arn is None:
        return None
    provider = OpenIdProvider.objects.filter(arn=arn).first()
    if provider is None:
        raise _invalid("The OpenID Connect provider is not registered.")
    issuers = sorted({provider.issuer, "https://" + key})
    claims = _jwt_verify(token, jwks_url=_oidc_jwks_url(provider), issuers=issuers, audiences=list(provider.client_ids))
    return VerifiedLogin(key, str(claims["sub"]), claims)


def _get_json(url: str, params: dict[str, str]) -> tuple[int, Any]:
    timeout = cognate_settings().IDENTITY_PROVIDER_TIMEOUT_SECONDS
    try:
        response = requests.get(url, params=params, timeout=timeout)
    except requests.RequestException:
        raise ExternalService("The identity provider could not be reached.") from None
    if response.status_code >= 500:
        raise ExternalService("The identity provider failed to answer.")
    try:
        return response.status_code, response.json()
    except ValueError:
        raise ExternalService("The identity provider's answer is not JSON.") from None


def _verify_facebook(pool: IdentityPool, token: str) -> VerifiedLogin:
    conf = cognate_settings()
    status, body = _get_json(
        conf.FACEBOOK_DEBUG_TOKEN_URL,
        {"input_token": token, "access_token": conf.FACEBOOK_APP_ACCESS_TOKEN or token},
    )
    data = body.get("data") if isinstance(body, dict) else None
    if status != 200 or not isinstance(data, dict) or data.get("is_valid") is not True or not data.get("user_id"):
        raise _invalid("Facebook does not accept the token.")
    if str(data.get("app_id")) not in _app_ids(pool, FACEBOOK):
        raise _invalid("The token's app id is not accepted by this identity pool.")
    return VerifiedLogin(FACEBOOK, str(data["user_id"]), data)


def _verify_amazon(pool: IdentityPool, token: str) -> VerifiedLogin:
    status, body = _get_json(cognate_settings().AMAZON_TOKENINFO_URL, {"access_token": token})
    if status != 200 or not isinstance(body, dict) or not body.get("user_id"):
        raise _invalid("Login with Amazon does not accept the token.")
    app_ids = _app_ids(pool, AMAZON)
    if str(body.get("aud")) not in app_ids and str(body.get("app_id")) not in app_ids:
        raise _invalid("The token's app id is not accepted by this identity pool.")
    return VerifiedLogin(AMAZON, str(body["user_id"]), body)


def _verify_social(pool: IdentityPool, key: str, token: str) -> VerifiedLogin:
    conf = cognate_settings()
    if key == GOOGLE:
        claims = _jwt_verify(
            token,
            jwks_url=conf.GOOGLE_JWKS_URL,
            issuers=[GOOGLE, "https://" + GOOGLE],
            audiences=_app_ids(pool, GOOGLE),
        )
        return VerifiedLogin(GOOGLE, str(claims["sub"]), claims)
    if key == APPLE:
        claims = _jwt_verify(
            token, jwks_url=conf.APPLE_JWKS_URL, issuers=["https://" + APPLE], audiences=_app_ids(pool, APPLE)
        )
        return VerifiedLogin(APPLE, str(claims["sub"]), claims)
    if key == FACEBOOK:
        return _verify_facebook(pool, token)
    return _verify_amazon(pool, token)


def login_verify(pool: IdentityPool, provider: str, token: str) -> VerifiedLogin:
    """One login: NotAuthorizedException for a provider the pool does not trust or a token
    that does not verify; ExternalServiceException when the provider cannot be asked."""
    if pool.developer_provider_name and provider == pool.developer_provider_name:
        raise NotAuthorized(
            "Developer-authenticated logins are vouched for by GetOpenIdTokenForDeveloperIdentity, not by a token."
        )
    user_pool_id = cognito_user_pool_id(provider)
    if user_pool_id is not None:
        trusted = {cognito_user_pool_id(p.get("ProviderName", "")) for p in pool.cognito_identity_providers}
        if user_pool_id not in trusted:
            raise NotAuthorized(UNSUPPORTED_PROVIDER)
        return _verify_user_pool(pool, user_pool_id, token)
    if provider in SOCIAL_PROVIDERS:
        if provider not in pool.supported_login_providers:
            raise NotAuthorized(UNSUPPORTED_PROVIDER)
        return _verify_social(pool, provider, token)
    verified = _verify_oidc(pool, provider, token)
    if verified is not None:
        return verified
    if provider in pool.saml_provider_arns:
        raise _invalid("Cognate does not verify SAML logins.")
    raise NotAuthorized(UNSUPPORTED_PROVIDER)


def logins_resolve(pool: IdentityPool, logins: Mapping[str, str]) -> list[VerifiedLogin]:
    """Verify every login of a ``Logins`` map against what ``pool`` trusts.

    Raises NotAuthorizedException ("Invalid login token. ...") for a bad, expired, forged
    or wrong-audience token and for a provider the pool does not trust, and
    ExternalServiceException when a provider's keys or endpoint cannot be reached. No
    permission check: the token is the caller's proof.
    """
    return [login_verify(pool, provider, token) for provider, token in logins.items()]


# --- Identities ------------------------------------------------------------------------------


def new_identity_id(pool: IdentityPool) -> str:
    """``{region}:{uuid}``, in the identity pool's region."""
    return f"{pool.id.split(':', 1)[0]}:{uuid.uuid4()}"


def identity_get(identity_id: str, *, pool: IdentityPool | None = None, lock: bool = False) -> Identity:
    """The identity (in ``pool`` if given), or ResourceNotFoundException."""
    qs = Identity.objects.select_for_update() if lock else Identity.objects
    if pool is not None:
        qs = qs.filter(pool=pool)
    try:
        return qs.select_related("pool").get(pk=identity_id)
    except Identity.DoesNotExist:
        raise ResourceNotFound(f"Identity '{identity_id}' not found.") from None


def _identity_for_logins(
    ctx: ServiceContext, pool: IdentityPool, verified: list[VerifiedLogin], identity_id: str | None, trusted: bool
) -> Identity:
    target = identity_get(identity_id, pool=pool, lock=True) if identity_id else None
    linked: dict[tuple[str, str], str] = {}
    if verified:
        rows = IdentityLogin.objects.filter(pool=pool, provider__in={v.provider for v in verified})
        wanted = {(v.provider, v.subject) for v in verified}
        linked = {(r.provider, r.subject): r.identity_id for r in rows if (r.provider, r.subject) in wanted}
    owners = set(linked.values())
    if target is None:
        if len(owners) > 1:
            raise ResourceConflict("The logins are linked to different identities.")
        if owners:
            target = identity_get(owners.pop(), pool=pool, lock=True)
    elif owners - {target.id}:
        raise ResourceConflict("A login is already linked to another identity.")
    elif not trusted and not (owners & {target.id}) and target.logins.exists():
        # Linking a login to an authenticated identity takes one of the logins it already has.
        raise NotAuthorized(LOGINS_MISMATCH)

    if not verified:
        if target is not None and target.logins.exists():
            raise NotAuthorized(LOGINS_MISMATCH)
        if not pool.allow_unauthenticated:
            raise NotAuthorized(UNAUTHENTICATED_OFF)

    created = target is None
    if target is None:
        target = Identity.objects.create(id=new_identity_id(pool), pool=pool)
    if target.disabled:
        raise NotAuthorized(f"Identity '{target.id}' is disabled.")
    new = [v for v in verified if (v.provider, v.subject) not in linked]
    if new:
        IdentityLogin.objects.bulk_create(
            [IdentityLogin(identity=target, pool=pool, provider=v.provider, subject=v.subject) for v in new]
        )
        Identity.objects.filter(pk=target.pk).update(updated_at=timezone.now())
    if created:
        audit_record(ctx, "identity.create", pool_id=pool.id, target=target.id, logins=[v.provider for v in verified])
    elif new:
        audit_record(ctx, "identity.link", pool_id=pool.id, target=target.id, logins=[v.provider for v in new])
    return target


def identity_for_logins(
    ctx: ServiceContext,
    pool: IdentityPool,
    verified: list[VerifiedLogin],
    identity_id: str | None = None,
    *,
    trusted: bool = False,
) -> Identity:
    """GetId's core: the identity linked to any of ``verified`` (or ``identity_id``),
    created if there is none, with every given login linked to it.

    Raises ResourceConflictException when the logins belong to different identities (or
    to another than ``identity_id``), NotAuthorizedException when no login is given and
    the pool refuses unauthenticated identities, when ``identity_id`` is authenticated and
    none of its logins is given (unless ``trusted``: a signed developer call), and when
    the identity is disabled; ResourceNotFoundException for an unknown ``identity_id``.
    The caller verified the logins (:func:`logins_resolve`) and checked permissions.
    """
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                return _identity_for_logins(ctx, pool, verified, identity_id, trusted)
        except IntegrityError:
            # A concurrent call linked one of these logins first: look again, once.
            if attempt == 2:
                raise ResourceConflict("A login is already linked to another identity.") from None
    raise ServiceError("unreachable")  # pragma: no cover


__all__ = [
    "VerifiedLogin",
    "logins_resolve",
    "login_verify",
    "identity_for_logins",
    "identity_get",
    "cognito_provider_name",
    "cognito_user_pool_id",
    "provider_canonical",
    "pool_provider_names",
    "oidc_provider_key",
    "jwk_clients_clear",
]
