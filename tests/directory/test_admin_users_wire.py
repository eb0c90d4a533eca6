"""Admin user operations over the wire (boto3 against live_server): AdminCreateUser,
AdminGetUser, AdminDeleteUser, AdminDisableUser/AdminEnableUser, AdminResetUserPassword,
AdminSetUserPassword, AdminConfirmSignUp, AdminUpdateUserAttributes,
AdminDeleteUserAttributes — happy paths, the errors a caller can cause, and the
choices Cognito's documentation leaves open, pinned."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError
from django.utils import timezone

from tests.conftest import error_code
from tests.directory.conftest import attrs, code_in
from tests.userpools.conftest import call_error
from userpools.context import ServiceContext
from userpools.models import AuditEvent, Delivery, GroupMembership, User, UserGroup, UserPool, VerificationCode
from userpools.services import codes, users

pytestmark = pytest.mark.django_db(transaction=True)

UNKNOWN_POOL = "us-east-1_nothere00"
SYMBOLS = set("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")


def invited_password(body: str) -> str:
    """The temporary password in the default invitation ("... temporary password is {####}. ")."""
    match = re.fullmatch(r"Your username is \S+ and temporary password is (\S+)\. ", body)
    assert match, body
    return match.group(1)


def db_user(pool_id: str, username: str) -> User:
    return User.objects.get(pool_id=pool_id, username=username)


def deliveries(pool_id: str, username: str):
    """The user's Delivery rows: written in the request's own transaction, so no waiting is needed
    to see that nothing was sent (the task, eager or in CI's worker, only sends a row)."""
    return Delivery.objects.filter(pool_id=pool_id, user__username=username)


def make_unconfirmed(pool_id: str, username: str, **attributes) -> User:
    """A user as SignUp leaves one (the self-service path is tested elsewhere)."""
    pool = UserPool.objects.get(pk=pool_id)
    return users.user_create(
        ServiceContext(actor="test"),
        pool=pool,
        username=username,
        password="Passw0rd!",
        attributes=attributes,
        status=User.Status.UNCONFIRMED,
    )


# --- AdminCreateUser ----------------------------------------------------------------------------


def test_admin_create_user_invites_by_email_with_a_generated_password(idp, pool_id, mailbox):
    address = mailbox.address("Alice").replace("@example.com", "@Example.com")  # case kept as given
    before = timezone.now()
    user = idp.admin_create_user(
        UserPoolId=pool_id,
        Username="alice",
        DesiredDeliveryMediums=["EMAIL"],
        UserAttributes=[{"Name": "email", "Value": address}, {"Name": "given_name", "Value": "Alice"}],
    )["User"]
    assert user["Username"] == "alice"
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert user["Enabled"] is True
    values = attrs(user["Attributes"])
    assert values["email"] == address and values["given_name"] == "Alice"
    assert user["Attributes"][0]["Name"] == "sub"
    assert user["UserCreateDate"] and user["UserLastModifiedDate"]

    assert list(deliveries(pool_id, "alice").values_list("medium", "destination")) == [("EMAIL", address)]
    message = mailbox.next_message(address)
    assert message.subject == "Your temporary password"
    assert "alice" in message.body
    password = invited_password(message.body)
    # Fits the default policy: 8+ characters with each class.
    assert len(password) >= 12
    assert any(c.isupper() for c in password) and any(c.islower() for c in password)
    assert any(c.isdigit() for c in password) and any(c in SYMBOLS for c in password)
    stored = db_user(pool_id, "alice")
    assert stored.check_password(password)
    expires = stored.temporary_password_expires_at
    assert before + timedelta(days=7) <= expires <= timezone.now() + timedelta(days=7)
    assert AuditEvent.objects.filter(action="user.admin_create", target="alice").exists()


def test_generated_password_meets_a_strict_policy(idp, make_pool, mailbox):
    policy = {
        "MinimumLength": 24,
        "RequireUppercase": True,
        "RequireLowercase": True,
        "RequireNumbers": True,
        "RequireSymbols": True,
        "TemporaryPasswordValidityDays": 2,
    }
    pool_id = make_pool("strict", Policies={"PasswordPolicy": policy})["Id"]
    address = mailbox.address("bob")
    idp.admin_create_user(
        UserPoolId=pool_id,
        Username="bob",
        DesiredDeliveryMediums=["EMAIL"],
        UserAttributes=[{"Name": "email", "Value": address}],
    )
    password = invited_password(mailbox.next_message(address).body)
    assert len(password) == 24
    pool = UserPool.objects.get(pk=pool_id)
    users.password_check(pool, password)  # does not raise
    stored = db_user(pool_id, "bob")
    assert stored.temporary_password_expires_at - timezone.now() < timedelta(days=2, minutes=1)


def test_invitation_follows_the_pool_template_and_default_sms(idp, make_pool, sms_outbox, mailbox):
    template = {
        "EmailMessage": "Welcome {username}! Password: {####} ok",
        "EmailSubject": "Join us",
        "SMSMessage": "Hi {username}, pw {####}",
    }
    pool_id = make_pool("tpl", AdminCreateUserConfig={"InviteMessageTemplate": template})["Id"]
    carol_phone, carol_email = sms_outbox.number(), mailbox.address("carol")
    idp.admin_create_user(
        UserPoolId=pool_id,
        Username="carol",
        TemporaryPassword="Temp-pass-1",
        UserAttributes=[{"Name": "phone_number", "Value": carol_phone}, {"Name": "email", "Value": carol_email}],
    )
    # DesiredDeliveryMediums defaults to SMS, as in Cognito.
    assert list(deliveries(pool_id, "carol").values_list("medium", "destination")) == [("SMS", carol_phone)]
    assert sms_outbox.next_message(carol_phone).body == "Hi carol, pw Temp-pass-1"
    dave_phone, dave_email = sms_outbox.number(), mailbox.address("dave")
    idp.admin_create_user(
        UserPoolId=pool_id,
        Username="dave",
        TemporaryPassword="Temp-pass-2",
        DesiredDeliveryMediums=["EMAIL", "SMS"],
        UserAttributes=[{"Name": "phone_number", "Value": dave_phone}, {"Name": "email", "Value": dave_email}],
    )
    message = mailbox.next_message(dave_email)
    assert message.subject == "Join us"
    assert message.body == "Welcome dave! Password: Temp-pass-2 ok"
    assert sms_outbox.next_message(dave_phone).body == "Hi dave, pw Temp-pass-2"
    assert mailbox.messages_to(carol_email) == []  # carol's invitation went by SMS only


def test_default_sms_without_a_phone_number_creates_the_user_and_sends_nothing(idp, pool_id):
    # Pinned: only a medium named explicitly must have its attribute.
    user = idp.admin_create_user(
        UserPoolId=pool_id, Username="erin", UserAttributes=[{"Name": "email", "Value": "erin@example.com"}]
    )["User"]
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert not deliveries(pool_id, "erin").exists()


def test_suppress_sends_nothing(idp, pool_id):
    idp.admin_create_user(
        UserPoolId=pool_id,
        Username="frank",
        MessageAction="SUPPRESS",
        DesiredDeliveryMediums=["EMAIL", "SMS"],
        UserAttributes=[{"Name": "email", "Value": "f@example.com"}],
    )
    assert not deliveries(pool_id, "frank").exists()


def test_a_template_without_the_password_placeholder_is_not_delivered(idp, make_pool):
    pool_id = make_pool("noph", AdminCreateUserConfig={"InviteMessageTemplate": {"EmailMessage": "Hello {username}"}})[
        "Id"
    ]
    idp.admin_create_user(
        UserPoolId=pool_id,
        Username="gina",
        DesiredDeliveryMediums=["EMAIL"],
        UserAttributes=[{"Name": "email", "Value": "g@example.com"}],
    )
    assert db_user(pool_id, "gina").status == User.Status.FORCE_CHANGE_PASSWORD
    assert not deliveries(pool_id, "gina").exists()


def test_admin_may_set_verified_flags(idp, pool_id):
    user = idp.admin_create_user(
        UserPoolId=pool_id,
        Username="hank",
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": "h@example.com"},
            {"Name": "email_verified", "Value": "True"},
            {"Name": "phone_number", "Value": "+15550003333"},
            {"Name": "phone_number_verified", "Value": "true"},
        ],
    )["User"]
    values = attrs(user["Attributes"])
    assert values["email_verified"] == "true" and values["phone_number_verified"] == "true"


