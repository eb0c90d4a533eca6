"""CognateTokenAuthentication, HasGroups and HasScopes on tiny APIViews routed here
(``pytest.mark.urls``), with keys from the live Cognate's JWKS."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import include, path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from userpools.verify import TokenUser, VerifiedToken
from userpools.verify.drf import CognateTokenAuthentication, HasGroups, HasScopes


class Whoami(APIView):
    authentication_classes = [CognateTokenAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        assert isinstance(request.user, TokenUser) and isinstance(request.auth, VerifiedToken)
        return Response(
            {
                "username": request.user.username,
                "sub": request.user.sub,
                "groups": list(request.user.groups),
                "token_use": request.auth.token_use,
            }
        )


class StaffOnly(Whoami):
    permission_classes = [IsAuthenticated, HasGroups]
    required_groups = ["staff"]


class OrdersRead(Whoami):
    permission_classes = [IsAuthenticated, HasScopes]
    required_scopes = ["orders/read"]


class IdTokenAuthentication(CognateTokenAuthentication):
    token_use = ["id"]


class IdTokensOnly(Whoami):
    authentication_classes = [IdTokenAuthentication]


class Misconfigured(Whoami):
    permission_classes = [HasGroups]  # and no required_groups


urlpatterns = [
    path("api/whoami", Whoami.as_view()),
    path("api/staff", StaffOnly.as_view()),
    path("api/orders", OrdersRead.as_view()),
    path("api/id-only", IdTokensOnly.as_view()),
    path("", include("config.urls")),  # the live server still serves the pools' JWKS
]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def api(cognate, settings, client):
    settings.COGNATE_VERIFY = {
        "ISSUERS": [cognate.issuer],
        "CLIENT_IDS": [cognate.client_id],
        "TOKEN_USE": ["access", "id"],
    }

    def get(url: str, token: str | None = None, scheme: str = "Bearer"):
        headers = {} if token is None else {"HTTP_AUTHORIZATION": f"{scheme} {token}"}
        return client.get(url, **headers)

    return get


def test_valid_tokens(api, cognate):
    issued = cognate.issue()
    for token, use in [(issued.access_token, "access"), (issued.id_token, "id")]:
        response = api("/api/whoami", token)
        assert response.status_code == 200, response.content
        assert response.json() == {"username": "alice", "sub": str(cognate.user.sub), "groups": [], "token_use": use}


def test_no_token(api):
    response = api("/api/whoami")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'  # RFC 6750 §3: no error code without a token
    other_scheme = api("/api/whoami", "dXNlcjpwYXNz", scheme="Basic")
    assert other_scheme.status_code == 401


@pytest.mark.parametrize("case", ["garbage", "tampered", "expired", "other client", "two parts"])
def test_bad_token(api, cognate, settings, monkeypatch, case):
    issued = cognate.issue()
    token = issued.access_token
    if case == "garbage":
        token = "not.a.jwt"
    elif case == "tampered":
        token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    elif case == "expired":
        from datetime import timedelta

        from django.utils import timezone

        from userpools.services import tokens

        past = timezone.now() - timedelta(hours=2)
        monkeypatch.setattr(tokens.common, "now", lambda: past)
        token = cognate.issue().access_token
        monkeypatch.undo()
    elif case == "other client":
        settings.COGNATE_VERIFY = {**settings.COGNATE_VERIFY, "CLIENT_IDS": ["another-app"]}
    elif case == "two parts":
        token = f"{token} extra"
    response = api("/api/whoami", token)
    assert response.status_code == 401
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="api", error="invalid_token", error_description="')
    assert token.split(".")[-1] not in response.content.decode() + challenge


def test_subclass_settings(api, cognate):
    issued = cognate.issue()
    assert api("/api/id-only", issued.id_token).status_code == 200
    assert api("/api/id-only", issued.access_token).status_code == 401


def test_has_groups(api, cognate):
    response = api("/api/staff", cognate.issue().access_token)
    assert response.status_code == 403
    assert "staff" in response.json()["message"]
    cognate.join("staff")
    response = api("/api/staff", cognate.issue().access_token)
    assert response.status_code == 200 and response.json()["groups"] == ["staff"]
    assert api("/api/staff").status_code == 401  # no token: authentication, not permission


def test_has_scopes(api, cognate):
    assert api("/api/orders", cognate.issue(scopes=["openid"]).access_token).status_code == 403
    assert api("/api/orders", cognate.issue().id_token).status_code == 403  # ID tokens have no scope
    assert api("/api/orders", cognate.issue(scopes=["openid", "orders/read"]).access_token).status_code == 200


def test_jwks_unavailable_is_503(cognate, settings, client):
    settings.COGNATE_VERIFY = {
        "ISSUERS": {cognate.issuer: "http://127.0.0.1:9/jwks.json"},
        "CLIENT_IDS": None,
        "TIMEOUT": 2,
    }
    response = client.get("/api/whoami", HTTP_AUTHORIZATION=f"Bearer {cognate.issue().access_token}")
    assert response.status_code == 503


def test_missing_settings(settings, cognate):
    settings.COGNATE_VERIFY = {"ISSUERS": [cognate.issuer]}  # no CLIENT_IDS
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {cognate.issue().access_token}")
    with pytest.raises(ImproperlyConfigured):
        Whoami.as_view()(request)


def test_permission_without_requirement_is_a_configuration_error(settings, cognate):
    settings.COGNATE_VERIFY = {"ISSUERS": [cognate.issuer], "CLIENT_IDS": None}
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {cognate.issue().access_token}")
    with pytest.raises(ImproperlyConfigured):
        Misconfigured.as_view()(request)


def test_constructor_overrides(settings, cognate):
    settings.COGNATE_VERIFY = {
        "ISSUERS": ["https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"],
        "CLIENT_IDS": None,
    }
    issued = cognate.issue()
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {issued.access_token}")
    authentication = CognateTokenAuthentication(issuers=[cognate.issuer])
    user, token = authentication.authenticate(Whoami().initialize_request(request))
    assert user.username == "alice" and user.is_authenticated and token.client_id == cognate.client_id
    with pytest.raises(TypeError):
        CognateTokenAuthentication(issuer=[cognate.issuer])
