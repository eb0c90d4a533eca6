"""The REST API at /api/v1/, driven over HTTP with SigV4-signed requests (as boto3 signs them)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from drf_spectacular.validation import validate_schema

from userpools.ids import user_pool_arn
from userpools.models import AuditEvent, UserPool
from userpools.services import pools

pytestmark = pytest.mark.django_db(transaction=True)

REGION = "us-east-1"


class Api:
    """A tiny REST client: signs each request with botocore's SigV4Auth and sends it with requests."""

    def __init__(self, base_url: str, key: tuple[str, str] | None):
        self.base_url = base_url
        self.key = key

    def __call__(self, method: str, path: str, body=None, *, params=None, raw: bytes | None = None):
        url = f"{self.base_url}/api/v1/{path}"
        if params:
            url += "?" + urlencode(params)
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        headers = {"Content-Type": "application/json"} if data else {}
        request = AWSRequest(method=method, url=url, data=data, headers=headers)
        if self.key is not None:
            SigV4Auth(Credentials(*self.key), "cognito-idp", REGION).add_auth(request)
        prepared = request.prepare()
        return requests.request(method, prepared.url, headers=dict(prepared.headers), data=prepared.body, timeout=30)

    def get(self, path, **kw):
        return self("GET", path, **kw)

    def post(self, path, body, **kw):
        return self("POST", path, body, **kw)

    def put(self, path, body, **kw):
        return self("PUT", path, body, **kw)

    def patch(self, path, body, **kw):
        return self("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self("DELETE", path, **kw)


@pytest.fixture
def api(live_server, make_access_key):
    """An API client signed with a full-access operator key."""
    return Api(live_server.url, make_access_key())


def _code(response) -> str:
    return response.json()["code"]


# --- Authentication -------------------------------------------------------------------


def test_unsigned_request_is_refused(live_server):
    response = Api(live_server.url, None).get("user-pools/")
    assert response.status_code == 401
    assert _code(response) == "MissingAuthenticationTokenException"
    assert response.headers["WWW-Authenticate"] == "AWS4-HMAC-SHA256"


def test_wrong_secret_is_refused(live_server, make_access_key):
    key_id, _ = make_access_key()
    response = Api(live_server.url, (key_id, "not-the-secret-" + "x" * 25)).get("user-pools/")
    assert response.status_code == 401
    assert _code(response) == "InvalidSignatureException"


def test_unknown_key_is_refused(live_server):
    response = Api(live_server.url, ("AKIANOTAKEY000000000", "y" * 40)).get("user-pools/")
    assert response.status_code == 401
    assert _code(response) == "UnrecognizedClientException"


def test_inactive_key_is_forbidden(live_server, make_access_key, ctx):
    from identity.services.callers import access_key_set_active

    key = make_access_key()
    access_key_set_active(ctx, access_key_id=key[0], active=False)
    response = Api(live_server.url, key).get("user-pools/")
    assert response.status_code == 403
    assert _code(response) == "AccessDeniedException"


# --- User pools ----------------------------------------------------------------------


def test_user_pool_lifecycle(api):
    created = api.post(
        "user-pools/",
        {
            "PoolName": "rest-pool",
            "Policies": {"PasswordPolicy": {"MinimumLength": 10, "RequireSymbols": True}},
            "AutoVerifiedAttributes": ["email"],
            "UsernameAttributes": ["email"],
            "UserPoolTags": {"team": "identity"},
        },
    )
    assert created.status_code == 201, created.text
    pool = created.json()
    pool_id = pool["Id"]
    assert pool_id.startswith("us-east-1_")
    assert created.headers["Location"] == f"/api/v1/user-pools/{pool_id}/"
    assert pool["Arn"] == user_pool_arn(pool_id)
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 10
    assert pool["UsernameAttributes"] == ["email"]

    listed = api.get("user-pools/")
    assert listed.status_code == 200
    assert [p["Id"] for p in listed.json()["UserPools"]] == [pool_id]
    assert "NextToken" not in listed.json()

    described = api.get(f"user-pools/{pool_id}/")
    assert described.status_code == 200
    assert described.json()["Name"] == "rest-pool"
    assert described.json()["EstimatedNumberOfUsers"] == 0

    # PATCH changes what it names and keeps the rest (UpdateUserPool alone would reset it).
    patched = api.patch(
        f"user-pools/{pool_id}/",
        {"Policies": {"PasswordPolicy": {"MinimumLength": 12}}, "DeletionProtection": "ACTIVE"},
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    assert body["Policies"]["PasswordPolicy"]["RequireSymbols"] is True
    assert body["AutoVerifiedAttributes"] == ["email"]
    assert body["UserPoolTags"] == {"team": "identity"}
    assert body["DeletionProtection"] == "ACTIVE"
    assert body["Name"] == "rest-pool"

    # Deletion protection is honoured.
    refused = api.delete(f"user-pools/{pool_id}/")
    assert refused.status_code == 400
    assert _code(refused) == "InvalidParameterException"

    # PUT is UpdateUserPool as Cognito defines it: what is left out returns to its default.
    put = api.put(f"user-pools/{pool_id}/", {"PoolName": "renamed"})
    assert put.status_code == 200, put.text
    assert put.json()["Name"] == "renamed"
    assert put.json()["DeletionProtection"] == "INACTIVE"
    assert put.json()["Policies"]["PasswordPolicy"]["MinimumLength"] == 8
    assert "AutoVerifiedAttributes" not in put.json()

    deleted = api.delete(f"user-pools/{pool_id}/")
    assert deleted.status_code == 204
    assert not UserPool.objects.filter(pk=pool_id).exists()
    gone = api.get(f"user-pools/{pool_id}/")
    assert gone.status_code == 404
    assert _code(gone) == "ResourceNotFoundException"


def test_patch_null_resets_a_member_to_its_default(api):
    pool_id = api.post(
        "user-pools/", {"PoolName": "p", "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True}}
    ).json()["Id"]
    body = api.patch(f"user-pools/{pool_id}/", {"AdminCreateUserConfig": None}).json()
    assert body["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False


def test_changes_are_audited_with_the_access_key(live_server, make_access_key):
    key = make_access_key()
    pool_id = Api(live_server.url, key).post("user-pools/", {"PoolName": "audited"}).json()["Id"]
    event = AuditEvent.objects.get(action="user_pool.create", pool_id=pool_id)
    assert event.actor == f"key:{key[0]}"
    assert event.source_ip == "127.0.0.1"


def test_list_paginates_with_next_token(api, ctx):
    ids = [pools.user_pool_create(ctx, {"PoolName": f"pool{i}"}).id for i in range(3)]
    first = api.get("user-pools/", params={"max_results": 2}).json()
    assert [p["Id"] for p in first["UserPools"]] == ids[:2]
    second = api.get("user-pools/", params={"max_results": 2, "next_token": first["NextToken"]}).json()
    assert [p["Id"] for p in second["UserPools"]] == ids[2:]
    assert "NextToken" not in second


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"max_results": 0}, "InvalidParameterException"),
        ({"max_results": 61}, "InvalidParameterException"),
        ({"next_token": "garbage!"}, "InvalidParameterException"),
    ],
)
def test_list_rejects_bad_paging(api, params, code):
    response = api.get("user-pools/", params=params)
    assert response.status_code == 400
    assert _code(response) == code