def test_admin_create_user_works_when_only_admins_may_create_users(idp, make_pool):
    pool_id = make_pool("closed", AdminCreateUserConfig={"AllowAdminCreateUserOnly": True})["Id"]
    user = idp.admin_create_user(UserPoolId=pool_id, Username="ivy", MessageAction="SUPPRESS")["User"]
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"


def test_admin_create_user_with_email_as_username(idp, make_pool):
    pool_id = make_pool("byemail", UsernameAttributes=["email"])["Id"]
    user = idp.admin_create_user(UserPoolId=pool_id, Username="Jo@Example.com", MessageAction="SUPPRESS")["User"]
    assert user["Username"] != "Jo@Example.com"  # the username is the sub
    assert attrs(user["Attributes"])["email"] == "Jo@Example.com"
    got = idp.admin_get_user(UserPoolId=pool_id, Username="jo@example.com")
    assert got["Username"] == user["Username"]
    code = call_error(idp.admin_create_user, UserPoolId=pool_id, Username="JO@example.com", MessageAction="SUPPRESS")
    assert code == "UsernameExistsException"


def test_force_alias_creation_moves_a_verified_alias(idp, make_pool):
    pool_id = make_pool("alias", AliasAttributes=["email"])["Id"]
    verified = [{"Name": "email", "Value": "shared@example.com"}, {"Name": "email_verified", "Value": "true"}]
    idp.admin_create_user(UserPoolId=pool_id, Username="first", MessageAction="SUPPRESS", UserAttributes=verified)
    # ForceAliasCreation's documentation names AliasExistsException, though the model's
    # error list for AdminCreateUser omits it (SDKs still know the exception class).
    with pytest.raises(ClientError) as exc:
        idp.admin_create_user(UserPoolId=pool_id, Username="second", MessageAction="SUPPRESS", UserAttributes=verified)
    assert error_code(exc) == "AliasExistsException"
    idp.admin_create_user(
        UserPoolId=pool_id,
        Username="second",
        MessageAction="SUPPRESS",
        UserAttributes=verified,
        ForceAliasCreation=True,
    )
    first = idp.admin_get_user(UserPoolId=pool_id, Username="first")
    assert attrs(first["UserAttributes"])["email_verified"] == "false"
    assert idp.admin_get_user(UserPoolId=pool_id, Username="shared@example.com")["Username"] == "second"


