"""Credentials for identities (GetCredentialsForIdentity), their OpenID tokens
(GetOpenIdToken, GetOpenIdTokenForDeveloperIdentity), the role they act as, and the
principal tags they carry.

Who may call: the two unsigned operations authenticate with the ``Logins`` they carry
(each token verified by :func:`identity.services.logins.logins_resolve`, or, under the
key ``cognito-identity.amazonaws.com``, an OpenID token of Cognate's identity issuer);
GetOpenIdTokenForDeveloperIdentity is signed and authorized by the wire layer.

Roles (Cognito developer guide, "Using role-based access control"):

* no login: the pool's ``unauthenticated`` role (pool must allow unauthenticated identities);
* a login whose provider has a RoleMapping (for user pools the key is
  ``cognito-idp.{region}.amazonaws.com/{UserPoolId}:{ClientId}``, the provider name alone
  is accepted too):
  - ``Token``: ``CustomRoleArn`` if it is one of the token's ``cognito:roles`` (any other
    CustomRoleArn is NotAuthorizedException), else ``cognito:preferred_role``, else the
    single entry of ``cognito:roles``; otherwise ambiguous;
  - ``Rules``: the first rule, in order, whose claim matches (Equals, Contains,
    StartsWith, NotEqual; a list claim such as ``cognito:groups`` matches when one of its
    items does, and NotEqual when none equals); none matching is ambiguous;
  - ambiguous: ``AuthenticatedRole`` falls back to the pool's ``authenticated`` role,
    ``Deny`` raises NotAuthorizedException. Logins whose mappings pick different roles
    are ambiguous too (resolved with the first mapping's setting);
* otherwise the pool's ``authenticated`` role. A CustomRoleArn other than the role chosen
  is NotAuthorizedException. A role that is not configured, or (built-in broker) that is
  not a Cognate Role, is InvalidIdentityPoolConfigurationException, as Cognito says when
  a role's trust policy refuses it. The built-in broker checks the role's trust policy
  (:func:`identity.services.pools.role_trusts`: the pool in ``cognito-identity.amazonaws.com:aud``,
  ``authenticated``/``unauthenticated`` in ``...:amr``) and answers that too when it
  refuses; an STS broker leaves the trust policy to STS.

Principal tags ("Using attributes for access control"): per provider, the pool's
``principal_tags`` entry maps tag → claim; ``UseDefaults`` adds ``username`` → ``sub``
and ``client`` → ``aud``. Developer-authenticated identities carry the ``PrincipalTags``
given to GetOpenIdTokenForDeveloperIdentity (inside its OpenID token).

Brokers: ``builtin`` mints credentials bound to identity, role, tags and expiry (the
session token stored as its SHA-256) that Cognate's SigV4 verifier accepts
(:mod:`identity.services.callers`); ``sts`` calls ``AssumeRoleWithWebIdentity`` at
``COGNATE_STS_ENDPOINT`` with the identity's OpenID token.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from defusedxml import ElementTree
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from identity.models import Identity, IdentityLogin, IdentityPool, Role, TemporaryCredential
from identity.services import openid
from identity.services.logins import identity_for_logins, logins_resolve, new_identity_id
from identity.services.pools import role_trusts
from userpools.context import ServiceContext
from userpools.errors import ErrorCode, InvalidParameter, NotAuthorized, ResourceNotFound, ServiceError
from userpools.services.audit import audit_record

MAX_BUILTIN_SESSION = timedelta(hours=1)  # Cognito's credentials last an hour
ROLE_SESSION_NAME = "CognitoIdentityCredentials"
STS_TIMEOUT_SECONDS = 10
DEFAULT_TAG_MAP = {"username": "sub", "client": "aud"}
# STS errors that mean "this role will not trust that token": Cognito reports those as a
# pool configuration problem; anything else from STS is an external service failure.
_STS_CONFIGURATION_ERRORS = {
    "AccessDenied",
    "InvalidIdentityToken",
    "IDPRejectedClaim",
    "MalformedPolicyDocument",
    "PackedPolicyTooLarge",
    "RegionDisabledException",
    "InvalidParameterValue",
}
_KEY_ALPHABET = string.ascii_uppercase + "234567"
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


def invalid_configuration(
    message: str = "Invalid identity pool configuration. Check assigned IAM roles for this pool.",
) -> ServiceError:
    return ServiceError(message, code=ErrorCode.INVALID_IDENTITY_POOL_CONFIGURATION)


@dataclass(frozen=True)
class ProvenLogin:
    """A login the caller proved in this request: provider, subject and the token's claims."""

    provider: str
    subject: str
    claims: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)  # carried by a Cognate OpenID token


