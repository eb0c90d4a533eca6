"""The identity issuer's public documents under ``{COGNATE_PUBLIC_URL}/identity/.well-known/``:
``jwks.json`` (RFC 7517) and ``openid-configuration`` (OpenID Connect Discovery 1.0), so
relying parties (an IAM OIDC provider, an STS endpoint, a JWT library) can verify the
OpenID tokens of GetOpenIdToken and GetOpenIdTokenForDeveloperIdentity."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from identity.services import openid

MAX_AGE = 300


def _document(body: dict) -> JsonResponse:
    response = JsonResponse(body)
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    return _document(openid.jwks())


@require_GET
def openid_configuration(request: HttpRequest) -> JsonResponse:
    return _document(openid.openid_configuration())