@pytest.mark.parametrize(
    "body",
    [
        {"PoolName": "weak", "Policies": {"PasswordPolicy": {"MinimumLength": 3}}},
        {"PoolName": "typo", "Polices": {}},
        {"Policies": {}},
        {"PoolName": "bad", "MfaConfiguration": "SOMETIMES"},
        {"PoolName": "bad", "AutoVerifiedAttributes": ["fax"]},
        {"PoolName": "bad name!"},
        {"PoolName": "mfa", "MfaConfiguration": "ON"},
    ],
    ids=["min-length", "unknown-member", "missing-name", "bad-enum", "bad-list-item", "pattern", "service-rule"],
)
def test_invalid_pool_body_is_invalid_parameter(api, body):
    response = api.post("user-pools/", body)
    assert response.status_code == 400, response.text
    assert _code(response) == "InvalidParameterException"
    assert not UserPool.objects.exists()


def test_malformed_json_is_serialization_error(api):
    response = api("POST", "user-pools/", raw=b'{"PoolName": ')
    assert response.status_code == 400
    assert _code(response) == "SerializationException"
    not_object = api("POST", "user-pools/", raw=b'["PoolName"]')
    assert not_object.status_code == 400
    assert _code(not_object) == "SerializationException"


def test_invalid_patch_leaves_the_pool_alone(api):
    pool_id = api.post("user-pools/", {"PoolName": "steady"}).json()["Id"]
    response = api.patch(f"user-pools/{pool_id}/", {"Policies": {"PasswordPolicy": {"MinimumLength": 3}}})
    assert response.status_code == 400
    assert _code(response) == "InvalidParameterException"
    assert UserPool.objects.get(pk=pool_id).settings["Policies"]["PasswordPolicy"]["MinimumLength"] == 8


@pytest.mark.parametrize("method", ["GET", "PATCH", "PUT", "DELETE"])
def test_unknown_pool_is_not_found(api, method):
    response = api(method, "user-pools/us-east-1_nothere00/", {} if method in ("PATCH", "PUT") else None)
    assert response.status_code == 404
    assert _code(response) == "ResourceNotFoundException"


