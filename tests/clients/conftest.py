"""Fixtures for the client-library checks: real SDKs (amazon-cognito-identity-js through
Node, pycognito) against ``live_server``, with the issuer set to the live server so the
tokens they get verify against its JWKS."""

from __future__ import annotations

import jwt
import pytest

from tests.selfservice.conftest import PASSWORD, idp, make_user, public, user_named  # noqa: F401 - re-exported  # noqa: F401 - fixtures

SRP_FLOWS = ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


@pytest.fixture
def app(public_url, make_pool, make_client):  # noqa: F811 - fixtures
    """app(**client kwargs) -> (pool_id, client dict): a pool that e-mails codes, and a
    client allowing SRP and refresh (what the SDKs' default sign-in uses)."""

    def make(**client_kwargs):
        pool_id = make_pool(AutoVerifiedAttributes=["email"])["Id"]
        client_kwargs.setdefault("ExplicitAuthFlows", SRP_FLOWS)
        return pool_id, make_client(pool_id, **client_kwargs)

    return make


def verified(issuer: str, token: str, *, client_id: str, token_use: str) -> dict:
    """``token``'s claims, its signature checked against the issuer's published JWKS and
    its issuer, audience (ID token) or client_id (access token) and use checked too."""
    jwks = jwt.PyJWKClient(f"{issuer}/.well-known/jwks.json", cache_jwk_set=False)
    key = jwks.get_signing_key_from_jwt(token)
    audience = client_id if token_use == "id" else None
    options = {"require": ["exp", "iat", "iss", "sub", "token_use"], "verify_aud": token_use == "id"}
    claims = jwt.decode(token, key.key, algorithms=["RS256"], issuer=issuer, audience=audience, options=options)
    assert claims["token_use"] == token_use
    if token_use == "access":
        assert claims["client_id"] == client_id
    return claims