@dataclass(frozen=True)
class IssuedCredentials:
    identity_id: str
    access_key_id: str
    secret_key: str
    session_token: str
    expiration: datetime


@dataclass(frozen=True)
class IssuedToken:
    identity_id: str
    token: str


# --- Identities and their logins -----------------------------------------------------------


def _identity_get(identity_id: str, *, pool: IdentityPool | None = None) -> Identity:
    identity = Identity.objects.select_related("pool").filter(id=identity_id).first()
    if identity is None or (pool is not None and identity.pool_id != pool.id):
        raise ResourceNotFound(f"Identity '{identity_id}' not found.")
    if identity.disabled:
        raise NotAuthorized(f"Access to Identity '{identity_id}' is forbidden.")
    return identity


def _from_identity_token(identity: Identity, token: str) -> list[ProvenLogin]:
    """The logins an OpenID token of Cognate's issuer vouches for (its ``amr`` pairs)."""
    claims = openid.openid_token_verify(token, pool_id=identity.pool_id)
    if claims["sub"] != identity.id:
        raise NotAuthorized("Invalid login token. The token was issued for another identity.")
    amr = claims.get("amr") or []
    tags = {
        k: v[0] if isinstance(v, list) and v else v
        for k, v in ((claims.get(openid.TAGS_CLAIM) or {}).get("principal_tags") or {}).items()
    }
    proven = []
    for provider, link in zip(amr[1::2], amr[2::2], strict=False):
        subject = link.removeprefix(f"{provider}:").removeprefix("CognitoSignIn:")
        proven.append(ProvenLogin(provider, subject, {"sub": subject}, tags))
    if not proven:
        raise NotAuthorized("Invalid login token. The token is for an unauthenticated identity.")
    return proven


def _prove(ctx: ServiceContext, identity: Identity, logins: dict[str, str]) -> tuple[Identity, list[ProvenLogin]]:
    """Check the ``Logins`` of an unsigned request against the identity: each token valid,
    each login linked (or linkable) to it. No logins: the identity must be unauthenticated
    and the pool must allow that."""
    pool = identity.pool
    logins = dict(logins)
    identity_token = logins.pop(openid.COGNITO_IDENTITY, None)
    proven: list[ProvenLogin] = []
    if identity_token is not None:
        proven += _from_identity_token(identity, identity_token)
    if logins:
        verified = logins_resolve(pool, logins)
        # An identity token already proved the identity: linking further logins needs no more.
        identity = identity_for_logins(ctx, pool, verified, identity_id=identity.id, trusted=bool(proven))
        proven += [ProvenLogin(v.provider, v.subject, dict(v.claims)) for v in verified]
    if not proven:
        if IdentityLogin.objects.filter(identity=identity).exists():
            raise NotAuthorized("Logins don't match. Please include at least one valid login for this identity.")
        if not pool.allow_unauthenticated:
            raise NotAuthorized("Unauthenticated access is not supported for this identity pool.")
    return identity, proven


# --- Roles -------------------------------------------------------------------------------------


