"""InitiateAuth and AdminInitiateAuth: each flow's happy path and who may use it (boto3, live server)."""

from __future__ import annotations

import pytest

from tests.auth.conftest import (
    PASSWORD,
    assert_signed_in,
    call_error,
    claims,
    hash_for,
    password_auth,
    password_auth_error,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("flow", ["ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH", "USER_PASSWORD_AUTH"])
def test_admin_initiate_auth_signs_in(idp, signin, make_user, flow):
    pool_id, client = signin()
    user = make_user(pool_id, "alice")
    result = idp.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client["ClientId"],
        AuthFlow=flow,
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )
    assert_signed_in(result, user, client["ClientId"])


@pytest.mark.parametrize(
    ("flows", "api", "flow"),
    [
        (["USER_PASSWORD_AUTH"], "public", "USER_PASSWORD_AUTH"),
        (["ADMIN_NO_SRP_AUTH"], "admin", "ADMIN_NO_SRP_AUTH"),
        (["ADMIN_NO_SRP_AUTH"], "admin", "ADMIN_USER_PASSWORD_AUTH"),
    ],
)
def test_legacy_flow_names_allow_the_flows(public, idp, signin, make_user, flows, api, flow):
    pool_id, client = signin(ExplicitAuthFlows=flows)
    user = make_user(pool_id, "alice")
    params = {"USERNAME": "alice", "PASSWORD": PASSWORD}
    if api == "public":
        result = public.initiate_auth(ClientId=client["ClientId"], AuthFlow=flow, AuthParameters=params)
    else:
        result = idp.admin_initiate_auth(
            UserPoolId=pool_id, ClientId=client["ClientId"], AuthFlow=flow, AuthParameters=params
        )
    assert_signed_in(result, user, client["ClientId"])


def test_sign_in_by_email_alias(public, signin, make_user):
    pool_id, client = signin({"AliasAttributes": ["email"]})
    user = make_user(pool_id, "alice", email="alice@example.com")
    assert_signed_in(password_auth(public, client, "alice@example.com"), user, client["ClientId"])


def test_unverified_email_is_no_alias(public, signin, make_user):
    pool_id, client = signin({"AliasAttributes": ["email"]})
    make_user(pool_id, "alice", email="alice@example.com", verified=False)
    assert password_auth_error(public, client, "alice@example.com") == "UserNotFoundException"


def test_sign_in_with_email_as_username(public, signin, make_user):
    pool_id, client = signin({"UsernameAttributes": ["email"]})
    user = make_user(pool_id, "bob@example.com")
    assert_signed_in(password_auth(public, client, "bob@example.com"), user, client["ClientId"])
    assert_signed_in(password_auth(public, client, str(user.sub)), user, client["ClientId"])


@pytest.mark.parametrize(
    ("flows", "flow"),
    [
        (["ALLOW_REFRESH_TOKEN_AUTH"], "USER_PASSWORD_AUTH"),
        (["ALLOW_ADMIN_USER_PASSWORD_AUTH"], "USER_PASSWORD_AUTH"),
        (["ALLOW_USER_PASSWORD_AUTH"], "USER_SRP_AUTH"),
        (["ALLOW_USER_PASSWORD_AUTH"], "REFRESH_TOKEN_AUTH"),
    ],
)
def test_flow_not_enabled_for_the_client(public, signin, make_user, flows, flow):
    pool_id, client = signin(ExplicitAuthFlows=flows)
    make_user(pool_id, "alice")
    params = {"USERNAME": "alice", "PASSWORD": PASSWORD, "SRP_A": "ab", "REFRESH_TOKEN": "x"}
    code = call_error(public.initiate_auth, ClientId=client["ClientId"], AuthFlow=flow, AuthParameters=params)
    assert code == "InvalidParameterException"


def test_admin_flow_not_enabled_for_the_client(idp, signin, make_user):
    pool_id, client = signin(ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])
    make_user(pool_id, "alice")
    code = call_error(
        idp.admin_initiate_auth,
        UserPoolId=pool_id,
        ClientId=client["ClientId"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )
    assert code == "InvalidParameterException"


def test_admin_flow_through_initiate_auth_is_refused(public, signin, make_user):
    pool_id, client = signin()
    make_user(pool_id, "alice")
    code = call_error(
        public.initiate_auth,
        ClientId=client["ClientId"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )
    assert code == "InvalidParameterException"


def test_custom_auth_says_it_is_not_supported(public, signin, make_user):
    pool_id, client = signin(ExplicitAuthFlows=["ALLOW_CUSTOM_AUTH"])
    make_user(pool_id, "alice")
    code = call_error(
        public.initiate_auth, ClientId=client["ClientId"], AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "alice"}
    )
    assert code == "UnsupportedOperationException"


def test_admin_initiate_auth_with_a_client_of_another_pool(idp, signin, make_pool, make_user):
    _, client = signin()
    other_pool = make_pool("other", AutoVerifiedAttributes=["email"])["Id"]
    code = call_error(
        idp.admin_initiate_auth,
        UserPoolId=other_pool,
        ClientId=client["ClientId"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "a", "PASSWORD": PASSWORD},
    )
    assert code == "ResourceNotFoundException"


def test_unknown_client(public):
    code = call_error(
        public.initiate_auth,
        ClientId="nosuchclient",
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "a", "PASSWORD": PASSWORD},
    )
    assert code == "ResourceNotFoundException"


