"""App clients' custom scopes (AllowedOAuthScopes ``identifier/scope``) against the pool's
resource servers.

* Create/UpdateUserPoolClient refuse a custom scope no resource server of the pool defines:
  ScopeDoesNotExistException (an error the model lists for both operations).
* Deleting a scope or a whole server leaves clients alone. Developer guide, "Scopes, M2M, and
  API authorization with resource servers": "Deleting a scope from a resource server does not
  delete its association with all clients; instead, the scope is marked inactive. If a client
  app requests the deleted scope at runtime, the scope is ignored and is not included in the
  access token. If the scope is re-added later, then it is again included in the access token."
  and "If a scope is removed from a client, the association between client and scope is deleted."
"""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import jwt
import pytest

from tests.resourceservers.conftest import API, SCOPES
from tests.userpools.conftest import call_error
from userpools.context import ServiceContext
from userpools.models import AppClient
from userpools.services import clients, pools, resource_servers, tokens

pytestmark = pytest.mark.django_db(transaction=True)

READ, WRITE = f"{API}/read", f"{API}/write"
CTX = ServiceContext(actor="test")
M2M = {"GenerateSecret": True, "AllowedOAuthFlowsUserPoolClient": True, "AllowedOAuthFlows": ["client_credentials"]}


def test_create_client_needs_the_custom_scope_defined(idp, pool_id, make_client, make_server):
    assert (
        call_error(idp.create_user_pool_client, UserPoolId=pool_id, ClientName="m2m", AllowedOAuthScopes=[READ], **M2M)
        == "ScopeDoesNotExistException"
    )
    assert not AppClient.objects.filter(pool_id=pool_id).exists()
    make_server(pool_id)
    client = make_client(pool_id, "m2m", AllowedOAuthScopes=[READ, WRITE], **M2M)
    assert client["AllowedOAuthScopes"] == [READ, WRITE]


@pytest.mark.parametrize(
    "scope",
    [
        f"{API}/delete",  # the server exists, the scope does not
        "https://other.example.com/read",  # no such server
        f"{API}/Read",  # scope names are exact
        f"{API}/read/extra",
        "https://api.example.com",  # the identifier alone
    ],
)
def test_unknown_custom_scopes_are_refused(idp, pool_id, make_client, make_server, scope):
    make_server(pool_id)
    assert (
        call_error(
            idp.create_user_pool_client, UserPoolId=pool_id, ClientName="c", AllowedOAuthScopes=["openid", scope]
        )
        == "ScopeDoesNotExistException"
    )
    client = make_client(pool_id, "c", AllowedOAuthScopes=[READ])
    assert (
        call_error(
            idp.update_user_pool_client,
            UserPoolId=pool_id,
            ClientId=client["ClientId"],
            AllowedOAuthScopes=[READ, scope],
        )
        == "ScopeDoesNotExistException"
    )
    after = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"])["UserPoolClient"]
    assert after == client  # unchanged


def test_scopes_of_another_pool_do_not_count(idp, make_pool, make_server):
    mine, other = make_pool("mine")["Id"], make_pool("other")["Id"]
    make_server(other)
    assert (
        call_error(idp.create_user_pool_client, UserPoolId=mine, ClientName="c", AllowedOAuthScopes=[READ])
        == "ScopeDoesNotExistException"
    )


def test_identifiers_with_slashes_and_colons(idp, pool_id, make_client, make_server):
    make_server(pool_id, identifier="https://api.example.com/v1", scopes=[SCOPES[0]])
    make_server(pool_id, identifier="urn:example:orders", scopes=[SCOPES[1]])
    scopes = ["https://api.example.com/v1/read", "urn:example:orders/write"]
    assert make_client(pool_id, AllowedOAuthScopes=scopes)["AllowedOAuthScopes"] == scopes
    assert (
        call_error(
            idp.create_user_pool_client,
            UserPoolId=pool_id,
            ClientName="c",
            AllowedOAuthScopes=["https://api.example.com/v1/write"],
        )
        == "ScopeDoesNotExistException"
    )


