"""Shared fixtures: operators, access keys, and boto3 clients pointed at a live server."""

from __future__ import annotations

import os

import boto3
import pytest
from botocore.config import Config

from identity.services.callers import access_key_create
from userpools.context import ServiceContext

REGION = "us-east-1"


@pytest.fixture(autouse=True)
def _no_ambient_aws(monkeypatch):
    """Keep a developer's AWS profile and endpoint variables out of the tests."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


@pytest.fixture
def ctx() -> ServiceContext:
    return ServiceContext(actor="test")


@pytest.fixture
def make_operator(django_user_model):
    def make(username: str = "operator", **extra):
        return django_user_model.objects.create_user(username=username, password="pw-" + username, is_staff=True, **extra)

    return make


@pytest.fixture
def make_access_key(make_operator, ctx):
    """make_access_key(policy=None, username="operator") -> (access_key_id, secret)."""

    def make(policy=None, username: str = "operator"):
        from userpools.models import User

        operator = User.objects.filter(pool__isnull=True, username_key=username).first() or make_operator(username)
        created = access_key_create(ctx, operator=operator, policy=policy)
        return created.key.access_key_id, created.secret_access_key

    return make


@pytest.fixture
def boto_client(live_server):
    """boto_client(service, key=(id, secret) | None) -> a boto3 client for the live server."""

    def make(service: str = "cognito-idp", key: tuple[str, str] | None = None, **kwargs):
        config = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30)
        if key is None:
            from botocore import UNSIGNED

            config = config.merge(Config(signature_version=UNSIGNED))
            key = ("unused", "unused")
        return boto3.client(
            service,
            endpoint_url=live_server.url,
            region_name=kwargs.pop("region_name", REGION),
            aws_access_key_id=key[0],
            aws_secret_access_key=key[1],
            config=config,
            **kwargs,
        )

    return make


@pytest.fixture
def idp(boto_client, make_access_key):
    """A cognito-idp client signed with a full-access operator key."""
    return boto_client("cognito-idp", key=make_access_key())


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]
