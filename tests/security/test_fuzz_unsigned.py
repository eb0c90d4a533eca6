"""Property: no body sent to an unsigned operation gets a 5xx (G0, finding 6).

Unsigned operations (the model's ``"auth": ["smithy.api#noAuth"]``: 34 of cognito-idp,
4 of cognito-identity) are what anyone on the network can send. Each one gets bodies of
two kinds through ``config.wsgi.application`` (the wire front, then Django, in process,
as gunicorn calls it):

- shaped: drawn from the operation's botocore input shape, with real values mixed in (a
  pool, a public client, a confirmed user and its password, its access, ID and refresh
  tokens, an identity pool), so that many reach the services;
- hostile: raw JSON text, the model's members (and others) given values built to break
  a reader: nesting around and far past the depth limit, integers past 64 bits and past
  Python's int-string limit, doubles that overflow, NaN, NUL, lone surrogates (escaped
  and as raw UTF-8 bytes), strings of 100,000 characters, wrong types, a member named
  twice, and arbitrary bytes.

Every answer must be a 200, or a 4xx whose ``__type`` the model declares for the
operation or is one of the protocol's own errors. Deterministic for CI: hypothesis runs
with ``derandomize=True`` and no example database, so every run sends the same bodies;
the whole file takes about a minute here.
"""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config import wsgi
from identity.services.pools import identity_pool_create
from tests.wire.shape_strategies import json_values, shape_strategy
from tests.wire.wsgi_calls import call, keep_the_test_connection  # noqa: F401 (a fixture)
from userpools.awsmodel import ServiceSpec
from userpools.context import ServiceContext
from userpools.models import User
from userpools.services import users
from userpools.services.clients import user_pool_client_create
from userpools.services.pools import user_pool_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_the_test_connection")]

SPECS = [ServiceSpec.load("cognito-idp"), ServiceSpec.load("cognito-identity")]
UNSIGNED = [(spec, op) for spec in SPECS for op in sorted(spec.operation_names()) if spec.is_unsigned(op)]
# Errors of the protocol itself, which the model does not list per operation (and Cognate's
# answer to an operation it does not implement yet).
PROTOCOL_ERRORS = {
    "SerializationException",
    "InvalidParameterException",
    "TooManyRequestsException",
    "UnsupportedOperationException",
}
PASSWORD = "Passw0rd!fuzz"
EXAMPLES = 24  # per operation and kind: 38 operations x 2 kinds x 24 = 1,824 requests

# Real values by member name, filled by the ``seeded`` fixture: bodies that name real things
# get past "not found" into the services.
KNOWN: dict[str, list] = {}


def _post(spec: ServiceSpec, operation: str, raw: bytes) -> tuple[int, bytes]:
    env = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(raw)),
        "CONTENT_TYPE": "application/x-amz-json-1.1",
        "HTTP_X_AMZ_TARGET": f"{spec.target_prefix}.{operation}",
    }
    status, _, answer = call(wsgi.application, env, raw)
    return int(status.split()[0]), answer


def _check(spec: ServiceSpec, operation: str, raw: bytes) -> None:
    status, answer = _post(spec, operation, raw)
    assert status < 500, (operation, raw[:300], answer[:300])
    assert status in (200, 400), (operation, status, raw[:300], answer[:300])
    payload = json.loads(answer)
    if status == 400:
        assert set(payload) == {"__type", "message"}, (operation, answer[:300])
        assert payload["__type"] in spec.error_names(operation) | PROTOCOL_ERRORS, (operation, payload, raw[:300])


# --- hostile bodies (raw JSON text) ------------------------------------------------------------


def _nested(depth: int, kind: str) -> str:
    return "[" * depth + "]" * depth if kind == "[" else '{"a":' * depth + "1" + "}" * depth


HOSTILE_FRAGMENTS = st.one_of(
    st.builds(_nested, st.sampled_from([3, 63, 64, 65, 66, 200, 600, 5000]), st.sampled_from(["[", "{"])),
    st.sampled_from(
        [
            "9" * 21,
            "-" + "9" * 5000,
            "9" * 5000,
            "1" * 4300,
            "18446744073709551616",
            "-9223372036854775809",
            "1e400",
            "-1e400",
            "1e-400",
            "0." + "1" * 1200,
            "NaN",
            "Infinity",
            "-Infinity",
            '"\\u0000"',
            '"\\ud800"',
            '"\\udfff\\ud800"',
            '"a\\u0000b"',
            '{"\\u0000": 1}',
            '{"\\ud800": "x"}',
            '"' + "x" * 100_000 + '"',
            '"' + "\u00e9" * 50_000 + '"',
            "true",
            "null",
            "[]",
            "{}",
            "[null]",
            '{"a": 1, "a": 2}',
            '"\\/\\b\\f\\n\\r\\t"',
            "0",
            "-0",
            "1.5",
            "[1, [2, [3, [4]]]]",
        ]
    ),
    json_values.map(lambda v: json.dumps(v)),
)


