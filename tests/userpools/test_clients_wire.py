"""App clients over the wire: CRUD, listing, UpdateUserPoolClient's reset semantics, and
client-secret rotation (Add/List/DeleteUserPoolClientSecret)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from tests.userpools.conftest import call_error

pytestmark = pytest.mark.django_db(transaction=True)

UNKNOWN_POOL = "us-east-1_nothere00"
UNKNOWN_CLIENT = "a" * 26
CLIENT_ID = re.compile(r"[a-z0-9]{26}")

# What DescribeUserPoolClient reports for a client created with only a name.
DEFAULTS = {
    "RefreshTokenValidity": 30,
    "AccessTokenValidity": 60,
    "IdTokenValidity": 60,
    "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
    "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_USER_SRP_AUTH"],
    "AllowedOAuthFlowsUserPoolClient": False,
    "PreventUserExistenceErrors": "LEGACY",
    "EnableTokenRevocation": True,
    "EnablePropagateAdditionalUserContextData": False,
    "AuthSessionValidity": 3,
}

RICH = {
    "RefreshTokenValidity": 10,
    "AccessTokenValidity": 2,
    "IdTokenValidity": 3,
    "TokenValidityUnits": {"AccessToken": "hours", "IdToken": "hours", "RefreshToken": "days"},
    "ReadAttributes": ["email", "email_verified", "name"],
    "WriteAttributes": ["email", "name"],
    "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    "SupportedIdentityProviders": ["COGNITO"],
    "CallbackURLs": ["https://app.example.com/callback", "http://localhost:3000/cb"],
    "LogoutURLs": ["https://app.example.com/bye"],
    "DefaultRedirectURI": "https://app.example.com/callback",
    "AllowedOAuthFlows": ["code"],
    "AllowedOAuthScopes": ["openid", "email", "profile"],
    "AllowedOAuthFlowsUserPoolClient": True,
    "PreventUserExistenceErrors": "ENABLED",
    "EnableTokenRevocation": False,
    "EnablePropagateAdditionalUserContextData": False,
    "AuthSessionValidity": 10,
}


def _strip(response: dict) -> dict:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


# --- CreateUserPoolClient / DescribeUserPoolClient ----------------------------------------


def test_create_public_client(idp, pool_id, make_client):
    client = make_client(pool_id, "web")
    assert CLIENT_ID.fullmatch(client["ClientId"])
    assert client["UserPoolId"] == pool_id
    assert client["ClientName"] == "web"
    assert "ClientSecret" not in client
    assert isinstance(client["CreationDate"], datetime)
    assert isinstance(client["LastModifiedDate"], datetime)
    for key, value in DEFAULTS.items():
        assert client[key] == value, key
    described = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"])["UserPoolClient"]
    assert described == client


def test_create_confidential_client(idp, pool_id, make_client):
    client = make_client(pool_id, "server", GenerateSecret=True)
    assert CLIENT_ID.fullmatch(client["ClientId"])
    assert len(client["ClientSecret"]) >= 24
    described = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"])["UserPoolClient"]
    assert described["ClientSecret"] == client["ClientSecret"]
    assert make_client(pool_id, "server", GenerateSecret=True)["ClientSecret"] != client["ClientSecret"]


def test_create_client_with_every_setting(idp, pool_id, make_client):
    client = make_client(pool_id, "rich", **RICH)
    for key, value in RICH.items():
        assert client[key] == value, key


def test_token_validity_units_default_to_hours_when_a_validity_is_given(make_client, pool_id):
    client = make_client(pool_id, AccessTokenValidity=2, IdTokenValidity=1)
    assert client["TokenValidityUnits"] == {"AccessToken": "hours", "IdToken": "hours", "RefreshToken": "days"}


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"UserPoolId": UNKNOWN_POOL}, "ResourceNotFoundException"),
        ({"ClientName": ""}, "InvalidParameterException"),
        ({"ClientName": "bad\u0000name"}, "InvalidParameterException"),
        ({"ReadAttributes": ["custom:nope"]}, "InvalidParameterException"),
        ({"WriteAttributes": ["sub"]}, "InvalidParameterException"),
        ({"ExplicitAuthFlows": ["USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}, "InvalidParameterException"),
        ({"ExplicitAuthFlows": ["ALLOW_EVERYTHING"]}, "InvalidParameterException"),
        ({"SupportedIdentityProviders": ["Google"]}, "InvalidParameterException"),
        ({"CallbackURLs": ["http://app.example.com/cb"]}, "InvalidParameterException"),
        ({"CallbackURLs": ["https://app.example.com/cb#frag"]}, "InvalidParameterException"),
        ({"CallbackURLs": ["https://"]}, "InvalidParameterException"),
        ({"CallbackURLs": ["http://[::1/cb"]}, "InvalidParameterException"),
        ({"CallbackURLs": ["https://app.example.com:99999/cb"]}, "InvalidParameterException"),
        ({"LogoutURLs": ["https://[not-ipv6]/bye"]}, "InvalidParameterException"),
        (
            {"CallbackURLs": ["https://a.example.com/cb"], "DefaultRedirectURI": "https://b.example.com/cb"},
            "InvalidParameterException",
        ),
        ({"AccessTokenValidity": 2, "TokenValidityUnits": {"AccessToken": "days"}}, "InvalidParameterException"),
        ({"AccessTokenValidity": 1, "TokenValidityUnits": {"AccessToken": "minutes"}}, "InvalidParameterException"),
        ({"RefreshTokenValidity": 3651}, "InvalidParameterException"),
        ({"RefreshTokenValidity": 0}, "InvalidParameterException"),
        (
            {"AccessTokenValidity": 24, "RefreshTokenValidity": 1, "TokenValidityUnits": {"RefreshToken": "days"}},
            "InvalidParameterException",
        ),
        ({"AuthSessionValidity": 2}, "InvalidParameterException"),
        ({"PreventUserExistenceErrors": "SOMETIMES"}, "InvalidParameterException"),
        ({"AllowedOAuthFlowsUserPoolClient": True}, "InvalidOAuthFlowException"),
        (
            {"AllowedOAuthFlowsUserPoolClient": True, "AllowedOAuthFlows": ["code"], "AllowedOAuthScopes": ["openid"]},
            "InvalidParameterException",
        ),
        (
            {
                "AllowedOAuthFlows": ["client_credentials"],
                "AllowedOAuthScopes": ["api/read"],
                "AllowedOAuthFlowsUserPoolClient": True,
            },
            "InvalidOAuthFlowException",
        ),
        ({"AllowedOAuthScopes": ["superpowers"]}, "ScopeDoesNotExistException"),
        ({"GenerateSecret": "yes"}, "SerializationException"),
    ],
    ids=lambda v: str(v)[:70],
)
def test_create_client_rejects_bad_input(raw_idp, pool_id, kwargs, code):
    request = {"UserPoolId": pool_id, "ClientName": "app", **kwargs}
    assert call_error(raw_idp.create_user_pool_client, **request) == code
    assert raw_idp.list_user_pool_clients(UserPoolId=pool_id, MaxResults=10)["UserPoolClients"] == []


def test_describe_unknown_client(idp, pool_id, make_pool, make_client):
    assert (
        call_error(idp.describe_user_pool_client, UserPoolId=pool_id, ClientId=UNKNOWN_CLIENT)
        == "ResourceNotFoundException"
    )
    # A client is found only through its own pool.
    client_id = make_client(make_pool("other")["Id"])["ClientId"]
    assert (
        call_error(idp.describe_user_pool_client, UserPoolId=pool_id, ClientId=client_id) == "ResourceNotFoundException"
    )
    assert (
        call_error(idp.describe_user_pool_client, UserPoolId=UNKNOWN_POOL, ClientId=client_id)
        == "ResourceNotFoundException"
    )


# --- UpdateUserPoolClient ------------------------------------------------------------------


def test_update_client_resets_omitted_settings_to_defaults(idp, pool_id, make_client):
    client = make_client(pool_id, "rich", GenerateSecret=True, **RICH)
    updated = idp.update_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"], ClientName="renamed")[
        "UserPoolClient"
    ]
    assert updated["ClientName"] == "renamed"
    assert updated["ClientSecret"] == client["ClientSecret"]  # the secret is not a setting
    assert updated["CreationDate"] == client["CreationDate"]
    for key, value in DEFAULTS.items():
        assert updated[key] == value, key
    for key in (
        "ReadAttributes",
        "WriteAttributes",
        "CallbackURLs",
        "LogoutURLs",
        "DefaultRedirectURI",
        "AllowedOAuthFlows",
        "AllowedOAuthScopes",
        "SupportedIdentityProviders",
    ):
        assert key not in updated, key
    described = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"])["UserPoolClient"]
    assert described == updated


def test_update_client_applies_settings_and_keeps_name_when_omitted(idp, pool_id, make_client):
    client_id = make_client(pool_id, "keep")["ClientId"]
    updated = idp.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, **RICH)["UserPoolClient"]
    assert updated["ClientName"] == "keep"
    for key, value in RICH.items():
        assert updated[key] == value, key


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"UserPoolId": UNKNOWN_POOL}, "ResourceNotFoundException"),
        ({"ClientId": UNKNOWN_CLIENT}, "ResourceNotFoundException"),
        ({"ReadAttributes": ["custom:nope"]}, "InvalidParameterException"),
        ({"AllowedOAuthFlowsUserPoolClient": True}, "InvalidOAuthFlowException"),
        (
            {
                "AllowedOAuthFlows": ["client_credentials"],
                "AllowedOAuthScopes": ["api/read"],
                "AllowedOAuthFlowsUserPoolClient": True,
            },
            "InvalidOAuthFlowException",
        ),
    ],
    ids=lambda v: str(v)[:70],
)
def test_update_client_rejects_bad_input(raw_idp, pool_id, make_client, kwargs, code):
    client = make_client(pool_id, "app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])
    request = {"UserPoolId": pool_id, "ClientId": client["ClientId"], **kwargs}
    assert call_error(raw_idp.update_user_pool_client, **request) == code
    after = raw_idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"])["UserPoolClient"]
    assert after == client  # unchanged


# --- DeleteUserPoolClient / ListUserPoolClients ------------------------------------------------


def test_delete_client(idp, pool_id, make_client):
    client_id = make_client(pool_id, GenerateSecret=True)["ClientId"]
    idp.delete_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    assert (
        call_error(idp.describe_user_pool_client, UserPoolId=pool_id, ClientId=client_id) == "ResourceNotFoundException"
    )
    assert (
        call_error(idp.delete_user_pool_client, UserPoolId=pool_id, ClientId=client_id) == "ResourceNotFoundException"
    )
    assert (
        call_error(idp.delete_user_pool_client, UserPoolId=UNKNOWN_POOL, ClientId=client_id)
        == "ResourceNotFoundException"
    )


def test_list_clients_pages_through_every_client_once(idp, pool_id, make_client, make_pool):
    created = {make_client(pool_id, f"c{i}")["ClientId"]: f"c{i}" for i in range(5)}
    make_client(make_pool("other")["Id"], "elsewhere")
    seen: list[str] = []
    kwargs = {"UserPoolId": pool_id, "MaxResults": 2}
    while True:
        page = idp.list_user_pool_clients(**kwargs)
        assert len(page["UserPoolClients"]) <= 2
        for c in page["UserPoolClients"]:
            assert c == {"ClientId": c["ClientId"], "UserPoolId": pool_id, "ClientName": created[c["ClientId"]]}
        seen += [c["ClientId"] for c in page["UserPoolClients"]]
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert sorted(seen) == sorted(created)
    assert len(seen) == len(set(seen))


def test_list_clients_default_page_size_and_empty_pool(idp, pool_id, make_client):
    assert idp.list_user_pool_clients(UserPoolId=pool_id)["UserPoolClients"] == []
    make_client(pool_id)
    page = idp.list_user_pool_clients(UserPoolId=pool_id)
    assert len(page["UserPoolClients"]) == 1
    assert "NextToken" not in page


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"UserPoolId": UNKNOWN_POOL}, "ResourceNotFoundException"),
        ({"MaxResults": 0}, "InvalidParameterException"),
        ({"MaxResults": 61}, "InvalidParameterException"),
        ({"NextToken": "garbage"}, "InvalidParameterException"),
        ({"NextToken": "WyJub3QtYS1kYXRlIiwgMV0"}, "InvalidParameterException"),  # ["not-a-date", 1]
        ({"NextToken": "WyIyMDI0LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwgIngiXQ"}, "InvalidParameterException"),  # [date, "x"]
    ],
    ids=str,
)
def test_list_clients_rejects_bad_input(raw_idp, pool_id, make_client, kwargs, code):
    make_client(pool_id)
    assert call_error(raw_idp.list_user_pool_clients, **{"UserPoolId": pool_id, **kwargs}) == code


def test_list_clients_rejects_a_user_pool_token(idp, pool_id, make_client, make_pool):
    make_pool("second")
    token = idp.list_user_pools(MaxResults=1)["NextToken"]
    make_client(pool_id)
    assert call_error(idp.list_user_pool_clients, UserPoolId=pool_id, NextToken=token) == "InvalidParameterException"


# --- Client secrets ----------------------------------------------------------------------------


def test_client_secret_rotation(idp, pool_id, make_client):
    client = make_client(pool_id, GenerateSecret=True)
    ids = {"UserPoolId": pool_id, "ClientId": client["ClientId"]}

    [original] = idp.list_user_pool_client_secrets(**ids)["ClientSecrets"]
    assert set(original) == {"ClientSecretId", "ClientSecretCreateDate"}  # never the value
    assert isinstance(original["ClientSecretCreateDate"], datetime)

    added = idp.add_user_pool_client_secret(**ids)["ClientSecretDescriptor"]
    assert len(added["ClientSecretValue"]) >= 24
    assert added["ClientSecretValue"] != client["ClientSecret"]
    assert added["ClientSecretId"] != original["ClientSecretId"]
    listed = idp.list_user_pool_client_secrets(**ids)["ClientSecrets"]
    assert [s["ClientSecretId"] for s in listed] == [original["ClientSecretId"], added["ClientSecretId"]]
    assert "NextToken" not in idp.list_user_pool_client_secrets(**ids)

    assert call_error(idp.add_user_pool_client_secret, **ids) == "LimitExceededException"

    idp.delete_user_pool_client_secret(**ids, ClientSecretId=original["ClientSecretId"])
    [remaining] = idp.list_user_pool_client_secrets(**ids)["ClientSecrets"]
    assert remaining["ClientSecretId"] == added["ClientSecretId"]
    described = idp.describe_user_pool_client(**ids)["UserPoolClient"]
    assert described["ClientSecret"] == added["ClientSecretValue"]

    code = call_error(idp.delete_user_pool_client_secret, **ids, ClientSecretId=added["ClientSecretId"])
    assert code == "InvalidParameterException"
    assert len(idp.list_user_pool_client_secrets(**ids)["ClientSecrets"]) == 1


def test_add_client_secret_with_a_chosen_value(idp, pool_id, make_client):
    ids = {"UserPoolId": pool_id, "ClientId": make_client(pool_id, GenerateSecret=True)["ClientId"]}
    chosen = "my0own0secret0value0with0enough0length"
    added = idp.add_user_pool_client_secret(**ids, ClientSecret=chosen)["ClientSecretDescriptor"]
    # Cognito returns ClientSecretValue only for secrets it generates.
    assert "ClientSecretValue" not in added
    idp.delete_user_pool_client_secret(
        **ids, ClientSecretId=idp.list_user_pool_client_secrets(**ids)["ClientSecrets"][0]["ClientSecretId"]
    )
    assert idp.describe_user_pool_client(**ids)["UserPoolClient"]["ClientSecret"] == chosen


def test_public_client_has_no_secrets_to_rotate(idp, pool_id, make_client):
    ids = {"UserPoolId": pool_id, "ClientId": make_client(pool_id)["ClientId"]}
    assert idp.list_user_pool_client_secrets(**ids)["ClientSecrets"] == []
    assert call_error(idp.add_user_pool_client_secret, **ids) == "InvalidParameterException"


@pytest.mark.parametrize(
    "operation, unknown",
    [
        ("add_user_pool_client_secret", "UserPoolId"),
        ("add_user_pool_client_secret", "ClientId"),
        ("list_user_pool_client_secrets", "UserPoolId"),
        ("list_user_pool_client_secrets", "ClientId"),
        ("delete_user_pool_client_secret", "UserPoolId"),
        ("delete_user_pool_client_secret", "ClientId"),
        ("delete_user_pool_client_secret", "ClientSecretId"),
    ],
)
def test_client_secret_operations_on_unknown_things(idp, pool_id, make_client, operation, unknown):
    client_id = make_client(pool_id, GenerateSecret=True)["ClientId"]
    request = {"UserPoolId": pool_id, "ClientId": client_id}
    if operation == "delete_user_pool_client_secret":
        request["ClientSecretId"] = idp.add_user_pool_client_secret(**request)["ClientSecretDescriptor"][
            "ClientSecretId"
        ]
    request[unknown] = {"UserPoolId": UNKNOWN_POOL, "ClientId": UNKNOWN_CLIENT, "ClientSecretId": client_id + "--nope"}[
        unknown
    ]
    assert call_error(getattr(idp, operation), **request) == "ResourceNotFoundException"


@pytest.mark.parametrize("secret", ["short", "x" * 65, "has spaces in the secret value!!"])
def test_add_client_secret_rejects_bad_values(raw_idp, pool_id, make_client, secret):
    ids = {"UserPoolId": pool_id, "ClientId": make_client(pool_id, GenerateSecret=True)["ClientId"]}
    assert call_error(raw_idp.add_user_pool_client_secret, **ids, ClientSecret=secret) == "InvalidParameterException"
