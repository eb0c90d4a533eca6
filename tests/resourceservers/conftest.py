"""Fixtures for the resource-server tests: the cognito-idp compatibility suite's own
(boto3 against ``live_server``), plus a resource-server factory."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

from tests.conftest import REGION, one_request_per_connection
from tests.userpools.conftest import pool_id  # noqa: F401 - fixtures

API = "https://api.example.com"
SCOPES = [
    {"ScopeName": "read", "ScopeDescription": "Read the data"},
    {"ScopeName": "write", "ScopeDescription": "Change the data"},
]


@pytest.fixture
def idp(boto_client, make_access_key):
    return boto_client("cognito-idp", key=make_access_key())


@pytest.fixture
def raw_idp(live_server, make_access_key):
    """Like ``idp`` but with botocore's client-side checks off (tests/userpools/conftest.py)."""
    key_id, secret = make_access_key()
    client = boto3.client(
        "cognito-idp",
        endpoint_url=live_server.url,
        region_name=REGION,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(parameter_validation=False, retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30),
    )
    return one_request_per_connection(client)


@pytest.fixture
def make_server(idp):
    """make_server(pool_id, identifier=API, name="api", scopes=SCOPES) -> the ResourceServer dict."""

    def make(pool: str, identifier: str = API, name: str = "api", scopes=SCOPES):
        kwargs = {"Scopes": scopes} if scopes is not None else {}
        return idp.create_resource_server(UserPoolId=pool, Identifier=identifier, Name=name, **kwargs)["ResourceServer"]

    return make
