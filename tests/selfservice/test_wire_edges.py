"""Strings JSON can carry but text cannot (lone surrogates, NUL) never become a 500."""

from __future__ import annotations

import json

import pytest

from userpools.context import SYSTEM
from userpools.models import User, VerificationCode
from userpools.services import codes, users
from userpools.services.clients import user_pool_client_create
from userpools.services.pools import user_pool_create

pytestmark = pytest.mark.django_db

OPERATIONS = {
    "SignUp": ("Username", "Password", "SecretHash"),
    "ConfirmSignUp": ("Username", "ConfirmationCode", "SecretHash"),
    "ResendConfirmationCode": ("Username", "SecretHash"),
    "ForgotPassword": ("Username", "SecretHash"),
    "ConfirmForgotPassword": ("Username", "ConfirmationCode", "Password", "SecretHash"),
}
ODD = ["\ud800", "a\x00b", "\udfff\ud800"]


@pytest.fixture
def client_id():
    pool = user_pool_create(SYSTEM, {"PoolName": "edges", "AutoVerifiedAttributes": ["email"]})
    # A user for the requests to reach code and password checks.
    amy = users.user_create(
        SYSTEM,
        pool=pool,
        username="amy",
        password="Passw0rd!",
        status=User.Status.UNCONFIRMED,
        attributes={"email": "amy@example.com", "email_verified": "true"},
    )
    for purpose in (VerificationCode.Purpose.SIGN_UP, VerificationCode.Purpose.RESET_PASSWORD):
        codes.code_issue(amy, purpose)
    return user_pool_client_create(SYSTEM, {"UserPoolId": pool.id, "ClientName": "c"}).client_id


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize("odd", ODD)
def test_odd_strings_are_client_errors(client, client_id, operation, odd):
    for member in OPERATIONS[operation]:
        body = {
            "ClientId": client_id,
            "Username": "amy",
            "Password": "Passw0rd!",
            "ConfirmationCode": "123456",
            "UserAttributes": [{"Name": "email", "Value": "amy@example.com"}],
        }
        body[member] = odd
        raw = json.dumps(body)  # ensure_ascii: lone surrogates travel as \\ud800 escapes
        response = client.post(
            "/",
            data=raw,
            content_type="application/x-amz-json-1.1",
            HTTP_X_AMZ_TARGET=f"AWSCognitoIdentityProviderService.{operation}",
        )
        assert response.status_code in (200, 400), (operation, member, response.content)
        if response.status_code == 400:
            assert json.loads(response.content)["__type"] != "InternalErrorException"
