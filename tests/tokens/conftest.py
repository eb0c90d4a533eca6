"""Fixtures for tokens: a pool and client made through the services (``make_pool_model`` and
``make_client_model``, tests/pools.py), users made CONFIRMED with the user service, tokens
issued with ``tokens_issue`` (sign-in is another area's)."""

from __future__ import annotations

import pytest

from tests.userpools.conftest import call_error  # noqa: F401 - re-exported for the tests here
from userpools.context import SYSTEM
from userpools.models import User
from userpools.services import tokens, users
from userpools.services.pools import user_pool_get

PASSWORD = "Passw0rd!"


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    tokens.keys_cache_clear()
    yield
    tokens.keys_cache_clear()


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
def setup(make_pool_model, make_client_model, make_user):
    """(pool_id, client, user) with default token validities."""
    pool_id = make_pool_model().id
    return pool_id, make_client_model(pool_id), make_user(pool_id)


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
