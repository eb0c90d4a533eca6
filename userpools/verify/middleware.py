"""Django middleware: ``request.cognate_token`` from an ``Authorization: Bearer`` header.

Configured by the ``COGNATE_VERIFY`` setting (also read by :mod:`userpools.verify.drf`)::

    COGNATE_VERIFY = {
        "ISSUERS": ["https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEfGhI"],
        "CLIENT_IDS": ["1example23456789"],   # or None: any client of these pools
        "TOKEN_USE": ["access"],              # default; "id" or both
        "REQUIRED_PATHS": ["/api/"],          # middleware only: a token is required here
    }

Other keys: ``LEEWAY``, ``REQUIRED_GROUPS``, ``REQUIRED_SCOPES``, ``CACHE_SECONDS``,
``REFETCH_INTERVAL``, ``TIMEOUT`` (see :class:`userpools.verify.TokenVerifier`).

Under a ``REQUIRED_PATHS`` prefix a request without a valid token is answered here:
401 ``{"message": ...}`` with ``WWW-Authenticate: Bearer`` (RFC 6750 §3), 403 for a
missing required group or scope, 503 when the JWKS cannot be fetched. Elsewhere a
missing or bad token just leaves ``request.cognate_token`` as ``None``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse

from userpools.verify import TokenError, TokenVerifier, VerifiedToken

SETTING = "COGNATE_VERIFY"
MIDDLEWARE_KEYS = ("REQUIRED_PATHS",)


def verify_settings() -> dict[str, Any]:
    """The ``COGNATE_VERIFY`` setting (read each call so ``override_settings`` applies)."""
    config = getattr(settings, SETTING, None)
    if not isinstance(config, dict):
        raise ImproperlyConfigured(f"{SETTING} must be a dict with at least ISSUERS and CLIENT_IDS")
    return config


def settings_verifier(**overrides: Any) -> TokenVerifier:
    """A verifier from ``COGNATE_VERIFY`` with upper-case ``overrides`` on top.

    Building one per request is cheap: the JWKS caches are process-wide.
    """
    config = {**verify_settings(), **overrides}
    try:
        return TokenVerifier.from_settings(config, ignore=MIDDLEWARE_KEYS)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{SETTING}: {exc}") from None


def bearer_token(request: HttpRequest) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (RFC 6750 §2.1), else None.

    A Bearer header that is not exactly two parts gives ``""`` (present but unusable).
    """
    header = request.META.get("HTTP_AUTHORIZATION", "")
    parts = header.split()
    if not parts or parts[0].lower() != "bearer":
        return None
    return parts[1] if len(parts) == 2 else ""


def www_authenticate(error: TokenError | None, realm: str = "api") -> str:
    """RFC 6750 §3's challenge; the error description is our own fixed message."""
    value = f'Bearer realm="{realm}"'
    if error is not None and error.bearer_error:
        description = error.message.replace("\\", "").replace('"', "'")
        value += f', error="{error.bearer_error}", error_description="{description}"'
    return value


class CognateTokenMiddleware:
    """Sets ``request.cognate_token`` to a :class:`~userpools.verify.VerifiedToken` or None.

    Not in Cognate's own MIDDLEWARE: it is for APIs that accept Cognate's tokens.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        config = verify_settings()
        prefixes = config.get("REQUIRED_PATHS") or ()
        if isinstance(prefixes, str):
            prefixes = (prefixes,)
        required = any(request.path_info.startswith(prefix) for prefix in prefixes)

        request.cognate_token = None  # type: ignore[attr-defined]
        token = bearer_token(request)
        error: TokenError | None = None
        if token is None:
            if required:
                return _refusal(None, "Missing bearer token")
        else:
            try:
                request.cognate_token = self.verify(token)  # type: ignore[attr-defined]
            except TokenError as exc:
                error = exc
            if error is not None and required:
                return _refusal(error, error.message)
        return self.get_response(request)

    def verify(self, token: str) -> VerifiedToken:
        return settings_verifier().verify(token)


def _refusal(error: TokenError | None, message: str) -> JsonResponse:
    status = error.http_status if error is not None else 401
    response = JsonResponse({"message": message}, status=status)
    if status in (401, 403):
        response["WWW-Authenticate"] = www_authenticate(error)
    return response
