"""User-pool domains: a prefix domain ``{prefix}.{COGNATE_DOMAIN_SUFFIX}`` and a custom domain.

The hosted pages are served on either (F5) and always under ``{PUBLIC_URL}/{UserPoolId}/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction

from userpools.conf import cognate_settings
from userpools.context import ServiceContext
from userpools.errors import FeatureUnavailableInTier, InvalidParameter, ResourceNotFound
from userpools.models import UserPool, UserPoolDomain
from userpools.services.audit import audit_record
from userpools.services.pools import user_pool_get
from userpools.spec import validate_request

RESERVED_WORDS = ("aws", "amazon", "cognito")
# 1: hosted UI (classic); 2: managed login, which the LITE feature plan does not include.
MANAGED_LOGIN_VERSIONS = (1, 2)


def _check_managed_login_version(pool: UserPool, version: int) -> None:
    if version not in MANAGED_LOGIN_VERSIONS:
        raise InvalidParameter(f"ManagedLoginVersion must be one of {', '.join(map(str, MANAGED_LOGIN_VERSIONS))}.")
    if version == 2 and pool.tier == UserPool.Tier.LITE:
        raise FeatureUnavailableInTier("Managed login (ManagedLoginVersion 2) requires the ESSENTIALS or PLUS tier.")


def public_host() -> str:
    return urlsplit(cognate_settings().PUBLIC_URL).hostname or "localhost"


def domain_fqdn(domain: UserPoolDomain) -> str:
    return domain.domain if domain.is_custom else f"{domain.domain}.{cognate_settings().DOMAIN_SUFFIX}"


def domain_url(fqdn: str) -> str:
    """The base URL of a pool domain: scheme and port as ``COGNATE_PUBLIC_URL`` has them (one
    server answers every host), e.g. ``http://demo.auth.localhost:8000``."""
    public = urlsplit(cognate_settings().PUBLIC_URL)
    port = f":{public.port}" if public.port else ""
    return f"{public.scheme}://{fqdn}{port}"


def pages_base_url(pool_id: str) -> str:
    """Where a pool's hosted pages and OAuth 2.0 endpoints are served for its users: its
    custom domain, else its prefix domain, else ``{PUBLIC_URL}/{UserPoolId}`` (always served)."""
    domains = sorted(UserPoolDomain.objects.filter(pool_id=pool_id), key=lambda d: not d.is_custom)
    if domains:
        return domain_url(domain_fqdn(domains[0]))
    return f"{cognate_settings().PUBLIC_URL.rstrip('/')}/{pool_id}"


@transaction.atomic
def user_pool_domain_create(ctx: ServiceContext, request: Mapping[str, Any]) -> UserPoolDomain:
    validate_request("CreateUserPoolDomain", request)
    pool = user_pool_get(request["UserPoolId"], lock=True)
    name = request["Domain"]
    custom = request.get("CustomDomainConfig")
    if custom is None:
        if "." in name:
            raise InvalidParameter("A prefix domain cannot contain dots; give CustomDomainConfig for a custom domain.")
        if any(word in name for word in RESERVED_WORDS):
            raise InvalidParameter(f"Domain prefix cannot contain reserved words: {', '.join(RESERVED_WORDS)}.")
    elif "." not in name:
        raise InvalidParameter("A custom domain must be a fully qualified domain name.")
    version = request.get("ManagedLoginVersion", 1)
    _check_managed_login_version(pool, version)
    kind = "custom" if custom is not None else "prefix"
    if pool.domains.filter(custom_domain_config__isnull=custom is None).exists():
        raise InvalidParameter(f"User pool {pool.id} already has a {kind} domain.")
    try:
        with transaction.atomic():
            domain = UserPoolDomain.objects.create(
                domain=name,
                pool=pool,
                custom_domain_config=dict(custom) if custom is not None else None,
                managed_login_version=version,
            )
    except IntegrityError:
        raise InvalidParameter("Domain already associated with another user pool.") from None
    audit_record(ctx, "domain.create", pool_id=pool.id, target=name, kind=kind)
    return domain


def _domain_of_pool(pool_id: str, name: str, *, lock: bool = False) -> UserPoolDomain:
    if not UserPool.objects.filter(pk=pool_id).exists():
        raise ResourceNotFound(f"User pool {pool_id} does not exist.")
    qs = UserPoolDomain.objects.select_for_update() if lock else UserPoolDomain.objects
    domain = qs.filter(pool_id=pool_id, domain=name).first()
    if domain is None:
        raise InvalidParameter(f"Domain {name} does not belong to user pool {pool_id}.")
    return domain


def user_pool_domain_describe(*, name: str) -> UserPoolDomain | None:
    """DescribeUserPoolDomain answers an empty description for an unknown domain, as Cognito does."""
    return UserPoolDomain.objects.select_related("pool").filter(domain=name).first()


@transaction.atomic
def user_pool_domain_update(ctx: ServiceContext, request: Mapping[str, Any]) -> UserPoolDomain:
    validate_request("UpdateUserPoolDomain", request)
    domain = _domain_of_pool(request["UserPoolId"], request["Domain"], lock=True)
    if "CustomDomainConfig" in request:
        if not domain.is_custom:
            raise InvalidParameter("CustomDomainConfig applies to custom domains only.")
        domain.custom_domain_config = dict(request["CustomDomainConfig"])
    if "ManagedLoginVersion" in request:
        _check_managed_login_version(domain.pool, request["ManagedLoginVersion"])
        domain.managed_login_version = request["ManagedLoginVersion"]
    domain.save()
    audit_record(ctx, "domain.update", pool_id=domain.pool_id, target=domain.domain)
    return domain


@transaction.atomic
def user_pool_domain_delete(ctx: ServiceContext, *, pool_id: str, name: str) -> None:
    domain = _domain_of_pool(pool_id, name, lock=True)
    domain.delete()
    audit_record(ctx, "domain.delete", pool_id=pool_id, target=name)
