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

from hostedui.services.hosts import pool_of_host_header


class PoolDomainMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        pool_id = pool_of_host_header(request.META.get("HTTP_HOST", ""))
        if pool_id is not None:
            request.urlconf = "hostedui.domain_urls"
            request.cognate_pool_id = pool_id
        return self.get_response(request)
