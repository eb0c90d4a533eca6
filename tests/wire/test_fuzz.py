"""Property: no body a client can send to an implemented operation gets a 500.

Two generators per operation: arbitrary JSON (mostly stopped by validation), and
bodies drawn from the operation's botocore input shape (mostly valid, so they reach
the services), with real pool and client ids mixed in. Every request is SigV4-signed
with a full-access key, so authentication does not stop it early.
"""

from __future__ import annotations

import json

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config.wire.registry import services
from identity.services.callers import access_key_create
from tests.wire.shape_strategies import json_values, shape_strategy
from userpools.awsmodel import ServiceSpec
from userpools.context import ServiceContext
from userpools.services.clients import user_pool_client_create
from userpools.services.pools import user_pool_create

HANDLERS = services()["AWSCognitoIdentityProviderService"].handlers

SPEC = ServiceSpec.load("cognito-idp")
OPERATIONS = sorted(HANDLERS)
KNOWN: dict[str, list[str]] = {"UserPoolId": [], "ClientId": [], "ResourceArn": []}


def body_strategy(operation: str) -> st.SearchStrategy:
    shaped = shape_strategy(SPEC, SPEC.input_shape(operation), KNOWN, max_depth=4)
    wrong_types = st.dictionaries(
        st.sampled_from(list(SPEC.shape(SPEC.input_shape(operation))["members"])), json_values, max_size=4
    )
    return shaped | wrong_types | json_values


@pytest.fixture
def signed_post(client, django_user_model):
    operator = django_user_model.objects.create_user(username="fuzzer", password="x", is_staff=True)
    key = access_key_create(ServiceContext(actor="test"), operator=operator)
    credentials = Credentials(key.key.access_key_id, key.secret_access_key)

    def post(operation: str, body: bytes):
        target = f"{SPEC.target_prefix}.{operation}"
        request = AWSRequest(
            method="POST",
            url="http://testserver/",
            data=body,
            headers={"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"},
        )
        SigV4Auth(credentials, "cognito-idp", "us-east-1").add_auth(request)
        extra = {
            f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request.headers.items() if k.lower() != "content-type"
        }
        return client.post("/", data=body, content_type="application/x-amz-json-1.1", HTTP_HOST="testserver", **extra)

    return post


@pytest.fixture
def seeded(db):
    ctx = ServiceContext(actor="test")
    pool = user_pool_create(ctx, {"PoolName": "fuzz"})
    client = user_pool_client_create(ctx, {"UserPoolId": pool.id, "ClientName": "c", "GenerateSecret": True})
    KNOWN["UserPoolId"][:] = [pool.id]
    KNOWN["ClientId"][:] = [client.client_id]
    KNOWN["ResourceArn"][:] = [pool.arn]
    yield pool
    for values in KNOWN.values():
        values.clear()


@pytest.mark.parametrize("operation", OPERATIONS)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=st.data())
def test_no_body_gets_a_500(operation, data, signed_post, seeded):
    body = data.draw(body_strategy(operation))
    raw = json.dumps(body).encode()
    response = signed_post(operation, raw)
    assert response.status_code in {200, 400}, (operation, body, response.content[:500])
    payload = json.loads(response.content)
    if response.status_code == 400:
        assert payload["__type"] != "InternalErrorException"
        assert payload["__type"] in SPEC.error_names(operation) | {
            "InvalidParameterException",
            "SerializationException",
            "AccessDeniedException",
        }, (operation, payload)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200), operation=st.sampled_from(OPERATIONS))
def test_no_raw_bytes_get_a_500(raw, operation, signed_post, seeded):
    response = signed_post(operation, raw)
    assert response.status_code == 400 or response.status_code == 200, (operation, raw, response.content[:300])


def test_registry_serves_every_handler():
    idp = services()[SPEC.target_prefix]
    assert set(HANDLERS) <= idp.spec.operation_names()
