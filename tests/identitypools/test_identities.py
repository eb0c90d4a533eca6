"""Identities over the wire: GetId (guest and authenticated), DescribeIdentity, ListIdentities,
DeleteIdentities, UnlinkIdentity, disabled identities, and Cognate user-pool logins."""

from __future__ import annotations

import re
from datetime import timedelta

import jwt
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.asymmetric import rsa

from identity.services.pools import identity_set_disabled
from tests.conftest import error_code
from userpools.context import SYSTEM
from userpools.services import tokens

IDENTITY_ID = re.compile(r"us-east-1:[0-9a-f-]{36}")
MISSING_POOL = "us-east-1:00000000-0000-0000-0000-000000000000"


def _code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_code(excinfo)


@pytest.fixture
def cognito_pool(identity_pool, user_pool_login):
    """(identity pool id, UserPoolLogin) with the user pool trusted, guests refused."""
    users = user_pool_login()
    pool = identity_pool(allow_unauthenticated=False, CognitoIdentityProviders=[users.identity_provider()])
    return pool["IdentityPoolId"], users


def test_guest_identities(identity_pool, cognito_identity, signed_identity):
    pool_id = identity_pool()["IdentityPoolId"]
    first = cognito_identity.get_id(IdentityPoolId=pool_id)["IdentityId"]
    second = cognito_identity.get_id(IdentityPoolId=pool_id, AccountId="000000000000")["IdentityId"]
    assert IDENTITY_ID.fullmatch(first) and first != second
    described = signed_identity.describe_identity(IdentityId=first)
    assert described["IdentityId"] == first and described["Logins"] == []
    assert described["CreationDate"] and described["LastModifiedDate"]


def test_guests_refused_when_the_pool_disallows(identity_pool, cognito_identity):
    pool_id = identity_pool(allow_unauthenticated=False)["IdentityPoolId"]
    assert _code(cognito_identity.get_id, IdentityPoolId=pool_id) == "NotAuthorizedException"


def test_get_id_unknown_pool(cognito_identity):
    assert _code(cognito_identity.get_id, IdentityPoolId=MISSING_POOL) == "ResourceNotFoundException"
    assert _code(cognito_identity.get_id, IdentityPoolId="not a pool id") == "InvalidParameterException"


def test_user_pool_login(cognito_pool, cognito_identity, signed_identity, settings):
    pool_id, users = cognito_pool
    token = users.sign_in("alice")
    identity_id = cognito_identity.get_id(IdentityPoolId=pool_id, Logins={users.provider: token})["IdentityId"]
    # The same user again, and through Cognate's issuer URL: the same identity.
    again = users.sign_in("alice")
    assert cognito_identity.get_id(IdentityPoolId=pool_id, Logins={users.provider: again})["IdentityId"] == identity_id
    issuer = f"{settings.COGNATE['PUBLIC_URL']}/{users.pool_id}"
    assert cognito_identity.get_id(IdentityPoolId=pool_id, Logins={issuer: again})["IdentityId"] == identity_id
    # Another user: another identity.
    bob = cognito_identity.get_id(IdentityPoolId=pool_id, Logins={users.provider: users.sign_in("bob")})
    assert bob["IdentityId"] != identity_id
    assert signed_identity.describe_identity(IdentityId=identity_id)["Logins"] == [users.provider]


def test_issuer_url_as_provider_name(identity_pool, user_pool_login, cognito_identity, settings):
    users = user_pool_login()
    issuer = f"{settings.COGNATE['PUBLIC_URL']}/{users.pool_id}"
    pool_id = identity_pool(
        allow_unauthenticated=False, CognitoIdentityProviders=[{"ProviderName": issuer, "ClientId": users.client_id}]
    )["IdentityPoolId"]
    token = users.sign_in()
    one = cognito_identity.get_id(IdentityPoolId=pool_id, Logins={issuer: token})["IdentityId"]
    assert cognito_identity.get_id(IdentityPoolId=pool_id, Logins={users.provider: token})["IdentityId"] == one


def _forged(token: str) -> str:
    claims = jwt.decode(token, options={"verify_signature": False})
    header = jwt.get_unverified_header(token)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, other, algorithm="RS256", headers={"kid": header["kid"]})


def _tampered(token: str) -> str:
    head, payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["sub"] = "00000000-0000-0000-0000-000000000000"
    body = jwt.utils.base64url_encode(jwt.api_jws.json.dumps(claims).encode()).decode()
    return f"{head}.{body}.{signature}"


@pytest.mark.parametrize("mangle", [_forged, _tampered, lambda t: "not-a-jwt", lambda t: t[:-4] + "AAAA"])
def test_bad_user_pool_tokens_refused(cognito_pool, cognito_identity, mangle):
    pool_id, users = cognito_pool
    token = mangle(users.sign_in())
    assert _code(cognito_identity.get_id, IdentityPoolId=pool_id, Logins={users.provider: token}) == (
        "NotAuthorizedException"
    )


def test_expired_user_pool_token_refused(cognito_pool, cognito_identity, monkeypatch):
    pool_id, users = cognito_pool
    token = users.sign_in()
    later = tokens.common.now() + timedelta(hours=2)
    monkeypatch.setattr(tokens.common, "now", lambda: later)
    assert _code(cognito_identity.get_id, IdentityPoolId=pool_id, Logins={users.provider: token}) == (
        "NotAuthorizedException"
    )


