"""SMS_MFA and EMAIL_OTP: codes sent through the delivery layer, MFA ON vs OPTIONAL, preferences."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.auth.conftest import assert_signed_in, call_error, user_named
from tests.mfa.conftest import access_token, password_sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def respond(api, client, answer, name: str, key: str, code: str, username: str):
    return api.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName=name,
        Session=answer["Session"],
        ChallengeResponses={"USERNAME": username, key: code},
    )


def respond_error(*args) -> str:
    with pytest.raises(ClientError) as exc:
        respond(*args)
    return exc.value.response["Error"]["Code"]


def test_mfa_on_uses_sms_for_a_user_with_a_phone(public, mfa_pool, make_user, sms_outbox):
    pool_id, client = mfa_pool("ON", totp=False)
    number = sms_outbox.number()
    user = make_user(pool_id, "dan", phone=number)
    answer = password_sign_in(public, client, "dan")
    assert answer["ChallengeName"] == "SMS_MFA"
    params = answer["ChallengeParameters"]
    assert params["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
    assert (
        params["CODE_DELIVERY_DESTINATION"].endswith(number[-4:]) and number not in params["CODE_DELIVERY_DESTINATION"]
    )
    message = sms_outbox.next_message(number)
    assert message.body.startswith("Your sign-in code is ")  # the pool's SmsAuthenticationMessage
    wrong = "000000" if message.code != "000000" else "111111"
    assert respond_error(public, client, answer, "SMS_MFA", "SMS_MFA_CODE", wrong, "dan") == "CodeMismatchException"
    result = respond(public, client, answer, "SMS_MFA", "SMS_MFA_CODE", message.code, "dan")
    assert_signed_in(result, user, client["ClientId"])
    # The session is spent: the same code does not sign in twice.
    assert (
        respond_error(public, client, answer, "SMS_MFA", "SMS_MFA_CODE", message.code, "dan")
        == "NotAuthorizedException"
    )


def test_optional_mfa_asks_only_users_who_enabled_a_factor(public, mfa_pool, make_user, sms_outbox):
    pool_id, client = mfa_pool("OPTIONAL", totp=False)
    number = sms_outbox.number()
    make_user(pool_id, "erin", phone=number)
    assert "AuthenticationResult" in password_sign_in(public, client, "erin")
    token = access_token(public, client, "erin")
    public.set_user_mfa_preference(AccessToken=token, SMSMfaSettings={"Enabled": True, "PreferredMfa": True})
    assert password_sign_in(public, client, "erin")["ChallengeName"] == "SMS_MFA"
    public.set_user_mfa_preference(AccessToken=token, SMSMfaSettings={"Enabled": False})
    assert "AuthenticationResult" in password_sign_in(public, client, "erin")


def test_legacy_set_user_settings_toggles_sms(idp, public, mfa_pool, make_user, sms_outbox):
    pool_id, client = mfa_pool("OPTIONAL", totp=False)
    make_user(pool_id, "fay", phone=sms_outbox.number())
    token = access_token(public, client, "fay")
    public.set_user_settings(AccessToken=token, MFAOptions=[{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}])
    got = idp.admin_get_user(UserPoolId=pool_id, Username="fay")
    assert got["MFAOptions"] == [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
    assert got["UserMFASettingList"] == ["SMS_MFA"]
    assert password_sign_in(public, client, "fay")["ChallengeName"] == "SMS_MFA"
    idp.admin_set_user_settings(UserPoolId=pool_id, Username="fay", MFAOptions=[])
    assert idp.admin_get_user(UserPoolId=pool_id, Username="fay")["MFAOptions"] == []


def test_email_otp(idp, public, mfa_pool, make_user, mailbox):
    pool_id, client = mfa_pool("OPTIONAL", sms=False, totp=False, email=True)
    address = mailbox.address("gus")
    user = make_user(pool_id, "gus", email=address)
    idp.admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username="gus", EmailMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    answer = password_sign_in(public, client, "gus")
    assert answer["ChallengeName"] == "EMAIL_OTP"
    assert answer["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    message = mailbox.next_message(address)
    assert message.subject == "Your code" and "Sign in with" in message.body
    result = respond(public, client, answer, "EMAIL_OTP", "EMAIL_OTP_CODE", message.code, "gus")
    assert_signed_in(result, user, client["ClientId"])


def test_email_mfa_cannot_be_enabled_where_the_pool_lacks_it(idp, mfa_pool, make_user):
    pool_id, _ = mfa_pool("OPTIONAL", totp=True, sms=False)
    make_user(pool_id, "hal", email="hal@example.com")
    code = call_error(
        idp.admin_set_user_mfa_preference, UserPoolId=pool_id, Username="hal", EmailMfaSettings={"Enabled": True}
    )
    assert code == "InvalidParameterException"


def test_two_preferred_factors_are_refused(idp, mfa_pool, make_user):
    pool_id, _ = mfa_pool()
    make_user(pool_id, "ida", phone="+15550000001")
    code = call_error(
        idp.admin_set_user_mfa_preference,
        UserPoolId=pool_id,
        Username="ida",
        SMSMfaSettings={"Enabled": True, "PreferredMfa": True},
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    assert code == "InvalidParameterException"
    assert user_named(pool_id, "ida").mfa_enabled == []  # nothing half-applied


def test_mfa_off_asks_nothing(public, mfa_pool, make_user, idp):
    pool_id, client = mfa_pool("OPTIONAL", totp=False)
    make_user(pool_id, "jo", phone="+15550000002")
    idp.admin_set_user_mfa_preference(UserPoolId=pool_id, Username="jo", SMSMfaSettings={"Enabled": True})
    idp.set_user_pool_mfa_config(UserPoolId=pool_id, MfaConfiguration="OFF")
    assert "AuthenticationResult" in password_sign_in(public, client, "jo")
