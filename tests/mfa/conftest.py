"""Fixtures for MFA: pools with factors configured, users with phone and e-mail."""

from __future__ import annotations

import pyotp
import pytest

from tests.auth.conftest import PASSWORD, signin  # noqa: F401 - fixtures and helpers
from tests.selfservice.conftest import idp, make_user, public  # noqa: F401 - fixtures

SMS_CONFIGURATION = {"SnsCallerArn": "arn:aws:iam::123456789012:role/cognate-sms", "ExternalId": "cognate"}
EMAIL_CONFIGURATION = {
    "EmailSendingAccount": "DEVELOPER",
    "SourceArn": "arn:aws:ses:us-east-1:123456789012:identity/no-reply@example.com",
    "From": "no-reply@example.com",
}
FLOWS = [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
]


@pytest.fixture
def mfa_pool(idp, make_pool, make_client):  # noqa: F811 - fixtures
    """mfa_pool(mfa="OPTIONAL", sms=True, totp=True, email=False) -> (pool_id, client dict)."""

    def make(mfa: str = "OPTIONAL", *, sms: bool = True, totp: bool = True, email: bool = False):
        pool_kwargs = {"EmailConfiguration": EMAIL_CONFIGURATION} if email else {}
        pool_id = make_pool(AutoVerifiedAttributes=["email"], **pool_kwargs)["Id"]
        config: dict = {"MfaConfiguration": mfa, "SoftwareTokenMfaConfiguration": {"Enabled": totp}}
        if sms:
            config["SmsMfaConfiguration"] = {
                "SmsConfiguration": SMS_CONFIGURATION,
                "SmsAuthenticationMessage": "Your sign-in code is {####}",
            }
        if email:
            config["EmailMfaConfiguration"] = {"Message": "Sign in with {####}", "Subject": "Your code"}
        idp.set_user_pool_mfa_config(UserPoolId=pool_id, **config)
        return pool_id, make_client(pool_id, ExplicitAuthFlows=FLOWS)

    return make


def password_sign_in(api, client: dict, username: str, password: str = PASSWORD) -> dict:
    return api.initiate_auth(
        ClientId=client["ClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )


def access_token(api, client: dict, username: str) -> str:
    return password_sign_in(api, client, username)["AuthenticationResult"]["AccessToken"]


def totp_enroll(api, token: str, name: str = "phone") -> pyotp.TOTP:
    """Associate and verify an authenticator by access token; returns the authenticator."""
    secret = api.associate_software_token(AccessToken=token)["SecretCode"]
    totp = pyotp.TOTP(secret)
    assert (
        api.verify_software_token(AccessToken=token, UserCode=totp.now(), FriendlyDeviceName=name)["Status"]
        == "SUCCESS"
    )
    return totp


def next_code(totp: pyotp.TOTP) -> str:
    """A code from the next time step (the current one may just have been used)."""
    import time

    return totp.at(time.time() + 30)