# --- App clients -----------------------------------------------------------------------


def test_app_client_lifecycle(api):
    pool_id = api.post("user-pools/", {"PoolName": "with-clients"}).json()["Id"]
    created = api.post(
        f"user-pools/{pool_id}/clients/",
        {
            "ClientName": "web",
            "GenerateSecret": True,
            "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "CallbackURLs": ["https://app.example.com/callback"],
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthScopes": ["openid", "email"],
            "AllowedOAuthFlowsUserPoolClient": True,
        },
    )
    assert created.status_code == 201, created.text
    client = created.json()
    client_id = client["ClientId"]
    assert client["UserPoolId"] == pool_id
    assert len(client["ClientSecret"]) >= 24
    assert created.headers["Location"] == f"/api/v1/user-pools/{pool_id}/clients/{client_id}/"

    listed = api.get(f"user-pools/{pool_id}/clients/").json()
    assert listed["UserPoolClients"] == [{"ClientId": client_id, "UserPoolId": pool_id, "ClientName": "web"}]

    described = api.get(f"user-pools/{pool_id}/clients/{client_id}/")
    assert described.status_code == 200
    assert described.json()["AllowedOAuthScopes"] == ["openid", "email"]

    too_short = api.patch(f"user-pools/{pool_id}/clients/{client_id}/", {"AccessTokenValidity": 2})  # minutes
    assert too_short.status_code == 400
    assert _code(too_short) == "InvalidParameterException"
    patched = api.patch(
        f"user-pools/{pool_id}/clients/{client_id}/",
        {"ClientName": "web-2", "AccessTokenValidity": 2, "TokenValidityUnits": {"AccessToken": "hours"}},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["ClientName"] == "web-2"
    assert patched.json()["AccessTokenValidity"] == 2
    units = patched.json()["TokenValidityUnits"]
    assert units == {"AccessToken": "hours", "IdToken": "minutes", "RefreshToken": "days"}
    assert patched.json()["CallbackURLs"] == ["https://app.example.com/callback"]
    assert patched.json()["AllowedOAuthFlowsUserPoolClient"] is True

    put = api.put(f"user-pools/{pool_id}/clients/{client_id}/", {"ClientName": "web-3"})
    assert put.status_code == 200, put.text
    assert "CallbackURLs" not in put.json()
    assert put.json()["AllowedOAuthFlowsUserPoolClient"] is False

    deleted = api.delete(f"user-pools/{pool_id}/clients/{client_id}/")
    assert deleted.status_code == 204
    gone = api.get(f"user-pools/{pool_id}/clients/{client_id}/")
    assert gone.status_code == 404
    assert _code(gone) == "ResourceNotFoundException"


def test_invalid_client_body(api):
    pool_id = api.post("user-pools/", {"PoolName": "p"}).json()["Id"]
    response = api.post(f"user-pools/{pool_id}/clients/", {"ClientName": "x", "CallbackURLs": ["http://evil.example"]})
    assert response.status_code == 400
    assert _code(response) == "InvalidParameterException"
    flow = api.post(f"user-pools/{pool_id}/clients/", {"ClientName": "x", "AllowedOAuthFlows": ["client_credentials"]})
    assert flow.status_code == 400
    assert _code(flow) == "InvalidOAuthFlowException"


def test_client_of_unknown_pool_is_not_found(api):
    response = api.post("user-pools/us-east-1_nothere00/clients/", {"ClientName": "x"})
    assert response.status_code == 404
    assert _code(response) == "ResourceNotFoundException"


# --- Authorization by the key's policy --------------------------------------------------


def test_policy_denying_one_pool(live_server, make_access_key, ctx):
    secret_pool = pools.user_pool_create(ctx, {"PoolName": "secret"}).id
    open_pool = pools.user_pool_create(ctx, {"PoolName": "open"}).id
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "cognito-idp:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "cognito-idp:*", "Resource": user_pool_arn(secret_pool)},
        ],
    }
    api = Api(live_server.url, make_access_key(policy=policy))
    denied = api.get(f"user-pools/{secret_pool}/")
    assert denied.status_code == 403
    assert _code(denied) == "AccessDeniedException"
    assert api.delete(f"user-pools/{secret_pool}/").status_code == 403
    assert api.get(f"user-pools/{secret_pool}/clients/").status_code == 403
    assert UserPool.objects.filter(pk=secret_pool).exists()
    assert api.get(f"user-pools/{open_pool}/").status_code == 200
    assert api.get(f"user-pools/{open_pool}/clients/").status_code == 200


