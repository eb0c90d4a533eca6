"""Finding 6 of the G0 review: request bodies that made an unsigned request answer HTTP 500.

An array nested 600 deep in a member SignUp ignores (RecursionError while dropping nulls)
and a 5,000-digit integer (ValueError from Python's int-string conversion limit) each got
a 500 over the wire API and over the REST API's sign-up. Every parse error is now a typed
400: SerializationException for what cannot be read as a request (nesting past
userpools.jsonbody.MAX_DEPTH, numbers no double or 64-bit integer holds, NaN/Infinity,
duplicate members), InvalidParameterException for what cannot be stored or is too large.

Requests go through ``config.wsgi.application``, as gunicorn calls it (the wire front,
then Django), in process.
"""

from __future__ import annotations

import io
import json

import pytest

from config import wsgi
from tests.wire.wsgi_calls import call, keep_the_test_connection  # noqa: F401 (a fixture)
from userpools.context import ServiceContext
from userpools.models import User
from userpools.services.clients import user_pool_client_create
from userpools.services.pools import user_pool_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_the_test_connection")]

IDP = "AWSCognitoIdentityProviderService."
IDENTITY = "AWSCognitoIdentityService."


def _environ(path: str, body: bytes, content_type: str, **headers: str) -> dict:
    env = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
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
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": content_type,
    }
    env.update({f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()})
    return env


def wire(target: str, body: bytes) -> tuple[int, dict]:
    """POST / (unsigned) through the WSGI application: (status, JSON body)."""
    env = _environ("/", body, "application/x-amz-json-1.1", **{"X-Amz-Target": target})
    status, _, answer = call(wsgi.application, env, body)
    assert len(answer) < 4096, answer[:300]  # an error's message, never a traceback
    return int(status.split()[0]), json.loads(answer)


def rest(path: str, body: bytes) -> tuple[int, dict]:
    env = _environ(f"/api/v1/{path}", body, "application/json")
    status, _, answer = call(wsgi.application, env, body)
    assert len(answer) < 4096, answer[:300]
    return int(status.split()[0]), json.loads(answer)


@pytest.fixture
def client_id() -> str:
    ctx = ServiceContext(actor="test")
    pool = user_pool_create(ctx, {"PoolName": "bodies"})
    return user_pool_client_create(ctx, {"UserPoolId": pool.id, "ClientName": "app"}).client_id


def sign_up(client_id: str, extra: str, *, rest_api: bool = False) -> bytes:
    """A valid SignUp request with ``extra`` (raw JSON text) as the value of a member SignUp ignores."""
    head = "" if rest_api else f'"ClientId": "{client_id}", '
    return f'{{{head}"Username": "mallory", "Password": "Passw0rd!x", "Ignored": {extra}}}'.encode()


DEEP_ARRAY = "[" * 600 + "]" * 600
DEEP_OBJECT = '{"a":' * 600 + "1" + "}" * 600
DEEPER_THAN_THE_STACK = "[" * 100_000 + "]" * 100_000
BIG_INTEGER = "9" * 5000

# (extra member value, expected code): each one an answer Cognito's front end gives
# while reading the request, before the operation runs.
UNREADABLE = [
    pytest.param(DEEP_ARRAY, "SerializationException", id="array-nested-600-deep"),
    pytest.param(DEEP_OBJECT, "SerializationException", id="object-nested-600-deep"),
    pytest.param(DEEPER_THAN_THE_STACK, "SerializationException", id="nested-past-the-recursion-limit"),
    pytest.param(BIG_INTEGER, "SerializationException", id="5000-digit-integer"),
    pytest.param("-" + BIG_INTEGER, "SerializationException", id="5000-digit-negative-integer"),
    pytest.param("1" * 400, "SerializationException", id="integer-no-long-holds"),
    pytest.param("1e400", "SerializationException", id="float-overflowing-a-double"),
    pytest.param("0." + "1" * 5000 + "e-99999", "SerializationException", id="5000-digit-float"),
    pytest.param("NaN", "SerializationException", id="NaN"),
    pytest.param("Infinity", "SerializationException", id="Infinity"),
    pytest.param("-Infinity", "SerializationException", id="minus-Infinity"),
    pytest.param('"\\ud800"', "InvalidParameterException", id="lone-surrogate"),
    pytest.param('"a\\u0000b"', "InvalidParameterException", id="NUL"),
    pytest.param('{"k": "\\udfff"}', "InvalidParameterException", id="lone-surrogate-nested"),
]


@pytest.mark.parametrize(("extra", "code"), UNREADABLE)
def test_wire_sign_up_with_an_unreadable_ignored_member(client_id, extra, code):
    status, body = wire(IDP + "SignUp", sign_up(client_id, extra))
    assert (status, body["__type"]) == (400, code)
    assert not User.objects.filter(username_key="mallory").exists()


