"""config.wire.documents.DocumentCache: the pools' JWKS replayed in front of Django, byte
for byte what Django sends, and only while the document it was made from is current."""

from __future__ import annotations

import io
import json

import pytest
from django.conf import settings as django_settings

from config import wsgi
from config.wire import documents
from hostedui.services.hosts import hosts_cache_clear
from userpools.context import SYSTEM
from userpools.models import UserPoolDomain
from userpools.services import tokens
from userpools.services.pools import user_pool_create, user_pool_delete

from . import wsgi_calls
from .wsgi_calls import Counting, call, keep_the_test_connection, stable  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_the_test_connection")]


@pytest.fixture
def django_app():
    """Django's WSGI application, counting the requests that reach it."""
    return Counting(lambda: wsgi.django_application)


@pytest.fixture
def cache(django_app):
    return documents.DocumentCache(django_app)


@pytest.fixture
def pool_id():
    """A pool whose JWKS is in the token service's cache (as after any token or JWKS request)."""
    pool = user_pool_create(SYSTEM, {"PoolName": "d"})
    tokens.jwks(pool.id)
    return pool.id


def environ(path: str, method: str = "GET", **extra) -> dict:
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
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    env.update(extra)
    return env


def jwks_path(pool_id: str) -> str:
    return f"/{pool_id}/.well-known/jwks.json"


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"HTTP_ORIGIN": "https://app.example"},
        {"wsgi.url_scheme": "https", "SERVER_PORT": "443"},
        {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_HOST": "id.example"},
        {"HTTP_HOST": "localhost:8000", "SERVER_PORT": "8000"},
    ],
)
def test_a_replay_is_what_django_sends(cache, django_app, pool_id, extra):
    env = environ(jwks_path(pool_id), **extra)
    first = call(cache, env)
    assert django_app.calls == 1
    replay = call(cache, env)
    assert django_app.calls == 1, "the second request was answered without Django"
    bare = call(wsgi.django_application, env)
    assert first == replay == bare
    status, headers, body = replay
    assert status.startswith("200 ")
    assert json.loads(body)["keys"][0]["kid"] == tokens.jwks(pool_id)["keys"][0]["kid"]
    assert "access-control-allow-origin" in {name.lower() for name, _ in headers}


def test_requests_that_differ_in_a_header_the_chain_reads_are_answered_apart(cache, django_app, pool_id):
    call(cache, environ(jwks_path(pool_id)))
    call(cache, environ(jwks_path(pool_id), HTTP_ORIGIN="https://a.example"))
    call(cache, environ(jwks_path(pool_id), HTTP_X_FORWARDED_PROTO="https"))
    assert django_app.calls == 3
    call(cache, environ(jwks_path(pool_id), HTTP_ORIGIN="https://a.example"))
    assert django_app.calls == 3


def test_a_rotation_is_served_at_once(cache, django_app, pool_id):
    env = environ(jwks_path(pool_id))
    before = json.loads(call(cache, env)[2])
    call(cache, env)
    new = tokens.signing_keys_rotate(SYSTEM, pool_id=pool_id)
    after = json.loads(call(cache, env)[2])
    assert django_app.calls == 2
    assert new.kid in {key["kid"] for key in after["keys"]}
    assert new.kid not in {key["kid"] for key in before["keys"]}
    assert after == json.loads(call(cache, env)[2]) == json.loads(call(cache, env)[2])
    assert django_app.calls == 3  # the cold answer, then one remembered afresh


def test_an_expired_document_goes_back_to_django(cache, django_app, pool_id, monkeypatch):
    env = environ(jwks_path(pool_id))
    call(cache, env)
    monkeypatch.setattr(tokens.keys, "CACHE_SECONDS", 0.0)
    call(cache, env)
    call(cache, env)
    assert django_app.calls == 3


def test_a_document_not_in_the_token_cache_is_never_replayed(cache, django_app, pool_id):
    env = environ(jwks_path(pool_id))
    call(cache, env)
    tokens.keys_cache_clear(pool_id)
    assert tokens.jwks_cached(pool_id) is None
    assert call(cache, env)[0].startswith("200 ")
    assert django_app.calls == 2


