"""Identity pools: their configuration, roles, principal tags, tags, and their identities.

Cognito API reference (AWSCognitoIdentityService): CreateIdentityPool, DescribeIdentityPool,
UpdateIdentityPool, DeleteIdentityPool, ListIdentityPools, SetIdentityPoolRoles,
GetIdentityPoolRoles, Set/GetPrincipalTagAttributeMap, Tag/UntagResource,
ListTagsForResource, DescribeIdentity, ListIdentities, DeleteIdentities, UnlinkIdentity,
LookupDeveloperIdentity, MergeDeveloperIdentities, UnlinkDeveloperIdentity.

The wire layer validated each request against the botocore model (types, lengths,
patterns, enums) and checked the caller's permission; these functions check what the
model cannot say (that ARNs name things Cognate knows, that a provider is one the pool
trusts) and raise InvalidParameterException, ResourceNotFoundException,
ResourceConflictException or NotAuthorizedException.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from identity import policy as iam
from identity.models import Identity, IdentityLogin, IdentityPool, OpenIdProvider, Role
from identity.services import logins as login_service
from userpools.conf import cognate_settings
from userpools.context import ServiceContext
from userpools.errors import InvalidParameter, NotAuthorized, ResourceConflict, ResourceNotFound
from userpools.models import AppClient, UserPool
from userpools.services.audit import audit_record
from userpools.services.pagination import Page, paginate

MAX_TAGS = 50
_PARTITION = r"arn:aws[\w-]*"
ROLE_ARN = re.compile(rf"{_PARTITION}:iam::\d{{12}}:role/[\w+=,.@/-]{{1,512}}")
OIDC_ARN = re.compile(rf"{_PARTITION}:iam::\d{{12}}:oidc-provider/[^\s]+")
SAML_ARN = re.compile(rf"{_PARTITION}:iam::\d{{12}}:saml-provider/[\w+=,.@-]+")
POOL_ARN = re.compile(rf"{_PARTITION}:cognito-identity:([\w-]+):(\d{{12}}):identitypool/([\w-]+:[0-9a-f-]+)")


# --- Identity pools --------------------------------------------------------------------------


def identity_pool_arn(pool_id: str) -> str:
    region = pool_id.split(":", 1)[0]
    return f"arn:aws:cognito-identity:{region}:{cognate_settings().ACCOUNT_ID}:identitypool/{pool_id}"


def identity_pool_get(pool_id: str, *, lock: bool = False) -> IdentityPool:
    """The pool, or ResourceNotFoundException. ``lock`` takes a row lock (inside a transaction)."""
    qs = IdentityPool.objects.select_for_update() if lock else IdentityPool.objects
    try:
        return qs.get(pk=pool_id)
    except IdentityPool.DoesNotExist:
        raise ResourceNotFound(f"IdentityPool '{pool_id}' not found.") from None


def _validate_tags(tags: Mapping[str, str]) -> dict[str, str]:
    if len(tags) > MAX_TAGS:
        raise InvalidParameter(f"An identity pool has at most {MAX_TAGS} tags.")
    if any(key.lower().startswith("aws:") for key in tags):
        raise InvalidParameter("Tag keys starting with 'aws:' are reserved.")
    return dict(tags)


def _validate_login_providers(providers: Mapping[str, str]) -> dict[str, str]:
    for name in providers:
        if name not in login_service.SOCIAL_PROVIDERS:
            raise InvalidParameter(
                f"SupportedLoginProviders: {name!r} is not one of {', '.join(login_service.SOCIAL_PROVIDERS)}."
            )
    return dict(providers)


def _validate_cognito_providers(providers: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for entry in providers:
        name, client_id = entry.get("ProviderName"), entry.get("ClientId")
        if not name or not client_id:
            raise InvalidParameter("CognitoIdentityProviders: ProviderName and ClientId are required.")
        user_pool_id = login_service.cognito_user_pool_id(name)
        if user_pool_id is None:
            raise InvalidParameter(
                f"CognitoIdentityProviders: {name!r} is not cognito-idp.{{region}}.amazonaws.com/{{UserPoolId}}."
            )
        if not UserPool.objects.filter(pk=user_pool_id).exists():
            raise InvalidParameter(f"CognitoIdentityProviders: user pool {user_pool_id} does not exist.")
        if not AppClient.objects.filter(pool_id=user_pool_id, client_id=client_id).exists():
            raise InvalidParameter(f"CognitoIdentityProviders: {client_id} is not an app client of {user_pool_id}.")
        if (user_pool_id, client_id) in seen:
            raise InvalidParameter("CognitoIdentityProviders: a provider and client are listed twice.")
        seen.add((user_pool_id, client_id))
        item: dict[str, Any] = {"ProviderName": name, "ClientId": client_id}
        if "ServerSideTokenCheck" in entry:
            item["ServerSideTokenCheck"] = bool(entry["ServerSideTokenCheck"])
        out.append(item)
    return out


def _validate_oidc_arns(arns: list[str]) -> list[str]:
    for arn in arns:
        if not OIDC_ARN.fullmatch(arn):
            raise InvalidParameter(f"OpenIdConnectProviderARNs: {arn!r} is not an IAM OIDC provider ARN.")
        if not OpenIdProvider.objects.filter(arn=arn).exists():
            raise InvalidParameter(f"OpenIdConnectProviderARNs: no OpenID Connect provider {arn} is registered.")
    if len(set(arns)) != len(arns):
        raise InvalidParameter("OpenIdConnectProviderARNs: an ARN is listed twice.")
    return list(arns)


def _validate_saml_arns(arns: list[str]) -> list[str]:
    for arn in arns:
        if not SAML_ARN.fullmatch(arn):
            raise InvalidParameter(f"SamlProviderARNs: {arn!r} is not an IAM SAML provider ARN.")
    return list(arns)


def _configuration(request: Mapping[str, Any]) -> dict[str, Any]:
    """Model fields from a Create/UpdateIdentityPool request (absent members are empty)."""
    return {
        "name": request["IdentityPoolName"],
        "allow_unauthenticated": bool(request["AllowUnauthenticatedIdentities"]),
        "allow_classic_flow": bool(request.get("AllowClassicFlow", False)),
        "supported_login_providers": _validate_login_providers(request.get("SupportedLoginProviders", {})),
        "open_id_connect_provider_arns": _validate_oidc_arns(request.get("OpenIdConnectProviderARNs", [])),
        "cognito_identity_providers": _validate_cognito_providers(request.get("CognitoIdentityProviders", [])),
        "saml_provider_arns": _validate_saml_arns(request.get("SamlProviderARNs", [])),
    }


@transaction.atomic
def identity_pool_create(ctx: ServiceContext, request: Mapping[str, Any]) -> IdentityPool:
    """CreateIdentityPool. Names need not be unique (as in Cognito)."""
    fields = _configuration(request)
    pool = IdentityPool.objects.create(
        id=f"{cognate_settings().REGION}:{uuid.uuid4()}",
        developer_provider_name=request.get("DeveloperProviderName", ""),
        tags=_validate_tags(request.get("IdentityPoolTags", {})),
        **fields,
    )
    audit_record(ctx, "identity_pool.create", pool_id=pool.id, target=pool.id, name=pool.name)
    return pool


@transaction.atomic
def identity_pool_update(ctx: ServiceContext, request: Mapping[str, Any]) -> IdentityPool:
    """UpdateIdentityPool: replaces the whole configuration, as Cognito does (a member left
    out is cleared). DeveloperProviderName cannot change once set; IdentityPoolTags replace
    the tags only when given."""
    pool = identity_pool_get(request["IdentityPoolId"], lock=True)
    fields = _configuration(request)
    developer = request.get("DeveloperProviderName", "")
    if pool.developer_provider_name and developer and developer != pool.developer_provider_name:
        raise InvalidParameter("DeveloperProviderName cannot be changed once it is set.")
    if pool.developer_provider_name and not developer:
        developer = pool.developer_provider_name
    for name, value in fields.items():
        setattr(pool, name, value)
    pool.developer_provider_name = developer
    if "IdentityPoolTags" in request:
        pool.tags = _validate_tags(request["IdentityPoolTags"])
    pool.save()
    audit_record(ctx, "identity_pool.update", pool_id=pool.id, target=pool.id)
    return pool


@transaction.atomic
def identity_pool_delete(ctx: ServiceContext, *, pool_id: str) -> None:
    """DeleteIdentityPool: its identities, their logins and credentials go with it."""
    pool = identity_pool_get(pool_id, lock=True)
    pool.delete()
    audit_record(ctx, "identity_pool.delete", pool_id=pool_id, target=pool_id)


def identity_pools_list(*, limit: int, next_token: str | None) -> Page[IdentityPool]:
    """ListIdentityPools, oldest first, keyset-paginated."""
    return paginate(IdentityPool.objects.all(), order=("created_at", "id"), limit=limit, token=next_token)


# --- Roles and principal tags ----------------------------------------------------------------


def _validate_role_arn(pool: IdentityPool, arn: str, where: str) -> str:
    if not ROLE_ARN.fullmatch(arn):
        raise InvalidParameter(f"{where}: {arn!r} is not an IAM role ARN.")
    # The built-in broker issues credentials for Cognate's own roles: they must exist. An
    # STS broker assumes AWS roles Cognate cannot see.
    if pool.broker == IdentityPool.Broker.BUILTIN and not Role.objects.filter(arn=arn).exists():
        raise InvalidParameter(f"{where}: no role {arn} exists.")
    return arn


def _validate_role_mappings(pool: IdentityPool, mappings: Mapping[str, Any]) -> dict[str, Any]:
    providers = login_service.pool_provider_names(pool)
    out: dict[str, Any] = {}
    for provider, mapping in mappings.items():
        canonical = login_service.provider_canonical(pool, provider)
        if canonical not in providers:
            raise InvalidParameter(f"RoleMappings: {provider!r} is not a provider of this identity pool.")
        kind = mapping["Type"]
        item: dict[str, Any] = {"Type": kind}
        if "AmbiguousRoleResolution" not in mapping:
            raise InvalidParameter(f"RoleMappings.{provider}: AmbiguousRoleResolution is required.")
        item["AmbiguousRoleResolution"] = mapping["AmbiguousRoleResolution"]
        rules = mapping.get("RulesConfiguration")
        if kind == "Rules":
            if not rules:
                raise InvalidParameter(f"RoleMappings.{provider}: a Rules mapping needs RulesConfiguration.")
            for rule in rules["Rules"]:
                _validate_role_arn(pool, rule["RoleARN"], f"RoleMappings.{provider}")
            item["RulesConfiguration"] = {"Rules": [dict(rule) for rule in rules["Rules"]]}
        elif rules:
            raise InvalidParameter(f"RoleMappings.{provider}: a Token mapping takes no RulesConfiguration.")
        out[canonical] = item
    return out


def role_arns_passed(roles: Mapping[str, Any] | None, role_mappings: Mapping[str, Any] | None) -> list[str]:
    """Every role ARN a SetIdentityPoolRoles request hands to the pool (Roles and the
    RoleARN of every rule), each once: the caller needs iam:PassRole on each."""
    arns = [arn for arn in (roles or {}).values() if isinstance(arn, str)]
    for mapping in (role_mappings or {}).values():
        if not isinstance(mapping, dict):
            continue
        rules = (mapping.get("RulesConfiguration") or {}).get("Rules") or []
        arns += [rule["RoleARN"] for rule in rules if isinstance(rule, dict) and isinstance(rule.get("RoleARN"), str)]
    return list(dict.fromkeys(arns))


@transaction.atomic
def identity_pool_roles_set(
    ctx: ServiceContext, *, pool_id: str, roles: Mapping[str, str], role_mappings: Mapping[str, Any] | None = None
) -> IdentityPool:
    """SetIdentityPoolRoles: replaces the roles and the role mappings (absent: none)."""
    pool = identity_pool_get(pool_id, lock=True)
    pool.roles = {kind: _validate_role_arn(pool, arn, f"Roles.{kind}") for kind, arn in roles.items()}
    pool.role_mappings = _validate_role_mappings(pool, role_mappings or {})
    pool.save(update_fields=["roles", "role_mappings", "updated_at"])
    audit_record(ctx, "identity_pool.roles_set", pool_id=pool.id, target=pool.id, roles=pool.roles)
    return pool


@transaction.atomic
def identity_pool_broker_set(ctx: ServiceContext, *, pool_id: str, broker: str) -> IdentityPool:
    """Choose who issues the pool's credentials (a Cognate setting, not in Cognito's API):
    Cognate itself, or the STS endpoint of ``COGNATE_STS_ENDPOINT``, which must be set."""
    if broker not in IdentityPool.Broker.values:
        raise InvalidParameter(f"broker must be one of {', '.join(IdentityPool.Broker.values)}.")
    if broker == IdentityPool.Broker.STS and not getattr(settings, "COGNATE_STS_ENDPOINT", ""):
        raise InvalidParameter("The STS broker needs COGNATE_STS_ENDPOINT to be set.")
    pool = identity_pool_get(pool_id, lock=True)
    if pool.broker != broker:
        pool.broker = broker
        pool.save(update_fields=["broker", "updated_at"])
        audit_record(ctx, "identity_pool.broker_set", pool_id=pool.id, target=pool.id, broker=broker)
    return pool


@dataclass(frozen=True)
class PrincipalTagMap:
    pool_id: str
    provider: str
    use_defaults: bool
    tags: dict[str, str]


def _trusted_provider(pool: IdentityPool, provider: str) -> str:
    canonical = login_service.provider_canonical(pool, provider)
    if canonical not in login_service.pool_provider_names(pool):
        raise InvalidParameter(f"{provider!r} is not a provider of this identity pool.")
    return canonical


@transaction.atomic
def principal_tag_map_set(
    ctx: ServiceContext, *, pool_id: str, provider: str, use_defaults: bool | None, tags: Mapping[str, str] | None
) -> PrincipalTagMap:
    """SetPrincipalTagAttributeMap: which token claims become session tags for a provider."""
    pool = identity_pool_get(pool_id, lock=True)
    canonical = _trusted_provider(pool, provider)
    entry = {"UseDefaults": bool(use_defaults), "PrincipalTags": dict(tags or {})}
    pool.principal_tags = {**pool.principal_tags, canonical: entry}
    pool.save(update_fields=["principal_tags", "updated_at"])
    audit_record(ctx, "identity_pool.principal_tags_set", pool_id=pool.id, target=pool.id, provider=canonical)
    return PrincipalTagMap(pool.id, provider, entry["UseDefaults"], entry["PrincipalTags"])


def principal_tag_map_get(*, pool_id: str, provider: str) -> PrincipalTagMap:
    """GetPrincipalTagAttributeMap: a provider never mapped has no tags and no defaults."""
    pool = identity_pool_get(pool_id)
    canonical = _trusted_provider(pool, provider)
    entry = pool.principal_tags.get(canonical, {})
    return PrincipalTagMap(
        pool.id, provider, bool(entry.get("UseDefaults", False)), dict(entry.get("PrincipalTags", {}))
    )


# --- Tags ------------------------------------------------------------------------------------


def identity_pool_id_of_arn(arn: str) -> str | None:
    """The id of the identity pool an ARN names as :func:`_pool_for_arn` reads it (any
    partition), or None: authorization uses the pool's canonical ARN, so that another
    spelling of it cannot slip past a Deny."""
    matched = POOL_ARN.fullmatch(arn)
    return matched.group(3) if matched else None


def _pool_for_arn(arn: str, *, lock: bool = False) -> IdentityPool:
    matched = POOL_ARN.fullmatch(arn)
    if not matched:
        raise InvalidParameter(f"{arn!r} is not an identity pool ARN.")
    region, account, pool_id = matched.groups()
    if account != cognate_settings().ACCOUNT_ID or pool_id.split(":", 1)[0] != region:
        raise ResourceNotFound(f"Resource {arn} not found.")
    try:
        return identity_pool_get(pool_id, lock=lock)
    except ResourceNotFound:
        raise ResourceNotFound(f"Resource {arn} not found.") from None


@transaction.atomic
def identity_pool_tag(ctx: ServiceContext, *, arn: str, tags: Mapping[str, str]) -> None:
    """TagResource: adds or overwrites tags."""
    pool = _pool_for_arn(arn, lock=True)
    pool.tags = _validate_tags({**pool.tags, **tags})
    pool.save(update_fields=["tags", "updated_at"])
    audit_record(ctx, "identity_pool.tag", pool_id=pool.id, target=pool.id, keys=sorted(tags))


@transaction.atomic
def identity_pool_untag(ctx: ServiceContext, *, arn: str, keys: list[str]) -> None:
    """UntagResource: removes tags; keys not present are ignored."""
    pool = _pool_for_arn(arn, lock=True)
    pool.tags = {k: v for k, v in pool.tags.items() if k not in set(keys)}
    pool.save(update_fields=["tags", "updated_at"])
    audit_record(ctx, "identity_pool.untag", pool_id=pool.id, target=pool.id, keys=sorted(keys))


def identity_pool_tags(*, arn: str) -> dict[str, str]:
    """ListTagsForResource."""
    return dict(_pool_for_arn(arn).tags)


# --- Identities ------------------------------------------------------------------------------


def identity_id_get(ctx: ServiceContext, *, pool_id: str, logins: Mapping[str, str]) -> Identity:
    """GetId (unsigned): verifies ``logins`` (:func:`logins.logins_resolve`) and returns the
    identity they are linked to, created if new; with no logins, a new unauthenticated
    identity if the pool allows them. See :func:`logins.identity_for_logins` for errors."""
    pool = identity_pool_get(pool_id)
    verified = login_service.logins_resolve(pool, logins)
    return login_service.identity_for_logins(ctx, pool, verified)


def identity_pool_ids_of(identity_ids: list[str]) -> dict[str, str]:
    """{identity id: its identity pool's id} for the ids that exist (for authorization:
    an operation naming identities acts on their pools)."""
    return dict(Identity.objects.filter(pk__in=identity_ids).values_list("id", "pool_id"))


def identity_describe(*, identity_id: str) -> Identity:
    """DescribeIdentity: the identity, or ResourceNotFoundException."""
    return login_service.identity_get(identity_id)


def identity_login_names(identity: Identity) -> list[str]:
    """The provider names linked to an identity (DescribeIdentity's Logins), in link order."""
    return list(dict.fromkeys(login.provider for login in identity.logins.order_by("created_at", "id")))


def identities_list(*, pool_id: str, limit: int, next_token: str | None, hide_disabled: bool = False) -> Page[Identity]:
    """ListIdentities, oldest first, keyset-paginated; logins prefetched."""
    pool = identity_pool_get(pool_id)
    qs = Identity.objects.filter(pool=pool).prefetch_related("logins")
    if hide_disabled:
        qs = qs.filter(disabled=False)
    return paginate(qs, order=("created_at", "id"), limit=limit, token=next_token)


@transaction.atomic
def identities_delete(ctx: ServiceContext, *, identity_ids: list[str]) -> list[str]:
    """DeleteIdentities: deletes those that exist (unknown ids are not an error, as in
    Cognito); returns the ids that could not be processed (none)."""
    found = list(Identity.objects.filter(pk__in=identity_ids).values_list("id", "pool_id"))
    Identity.objects.filter(pk__in=[identity_id for identity_id, _ in found]).delete()
    for identity_id, pool_id in found:
        audit_record(ctx, "identity.delete", pool_id=pool_id, target=identity_id)
    return []


@transaction.atomic
def identity_set_disabled(ctx: ServiceContext, *, identity_id: str, disabled: bool) -> Identity:
    """Disable or enable an identity (admin console): a disabled identity gets no id,
    token or credentials."""
    identity = login_service.identity_get(identity_id, lock=True)
    identity.disabled = disabled
    identity.save(update_fields=["disabled", "updated_at"])
    audit_record(
        ctx, "identity.disable" if disabled else "identity.enable", pool_id=identity.pool_id, target=identity.id
    )
    return identity


def identity_unlink(
    ctx: ServiceContext, *, identity_id: str, logins: Mapping[str, str], logins_to_remove: list[str]
) -> None:
    """UnlinkIdentity (unsigned): the caller proves the identity with its current logins
    (each must be linked to it), then the providers in ``logins_to_remove`` are unlinked.
    Developer-provider logins go with UnlinkDeveloperIdentity. NotAuthorizedException for
    a login that does not verify or belongs elsewhere, or a disabled identity."""
    identity = login_service.identity_get(identity_id)
    pool = identity.pool
    verified = login_service.logins_resolve(pool, logins)
    with transaction.atomic():
        identity = login_service.identity_get(identity_id, lock=True)
        if identity.disabled:
            raise NotAuthorized(f"Identity '{identity.id}' is disabled.")
        linked = {(r.provider, r.subject) for r in identity.logins.all()}
        if not verified or any((v.provider, v.subject) not in linked for v in verified):
            raise NotAuthorized(login_service.LOGINS_MISMATCH)
        remove = {login_service.provider_canonical(pool, name) for name in logins_to_remove}
        if pool.developer_provider_name and pool.developer_provider_name in remove:
            raise InvalidParameter("Developer-provider logins are unlinked with UnlinkDeveloperIdentity.")
        deleted, _ = IdentityLogin.objects.filter(identity=identity, provider__in=remove).delete()
        if deleted:
            Identity.objects.filter(pk=identity.pk).update(updated_at=timezone.now())
    audit_record(ctx, "identity.unlink", pool_id=pool.id, target=identity.id, logins=sorted(remove))


# --- Console-only: OIDC providers and roles --------------------------------------------------


def open_id_provider_arn(issuer: str) -> str:
    """``arn:aws:iam::{account}:oidc-provider/{issuer host/path}``."""
    parts = urlsplit(issuer)
    return f"arn:aws:iam::{cognate_settings().ACCOUNT_ID}:oidc-provider/{parts.netloc}{parts.path.rstrip('/')}"


@transaction.atomic
def open_id_provider_save(
    ctx: ServiceContext,
    *,
    issuer: str,
    client_ids: list[str],
    jwks_url: str = "",
    provider: OpenIdProvider | None = None,
) -> OpenIdProvider:
    """Register (or change) an OpenID Connect provider; its ARN follows from its issuer."""
    parts = urlsplit(issuer)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise InvalidParameter("The issuer must be an https:// URL without query or fragment.")
    if not client_ids:
        raise InvalidParameter("An OpenID Connect provider needs at least one client id (audience).")
    arn = open_id_provider_arn(issuer)
    clash = OpenIdProvider.objects.filter(arn=arn)
    if provider is not None and provider.pk:
        clash = clash.exclude(pk=provider.pk)
    if clash.exists():
        raise ResourceConflict(f"An OpenID Connect provider {arn} exists.")
    provider = provider or OpenIdProvider()
    provider.arn, provider.issuer, provider.client_ids, provider.jwks_url = (
        arn,
        issuer.rstrip("/"),
        client_ids,
        jwks_url,
    )
    provider.save()
    login_service.jwk_clients_clear()
    audit_record(ctx, "oidc_provider.save", target=arn)
    return provider


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{cognate_settings().ACCOUNT_ID}:role/{name}"


COGNITO_IDENTITY = "cognito-identity.amazonaws.com"  # the federated principal of identity pools
ASSUME_ROLE_ACTION = "sts:AssumeRoleWithWebIdentity"


def cognito_trust_policy(pool_ids: list[str], *, kind: str | None = None) -> dict:
    """The trust policy AWS's console writes for an identity-pool role: the identity
    pools ``pool_ids`` may assume it, for ``kind`` ("authenticated" / "unauthenticated")
    identities only, or both when None (Cognito developer guide, "IAM roles": role trust
    and permissions)."""
    if not pool_ids:
        raise InvalidParameter("A trust policy names at least one identity pool.")
    condition: dict[str, Any] = {"StringEquals": {f"{COGNITO_IDENTITY}:aud": list(pool_ids)}}
    if kind is not None:
        if kind not in ("authenticated", "unauthenticated"):
            raise InvalidParameter("kind is 'authenticated' or 'unauthenticated'.")
        condition["ForAnyValue:StringLike"] = {f"{COGNITO_IDENTITY}:amr": kind}
    return {
        "Version": iam.VERSION_2012,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": COGNITO_IDENTITY},
                "Action": ASSUME_ROLE_ACTION,
                "Condition": condition,
            }
        ],
    }


