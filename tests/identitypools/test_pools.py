"""Identity pool configuration over the wire: Create/Describe/Update/Delete/ListIdentityPools,
roles and role mappings, principal tags, tags."""

from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError

from identity.models import OpenIdProvider
from identity.services.pools import open_id_provider_save
from tests.conftest import error_code
from userpools.context import SYSTEM

POOL_ID = re.compile(r"us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MISSING = "us-east-1:00000000-0000-0000-0000-000000000000"


def _code(call, **kwargs) -> str:
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return error_code(excinfo)


def test_create_describe_update_delete(identity_pool, signed_identity, user_pool_login):
    users = user_pool_login()
    oidc = open_id_provider_save(SYSTEM, issuer="https://login.example.com/realm", client_ids=["web"])
    created = identity_pool(
        "My pool",
        allow_unauthenticated=False,
        AllowClassicFlow=True,
        SupportedLoginProviders={"accounts.google.com": "google-app"},
        DeveloperProviderName="login.mycompany",
        OpenIdConnectProviderARNs=[oidc.arn],
        CognitoIdentityProviders=[{**users.identity_provider(), "ServerSideTokenCheck": True}],
        SamlProviderARNs=["arn:aws:iam::000000000000:saml-provider/corp"],
        IdentityPoolTags={"team": "a"},
    )
    assert POOL_ID.fullmatch(created["IdentityPoolId"])
    assert oidc.arn == "arn:aws:iam::000000000000:oidc-provider/login.example.com/realm"
    described = signed_identity.describe_identity_pool(IdentityPoolId=created["IdentityPoolId"])
    described.pop("ResponseMetadata")
    assert described == created
    assert described["CognitoIdentityProviders"] == [
        {"ProviderName": users.provider, "ClientId": users.client_id, "ServerSideTokenCheck": True}
    ]
    assert described["DeveloperProviderName"] == "login.mycompany"

    # UpdateIdentityPool replaces the configuration: what is left out is cleared; tags stay.
    updated = signed_identity.update_identity_pool(
        IdentityPoolId=created["IdentityPoolId"], IdentityPoolName="Renamed", AllowUnauthenticatedIdentities=True
    )
    assert updated["IdentityPoolName"] == "Renamed" and updated["AllowUnauthenticatedIdentities"] is True
    assert updated["SupportedLoginProviders"] == {} and updated["CognitoIdentityProviders"] == []
    assert updated["DeveloperProviderName"] == "login.mycompany"
    assert updated["IdentityPoolTags"] == {"team": "a"}
    assert (
        _code(
            signed_identity.update_identity_pool,
            IdentityPoolId=created["IdentityPoolId"],
            IdentityPoolName="x",
            AllowUnauthenticatedIdentities=True,
            DeveloperProviderName="other.name",
        )
        == "InvalidParameterException"
    )

    signed_identity.delete_identity_pool(IdentityPoolId=created["IdentityPoolId"])
    assert _code(signed_identity.describe_identity_pool, IdentityPoolId=created["IdentityPoolId"]) == (
        "ResourceNotFoundException"
    )
    assert _code(signed_identity.delete_identity_pool, IdentityPoolId=created["IdentityPoolId"]) == (
        "ResourceNotFoundException"
    )


@pytest.mark.parametrize(
    "members",
    [
        {"SupportedLoginProviders": {"www.example.com": "app"}},
        {"OpenIdConnectProviderARNs": ["arn:aws:iam::000000000000:oidc-provider/unregistered.example.com"]},
        {"OpenIdConnectProviderARNs": ["arn:aws:iam::000000000000:role/not-oidc"]},
        {
            "CognitoIdentityProviders": [
                {"ProviderName": "cognito-idp.us-east-1.amazonaws.com/us-east-1_missing1", "ClientId": "abc"}
            ]
        },
        {"CognitoIdentityProviders": [{"ProviderName": "example.com/pool", "ClientId": "abc"}]},
        {"SamlProviderARNs": ["arn:aws:iam::000000000000:role/not-saml"]},
        {"IdentityPoolTags": {"aws:reserved": "x"}},
        {"IdentityPoolTags": {f"k{i}": "v" for i in range(51)}},
    ],
)
def test_create_invalid_configuration(signed_identity, members):
    assert (
        _code(
            signed_identity.create_identity_pool, IdentityPoolName="p", AllowUnauthenticatedIdentities=True, **members
        )
        == "InvalidParameterException"
    )


def test_create_refuses_client_of_another_user_pool(signed_identity, user_pool_login):
    one, two = user_pool_login("one"), user_pool_login("two")
    provider = {"ProviderName": one.provider, "ClientId": two.client_id}
    assert (
        _code(
            signed_identity.create_identity_pool,
            IdentityPoolName="p",
            AllowUnauthenticatedIdentities=True,
            CognitoIdentityProviders=[provider],
        )
        == "InvalidParameterException"
    )


def test_model_validation_and_signing(signed_identity, cognito_identity):
    assert (
        _code(signed_identity.create_identity_pool, IdentityPoolName="bad/name", AllowUnauthenticatedIdentities=True)
        == "InvalidParameterException"
    )
    # Signed operations refuse unsigned callers.
    assert _code(cognito_identity.list_identity_pools, MaxResults=10) == "MissingAuthenticationTokenException"


def test_permissions_are_checked(boto_client, make_access_key, identity_pool):
    from tests.identitypools.conftest import READ_ONLY_POLICY

    pool = identity_pool()
    reader = boto_client("cognito-identity", key=make_access_key(policy=READ_ONLY_POLICY, username="reader"))
    try:
        assert reader.describe_identity_pool(IdentityPoolId=pool["IdentityPoolId"])["IdentityPoolName"] == "pool"
        assert _code(reader.delete_identity_pool, IdentityPoolId=pool["IdentityPoolId"]) == "AccessDeniedException"
    finally:
        reader.close()


def test_list_identity_pools_paginates(identity_pool, signed_identity):
    made = [identity_pool(f"pool{i}")["IdentityPoolId"] for i in range(5)]
    seen, token = [], None
    while True:
        kwargs = {"NextToken": token} if token else {}
        page = signed_identity.list_identity_pools(MaxResults=2, **kwargs)
        seen += [p["IdentityPoolId"] for p in page["IdentityPools"]]
        assert len(page["IdentityPools"]) <= 2
        token = page.get("NextToken")
        if not token:
            break
    assert seen == made
    assert page["IdentityPools"][-1] == {"IdentityPoolId": made[-1], "IdentityPoolName": "pool4"}
    assert _code(signed_identity.list_identity_pools, MaxResults=2, NextToken="garbage") == "InvalidParameterException"
    assert _code(signed_identity.list_identity_pools, MaxResults=61) == "InvalidParameterException"


def test_roles_and_role_mappings(identity_pool, signed_identity, make_role, user_pool_login):
    users = user_pool_login()
    pool = identity_pool(
        CognitoIdentityProviders=[users.identity_provider()], SupportedLoginProviders={"accounts.google.com": "g"}
    )
    pool_id = pool["IdentityPoolId"]
    auth, unauth, admin = make_role("auth"), make_role("unauth"), make_role("admin")
    assert signed_identity.get_identity_pool_roles(IdentityPoolId=pool_id)["Roles"] == {}
    mappings = {
        users.provider: {
            "Type": "Rules",
            "AmbiguousRoleResolution": "AuthenticatedRole",
            "RulesConfiguration": {
                "Rules": [
                    {"Claim": "cognito:groups", "MatchType": "Contains", "Value": "admins", "RoleARN": admin},
                    {"Claim": "email", "MatchType": "StartsWith", "Value": "boss", "RoleARN": admin},
                ]
            },
        },
        "accounts.google.com": {"Type": "Token", "AmbiguousRoleResolution": "Deny"},
    }
    signed_identity.set_identity_pool_roles(
        IdentityPoolId=pool_id, Roles={"authenticated": auth, "unauthenticated": unauth}, RoleMappings=mappings
    )
    got = signed_identity.get_identity_pool_roles(IdentityPoolId=pool_id)
    assert got["IdentityPoolId"] == pool_id
    assert got["Roles"] == {"authenticated": auth, "unauthenticated": unauth}
    assert got["RoleMappings"] == mappings
    # Replaced as a whole.
    signed_identity.set_identity_pool_roles(IdentityPoolId=pool_id, Roles={"authenticated": auth})
    got = signed_identity.get_identity_pool_roles(IdentityPoolId=pool_id)
    assert got["Roles"] == {"authenticated": auth} and "RoleMappings" not in got


@pytest.mark.parametrize(
    "roles, mappings",
    [
        ({"authenticated": "arn:aws:iam::000000000000:role/missing"}, None),
        ({"authenticated": "not-an-arn-at-all-really"}, None),
        ({}, {"graph.facebook.com": {"Type": "Token", "AmbiguousRoleResolution": "Deny"}}),
        ({}, {"accounts.google.com": {"Type": "Token"}}),
        ({}, {"accounts.google.com": {"Type": "Rules", "AmbiguousRoleResolution": "Deny"}}),
        (
            {},
            {
                "accounts.google.com": {
                    "Type": "Rules",
                    "AmbiguousRoleResolution": "Deny",
                    "RulesConfiguration": {
                        "Rules": [
                            {
                                "Claim": "sub",
                                "MatchType": "Equals",
                                "Value": "x",
                                "RoleARN": "arn:aws:iam::000000000000:role/missing",
                            }
                        ]
                    },
                }
            },
        ),
        (
            {},
            {
                "accounts.google.com": {
                    "Type": "Rules",
                    "AmbiguousRoleResolution": "Deny",
                    "RulesConfiguration": {
                        "Rules": [
                            {
                                "Claim": "sub",
                                "MatchType": "Like",
                                "Value": "x",
                                "RoleARN": "arn:aws:iam::000000000000:role/auth",
                            }
                        ]
                    },
                }
            },
        ),
    ],
)
def test_set_roles_invalid(identity_pool, signed_identity, make_role, roles, mappings):
    make_role("auth")
    pool_id = identity_pool(SupportedLoginProviders={"accounts.google.com": "g"})["IdentityPoolId"]
    kwargs = {"RoleMappings": mappings} if mappings else {}
    assert (
        _code(signed_identity.set_identity_pool_roles, IdentityPoolId=pool_id, Roles=roles, **kwargs)
        == "InvalidParameterException"
    )


def test_roles_of_missing_pool(signed_identity):
    assert _code(signed_identity.get_identity_pool_roles, IdentityPoolId=MISSING) == "ResourceNotFoundException"
    assert _code(signed_identity.set_identity_pool_roles, IdentityPoolId=MISSING, Roles={}) == (
        "ResourceNotFoundException"
    )


def test_principal_tag_attribute_map(identity_pool, signed_identity, user_pool_login):
    users = user_pool_login()
    pool_id = identity_pool(CognitoIdentityProviders=[users.identity_provider()])["IdentityPoolId"]
    got = signed_identity.get_principal_tag_attribute_map(IdentityPoolId=pool_id, IdentityProviderName=users.provider)
    assert got["UseDefaults"] is False and "PrincipalTags" not in got
    set_ = signed_identity.set_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName=users.provider, PrincipalTags={"dept": "custom:dept", "who": "sub"}
    )
    assert set_["PrincipalTags"] == {"dept": "custom:dept", "who": "sub"} and set_["UseDefaults"] is False
    got = signed_identity.get_principal_tag_attribute_map(IdentityPoolId=pool_id, IdentityProviderName=users.provider)
    assert got["PrincipalTags"] == {"dept": "custom:dept", "who": "sub"}
    assert got["IdentityProviderName"] == users.provider and got["IdentityPoolId"] == pool_id
    signed_identity.set_principal_tag_attribute_map(
        IdentityPoolId=pool_id, IdentityProviderName=users.provider, UseDefaults=True
    )
    got = signed_identity.get_principal_tag_attribute_map(IdentityPoolId=pool_id, IdentityProviderName=users.provider)
    assert got["UseDefaults"] is True and "PrincipalTags" not in got
    assert (
        _code(
            signed_identity.set_principal_tag_attribute_map,
            IdentityPoolId=pool_id,
            IdentityProviderName="accounts.google.com",
            UseDefaults=True,
        )
        == "InvalidParameterException"
    )
    assert (
        _code(
            signed_identity.get_principal_tag_attribute_map, IdentityPoolId=MISSING, IdentityProviderName=users.provider
        )
        == "ResourceNotFoundException"
    )


