"""USER_AUTH with the passwordless first factors EMAIL_OTP and SMS_OTP; GetUserAuthFactors."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.auth.conftest import assert_signed_in, call_error
from tests.mfa.conftest import EMAIL_CONFIGURATION, SMS_CONFIGURATION

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def passwordless(idp, make_pool, make_client):
    """A pool whose first factors are PASSWORD, EMAIL_OTP and SMS_OTP, and a USER_AUTH client."""
    pool_id = make_pool(
        EmailConfiguration=EMAIL_CONFIGURATION,
        SmsConfiguration=SMS_CONFIGURATION,
        Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP", "SMS_OTP"]}},
        AutoVerifiedAttributes=["email"],
    )["Id"]
    return pool_id, make_client(pool_id, ExplicitAuthFlows=["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])


def start(api, client, username, **params):
    return api.initiate_auth(
        ClientId=client["ClientId"], AuthFlow="USER_AUTH", AuthParameters={"USERNAME": username, **params}
    )


def answer(api, client, session, name, key, code, username):
    return api.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName=name,
        Session=session,
        ChallengeResponses={"USERNAME": username, key: code},
    )


def test_email_otp_signs_in_without_a_password(public, passwordless, make_user, mailbox):
    pool_id, client = passwordless
    address = mailbox.address("kim")
    user = make_user(pool_id, "kim", email=address)
    challenge = start(public, client, "kim", PREFERRED_CHALLENGE="EMAIL_OTP")
    assert challenge["ChallengeName"] == "EMAIL_OTP"
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    code = mailbox.code_for(address)
    result = answer(public, client, challenge["Session"], "EMAIL_OTP", "EMAIL_OTP_CODE", code, "kim")
    assert_signed_in(result, user, client["ClientId"])


def test_sms_otp_through_select_challenge(public, passwordless, make_user, sms_outbox):
    pool_id, client = passwordless
    number = sms_outbox.number()
    user = make_user(pool_id, "lee", phone=number)
    selection = start(public, client, "lee")
    assert selection["ChallengeName"] == "SELECT_CHALLENGE"
    assert selection["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP", "SMS_OTP"]  # no e-mail address
    challenge = public.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="SELECT_CHALLENGE",
        Session=selection["Session"],
        ChallengeResponses={"USERNAME": "lee", "ANSWER": "SMS_OTP"},
    )
    assert challenge["ChallengeName"] == "SMS_OTP"
    code = sms_outbox.next_message(number).code
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(ClientError) as exc:
        answer(public, client, challenge["Session"], "SMS_OTP", "SMS_OTP_CODE", wrong, "lee")
    assert exc.value.response["Error"]["Code"] == "CodeMismatchException"
    result = answer(public, client, challenge["Session"], "SMS_OTP", "SMS_OTP_CODE", code, "lee")
    assert_signed_in(result, user, client["ClientId"])


def test_an_unverified_address_is_not_offered(public, passwordless, make_user):
    pool_id, client = passwordless
    make_user(pool_id, "max", email="max@example.com", verified=False)
    assert start(public, client, "max")["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP"]


def test_unknown_user_gets_a_challenge_no_code_passes(idp, public, passwordless, mailbox):
    pool_id, client = passwordless
    idp.update_user_pool_client(
        UserPoolId=pool_id,
        ClientId=client["ClientId"],
        PreventUserExistenceErrors="ENABLED",
        ExplicitAuthFlows=["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )
    challenge = start(public, client, "ghost@example.com", PREFERRED_CHALLENGE="EMAIL_OTP")
    assert challenge["ChallengeName"] == "EMAIL_OTP"
    with pytest.raises(ClientError) as exc:
        answer(public, client, challenge["Session"], "EMAIL_OTP", "EMAIL_OTP_CODE", "123456", "ghost@example.com")
    assert exc.value.response["Error"]["Code"] == "CodeMismatchException"


def test_user_auth_factors(idp, public, passwordless, make_user, mailbox):
    pool_id, client = passwordless
    make_user(pool_id, "ned", email=mailbox.address("ned"))
    factors = idp.admin_get_user_auth_factors(UserPoolId=pool_id, Username="ned")
    assert factors["ConfiguredUserAuthFactors"] == ["PASSWORD", "EMAIL_OTP"]
    assert factors["UserMFASettingList"] == [] and "PreferredMfaSetting" not in factors
    tokens = start(public, client, "ned", PREFERRED_CHALLENGE="PASSWORD", PASSWORD="Passw0rd!")  # PASSWORD of make_user
    own = public.get_user_auth_factors(AccessToken=tokens["AuthenticationResult"]["AccessToken"])
    assert own["Username"] == "ned" and own["ConfiguredUserAuthFactors"] == ["PASSWORD", "EMAIL_OTP"]


def test_first_factor_not_allowed_by_the_pool(public, signin, make_user):
    pool_id, client = signin(ExplicitAuthFlows=["ALLOW_USER_AUTH"])
    make_user(pool_id, "oz", email="oz@example.com")
    selection = start(public, client, "oz")
    code = call_error(
        public.respond_to_auth_challenge,
        ClientId=client["ClientId"],
        ChallengeName="SELECT_CHALLENGE",
        Session=selection["Session"],
        ChallengeResponses={"USERNAME": "oz", "ANSWER": "EMAIL_OTP"},
    )
    assert code == "InvalidParameterException"