@st.composite
def hostile_body(draw, spec: ServiceSpec, operation: str) -> bytes:
    shape_name = spec.input_shape(operation)
    names = list(spec.shape(shape_name).get("members", {})) if shape_name else []
    members = draw(
        st.lists(st.sampled_from(names) | st.text(max_size=6) if names else st.text(max_size=6), min_size=1, max_size=4)
    )
    parts = []
    for name in members:
        value = draw(HOSTILE_FRAGMENTS | st.sampled_from([json.dumps(v) for v in KNOWN.get(name, [])] or ["1"]))
        parts.append(f"{json.dumps(name)}: {value}")
    if draw(st.booleans()) and parts:
        parts.append(parts[0])  # the first member, again
    text = "{" + ", ".join(parts) + "}"
    raw = text.encode("utf-8")
    mangle = draw(st.sampled_from(["none", "none", "raw-surrogate", "truncate", "bytes", "not-an-object"]))
    if mangle == "raw-surrogate":
        raw = raw[:-1] + b', "X": "\xed\xa0\x80"}'
    elif mangle == "truncate":
        raw = raw[: draw(st.integers(0, max(len(raw) - 1, 0)))]
    elif mangle == "bytes":
        raw = draw(st.binary(max_size=64))
    elif mangle == "not-an-object":
        raw = draw(HOSTILE_FRAGMENTS).encode("utf-8", "surrogatepass")
    return raw


# --- the seed ----------------------------------------------------------------------------------


def _wire_json(spec: ServiceSpec, operation: str, body: dict) -> dict:
    status, answer = _post(spec, operation, json.dumps(body).encode())
    assert status == 200, answer
    return json.loads(answer)


@pytest.fixture
def seeded():
    """A pool with a public client, a confirmed user signed in, and an identity pool for it."""
    ctx = ServiceContext(actor="test")
    idp, identity = SPECS
    pool = user_pool_create(ctx, {"PoolName": "fuzz"})
    client = user_pool_client_create(
        ctx,
        {
            "UserPoolId": pool.id,
            "ClientName": "fuzz",
            "ExplicitAuthFlows": [
                "ALLOW_USER_PASSWORD_AUTH",
                "ALLOW_USER_SRP_AUTH",
                "ALLOW_REFRESH_TOKEN_AUTH",
                "ALLOW_CUSTOM_AUTH",
                "ALLOW_USER_AUTH",
            ],
        },
    )
    users.user_create(
        ctx,
        pool=pool,
        username="alice",
        password=PASSWORD,
        attributes={"email": "alice@example.com", "email_verified": "true"},
        status=User.Status.CONFIRMED,
    )
    auth = _wire_json(
        idp,
        "InitiateAuth",
        {
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": client.client_id,
            "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD},
        },
    )
    tokens = auth["AuthenticationResult"]
    provider = f"cognito-idp.us-east-1.amazonaws.com/{pool.id}"
    identity_pool = identity_pool_create(
        ctx,
        {
            "IdentityPoolName": "fuzz",
            "AllowUnauthenticatedIdentities": True,
            "CognitoIdentityProviders": [{"ProviderName": provider, "ClientId": client.client_id}],
        },
    )
    logins = {provider: tokens["IdToken"]}
    identity_id = _wire_json(identity, "GetId", {"IdentityPoolId": identity_pool.id, "Logins": logins})["IdentityId"]
    KNOWN.update(
        {
            "UserPoolId": [pool.id],
            "ClientId": [client.client_id],
            "Username": ["alice", "ALICE", "bob"],
            "Password": [PASSWORD, "wrong"],
            "PreviousPassword": [PASSWORD],
            "ProposedPassword": [PASSWORD + "x"],
            "AccessToken": [tokens["AccessToken"]],
            "Token": [tokens["RefreshToken"], tokens["AccessToken"]],
            "RefreshToken": [tokens["RefreshToken"]],
            "Session": ["x" * 20],
            "AuthFlow": ["USER_PASSWORD_AUTH", "USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "USER_AUTH", "CUSTOM_AUTH"],
            "AuthParameters": [
                {"USERNAME": "alice", "PASSWORD": PASSWORD},
                {"USERNAME": "alice", "SRP_A": "ab" * 384},
                {"REFRESH_TOKEN": tokens["RefreshToken"]},
                {"USERNAME": "alice", "PREFERRED_CHALLENGE": "EMAIL_OTP"},
                {"USERNAME": "nobody", "PASSWORD": "x"},
            ],
            "ChallengeResponses": [
                {"USERNAME": "alice", "PASSWORD_CLAIM_SIGNATURE": "AAAA", "TIMESTAMP": "x"},
                {"USERNAME": "alice", "EMAIL_OTP_CODE": "000000"},
                {"USERNAME": "alice", "ANSWER": "x"},
            ],
            "UserAttributes": [[{"Name": "email", "Value": "new@example.com"}], [{"Name": "name", "Value": "\u00e9"}]],
            "IdentityPoolId": [identity_pool.id],
            "IdentityId": [identity_id],
            "Logins": [logins, {}],
            "LoginsToRemove": [[provider]],
        }
    )
    yield
    KNOWN.clear()


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
IDS = [f"{spec.name}.{op}" for spec, op in UNSIGNED]


def test_every_unsigned_operation_is_fuzzed():
    assert len(UNSIGNED) >= 38 and {op for _, op in UNSIGNED} >= {"SignUp", "InitiateAuth", "GetId"}


@pytest.mark.parametrize(("spec", "operation"), UNSIGNED, ids=IDS)
@FUZZ
@given(data=st.data())
def test_no_shaped_body_gets_a_5xx(spec, operation, data, seeded):
    shape_name = spec.input_shape(operation)
    body = data.draw(shape_strategy(spec, shape_name, KNOWN) if shape_name else st.just({}))
    _check(spec, operation, json.dumps(body).encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize(("spec", "operation"), UNSIGNED, ids=IDS)
@FUZZ
@given(data=st.data())
def test_no_hostile_body_gets_a_5xx(spec, operation, data, seeded):
    _check(spec, operation, data.draw(hostile_body(spec, operation)))
