"""config.wire.front.WireFront: ``POST /`` answered by the wire view in the envelope
Django's middleware put on an earlier answer; status, headers and body as Django sends."""

from __future__ import annotations

import io
import json

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from django.conf import settings as django_settings
from django.core import signals

from config import wsgi
from config.framing import ContentLengthGuard
from config.wire import documents, front
from hostedui.services.hosts import hosts_cache_clear
from identity.services.callers import access_key_create
from userpools.context import SYSTEM, ServiceContext
from userpools.models import UserPoolDomain
from userpools.services.pools import user_pool_create

from . import wsgi_calls
from .wsgi_calls import Counting, keep_the_test_connection, stable  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_the_test_connection")]

TARGET = "AWSCognitoIdentityProviderService."


@pytest.fixture
def inner():
    """What the front wraps (the JWKS replay, then Django), counting the requests it gets."""
    return Counting(lambda: wsgi.application.app.app)


@pytest.fixture
def wire(inner):
    return front.WireFront(inner)


@pytest.fixture
def credentials(django_user_model):
    operator = django_user_model.objects.create_user(username="front", password="x", is_staff=True)
    key = access_key_create(ServiceContext(), operator=operator)
    return Credentials(key.key.access_key_id, key.secret_access_key)


def environ(
    operation: str, params: dict | None = None, *, credentials=None, method: str = "POST", path: str = "/", **extra
) -> dict:
    body = json.dumps(params or {}).encode()
    headers = {"X-Amz-Target": TARGET + operation, "Content-Type": "application/x-amz-json-1.1"}
    if credentials is not None:
        host = extra.get("HTTP_HOST", "testserver")  # what SigV4 signs
        request = AWSRequest(method="POST", url=f"http://{host}/", data=body, headers=headers)
        SigV4Auth(credentials, "cognito-idp", "us-east-1").add_auth(request)
        headers = dict(request.headers.items())
    env = {
        "REQUEST_METHOD": method,
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
        "CONTENT_TYPE": headers.pop("Content-Type"),
        "_body": body,
    }
    env.update({f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()})
    env.update(extra)
    return env


def call(app, env: dict):
    return wsgi_calls.call(app, env, env["_body"])


