"""config.wire.middleware: the wire API and the pools' documents skip the middleware they do
not use, and answer exactly as through the full chain."""

from __future__ import annotations

import json

import pytest
from django.conf import settings as django_settings
from django.test import Client

from config.wire import middleware as wire_middleware
from hostedui.services.hosts import hosts_cache_clear
from userpools.context import SYSTEM
from userpools.models import UserPoolDomain
from userpools.services.pools import user_pool_create

pytestmark = pytest.mark.django_db

WIRE = "config.wire.middleware.WireMiddleware"
JSON = "application/x-amz-json-1.1"
# Differ between any two responses.
VOLATILE = {"x-amzn-requestid"}


@pytest.fixture
def pool_id():
    return user_pool_create(SYSTEM, {"PoolName": "m"}).id


@pytest.fixture
def both(settings):
    """both(method, path, **extra) -> (fast-path response, full-chain response)."""

    def call(method: str, path: str, **extra):
        fast = getattr(Client(), method)(path, **extra)
        settings.MIDDLEWARE = [m for m in django_settings.MIDDLEWARE if m != WIRE]
        try:
            full = getattr(Client(), method)(path, **extra)
        finally:
            settings.MIDDLEWARE = [WIRE, *settings.MIDDLEWARE]
        return fast, full

    return call


def same(fast, full) -> None:
    assert fast.status_code == full.status_code
    assert fast.content == full.content
    strip = lambda r: {k.lower(): v for k, v in r.items() if k.lower() not in VOLATILE}  # noqa: E731
    assert strip(fast) == strip(full)


def took_fast_path(response) -> bool:
    return not hasattr(response.wsgi_request, "session")  # SessionMiddleware did not run


CORS = {"HTTP_ORIGIN": "https://app.example"}


@pytest.mark.parametrize(
    "target,body",
    [
        ("AWSCognitoIdentityProviderService.GetUser", {"AccessToken": "not-a-token"}),
        ("AWSCognitoIdentityProviderService.NoSuchThing", {}),
        ("AWSCognitoIdentityProviderService.ListUserPools", {"MaxResults": 1}),  # signed: refused unsigned
        ("AWSCognitoIdentityProviderService.InitiateAuth", {"AuthFlow": "NOPE"}),
    ],
)
def test_wire_requests_answer_as_through_the_full_chain(both, target, body):
    fast, full = both("post", "/", data=json.dumps(body), content_type=JSON, HTTP_X_AMZ_TARGET=target, **CORS)
    same(fast, full)
    assert took_fast_path(fast) and not took_fast_path(full)
    assert fast["Access-Control-Allow-Origin"] == "*" and fast["X-Content-Type-Options"] == "nosniff"
    assert fast["X-Frame-Options"] == "DENY"


def test_preflight_and_status_document(both):
    same(
        *both(
            "options",
            "/",
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type,x-amz-target",
            **CORS,
        )
    )
    fast, full = both("get", "/")
    assert fast.status_code == 200 and json.loads(fast.content)["protocol"] == "awsJson1_1"
    same(fast, full)


@pytest.mark.parametrize("document", ["jwks.json", "openid-configuration", "nothing-here"])
def test_pool_documents(both, pool_id, document):
    fast, full = both("get", f"/{pool_id}/.well-known/{document}", **CORS)
    same(fast, full)
    if document == "nothing-here":  # no such view: the full chain answers (404)
        assert fast.status_code == 404 and not took_fast_path(fast)
    else:
        assert took_fast_path(fast)
        assert fast.status_code == 200 and fast["Access-Control-Allow-Origin"] == "*"


def test_documents_of_unknown_pools_and_the_identity_issuer(both):
    same(*both("get", "/us-east-1_nothing00/.well-known/jwks.json"))
    same(*both("get", "/identity/.well-known/jwks.json"))  # the identity issuer's route comes first
    fast, full = both("get", "/admin/.well-known/jwks.json")  # the admin's catch-all, which needs a user
    same(fast, full)
    assert not took_fast_path(fast)


def test_other_methods_on_documents_take_the_full_chain(both, pool_id):
    fast, full = both("post", f"/{pool_id}/.well-known/jwks.json", data="{}", content_type="application/json")
    same(fast, full)
    assert not took_fast_path(fast)


def test_a_host_that_is_not_allowed(both):
    fast, full = both(
        "post",
        "/",
        data="{}",
        content_type=JSON,
        HTTP_HOST="evil.example",
        HTTP_X_AMZ_TARGET="AWSCognitoIdentityProviderService.GetUser",
    )
    assert fast.status_code == 400
    same(fast, full)


def test_a_pool_domain_gets_its_hosted_pages_routing(both, pool_id):
    UserPoolDomain.objects.create(pool_id=pool_id, domain="demo")
    hosts_cache_clear()
    host = f"demo.{django_settings.COGNATE['DOMAIN_SUFFIX']}"
    fast, full = both(
        "post",
        "/",
        data="{}",
        content_type=JSON,
        HTTP_HOST=host,
        HTTP_X_AMZ_TARGET="AWSCognitoIdentityProviderService.GetUser",
    )
    same(fast, full)
    assert fast.status_code == 404 and not took_fast_path(fast)
    hosts_cache_clear()


def test_skipped_middleware_are_all_configured():
    """A renamed or removed middleware must not linger here (and a new one runs on the wire path)."""
    assert set(django_settings.MIDDLEWARE) >= wire_middleware.SKIPPED
    assert django_settings.MIDDLEWARE[0] == WIRE