def test_resend_gives_a_new_temporary_password(idp, pool_id, mailbox):
    address = mailbox.address("kate")
    kwargs = {"UserPoolId": pool_id, "Username": "kate", "DesiredDeliveryMediums": ["EMAIL"]}
    idp.admin_create_user(**kwargs, UserAttributes=[{"Name": "email", "Value": address}])
    first = invited_password(mailbox.next_message(address).body)
    User.objects.filter(username="kate").update(temporary_password_expires_at=timezone.now() - timedelta(days=1))
    user = idp.admin_create_user(**kwargs, MessageAction="RESEND")["User"]
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    second = invited_password(mailbox.next_message(address).body)
    assert first != second
    stored = db_user(pool_id, "kate")
    assert stored.check_password(second) and not stored.check_password(first)
    assert stored.temporary_password_expires_at > timezone.now() + timedelta(days=6)


def test_resend_errors(idp, pool_id, make_user):
    assert (
        call_error(idp.admin_create_user, UserPoolId=pool_id, Username="ghost", MessageAction="RESEND")
        == "UserNotFoundException"
    )
    make_user(pool_id, "liam")
    idp.admin_set_user_password(UserPoolId=pool_id, Username="liam", Password="Perm-pass-1", Permanent=True)
    assert (
        call_error(idp.admin_create_user, UserPoolId=pool_id, Username="liam", MessageAction="RESEND")
        == "UnsupportedUserStateException"
    )


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"UserPoolId": UNKNOWN_POOL}, "ResourceNotFoundException"),
        ({"TemporaryPassword": "short"}, "InvalidPasswordException"),
        ({"TemporaryPassword": "alllowercase1!"}, "InvalidPasswordException"),
        ({"UserAttributes": [{"Name": "favourite", "Value": "x"}]}, "InvalidParameterException"),
        ({"UserAttributes": [{"Name": "sub", "Value": "x"}]}, "InvalidParameterException"),
        ({"UserAttributes": [{"Name": "email", "Value": "not-an-email"}]}, "InvalidParameterException"),
        ({"UserAttributes": [{"Name": "email_verified", "Value": "true"}]}, "InvalidParameterException"),
        ({"UserAttributes": [{"Name": "name", "Value": "nul\x00byte"}]}, "InvalidParameterException"),
        ({"DesiredDeliveryMediums": ["EMAIL"]}, "InvalidParameterException"),
        (
            {"DesiredDeliveryMediums": ["SMS"], "UserAttributes": [{"Name": "email", "Value": "a@b.co"}]},
            "InvalidParameterException",
        ),
        ({"MessageAction": "LATER"}, "InvalidParameterException"),
    ],
)
def test_admin_create_user_rejects_bad_input(idp, pool_id, kwargs, code):
    assert call_error(idp.admin_create_user, **{"UserPoolId": pool_id, "Username": "mia", **kwargs}) == code


