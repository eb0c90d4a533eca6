"""Pool and app-client factories for every suite, registered in tests/conftest.py.

Two kinds, named by what they return:

- ``make_pool`` / ``make_client`` go through the wire API with the ``idp`` fixture (a signed
  boto3 client; a folder that overrides ``idp`` gets its own) and return the dicts
  CreateUserPool / CreateUserPoolClient answered: take ``["Id"]`` / ``["ClientId"]``.
- ``make_pool_model`` / ``make_client_model`` call the services directly (no HTTP; the test
  needs database access) and return the models: take ``.id`` / ``.client_id``.

None of them adds a setting the caller did not ask for: a test that needs e-mail verified
automatically passes ``AutoVerifiedAttributes=["email"]`` itself.
"""

from __future__ import annotations

import pytest

from userpools.context import SYSTEM
from userpools.models import AppClient, UserPool
from userpools.services.clients import user_pool_client_create
from userpools.services.pools import user_pool_create


@pytest.fixture
def make_pool(idp):
    """make_pool(name="pool", **CreateUserPool kwargs) -> the UserPool dict CreateUserPool returned."""

    def make(name: str = "pool", **kwargs) -> dict:
        return idp.create_user_pool(PoolName=name, **kwargs)["UserPool"]

    return make


@pytest.fixture
def make_client(idp):
    """make_client(pool_id, name="app", **CreateUserPoolClient kwargs) -> the UserPoolClient dict."""

    def make(pool_id: str, name: str = "app", **kwargs) -> dict:
        return idp.create_user_pool_client(UserPoolId=pool_id, ClientName=name, **kwargs)["UserPoolClient"]

    return make


@pytest.fixture
def make_pool_model():
    """make_pool_model(name="pool", **CreateUserPool request) -> the UserPool model (user_pool_create)."""

    def make(name: str = "pool", **request) -> UserPool:
        return user_pool_create(SYSTEM, {"PoolName": name, **request})

    return make


@pytest.fixture
def make_client_model():
    """make_client_model(pool_id, name="app", **CreateUserPoolClient request) -> the AppClient model."""

    def make(pool_id: str, name: str = "app", **request) -> AppClient:
        return user_pool_client_create(SYSTEM, {"UserPoolId": pool_id, "ClientName": name, **request})

    return make
