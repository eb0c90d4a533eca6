"""The pool's public OpenID documents under ``{PUBLIC_URL}/{UserPoolId}/.well-known/``.

``jwks.json`` (RFC 7517) and ``openid-configuration`` (OpenID Connect Discovery 1.0),
at the paths Cognito serves them relative to the issuer, so JWT libraries and SDKs that
derive them from ``iss`` (pycognito, aws-jwt-verify) find them. Browsers fetch them
cross-origin, hence ``Access-Control-Allow-Origin: *``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.http import require_GET

from userpools.errors import ResourceNotFound
from userpools.services import tokens

# Rotation keeps retired keys listed for a day, so a few minutes of caching is safe.
MAX_AGE = 300


# The JSON text of each pool's last document, reused while the token service returns the
# same (cached) object: JWT libraries fetch the JWKS often, and re-encoding it is most of
# what answering costs.
_encoded: dict[tuple[str, str], tuple[dict[str, Any], bytes]] = {}


def _json(kind: str, pool_id: str, body: dict[str, Any]) -> bytes:
    hit = _encoded.get((kind, pool_id))
    if hit is not None and hit[0] is body:
        return hit[1]
    encoded = json.dumps(body, cls=DjangoJSONEncoder).encode()
    if len(_encoded) > 10_000:
        _encoded.clear()
    _encoded[(kind, pool_id)] = (body, encoded)
    return encoded


def _document(build: Callable[[str], dict[str, Any]], pool_id: str) -> HttpResponse:
    try:
        body = build(pool_id)
    except ResourceNotFound as exc:
        response: HttpResponse = JsonResponse({"message": exc.message}, status=404)
    else:
        # What JsonResponse(body) sends, encoded once per document.
        response = HttpResponse(_json(build.__name__, pool_id, body), content_type="application/json")
        response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def jwks(request: HttpRequest, pool_id: str) -> HttpResponse:
    return _document(tokens.jwks, pool_id)


@require_GET
def openid_configuration(request: HttpRequest, pool_id: str) -> HttpResponse:
    return _document(tokens.openid_configuration, pool_id)


urlpatterns = [
    path("jwks.json", jwks, name="pool-jwks"),
    path("openid-configuration", openid_configuration, name="pool-openid-configuration"),
]