def test_a_deleted_pools_document_is_gone_at_once(cache, django_app, pool_id, django_capture_on_commit_callbacks):
    env = environ(jwks_path(pool_id))
    call(cache, env)
    call(cache, env)
    with django_capture_on_commit_callbacks(execute=True):  # forgotten when the deletion commits
        user_pool_delete(SYSTEM, pool_id=pool_id)
    assert tokens.jwks_cached(pool_id) is None
    assert call(cache, env)[0].startswith("404 ")
    assert call(cache, env)[0].startswith("404 ")
    assert django_app.calls == 3


def test_a_cold_answer_is_not_remembered(cache, django_app, pool_id):
    """Without the document cached before the call, nothing ties Django's answer to the
    document cached after it (a rotation may have come between): the next request asks
    Django again, and that answer is remembered."""
    env = environ(jwks_path(pool_id))
    tokens.keys_cache_clear(pool_id)
    for _ in range(3):
        call(cache, env)
    assert django_app.calls == 2


def test_unknown_pools_and_disallowed_hosts_are_never_remembered(cache, django_app, pool_id):
    unknown = environ(jwks_path("us-east-1_nothing00"))
    assert call(cache, unknown)[0].startswith("404 ")
    assert call(cache, unknown)[0].startswith("404 ")
    evil = environ(jwks_path(pool_id), HTTP_HOST="evil.example")
    call(cache, environ(jwks_path(pool_id)))  # the document is now cached
    assert call(cache, evil)[0].startswith("400 ")
    assert call(cache, evil)[0].startswith("400 ")
    assert django_app.calls == 5


def test_a_pool_domain_always_goes_to_django(cache, django_app, pool_id):
    UserPoolDomain.objects.create(pool_id=pool_id, domain="docs")
    hosts_cache_clear()
    host = f"docs.{django_settings.COGNATE['DOMAIN_SUFFIX']}"
    call(cache, environ(jwks_path(pool_id)))
    env = environ(jwks_path(pool_id), HTTP_HOST=host)
    assert call(cache, env) == call(wsgi.django_application, env)
    call(cache, env)
    assert django_app.calls == 3


@pytest.mark.parametrize(
    "path,method",
    [
        ("/{pool}/.well-known/jwks.json", "POST"),
        ("/{pool}/.well-known/jwks.json", "OPTIONS"),
        ("/{pool}/.well-known/jwks.json", "HEAD"),  # Django's 405 (the view is GET only)
        ("/{pool}/.well-known/openid-configuration", "GET"),
        ("/{pool}/.well-known/jwks.json/", "GET"),
        ("/identity/.well-known/jwks.json", "GET"),
        ("/", "GET"),
    ],
)
def test_other_requests_pass_through(cache, django_app, pool_id, path, method):
    call(cache, environ(jwks_path(pool_id)))  # the document is cached
    env = environ(path.format(pool=pool_id), method=method)
    assert stable(call(cache, env)) == stable(call(wsgi.django_application, env))
    call(cache, env)
    assert django_app.calls == 3


def test_the_remembered_answers_are_bounded(cache, django_app, pool_id, monkeypatch):
    monkeypatch.setattr(documents, "MAX_ENTRIES", 3)
    for n in range(5):
        call(cache, environ(jwks_path(pool_id), HTTP_ORIGIN=f"https://{n}.example"))
    assert 0 < len(cache._answers) <= 3


def test_the_chain_is_the_documents_chain():
    """KEY names what these middleware read; a new middleware on this path must be checked
    against it (and added to CHAIN)."""
    assert tuple(django_settings.MIDDLEWARE) == documents.CHAIN


def test_gunicorns_application_holds_the_cache():
    """Behind the wire front (tests/wire/test_front.py), which passes GETs through."""
    assert isinstance(wsgi.application.app.app, documents.DocumentCache)
    assert wsgi.application.app.app.app is wsgi.django_application


def test_an_answer_that_sets_a_cookie_is_never_replayed(django_app, pool_id):
    cache = documents.DocumentCache(wsgi_calls.cookie_setting(django_app))
    for _ in range(3):
        status, headers, _ = call(cache, environ(jwks_path(pool_id)))
        assert status.startswith("200") and ("Set-Cookie", "sessionid=one-clients-session; HttpOnly") in headers
    assert django_app.calls == 3
    assert not cache._answers