def test_admin_create_user_duplicate_username(idp, pool_id, make_user):
    make_user(pool_id, "nina")
    assert call_error(idp.admin_create_user, UserPoolId=pool_id, Username="nina") == "UsernameExistsException"


def test_usernames_fold_case_in_a_case_insensitive_pool(idp, make_pool, make_user):
    pool_id = make_pool("ci", UsernameConfiguration={"CaseSensitive": False})["Id"]
    make_user(pool_id, "Oscar")
    assert idp.admin_get_user(UserPoolId=pool_id, Username="OSCAR")["Username"] == "Oscar"
    assert call_error(idp.admin_create_user, UserPoolId=pool_id, Username="oscar") == "UsernameExistsException"


# --- AdminGetUser -------------------------------------------------------------------------------


def test_admin_get_user(idp, pool_id, make_user):
    created = make_user(pool_id, "pat", email="pat@example.com")
    got = idp.admin_get_user(UserPoolId=pool_id, Username="pat")
    assert got["Username"] == "pat"
    assert got["UserStatus"] == "FORCE_CHANGE_PASSWORD" and got["Enabled"] is True
    assert attrs(got["UserAttributes"]) == attrs(created["Attributes"])
    assert got["MFAOptions"] == [] and got["UserMFASettingList"] == []
    assert got["UserCreateDate"] == created["UserCreateDate"]
    # By sub, too.
    sub = attrs(got["UserAttributes"])["sub"]
    assert idp.admin_get_user(UserPoolId=pool_id, Username=sub)["Username"] == "pat"


def test_admin_get_user_errors(idp, pool_id):
    assert call_error(idp.admin_get_user, UserPoolId=pool_id, Username="nobody") == "UserNotFoundException"
    assert call_error(idp.admin_get_user, UserPoolId=UNKNOWN_POOL, Username="x") == "ResourceNotFoundException"


def test_users_of_one_pool_are_invisible_from_another(idp, make_pool, make_user):
    a, b = make_pool("a")["Id"], make_pool("b")["Id"]
    make_user(a, "quinn")
    assert call_error(idp.admin_get_user, UserPoolId=b, Username="quinn") == "UserNotFoundException"


# --- AdminDeleteUser, AdminDisableUser, AdminEnableUser --------------------------------------------


def test_admin_delete_user(idp, pool_id, make_user):
    make_user(pool_id, "rose")
    group = UserGroup.objects.create(pool_id=pool_id, name="g")
    GroupMembership.objects.create(group=group, user=db_user(pool_id, "rose"))
    idp.admin_delete_user(UserPoolId=pool_id, Username="rose")
    assert call_error(idp.admin_get_user, UserPoolId=pool_id, Username="rose") == "UserNotFoundException"
    assert call_error(idp.admin_delete_user, UserPoolId=pool_id, Username="rose") == "UserNotFoundException"
    assert not GroupMembership.objects.exists()
    assert AuditEvent.objects.filter(action="user.admin_delete", target="rose").exists()
    assert call_error(idp.admin_delete_user, UserPoolId=UNKNOWN_POOL, Username="rose") == "ResourceNotFoundException"