def _mapping_for(pool: IdentityPool, login: ProvenLogin) -> dict | None:
    mappings = pool.role_mappings or {}
    aud = login.claims.get("aud") or login.claims.get("client_id")
    if isinstance(aud, str) and f"{login.provider}:{aud}" in mappings:
        return mappings[f"{login.provider}:{aud}"]
    return mappings.get(login.provider)


def _claim_matches(value: Any, match: str, expected: str) -> bool:
    items = (
        [str(v) for v in value]
        if isinstance(value, list)
        else [str(value).lower() if isinstance(value, bool) else str(value)]
    )
    if match == "Equals":
        return expected in items
    if match == "NotEqual":
        return expected not in items
    if match == "Contains":
        return any(expected in item for item in items)
    if match == "StartsWith":
        return any(item.startswith(expected) for item in items)
    return False


class _Ambiguous(Exception):
    pass


def _mapped_role(mapping: dict, login: ProvenLogin, custom_role_arn: str | None) -> str:
    if mapping.get("Type") == "Token":
        roles = login.claims.get("cognito:roles") or []
        roles = [roles] if isinstance(roles, str) else [str(r) for r in roles]
        if custom_role_arn:
            if custom_role_arn in roles:
                return custom_role_arn
            raise NotAuthorized("The CustomRoleArn is not one of the roles in the token (cognito:roles).")
        preferred = login.claims.get("cognito:preferred_role")
        if isinstance(preferred, str) and preferred:
            return preferred
        if len(roles) == 1:
            return roles[0]
        raise _Ambiguous
    for rule in (mapping.get("RulesConfiguration") or {}).get("Rules") or []:
        if rule.get("Claim") in login.claims and _claim_matches(
            login.claims[rule["Claim"]], rule.get("MatchType"), rule.get("Value", "")
        ):
            return rule["RoleARN"]
        if rule.get("MatchType") == "NotEqual" and rule.get("Claim") not in login.claims:
            return rule["RoleARN"]
    raise _Ambiguous


def role_resolve(pool: IdentityPool, proven: list[ProvenLogin], *, custom_role_arn: str | None = None) -> str:
    """The role ARN an identity proving ``proven`` acts as (see the module docstring)."""
    roles = pool.roles or {}
    if not proven:
        role = roles.get("unauthenticated")
        if not role:
            raise invalid_configuration("Invalid identity pool configuration. No unauthenticated role is set.")
        if custom_role_arn and custom_role_arn != role:
            raise NotAuthorized("The CustomRoleArn is not a role this identity may assume.")
        return role
    default = roles.get("authenticated")
    chosen: list[str] = []
    first_mapping = None
    ambiguous = False
    for login in proven:
        mapping = _mapping_for(pool, login)
        if not mapping:
            continue
        first_mapping = first_mapping or mapping
        try:
            chosen.append(_mapped_role(mapping, login, custom_role_arn))
        except _Ambiguous:
            ambiguous = True
    if first_mapping is not None and (ambiguous or len(set(chosen)) > 1):
        if first_mapping.get("AmbiguousRoleResolution") == "Deny":
            raise NotAuthorized("Ambiguous role mappings: no role could be chosen for this identity (Deny).")
        chosen = [default] if default else []
    elif not chosen and default:
        chosen = [default]
    if not chosen or not chosen[0]:
        raise invalid_configuration("Invalid identity pool configuration. No authenticated role is set.")
    if custom_role_arn and custom_role_arn != chosen[0]:
        raise NotAuthorized("The CustomRoleArn is not a role this identity may assume.")
    return chosen[0]