def test_access_token_refused(cognito_pool, cognito_identity):
    pool_id, users = cognito_pool
    users.make_user(users.pool_id, "carol")
    access = users.idp.initiate_auth(
        ClientId=users.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "carol", "PASSWORD": "Passw0rd!"},
    )
    token = access["AuthenticationResult"]["AccessToken"]
    assert _code(cognito_identity.get_id, IdentityPoolId=pool_id, Logins={users.provider: token}) == (
        "NotAuthorizedException"
    )


def test_wrong_audience_refused(cognito_pool, cognito_identity):
    pool_id, users = cognito_pool
    other_client = users.add_client()
    token = users.sign_in(client_id=other_client)
    assert _code(cognito_identity.get_id, IdentityPoolId=pool_id, Logins={users.provider: token}) == (
        "NotAuthorizedException"
    )


def test_token_of_an_untrusted_user_pool_refused(cognito_pool, user_pool_login, cognito_identity):
    pool_id, _ = cognito_pool
    stranger = user_pool_login("stranger")
    token = stranger.sign_in()
    assert _code(cognito_identity.get_id, IdentityPoolId=pool_id, Logins={stranger.provider: token}) == (
        "NotAuthorizedException"
    )


def test_token_of_another_user_pool_under_a_trusted_name_refused(cognito_pool, user_pool_login, cognito_identity):
    pool_id, users = cognito_pool
    token = user_pool_login("stranger").sign_in()
    assert _code(cognito_identity.get_id, IdentityPoolId=pool_id, Logins={users.provider: token}) == (
        "NotAuthorizedException"
    )


def test_signed_out_user_refused(cognito_pool, cognito_identity):
    pool_id, users = cognito_pool
    token = users.sign_in("alice")
    users.idp.admin_user_global_sign_out(UserPoolId=users.pool_id, Username="alice")
    assert _code(cognito_identity.get_id, IdentityPoolId=pool_id, Logins={users.provider: token}) == (
        "NotAuthorizedException"
    )


def test_disabled_user_refused(cognito_pool, cognito_identity):
    pool_id, users = cognito_pool
    token = users.sign_in("alice")
    users.idp.admin_disable_user(UserPoolId=users.pool_id, Username="alice")
    assert _code(cognito_identity.get_id, IdentityPoolId=pool_id, Logins={users.provider: token}) == (
        "NotAuthorizedException"
    )


def test_unsupported_provider_refused(cognito_pool, cognito_identity):
    pool_id, _ = cognito_pool
    for provider in ("accounts.google.com", "login.example.com", "graph.facebook.com"):
        assert _code(cognito_identity.get_id, IdentityPoolId=pool_id, Logins={provider: "x.y.z"}) == (
            "NotAuthorizedException"
        )


def test_disabled_identity(cognito_pool, cognito_identity):
    pool_id, users = cognito_pool
    token = users.sign_in()
    identity_id = cognito_identity.get_id(IdentityPoolId=pool_id, Logins={users.provider: token})["IdentityId"]
    identity_set_disabled(SYSTEM, identity_id=identity_id, disabled=True)
    assert _code(cognito_identity.get_id, IdentityPoolId=pool_id, Logins={users.provider: token}) == (
        "NotAuthorizedException"
    )
    identity_set_disabled(SYSTEM, identity_id=identity_id, disabled=False)
    assert cognito_identity.get_id(IdentityPoolId=pool_id, Logins={users.provider: token})["IdentityId"] == identity_id


def test_list_identities(identity_pool, cognito_identity, signed_identity):
    pool_id = identity_pool()["IdentityPoolId"]
    made = [cognito_identity.get_id(IdentityPoolId=pool_id)["IdentityId"] for _ in range(5)]
    identity_set_disabled(SYSTEM, identity_id=made[1], disabled=True)
    seen, token = [], None
    while True:
        page = signed_identity.list_identities(
            IdentityPoolId=pool_id, MaxResults=2, **({"NextToken": token} if token else {})
        )
        assert page["IdentityPoolId"] == pool_id
        seen += [i["IdentityId"] for i in page["Identities"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == made
    hidden = signed_identity.list_identities(IdentityPoolId=pool_id, MaxResults=60, HideDisabled=True)
    assert [i["IdentityId"] for i in hidden["Identities"]] == [made[0], *made[2:]]
    assert page["Identities"][0]["Logins"] == []
    assert _code(signed_identity.list_identities, IdentityPoolId=MISSING_POOL, MaxResults=5) == (
        "ResourceNotFoundException"
    )


def test_delete_identities(identity_pool, cognito_identity, signed_identity):
    pool_id = identity_pool()["IdentityPoolId"]
    one, two = (cognito_identity.get_id(IdentityPoolId=pool_id)["IdentityId"] for _ in range(2))
    unknown = "us-east-1:11111111-1111-1111-1111-111111111111"
    response = signed_identity.delete_identities(IdentityIdsToDelete=[one, unknown])
    assert response["UnprocessedIdentityIds"] == []
    assert _code(signed_identity.describe_identity, IdentityId=one) == "ResourceNotFoundException"
    assert signed_identity.describe_identity(IdentityId=two)["IdentityId"] == two


def test_describe_identity_errors(signed_identity, cognito_identity):
    assert _code(signed_identity.describe_identity, IdentityId="us-east-1:22222222-2222-2222-2222-222222222222") == (
        "ResourceNotFoundException"
    )
    assert _code(cognito_identity.describe_identity, IdentityId="us-east-1:22222222-2222-2222-2222-222222222222") == (
        "MissingAuthenticationTokenException"
    )
