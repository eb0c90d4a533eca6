"""Which pool a request's Host names: ``{prefix}.{COGNATE_DOMAIN_SUFFIX}`` or a custom domain.

Looked up on every request that is not for the public host, so answers (and misses) are
cached in process memory for :data:`CACHE_SECONDS`; a new or deleted domain is seen by
every process within that time.
"""

from __future__ import annotations

import threading
import time

from userpools.conf import cognate_settings
from userpools.models import UserPoolDomain

CACHE_SECONDS = 10.0
_cache: dict[str, tuple[float, str | None]] = {}
_lock = threading.Lock()


def host_name(host_header: str) -> str:
    """The host of a Host header, lower-cased, without port (IPv6 literals keep their brackets)."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def pool_for_host(host: str) -> str | None:
    """The id of the pool whose domain ``host`` (no port) is, else None."""
    if not host:
        return None
    now = time.monotonic()
    hit = _cache.get(host)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    suffix = "." + cognate_settings().DOMAIN_SUFFIX.lower()
    if host.endswith(suffix):
        prefix = host[: -len(suffix)]
        found = UserPoolDomain.objects.filter(domain=prefix, custom_domain_config__isnull=True)
    else:
        found = UserPoolDomain.objects.filter(domain=host, custom_domain_config__isnull=False)
    pool_id = found.values_list("pool_id", flat=True).first()
    with _lock:
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[host] = (now, pool_id)
    return pool_id


def hosts_cache_clear(**_: object) -> None:
    """Forget every cached answer (a signal receiver for domain changes)."""
    with _lock:
        _cache.clear()