def test_tags(identity_pool, signed_identity):
    pool = identity_pool(IdentityPoolTags={"a": "1"})
    arn = f"arn:aws:cognito-identity:us-east-1:000000000000:identitypool/{pool['IdentityPoolId']}"
    signed_identity.tag_resource(ResourceArn=arn, Tags={"b": "2", "a": "3"})
    assert signed_identity.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"a": "3", "b": "2"}
    signed_identity.untag_resource(ResourceArn=arn, TagKeys=["a", "zzz"])
    assert signed_identity.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"b": "2"}
    assert signed_identity.describe_identity_pool(IdentityPoolId=pool["IdentityPoolId"])["IdentityPoolTags"] == {
        "b": "2"
    }
    missing = f"arn:aws:cognito-identity:us-east-1:000000000000:identitypool/{MISSING}"
    assert _code(signed_identity.list_tags_for_resource, ResourceArn=missing) == "ResourceNotFoundException"
    assert (
        _code(signed_identity.tag_resource, ResourceArn="arn:aws:iam::000000000000:role/whatever", Tags={"a": "b"})
        == "InvalidParameterException"
    )
    assert _code(signed_identity.tag_resource, ResourceArn=arn, Tags={f"k{i}": "v" for i in range(50)}) == (
        "InvalidParameterException"
    )


def test_open_id_provider_registration_rules():
    from userpools.errors import InvalidParameter, ResourceConflict

    open_id_provider_save(SYSTEM, issuer="https://id.example.com", client_ids=["a"])
    with pytest.raises(ResourceConflict):
        open_id_provider_save(SYSTEM, issuer="https://id.example.com/", client_ids=["b"])
    with pytest.raises(InvalidParameter):
        open_id_provider_save(SYSTEM, issuer="ftp://id.example.com", client_ids=["a"])
    with pytest.raises(InvalidParameter):
        open_id_provider_save(SYSTEM, issuer="https://other.example.com", client_ids=[])
    assert OpenIdProvider.objects.get().arn == "arn:aws:iam::000000000000:oidc-provider/id.example.com"