def test_disable_and_enable(idp, pool_id, make_user):
    make_user(pool_id, "sam")
    idp.admin_disable_user(UserPoolId=pool_id, Username="sam")
    assert idp.admin_get_user(UserPoolId=pool_id, Username="sam")["Enabled"] is False
    idp.admin_disable_user(UserPoolId=pool_id, Username="sam")  # idempotent
    idp.admin_enable_user(UserPoolId=pool_id, Username="sam")
    assert idp.admin_get_user(UserPoolId=pool_id, Username="sam")["Enabled"] is True
    assert [e.action for e in AuditEvent.objects.filter(target="sam").order_by("id")][-3:] == [
        "user.admin_disable",
        "user.admin_disable",
        "user.admin_enable",
    ]
    for op in (idp.admin_disable_user, idp.admin_enable_user):
        assert call_error(op, UserPoolId=pool_id, Username="nobody") == "UserNotFoundException"
        assert call_error(op, UserPoolId=UNKNOWN_POOL, Username="sam") == "ResourceNotFoundException"


# --- AdminResetUserPassword ----------------------------------------------------------------------


def test_reset_password_sends_a_code_to_the_verified_email(idp, pool_id, make_user, mailbox):
    address = mailbox.address("tom")
    make_user(pool_id, "tom", email=address, email_verified="true")
    idp.admin_set_user_password(UserPoolId=pool_id, Username="tom", Password="Perm-pass-1", Permanent=True)
    idp.admin_reset_user_password(UserPoolId=pool_id, Username="tom")
    assert idp.admin_get_user(UserPoolId=pool_id, Username="tom")["UserStatus"] == "RESET_REQUIRED"
    code = code_in(mailbox.next_message(address).body)
    user = db_user(pool_id, "tom")
    codes.code_verify(user, VerificationCode.Purpose.RESET_PASSWORD, code)
    assert user.check_password("Perm-pass-1")  # the hash stays; the status stops sign-in


def test_reset_password_prefers_a_verified_phone_by_default(idp, pool_id, make_user, sms_outbox):
    phone = sms_outbox.number()
    make_user(
        pool_id, "uma", email="uma@example.com", email_verified="true", phone_number=phone, phone_number_verified="true"
    )
    idp.admin_reset_user_password(UserPoolId=pool_id, Username="uma")
    assert list(deliveries(pool_id, "uma").values_list("medium", "destination")) == [("SMS", phone)]
    code_in(sms_outbox.next_message(phone).body)


def test_reset_password_follows_account_recovery_priorities(idp, make_pool, make_user, mailbox):
    recovery = {
        "RecoveryMechanisms": [
            {"Priority": 1, "Name": "verified_email"},
            {"Priority": 2, "Name": "verified_phone_number"},
        ]
    }
    pool_id = make_pool("rec", AccountRecoverySetting=recovery)["Id"]
    address = mailbox.address("vic")
    make_user(
        pool_id, "vic", email=address, email_verified="true", phone_number="+15550005555", phone_number_verified="true"
    )
    idp.admin_reset_user_password(UserPoolId=pool_id, Username="vic")
    assert list(deliveries(pool_id, "vic").values_list("medium", "destination")) == [("EMAIL", address)]
    code_in(mailbox.next_message(address).body)


def test_reset_password_without_a_verified_contact_still_requires_a_reset(idp, pool_id, make_user):
    # Pinned: the status changes; there is nowhere to send a code.
    make_user(pool_id, "wes", email="wes@example.com")  # not verified
    idp.admin_reset_user_password(UserPoolId=pool_id, Username="wes")
    assert idp.admin_get_user(UserPoolId=pool_id, Username="wes")["UserStatus"] == "RESET_REQUIRED"
    assert not deliveries(pool_id, "wes").exists()


def test_reset_password_errors(idp, pool_id):
    make_unconfirmed(pool_id, "xena")
    assert call_error(idp.admin_reset_user_password, UserPoolId=pool_id, Username="xena") == "NotAuthorizedException"
    assert call_error(idp.admin_reset_user_password, UserPoolId=pool_id, Username="nobody") == "UserNotFoundException"
    assert (
        call_error(idp.admin_reset_user_password, UserPoolId=UNKNOWN_POOL, Username="xena")
        == "ResourceNotFoundException"
    )