def test_policy_maps_rest_methods_to_cognito_actions(live_server, make_access_key, ctx):
    pool_id = pools.user_pool_create(ctx, {"PoolName": "read-only"}).id
    read_only = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["cognito-idp:Describe*", "cognito-idp:List*"], "Resource": "*"}],
    }
    api = Api(live_server.url, make_access_key(policy=read_only))
    assert api.get("user-pools/").status_code == 200
    assert api.get(f"user-pools/{pool_id}/").status_code == 200
    assert api.post("user-pools/", {"PoolName": "nope"}).status_code == 403
    assert api.patch(f"user-pools/{pool_id}/", {"PoolName": "nope"}).status_code == 403
    assert api.post(f"user-pools/{pool_id}/clients/", {"ClientName": "nope"}).status_code == 403
    assert UserPool.objects.get(pk=pool_id).name == "read-only"


# --- Schema and docs ------------------------------------------------------------------


def test_schema_is_public_openapi(live_server):
    response = requests.get(f"{live_server.url}/api/v1/schema/", params={"format": "json"}, timeout=30)
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)  # valid OpenAPI, by the specification's JSON schema
    assert schema["openapi"].startswith("3.")
    assert {
        "/api/v1/user-pools/",
        "/api/v1/user-pools/{pool_id}/",
        "/api/v1/user-pools/{pool_id}/clients/",
        "/api/v1/user-pools/{pool_id}/clients/{client_id}/",
    } <= set(schema["paths"])
    create = schema["paths"]["/api/v1/user-pools/"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/CreateUserPoolInput")
    password = schema["components"]["schemas"]["PasswordPolicyType"]["properties"]["MinimumLength"]
    assert password["minimum"] == 6
    assert "SigV4" in schema["components"]["securitySchemes"]


def test_schema_ignores_a_bad_authorization_header(live_server):
    response = requests.get(
        f"{live_server.url}/api/v1/schema/", headers={"Authorization": "AWS4-HMAC-SHA256 garbage"}, timeout=30
    )
    assert response.status_code == 200


def test_docs_page_loads(live_server):
    response = requests.get(f"{live_server.url}/api/v1/docs/", timeout=30)
    assert response.status_code == 200
    assert "swagger" in response.text.lower()
    assert "/api/v1/schema/" in response.text


def test_empty_patch_changes_nothing(api, ctx):
    pool = pools.user_pool_create(
        ctx,
        {
            "PoolName": "rich",
            "Policies": {
                "PasswordPolicy": {"MinimumLength": 9, "RequireNumbers": True, "TemporaryPasswordValidityDays": 3},
            },
            "LambdaConfig": {"PreSignUp": "arn:aws:lambda:us-east-1:000000000000:function:pre"},
            "AutoVerifiedAttributes": ["email", "phone_number"],
            "AliasAttributes": ["preferred_username"],
            "EmailVerificationMessage": "Code {####}",
            "EmailVerificationSubject": "Your code",
            "SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::000000000000:role/sns", "ExternalId": "x"},
            "MfaConfiguration": "OPTIONAL",
            "DeviceConfiguration": {"ChallengeRequiredOnNewDevice": True},
            "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
            "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
            "UserPoolTags": {"a": "b"},
            "DeletionProtection": "ACTIVE",
        },
    )
    before = UserPool.objects.get(pk=pool.id)
    response = api.patch(f"user-pools/{pool.id}/", {})
    assert response.status_code == 200, response.text
    after = UserPool.objects.get(pk=pool.id)
    assert after.settings == before.settings
    assert (after.name, after.tags, after.mfa_configuration, after.deletion_protection, after.tier) == (
        before.name,
        before.tags,
        before.mfa_configuration,
        before.deletion_protection,
        before.tier,
    )

    # A legacy message member given on its own replaces the template's current text.
    changed = api.patch(f"user-pools/{pool.id}/", {"EmailVerificationMessage": "New {####}"}).json()
    assert changed["VerificationMessageTemplate"]["EmailMessage"] == "New {####}"
    assert changed["EmailVerificationMessage"] == "New {####}"
    assert changed["EmailVerificationSubject"] == "Your code"


def test_other_query_parameters_are_ignored(api):
    assert api.get("user-pools/", params={"format": "json", "max_results": 5}).status_code == 200


def test_unexpected_error_is_internal_error(api, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("userpools.api.views.pools.user_pool_list", broken)
    response = api.get("user-pools/")
    assert response.status_code == 500
    assert response.json() == {"code": "InternalErrorException", "message": "Internal server error."}


def test_wrong_method_is_method_not_allowed(api):
    response = api.put("user-pools/", {"PoolName": "x"})
    assert response.status_code == 405
