"""The admin console's identity-pool pages: pools, identities, roles, OIDC providers."""

from __future__ import annotations

import json

import pytest

from identity.models import Identity, IdentityPool, OpenIdProvider, Role


@pytest.fixture
def console(client, make_operator):
    client.force_login(make_operator("root", is_superuser=True))
    return client


POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cognito-identity:*", "Resource": "*"}]}


def test_role_and_pool_through_the_console(console):
    response = console.post(
        "/admin/identity/role/add/",
        {"name": "app", "description": "", "policy": json.dumps(POLICY), "max_session_seconds": 3600},
    )
    assert response.status_code == 302, response.content[:2000]
    role = Role.objects.get()
    assert role.arn == "arn:aws:iam::000000000000:role/app"
    bad = console.post(
        "/admin/identity/role/add/",
        {"name": "bad", "policy": json.dumps({"Statement": "nope"}), "max_session_seconds": 3600},
    )
    assert bad.status_code == 200 and Role.objects.count() == 1

    response = console.post(
        "/admin/identity/identitypool/add/",
        {
            "IdentityPoolName": "Console pool",
            "AllowUnauthenticatedIdentities": "on",
            "providers": json.dumps({"SupportedLoginProviders": {"accounts.google.com": "g"}}),
            "Roles": json.dumps({"authenticated": role.arn}),
            "RoleMappings": "",
        },
    )
    assert response.status_code == 302, response.content[:3000]
    pool = IdentityPool.objects.get()
    assert pool.supported_login_providers == {"accounts.google.com": "g"} and pool.roles == {"authenticated": role.arn}
    assert console.get(f"/admin/identity/identitypool/{pool.pk}/change/").status_code == 200
    refused = console.post(
        "/admin/identity/identitypool/add/",
        {
            "IdentityPoolName": "Bad",
            "providers": json.dumps({"SupportedLoginProviders": {"evil.example.com": "x"}}),
        },
    )
    assert refused.status_code == 200 and IdentityPool.objects.count() == 1


def test_role_trust_through_the_console(console):
    """A new role trusts nobody; the trust policy is typed in AWS's form or made from the
    pools chosen; a malformed one (a Resource in it) is refused."""
    pool = IdentityPool.objects.create(id="us-east-1:11111111-1111-4111-8111-111111111111", name="p")
    form = {"name": "app", "description": "", "policy": json.dumps(POLICY), "max_session_seconds": 3600}
    assert console.post("/admin/identity/role/add/", form).status_code == 302
    role = Role.objects.get()
    assert role.trust_policy == {}
    change = f"/admin/identity/role/{role.pk}/change/"
    assert console.get(change).status_code == 200
    response = console.post(change, {**form, "trusted_pools": [pool.pk], "trusted_kind": "authenticated"})
    assert response.status_code == 302, response.content[:2000]
    statement = Role.objects.get().trust_policy["Statement"][0]
    assert statement["Principal"] == {"Federated": ["cognito-identity.amazonaws.com"]}
    assert statement["Condition"]["StringEquals"] == {"cognito-identity.amazonaws.com:aud": [pool.pk]}
    assert statement["Condition"]["ForAnyValue:StringLike"] == {"cognito-identity.amazonaws.com:amr": ["authenticated"]}
    bad = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
    }
    assert console.post(change, {**form, "trust_policy": json.dumps(bad)}).status_code == 200
    assert Role.objects.get().trust_policy["Statement"][0] == statement
    # Saved without a trust policy (and no pools chosen): trusts nobody again.
    assert console.post(change, form).status_code == 302
    assert Role.objects.get().trust_policy == {}


def test_identities_disable_enable_delete(console, identity_pool, cognito_identity):
    pool_id = identity_pool()["IdentityPoolId"]
    identity_id = cognito_identity.get_id(IdentityPoolId=pool_id)["IdentityId"]
    assert console.get("/admin/identity/identity/").status_code == 200
    assert console.get(f"/admin/identity/identity/{identity_id}/change/").status_code == 200
    console.post("/admin/identity/identity/", {"action": "disable", "_selected_action": [identity_id]})
    assert Identity.objects.get(pk=identity_id).disabled is True
    console.post("/admin/identity/identity/", {"action": "enable", "_selected_action": [identity_id]})
    assert Identity.objects.get(pk=identity_id).disabled is False
    console.post("/admin/identity/identity/", {"action": "delete_identities", "_selected_action": [identity_id]})
    assert not Identity.objects.filter(pk=identity_id).exists()


def test_oidc_provider_through_the_console(console):
    response = console.post(
        "/admin/identity/openidprovider/add/",
        {
            "issuer": "https://login.example.com/realm",
            "client_ids": "web\nmobile",
            "jwks_url": "",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    provider = OpenIdProvider.objects.get()
    assert provider.arn == "arn:aws:iam::000000000000:oidc-provider/login.example.com/realm"
    assert provider.client_ids == ["web", "mobile"]


def test_choosing_the_sts_broker_needs_an_endpoint(console, settings):
    form = {"IdentityPoolName": "STS pool", "providers": "", "Roles": "", "RoleMappings": "", "broker": "sts"}
    settings.COGNATE_STS_ENDPOINT = ""
    refused = console.post("/admin/identity/identitypool/add/", form)
    assert refused.status_code == 200 and b"COGNATE_STS_ENDPOINT" in refused.content
    assert not IdentityPool.objects.exists()
    settings.COGNATE_STS_ENDPOINT = "http://127.0.0.1:9/"
    assert console.post("/admin/identity/identitypool/add/", form).status_code == 302
    assert IdentityPool.objects.get().broker == IdentityPool.Broker.STS