# --- AdminSetUserPassword ------------------------------------------------------------------------


def test_set_permanent_and_temporary_passwords(idp, pool_id, make_user):
    make_user(pool_id, "yan")
    idp.admin_set_user_password(UserPoolId=pool_id, Username="yan", Password="Perm-pass-1", Permanent=True)
    user = db_user(pool_id, "yan")
    assert user.status == "CONFIRMED" and user.check_password("Perm-pass-1")
    assert user.temporary_password_expires_at is None
    idp.admin_set_user_password(UserPoolId=pool_id, Username="yan", Password="Temp-pass-9")
    user = db_user(pool_id, "yan")
    assert user.status == "FORCE_CHANGE_PASSWORD" and user.check_password("Temp-pass-9")
    assert user.temporary_password_expires_at > timezone.now() + timedelta(days=6)


def test_set_password_confirms_an_unconfirmed_user(idp, pool_id):
    make_unconfirmed(pool_id, "zoe")
    idp.admin_set_user_password(UserPoolId=pool_id, Username="zoe", Password="Perm-pass-1", Permanent=True)
    assert idp.admin_get_user(UserPoolId=pool_id, Username="zoe")["UserStatus"] == "CONFIRMED"


def test_set_password_applies_policy_and_history(idp, make_pool, make_user):
    policy = {"MinimumLength": 8, "RequireNumbers": True, "PasswordHistorySize": 2}
    pool_id = make_pool("hist", Policies={"PasswordPolicy": policy})["Id"]
    make_user(pool_id, "abe", password="first-pass-1")
    set_password = idp.admin_set_user_password
    assert (
        call_error(set_password, UserPoolId=pool_id, Username="abe", Password="nonumbers", Permanent=True)
        == "InvalidPasswordException"
    )
    set_password(UserPoolId=pool_id, Username="abe", Password="second-pass-2", Permanent=True)
    assert (
        call_error(set_password, UserPoolId=pool_id, Username="abe", Password="second-pass-2", Permanent=True)
        == "PasswordHistoryPolicyViolationException"
    )
    assert (
        call_error(set_password, UserPoolId=pool_id, Username="abe", Password="first-pass-1", Permanent=True)
        == "PasswordHistoryPolicyViolationException"
    )
    set_password(UserPoolId=pool_id, Username="abe", Password="third-pass-3", Permanent=True)
    set_password(UserPoolId=pool_id, Username="abe", Password="fourth-pass-4", Permanent=True)
    set_password(UserPoolId=pool_id, Username="abe", Password="first-pass-1", Permanent=True)  # out of the window
    assert (
        call_error(set_password, UserPoolId=pool_id, Username="nobody", Password="Perm-pass-1")
        == "UserNotFoundException"
    )


# --- AdminConfirmSignUp -----------------------------------------------------------------------------


def test_admin_confirm_sign_up(idp, pool_id, make_user):
    make_unconfirmed(pool_id, "bea")
    idp.admin_confirm_sign_up(UserPoolId=pool_id, Username="bea")
    assert idp.admin_get_user(UserPoolId=pool_id, Username="bea")["UserStatus"] == "CONFIRMED"
    assert call_error(idp.admin_confirm_sign_up, UserPoolId=pool_id, Username="bea") == "NotAuthorizedException"
    make_user(pool_id, "cal")  # FORCE_CHANGE_PASSWORD
    assert call_error(idp.admin_confirm_sign_up, UserPoolId=pool_id, Username="cal") == "NotAuthorizedException"
    assert call_error(idp.admin_confirm_sign_up, UserPoolId=pool_id, Username="nobody") == "UserNotFoundException"


# --- AdminUpdateUserAttributes ----------------------------------------------------------------------