def role_trusts(role: Role, *, identity_pool_id: str, identity_id: str, amr: list[str]) -> bool:
    """Whether the role's trust policy lets identities of ``identity_pool_id`` (with
    Cognito's ``amr`` values) assume it. A malformed stored policy trusts nobody."""
    context = {
        f"{COGNITO_IDENTITY}:aud": identity_pool_id,
        f"{COGNITO_IDENTITY}:sub": identity_id,
        f"{COGNITO_IDENTITY}:amr": amr,
    }
    try:
        decision = iam.evaluate_trust(
            role.trust_policy,
            principal_type="Federated",
            principal=COGNITO_IDENTITY,
            action=ASSUME_ROLE_ACTION,
            context=context,
        )
    except iam.PolicyError:
        return False
    return decision is iam.Decision.ALLOW


def role_pools_using(arn: str) -> dict[str, list[str]]:
    """{identity pool id: ["authenticated"/"unauthenticated", ...]} of the pools whose roles
    or role-mapping rules name the role today (a Rules mapping's role is for authenticated
    identities). A group's role reaches pools through tokens, so is not found here."""
    using: dict[str, set[str]] = {}
    for pool in IdentityPool.objects.only("id", "roles", "role_mappings"):
        for kind, role in (pool.roles or {}).items():
            if role == arn and kind in ("authenticated", "unauthenticated"):
                using.setdefault(pool.id, set()).add(kind)
        if arn in role_arns_passed(None, pool.role_mappings):
            using.setdefault(pool.id, set()).add("authenticated")
    return {pool_id: sorted(kinds) for pool_id, kinds in sorted(using.items())}


