"""SignUp, ConfirmSignUp and ResendConfirmationCode through boto3 against a live server.

Codes are read from what the SMTP server received (see conftest), so these run alike
with eager Celery and with a worker process.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.selfservice.conftest import PASSWORD, call_error, hash_for, user_named
from userpools.models import Delivery, User, VerificationCode
from userpools.services import outreach, signup

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_up(public, client_id, username, *, email=None, password=PASSWORD, **kwargs):
    attrs = kwargs.pop("UserAttributes", [])
    if email:
        attrs = [{"Name": "email", "Value": email}, *attrs]
    return public.sign_up(ClientId=client_id, Username=username, Password=password, UserAttributes=attrs, **kwargs)


# --- SignUp -------------------------------------------------------------------------------------


def test_sign_up_sends_a_code_and_confirm_sign_up_confirms(public, app, mailbox):
    pool_id, client_id = app
    address = mailbox.address("alice")
    response = _sign_up(public, client_id, "alice", email=address)
    assert response["UserConfirmed"] is False
    assert uuid.UUID(response["UserSub"])
    assert response["CodeDeliveryDetails"] == {
        "Destination": "a***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    user = user_named(pool_id, "alice")
    assert user.status == User.Status.UNCONFIRMED
    assert str(user.sub) == response["UserSub"]
    assert user.attributes["email"] == address and "email_verified" not in user.attributes

    message = mailbox.next_message(address)
    assert message.subject == "Your verification code"
    assert message.body.startswith("Your verification code is ")
    public.confirm_sign_up(ClientId=client_id, Username="alice", ConfirmationCode=message.code)

    user.refresh_from_db()
    assert user.status == User.Status.CONFIRMED
    assert user.attributes["email_verified"] == "true"


def test_pool_message_template_is_used(public, make_pool, make_client, mailbox):
    pool_id = make_pool(
        VerificationMessageTemplate={
            "EmailSubject": "Welcome to Example",
            "EmailMessage": "Hi {username}, enter {####} to finish.",
        },
        AutoVerifiedAttributes=["email"],
    )["Id"]
    client_id = make_client(pool_id)["ClientId"]
    address = mailbox.address()
    _sign_up(public, client_id, "bob", email=address)
    message = mailbox.next_message(address)
    assert message.subject == "Welcome to Example"
    assert message.body.startswith(f"Hi bob, enter {message.code} to finish.")


def test_phone_is_preferred_when_both_are_auto_verified(public, make_pool, make_client, monkeypatch):
    pool_id = make_pool(AutoVerifiedAttributes=["email", "phone_number"])["Id"]
    client_id = make_client(pool_id)["ClientId"]
    issued = _capture_codes(monkeypatch)
    response = _sign_up(
        public,
        client_id,
        "carol",
        email="carol@example.com",
        UserAttributes=[{"Name": "phone_number", "Value": "+15555550123"}],
    )
    assert response["CodeDeliveryDetails"] == {
        "Destination": "+*******0123",
        "DeliveryMedium": "SMS",
        "AttributeName": "phone_number",
    }
    assert Delivery.objects.get(user__username="carol").medium == Delivery.Medium.SMS
    public.confirm_sign_up(ClientId=client_id, Username="carol", ConfirmationCode=issued[-1])
    attrs = user_named(pool_id, "carol").attributes
    assert attrs["phone_number_verified"] == "true"
    assert attrs.get("email_verified") != "true"


def test_without_auto_verification_the_user_waits_for_an_administrator(public, make_pool, make_client):
    pool_id = make_pool(AutoVerifiedAttributes=[])["Id"]
    client_id = make_client(pool_id)["ClientId"]
    response = _sign_up(public, client_id, "dave", email="dave@example.com")
    assert response["UserConfirmed"] is False
    assert "CodeDeliveryDetails" not in response
    assert user_named(pool_id, "dave").status == User.Status.UNCONFIRMED
    assert not Delivery.objects.filter(user__username="dave").exists()
    assert (
        call_error(public.resend_confirmation_code, ClientId=client_id, Username="dave") == "InvalidParameterException"
    )


def test_auto_verified_attribute_missing_sends_nothing(public, app):
    pool_id, client_id = app
    response = _sign_up(public, client_id, "erin")
    assert "CodeDeliveryDetails" not in response
    assert user_named(pool_id, "erin").status == User.Status.UNCONFIRMED


def test_sign_up_disabled_for_the_pool(public, make_pool, make_client):
    pool_id = make_pool(
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        AutoVerifiedAttributes=["email"],
    )["Id"]
    client_id = make_client(pool_id)["ClientId"]
    assert (
        call_error(public.sign_up, ClientId=client_id, Username="frank", Password=PASSWORD) == "NotAuthorizedException"
    )


def test_unknown_client(public):
    assert call_error(public.sign_up, ClientId="a" * 26, Username="x", Password=PASSWORD) == "ResourceNotFoundException"


@pytest.mark.parametrize(
    "password, code",
    [
        (None, "InvalidParameterException"),
        ("short1!", "InvalidPasswordException"),
        ("alllowercase1!", "InvalidPasswordException"),
        ("NoNumbers!!", "InvalidPasswordException"),
        ("NoSymbols123", "InvalidPasswordException"),
        (" Passw0rd!", "InvalidParameterException"),  # the model's PasswordType pattern
    ],
)
def test_password_is_required_and_checked(public, app, password, code):
    _, client_id = app
    kwargs = {"Password": password} if password is not None else {}
    assert call_error(public.sign_up, ClientId=client_id, Username="gina", **kwargs) == code
    assert not User.objects.filter(username="gina").exists()


@pytest.mark.parametrize("prevent", ["LEGACY", "ENABLED"])
def test_duplicate_username(public, make_pool, make_client, prevent):
    pool_id = make_pool(AutoVerifiedAttributes=[], UsernameConfiguration={"CaseSensitive": False})["Id"]
    client_id = make_client(pool_id, PreventUserExistenceErrors=prevent)["ClientId"]
    _sign_up(public, client_id, "Hank")
    assert (
        call_error(public.sign_up, ClientId=client_id, Username="hank", Password=PASSWORD) == "UsernameExistsException"
    )


def test_email_as_username(public, make_pool, make_client, mailbox):
    pool_id = make_pool(UsernameAttributes=["email"], AutoVerifiedAttributes=["email"])["Id"]
    client_id = make_client(pool_id)["ClientId"]
    address = mailbox.address("ivy")
    response = public.sign_up(ClientId=client_id, Username=address, Password=PASSWORD)
    user = User.objects.get(sub=response["UserSub"])
    assert user.username == response["UserSub"] and user.attributes["email"] == address
    assert (
        call_error(public.sign_up, ClientId=client_id, Username=address, Password=PASSWORD) == "UsernameExistsException"
    )
    assert (
        call_error(public.sign_up, ClientId=client_id, Username="not-an-email", Password=PASSWORD)
        == "InvalidParameterException"
    )
    # The user confirms with the e-mail address they signed up with.
    public.confirm_sign_up(ClientId=client_id, Username=address, ConfirmationCode=mailbox.code_for(address))
    user.refresh_from_db()
    assert user.status == User.Status.CONFIRMED


def test_email_alias_pool_rejects_an_email_shaped_username(public, make_pool, make_client):
    pool_id = make_pool(AliasAttributes=["email"], AutoVerifiedAttributes=["email"])["Id"]
    client_id = make_client(pool_id)["ClientId"]
    assert (
        call_error(public.sign_up, ClientId=client_id, Username="jo@example.com", Password=PASSWORD)
        == "InvalidParameterException"
    )


def test_taken_preferred_username_is_a_taken_name(public, make_pool, make_client):
    pool_id = make_pool(AliasAttributes=["preferred_username"], AutoVerifiedAttributes=[])["Id"]
    client_id = make_client(pool_id)["ClientId"]
    nick = [{"Name": "preferred_username", "Value": "kim"}]
    _sign_up(public, client_id, "kim1", UserAttributes=nick)
    assert (
        call_error(public.sign_up, ClientId=client_id, Username="kim2", Password=PASSWORD, UserAttributes=nick)
        == "UsernameExistsException"
    )


@pytest.mark.parametrize(
    "attributes, code",
    [
        ([{"Name": "favourite_colour", "Value": "blue"}], "InvalidParameterException"),
        ([{"Name": "custom:age", "Value": "200"}], "InvalidParameterException"),
        ([{"Name": "custom:age", "Value": "old"}], "InvalidParameterException"),
        ([{"Name": "email", "Value": "not an address"}], "InvalidParameterException"),
        ([{"Name": "phone_number", "Value": "555-0100"}], "InvalidParameterException"),
        ([{"Name": "birthdate", "Value": "01/02/2000"}], "InvalidParameterException"),
        ([{"Name": "sub", "Value": str(uuid.UUID(int=1))}], "InvalidParameterException"),
        ([{"Name": "email_verified", "Value": "true"}], "NotAuthorizedException"),
        ([{"Name": "custom:secret", "Value": "x"}], "NotAuthorizedException"),
        ([{"Name": "name", "Value": "A"}, {"Name": "name", "Value": "B"}], "InvalidParameterException"),
    ],
)
def test_attributes_follow_the_schema(public, make_pool, make_client, attributes, code):
    pool_id = make_pool(
        Schema=[
            {
                "Name": "age",
                "AttributeDataType": "Number",
                "NumberAttributeConstraints": {"MinValue": "0", "MaxValue": "150"},
            },
            {"Name": "secret", "AttributeDataType": "String", "DeveloperOnlyAttribute": True},
        ],
        AutoVerifiedAttributes=["email"],
    )["Id"]
    client_id = make_client(pool_id)["ClientId"]
    assert (
        call_error(public.sign_up, ClientId=client_id, Username="lee", Password=PASSWORD, UserAttributes=attributes)
        == code
    )


def test_required_attribute_must_be_given(public, make_pool, make_client):
    pool_id = make_pool(
        Schema=[{"Name": "name", "AttributeDataType": "String", "Required": True}], AutoVerifiedAttributes=["email"]
    )["Id"]
    client_id = make_client(pool_id)["ClientId"]
    assert (
        call_error(public.sign_up, ClientId=client_id, Username="mo", Password=PASSWORD) == "InvalidParameterException"
    )
    _sign_up(public, client_id, "mo", UserAttributes=[{"Name": "name", "Value": "Mo"}])


def test_immutable_attribute_can_be_set_at_sign_up(public, make_pool, make_client):
    pool_id = make_pool(
        Schema=[{"Name": "badge", "AttributeDataType": "String", "Mutable": False}], AutoVerifiedAttributes=["email"]
    )["Id"]
    client_id = make_client(pool_id)["ClientId"]
    _sign_up(public, client_id, "ned", UserAttributes=[{"Name": "custom:badge", "Value": "B-7"}])
    assert user_named(pool_id, "ned").attributes["custom:badge"] == "B-7"


def test_client_write_attributes_apply(public, make_pool, make_client):
    pool_id = make_pool(AutoVerifiedAttributes=["email"])["Id"]
    client_id = make_client(pool_id, WriteAttributes=["email", "name"])["ClientId"]
    assert (
        call_error(
            public.sign_up,
            ClientId=client_id,
            Username="olga",
            Password=PASSWORD,
            UserAttributes=[{"Name": "nickname", "Value": "o"}],
        )
        == "NotAuthorizedException"
    )
    _sign_up(public, client_id, "olga", UserAttributes=[{"Name": "name", "Value": "Olga"}])


# --- Secret hash ----------------------------------------------------------------------------------


def test_secret_hash_required_wrong_and_right(public, idp, make_pool, make_client, mailbox):
    pool_id = make_pool(AutoVerifiedAttributes=["email"])["Id"]
    client = make_client(pool_id, GenerateSecret=True)
    client_id = client["ClientId"]
    assert call_error(public.sign_up, ClientId=client_id, Username="pat", Password=PASSWORD) == "NotAuthorizedException"
    wrong = hash_for(client, "someone-else")
    assert (
        call_error(public.sign_up, ClientId=client_id, Username="pat", Password=PASSWORD, SecretHash=wrong)
        == "NotAuthorizedException"
    )
    address = mailbox.address("pat")
    _sign_up(public, client_id, "pat", email=address, SecretHash=hash_for(client, "pat"))

    # During a rotation either secret works.
    second = idp.add_user_pool_client_secret(UserPoolId=pool_id, ClientId=client_id)["ClientSecretDescriptor"]
    code = mailbox.code_for(address)
    with_second = hash_for(client, "pat", secret=second["ClientSecretValue"])
    assert (
        call_error(public.confirm_sign_up, ClientId=client_id, Username="pat", ConfirmationCode=code)
        == "NotAuthorizedException"
    )
    public.confirm_sign_up(ClientId=client_id, Username="pat", ConfirmationCode=code, SecretHash=with_second)
    assert user_named(pool_id, "pat").status == User.Status.CONFIRMED
    for call in (public.resend_confirmation_code, public.forgot_password):
        assert call_error(call, ClientId=client_id, Username="pat") == "NotAuthorizedException"


# --- ConfirmSignUp ----------------------------------------------------------------------------------


def test_wrong_code_then_right_code(public, app, mailbox):
    pool_id, client_id = app
    address = mailbox.address()
    _sign_up(public, client_id, "quinn", email=address)
    code = mailbox.code_for(address)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert (
        call_error(public.confirm_sign_up, ClientId=client_id, Username="quinn", ConfirmationCode=wrong)
        == "CodeMismatchException"
    )
    public.confirm_sign_up(ClientId=client_id, Username="quinn", ConfirmationCode=code)
    # Spent, and the user is confirmed now.
    assert (
        call_error(public.confirm_sign_up, ClientId=client_id, Username="quinn", ConfirmationCode=code)
        == "NotAuthorizedException"
    )


def test_too_many_wrong_codes_spend_the_code(public, app, mailbox):
    _, client_id = app
    address = mailbox.address()
    _sign_up(public, client_id, "rex", email=address)
    code = mailbox.code_for(address)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    answers = [
        call_error(public.confirm_sign_up, ClientId=client_id, Username="rex", ConfirmationCode=wrong) for _ in range(5)
    ]
    assert answers == ["CodeMismatchException"] * 4 + ["TooManyFailedAttemptsException"]
    assert (
        call_error(public.confirm_sign_up, ClientId=client_id, Username="rex", ConfirmationCode=code)
        == "ExpiredCodeException"
    )
    public.resend_confirmation_code(ClientId=client_id, Username="rex")
    public.confirm_sign_up(ClientId=client_id, Username="rex", ConfirmationCode=mailbox.code_for(address))


def test_expired_code(public, app, mailbox):
    pool_id, client_id = app
    address = mailbox.address()
    _sign_up(public, client_id, "sam", email=address)
    code = mailbox.code_for(address)
    VerificationCode.objects.filter(user__username="sam").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert (
        call_error(public.confirm_sign_up, ClientId=client_id, Username="sam", ConfirmationCode=code)
        == "ExpiredCodeException"
    )
    assert user_named(pool_id, "sam").status == User.Status.UNCONFIRMED


def test_resend_replaces_the_code(public, app, mailbox):
    _, client_id = app
    address = mailbox.address()
    _sign_up(public, client_id, "tia", email=address)
    first = mailbox.code_for(address)
    details = public.resend_confirmation_code(ClientId=client_id, Username="tia")["CodeDeliveryDetails"]
    assert details == {"Destination": "u***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    second = mailbox.code_for(address)
    if first != second:
        assert (
            call_error(public.confirm_sign_up, ClientId=client_id, Username="tia", ConfirmationCode=first)
            == "CodeMismatchException"
        )
    public.confirm_sign_up(ClientId=client_id, Username="tia", ConfirmationCode=second)
    assert (
        call_error(public.resend_confirmation_code, ClientId=client_id, Username="tia") == "InvalidParameterException"
    )


def test_resend_limit(public, app, mailbox):
    _, client_id = app
    address = mailbox.address()
    _sign_up(public, client_id, "uma", email=address)
    for _ in range(outreach.SEND_LIMIT - 1):
        public.resend_confirmation_code(ClientId=client_id, Username="uma")
    assert call_error(public.resend_confirmation_code, ClientId=client_id, Username="uma") == "LimitExceededException"


def test_confirm_and_resend_for_unknown_users(public, make_pool, make_client):
    pool_id = make_pool(AutoVerifiedAttributes=["email"])["Id"]
    legacy = make_client(pool_id)["ClientId"]
    hiding = make_client(pool_id, PreventUserExistenceErrors="ENABLED")["ClientId"]
    assert (
        call_error(public.confirm_sign_up, ClientId=legacy, Username="nobody", ConfirmationCode="123456")
        == "UserNotFoundException"
    )
    assert call_error(public.resend_confirmation_code, ClientId=legacy, Username="nobody") == "UserNotFoundException"
    assert (
        call_error(public.confirm_sign_up, ClientId=hiding, Username="nobody", ConfirmationCode="123456")
        == "CodeMismatchException"
    )
    first = public.resend_confirmation_code(ClientId=hiding, Username="nobody")["CodeDeliveryDetails"]
    again = public.resend_confirmation_code(ClientId=hiding, Username="nobody")["CodeDeliveryDetails"]
    assert first == again and first["DeliveryMedium"] == "EMAIL" and first["AttributeName"] == "email"
    by_phone = public.resend_confirmation_code(ClientId=hiding, Username="+15555550100")["CodeDeliveryDetails"]
    assert by_phone == {"Destination": "+*******0100", "DeliveryMedium": "SMS", "AttributeName": "phone_number"}


def test_disabled_user_cannot_confirm(public, app, mailbox):
    _, client_id = app
    address = mailbox.address()
    _sign_up(public, client_id, "vic", email=address)
    code = mailbox.code_for(address)
    User.objects.filter(username="vic").update(is_active=False)
    assert (
        call_error(public.confirm_sign_up, ClientId=client_id, Username="vic", ConfirmationCode=code)
        == "NotAuthorizedException"
    )


def test_confirming_a_verified_alias_someone_holds(public, make_pool, make_client, mailbox):
    pool_id = make_pool(AliasAttributes=["email"], AutoVerifiedAttributes=["email"])["Id"]
    client_id = make_client(pool_id)["ClientId"]
    address = mailbox.address("shared")
    _sign_up(public, client_id, "wendy", email=address)
    public.confirm_sign_up(ClientId=client_id, Username="wendy", ConfirmationCode=mailbox.code_for(address))
    # The same address signs up again: it is nobody's alias until verified.
    _sign_up(public, client_id, "xavier", email=address)
    code = mailbox.code_for(address)
    assert (
        call_error(public.confirm_sign_up, ClientId=client_id, Username="xavier", ConfirmationCode=code)
        == "AliasExistsException"
    )
    # The code survives the refusal; with ForceAliasCreation the alias moves.
    public.confirm_sign_up(ClientId=client_id, Username="xavier", ConfirmationCode=code, ForceAliasCreation=True)
    assert user_named(pool_id, "xavier").attributes["email_verified"] == "true"
    wendy = User.objects.get(pool_id=pool_id, username="wendy")
    assert wendy.attributes["email_verified"] == "false"
    # The alias now signs in as xavier.
    assert user_named(pool_id, address).username == "xavier"


def _capture_codes(monkeypatch) -> list[str]:
    """Codes as issued (for SMS, which the test cannot receive); the live server runs in this process."""
    issued: list[str] = []
    original = signup.codes.code_issue

    def capture(user, purpose):
        code = original(user, purpose)
        issued.append(code)
        return code

    monkeypatch.setattr(signup.codes, "code_issue", capture)
    return issued
