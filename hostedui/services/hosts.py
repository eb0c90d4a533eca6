"""Which pool a request's Host names: ``{prefix}.{COGNATE_DOMAIN_SUFFIX}`` or a verified
custom domain (an unverified one routes nowhere: userpools.services.domains says why).

Looked up on every request that is not for the public host, so answers (and misses) are
cached in process memory for :data:`CACHE_SECONDS` (:mod:`userpools.services.memo`); a new,
verified or deleted domain is seen by every process within that time, by this one as soon
as the change commits (the cache is invalidated by UserPoolDomain).
"""

from __future__ import annotations

from userpools.conf import cognate_settings
from userpools.models import UserPoolDomain
from userpools.services.domains import public_host
from userpools.services.memo import ProcessCache

CACHE_SECONDS = 10.0
_pools: ProcessCache[str, str | None] = ProcessCache(
    "hosts", CACHE_SECONDS, invalidated_by=("userpools.UserPoolDomain",)
)


def host_name(host_header: str) -> str:
    """The host of a Host header, lower-cased, without port (IPv6 literals keep their brackets)."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _lookup(host: str) -> str | None:
    suffix = "." + cognate_settings().DOMAIN_SUFFIX.lower()
    if host.endswith(suffix):
        prefix = host[: -len(suffix)]
        found = UserPoolDomain.objects.filter(domain=prefix, custom_domain_config__isnull=True)
    else:
        found = UserPoolDomain.objects.filter(
            domain=host, custom_domain_config__isnull=False, verified_at__isnull=False
        )
    return found.values_list("pool_id", flat=True).first()


def pool_for_host(host: str) -> str | None:
    """The id of the pool whose domain ``host`` (no port) is, else None."""
    if not host:
        return None
    _pools.seconds = CACHE_SECONDS
    return _pools.get(host, _lookup)


# Hosts that are never a pool's domain, besides PUBLIC_URL's.
PLAIN_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "testserver"})


def pool_of_host_header(host_header: str) -> str | None:
    """The pool whose domain a request's Host header names (the hosted pages answer
    there, at the root), else None: never for the public host or a local one."""
    host = host_name(host_header)
    if not host or host in PLAIN_HOSTS or host == public_host():
        return None
    return pool_for_host(host)


def hosts_cache_clear() -> None:
    """Forget every cached answer now (tests: what another process sees after CACHE_SECONDS)."""
    _pools.clear()