def test_update_attributes(idp, pool_id, make_user):
    make_user(pool_id, "dan", email="dan@example.com", email_verified="true", given_name="Dan")
    before = idp.admin_get_user(UserPoolId=pool_id, Username="dan")["UserLastModifiedDate"]
    time.sleep(0.01)
    idp.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username="dan",
        UserAttributes=[{"Name": "given_name", "Value": "Daniel"}, {"Name": "family_name", "Value": "Doe"}],
    )
    got = idp.admin_get_user(UserPoolId=pool_id, Username="dan")
    values = attrs(got["UserAttributes"])
    assert values["given_name"] == "Daniel" and values["family_name"] == "Doe"
    assert values["email_verified"] == "true"  # email untouched
    assert got["UserLastModifiedDate"] > before
    assert db_user(pool_id, "dan").family_name == "Doe"  # mirrored for ListUsers


def test_a_changed_email_is_unverified_unless_the_request_verifies_it(idp, pool_id, make_user):
    make_user(pool_id, "eve", email="eve@example.com", email_verified="true")
    update = idp.admin_update_user_attributes
    update(UserPoolId=pool_id, Username="eve", UserAttributes=[{"Name": "email", "Value": "eve2@example.com"}])
    values = attrs(idp.admin_get_user(UserPoolId=pool_id, Username="eve")["UserAttributes"])
    assert values["email"] == "eve2@example.com" and values["email_verified"] == "false"
    assert not deliveries(pool_id, "eve").exists()  # the pool does not auto-verify email
    update(
        UserPoolId=pool_id,
        Username="eve",
        UserAttributes=[{"Name": "email", "Value": "eve3@example.com"}, {"Name": "email_verified", "Value": "true"}],
    )
    values = attrs(idp.admin_get_user(UserPoolId=pool_id, Username="eve")["UserAttributes"])
    assert values["email"] == "eve3@example.com" and values["email_verified"] == "true"


def test_a_changed_auto_verified_email_gets_a_code(idp, make_pool, make_user, mailbox):
    pool_id = make_pool("auto", AutoVerifiedAttributes=["email"])["Id"]
    make_user(pool_id, "fay", email=mailbox.address("fay"), email_verified="true")
    address = mailbox.address("fay2")
    idp.admin_update_user_attributes(
        UserPoolId=pool_id, Username="fay", UserAttributes=[{"Name": "email", "Value": address}]
    )
    code = code_in(mailbox.next_message(address).body)
    codes.code_verify(db_user(pool_id, "fay"), VerificationCode.Purpose.VERIFY_EMAIL, code)


def test_an_empty_value_removes_an_attribute(idp, pool_id, make_user):
    make_user(pool_id, "gus", email="gus@example.com", email_verified="true", nickname="g")
    idp.admin_update_user_attributes(
        UserPoolId=pool_id,
        Username="gus",
        UserAttributes=[{"Name": "nickname", "Value": ""}, {"Name": "email", "Value": ""}],
    )
    values = attrs(idp.admin_get_user(UserPoolId=pool_id, Username="gus")["UserAttributes"])
    assert "nickname" not in values and "email" not in values and "email_verified" not in values


def test_developer_only_and_immutable_custom_attributes(idp, make_pool, make_user):
    schema = [
        {"Name": "secret", "AttributeDataType": "String", "DeveloperOnlyAttribute": True},
        {"Name": "badge", "AttributeDataType": "Number", "Mutable": False},
    ]
    pool_id = make_pool("custom", Schema=schema)["Id"]
    make_user(pool_id, "hal")
    update = idp.admin_update_user_attributes
    update(
        UserPoolId=pool_id,
        Username="hal",
        UserAttributes=[{"Name": "custom:secret", "Value": "s3"}, {"Name": "custom:badge", "Value": "7"}],
    )
    values = attrs(idp.admin_get_user(UserPoolId=pool_id, Username="hal")["UserAttributes"])
    assert values["dev:custom:secret"] == "s3" and values["custom:badge"] == "7"
    assert (
        call_error(update, UserPoolId=pool_id, Username="hal", UserAttributes=[{"Name": "custom:badge", "Value": "8"}])
        == "InvalidParameterException"
    )
    update(UserPoolId=pool_id, Username="hal", UserAttributes=[{"Name": "custom:badge", "Value": "7"}])  # unchanged


