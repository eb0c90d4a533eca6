"""CognateTokenMiddleware: in the stack (``settings.MIDDLEWARE`` appended, views routed
here) and called directly with a RequestFactory."""

from __future__ import annotations

import pytest
from django.http import HttpResponse, JsonResponse
from django.test import RequestFactory
from django.urls import include, path

from userpools.verify import VerifiedToken
from userpools.verify.middleware import CognateTokenMiddleware

MIDDLEWARE = "userpools.verify.middleware.CognateTokenMiddleware"


def whoami(request):
    token = request.cognate_token
    return JsonResponse({"username": token.username if token else None})


urlpatterns = [
    path("api/whoami", whoami),
    path("public/whoami", whoami),
    path("", include("config.urls")),  # the live server still serves the pools' JWKS
]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def configured(cognate, settings):
    settings.COGNATE_VERIFY = {
        "ISSUERS": [cognate.issuer],
        "CLIENT_IDS": [cognate.client_id],
        "REQUIRED_PATHS": ["/api/"],
    }
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]
    return cognate


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_valid_token_everywhere(configured, client):
    token = configured.issue().access_token
    for url in ("/api/whoami", "/public/whoami"):
        response = client.get(url, **bearer(token))
        assert response.status_code == 200 and response.json() == {"username": "alice"}


def test_required_paths(configured, client):
    issued = configured.issue()
    for headers, reason in [({}, "missing"), (bearer("not.a.jwt"), "garbage"), (bearer(issued.id_token), "id token")]:
        response = client.get("/api/whoami", **headers)
        assert response.status_code == 401, reason
        assert set(response.json()) == {"message"}
        if headers:
            assert 'error="invalid_token"' in response["WWW-Authenticate"]
        else:
            assert response["WWW-Authenticate"] == 'Bearer realm="api"'
        # outside the required prefixes the request goes on, unauthenticated
        public = client.get("/public/whoami", **headers)
        assert public.status_code == 200 and public.json() == {"username": None}


def test_message_is_the_error_and_not_the_token(configured, client):
    token = configured.issue().id_token
    response = client.get("/api/whoami", **bearer(token))
    assert response.json()["message"] == "Token is not an accepted kind of token (access)"
    assert token.split(".")[1] not in response.content.decode()


def test_direct_call(configured, settings):
    seen: list[VerifiedToken | None] = []

    def view(request):
        seen.append(request.cognate_token)
        return HttpResponse("ok")

    middleware = CognateTokenMiddleware(view)
    factory = RequestFactory()
    token = configured.issue().access_token
    assert middleware(factory.get("/public/x", **bearer(token))).status_code == 200
    assert middleware(factory.get("/public/x", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")).status_code == 200
    assert middleware(factory.get("/public/x", **bearer(token + "x"))).status_code == 200
    assert seen[0].username == "alice" and seen[1:] == [None, None]

    settings.COGNATE_VERIFY = {**settings.COGNATE_VERIFY, "REQUIRED_GROUPS": ["staff"]}
    refused = middleware(factory.get("/api/x", **bearer(token)))
    assert refused.status_code == 403 and 'error="insufficient_scope"' in refused["WWW-Authenticate"]


def test_jwks_unavailable_is_503_on_required_paths(cognate, settings):
    settings.COGNATE_VERIFY = {
        "ISSUERS": {cognate.issuer: "http://127.0.0.1:9/jwks.json"},
        "CLIENT_IDS": None,
        "REQUIRED_PATHS": "/api/",
        "TIMEOUT": 2,
    }
    middleware = CognateTokenMiddleware(lambda request: HttpResponse("ok"))
    response = middleware(RequestFactory().get("/api/x", **bearer(cognate.issue().access_token)))
    assert response.status_code == 503 and "WWW-Authenticate" not in response
