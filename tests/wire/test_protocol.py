"""The AWS JSON 1.1 protocol at POST /: targets, bodies, errors, request ids, CORS, caller auth."""

from __future__ import annotations

import datetime as dt
import json
import time

import botocore.auth
import pytest
import requests
from botocore.exceptions import ClientError

from tests.conftest import error_code
from userpools import wire as idp_wire

pytestmark = pytest.mark.django_db(transaction=True)

TARGET = "AWSCognitoIdentityProviderService."


def post(url, target, body, headers=None):
    h = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target, **(headers or {})}
    return requests.post(url + "/", data=body, headers=h, timeout=10)


# --- dispatch and bodies ------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["", "AWSCognitoIdentityProviderService.NoSuchThing", "Nope.CreateUserPool", "AWSCognitoIdentityProviderService"],
)
def test_unknown_target(live_server, target):
    r = post(live_server.url, target, "{}")
    assert r.status_code == 400
    assert r.json()["__type"] == "UnknownOperationException"
    assert r.headers["x-amzn-RequestId"]


@pytest.mark.parametrize("body", [b"{", b"[1,", b"\xff\xfe", b"{'a': 1}"])
def test_malformed_json_is_serialization_exception(live_server, body):
    # An unsigned operation, so the body is parsed without credentials.
    r = post(live_server.url, TARGET + "InitiateAuth", body)
    assert r.status_code == 400
    assert r.json()["__type"] == "SerializationException"


def test_body_that_is_not_an_object(live_server):
    r = post(live_server.url, TARGET + "InitiateAuth", "[1, 2]")
    assert r.status_code == 400
    assert r.json()["__type"] in {"SerializationException", "InvalidParameterException"}


def test_validation_names_the_member(live_server):
    r = post(live_server.url, TARGET + "InitiateAuth", json.dumps({"AuthFlow": "NOPE", "ClientId": "x"}))
    assert r.status_code == 400
    body = r.json()
    assert body["__type"] == "InvalidParameterException"
    assert "authFlow" in body["message"]


def test_unsigned_operation_reaches_dispatch_without_credentials(live_server):
    # InitiateAuth is marked noAuth in the model: no MissingAuthenticationToken; the service answers.
    body = {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": "abc", "AuthParameters": {"USERNAME": "u"}}
    r = post(live_server.url, TARGET + "InitiateAuth", json.dumps(body))
    assert r.json()["__type"] == "ResourceNotFoundException"  # no client "abc"


def test_success_carries_request_id_and_content_type(idp):
    response = idp.list_user_pools(MaxResults=5)
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-requestid"] == response["ResponseMetadata"]["RequestId"]
    assert headers["content-type"].startswith("application/x-amz-json-1.1")


def test_unexpected_failure_is_logged_internal_error(idp, monkeypatch, caplog):
    def boom(ctx, req):
        raise RuntimeError("kaboom secret-ish detail")

    monkeypatch.setitem(idp_wire.HANDLERS, "ListUserPools", boom)
    with pytest.raises(ClientError) as exc:
        idp.list_user_pools(MaxResults=5)
    assert error_code(exc) == "InternalErrorException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert "kaboom" not in exc.value.response["Error"]["Message"]
    assert any("kaboom" in (r.exc_text or "") or "ListUserPools" in r.getMessage() for r in caplog.records)


def test_not_built_operation_is_a_clear_typed_error(boto_client, make_access_key):
    idp = boto_client("cognito-idp", key=make_access_key())
    with pytest.raises(ClientError) as exc:  # threat protection (risk configuration) is not built
        idp.describe_risk_configuration(UserPoolId="us-east-1_Example")
    assert error_code(exc) == "UnsupportedOperationException"


def test_cors_preflight(live_server):
    r = requests.options(
        live_server.url + "/",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-amz-target,x-amz-user-agent,cache-control",
        },
        timeout=10,
    )
    assert r.status_code == 200
    allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "x-amz-target", "x-amz-user-agent", "cache-control"} <= allowed
    assert r.headers["Access-Control-Allow-Origin"] in {"*", "http://localhost:3000"}
    assert "POST" in r.headers["Access-Control-Allow-Methods"]


def test_cors_origin_restricted_by_setting(live_server, settings):
    settings.CORS_ALLOW_ALL_ORIGINS = False
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    ok = requests.post(
        live_server.url + "/",
        data="{}",
        headers={"Origin": "https://app.example.com", "X-Amz-Target": TARGET + "InitiateAuth"},
        timeout=10,
    )
    bad = requests.post(
        live_server.url + "/",
        data="{}",
        headers={"Origin": "https://evil.example.com", "X-Amz-Target": TARGET + "InitiateAuth"},
        timeout=10,
    )
    assert ok.headers.get("Access-Control-Allow-Origin") == "https://app.example.com"
    assert "Access-Control-Allow-Origin" not in bad.headers
    assert "x-amzn-requestid" in ok.headers.get("Access-Control-Expose-Headers", "").lower()


