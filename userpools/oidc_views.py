"""The pool's public OpenID documents under ``{PUBLIC_URL}/{UserPoolId}/.well-known/``.

``jwks.json`` (RFC 7517) and ``openid-configuration`` (OpenID Connect Discovery 1.0),
at the paths Cognito serves them relative to the issuer, so JWT libraries and SDKs that
derive them from ``iss`` (pycognito, aws-jwt-verify) find them. Browsers fetch them
cross-origin, hence ``Access-Control-Allow-Origin: *``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.http import require_GET

from userpools.errors import ResourceNotFound
from userpools.services import tokens

# Rotation keeps retired keys listed for a day, so a few minutes of caching is safe.
MAX_AGE = 300


def _document(build: Callable[[str], dict[str, Any]], pool_id: str) -> JsonResponse:
    try:
        body = build(pool_id)
    except ResourceNotFound as exc:
        response = JsonResponse({"message": exc.message}, status=404)
    else:
        response = JsonResponse(body)
        response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def jwks(request: HttpRequest, pool_id: str) -> JsonResponse:
    return _document(tokens.jwks, pool_id)


@require_GET
def openid_configuration(request: HttpRequest, pool_id: str) -> JsonResponse:
    return _document(tokens.openid_configuration, pool_id)


urlpatterns = [
    path("jwks.json", jwks, name="pool-jwks"),
    path("openid-configuration", openid_configuration, name="pool-openid-configuration"),
]