@pytest.mark.parametrize("how", ["remove the scope", "delete the server"])
def test_removing_scopes_leaves_clients_alone(idp, pool_id, make_client, make_server, how):
    make_server(pool_id)
    client = make_client(pool_id, "m2m", AllowedOAuthScopes=[READ, WRITE], **M2M)
    if how == "remove the scope":
        idp.update_resource_server(UserPoolId=pool_id, Identifier=API, Name="api", Scopes=[SCOPES[0]])
    else:
        idp.delete_resource_server(UserPoolId=pool_id, Identifier=API)
    described = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"])["UserPoolClient"]
    assert described["AllowedOAuthScopes"] == [READ, WRITE]  # the association stays, inactive

    # Sending the client's settings back (UpdateUserPoolClient resets what it is not given) keeps it.
    settings = {k: described[k] for k in ("AllowedOAuthScopes", "AllowedOAuthFlows", "AllowedOAuthFlowsUserPoolClient")}
    kept = idp.update_user_pool_client(
        UserPoolId=pool_id, ClientId=client["ClientId"], ClientName="renamed", **settings
    )["UserPoolClient"]
    assert kept["AllowedOAuthScopes"] == [READ, WRITE]


def test_a_scope_removed_from_the_client_comes_back_only_once_defined(idp, pool_id, make_client, make_server):
    make_server(pool_id)
    client_id = make_client(pool_id, "c", AllowedOAuthScopes=[READ, WRITE])["ClientId"]
    idp.update_resource_server(UserPoolId=pool_id, Identifier=API, Name="api", Scopes=[SCOPES[0]])
    idp.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, AllowedOAuthScopes=[READ])
    assert (
        call_error(
            idp.update_user_pool_client, UserPoolId=pool_id, ClientId=client_id, AllowedOAuthScopes=[READ, WRITE]
        )
        == "ScopeDoesNotExistException"
    )
    idp.update_resource_server(UserPoolId=pool_id, Identifier=API, Name="api", Scopes=SCOPES)
    again = idp.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, AllowedOAuthScopes=[READ, WRITE])
    assert again["UserPoolClient"]["AllowedOAuthScopes"] == [READ, WRITE]


# --- Through the token endpoint: an inactive scope is left out, and back once re-added ------------------


@pytest.fixture
def _fresh_keys():
    tokens.keys_cache_clear()
    yield
    tokens.keys_cache_clear()


def _client_credentials_scopes(http, pool_id: str, client: AppClient, secret: str) -> set[str]:
    auth = "Basic " + base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
    answer = http.post(
        f"/{pool_id}/oauth2/token",
        urlencode({"grant_type": "client_credentials"}),
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=auth,
    )
    assert answer.status_code == 200, answer.content
    claims = jwt.decode(answer.json()["access_token"], options={"verify_signature": False})
    return set(claims["scope"].split())


def test_tokens_leave_out_inactive_scopes_until_re_added(client, _fresh_keys):
    pool = pools.user_pool_create(CTX, {"PoolName": "m2m"})
    resource_servers.resource_server_create(
        CTX, {"UserPoolId": pool.id, "Identifier": API, "Name": "api", "Scopes": SCOPES}
    )
    app = clients.user_pool_client_create(
        CTX, {"UserPoolId": pool.id, "ClientName": "m2m", "AllowedOAuthScopes": [READ, WRITE], **M2M}
    )
    secret = clients.client_secret_current(app)
    assert _client_credentials_scopes(client, pool.id, app, secret) == {READ, WRITE}

    resource_servers.resource_server_update(
        CTX, {"UserPoolId": pool.id, "Identifier": API, "Name": "api", "Scopes": [SCOPES[0]]}
    )
    assert _client_credentials_scopes(client, pool.id, app, secret) == {READ}
    app.refresh_from_db()
    assert app.settings["AllowedOAuthScopes"] == [READ, WRITE]

    resource_servers.resource_server_update(
        CTX, {"UserPoolId": pool.id, "Identifier": API, "Name": "api", "Scopes": SCOPES}
    )
    assert _client_credentials_scopes(client, pool.id, app, secret) == {READ, WRITE}