def test_update_attributes_alias_conflicts(idp, make_pool, make_user):
    pool_id = make_pool("alias2", AliasAttributes=["email", "preferred_username"])["Id"]
    make_user(pool_id, "ian", preferred_username="ianny")
    make_user(pool_id, "jen")
    code = call_error(
        idp.admin_update_user_attributes,
        UserPoolId=pool_id,
        Username="jen",
        UserAttributes=[{"Name": "preferred_username", "Value": "ianny"}],
    )
    assert code == "AliasExistsException"

    by_email = make_pool("byemail2", UsernameAttributes=["email"])["Id"]
    idp.admin_create_user(UserPoolId=by_email, Username="kim@example.com", MessageAction="SUPPRESS")
    idp.admin_create_user(UserPoolId=by_email, Username="lee@example.com", MessageAction="SUPPRESS")
    code = call_error(
        idp.admin_update_user_attributes,
        UserPoolId=by_email,
        Username="lee@example.com",
        UserAttributes=[{"Name": "email", "Value": "KIM@example.com"}],
    )
    assert code == "AliasExistsException"
    code = call_error(
        idp.admin_update_user_attributes,
        UserPoolId=by_email,
        Username="lee@example.com",
        UserAttributes=[{"Name": "email", "Value": ""}],
    )
    assert code == "InvalidParameterException"


@pytest.mark.parametrize(
    "attributes",
    [
        [{"Name": "sub", "Value": "00000000-0000-0000-0000-000000000000"}],
        [{"Name": "nope", "Value": "x"}],
        [{"Name": "phone_number", "Value": "555"}],
        [{"Name": "email_verified", "Value": "maybe"}],
        [{"Name": "phone_number_verified", "Value": "true"}],
        [{"Name": "given_name", "Value": "a"}, {"Name": "given_name", "Value": "b"}],
        [{"Name": "email", "Value": ""}],
    ],
)
def test_update_attributes_rejects_bad_input(idp, make_pool, make_user, attributes):
    pool_id = make_pool("req", Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True}])["Id"]
    make_user(pool_id, "max", email="max@example.com")
    code = call_error(idp.admin_update_user_attributes, UserPoolId=pool_id, Username="max", UserAttributes=attributes)
    assert code == "InvalidParameterException"


def test_update_attributes_unknown_user_or_pool(idp, pool_id):
    update = idp.admin_update_user_attributes
    attributes = [{"Name": "name", "Value": "x"}]
    assert (
        call_error(update, UserPoolId=pool_id, Username="nobody", UserAttributes=attributes) == "UserNotFoundException"
    )
    assert (
        call_error(update, UserPoolId=UNKNOWN_POOL, Username="x", UserAttributes=attributes)
        == "ResourceNotFoundException"
    )


# --- AdminDeleteUserAttributes ---------------------------------------------------------------------


def test_delete_attributes(idp, pool_id, make_user):
    make_user(pool_id, "ned", email="ned@example.com", email_verified="true", nickname="n", locale="en")
    idp.admin_delete_user_attributes(UserPoolId=pool_id, Username="ned", UserAttributeNames=["email", "nickname"])
    values = attrs(idp.admin_get_user(UserPoolId=pool_id, Username="ned")["UserAttributes"])
    assert set(values) == {"sub", "locale"}
    assert db_user(pool_id, "ned").email == ""
    idp.admin_delete_user_attributes(UserPoolId=pool_id, Username="ned", UserAttributeNames=["nickname"])  # not set


@pytest.mark.parametrize("names", [["email"], ["sub"], ["nope"], ["custom:badge"]])
def test_delete_attributes_rejects(idp, make_pool, make_user, names):
    pool_id = make_pool(
        "req2",
        Schema=[
            {"Name": "email", "AttributeDataType": "String", "Required": True},
            {"Name": "badge", "AttributeDataType": "String", "Mutable": False},
        ],
    )["Id"]
    make_user(pool_id, "ola", email="ola@example.com", **{"custom:badge": "b"})
    code = call_error(idp.admin_delete_user_attributes, UserPoolId=pool_id, Username="ola", UserAttributeNames=names)
    assert code == "InvalidParameterException"


def test_delete_attributes_unknown_user(idp, pool_id):
    code = call_error(
        idp.admin_delete_user_attributes, UserPoolId=pool_id, Username="nobody", UserAttributeNames=["name"]
    )
    assert code == "UserNotFoundException"