@transaction.atomic
def role_trust_set(ctx: ServiceContext, *, arn: str, trust_policy: dict | str) -> Role:
    """Replace a role's trust policy (``{}``: trust nobody)."""
    role = Role.objects.select_for_update().filter(arn=arn).first()
    if role is None:
        raise ResourceNotFound(f"No role {arn} exists.")
    try:
        role.trust_policy = iam.validate_trust_policy(trust_policy) if trust_policy else {}
    except iam.PolicyError as exc:
        raise InvalidParameter(f"The trust policy is not valid: {exc}") from None
    role.save(update_fields=["trust_policy", "updated_at"])
    audit_record(ctx, "role.trust_set", target=arn)
    return role


@transaction.atomic
def role_save(
    ctx: ServiceContext,
    *,
    name: str,
    policy: dict | str,
    description: str = "",
    max_session_seconds: int = 3600,
    role: Role | None = None,
    trust_policy: dict | str | None = None,
) -> Role:
    """Create or change a Cognate role; the policies are validated by :mod:`identity.policy`.
    ``trust_policy`` (see :class:`identity.models.Role`, :func:`cognito_trust_policy`): None
    keeps a role's trust as it is (a new role trusts nobody), ``{}`` clears it."""
    if not re.fullmatch(r"[\w+=,.@-]{1,64}", name):
        raise InvalidParameter("A role name is 1-64 of letters, digits and +=,.@_-.")
    try:
        document = iam.validate_policy(policy)
    except iam.PolicyError as exc:
        raise InvalidParameter(f"The policy is not valid: {exc}") from None
    trust: dict | None = None
    if trust_policy is not None:
        try:
            trust = iam.validate_trust_policy(trust_policy) if trust_policy else {}
        except iam.PolicyError as exc:
            raise InvalidParameter(f"The trust policy is not valid: {exc}") from None
    if not 900 <= max_session_seconds <= 43200:
        raise InvalidParameter("The longest session is between 900 and 43200 seconds.")
    arn = role_arn(name)
    clash = Role.objects.filter(arn=arn)
    if role is not None and role.pk:
        clash = clash.exclude(pk=role.pk)
    if clash.exists():
        raise ResourceConflict(f"A role {arn} exists.")
    role = role or Role()
    role.arn, role.name, role.description = arn, name, description
    role.policy, role.max_session_seconds = document, max_session_seconds
    if trust is not None:
        role.trust_policy = trust
    role.save()
    audit_record(ctx, "role.save", target=arn, trust_changed=trust is not None)
    return role