def test_missing_password_parameter(public, signin, make_user):
    pool_id, client = signin()
    make_user(pool_id, "alice")
    code = call_error(
        public.initiate_auth,
        ClientId=client["ClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice"},
    )
    assert code == "InvalidParameterException"


# --- SECRET_HASH ------------------------------------------------------------------------------


def test_secret_hash_is_required_and_checked(public, signin, make_user):
    pool_id, client = signin(GenerateSecret=True)
    user = make_user(pool_id, "alice")
    assert password_auth_error(public, client, "alice") == "NotAuthorizedException"
    wrong = hash_for(client, "alice", secret="x" * 52)
    assert password_auth_error(public, client, "alice", SECRET_HASH=wrong) == "NotAuthorizedException"
    other_name = hash_for(client, "bob")
    assert password_auth_error(public, client, "alice", SECRET_HASH=other_name) == "NotAuthorizedException"
    result = password_auth(public, client, "alice", SECRET_HASH=hash_for(client, "alice"))
    assert_signed_in(result, user, client["ClientId"])


def test_admin_initiate_auth_checks_the_secret_hash_too(idp, signin, make_user):
    pool_id, client = signin(GenerateSecret=True)
    user = make_user(pool_id, "alice")
    params = {"USERNAME": "alice", "PASSWORD": PASSWORD}
    code = call_error(
        idp.admin_initiate_auth,
        UserPoolId=pool_id,
        ClientId=client["ClientId"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters=params,
    )
    assert code == "NotAuthorizedException"
    result = idp.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client["ClientId"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={**params, "SECRET_HASH": hash_for(client, "alice")},
    )
    assert_signed_in(result, user, client["ClientId"])


# --- REFRESH_TOKEN_AUTH -------------------------------------------------------------------------


@pytest.mark.parametrize("flow", ["REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"])
def test_refresh_token_auth(public, signin, make_user, flow):
    pool_id, client = signin()
    user = make_user(pool_id, "alice")
    refresh = password_auth(public, client, "alice")["AuthenticationResult"]["RefreshToken"]
    result = public.initiate_auth(ClientId=client["ClientId"], AuthFlow=flow, AuthParameters={"REFRESH_TOKEN": refresh})
    assert "RefreshToken" not in result["AuthenticationResult"]  # no rotation configured
    assert claims(result["AuthenticationResult"]["AccessToken"])["sub"] == str(user.sub)


def test_refresh_with_a_secret_hashes_the_username_or_the_sub(public, signin, make_user):
    pool_id, client = signin(GenerateSecret=True)
    user = make_user(pool_id, "alice")
    signed_in = password_auth(public, client, "alice", SECRET_HASH=hash_for(client, "alice"))
    refresh = signed_in["AuthenticationResult"]["RefreshToken"]

    def refresh_with(**extra):
        return public.initiate_auth(
            ClientId=client["ClientId"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh, **extra},
        )

    def refresh_error(**extra):
        return call_error(
            public.initiate_auth,
            ClientId=client["ClientId"],
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh, **extra},
        )

    assert refresh_error() == "NotAuthorizedException"
    assert refresh_error(SECRET_HASH=hash_for(client, "mallory")) == "NotAuthorizedException"
    assert refresh_with(SECRET_HASH=hash_for(client, str(user.sub)))["AuthenticationResult"]["AccessToken"]
    assert refresh_with(SECRET_HASH=hash_for(client, "alice"))["AuthenticationResult"]["AccessToken"]


def test_refresh_with_a_secret_and_an_unknown_token_needs_a_hash(public, signin):
    _, client = signin(GenerateSecret=True)
    code = call_error(
        public.initiate_auth,
        ClientId=client["ClientId"],
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": "not-a-token"},
    )
    assert code == "NotAuthorizedException"
