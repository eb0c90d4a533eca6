"""Serve a pool's hosted pages at the root of its domain.

A request whose Host is a pool's prefix domain (``{prefix}.{COGNATE_DOMAIN_SUFFIX}``) or
custom domain is routed through :mod:`hostedui.domain_urls` (``/login``,
``/oauth2/authorize`` ... at the root, as Cognito and Amplify expect) with the pool in
``request.cognate_pool_id``. Requests for the public host are untouched: the same pages
are under ``{PUBLIC_URL}/{UserPoolId}/`` (:mod:`config.urls`).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from hostedui.services.hosts import host_name, pool_for_host
from userpools.services.domains import public_host

_PLAIN_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "testserver"})


class PoolDomainMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        host = host_name(request.META.get("HTTP_HOST", ""))
        if host and host not in _PLAIN_HOSTS and host != public_host():
            pool_id = pool_for_host(host)
            if pool_id is not None:
                request.urlconf = "hostedui.domain_urls"
                request.cognate_pool_id = pool_id
        return self.get_response(request)
