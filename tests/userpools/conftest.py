"""Fixtures for the cognito-idp compatibility suite (boto3 against ``live_server``); the pool and
client factories are tests/pools.py's."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import REGION


@pytest.fixture
def raw_idp(live_server, make_access_key):
    """Like ``idp`` but with botocore's client-side checks off, so the server's own
    validation of min/max/required/type constraints is what answers."""
    key_id, secret = make_access_key()
    return boto3.client(
        "cognito-idp",
        endpoint_url=live_server.url,
        region_name=REGION,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(parameter_validation=False, retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30),
    )


@pytest.fixture
def pool_id(make_pool) -> str:
    """A new pool's id (``make_pool``: tests/pools.py)."""
    return make_pool()["Id"]


# Errors of the AWS JSON protocol itself, which the model lists for no operation.
PROTOCOL_ERRORS = frozenset({"SerializationException"})


def call_error(fn, **kwargs) -> str:
    """Call a client method that must fail; the error code the server answered.

    The code must be one the service model lists for the operation, so that SDK users
    can catch it as ``client.exceptions.<Code>``.
    """
    with pytest.raises(ClientError) as exc:
        fn(**kwargs)
    code = exc.value.response["Error"]["Code"]
    client = fn.__self__
    operation = client.meta.service_model.operation_model(client.meta.method_to_api_mapping[fn.__name__])
    declared = {shape.name for shape in operation.error_shapes}
    assert code in declared | PROTOCOL_ERRORS, f"{operation.name} answered {code}, which its model does not list"
    return code
