"""TOTP authenticators and the SOFTWARE_TOKEN_MFA, SELECT_MFA_TYPE and MFA_SETUP challenges."""

from __future__ import annotations

import time

import pyotp
import pytest
from botocore.exceptions import ClientError
from django.db import connection

from tests.auth.conftest import PASSWORD, assert_signed_in, call_error, user_named
from tests.mfa.conftest import access_token, next_code, password_sign_in, totp_enroll
from userpools.models import SoftwareToken

pytestmark = pytest.mark.django_db(transaction=True)


def test_associate_and_verify_by_access_token(public, mfa_pool, make_user):
    pool_id, client = mfa_pool()
    make_user(pool_id, "alice")
    token = access_token(public, client, "alice")
    secret = public.associate_software_token(AccessToken=token)["SecretCode"]
    assert len(secret) == 32 and pyotp.TOTP(secret).now()
    record = SoftwareToken.objects.get(user__username="alice")
    assert not record.confirmed and record.pending_secret == secret
    with connection.cursor() as cursor:  # encrypted at rest
        cursor.execute(f"SELECT pending_secret FROM {SoftwareToken._meta.db_table}")
        stored = [row[0] for row in cursor.fetchall()]
    assert stored and all(secret not in value for value in stored)
    code = call_error(public.verify_software_token, AccessToken=token, UserCode="000000")
    assert code == "EnableSoftwareTokenMFAException"
    result = public.verify_software_token(
        AccessToken=token, UserCode=pyotp.TOTP(secret).now(), FriendlyDeviceName="my phone"
    )
    assert result["Status"] == "SUCCESS"
    record.refresh_from_db()
    assert record.confirmed and record.name == "my phone"


def test_verify_without_association(public, mfa_pool, make_user):
    pool_id, client = mfa_pool()
    make_user(pool_id, "alice")
    token = access_token(public, client, "alice")
    assert (
        call_error(public.verify_software_token, AccessToken=token, UserCode="123456")
        == "SoftwareTokenMFANotFoundException"
    )


