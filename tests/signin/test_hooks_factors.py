"""The sign-in hooks for the factors tests/signin/test_hooks.py leaves out: a remembered
device's DEVICE_SRP_AUTH (TokenGeneration_AuthenticateDevice), and USER_AUTH's passwordless
first factors, a one-time code (EMAIL_OTP) and a passkey (WEB_AUTHN). Real registered hooks,
the services called directly."""

from __future__ import annotations

import json

import pytest

from tests.mail import code_in
from tests.passkeys.authenticator import SoftwareAuthenticator
from tests.signin.recording import Call, recording, stages
from userpools import srp
from userpools.context import SYSTEM, ServiceContext
from userpools.errors import CodeMismatch, NotAuthorized
from userpools.models import Delivery, RefreshToken, User, UserDevice
from userpools.services import devices, passkeys, users
from userpools.services.clients import user_pool_client_create
from userpools.services.pools import user_pool_create, user_pool_set_mfa_config
from userpools.signin import auth_initiate, auth_respond, hooks

pytestmark = pytest.mark.django_db

PASSWORD = "Passw0rd!"
CTX = ServiceContext(actor="test")
EMAIL_CONFIGURATION = {
    "EmailSendingAccount": "DEVELOPER",
    "From": "no-reply@example.com",
    "SourceArn": "arn:aws:ses:us-east-1:123456789012:identity/no-reply@example.com",
}
FIRST_FACTORS = {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP", "WEB_AUTHN"]}}
AUTHENTICATED = [
    ("pre_authentication", "PreAuthentication_Authentication"),
    ("risk", None),
    ("post_authentication", "PostAuthentication_Authentication"),
    ("token_generation", "TokenGeneration_Authentication"),
]


@pytest.fixture
def calls():
    with recording() as recorded:
        yield recorded


def _sources(recorded: list[Call]) -> list[tuple[str, str | None]]:
    return [(call.stage, call.trigger_source) for call in recorded]


# --- A remembered device ----------------------------------------------------------------------------


@pytest.fixture
def remembered():
    """(client id, alice, (device key, group key, device password)): a pool that tracks devices
    and challenges new ones, and a device alice confirmed (remembered at once)."""
    pool = user_pool_create(
        SYSTEM,
        {
            "PoolName": "devices",
            "DeviceConfiguration": {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": False},
        },
    )
    client = user_pool_client_create(
        SYSTEM,
        {
            "UserPoolId": pool.id,
            "ClientName": "app",
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        },
    )
    alice = users.user_create(
        SYSTEM, pool=pool, username="alice", password=PASSWORD, attributes={}, status=User.Status.CONFIRMED
    )
    first = auth_initiate(
        CTX,
        client_id=client.client_id,
        flow="USER_PASSWORD_AUTH",
        parameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )
    key, group = first.new_device["DeviceKey"], first.new_device["DeviceGroupKey"]
    password, config = srp.device_secret_new(group, key)
    alice = User.objects.select_related("pool").get(pk=alice.pk)
    assert devices.device_confirm(SYSTEM, user=alice, device_key=key, verifier_config=config) is False
    return client.client_id, alice, (key, group, password)


def _device_sign_in(client_id: str, pool_id: str, device: tuple[str, str, str], calls: list[Call]):
    key, group, password = device
    answer = auth_initiate(
        CTX,
        client_id=client_id,
        flow="USER_PASSWORD_AUTH",
        parameters={"USERNAME": "alice", "PASSWORD": PASSWORD, "DEVICE_KEY": key},
    )
    assert answer.challenge == "DEVICE_SRP_AUTH"
    assert stages(calls) == ["pre_authentication", "risk"]
    helper = srp.Client(pool_id)
    verifier = auth_respond(
        CTX,
        client_id=client_id,
        challenge_name="DEVICE_SRP_AUTH",
        session=answer.session,
        responses={"USERNAME": "alice", "DEVICE_KEY": key, "SRP_A": helper.srp_a},
    )
    assert verifier.challenge == "DEVICE_PASSWORD_VERIFIER"
    assert stages(calls) == ["pre_authentication", "risk"]  # nothing more until the device is proven
    responses = helper.respond_device(verifier.parameters, group_key=group, device_key=key, password=password)
    return auth_respond(
        CTX,
        client_id=client_id,
        challenge_name="DEVICE_PASSWORD_VERIFIER",
        session=verifier.session,
        responses=responses,
    )


def test_device_srp_generates_tokens_as_authenticate_device(remembered, calls):
    client_id, alice, device = remembered
    outcome = _device_sign_in(client_id, alice.pool_id, device, calls)
    assert outcome.tokens is not None and outcome.new_device is None
    assert calls == [
        Call(stage, source, "USER_PASSWORD_AUTH", "alice", client_id, False)
        for stage, source in [*AUTHENTICATED[:3], ("token_generation", "TokenGeneration_AuthenticateDevice")]
    ]
    assert UserDevice.objects.get(device_key=device[0]).last_authenticated_at is not None


def test_a_wrong_device_password_reaches_no_post_authentication_or_token_hook(remembered, calls):
    client_id, alice, (key, group, _) = remembered
    with pytest.raises(NotAuthorized):
        _device_sign_in(client_id, alice.pool_id, (key, group, "not-the-device-password"), calls)
    assert stages(calls) == ["pre_authentication", "risk"]


def test_a_token_hook_refusing_a_device_sign_in_issues_nothing(remembered):
    client_id, alice, device = remembered
    before = RefreshToken.objects.count()

    def deny(context: hooks.HookContext) -> None:
        assert context.trigger_source == "TokenGeneration_AuthenticateDevice"
        raise NotAuthorized("Device sign-in refused by a hook.")

    with (
        recording() as calls,
        hooks.registered(hooks.TOKEN_GENERATION, deny),
        pytest.raises(NotAuthorized, match="refused by a hook"),
    ):
        _device_sign_in(client_id, alice.pool_id, device, calls)
    assert RefreshToken.objects.count() == before


# --- USER_AUTH: a one-time code and a passkey -------------------------------------------------------


@pytest.fixture
def passwordless():
    """(client id, alice with a verified e-mail address): a pool whose first factors are
    PASSWORD, EMAIL_OTP and WEB_AUTHN (passkeys for example.com), a USER_AUTH client with
    PreventUserExistenceErrors."""
    pool = user_pool_create(
        SYSTEM, {"PoolName": "passwordless", "EmailConfiguration": EMAIL_CONFIGURATION, "Policies": FIRST_FACTORS}
    )
    user_pool_set_mfa_config(
        SYSTEM, {"UserPoolId": pool.id, "WebAuthnConfiguration": {"RelyingPartyId": "example.com"}}
    )
    client = user_pool_client_create(
        SYSTEM,
        {
            "UserPoolId": pool.id,
            "ClientName": "app",
            "ExplicitAuthFlows": ["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "PreventUserExistenceErrors": "ENABLED",
        },
    )
    alice = users.user_create(
        SYSTEM,
        pool=pool,
        username="alice",
        password=PASSWORD,
        status=User.Status.CONFIRMED,
        attributes={"email": "alice@example.com", "email_verified": "true"},
    )
    return client.client_id, User.objects.select_related("pool").get(pk=alice.pk)


def _email_code(challenge) -> tuple[str, str]:
    """The code the EMAIL_OTP challenge sent, and one that is not it."""
    assert challenge.challenge == "EMAIL_OTP"
    code = code_in(Delivery.objects.filter(purpose="mfa").latest("pk").body)
    return code, ("000000" if code != "000000" else "111111")


def test_user_auth_email_otp_runs_the_rest_after_the_code(passwordless, calls):
    client_id, _ = passwordless
    challenge = auth_initiate(
        CTX, client_id=client_id, flow="USER_AUTH", parameters={"USERNAME": "alice", "PREFERRED_CHALLENGE": "EMAIL_OTP"}
    )
    code, wrong = _email_code(challenge)
    assert stages(calls) == ["pre_authentication", "risk"]
    with pytest.raises(CodeMismatch):
        auth_respond(
            CTX,
            client_id=client_id,
            challenge_name="EMAIL_OTP",
            session=challenge.session,
            responses={"USERNAME": "alice", "EMAIL_OTP_CODE": wrong},
        )
    assert stages(calls) == ["pre_authentication", "risk"]  # a wrong code reaches no further hook
    outcome = auth_respond(
        CTX,
        client_id=client_id,
        challenge_name="EMAIL_OTP",
        session=challenge.session,
        responses={"USERNAME": "alice", "EMAIL_OTP_CODE": code},
    )
    assert outcome.tokens is not None
    assert calls == [Call(stage, source, "USER_AUTH", "alice", client_id, False) for stage, source in AUTHENTICATED]


def test_user_auth_email_otp_through_select_challenge(passwordless, calls):
    client_id, _ = passwordless
    selection = auth_initiate(CTX, client_id=client_id, flow="USER_AUTH", parameters={"USERNAME": "alice"})
    assert selection.challenge == "SELECT_CHALLENGE" and calls == []
    challenge = auth_respond(
        CTX,
        client_id=client_id,
        challenge_name="SELECT_CHALLENGE",
        session=selection.session,
        responses={"USERNAME": "alice", "ANSWER": "EMAIL_OTP"},
    )
    code, _ = _email_code(challenge)
    outcome = auth_respond(
        CTX,
        client_id=client_id,
        challenge_name="EMAIL_OTP",
        session=challenge.session,
        responses={"USERNAME": "alice", "EMAIL_OTP_CODE": code},
    )
    assert outcome.tokens is not None
    assert [(c.stage, c.trigger_source, c.flow) for c in calls] == [(s, t, "USER_AUTH") for s, t in AUTHENTICATED]


def test_an_email_otp_for_nobody_is_offered_to_no_migration_hook(passwordless, calls):
    client_id, _ = passwordless
    challenge = auth_initiate(
        CTX,
        client_id=client_id,
        flow="USER_AUTH",
        parameters={"USERNAME": "nobody", "PREFERRED_CHALLENGE": "EMAIL_OTP"},
    )
    assert challenge.challenge == "EMAIL_OTP"  # PreventUserExistenceErrors: a simulated one
    assert stages(calls) == ["pre_authentication", "risk"] and all(c.user_not_found for c in calls)


def _enroll(user: User, authenticator: SoftwareAuthenticator) -> None:
    options = passkeys.registration_start(CTX, user)
    passkeys.registration_complete(CTX, user, authenticator.create(options))


def test_user_auth_web_authn_runs_the_rest_after_the_assertion(passwordless, calls):
    client_id, alice = passwordless
    authenticator = SoftwareAuthenticator(origin="https://example.com")
    _enroll(alice, authenticator)
    challenge = auth_initiate(
        CTX, client_id=client_id, flow="USER_AUTH", parameters={"USERNAME": "alice", "PREFERRED_CHALLENGE": "WEB_AUTHN"}
    )
    assert challenge.challenge == "WEB_AUTHN"
    assert stages(calls) == ["pre_authentication", "risk"]
    credential = authenticator.get(challenge.parameters["CREDENTIAL_REQUEST_OPTIONS"])
    outcome = auth_respond(
        CTX,
        client_id=client_id,
        challenge_name="WEB_AUTHN",
        session=challenge.session,
        responses={"USERNAME": "alice", "CREDENTIAL": json.dumps(credential)},
    )
    assert outcome.tokens is not None
    assert calls == [Call(stage, source, "USER_AUTH", "alice", client_id, False) for stage, source in AUTHENTICATED]


def test_a_refused_assertion_reaches_no_post_authentication_or_token_hook(passwordless, calls):
    client_id, alice = passwordless
    authenticator = SoftwareAuthenticator(origin="https://example.com")
    _enroll(alice, authenticator)
    challenge = auth_initiate(
        CTX, client_id=client_id, flow="USER_AUTH", parameters={"USERNAME": "alice", "PREFERRED_CHALLENGE": "WEB_AUTHN"}
    )
    credential = authenticator.get(challenge.parameters["CREDENTIAL_REQUEST_OPTIONS"], bad_signature=True)
    with pytest.raises(NotAuthorized):
        auth_respond(
            CTX,
            client_id=client_id,
            challenge_name="WEB_AUTHN",
            session=challenge.session,
            responses={"USERNAME": "alice", "CREDENTIAL": json.dumps(credential)},
        )
    assert stages(calls) == ["pre_authentication", "risk"]


def test_a_post_authentication_hook_refusing_a_passkey_sign_in_issues_nothing(passwordless):
    client_id, alice = passwordless
    authenticator = SoftwareAuthenticator(origin="https://example.com")
    _enroll(alice, authenticator)

    def deny(context: hooks.HookContext) -> None:
        raise NotAuthorized("PostAuthentication failed with error denied.")

    with recording() as calls, hooks.registered(hooks.POST_AUTHENTICATION, deny):
        challenge = auth_initiate(
            CTX,
            client_id=client_id,
            flow="USER_AUTH",
            parameters={"USERNAME": "alice", "PREFERRED_CHALLENGE": "WEB_AUTHN"},
        )
        credential = authenticator.get(challenge.parameters["CREDENTIAL_REQUEST_OPTIONS"])
        with pytest.raises(NotAuthorized, match="denied"):
            auth_respond(
                CTX,
                client_id=client_id,
                challenge_name="WEB_AUTHN",
                session=challenge.session,
                responses={"USERNAME": "alice", "CREDENTIAL": json.dumps(credential)},
            )
    assert stages(calls) == ["pre_authentication", "risk", "post_authentication"]
    assert not RefreshToken.objects.exists()
