"""Fixtures for sign-in: pools, clients with the password flows, users (tests/selfservice's)."""

from __future__ import annotations

import base64
import json

import pytest

from tests.selfservice.conftest import (  # noqa: F401 - re-exported  # noqa: F401 - fixtures
    PASSWORD,
    call_error,
    hash_for,
    idp,
    make_user,
    public,
    user_named,
)

PASSWORD_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


@pytest.fixture
def signin(make_pool, make_client):
    """signin(**client kwargs) -> (pool_id, client dict): a pool and a client allowing the password flows."""

    def make(pool_kwargs: dict | None = None, **client_kwargs):
        pool_id = make_pool(**{"AutoVerifiedAttributes": ["email"], **(pool_kwargs or {})})["Id"]
        client_kwargs.setdefault("ExplicitAuthFlows", PASSWORD_FLOWS)
        return pool_id, make_client(pool_id, **client_kwargs)

    return make


def claims(jwt: str) -> dict:
    """A JWT's payload, unverified (the token service's own tests verify signatures)."""
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def assert_signed_in(result: dict, user, client_id: str) -> None:
    """``result`` (an InitiateAuth answer) carries tokens for ``user`` from ``client_id``."""
    assert result["ChallengeParameters"] == {}
    tokens = result["AuthenticationResult"]
    assert tokens["AccessToken"] and tokens["IdToken"]
    id_claims, access_claims = claims(tokens["IdToken"]), claims(tokens["AccessToken"])
    assert id_claims["sub"] == access_claims["sub"] == str(user.sub)
    assert id_claims["token_use"] == "id" and access_claims["token_use"] == "access"
    assert id_claims["aud"] == access_claims["client_id"] == client_id
    assert "RefreshToken" in tokens


def password_auth(api, client: dict, username: str, password: str = PASSWORD, **extra) -> dict:
    params = {"USERNAME": username, "PASSWORD": password, **extra}
    return api.initiate_auth(ClientId=client["ClientId"], AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params)


def password_auth_error(api, client: dict, username: str, password: str = PASSWORD, **extra) -> str:
    """The error code USER_PASSWORD_AUTH answers (checked against the model's list)."""
    params = {"USERNAME": username, "PASSWORD": password, **extra}
    return call_error(
        api.initiate_auth, ClientId=client["ClientId"], AuthFlow="USER_PASSWORD_AUTH", AuthParameters=params
    )
