"""CreateResourceServer ... ListResourceServers over the wire: boto3 against live_server.

Behaviour the model does not state follows the developer guide: "Scopes, M2M, and API
authorization with resource servers" (cognito-user-pools-define-resource-servers) and
"Quotas in Amazon Cognito" (25 resource servers per pool, 100 scopes per server).
"""

from __future__ import annotations

import json

import pytest

from tests.resourceservers.conftest import API, SCOPES
from tests.userpools.conftest import call_error
from userpools.context import ServiceContext
from userpools.models import AuditEvent, ResourceServer
from userpools.services import resource_servers
from userpools.services.pools import user_pool_create

pytestmark = pytest.mark.django_db(transaction=True)

UNKNOWN_POOL = "us-east-1_Nope12345"
CTX = ServiceContext(actor="test")


# --- CreateResourceServer / DescribeResourceServer -------------------------------------------


@pytest.mark.parametrize(
    "identifier", [API, "https://api.example.com/v1/", "urn:example:orders", "solar-system-data", "a?b#c%d&e=f"]
)
def test_create_and_describe(idp, pool_id, identifier):
    created = idp.create_resource_server(UserPoolId=pool_id, Identifier=identifier, Name="Orders API", Scopes=SCOPES)[
        "ResourceServer"
    ]
    assert created == {"UserPoolId": pool_id, "Identifier": identifier, "Name": "Orders API", "Scopes": SCOPES}
    assert "ManagedBy" not in created  # reserved for servers Cognito manages (ResourceServerType.ManagedBy)
    described = idp.describe_resource_server(UserPoolId=pool_id, Identifier=identifier)["ResourceServer"]
    assert described == created
    assert AuditEvent.objects.filter(action="resource_server.create", pool_id=pool_id, target=identifier).exists()


def test_create_without_scopes(idp, pool_id, make_server):
    created = make_server(pool_id, scopes=None)
    assert created["Scopes"] == []
    assert idp.describe_resource_server(UserPoolId=pool_id, Identifier=API)["ResourceServer"]["Scopes"] == []


def test_identifier_is_unique_per_pool_only(idp, make_pool, make_server):
    first, second = make_pool("one")["Id"], make_pool("two")["Id"]
    make_server(first)
    assert call_error(idp.create_resource_server, UserPoolId=first, Identifier=API, Name="again") == (
        "InvalidParameterException"
    )
    assert make_server(second, name="other")["Name"] == "other"  # another pool may use it


def test_identifiers_are_case_sensitive(idp, pool_id, make_server):
    make_server(pool_id, identifier="orders")
    assert make_server(pool_id, identifier="Orders")["Identifier"] == "Orders"
    assert call_error(idp.describe_resource_server, UserPoolId=pool_id, Identifier="ORDERS") == (
        "ResourceNotFoundException"
    )


def test_hundred_scopes_is_the_most(idp, pool_id, make_server):
    hundred = [{"ScopeName": f"s{i}", "ScopeDescription": f"scope {i}"} for i in range(100)]
    assert len(make_server(pool_id, scopes=hundred)["Scopes"]) == 100


def test_a_pool_has_at_most_25_resource_servers(idp, pool_id):
    for i in range(resource_servers.MAX_RESOURCE_SERVERS_PER_POOL):
        resource_servers.resource_server_create(CTX, {"UserPoolId": pool_id, "Identifier": f"api-{i}", "Name": "n"})
    assert call_error(idp.create_resource_server, UserPoolId=pool_id, Identifier="one-more", Name="n") == (
        "LimitExceededException"
    )
    assert ResourceServer.objects.filter(pool_id=pool_id).count() == 25
    # Deleting one makes room again.
    idp.delete_resource_server(UserPoolId=pool_id, Identifier="api-0")
    assert idp.create_resource_server(UserPoolId=pool_id, Identifier="one-more", Name="n")["ResourceServer"]


