"""User-pool domains: a prefix domain ``{prefix}.{COGNATE_DOMAIN_SUFFIX}`` and a custom domain.

The hosted pages are served on either and always under ``{PUBLIC_URL}/{UserPoolId}/``.

A custom domain routes only once verified. Anyone with CreateUserPoolDomain could otherwise
name a domain they do not control — another tenant's login domain, say — and have this
server answer for it with their pool's pages, and the pool's discovery document and
passkeys would name it. So CreateUserPoolDomain records a custom domain unverified, with a
random token (``secrets``), and DescribeUserPoolDomain reports it CREATING; its operator
publishes the token as the TXT record ``_cognate-challenge.{domain}`` and runs the check
(:func:`custom_domain_verify`: ``manage.py verify_domains`` or the admin console), after
which it is ACTIVE and routes. Several pools may claim a name while none has proved it, so
nobody can squat one; once one claim is verified no other pool can claim or verify it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import dns.exception
import dns.nameserver
import dns.resolver
from django.db import IntegrityError, transaction
from django.utils import timezone

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


def serving_domain(domains: list[UserPoolDomain]) -> UserPoolDomain | None:
    """Of a pool's domains, the one its pages are served on: the custom domain once it is
    verified, else the prefix domain, else None."""
    routing = sorted((d for d in domains if d.routes), key=lambda d: not d.is_custom)
    return routing[0] if routing else None


def pages_base_url(pool_id: str) -> str:
    """Where a pool's hosted pages and OAuth 2.0 endpoints are served for its users: its
    verified custom domain, else its prefix domain, else ``{PUBLIC_URL}/{UserPoolId}``
    (always served)."""
    domain = serving_domain(list(UserPoolDomain.objects.filter(pool_id=pool_id)))
    if domain is not None:
        return domain_url(domain_fqdn(domain))
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
    else:
        _check_custom_name(name)
    version = request.get("ManagedLoginVersion", 1)
    _check_managed_login_version(pool, version)
    kind = "custom" if custom is not None else "prefix"
    if pool.domains.filter(custom_domain_config__isnull=custom is None).exists():
        raise InvalidParameter(f"User pool {pool.id} already has a {kind} domain.")
    if custom is not None and UserPoolDomain.objects.filter(domain=name, verified_at__isnull=False).exists():
        raise InvalidParameter("Domain already associated with another user pool.")
    try:
        with transaction.atomic():
            domain = UserPoolDomain.objects.create(
                domain=name,
                pool=pool,
                custom_domain_config=dict(custom) if custom is not None else None,
                managed_login_version=version,
                verification_token=secrets.token_urlsafe(32) if custom is not None else "",
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
    """DescribeUserPoolDomain answers an empty description for an unknown domain, as Cognito does.
    A name claimed by several pools (none verified yet) is the verified claim's, else the oldest's."""
    claims = list(UserPoolDomain.objects.select_related("pool").filter(domain=name).order_by("created_at", "pk"))
    return next((d for d in claims if d.routes), claims[0] if claims else None)


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


# --- Custom domain verification ---------------------------------------------------------------------

CHALLENGE_LABEL = "_cognate-challenge"


def _check_custom_name(name: str) -> None:
    """A custom domain is nobody's prefix domain and not this server's own host: those are routed
    by other rules (hostedui.services.hosts), so such a claim could never be served."""
    host = name.lower().rstrip(".")
    suffix = cognate_settings().DOMAIN_SUFFIX.lower()
    if host == suffix or host.endswith("." + suffix) or host == public_host():
        raise InvalidParameter("A custom domain cannot be under COGNATE_DOMAIN_SUFFIX or be the server's own host.")


def verification_record(domain: UserPoolDomain) -> tuple[str, str]:
    """The DNS record that proves control of a custom domain: (name, TXT value)."""
    return f"{CHALLENGE_LABEL}.{domain.domain}", domain.verification_token


def _resolver() -> dns.resolver.Resolver:
    conf = cognate_settings()
    if conf.DOMAIN_VERIFICATION_NAMESERVERS:
        resolver = dns.resolver.Resolver(configure=False)
        servers = []
        for entry in conf.DOMAIN_VERIFICATION_NAMESERVERS:
            host, _, port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "53")
            servers.append(dns.nameserver.Do53Nameserver(host, int(port or 53)))
        resolver.nameservers = servers
    else:
        resolver = dns.resolver.Resolver()  # the system's (/etc/resolv.conf)
    resolver.lifetime = float(conf.DOMAIN_VERIFICATION_TIMEOUT_SECONDS)
    resolver.cache = None  # a record just published must be seen at once
    return resolver


def _txt_values(name: str) -> list[str] | str:
    """The TXT strings at ``name``, or why there are none (a short reason for the operator)."""
    try:
        answer = _resolver().resolve(name, "TXT", search=False)
    except dns.resolver.NXDOMAIN:
        return f"{name} does not exist."
    except dns.resolver.NoAnswer:
        return f"{name} has no TXT record."
    except dns.exception.Timeout:
        return f"No DNS server answered for {name} in time."
    except dns.exception.DNSException as exc:
        return f"The DNS look-up of {name} failed ({type(exc).__name__})."
    return [b"".join(rdata.strings).decode("ascii", "replace") for rdata in answer]


def custom_domain_verify(ctx: ServiceContext, *, pool_id: str, name: str) -> UserPoolDomain:
    """Verify a pool's custom domain: its ``_cognate-challenge`` TXT record must hold the
    domain's token. On success the domain is ACTIVE and routes; otherwise
    ``verification_error`` says why and nothing else changes. A verified domain stays
    verified. Raises ResourceNotFoundException, InvalidParameterException (not a custom
    domain of the pool). The DNS look-up runs outside any transaction."""
    domain = _domain_of_pool(pool_id, name)
    if not domain.is_custom:
        raise InvalidParameter("Only custom domains are verified.")
    if domain.verified_at is not None:
        return domain
    record, token = verification_record(domain)
    found = _txt_values(record)
    if isinstance(found, str):
        error = found
    elif any(secrets.compare_digest(value.encode(), token.encode()) for value in found):
        error = ""
    else:
        error = f"The TXT record at {record} does not hold this domain's verification token."
    with transaction.atomic():
        domain = _domain_of_pool(pool_id, name, lock=True)
        domain.verification_checked_at = timezone.now()
        if not error and domain.verification_token == token:
            domain.verified_at = domain.verification_checked_at
            try:
                with transaction.atomic():
                    domain.verification_error = ""
                    domain.save()
            except IntegrityError:  # another pool's claim was verified first
                domain.verified_at = None
                error = "Domain already associated with another user pool."
        if error:
            domain.verification_error = error[:512]
            domain.save(update_fields=["verification_checked_at", "verification_error", "updated_at"])
            audit_record(ctx, "domain.verification_failed", pool_id=pool_id, target=name)
        else:
            audit_record(ctx, "domain.verified", pool_id=pool_id, target=name)
    return domain


def custom_domains_pending() -> list[UserPoolDomain]:
    """Custom domains not verified yet, oldest first."""
    return list(
        UserPoolDomain.objects.select_related("pool")
        .filter(custom_domain_config__isnull=False, verified_at__isnull=True)
        .order_by("created_at", "pk")
    )


def custom_domains_verify_pending(ctx: ServiceContext) -> list[UserPoolDomain]:
    """Try to verify every pending custom domain (``manage.py verify_domains``); each as
    :func:`custom_domain_verify` left it."""
    return [custom_domain_verify(ctx, pool_id=d.pool_id, name=d.domain) for d in custom_domains_pending()]


def custom_domains_verify_pending_count(ctx: ServiceContext) -> dict[str, int]:
    """:func:`custom_domains_verify_pending` for a periodic job (an operator who published
    the record needs do nothing more): how many were checked and how many are verified now."""
    checked = custom_domains_verify_pending(ctx)
    return {"checked": len(checked), "verified": sum(d.verified_at is not None for d in checked)}