def test_enabling_totp_needs_a_verified_authenticator(public, mfa_pool, make_user):
    pool_id, client = mfa_pool()
    make_user(pool_id, "alice")
    token = access_token(public, client, "alice")
    code = call_error(
        public.set_user_mfa_preference,
        AccessToken=token,
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    assert code == "InvalidParameterException"


def test_optional_mfa_with_totp_enabled_asks_for_a_code(public, mfa_pool, make_user):
    pool_id, client = mfa_pool()
    user = make_user(pool_id, "alice")
    token = access_token(public, client, "alice")
    totp = totp_enroll(public, token)
    public.set_user_mfa_preference(AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    got = public.get_user(AccessToken=token)
    assert got["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"] and got["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"

    answer = password_sign_in(public, client, "alice")
    assert answer["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert answer["ChallengeParameters"]["FRIENDLY_DEVICE_NAME"] == "phone"
    code = call_error(
        public.respond_to_auth_challenge,
        ClientId=client["ClientId"],
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=answer["Session"],
        ChallengeResponses={"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": "000000"},
    )
    assert code == "CodeMismatchException"
    result = public.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=answer["Session"],
        ChallengeResponses={"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": next_code(totp)},
    )
    assert_signed_in(result, user, client["ClientId"])


def test_a_totp_code_is_good_once(public, mfa_pool, make_user):
    pool_id, client = mfa_pool()
    make_user(pool_id, "alice")
    token = access_token(public, client, "alice")
    totp = totp_enroll(public, token)
    public.set_user_mfa_preference(AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    code = next_code(totp)
    first = password_sign_in(public, client, "alice")
    public.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=first["Session"],
        ChallengeResponses={"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": code},
    )
    second = password_sign_in(public, client, "alice")
    assert (
        call_error(
            public.respond_to_auth_challenge,
            ClientId=client["ClientId"],
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=second["Session"],
            ChallengeResponses={"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": code},
        )
        == "CodeMismatchException"
    )


def test_three_wrong_codes_spend_the_session(public, mfa_pool, make_user):
    pool_id, client = mfa_pool()
    make_user(pool_id, "alice")
    token = access_token(public, client, "alice")
    totp = totp_enroll(public, token)
    public.set_user_mfa_preference(AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    answer = password_sign_in(public, client, "alice")

    def respond(code: str) -> str:
        return call_error(
            public.respond_to_auth_challenge,
            ClientId=client["ClientId"],
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=answer["Session"],
            ChallengeResponses={"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": code},
        )

    assert [respond("000000") for _ in range(3)] == ["CodeMismatchException"] * 3
    assert respond(next_code(totp)) == "NotAuthorizedException"


def test_mfa_on_without_a_factor_sets_one_up(public, mfa_pool, make_user):
    pool_id, client = mfa_pool("ON", sms=False)
    user = make_user(pool_id, "bob")
    answer = password_sign_in(public, client, "bob")
    assert answer["ChallengeName"] == "MFA_SETUP"
    assert answer["ChallengeParameters"]["MFAS_CAN_SETUP"] == '["SOFTWARE_TOKEN_MFA"]'
    # Answering before setting up is refused.
    assert (
        call_error(
            public.respond_to_auth_challenge,
            ClientId=client["ClientId"],
            ChallengeName="MFA_SETUP",
            Session=answer["Session"],
            ChallengeResponses={"USERNAME": "bob"},
        )
        == "InvalidParameterException"
    )
    associated = public.associate_software_token(Session=answer["Session"])
    totp = pyotp.TOTP(associated["SecretCode"])
    verified = public.verify_software_token(Session=associated["Session"], UserCode=totp.now())
    assert verified["Status"] == "SUCCESS" and verified["Session"]
    result = public.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": "bob"},
    )
    assert_signed_in(result, user, client["ClientId"])
    # From now on the authenticator is the user's preferred factor.
    assert user_named(pool_id, "bob").mfa_preferred == "SOFTWARE_TOKEN_MFA"
    assert password_sign_in(public, client, "bob")["ChallengeName"] == "SOFTWARE_TOKEN_MFA"


def test_setup_sessions_are_single_use(public, mfa_pool, make_user):
    pool_id, client = mfa_pool("ON", sms=False)
    make_user(pool_id, "bob")
    answer = password_sign_in(public, client, "bob")
    public.associate_software_token(Session=answer["Session"])
    assert call_error(public.associate_software_token, Session=answer["Session"]) == "NotAuthorizedException"


def test_access_token_and_session_are_exclusive(public, mfa_pool, make_user):
    pool_id, client = mfa_pool("ON", sms=False)
    make_user(pool_id, "bob")
    assert call_error(public.associate_software_token) == "InvalidParameterException"


def test_select_mfa_type_when_several_and_none_preferred(public, mfa_pool, make_user, sms_outbox):
    pool_id, client = mfa_pool()
    number = sms_outbox.number()
    user = make_user(pool_id, "carol", phone=number)
    token = access_token(public, client, "carol")
    totp = totp_enroll(public, token)
    public.set_user_mfa_preference(
        AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True}, SMSMfaSettings={"Enabled": True}
    )
    answer = password_sign_in(public, client, "carol")
    assert answer["ChallengeName"] == "SELECT_MFA_TYPE"
    assert answer["ChallengeParameters"]["MFAS_CAN_CHOOSE"] == '["SMS_MFA", "SOFTWARE_TOKEN_MFA"]'
    chosen = public.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="SELECT_MFA_TYPE",
        Session=answer["Session"],
        ChallengeResponses={"USERNAME": "carol", "ANSWER": "SOFTWARE_TOKEN_MFA"},
    )
    assert chosen["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    result = public.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=chosen["Session"],
        ChallengeResponses={"USERNAME": "carol", "SOFTWARE_TOKEN_MFA_CODE": next_code(totp)},
    )
    assert_signed_in(result, user, client["ClientId"])
    assert sms_outbox.messages_to(number) == []  # no SMS for a sign-in that chose TOTP


def test_admin_delete_software_token(idp, public, mfa_pool, make_user):
    pool_id, client = mfa_pool()
    make_user(pool_id, "alice")
    token = access_token(public, client, "alice")
    totp_enroll(public, token)
    public.set_user_mfa_preference(AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    idp.admin_delete_software_token(UserPoolId=pool_id, Username="alice")
    assert idp.admin_get_user(UserPoolId=pool_id, Username="alice")["UserMFASettingList"] == []
    assert "AuthenticationResult" in password_sign_in(public, client, "alice")


def test_srp_sign_in_passes_mfa_too(public, mfa_pool, make_user):
    from userpools import srp

    pool_id, client = mfa_pool()
    user = make_user(pool_id, "alice")
    token = access_token(public, client, "alice")
    totp = totp_enroll(public, token)
    public.set_user_mfa_preference(AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    helper = srp.Client(pool_id)
    challenge = public.initiate_auth(
        ClientId=client["ClientId"],
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={"USERNAME": "alice", "SRP_A": helper.srp_a},
    )
    answer = public.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=helper.respond(challenge["ChallengeParameters"], PASSWORD),
    )
    assert answer["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    result = public.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=answer["Session"],
        ChallengeResponses={"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": next_code(totp)},
    )
    assert_signed_in(result, user, client["ClientId"])


def test_verify_accepts_one_step_of_drift(public, mfa_pool, make_user):
    pool_id, client = mfa_pool()
    make_user(pool_id, "alice")
    token = access_token(public, client, "alice")
    secret = public.associate_software_token(AccessToken=token)["SecretCode"]
    stale = pyotp.TOTP(secret).at(time.time() - 30)
    assert public.verify_software_token(AccessToken=token, UserCode=stale)["Status"] == "SUCCESS"
    try:
        far = pyotp.TOTP(secret).at(time.time() - 120)
        public.associate_software_token(AccessToken=token)
        public.verify_software_token(AccessToken=token, UserCode=far)
        raise AssertionError("a code two minutes old was accepted")
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "EnableSoftwareTokenMFAException"
