"""The wire API's own middleware chain: ``/`` (POST: every wire operation) and the public
OpenID documents (GET ``/{UserPoolId}/.well-known/...`` and the identity issuer's: the
JWKS, discovery).

These are the hot paths, and they use none of what the session, CSRF, authentication,
OTP, messages, static-file and pool-domain middleware provide: the wire view is
CSRF-exempt and reads no session, cookie or user; the documents are public GETs. Those
middleware still cost their calls on every request (measured: benchmarks/README.md,
Performance mechanisms), so
:class:`WireMiddleware`, first in ``MIDDLEWARE``, sends these requests through the other
middleware only (CORS, security headers, CommonMiddleware's host check, X-Frame-Options:
their own code, in the same order) to the view the URLconf resolves, when that view is
one of :data:`VIEWS`.
Responses are the same as through the full chain; every other request (another view at
such a path, say the admin's catch-all) takes the full chain.

A request whose Host is a pool's domain takes the full chain too: there
:class:`hostedui.middleware.PoolDomainMiddleware` routes it to the hosted pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, get_resolver
from django.utils.module_loading import import_string

from config.wire.views import wire_endpoint
from hostedui.services.hosts import pool_of_host_header
from identity import views as identity_views
from userpools import oidc_views

# What the wire paths skip. A middleware added to MIDDLEWARE later runs on them too unless
# it is listed here, so a new cross-cutting rule is not silently bypassed.
SKIPPED = frozenset(
    {
        "whitenoise.middleware.WhiteNoiseMiddleware",  # "/" and ".well-known" are never static files
        "hostedui.middleware.PoolDomainMiddleware",  # decided here: pool domains take the full chain
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",  # the wire view is exempt; the documents are GETs
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django_otp.middleware.OTPMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "axes.middleware.AxesMiddleware",  # answers locked-out admin logins; the wire view authenticates no one
    }
)
_DOCUMENT = re.compile(r"/[^/]+/\.well-known/[^/]+")
_SAFE = frozenset({"GET", "HEAD"})


# The views that need nothing the skipped middleware provide (no session, user, CSRF token,
# message or pool-domain routing).
VIEWS = frozenset(
    {
        wire_endpoint,
        oidc_views.jwks,
        oidc_views.openid_configuration,
        identity_views.jwks,
        identity_views.openid_configuration,
    }
)


def _view(request: HttpRequest) -> HttpResponse:
    """What the handler does after the middleware: call the view the URL resolved to."""
    match = request.resolver_match
    response = match.func(request, *match.args, **match.kwargs)
    if response is None:
        raise ValueError(f"The view {match.func.__module__}.{match.func.__qualname__} returned None.")
    return response


class WireMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        chain: Callable[[HttpRequest], HttpResponse] = convert_exception_to_response(_view)
        for path in reversed(settings.MIDDLEWARE):
            if path == f"{__name__}.{type(self).__name__}" or path in SKIPPED:
                continue
            chain = convert_exception_to_response(import_string(path)(chain))
        self.wire_chain = chain

    def _wire_path(self, request: HttpRequest) -> bool:
        path = request.path_info
        if path != "/" and not (request.method in _SAFE and _DOCUMENT.fullmatch(path)):
            return False
        if pool_of_host_header(request.META.get("HTTP_HOST", "")) is not None:
            return False
        try:  # the project's URLconf: no pool-domain routing on these hosts
            match = get_resolver().resolve(path)
        except Resolver404:
            return False
        if match.func not in VIEWS:
            return False
        request.resolver_match = match
        return True

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._wire_path(request):
            return self.wire_chain(request)
        return self.get_response(request)