SCOPE = {"ScopeName": "read", "ScopeDescription": "Read"}


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"UserPoolId": UNKNOWN_POOL}, "ResourceNotFoundException"),
        ({"UserPoolId": "not a pool id"}, "InvalidParameterException"),
        ({"Identifier": ""}, "InvalidParameterException"),
        ({"Identifier": "x" * 257}, "InvalidParameterException"),
        ({"Identifier": "has space"}, "InvalidParameterException"),
        ({"Identifier": 'has"quote'}, "InvalidParameterException"),
        ({"Identifier": "back\\slash"}, "InvalidParameterException"),
        ({"Identifier": "café"}, "InvalidParameterException"),
        ({"Identifier": None}, "InvalidParameterException"),
        ({"Name": None}, "InvalidParameterException"),
        ({"Name": ""}, "InvalidParameterException"),
        ({"Name": "bad!name"}, "InvalidParameterException"),
        ({"Name": "n" * 257}, "InvalidParameterException"),
        ({"Scopes": [SCOPE, SCOPE]}, "InvalidParameterException"),  # scope names unique within a server
        ({"Scopes": [{"ScopeName": "a/b", "ScopeDescription": "slash"}]}, "InvalidParameterException"),
        ({"Scopes": [{"ScopeName": "has space", "ScopeDescription": "d"}]}, "InvalidParameterException"),
        ({"Scopes": [{"ScopeName": "", "ScopeDescription": "d"}]}, "InvalidParameterException"),
        ({"Scopes": [{"ScopeName": "r"}]}, "InvalidParameterException"),
        ({"Scopes": [{"ScopeName": "r", "ScopeDescription": ""}]}, "InvalidParameterException"),
        ({"Scopes": [{"ScopeName": "r", "ScopeDescription": "d" * 257}]}, "InvalidParameterException"),
        (
            {"Scopes": [{"ScopeName": f"s{i}", "ScopeDescription": "d"} for i in range(101)]},
            "InvalidParameterException",
        ),  # 100 scopes per resource server
        ({"Name": 7}, "SerializationException"),
    ],
    ids=lambda v: str(v)[:60],
)
def test_create_rejects_bad_input(raw_idp, pool_id, kwargs, code):
    request = {"UserPoolId": pool_id, "Identifier": API, "Name": "api", **kwargs}
    request = {k: v for k, v in request.items() if v is not None}
    assert call_error(raw_idp.create_resource_server, **request) == code
    assert not ResourceServer.objects.exists()


@pytest.mark.parametrize(
    "scopes, code",
    [
        ("read", "SerializationException"),
        (["read"], "SerializationException"),
        ({"ScopeName": "x"}, "SerializationException"),
        ([{"ScopeName": 5, "ScopeDescription": "d"}], "SerializationException"),
        ([{"ScopeName": "r", "ScopeDescription": None}], "InvalidParameterException"),
    ],
    ids=str,
)
@pytest.mark.parametrize("operation", ["CreateResourceServer", "UpdateResourceServer"])
def test_malformed_scopes_are_typed_errors(signed, ctx, operation, scopes, code):
    """What boto3 cannot even send (wrong JSON types), posted as raw JSON."""
    pool = user_pool_create(ctx, {"PoolName": "raw"})
    resource_servers.resource_server_create(ctx, {"UserPoolId": pool.id, "Identifier": API, "Name": "api"})
    identifier = API if operation == "UpdateResourceServer" else "fresh"
    response = signed(operation, {"UserPoolId": pool.id, "Identifier": identifier, "Name": "api", "Scopes": scopes})
    assert response.status_code == 400, response.content
    assert json.loads(response.content)["__type"] == code
    assert ResourceServer.objects.get().scopes == []


