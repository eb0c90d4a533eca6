"""Logins from OpenID Connect and social providers, verified against local stand-ins."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from identity.services.pools import open_id_provider_save
from tests.conftest import error_code
from userpools.context import SYSTEM


def _code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_code(excinfo)


@pytest.fixture
def point(settings):
    """point(NAME=url, ...): override COGNATE settings for the test."""

    def set_(**values):
        settings.COGNATE = {**settings.COGNATE, **values}

    return set_


def test_oidc_provider(identity_pool, cognito_identity, signed_identity, jwt_issuer):
    issuer = jwt_issuer("https://login.example.com/realm")
    provider = open_id_provider_save(
        SYSTEM, issuer=issuer.issuer, client_ids=["web", "mobile"], jwks_url=issuer.jwks_url
    )
    pool_id = identity_pool(allow_unauthenticated=False, OpenIdConnectProviderARNs=[provider.arn])["IdentityPoolId"]
    key = "login.example.com/realm"
    one = cognito_identity.get_id(IdentityPoolId=pool_id, Logins={key: issuer.token(aud="web", sub="u1")})["IdentityId"]
    assert (
        cognito_identity.get_id(IdentityPoolId=pool_id, Logins={key: issuer.token(aud="mobile", sub="u1")})[
            "IdentityId"
        ]
        == one
    )
    assert signed_identity.describe_identity(IdentityId=one)["Logins"] == [key]
    refused = [
        issuer.token(aud="other"),
        issuer.token(aud="web", lifetime=-60),
        issuer.token(aud="web", iss="https://evil.example.com"),
        issuer.token(
            aud="web",
            key=__import__("cryptography.hazmat.primitives.asymmetric.rsa", fromlist=["rsa"]).generate_private_key(
                public_exponent=65537, key_size=2048
            ),
        ),
        "garbage",
    ]
    for token in refused:
        assert _code(cognito_identity.get_id, IdentityPoolId=pool_id, Logins={key: token}) == "NotAuthorizedException"


def test_oidc_discovery_and_unreachable_jwks(identity_pool, cognito_identity, stand_in, jwt_issuer):
    server = stand_in()
    issuer = jwt_issuer(server.url)
    server.routes["/.well-known/openid-configuration"] = lambda q: (
        200,
        {"issuer": server.url, "jwks_uri": issuer.jwks_url},
    )
    provider = open_id_provider_save(SYSTEM, issuer=server.url, client_ids=["web"])
    pool_id = identity_pool(OpenIdConnectProviderARNs=[provider.arn])["IdentityPoolId"]
    key = server.url.split("://", 1)[1]
    assert cognito_identity.get_id(IdentityPoolId=pool_id, Logins={key: issuer.token(aud="web")})["IdentityId"]

    dead = jwt_issuer("https://dead.example.com")
    dead_provider = open_id_provider_save(
        SYSTEM, issuer=dead.issuer, client_ids=["web"], jwks_url="http://127.0.0.1:9/jwks"
    )
    pool_id = identity_pool(OpenIdConnectProviderARNs=[dead_provider.arn])["IdentityPoolId"]
    assert (
        _code(cognito_identity.get_id, IdentityPoolId=pool_id, Logins={"dead.example.com": dead.token(aud="web")})
        == "ExternalServiceException"
    )


@pytest.mark.parametrize(
    "provider, setting, issuer",
    [
        ("accounts.google.com", "GOOGLE_JWKS_URL", "https://accounts.google.com"),
        ("accounts.google.com", "GOOGLE_JWKS_URL", "accounts.google.com"),
        ("appleid.apple.com", "APPLE_JWKS_URL", "https://appleid.apple.com"),
    ],
)
def test_google_and_apple(identity_pool, cognito_identity, jwt_issuer, point, provider, setting, issuer):
    stand_in_issuer = jwt_issuer(issuer)
    point(**{setting: stand_in_issuer.jwks_url})
    pool_id = identity_pool(allow_unauthenticated=False, SupportedLoginProviders={provider: "app-1;app-2"})[
        "IdentityPoolId"
    ]
    one = cognito_identity.get_id(IdentityPoolId=pool_id, Logins={provider: stand_in_issuer.token(aud="app-2")})
    assert one["IdentityId"]
    for token in (
        stand_in_issuer.token(aud="app-3"),
        stand_in_issuer.token(aud="app-1", lifetime=-5),
        stand_in_issuer.token(aud="app-1", iss="https://accounts.example.com"),
    ):
        assert _code(cognito_identity.get_id, IdentityPoolId=pool_id, Logins={provider: token}) == (
            "NotAuthorizedException"
        )


def test_facebook(identity_pool, cognito_identity, stand_in, point):
    server = stand_in()
    valid = {
        "good": {"app_id": "fb-app", "is_valid": True, "user_id": "1001"},
        "other-app": {"app_id": "other", "is_valid": True, "user_id": "1002"},
        "expired": {"app_id": "fb-app", "is_valid": False, "user_id": "1003"},
    }
    server.routes["/debug_token"] = lambda q: (
        (200, {"data": valid[q["input_token"]]}) if q.get("input_token") in valid else (400, {"error": {"code": 190}})
    )
    point(FACEBOOK_DEBUG_TOKEN_URL=f"{server.url}/debug_token", FACEBOOK_APP_ACCESS_TOKEN="fb-app|secret")
    pool_id = identity_pool(SupportedLoginProviders={"graph.facebook.com": "fb-app"})["IdentityPoolId"]
    assert cognito_identity.get_id(IdentityPoolId=pool_id, Logins={"graph.facebook.com": "good"})["IdentityId"]
    assert server.requests[-1][1]["access_token"] == "fb-app|secret"
    for token in ("other-app", "expired", "unknown"):
        assert _code(cognito_identity.get_id, IdentityPoolId=pool_id, Logins={"graph.facebook.com": token}) == (
            "NotAuthorizedException"
        )


def test_amazon(identity_pool, cognito_identity, stand_in, point):
    server = stand_in()
    server.routes["/auth/o2/tokeninfo"] = lambda q: (
        (
            200,
            {"aud": "amzn1.application-oa2-client.abc", "user_id": "amzn1.account.X", "app_id": "amzn1.application.1"},
        )
        if q.get("access_token") == "Atza|good"
        else (400, {"error": "invalid_token"})
    )
    point(AMAZON_TOKENINFO_URL=f"{server.url}/auth/o2/tokeninfo")
    for app_id in ("amzn1.application-oa2-client.abc", "amzn1.application.1"):
        pool_id = identity_pool(SupportedLoginProviders={"www.amazon.com": app_id})["IdentityPoolId"]
        assert cognito_identity.get_id(IdentityPoolId=pool_id, Logins={"www.amazon.com": "Atza|good"})["IdentityId"]
        assert _code(cognito_identity.get_id, IdentityPoolId=pool_id, Logins={"www.amazon.com": "Atza|bad"}) == (
            "NotAuthorizedException"
        )
    pool_id = identity_pool(SupportedLoginProviders={"www.amazon.com": "amzn1.application.other"})["IdentityPoolId"]
    assert _code(cognito_identity.get_id, IdentityPoolId=pool_id, Logins={"www.amazon.com": "Atza|good"}) == (
        "NotAuthorizedException"
    )
    server.close()
    assert _code(cognito_identity.get_id, IdentityPoolId=pool_id, Logins={"www.amazon.com": "Atza|good"}) == (
        "ExternalServiceException"
    )
