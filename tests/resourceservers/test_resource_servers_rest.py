"""The REST API's resource servers: /api/v1/user-pools/{pool_id}/resource-servers/[{identifier}],
SigV4-signed and authorized with the wire operations' actions, over the same services."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.api.test_rest_api import Api
from tests.resourceservers.conftest import API, SCOPES
from userpools.api.errors import HTTP_STATUS
from userpools.errors import ErrorCode
from userpools.ids import user_pool_arn
from userpools.models import AuditEvent, ResourceServer
from userpools.services import pools, resource_servers

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api(live_server, make_access_key):
    return Api(live_server.url, make_access_key())


@pytest.fixture
def pool_id(ctx) -> str:
    return pools.user_pool_create(ctx, {"PoolName": "rest"}).id


def expect_error(response, code: str) -> None:
    assert response.json()["code"] == code, response.text
    assert response.status_code == HTTP_STATUS.get(ErrorCode(code), 400), response.text


@pytest.mark.parametrize(
    "identifier, in_path",
    [
        (API, API),  # slashes and a colon, as they are
        ("https://api.example.com/v1/", "https://api.example.com/v1/"),  # a trailing slash is the identifier's
        ("urn:example:orders", "urn:example:orders"),
        ("solar-system-data", "solar-system-data"),
        ("a?b#c%d", quote("a?b#c%d", safe="")),  # percent-encoded in the path, and signed so
    ],
)
def test_lifecycle(api, pool_id, identifier, in_path):
    base = f"user-pools/{pool_id}/resource-servers/"
    created = api.post(base, {"Identifier": identifier, "Name": "Orders", "Scopes": SCOPES})
    assert created.status_code == 201, created.text
    assert created.json() == {"UserPoolId": pool_id, "Identifier": identifier, "Name": "Orders", "Scopes": SCOPES}
    location = created.headers["Location"]
    assert location.startswith(f"/api/v1/user-pools/{pool_id}/resource-servers/")

    described = api.get(base + in_path)
    assert described.status_code == 200, described.text
    assert described.json() == created.json()
    assert api.get(location.removeprefix("/api/v1/")).json() == created.json()  # Location works as given

    updated = api.put(base + in_path, {"Name": "Renamed", "Scopes": [SCOPES[1]]})
    assert updated.status_code == 200, updated.text
    assert updated.json() == {**created.json(), "Name": "Renamed", "Scopes": [SCOPES[1]]}
    listing = api.get(base)
    assert listing.status_code == 200 and listing.json() == {"ResourceServers": [updated.json()]}

    assert api.delete(base + in_path).status_code == 204
    expect_error(api.get(base + in_path), "ResourceNotFoundException")
    assert AuditEvent.objects.filter(
        action="resource_server.delete", target=identifier, actor__startswith="key:"
    ).exists()


def test_put_without_scopes_removes_them(api, pool_id, ctx):
    resource_servers.resource_server_create(
        ctx, {"UserPoolId": pool_id, "Identifier": API, "Name": "a", "Scopes": SCOPES}
    )
    response = api.put(f"user-pools/{pool_id}/resource-servers/{API}", {"Name": "a"})
    assert response.status_code == 200 and response.json()["Scopes"] == []


def test_the_alias_prefix_serves_them_too(api, pool_id):
    assert api.post(f"pools/{pool_id}/resource-servers/", {"Identifier": API, "Name": "a"}).status_code == 201
    assert api.get(f"pools/{pool_id}/resource-servers/{API}").json()["Identifier"] == API


def test_list_pages(api, pool_id, ctx):
    for i in range(3):
        resource_servers.resource_server_create(ctx, {"UserPoolId": pool_id, "Identifier": f"api-{i}", "Name": "n"})
    base = f"user-pools/{pool_id}/resource-servers/"
    first = api.get(base, params={"max_results": 2}).json()
    assert [s["Identifier"] for s in first["ResourceServers"]] == ["api-0", "api-1"]
    second = api.get(base, params={"max_results": 2, "next_token": first["NextToken"]}).json()
    assert [s["Identifier"] for s in second["ResourceServers"]] == ["api-2"] and "NextToken" not in second
    for params in ({"max_results": 0}, {"max_results": 51}, {"max_results": "x"}, {"next_token": "bogus"}):
        expect_error(api.get(base, params=params), "InvalidParameterException")


@pytest.mark.parametrize(
    "body, code",
    [
        ({"Name": "no identifier"}, "InvalidParameterException"),
        ({"Identifier": API}, "InvalidParameterException"),  # Name is required
        ({"Identifier": API, "Name": "x", "Colour": "blue"}, "InvalidParameterException"),  # not a member
        ({"Identifier": "has space", "Name": "x"}, "InvalidParameterException"),
        ({"Identifier": API, "Name": "bad!"}, "InvalidParameterException"),
        (
            {"Identifier": API, "Name": "x", "Scopes": [{"ScopeName": "a/b", "ScopeDescription": "d"}]},
            "InvalidParameterException",
        ),
        ({"Identifier": API, "Name": "x", "Scopes": [{"ScopeName": "r"}]}, "InvalidParameterException"),
        (
            {"Identifier": API, "Name": "x", "Scopes": [{"ScopeName": "r", "ScopeDescription": "d"}] * 2},
            "InvalidParameterException",
        ),
        ({"Identifier": API, "Name": "x", "Scopes": "read"}, "InvalidParameterException"),
    ],
)
def test_invalid_create_body(api, pool_id, body, code):
    expect_error(api.post(f"user-pools/{pool_id}/resource-servers/", body), code)
    assert not ResourceServer.objects.exists()


def test_errors(api, pool_id, ctx):
    base = f"user-pools/{pool_id}/resource-servers/"
    resource_servers.resource_server_create(ctx, {"UserPoolId": pool_id, "Identifier": API, "Name": "a"})
    expect_error(api.post(base, {"Identifier": API, "Name": "again"}), "InvalidParameterException")  # duplicate
    expect_error(api.get(base + "https://nope.example.com"), "ResourceNotFoundException")
    expect_error(api.put(base + "https://nope.example.com", {"Name": "x"}), "ResourceNotFoundException")
    expect_error(api.delete(base + "https://nope.example.com"), "ResourceNotFoundException")
    expect_error(api.get(base + "has\\backslash"), "InvalidParameterException")  # not in the model's pattern
    expect_error(api.put(base + API, {"Scopes": []}), "InvalidParameterException")  # Name is required
    expect_error(api("PUT", base + API, raw=b"{not json"), "SerializationException")
    unknown = "user-pools/us-east-1_Nope12345/resource-servers/"
    expect_error(api.get(unknown), "ResourceNotFoundException")
    expect_error(api.post(unknown, {"Identifier": API, "Name": "a"}), "ResourceNotFoundException")
    expect_error(api.get(unknown + API), "ResourceNotFoundException")


def test_quota(api, pool_id, ctx):
    for i in range(resource_servers.MAX_RESOURCE_SERVERS_PER_POOL):
        resource_servers.resource_server_create(ctx, {"UserPoolId": pool_id, "Identifier": f"api-{i}", "Name": "n"})
    expect_error(
        api.post(f"user-pools/{pool_id}/resource-servers/", {"Identifier": "x", "Name": "n"}), "LimitExceededException"
    )


def test_unsigned_requests_are_refused(live_server, pool_id):
    response = Api(live_server.url, None).get(f"user-pools/{pool_id}/resource-servers/")
    assert response.status_code == 401


def test_policy_uses_the_wire_actions(live_server, make_access_key, pool_id, ctx):
    resource_servers.resource_server_create(ctx, {"UserPoolId": pool_id, "Identifier": API, "Name": "a"})
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Resource": user_pool_arn(pool_id),
                "Action": ["cognito-idp:ListResourceServers", "cognito-idp:DescribeResourceServer"],
            }
        ],
    }
    reader = Api(live_server.url, make_access_key(policy, username="reader"))
    base = f"user-pools/{pool_id}/resource-servers/"
    assert reader.get(base).status_code == 200
    assert reader.get(base + API).status_code == 200
    expect_error(reader.post(base, {"Identifier": "x", "Name": "n"}), "AccessDeniedException")
    expect_error(reader.put(base + API, {"Name": "n"}), "AccessDeniedException")
    expect_error(reader.delete(base + API), "AccessDeniedException")
    assert ResourceServer.objects.get().name == "a"


def test_schema_documents_the_routes(api):
    schema = api.get("schema/", params={"format": "json"}).json()
    paths = schema["paths"]
    assert "/api/v1/user-pools/{pool_id}/resource-servers/" in paths
    assert "/api/v1/user-pools/{pool_id}/resource-servers/{identifier}" in paths


# --- The path a signature covers (identity.drf.signed_paths) --------------------------------------
# Through Django's test client, which (like Django's own servers) keeps no raw request target
# unless given one: RAW_URI is what gunicorn records.

ODD = "a?b#c%d:x&y"  # characters a path must encode, and some a client may send either way


def _signed_get(client, key, signed_path: str, *, sent_path: str | None = None, raw_uri: str | None = None):
    """GET ``sent_path`` (default: ``signed_path``) with a botocore signature made for ``signed_path``."""
    request = AWSRequest(method="GET", url=f"http://testserver{signed_path}")
    SigV4Auth(Credentials(*key), "cognito-idp", "us-east-1").add_auth(request)
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request.headers.items()}
    if raw_uri is not None:
        meta["RAW_URI"] = raw_uri
    return client.get(sent_path or signed_path, HTTP_HOST="testserver", **meta)


@pytest.fixture
def odd_server(pool_id, ctx) -> str:
    """The path of a resource server whose identifier needs percent-encoding."""
    resource_servers.resource_server_create(ctx, {"UserPoolId": pool_id, "Identifier": ODD, "Name": "odd"})
    return f"/api/v1/user-pools/{pool_id}/resource-servers/"


@pytest.mark.parametrize(
    "encode_all, raw_uri",
    [
        (False, False),  # "%", "?", "#" encoded, the rest as it is: no raw target needed
        (False, True),
        (True, True),  # every reserved or non-ASCII character encoded: verified against the raw target
        (True, "absolute"),  # an absolute-form request target
    ],
)
def test_a_percent_encoded_path_is_verified_as_it_was_signed(client, make_access_key, odd_server, encode_all, raw_uri):
    key = make_access_key()
    path = odd_server + (
        quote(ODD, safe="") if encode_all else ODD.replace("%", "%25").replace("?", "%3F").replace("#", "%23")
    )
    target = {False: None, True: path, "absolute": f"http://testserver{path}"}[raw_uri]
    response = _signed_get(client, key, path, raw_uri=target)
    assert response.status_code == 200, response.content
    assert response.json()["Identifier"] == ODD


def test_a_fully_encoded_path_needs_the_raw_target(client, make_access_key, odd_server):
    """Without the raw target, ":" and "&" are taken to have been signed as they are."""
    response = _signed_get(client, make_access_key(), odd_server + quote(ODD, safe=""))
    assert response.status_code == 401 and response.json()["code"] == "InvalidSignatureException"


@pytest.mark.parametrize("raw_uri", [False, True])
def test_a_path_changed_after_signing_is_refused(client, make_access_key, odd_server, raw_uri):
    key = make_access_key()
    signed = odd_server + quote(ODD, safe="")
    changed = [
        odd_server + quote(quote(ODD, safe=""), safe=""),  # encoded twice: decodes to the signed path's raw form
        odd_server + quote(ODD.replace("a", "b"), safe=""),
        odd_server + quote(ODD, safe="") + "/",
    ]
    for sent in changed:
        response = _signed_get(client, key, signed, sent_path=sent, raw_uri=sent if raw_uri else None)
        assert response.status_code == 401, (sent, response.content)
        assert response.json()["code"] == "InvalidSignatureException"


def test_a_path_with_dot_segments_added_after_signing_is_refused(client, make_access_key, odd_server):
    signed = odd_server + quote(ODD, safe="")
    """SigV4 signs the path with dot segments removed while Django routes on the path as
    sent: a signature for .../resource-servers/ID must not be good for .../x/../ID, which
    names the identifier 'x/../ID' (identity.resource.path_refusal)."""
    for sent in (
        signed.replace("/resource-servers/", "/resource-servers/x/../"),
        signed.replace("/resource-servers/", "/resource-servers/./"),
        signed.replace("/resource-servers/", "/resource-servers/x/%2E%2E/"),
    ):
        for raw_uri in (sent, None):
            response = _signed_get(client, make_access_key(), signed, sent_path=sent, raw_uri=raw_uri)
            assert response.status_code == 401, (sent, response.content)
            assert response.json()["code"] == "InvalidSignatureException"


def test_a_raw_target_that_is_not_the_routed_path_is_not_trusted(client, make_access_key, odd_server):
    """A RAW_URI naming the signed path is ignored when Django routes another one."""
    key = make_access_key()
    signed = odd_server + quote(ODD, safe="")
    other = odd_server + quote("other", safe="")
    response = _signed_get(client, key, signed, sent_path=other, raw_uri=signed)
    assert response.status_code == 401 and response.json()["code"] == "InvalidSignatureException"