def principal_tags_resolve(pool: IdentityPool, proven: list[ProvenLogin]) -> dict[str, str]:
    """Tag → value from the logins' claims, through the pool's attribute mappings."""
    tags: dict[str, str] = {}
    config = pool.principal_tags or {}
    for login in proven:
        tags.update(login.tags)
        aud = login.claims.get("aud")
        entry = (config.get(f"{login.provider}:{aud}") if isinstance(aud, str) else None) or config.get(login.provider)
        if not entry:
            continue
        mapping = dict(DEFAULT_TAG_MAP) if entry.get("UseDefaults") else {}
        mapping.update(entry.get("PrincipalTags") or {})
        for tag, claim in mapping.items():
            value = login.claims.get(claim)
            if isinstance(value, bool):
                tags[tag] = "true" if value else "false"
            elif isinstance(value, (str, int, float)) and str(value):
                tags[tag] = str(value)[:256]
    return tags


# --- Brokers -----------------------------------------------------------------------------------


def _new_access_key_id() -> str:
    return "ASIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))


def session_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _policy_claims(identity: Identity, proven: list[ProvenLogin]) -> dict[str, Any]:
    """The condition keys a role's policy may read (IAM "Available keys for identity federation")."""
    return {
        "cognito-identity.amazonaws.com:sub": identity.id,
        "cognito-identity.amazonaws.com:aud": identity.pool_id,
        "cognito-identity.amazonaws.com:amr": openid.amr([(p.provider, p.subject) for p in proven]),
    }


def _builtin_issue(
    ctx: ServiceContext, identity: Identity, *, role_arn: str, proven: list[ProvenLogin], tags: dict[str, str]
) -> IssuedCredentials:
    role = Role.objects.filter(arn=role_arn).first()
    if role is None:
        raise invalid_configuration()
    # The role must trust this identity pool for this kind of identity, as AWS STS checks a
    # role's trust policy: otherwise whoever may set a pool's roles (or a group's RoleArn,
    # which reaches here through cognito:preferred_role) could hand out any role.
    amr = openid.amr([(p.provider, p.subject) for p in proven])
    if not role_trusts(role, identity_pool_id=identity.pool_id, identity_id=identity.id, amr=amr):
        raise invalid_configuration()
    now = timezone.now()
    # Whole seconds, as AWS states an Expiration (and the wire carries it as epoch seconds).
    expires = (now + min(timedelta(seconds=role.max_session_seconds), MAX_BUILTIN_SESSION)).replace(microsecond=0)
    secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))
    token = secrets.token_urlsafe(144)
    for _ in range(3):  # an access key id collision is astronomically unlikely; retry anyway
        access_key_id = _new_access_key_id()
        try:
            with transaction.atomic():
                TemporaryCredential.objects.create(
                    access_key_id=access_key_id,
                    secret_access_key=secret,
                    session_token_hash=session_token_hash(token),
                    identity=identity,
                    role=role,
                    role_arn=role_arn,
                    authenticated=bool(proven),
                    principal_tags=tags,
                    claims=_policy_claims(identity, proven),
                    expires_at=expires,
                )
            break
        except IntegrityError:
            continue
    else:
        raise ServiceError("Could not mint credentials.", code=ErrorCode.INTERNAL_ERROR)
    audit_record(
        ctx,
        "identity.credentials",
        pool_id=identity.pool_id,
        target=identity.id,
        role=role_arn,
        access_key_id=access_key_id,
    )
    return IssuedCredentials(identity.id, access_key_id, secret, token, expires)


def _sts_endpoint() -> str:
    endpoint = getattr(settings, "COGNATE_STS_ENDPOINT", "")
    if not endpoint:
        raise ServiceError(
            "This identity pool's broker is STS, and COGNATE_STS_ENDPOINT is not set.", code=ErrorCode.EXTERNAL_SERVICE
        )
    return endpoint


