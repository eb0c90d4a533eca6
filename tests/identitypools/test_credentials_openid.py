"""OpenID tokens of Cognate's identity issuer (GetOpenIdToken,
GetOpenIdTokenForDeveloperIdentity), verified the way a relying party does: discovery,
then PyJWKClient against the issuer's JWKS URL."""

from __future__ import annotations

import time

import jwt
import pytest
import requests
from botocore.exceptions import ClientError

from identity.models import IdentityLogin
from tests.conftest import error_code
from tests.identitypools.test_credentials import USER_POLICY, signed_call


def verify(live_server, token: str, audience: str) -> dict:
    discovery = requests.get(f"{live_server.url}/identity/.well-known/openid-configuration", timeout=10).json()
    assert discovery["issuer"] == f"{live_server.url}/identity"
    client = jwt.PyJWKClient(discovery["jwks_uri"])
    key = client.get_signing_key_from_jwt(token)
    return jwt.decode(
        token,
        key.key,
        algorithms=discovery["id_token_signing_alg_values_supported"],
        audience=audience,
        issuer=discovery["issuer"],
    )


def test_jwks_and_discovery_are_public(live_server):
    jwks = requests.get(f"{live_server.url}/identity/.well-known/jwks.json", timeout=10)
    assert jwks.status_code == 200 and jwks.headers["Access-Control-Allow-Origin"] == "*"
    (key,) = jwks.json()["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig" and key["kid"]


def test_get_open_id_token_for_a_guest_and_a_user(identity_pool, cognito_identity, user_pool_login, live_server):
    login = user_pool_login()
    pool_id = identity_pool(CognitoIdentityProviders=[login.identity_provider()])["IdentityPoolId"]
    guest_id = cognito_identity.get_id(IdentityPoolId=pool_id)["IdentityId"]
    answer = cognito_identity.get_open_id_token(IdentityId=guest_id)
    claims = verify(live_server, answer["Token"], pool_id)
    assert answer["IdentityId"] == claims["sub"] == guest_id
    assert claims["amr"] == ["unauthenticated"]
    assert claims["https://cognito-identity.amazonaws.com/identity-pool-arn"].endswith(f":identitypool/{pool_id}")
    assert 590 <= claims["exp"] - claims["iat"] <= 600

    logins = {login.provider: login.sign_in()}
    user_id = cognito_identity.get_id(IdentityPoolId=pool_id, Logins=logins)["IdentityId"]
    claims = verify(
        live_server, cognito_identity.get_open_id_token(IdentityId=user_id, Logins=logins)["Token"], pool_id
    )
    sub = login.users["alice"].sub
    assert claims["sub"] == user_id
    assert claims["amr"] == ["authenticated", login.provider, f"{login.provider}:CognitoSignIn:{sub}"]

    with pytest.raises(ClientError) as excinfo:
        cognito_identity.get_open_id_token(IdentityId=user_id)
    assert error_code(excinfo) == "NotAuthorizedException"


def test_developer_identities(identity_pool, signed_identity, cognito_identity, make_role, live_server):
    pool_id = identity_pool(DeveloperProviderName="login.example")["IdentityPoolId"]
    role = make_role("dev-user", USER_POLICY)
    signed_identity.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"authenticated": role})

    answer = signed_identity.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id,
        Logins={"login.example": "user-42"},
        PrincipalTags={"team": "blue"},
        TokenDuration=7200,
    )
    identity_id = answer["IdentityId"]
    claims = verify(live_server, answer["Token"], pool_id)
    assert claims["sub"] == identity_id and claims["exp"] - claims["iat"] == 7200
    assert claims["amr"] == ["authenticated", "login.example", "login.example:user-42"]
    assert claims["https://aws.amazon.com/tags"]["principal_tags"] == {"team": ["blue"]}
    assert IdentityLogin.objects.filter(identity_id=identity_id, provider="login.example", subject="user-42").exists()

    again = signed_identity.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={"login.example": "user-42"}
    )
    assert again["IdentityId"] == identity_id
    assert verify(live_server, again["Token"], pool_id)["exp"] - int(time.time()) <= 15 * 60
    other = signed_identity.get_open_id_token_for_developer_identity(
        IdentityPoolId=pool_id, Logins={"login.example": "user-7"}
    )["IdentityId"]
    with pytest.raises(ClientError) as excinfo:
        signed_identity.get_open_id_token_for_developer_identity(
            IdentityPoolId=pool_id, IdentityId=other, Logins={"login.example": "user-42"}
        )
    assert error_code(excinfo) == "DeveloperUserAlreadyRegisteredException"
    with pytest.raises(ClientError) as excinfo:
        signed_identity.get_open_id_token_for_developer_identity(IdentityPoolId=pool_id, Logins={"other.dev": "x"})
    assert error_code(excinfo) == "InvalidParameterException"

    # The app exchanges the token for credentials (Logins key cognito-identity.amazonaws.com).
    creds = cognito_identity.get_credentials_for_identity(
        IdentityId=identity_id, Logins={"cognito-identity.amazonaws.com": answer["Token"]}
    )["Credentials"]
    whoami = signed_call(live_server.url, creds, "GET", "/example/plain/whoami").json()
    assert whoami == {"identityId": identity_id, "roleArn": role, "principalTags": {"team": "blue"}}
    with pytest.raises(ClientError) as excinfo:  # a token for another identity
        cognito_identity.get_credentials_for_identity(
            IdentityId=other, Logins={"cognito-identity.amazonaws.com": answer["Token"]}
        )
    assert error_code(excinfo) == "NotAuthorizedException"


def test_developer_operation_is_signed(identity_pool, cognito_identity):
    pool_id = identity_pool(DeveloperProviderName="login.example")["IdentityPoolId"]
    with pytest.raises(ClientError) as excinfo:
        cognito_identity.get_open_id_token_for_developer_identity(IdentityPoolId=pool_id, Logins={"login.example": "u"})
    assert error_code(excinfo) == "MissingAuthenticationTokenException"
