"""Fixtures for tokens: a pool and client made through the services, users made CONFIRMED
with the user service, tokens issued with ``tokens_issue`` (sign-in is another area's)."""

from __future__ import annotations

import pytest

from tests.userpools.conftest import call_error  # noqa: F401 - re-exported for the tests here
from userpools.context import SYSTEM
from userpools.models import AppClient, User
from userpools.services import tokens, users
from userpools.services.clients import user_pool_client_create
from userpools.services.pools import user_pool_create, user_pool_get

PASSWORD = "Passw0rd!"


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    tokens.keys_cache_clear()
    yield
    tokens.keys_cache_clear()


@pytest.fixture
def make_pool():
    def make(name: str = "pool", **request) -> str:
        return user_pool_create(SYSTEM, {"PoolName": name, **request}).id

    return make


@pytest.fixture
def make_client():
    def make(pool_id: str, name: str = "app", **request) -> AppClient:
        return user_pool_client_create(SYSTEM, {"UserPoolId": pool_id, "ClientName": name, **request})

    return make


@pytest.fixture
def make_user():
    def make(pool_id: str, username: str = "alice", *, email: str | None = "alice@example.com", **attrs) -> User:
        attributes = dict(attrs)
        if email:
            attributes.update(email=email, email_verified="true")
        return users.user_create(
            SYSTEM,
            pool=user_pool_get(pool_id),
            username=username,
            password=PASSWORD,
            attributes=attributes,
            status=User.Status.CONFIRMED,
        )

    return make


@pytest.fixture
def setup(make_pool, make_client, make_user):
    """(pool_id, client, user) with default token validities."""
    pool_id = make_pool()
    return pool_id, make_client(pool_id), make_user(pool_id)


@pytest.fixture
def public(boto_client, public_url):
    client = boto_client("cognito-idp")
    yield client
    client.close()


@pytest.fixture
def idp(boto_client, make_access_key, public_url):
    client = boto_client("cognito-idp", key=make_access_key())
    yield client
    client.close()
