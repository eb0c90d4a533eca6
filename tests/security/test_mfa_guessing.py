"""Attack: guessing MFA and one-time sign-in codes, and bombing a user with codes (G0, finding 4).

Before the fix, 15 wrong TOTP codes over 5 fresh sign-ins (three a session) counted for
nothing and the right code still got tokens: every sign-in with the password bought three
more guesses. A wrong SMS_MFA / EMAIL_OTP / SOFTWARE_TOKEN_MFA code, and a wrong
passwordless EMAIL_OTP / SMS_OTP code, now counts towards the user's lockout exactly as a
wrong password does (userpools.signin.lockout: the same counter and schedule); while locked
out even the right code is refused; only a sign-in that passes every factor resets the
count (a right password followed by wrong codes does not).

And 8 USER_AUTH EMAIL_OTP starts sent 8 e-mails: sign-in codes are now limited per user
like other codes (userpools.services.outreach.send_throttle), TooManyRequestsException past
the limit (InitiateAuth's model has no LimitExceededException).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError
from django.utils import timezone

from tests.auth.conftest import assert_signed_in
from tests.mfa.conftest import (  # noqa: F401 - fixtures
    EMAIL_CONFIGURATION,
    access_token,
    mfa_pool,
    next_code,
    password_sign_in,
    signin,
    totp_enroll,
)
from tests.selfservice.conftest import idp, make_user, public  # noqa: F401 - fixtures
from userpools.models import Delivery, User
from userpools.services.outreach import SEND_LIMIT
from userpools.signin import FREE_FAILURES

pytestmark = pytest.mark.django_db(transaction=True)

WRONG_CODES_PER_SESSION = 3  # userpools.signin.MAX_CODE_ATTEMPTS


def _code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def _answer_totp(api, client, session, username, code):
    return api.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=session,
        ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code},
    )


def _wrong(code: str) -> str:
    return f"{(int(code) + 500_000) % 1_000_000:06d}"


@pytest.fixture
def totp_user(public, idp, mfa_pool, make_user):  # noqa: F811 - fixtures
    """(client, username, authenticator): a user whose sign-ins ask for a TOTP code."""
    pool_id, client = mfa_pool("OPTIONAL", sms=False, totp=True)
    make_user(pool_id, "mallory-target")
    totp = totp_enroll(public, access_token(public, client, "mallory-target"))
    idp.admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username="mallory-target", SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    return client, "mallory-target", totp


def test_wrong_totp_codes_over_fresh_sign_ins_lock_the_user_out(public, totp_user):  # noqa: F811 - fixtures
    client, username, totp = totp_user
    spare = password_sign_in(public, client, username)  # answered with the right code at the end
    assert spare["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    answers = []
    for _ in range(5):  # 15 wrong codes over 5 fresh sign-ins, as the attacker holding the password did
        try:
            session = password_sign_in(public, client, username)["Session"]
        except ClientError as exc:
            answers.append(exc.response["Error"]["Code"])  # locked out at the password already
            continue
        for _ in range(WRONG_CODES_PER_SESSION):
            with pytest.raises(ClientError) as exc:
                _answer_totp(public, client, session, username, _wrong(totp.now()))
            answers.append(_code(exc))
    assert set(answers) <= {"CodeMismatchException", "NotAuthorizedException"}, answers

    user = User.objects.get(pool__isnull=False, username=username)
    # Counted as wrong passwords are (before the fix: 0 and never locked).
    assert user.failed_sign_ins >= FREE_FAILURES and user.locked_until is not None, answers
    # While locked out, the right code is refused too (the lockout made long enough not to race the test).
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() + timedelta(minutes=1))
    with pytest.raises(ClientError) as exc:
        _answer_totp(public, client, spare["Session"], username, next_code(totp))
    assert _code(exc) == "NotAuthorizedException"

    # Once the lockout is over, password and right code sign in, and that clears the count.
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    session = password_sign_in(public, client, username)["Session"]
    result = _answer_totp(public, client, session, username, next_code(totp))
    assert_signed_in(result, user, client["ClientId"])
    user.refresh_from_db()
    assert (user.failed_sign_ins, user.locked_until) == (0, None)


def test_a_right_password_does_not_reset_what_wrong_codes_counted(public, totp_user):  # noqa: F811 - fixtures
    """Else the attacker, who holds the password, resets the count with every sign-in."""
    client, username, totp = totp_user
    for _ in range(2):
        session = password_sign_in(public, client, username)["Session"]
        with pytest.raises(ClientError) as exc:
            _answer_totp(public, client, session, username, _wrong(totp.now()))
        assert _code(exc) == "CodeMismatchException"
    assert User.objects.get(pool__isnull=False, username=username).failed_sign_ins == 2


@pytest.fixture
def passwordless(idp, make_pool, make_client):  # noqa: F811 - fixtures
    """A pool whose first factors include EMAIL_OTP, and a USER_AUTH client."""
    pool_id = make_pool(
        EmailConfiguration=EMAIL_CONFIGURATION,
        Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}},
        AutoVerifiedAttributes=["email"],
    )["Id"]
    return pool_id, make_client(pool_id, ExplicitAuthFlows=["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])


def _otp_start(api, client, username):
    return api.initiate_auth(
        ClientId=client["ClientId"],
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": username, "PREFERRED_CHALLENGE": "EMAIL_OTP"},
    )


def _otp_answer(api, client, session, username, code):
    return api.respond_to_auth_challenge(
        ClientId=client["ClientId"],
        ChallengeName="EMAIL_OTP",
        Session=session,
        ChallengeResponses={"USERNAME": username, "EMAIL_OTP_CODE": code},
    )


def test_wrong_passwordless_codes_lock_the_user_out(public, passwordless, make_user, mailbox):  # noqa: F811 - fixtures
    pool_id, client = passwordless
    address = mailbox.address("otp-target")
    user = make_user(pool_id, "otp-target", email=address)
    answers = []
    for _ in range(2):  # 6 wrong codes over 2 sign-ins
        session = _otp_start(public, client, "otp-target")["Session"]
        code = mailbox.code_for(address)
        for _ in range(WRONG_CODES_PER_SESSION):
            with pytest.raises(ClientError) as exc:
                _otp_answer(public, client, session, "otp-target", _wrong(code))
            answers.append(_code(exc))
    assert set(answers) <= {"CodeMismatchException", "NotAuthorizedException"}, answers
    user.refresh_from_db()
    assert user.failed_sign_ins >= FREE_FAILURES and user.locked_until is not None, answers

    # Locked out: the right code of a fresh challenge is refused.
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() + timedelta(minutes=1))
    session = _otp_start(public, client, "otp-target")["Session"]
    code = mailbox.code_for(address)
    with pytest.raises(ClientError) as exc:
        _otp_answer(public, client, session, "otp-target", code)
    assert _code(exc) == "NotAuthorizedException"


def test_sign_in_codes_are_throttled(public, passwordless, make_user, mailbox):  # noqa: F811 - fixtures
    """8 EMAIL_OTP starts for one user: SEND_LIMIT e-mails, then TooManyRequestsException."""
    pool_id, client = passwordless
    address = mailbox.address("bombed")
    make_user(pool_id, "bombed", email=address)
    answers = []
    for _ in range(8):
        try:
            answers.append(_otp_start(public, client, "bombed")["ChallengeName"])
        except ClientError as exc:
            answers.append(exc.response["Error"]["Code"])
    assert answers == ["EMAIL_OTP"] * SEND_LIMIT + ["TooManyRequestsException"] * (8 - SEND_LIMIT)
    assert Delivery.objects.filter(destination=address).count() == SEND_LIMIT


def test_mfa_codes_are_throttled(public, idp, mfa_pool, make_user, mailbox):  # noqa: F811 - fixtures
    """EMAIL_OTP as MFA after the password: the same limit."""
    pool_id, client = mfa_pool("OPTIONAL", sms=False, totp=False, email=True)
    address = mailbox.address("mfa-bombed")
    make_user(pool_id, "mfa-bombed", email=address)
    idp.admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username="mfa-bombed", EmailMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    answers = []
    for _ in range(SEND_LIMIT + 2):
        try:
            answers.append(password_sign_in(public, client, "mfa-bombed")["ChallengeName"])
        except ClientError as exc:
            answers.append(exc.response["Error"]["Code"])
    assert answers == ["EMAIL_OTP"] * SEND_LIMIT + ["TooManyRequestsException"] * 2
    assert Delivery.objects.filter(destination=address).count() == SEND_LIMIT