@pytest.mark.parametrize(("extra", "code"), UNREADABLE)
def test_rest_sign_up_with_an_unreadable_ignored_member(client_id, extra, code):
    status, body = rest(f"clients/{client_id}/sign-up", sign_up(client_id, extra, rest_api=True))
    assert (status, body["code"]) == (400, code)
    assert not User.objects.filter(username_key="mallory").exists()


def test_the_same_requests_with_a_harmless_member_succeed(client_id):
    """The wire cases above fail for the member, not for the rest of the request (the REST
    API refuses a member SignUp does not have, so its cases fail either way: there the
    parse must answer first, with SerializationException)."""
    status, body = wire(IDP + "SignUp", sign_up(client_id, '[[{"a": [1, 2.5, -3e10, null, 9223372036854775807]}]]'))
    assert status == 200, body
    status, body = rest(f"clients/{client_id}/sign-up", b'{"Username": "trent", "Password": "Passw0rd!x"}')
    assert status == 200, body


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"ClientId": "x", "ClientId": "y"}', id="duplicate-member"),
        pytest.param(b'{"Ignored": {"a": 1, "a": 2}, "ClientId": "x"}', id="duplicate-nested-member"),
        pytest.param(b'{"ClientId": "\xff\xfe"}', id="invalid-utf8"),
        pytest.param(b'{"ClientId": "\xed\xa0\x80"}', id="utf8-encoded-surrogate"),
        pytest.param(b'{"ClientId": "x"} trailing', id="trailing-data"),
        pytest.param(b"[" * 600 + b"]" * 600, id="deep-body-that-is-not-an-object"),
    ],
)
def test_wire_unreadable_bodies(raw):
    status, body = wire(IDP + "InitiateAuth", raw)
    assert (status, body["__type"]) == (400, "SerializationException")


def test_duplicate_members_are_refused_not_resolved(client_id):
    """A second ``Username`` must not silently win: what a proxy or log reads first is what counts."""
    raw = f'{{"ClientId": "{client_id}", "Username": "alice", "Password": "Passw0rd!x", "Username": "mallory"}}'
    status, body = wire(IDP + "SignUp", raw.encode())
    assert (status, body["__type"]) == (400, "SerializationException")
    status, body = rest(
        f"clients/{client_id}/sign-up", b'{"Username": "alice", "Password": "Passw0rd!x", "Username": "mallory"}'
    )
    assert (status, body["code"]) == (400, "SerializationException")
    assert not User.objects.filter(username_key__in=["alice", "mallory"]).exists()


def test_cognito_identity_unsigned_operation_with_a_deep_body():
    status, body = wire(
        IDENTITY + "GetId", b'{"IdentityPoolId": "us-east-1:x", "Logins": {"a": ' + DEEP_ARRAY.encode() + b"}}"
    )
    assert (status, body["__type"]) == (400, "SerializationException")
    status, body = wire(IDENTITY + "GetId", b'{"IdentityPoolId": "us-east-1:x", "X": ' + BIG_INTEGER.encode() + b"}")
    assert (status, body["__type"]) == (400, "SerializationException")


