"""Fixtures for the user-directory suite: pools and users (captured e-mail and SMS: tests/conftest.py)."""

from __future__ import annotations

import json
import re

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from identity.services.callers import access_key_create
from tests.userpools.conftest import make_pool, pool_id, raw_idp  # noqa: F401 - fixtures
from userpools.context import ServiceContext

@pytest.fixture
def make_user(idp):
    """make_user(pool_id, username, **attributes) -> AdminCreateUser's User (no invitation sent)."""

    def make(in_pool: str, username: str, password: str | None = "Temp-pass-1", **attributes):
        kwargs = {"UserPoolId": in_pool, "Username": username, "MessageAction": "SUPPRESS",
                  "UserAttributes": [{"Name": k, "Value": v} for k, v in attributes.items()]}  # fmt: skip
        if password is not None:
            kwargs["TemporaryPassword"] = password
        return idp.admin_create_user(**kwargs)["User"]

    return make


def attrs(listing: list[dict]) -> dict[str, str]:
    return {a["Name"]: a["Value"] for a in listing}


def code_in(text: str) -> str:
    match = re.search(r"\b(\d{6})\b", text)
    assert match, text
    return match.group(1)


@pytest.fixture
def signed(client, django_user_model):
    """signed(operation, params) -> a Django test-client response to a SigV4-signed wire request."""
    operator = django_user_model.objects.create_user(username="q", password="x", is_staff=True)
    key = access_key_create(ServiceContext(), operator=operator)
    credentials = Credentials(key.key.access_key_id, key.secret_access_key)

    def post(operation: str, params: dict):
        body = json.dumps(params).encode()
        request = AWSRequest(method="POST", url="http://testserver/", data=body,
                             headers={"X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}"})  # fmt: skip
        SigV4Auth(credentials, "cognito-idp", "us-east-1").add_auth(request)
        meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request.headers.items()}
        return client.post("/", data=body, content_type="application/x-amz-json-1.1", HTTP_HOST="testserver", **meta)

    return post