# --- caller authentication ---------------------------------------------------------------


def test_unsigned_call_to_signed_operation(boto_client):
    with pytest.raises(ClientError) as exc:
        boto_client("cognito-idp").list_user_pools(MaxResults=5)
    assert error_code(exc) == "MissingAuthenticationTokenException"


def test_unknown_access_key(boto_client):
    client = boto_client("cognito-idp", key=("AKIANOTAREALKEY00000", "x" * 40))
    with pytest.raises(ClientError) as exc:
        client.list_user_pools(MaxResults=5)
    assert error_code(exc) == "UnrecognizedClientException"


def test_wrong_secret(boto_client, make_access_key):
    key_id, _ = make_access_key()
    with pytest.raises(ClientError) as exc:
        boto_client("cognito-idp", key=(key_id, "y" * 40)).list_user_pools(MaxResults=5)
    assert error_code(exc) == "InvalidSignatureException"


@pytest.mark.parametrize("minutes", [-6, 6])
def test_clock_skew_over_five_minutes(boto_client, make_access_key, monkeypatch, minutes):
    client = boto_client("cognito-idp", key=make_access_key())
    skewed = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: skewed)
    with pytest.raises(ClientError) as exc:
        client.list_user_pools(MaxResults=5)
    assert error_code(exc) == "InvalidSignatureException"
    assert "Signature" in exc.value.response["Error"]["Message"]


def test_small_skew_is_accepted(boto_client, make_access_key, monkeypatch):
    client = boto_client("cognito-idp", key=make_access_key())
    skewed = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=4)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: skewed)
    assert client.list_user_pools(MaxResults=5)["UserPools"] == []


def test_tampered_body_fails_signature(live_server, make_access_key):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    key_id, secret = make_access_key()
    request = AWSRequest(
        method="POST",
        url=live_server.url + "/",
        data=b'{"MaxResults": 5}',
        headers={"X-Amz-Target": TARGET + "ListUserPools", "Content-Type": "application/x-amz-json-1.1"},
    )
    SigV4Auth(Credentials(key_id, secret), "cognito-idp", "us-east-1").add_auth(request)
    headers = dict(request.headers)
    good = requests.post(live_server.url + "/", data=b'{"MaxResults": 5}', headers=headers, timeout=10)
    assert good.status_code == 200, good.text
    bad = requests.post(live_server.url + "/", data=b'{"MaxResults": 6}', headers=headers, timeout=10)
    assert bad.json()["__type"] == "InvalidSignatureException"


def test_inactive_key_is_access_denied(boto_client, make_access_key, ctx):
    from identity.services.callers import access_key_set_active

    key = make_access_key()
    access_key_set_active(ctx, access_key_id=key[0], active=False)
    with pytest.raises(ClientError) as exc:
        boto_client("cognito-idp", key=key).list_user_pools(MaxResults=5)
    assert error_code(exc) == "AccessDeniedException"


def test_policy_allows_one_pool_and_denies_another(idp, boto_client, make_access_key):
    allowed = idp.create_user_pool(PoolName="allowed")["UserPool"]
    denied = idp.create_user_pool(PoolName="denied")["UserPool"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "cognito-idp:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "cognito-idp:*", "Resource": denied["Arn"]},
        ],
    }
    limited = boto_client("cognito-idp", key=make_access_key(policy, username="limited"))
    assert limited.describe_user_pool(UserPoolId=allowed["Id"])["UserPool"]["Name"] == "allowed"
    with pytest.raises(ClientError) as exc:
        limited.describe_user_pool(UserPoolId=denied["Id"])
    assert error_code(exc) == "AccessDeniedException"
    with pytest.raises(ClientError) as exc:
        limited.delete_user_pool(UserPoolId=denied["Id"])
    assert error_code(exc) == "AccessDeniedException"
    assert idp.describe_user_pool(UserPoolId=denied["Id"])["UserPool"]["Name"] == "denied"


def test_policy_without_allow_is_implicit_deny(boto_client, make_access_key):
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "cognito-idp:Describe*", "Resource": "*"}],
    }
    reader = boto_client("cognito-idp", key=make_access_key(policy, username="reader"))
    with pytest.raises(ClientError) as exc:
        reader.create_user_pool(PoolName="nope")
    assert error_code(exc) == "AccessDeniedException"
    with pytest.raises(ClientError) as exc:
        reader.describe_user_pool(UserPoolId="us-east-1_missing00")
    assert error_code(exc) == "ResourceNotFoundException"