EXTRAS = [
    {},
    {"HTTP_ORIGIN": "https://app.example"},
    {"wsgi.url_scheme": "https", "SERVER_PORT": "443"},
    {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_HOST": "id.example"},
    {"HTTP_HOST": "localhost:8000", "SERVER_PORT": "8000"},
]


@pytest.mark.parametrize("extra", EXTRAS)
def test_an_answer_in_front_is_what_django_sends(wire, inner, credentials, extra):
    pool = user_pool_create(SYSTEM, {"PoolName": "front"})
    describe = environ("DescribeUserPool", {"UserPoolId": pool.id}, credentials=credentials, **extra)
    first = call(wire, describe)
    assert inner.calls == 1
    again = call(wire, describe)
    assert inner.calls == 1, "the second request was answered without Django"
    bare = call(wsgi.django_application, describe)
    assert stable(first) == stable(again) == stable(bare)
    assert again[0].startswith("200 ") and json.loads(again[2])["UserPool"]["Id"] == pool.id
    names = {name.lower() for name, _ in again[1]}
    assert {"x-amzn-requestid", "content-length", "x-frame-options", "x-content-type-options"} <= names
    if "HTTP_ORIGIN" in extra:
        assert ("access-control-allow-origin", "*") in [(k.lower(), v) for k, v in again[1]]


@pytest.mark.parametrize(
    "operation,params,status,code",
    [
        ("GetUser", {"AccessToken": "not-a-token"}, "400 ", "NotAuthorizedException"),
        ("GetUser", {}, "400 ", "InvalidParameterException"),
        ("NoSuchOperation", {}, "400 ", "UnknownOperationException"),
        ("DescribeUserPool", {"UserPoolId": "us-east-1_nothing00"}, "400 ", "MissingAuthenticationTokenException"),
    ],
)
def test_errors_in_front_are_what_django_sends(wire, inner, operation, params, status, code):
    call(wire, environ("GetUser", {"AccessToken": "x"}))  # the envelope for this key
    env = environ(operation, params)
    answer = call(wire, env)
    assert inner.calls == 1
    assert stable(answer) == stable(call(wsgi.django_application, env))
    assert answer[0].startswith(status) and json.loads(answer[2])["__type"] == code
    assert ("x-amzn-ErrorType", code) in answer[1]


def test_an_internal_error_in_front_is_what_django_sends(wire, inner, monkeypatch):
    from userpools import wire as handlers

    call(wire, environ("GetUser", {"AccessToken": "x"}))

    def broken(ctx, req):
        raise RuntimeError("boom")

    monkeypatch.setitem(handlers.HANDLERS, "GetUser", broken)
    env = environ("GetUser", {"AccessToken": "x"})
    answer = call(wire, env)
    assert inner.calls == 1
    assert stable(answer) == stable(call(wsgi.django_application, env))
    assert answer[0].startswith("500 ") and b"boom" not in answer[2]


def test_requests_that_differ_in_a_header_the_chain_reads_get_their_own_envelope(wire, inner):
    call(wire, environ("GetUser", {"AccessToken": "x"}))
    call(wire, environ("GetUser", {"AccessToken": "x"}, HTTP_ORIGIN="https://a.example"))
    call(wire, environ("GetUser", {"AccessToken": "x"}, HTTP_X_FORWARDED_PROTO="https"))
    assert inner.calls == 3
    with_origin = call(wire, environ("GetUser", {"AccessToken": "x"}, HTTP_ORIGIN="https://a.example"))
    without = call(wire, environ("GetUser", {"AccessToken": "x"}))
    assert inner.calls == 3
    assert "access-control-allow-origin" in {k.lower() for k, _ in with_origin[1]}
    assert "access-control-allow-origin" not in {k.lower() for k, _ in without[1]}


def test_cors_origins_outside_the_allowed_list_get_no_cors_headers_in_front(wire, inner, settings):
    settings.CORS_ALLOW_ALL_ORIGINS = False
    settings.CORS_ALLOWED_ORIGINS = ["https://good.example"]
    for origin, allowed in (("https://good.example", True), ("https://evil.example", False)):
        env = environ("GetUser", {"AccessToken": "x"}, HTTP_ORIGIN=origin)
        call(wire, env)
        answer = call(wire, env)
        assert stable(answer) == stable(call(wsgi.django_application, env))
        assert (("access-control-allow-origin", origin) in [(k.lower(), v) for k, v in answer[1]]) is allowed
    assert inner.calls == 2


def test_disallowed_hosts_are_refused_by_django_every_time(wire, inner):
    call(wire, environ("GetUser", {"AccessToken": "x"}))
    evil = environ("GetUser", {"AccessToken": "x"}, HTTP_HOST="evil.example")
    for _ in range(3):
        assert call(wire, evil)[0].startswith("400 ")
    assert inner.calls == 4
    assert len(wire._envelopes) == 1


def test_a_pool_domain_always_goes_to_django(wire, inner):
    pool = user_pool_create(SYSTEM, {"PoolName": "front"})
    UserPoolDomain.objects.create(pool_id=pool.id, domain="front")
    hosts_cache_clear()
    env = environ("GetUser", {"AccessToken": "x"}, HTTP_HOST=f"front.{django_settings.COGNATE['DOMAIN_SUFFIX']}")
    for _ in range(3):
        call(wire, env)
    assert inner.calls == 3
    assert not wire._envelopes


@pytest.mark.parametrize(
    "method,path", [("GET", "/"), ("OPTIONS", "/"), ("HEAD", "/"), ("POST", "/api/v1/user-pools/"), ("POST", "//")]
)
def test_other_requests_pass_through(wire, inner, method, path):
    call(wire, environ("GetUser", {"AccessToken": "x"}))
    env = environ(
        "GetUser",
        {"AccessToken": "x"},
        method=method,
        path=path,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ORIGIN="https://app.example",
    )
    call(wire, env)
    call(wire, env)
    assert inner.calls == 3


def test_a_request_in_front_sends_djangos_request_signals(wire):
    seen = []

    def started(sender, environ, **kwargs):
        seen.append(("started", environ["HTTP_X_AMZ_TARGET"]))

    def finished(sender, **kwargs):
        seen.append(("finished", None))

    call(wire, environ("GetUser", {"AccessToken": "x"}))
    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        call(wire, environ("GetUser", {"AccessToken": "x"}))
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
    assert seen == [("started", TARGET + "GetUser"), ("finished", None)]


def test_the_envelopes_are_bounded(wire, monkeypatch):
    monkeypatch.setattr(front, "MAX_ENTRIES", 3)
    for n in range(5):
        call(wire, environ("GetUser", {"AccessToken": "x"}, HTTP_ORIGIN=f"https://{n}.example"))
    assert 0 < len(wire._envelopes) <= 3


def test_gunicorns_application_is_the_front_then_the_jwks_replay_then_django():
    assert isinstance(wsgi.application, ContentLengthGuard)  # tests/security/test_request_bodies.py
    assert isinstance(wsgi.application.app, front.WireFront)
    assert isinstance(wsgi.application.app.app, documents.DocumentCache)
    assert wsgi.application.app.app.app is wsgi.django_application


def test_the_front_can_be_turned_off(settings):
    settings.COGNATE_WIRE_FRONT = False
    stack = wsgi.front_of(wsgi.django_application)
    assert isinstance(stack, documents.DocumentCache) and stack.app is wsgi.django_application
    settings.COGNATE_WIRE_FRONT = True
    assert isinstance(wsgi.front_of(wsgi.django_application), front.WireFront)


@pytest.mark.django_db(transaction=True)
def test_the_live_server_serves_through_the_front(live_server, caplog):
    """tests/conftest.py serves every SDK test as config.wsgi does. Seen from outside: Django's
    handler logs each 4xx on django.request; the front answers the second identical request
    without it."""
    import requests

    headers = {
        "X-Amz-Target": TARGET + "GetUser",
        "Content-Type": "application/x-amz-json-1.1",
        "Origin": "https://front-test.example",
    }
    with caplog.at_level("WARNING", logger="django.request"):
        answers = [
            requests.post(live_server.url + "/", data=b'{"AccessToken": "x"}', headers=headers, timeout=10)
            for _ in range(3)
        ]
    assert [a.json()["__type"] for a in answers] == ["NotAuthorizedException"] * 3
    assert (
        len(
            {
                tuple(sorted((k, v) for k, v in a.headers.items() if k.lower() not in ("x-amzn-requestid", "date")))
                for a in answers
            }
        )
        == 1
    )
    assert len([r for r in caplog.records if r.name == "django.request"]) == 1


def test_an_answer_that_sets_a_cookie_is_never_an_envelope(inner):
    """A middleware that set a cookie on a wire answer must not have that cookie replayed to
    every later client with the same Host and Origin."""
    wire = front.WireFront(wsgi_calls.cookie_setting(inner))
    for _ in range(3):
        answer = call(wire, environ("GetUser", {"AccessToken": "x"}))
        assert ("Set-Cookie", "sessionid=one-clients-session; HttpOnly") in answer[1]
    assert inner.calls == 3
    assert not wire._envelopes