def _sts_issue(identity: Identity, *, role_arn: str, web_identity_token: str) -> IssuedCredentials:
    """AssumeRoleWithWebIdentity (STS Query API, version 2011-06-15) with the identity's token."""
    form = {
        "Action": "AssumeRoleWithWebIdentity",
        "Version": "2011-06-15",
        "RoleArn": role_arn,
        "RoleSessionName": ROLE_SESSION_NAME,
        "WebIdentityToken": web_identity_token,
        "DurationSeconds": str(int(MAX_BUILTIN_SESSION.total_seconds())),
    }
    try:
        response = requests.post(_sts_endpoint(), data=form, timeout=STS_TIMEOUT_SECONDS)
        root = ElementTree.fromstring(response.content)
    except (requests.RequestException, ElementTree.ParseError, ValueError) as exc:
        raise ServiceError(
            f"The STS endpoint could not be reached or answered badly: {type(exc).__name__}.",
            code=ErrorCode.EXTERNAL_SERVICE,
        ) from None

    def text(parent: str, name: str) -> str | None:
        # By local name: STS-compatible services differ in (or omit) the namespace.
        for element in root.iter():
            if element.tag.rsplit("}", 1)[-1] == parent:
                for child in element:
                    if child.tag.rsplit("}", 1)[-1] == name and child.text:
                        return child.text.strip()
        return None

    if response.status_code != 200:
        code = text("Error", "Code") or f"HTTP {response.status_code}"
        message = text("Error", "Message") or ""
        if code in _STS_CONFIGURATION_ERRORS:
            raise invalid_configuration(
                f"Invalid identity pool configuration. STS refused the role: {code} {message}".strip()
            )
        raise ServiceError(f"STS failed: {code} {message}".strip(), code=ErrorCode.EXTERNAL_SERVICE)
    values = {
        name: text("Credentials", name) for name in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")
    }
    if not all(values.values()):
        raise ServiceError("STS answered without credentials.", code=ErrorCode.EXTERNAL_SERVICE)
    try:
        expiration = datetime.fromisoformat(values["Expiration"].replace("Z", "+00:00"))
    except ValueError:
        raise ServiceError("STS answered with an unreadable Expiration.", code=ErrorCode.EXTERNAL_SERVICE) from None
    return IssuedCredentials(
        identity.id, values["AccessKeyId"], values["SecretAccessKey"], values["SessionToken"], expiration
    )


# --- Operations --------------------------------------------------------------------------------


def credentials_for_identity(
    ctx: ServiceContext, *, identity_id: str, logins: dict[str, str] | None = None, custom_role_arn: str | None = None
) -> IssuedCredentials:
    """GetCredentialsForIdentity: the identity's credentials for the role it resolves to,
    issued by the pool's broker.

    Raises ResourceNotFoundException (identity), NotAuthorizedException (logins, disabled
    identity, unauthenticated access not allowed, Deny role resolution, CustomRoleArn),
    InvalidIdentityPoolConfigurationException (no role, unknown role, STS refused the role),
    ExternalServiceException (STS unreachable or failing).
    """
    identity = _identity_get(identity_id)
    identity, proven = _prove(ctx, identity, logins or {})
    pool = identity.pool
    role_arn = role_resolve(pool, proven, custom_role_arn=custom_role_arn)
    tags = principal_tags_resolve(pool, proven)
    if pool.broker == IdentityPool.Broker.STS:
        token = openid.openid_token_issue(
            identity_id=identity.id,
            pool_id=pool.id,
            logins=[(p.provider, p.subject) for p in proven],
            principal_tags=tags,
        )
        issued = _sts_issue(identity, role_arn=role_arn, web_identity_token=token)
        audit_record(ctx, "identity.credentials", pool_id=pool.id, target=identity.id, role=role_arn, broker="sts")
        return issued
    return _builtin_issue(ctx, identity, role_arn=role_arn, proven=proven, tags=tags)


def open_id_token_for_identity(
    ctx: ServiceContext, *, identity_id: str, logins: dict[str, str] | None = None
) -> IssuedToken:
    """GetOpenIdToken: a 10-minute OpenID token for the identity, after checking its logins
    as GetCredentialsForIdentity does. Raises ResourceNotFoundException, NotAuthorizedException."""
    identity = _identity_get(identity_id)
    identity, proven = _prove(ctx, identity, logins or {})
    token = openid.openid_token_issue(
        identity_id=identity.id,
        pool_id=identity.pool_id,
        logins=[(p.provider, p.subject) for p in proven],
        principal_tags=principal_tags_resolve(identity.pool, proven),
    )
    return IssuedToken(identity.id, token)