def test_rest_body_over_the_size_cap(client_id, settings):
    """The REST API read its body from the stream, past DATA_UPLOAD_MAX_MEMORY_SIZE."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    status, body = rest(f"clients/{client_id}/sign-up", sign_up(client_id, '"' + "x" * 5000 + '"', rest_api=True))
    assert status == 400 and body["code"] == "InvalidParameterException"
    assert not User.objects.filter(username_key="mallory").exists()


def test_wire_body_over_the_size_cap(client_id, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    status, body = wire(IDP + "SignUp", sign_up(client_id, '"' + "x" * 5000 + '"'))
    assert (status, body["__type"]) == (400, "InvalidParameterException")


def test_hosted_challenge_page_with_deeply_nested_parameters():
    """The hosted challenge form echoes its challenge parameters as JSON: past the stack's
    depth, json.loads raised RecursionError there (a 500); the page now ignores them."""
    from django.test import Client

    from tests.hostedui.conftest import CALLBACK, PKCE_UNUSED, oauth_client_request

    pool = user_pool_create(ServiceContext(actor="test"), {"PoolName": "hosted"})
    app = user_pool_client_create(ServiceContext(actor="test"), oauth_client_request(pool.id))
    form = {
        "client_id": app.client_id,
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "scope": "openid",
        **PKCE_UNUSED,
        "challenge": "NOT_A_CHALLENGE",
        "username": "alice",
        "session": "x",
    }
    browser = Client(raise_request_exception=False)
    for parameters in (DEEPER_THAN_THE_STACK[:60_000], BIG_INTEGER, DEEP_ARRAY, '{"a": NaN}'):
        response = browser.post(f"/{pool.id}/login/challenge", {**form, "parameters": parameters})
        assert response.status_code == 400, response.status_code


@pytest.mark.parametrize(
    ("challenge", "parameters"),
    [
        ("NEW_PASSWORD_REQUIRED", {"requiredAttributes": "not json"}),
        ("NEW_PASSWORD_REQUIRED", {"requiredAttributes": "[1, [2], {}]"}),
        ("NEW_PASSWORD_REQUIRED", {"requiredAttributes": "[" * 5000}),
        ("SELECT_MFA_TYPE", {"MFAS_CAN_CHOOSE": "{"}),
        ("SELECT_MFA_TYPE", {"MFAS_CAN_CHOOSE": "9" * 5000}),
    ],
)
def test_hosted_challenge_page_with_forged_challenge_parameters(challenge, parameters):
    """The parameters the form echoes are the client's to change: the page re-rendered with
    them after a refused step read them as trusted JSON lists (a 500 for anything else)."""
    from django.test import Client

    from tests.hostedui.conftest import CALLBACK, PKCE_UNUSED, oauth_client_request

    pool = user_pool_create(ServiceContext(actor="test"), {"PoolName": "hosted"})
    app = user_pool_client_create(ServiceContext(actor="test"), oauth_client_request(pool.id))
    form = {
        "client_id": app.client_id,
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "scope": "openid",
        **PKCE_UNUSED,
        "challenge": challenge,
        "username": "alice",
        "session": "forged",
        "answer": "SMS_MFA",
        "password": "Passw0rd!x",
        "password_again": "different",
        "parameters": json.dumps(parameters),
    }
    response = Client(raise_request_exception=False).post(f"/{pool.id}/login/challenge", form)
    assert response.status_code == 400, response.status_code


@pytest.mark.parametrize("header", ["Basic \u00ff\u00fe", "Basic Zm9v\u00e9", "Basic \u00e9Og=="])
def test_token_endpoint_with_a_basic_header_that_is_not_ascii(header):
    """WSGI hands headers over as latin-1 text: a byte over 0x7f in the Basic credentials
    made base64 raise ValueError (not binascii.Error), a 500 at /oauth2/token."""
    from django.test import Client

    from tests.hostedui.conftest import oauth_client_request

    pool = user_pool_create(ServiceContext(actor="test"), {"PoolName": "hosted"})
    user_pool_client_create(ServiceContext(actor="test"), oauth_client_request(pool.id, GenerateSecret=True))
    response = Client(raise_request_exception=False).post(
        f"/{pool.id}/oauth2/token",
        "grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=header,
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_every_drf_view_reads_json_as_the_wire_does():
    """Views that name no parser (the example API, anything added later) get the strict,
    bounded reader too: DEFAULT_PARSER_CLASSES (config/settings.py)."""
    from rest_framework.permissions import AllowAny
    from rest_framework.response import Response
    from rest_framework.test import APIRequestFactory
    from rest_framework.views import APIView

    class Echo(APIView):
        authentication_classes: list = []
        permission_classes = [AllowAny]

        def post(self, request):
            return Response({"keys": sorted(request.data)})

    factory = APIRequestFactory()
    for body in ("[" * 600 + "]" * 600, '{"a": ' + "9" * 5000 + "}", '{"a": NaN}', '{"a": 1, "a": 2}'):
        answer = Echo.as_view()(factory.post("/", body, content_type="application/json"))
        assert answer.status_code == 400, body[:20]
    assert Echo.as_view()(factory.post("/", '{"a": 1}', content_type="application/json")).data == {"keys": ["a"]}


@pytest.mark.parametrize("length", ["abc", "1e3", "-5", " 12", "0x10", "12, 12", "9" * 40])
@pytest.mark.parametrize("path", ["/", "/api/v1/clients/x/sign-up", "/admin/login/"])
def test_a_content_length_that_is_no_number_is_a_400(client_id, path, length):
    """Django's HttpRequest.body raises ValueError on such a header, which servers other than
    gunicorn (runserver, as make run uses) pass through: config/framing.py refuses it first."""
    body = sign_up(client_id, "1")
    env = _environ(path, body, "application/x-amz-json-1.1", **{"X-Amz-Target": IDP + "SignUp"})
    env["CONTENT_LENGTH"] = length
    status, _, answer = call(wsgi.application, env, body)
    assert int(status.split()[0]) == 400, (status, answer[:200])
    assert b"Traceback" not in answer