@pytest.mark.parametrize("operation", ["CreateResourceServer", "UpdateResourceServer"])
def test_unknown_scope_members_are_ignored_not_stored(signed, ctx, operation):
    """As the JSON protocol does with members a shape does not define."""
    pool = user_pool_create(ctx, {"PoolName": "raw"})
    resource_servers.resource_server_create(ctx, {"UserPoolId": pool.id, "Identifier": API, "Name": "api"})
    identifier = API if operation == "UpdateResourceServer" else "fresh"
    scopes = [{"ScopeName": "r", "ScopeDescription": "d", "Extra": 1}]
    response = signed(operation, {"UserPoolId": pool.id, "Identifier": identifier, "Name": "api", "Scopes": scopes})
    assert response.status_code == 200, response.content
    assert json.loads(response.content)["ResourceServer"]["Scopes"] == [{"ScopeName": "r", "ScopeDescription": "d"}]
    assert ResourceServer.objects.get(identifier=identifier).scopes == [{"ScopeName": "r", "ScopeDescription": "d"}]


def test_describe_unknown(idp, pool_id, make_pool, make_server):
    assert call_error(idp.describe_resource_server, UserPoolId=pool_id, Identifier=API) == "ResourceNotFoundException"
    make_server(make_pool("other")["Id"])  # a server is found only through its own pool
    assert call_error(idp.describe_resource_server, UserPoolId=pool_id, Identifier=API) == "ResourceNotFoundException"
    assert call_error(idp.describe_resource_server, UserPoolId=UNKNOWN_POOL, Identifier=API) == (
        "ResourceNotFoundException"
    )


@pytest.mark.parametrize("kwargs", [{"Identifier": "has space"}, {"Identifier": ""}, {"UserPoolId": "bad"}])
def test_describe_rejects_bad_input(raw_idp, pool_id, kwargs):
    request = {"UserPoolId": pool_id, "Identifier": API, **kwargs}
    assert call_error(raw_idp.describe_resource_server, **request) == "InvalidParameterException"


# --- UpdateResourceServer ------------------------------------------------------------------------


def test_update_replaces_name_and_scopes(idp, pool_id, make_server):
    created = make_server(pool_id)
    new_scopes = [{"ScopeName": "admin", "ScopeDescription": "Everything"}, SCOPES[0]]
    updated = idp.update_resource_server(UserPoolId=pool_id, Identifier=API, Name="Renamed", Scopes=new_scopes)[
        "ResourceServer"
    ]
    assert updated == {**created, "Name": "Renamed", "Scopes": new_scopes}
    assert idp.describe_resource_server(UserPoolId=pool_id, Identifier=API)["ResourceServer"] == updated
    event = AuditEvent.objects.get(action="resource_server.update", target=API)
    assert event.details == {"scopes_added": ["admin"], "scopes_removed": ["write"]}


def test_update_without_scopes_removes_them(idp, pool_id, make_server):
    """UpdateResourceServer: "If you don't provide a value for an attribute, it is set to the default value"."""
    make_server(pool_id)
    updated = idp.update_resource_server(UserPoolId=pool_id, Identifier=API, Name="api")["ResourceServer"]
    assert updated["Scopes"] == []
    assert resource_servers.custom_scopes(pool_id) == set()


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"UserPoolId": UNKNOWN_POOL}, "ResourceNotFoundException"),
        ({"Identifier": "https://other.example.com"}, "ResourceNotFoundException"),
        ({"Name": None}, "InvalidParameterException"),  # Name is required
        ({"Name": "bad!"}, "InvalidParameterException"),
        ({"Scopes": [SCOPE, SCOPE]}, "InvalidParameterException"),
        ({"Scopes": [{"ScopeName": "a/b", "ScopeDescription": "d"}]}, "InvalidParameterException"),
        (
            {"Scopes": [{"ScopeName": f"s{i}", "ScopeDescription": "d"} for i in range(101)]},
            "InvalidParameterException",
        ),
        ({"Identifier": "has space"}, "InvalidParameterException"),
    ],
    ids=lambda v: str(v)[:60],
)
def test_update_rejects_bad_input(raw_idp, pool_id, make_server, kwargs, code):
    before = make_server(pool_id)
    request = {"UserPoolId": pool_id, "Identifier": API, "Name": "new", "Scopes": [SCOPE], **kwargs}
    request = {k: v for k, v in request.items() if v is not None}
    assert call_error(raw_idp.update_resource_server, **request) == code
    assert raw_idp.describe_resource_server(UserPoolId=pool_id, Identifier=API)["ResourceServer"] == before