def _identity_new(ctx: ServiceContext, pool: IdentityPool) -> Identity:
    identity = Identity.objects.create(id=new_identity_id(pool), pool=pool)
    audit_record(ctx, "identity.create", pool_id=pool.id, target=identity.id, logins=[pool.developer_provider_name])
    return identity


def open_id_token_for_developer_identity(
    ctx: ServiceContext,
    *,
    pool_id: str,
    logins: dict[str, str],
    identity_id: str | None = None,
    principal_tags: dict[str, str] | None = None,
    token_duration: int | None = None,
) -> IssuedToken:
    """GetOpenIdTokenForDeveloperIdentity: register (or find) the developer user
    ``logins[pool.developer_provider_name]``, link any other verified logins, and return an
    OpenID token (15 minutes unless ``token_duration``, at most 24 hours) carrying
    ``principal_tags``. The caller is an authorized operator (the wire layer checks).

    Raises ResourceNotFoundException (pool, identity), InvalidParameterException (no
    developer provider), DeveloperUserAlreadyRegisteredException (the developer user
    belongs to another identity), NotAuthorizedException (other logins).
    """
    pool = IdentityPool.objects.filter(id=pool_id).first()
    if pool is None:
        raise ResourceNotFound(f"IdentityPool '{pool_id}' not found.")
    provider = pool.developer_provider_name
    if not provider or provider not in logins:
        raise InvalidParameter("Logins must include the identity pool's developer provider name.")
    others = {k: v for k, v in logins.items() if k != provider}
    subject = logins[provider]
    with transaction.atomic():
        linked = (
            IdentityLogin.objects.select_related("identity")
            .filter(pool=pool, provider=provider, subject=subject)
            .first()
        )
        identity = _identity_get(identity_id, pool=pool) if identity_id else None
        if linked is not None and identity is not None and linked.identity_id != identity.id:
            raise ServiceError(
                f"Developer user '{subject}' is already registered with another identity.",
                code=ErrorCode.DEVELOPER_USER_ALREADY_REGISTERED,
            )
        identity = identity or (linked.identity if linked else None)
        proven = [ProvenLogin(provider, subject, {"sub": subject}, dict(principal_tags or {}))]
        if others:
            verified = logins_resolve(pool, others)
            identity = identity_for_logins(
                ctx, pool, verified, identity_id=identity.id if identity else None, trusted=True
            )
            proven += [ProvenLogin(v.provider, v.subject, dict(v.claims)) for v in verified]
        if identity is None:
            identity = _identity_new(ctx, pool)
        if identity.disabled:
            raise NotAuthorized(f"Access to Identity '{identity.id}' is forbidden.")
        if linked is None:
            IdentityLogin.objects.create(identity=identity, pool=pool, provider=provider, subject=subject)
            audit_record(ctx, "identity.link", pool_id=pool.id, target=identity.id, logins=[provider])
    duration = timedelta(seconds=token_duration) if token_duration else openid.DEFAULT_DURATION
    token = openid.openid_token_issue(
        identity_id=identity.id,
        pool_id=pool.id,
        logins=[(p.provider, p.subject) for p in proven],
        principal_tags=principal_tags_resolve(pool, proven),
        duration=duration,
    )
    return IssuedToken(identity.id, token)


def temporary_credentials_purge(*, now: datetime | None = None) -> int:
    """Delete built-in credentials that expired more than a day ago (for a periodic task)."""
    cutoff = (now or timezone.now()) - timedelta(days=1)
    deleted, _ = TemporaryCredential.objects.filter(expires_at__lt=cutoff).delete()
    return deleted
