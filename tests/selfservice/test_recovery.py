"""ForgotPassword and ConfirmForgotPassword through boto3 against a live server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import check_password
from django.utils import timezone

from tests.selfservice.conftest import PASSWORD, call_error, hash_for
from userpools.models import Delivery, User, VerificationCode
from userpools.services import outreach

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "N3w-passw0rd!"


def _other(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def _password_is(user: User, password: str) -> bool:
    user.refresh_from_db()
    return check_password(password, user.password)


def test_forgot_password_then_confirm(public, app, make_user, mailbox):
    pool_id, client_id = app
    address = mailbox.address("rita")
    user = make_user(pool_id, "rita", email=address)
    details = public.forgot_password(ClientId=client_id, Username="rita")["CodeDeliveryDetails"]
    assert details == {"Destination": "r***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    code = mailbox.code_for(address)
    # The old password keeps working until the reset is confirmed.
    assert _password_is(user, PASSWORD)
    public.confirm_forgot_password(ClientId=client_id, Username="rita", ConfirmationCode=code, Password=NEW_PASSWORD)
    assert _password_is(user, NEW_PASSWORD)
    assert user.status == User.Status.CONFIRMED
    # Single use.
    assert (
        call_error(
            public.confirm_forgot_password,
            ClientId=client_id,
            Username="rita",
            ConfirmationCode=code,
            Password="An0ther-passw0rd!",
        )
        == "ExpiredCodeException"
    )


def test_forgot_password_by_alias(public, make_pool, make_client, make_user, mailbox):
    pool_id = make_pool(AliasAttributes=["email"], AutoVerifiedAttributes=["email"])["Id"]
    client_id = make_client(pool_id)["ClientId"]
    address = mailbox.address()
    user = make_user(pool_id, "sid", email=address)
    public.forgot_password(ClientId=client_id, Username=address)
    public.confirm_forgot_password(
        ClientId=client_id, Username=address, ConfirmationCode=mailbox.code_for(address), Password=NEW_PASSWORD
    )
    assert _password_is(user, NEW_PASSWORD)


@pytest.mark.parametrize("status", [User.Status.RESET_REQUIRED, User.Status.UNCONFIRMED])
def test_a_reset_confirms_the_user(public, app, make_user, mailbox, status):
    pool_id, client_id = app
    address = mailbox.address()
    user = make_user(pool_id, "tom", email=address, status=status)
    public.forgot_password(ClientId=client_id, Username="tom")
    public.confirm_forgot_password(
        ClientId=client_id, Username="tom", ConfirmationCode=mailbox.code_for(address), Password=NEW_PASSWORD
    )
    user.refresh_from_db()
    assert user.status == User.Status.CONFIRMED


def test_needs_a_verified_destination(public, make_pool, make_client, make_user):
    pool_id = make_pool(AutoVerifiedAttributes=["email"])["Id"]
    legacy = make_client(pool_id)["ClientId"]
    hiding = make_client(pool_id, PreventUserExistenceErrors="ENABLED")["ClientId"]
    make_user(pool_id, "uli", email="uli@example.com", verified=False)
    make_user(pool_id, "una")
    for username in ("uli", "una"):
        assert call_error(public.forgot_password, ClientId=legacy, Username=username) == "InvalidParameterException"
        details = public.forgot_password(ClientId=hiding, Username=username)["CodeDeliveryDetails"]
        assert details["DeliveryMedium"] == "EMAIL"
    assert not Delivery.objects.exists()


def test_unknown_and_disabled_users(public, make_pool, make_client, make_user):
    pool_id = make_pool(AutoVerifiedAttributes=["email"])["Id"]
    legacy = make_client(pool_id)["ClientId"]
    hiding = make_client(pool_id, PreventUserExistenceErrors="ENABLED")["ClientId"]
    make_user(pool_id, "val", email="val@example.com")
    User.objects.filter(username="val").update(is_active=False)
    assert call_error(public.forgot_password, ClientId=legacy, Username="nobody") == "UserNotFoundException"
    assert call_error(public.forgot_password, ClientId=legacy, Username="val") == "NotAuthorizedException"
    for username in ("nobody", "val"):
        assert (
            public.forgot_password(ClientId=hiding, Username=username)["CodeDeliveryDetails"]["DeliveryMedium"]
            == "EMAIL"
        )
    simulated = public.forgot_password(ClientId=hiding, Username="ghost@example.org")["CodeDeliveryDetails"]
    assert simulated == {"Destination": "g***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    assert not Delivery.objects.exists()

    args = {"ConfirmationCode": "123456", "Password": NEW_PASSWORD}
    assert (
        call_error(public.confirm_forgot_password, ClientId=legacy, Username="nobody", **args)
        == "UserNotFoundException"
    )
    assert (
        call_error(public.confirm_forgot_password, ClientId=legacy, Username="val", **args) == "NotAuthorizedException"
    )
    for username in ("nobody", "val"):
        assert (
            call_error(public.confirm_forgot_password, ClientId=hiding, Username=username, **args)
            == "CodeMismatchException"
        )


def test_admin_only_recovery(public, make_pool, make_client, make_user):
    pool_id = make_pool(
        AccountRecoverySetting={"RecoveryMechanisms": [{"Name": "admin_only", "Priority": 1}]},
        AutoVerifiedAttributes=["email"],
    )["Id"]
    client_id = make_client(pool_id)["ClientId"]
    make_user(pool_id, "wes", email="wes@example.com")
    assert call_error(public.forgot_password, ClientId=client_id, Username="wes") == "NotAuthorizedException"


@pytest.mark.parametrize(
    "setting, medium",
    [
        (None, "SMS"),  # legacy: the verified phone first
        ([{"Name": "verified_email", "Priority": 1}, {"Name": "verified_phone_number", "Priority": 2}], "EMAIL"),
        ([{"Name": "verified_phone_number", "Priority": 1}, {"Name": "verified_email", "Priority": 2}], "SMS"),
        ([{"Name": "verified_email", "Priority": 2}, {"Name": "verified_phone_number", "Priority": 1}], "SMS"),
    ],
)
def test_recovery_priorities(public, make_pool, make_client, make_user, setting, medium):
    kwargs = {"AccountRecoverySetting": {"RecoveryMechanisms": setting}} if setting else {}
    pool_id = make_pool(AutoVerifiedAttributes=["email"], **kwargs)["Id"]
    client_id = make_client(pool_id)["ClientId"]
    make_user(pool_id, "xia", email="xia@example.com", phone="+15555550199")
    details = public.forgot_password(ClientId=client_id, Username="xia")["CodeDeliveryDetails"]
    assert details["DeliveryMedium"] == medium


def test_falls_back_to_the_next_mechanism(public, make_pool, make_client, make_user, mailbox):
    pool_id = make_pool(
        AccountRecoverySetting={
            "RecoveryMechanisms": [
                {"Name": "verified_phone_number", "Priority": 1},
                {"Name": "verified_email", "Priority": 2},
            ]
        },
        AutoVerifiedAttributes=["email"],
    )["Id"]
    client_id = make_client(pool_id)["ClientId"]
    address = mailbox.address()
    make_user(pool_id, "yan", email=address)
    assert (
        public.forgot_password(ClientId=client_id, Username="yan")["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    )


def test_temporary_password_users_cannot_reset(public, app, make_user):
    pool_id, client_id = app
    make_user(pool_id, "zed", email="zed@example.com", status=User.Status.FORCE_CHANGE_PASSWORD)
    assert call_error(public.forgot_password, ClientId=client_id, Username="zed") == "NotAuthorizedException"


def test_weak_password_leaves_the_code_usable(public, app, make_user, mailbox):
    pool_id, client_id = app
    address = mailbox.address()
    user = make_user(pool_id, "abe", email=address)
    public.forgot_password(ClientId=client_id, Username="abe")
    code = mailbox.code_for(address)
    assert (
        call_error(
            public.confirm_forgot_password,
            ClientId=client_id,
            Username="abe",
            ConfirmationCode=code,
            Password="weakpassword",
        )
        == "InvalidPasswordException"
    )
    public.confirm_forgot_password(ClientId=client_id, Username="abe", ConfirmationCode=code, Password=NEW_PASSWORD)
    assert _password_is(user, NEW_PASSWORD)


def test_password_history(public, make_pool, make_client, make_user, mailbox):
    pool_id = make_pool(
        Policies={"PasswordPolicy": {"MinimumLength": 8, "PasswordHistorySize": 2}}, AutoVerifiedAttributes=["email"]
    )["Id"]
    client_id = make_client(pool_id)["ClientId"]
    address = mailbox.address()
    user = make_user(pool_id, "bea", email=address)
    public.forgot_password(ClientId=client_id, Username="bea")
    code = mailbox.code_for(address)
    # A wrong code says nothing about the history.
    assert (
        call_error(
            public.confirm_forgot_password,
            ClientId=client_id,
            Username="bea",
            ConfirmationCode=_other(code),
            Password=PASSWORD,
        )
        == "CodeMismatchException"
    )
    assert (
        call_error(
            public.confirm_forgot_password, ClientId=client_id, Username="bea", ConfirmationCode=code, Password=PASSWORD
        )
        == "PasswordHistoryPolicyViolationException"
    )
    public.confirm_forgot_password(ClientId=client_id, Username="bea", ConfirmationCode=code, Password=NEW_PASSWORD)
    assert _password_is(user, NEW_PASSWORD)
    # The one before is still in the history of two.
    public.forgot_password(ClientId=client_id, Username="bea")
    code = mailbox.code_for(address)
    assert (
        call_error(
            public.confirm_forgot_password, ClientId=client_id, Username="bea", ConfirmationCode=code, Password=PASSWORD
        )
        == "PasswordHistoryPolicyViolationException"
    )


def test_wrong_expired_and_exhausted_codes(public, app, make_user, mailbox):
    pool_id, client_id = app
    address = mailbox.address()
    user = make_user(pool_id, "cy", email=address)
    args = {"ClientId": client_id, "Username": "cy", "Password": NEW_PASSWORD}
    # No code requested yet.
    assert call_error(public.confirm_forgot_password, ConfirmationCode="123456", **args) == "ExpiredCodeException"

    public.forgot_password(ClientId=client_id, Username="cy")
    code = mailbox.code_for(address)
    VerificationCode.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert call_error(public.confirm_forgot_password, ConfirmationCode=code, **args) == "ExpiredCodeException"

    public.forgot_password(ClientId=client_id, Username="cy")
    code = mailbox.code_for(address)
    answers = [call_error(public.confirm_forgot_password, ConfirmationCode=_other(code), **args) for _ in range(5)]
    assert answers == ["CodeMismatchException"] * 4 + ["TooManyFailedAttemptsException"]
    assert call_error(public.confirm_forgot_password, ConfirmationCode=code, **args) == "ExpiredCodeException"
    assert _password_is(user, PASSWORD)


def test_request_limit(public, app, make_user, mailbox):
    pool_id, client_id = app
    make_user(pool_id, "dee", email=mailbox.address())
    for _ in range(outreach.SEND_LIMIT):
        public.forgot_password(ClientId=client_id, Username="dee")
    assert call_error(public.forgot_password, ClientId=client_id, Username="dee") == "LimitExceededException"


def test_secret_hash_for_recovery(public, make_pool, make_client, make_user, mailbox):
    pool_id = make_pool(AutoVerifiedAttributes=["email"])["Id"]
    client = make_client(pool_id, GenerateSecret=True)
    address = mailbox.address()
    user = make_user(pool_id, "eve", email=address)
    args = {"ClientId": client["ClientId"], "Username": "eve"}
    assert call_error(public.forgot_password, **args) == "NotAuthorizedException"
    assert call_error(public.forgot_password, SecretHash=hash_for(client, "EVE"), **args) == "NotAuthorizedException"
    public.forgot_password(SecretHash=hash_for(client, "eve"), **args)
    code = mailbox.code_for(address)
    assert (
        call_error(public.confirm_forgot_password, ConfirmationCode=code, Password=NEW_PASSWORD, **args)
        == "NotAuthorizedException"
    )
    public.confirm_forgot_password(
        ConfirmationCode=code, Password=NEW_PASSWORD, SecretHash=hash_for(client, "eve"), **args
    )
    assert _password_is(user, NEW_PASSWORD)