# --- DeleteResourceServer --------------------------------------------------------------------------


def test_delete(idp, pool_id, make_server):
    make_server(pool_id)
    assert idp.delete_resource_server(UserPoolId=pool_id, Identifier=API)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert call_error(idp.describe_resource_server, UserPoolId=pool_id, Identifier=API) == "ResourceNotFoundException"
    assert call_error(idp.delete_resource_server, UserPoolId=pool_id, Identifier=API) == "ResourceNotFoundException"
    assert AuditEvent.objects.filter(action="resource_server.delete", target=API).exists()
    # The identifier is free again.
    assert make_server(pool_id, name="again")["Name"] == "again"


def test_delete_unknown(idp, pool_id, make_pool, make_server):
    make_server(make_pool("other")["Id"])
    assert call_error(idp.delete_resource_server, UserPoolId=pool_id, Identifier=API) == "ResourceNotFoundException"
    assert call_error(idp.delete_resource_server, UserPoolId=UNKNOWN_POOL, Identifier=API) == (
        "ResourceNotFoundException"
    )
    assert ResourceServer.objects.count() == 1


def test_deleting_the_pool_deletes_its_servers(idp, pool_id, make_server):
    make_server(pool_id)
    idp.delete_user_pool(UserPoolId=pool_id)
    assert not ResourceServer.objects.exists()


# --- ListResourceServers -------------------------------------------------------------------------


def test_list_pages_oldest_first(idp, pool_id, make_pool, make_server):
    names = [f"https://api{i}.example.com" for i in range(5)]
    for name in names:
        make_server(pool_id, identifier=name)
    make_server(make_pool("other")["Id"])  # not listed
    seen, token, pages = [], None, 0
    while True:
        kwargs = {"NextToken": token} if token else {}
        page = idp.list_resource_servers(UserPoolId=pool_id, MaxResults=2, **kwargs)
        assert len(page["ResourceServers"]) <= 2
        seen += [s["Identifier"] for s in page["ResourceServers"]]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert seen == names and pages == 3
    everything = idp.list_resource_servers(UserPoolId=pool_id)  # MaxResults is optional: up to 50
    assert [s["Identifier"] for s in everything["ResourceServers"]] == names and "NextToken" not in everything
    assert everything["ResourceServers"][0] == {
        "UserPoolId": pool_id,
        "Identifier": names[0],
        "Name": "api",
        "Scopes": SCOPES,
    }


def test_list_with_botos_paginator(idp, pool_id, make_server):
    for i in range(3):
        make_server(pool_id, identifier=f"api-{i}")
    pages = list(idp.get_paginator("list_resource_servers").paginate(UserPoolId=pool_id, MaxResults=1))
    assert [p["ResourceServers"][0]["Identifier"] for p in pages] == ["api-0", "api-1", "api-2"]


def test_list_empty_pool(idp, pool_id):
    assert idp.list_resource_servers(UserPoolId=pool_id, MaxResults=50)["ResourceServers"] == []


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"MaxResults": 0}, "InvalidParameterException"),
        ({"MaxResults": 51}, "InvalidParameterException"),
        ({"MaxResults": "ten"}, "SerializationException"),
        ({"NextToken": "not-a-token"}, "InvalidParameterException"),
        ({"NextToken": "WyJ4IiwxXQ"}, "InvalidParameterException"),  # ["x",1]: not a timestamp
        ({"NextToken": "has space"}, "InvalidParameterException"),
        ({"UserPoolId": UNKNOWN_POOL}, "ResourceNotFoundException"),
    ],
    ids=str,
)
def test_list_rejects_bad_input(raw_idp, pool_id, kwargs, code):
    assert call_error(raw_idp.list_resource_servers, **{"UserPoolId": pool_id, **kwargs}) == code