def test_oversized_body_is_a_client_error(live_server, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    r = post(live_server.url, TARGET + "InitiateAuth", json.dumps({"ClientId": "x" * 5000}))
    assert r.status_code == 400
    assert r.json()["__type"] == "InvalidParameterException"


def _signed_raw(live_server, key, operation, body: bytes):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(
        method="POST",
        url=live_server.url + "/",
        data=body,
        headers={"X-Amz-Target": TARGET + operation, "Content-Type": "application/x-amz-json-1.1"},
    )
    SigV4Auth(Credentials(*key), "cognito-idp", "us-east-1").add_auth(request)
    return requests.post(live_server.url + "/", data=body, headers=dict(request.headers), timeout=10)


def test_nested_nulls_mean_absent(live_server, make_access_key, idp):
    key = make_access_key(username="nulls")
    body = {
        "PoolName": "nulls",
        "Policies": {"PasswordPolicy": {"MinimumLength": None, "RequireSymbols": False}},
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": None},
        "MfaConfiguration": None,
    }
    r = _signed_raw(live_server, key, "CreateUserPool", json.dumps(body).encode())
    assert r.status_code == 200, r.text
    pool = idp.describe_user_pool(UserPoolId=r.json()["UserPool"]["Id"])["UserPool"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 8
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False
    client = _signed_raw(
        live_server,
        key,
        "CreateUserPoolClient",
        json.dumps({"UserPoolId": pool["Id"], "ClientName": "c", "TokenValidityUnits": {"AccessToken": None}}).encode(),
    )
    assert client.status_code == 200, client.text


def test_credential_scoped_to_another_service(live_server, make_access_key):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    key_id, secret = make_access_key()
    request = AWSRequest(
        method="POST",
        url=live_server.url + "/",
        data=b'{"MaxResults": 5}',
        headers={"X-Amz-Target": TARGET + "ListUserPools"},
    )
    SigV4Auth(Credentials(key_id, secret), "s3", "us-east-1").add_auth(request)
    r = requests.post(live_server.url + "/", data=b'{"MaxResults": 5}', headers=dict(request.headers), timeout=10)
    assert r.json()["__type"] == "InvalidSignatureException"


def test_changes_to_a_used_key_apply_at_once(boto_client, make_access_key, ctx, django_user_model):
    """Key records are cached on the hot path; every change must drop them."""
    from identity.services.callers import access_key_set_active, access_key_set_policy

    key = make_access_key(username="cached")
    client = boto_client("cognito-idp", key=key)
    assert client.list_user_pools(MaxResults=5)["UserPools"] == []  # now cached
    access_key_set_policy(
        ctx,
        access_key_id=key[0],
        policy={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": "cognito-idp:ListUserPools", "Resource": "*"}],
        },
    )
    with pytest.raises(ClientError) as exc:
        client.list_user_pools(MaxResults=5)
    assert error_code(exc) == "AccessDeniedException"
    access_key_set_policy(
        ctx,
        access_key_id=key[0],
        policy={"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
    )
    assert client.list_user_pools(MaxResults=5)["UserPools"] == []
    operator = django_user_model.objects.get(pool__isnull=True, username="cached")
    operator.is_active = False
    operator.save()  # e.g. in the admin console
    with pytest.raises(ClientError) as exc:
        client.list_user_pools(MaxResults=5)
    assert error_code(exc) == "AccessDeniedException"
    operator.is_active = True
    operator.save()
    assert client.list_user_pools(MaxResults=5)["UserPools"] == []
    access_key_set_active(ctx, access_key_id=key[0], active=False)
    with pytest.raises(ClientError) as exc:
        client.list_user_pools(MaxResults=5)
    assert error_code(exc) == "AccessDeniedException"


def test_another_process_change_to_a_key_applies_within_seconds(boto_client, make_access_key, monkeypatch):
    """Each process keeps the key records it read for KEY_PROCESS_SECONDS: another process's
    change (the row changes; this process's copy is not its to clear) shows once that copy
    expires."""
    from identity.models import AccessKey
    from identity.services import callers

    monkeypatch.setattr(callers._records, "seconds", 0.3)
    key = make_access_key(username="elsewhere")
    client = boto_client("cognito-idp", key=key)
    assert client.list_user_pools(MaxResults=5)["UserPools"] == []
    AccessKey.objects.filter(access_key_id=key[0]).update(is_active=False)  # no signal here
    assert client.list_user_pools(MaxResults=5)["UserPools"] == []  # this process's copy
    time.sleep(0.35)
    with pytest.raises(ClientError) as exc:
        client.list_user_pools(MaxResults=5)
    assert error_code(exc) == "AccessDeniedException"


@pytest.mark.parametrize("value", ["a\u0000b", "\ud800", "ok\udfffok"])
def test_unstorable_strings_are_invalid_parameters(live_server, make_access_key, value):
    key = make_access_key(username="nul")
    body = json.dumps({"PoolName": "p", "UserPoolTags": {"team": value}}).encode()
    r = _signed_raw(live_server, key, "CreateUserPool", body)
    assert r.status_code == 400
    assert r.json()["__type"] == "InvalidParameterException"
