"""Attack: telling real users from unknown usernames with PreventUserExistenceErrors ENABLED
(G0, finding 7).

Before the fix: only real users reached "Password attempts exceeded"; USER_AUTH's
AvailableChallenges left out what a real user could not use (an unknown user got the whole
list); ForgotPassword refused a FORCE_CHANGE_PASSWORD user but "sent" an unknown one a code,
and only real users reached its send limit; ConfirmForgotPassword said ExpiredCode for a real
user and CodeMismatch for an unknown one; ConfirmSignUp refused a confirmed user
(NotAuthorized) and said CodeMismatch for an unknown one; and a wrong password answered
measurably later for a real user (its failure count and audit row were written, an unknown
user's were not).

Each test sends the same requests for a real user and for a username that names nobody,
through the wire API in process, and compares what an attacker sees: error codes and
messages, challenge names, challenge parameters' keys and shapes, AvailableChallenges,
CodeDeliveryDetails' shape; and, for wrong passwords, the distribution of answer times.
"""

from __future__ import annotations

import json
import re
import statistics
import time

import pytest

from userpools import srp
from userpools.context import SYSTEM
from userpools.models import User
from userpools.services import users
from userpools.services.clients import user_pool_client_create
from userpools.services.outreach import SEND_LIMIT
from userpools.services.pools import user_pool_create
from userpools.signin import FREE_FAILURES

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Passw0rd!"
WRONG = "Wrong-Passw0rd!"
FLOWS = [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_USER_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
]
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # tests only: see the timing test


def _wire(client, operation: str, body: dict) -> tuple[int, dict]:
    response = client.post(
        "/",
        data=json.dumps(body),
        content_type="application/x-amz-json-1.1",
        HTTP_X_AMZ_TARGET=f"AWSCognitoIdentityProviderService.{operation}",
    )
    return response.status_code, json.loads(response.content or b"{}")


def _error(answer: tuple[int, dict]) -> tuple[int, str, str] | None:
    status, body = answer
    return (status, body.get("__type", ""), body.get("message", "")) if status != 200 else None


def _shape(value: str) -> tuple[int, str]:
    """What a value's form tells: its length and character classes (not the value itself)."""
    classes = "".join(
        name
        for name, pattern in (("d", r"\d"), ("a", r"[a-z]"), ("A", r"[A-Z]"), ("*", r"\*"), ("@", "@"), ("+", r"\+"))
        if re.search(pattern, value)
    )
    return len(value), classes


@pytest.fixture
def app(settings):
    """(pool, client_id): a pool that auto-verifies e-mail and allows PASSWORD, EMAIL_OTP and
    SMS_OTP first factors, and a client with PreventUserExistenceErrors ENABLED."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.COGNATE_SMS_SENDER = "userpools.sms.ConsoleSender"
    pool = user_pool_create(
        SYSTEM,
        {
            "PoolName": "enum",
            "AutoVerifiedAttributes": ["email"],
            "SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms", "ExternalId": "x"},
            "EmailConfiguration": {"EmailSendingAccount": "COGNITO_DEFAULT"},
            "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP", "SMS_OTP"]}},
        },
    )
    client = user_pool_client_create(
        SYSTEM,
        {
            "UserPoolId": pool.id,
            "ClientName": "app",
            "ExplicitAuthFlows": FLOWS,
            "PreventUserExistenceErrors": "ENABLED",
        },
    )
    return pool, client.client_id


def _user(pool, username: str, *, email: str | None = None, status: str = User.Status.CONFIRMED) -> User:
    attributes = {"email": email, "email_verified": "true"} if email else {}
    return users.user_create(
        SYSTEM, pool=pool, username=username, password=PASSWORD, attributes=attributes, status=status
    )


def _password_auth(client, client_id: str, username: str, password: str = WRONG):
    return _wire(
        client,
        "InitiateAuth",
        {
            "ClientId": client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": username, "PASSWORD": password},
        },
    )


# --- Lockout ------------------------------------------------------------------------------------


def test_wrong_passwords_lock_out_unknown_usernames_as_users(client, app):
    pool, client_id = app
    _user(pool, "alice")
    real = [_error(_password_auth(client, client_id, "alice")) for _ in range(FREE_FAILURES + 1)]
    unknown = [_error(_password_auth(client, client_id, "nobody")) for _ in range(FREE_FAILURES + 1)]
    assert real[-1] != real[0]  # the sixth is refused by the lockout ...
    assert unknown == real  # ... for an unknown username too, answer for answer


def test_admin_password_auth_locks_out_unknown_usernames_as_users(signed, app):
    pool, client_id = app
    _user(pool, "alice")

    def attempt(username):
        response = signed(
            "AdminInitiateAuth",
            {
                "UserPoolId": pool.id,
                "ClientId": client_id,
                "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                "AuthParameters": {"USERNAME": username, "PASSWORD": WRONG},
            },
        )
        return response.status_code, json.loads(response.content)

    real = [_error(attempt("alice")) for _ in range(FREE_FAILURES + 1)]
    unknown = [_error(attempt("nobody")) for _ in range(FREE_FAILURES + 1)]
    assert real[-1] != real[0] and unknown == real


def test_srp_claims_lock_out_unknown_usernames_as_users(client, app):
    pool, client_id = app
    _user(pool, "alice")

    def srp_round(username):
        helper = srp.Client(pool.id)
        status, challenge = _wire(
            client,
            "InitiateAuth",
            {
                "ClientId": client_id,
                "AuthFlow": "USER_SRP_AUTH",
                "AuthParameters": {"USERNAME": username, "SRP_A": helper.srp_a},
            },
        )
        if status != 200:
            return _error((status, challenge)), None
        parameters = challenge["ChallengeParameters"]
        shape = (
            challenge["ChallengeName"],
            sorted(parameters),
            _shape(parameters["SALT"])[1],
            _shape(parameters["SRP_B"])[1],
        )
        responses = helper.respond(parameters, WRONG)
        answer = _wire(
            client,
            "RespondToAuthChallenge",
            {"ClientId": client_id, "ChallengeName": "PASSWORD_VERIFIER", "ChallengeResponses": responses},
        )
        return _error(answer), shape

    real = [srp_round("alice") for _ in range(FREE_FAILURES + 1)]
    unknown = [srp_round("nobody") for _ in range(FREE_FAILURES + 1)]
    assert real[-1][0] != real[0][0]
    assert unknown == real


# --- USER_AUTH ---------------------------------------------------------------------------------


def _user_auth(client, client_id, username, **parameters):
    return _wire(
        client,
        "InitiateAuth",
        {"ClientId": client_id, "AuthFlow": "USER_AUTH", "AuthParameters": {"USERNAME": username, **parameters}},
    )


def test_available_challenges_are_the_same_for_real_and_unknown_users(client, app):
    pool, client_id = app
    _user(pool, "alice")  # no verified e-mail or phone: before the fix, offered PASSWORD only
    _user(pool, "bob", email="bob@example.com")
    answers = {}
    for username in ("alice", "bob", "nobody"):
        status, body = _user_auth(client, client_id, username)
        assert status == 200, body
        answers[username] = (body["ChallengeName"], body["AvailableChallenges"], sorted(body["ChallengeParameters"]))
    assert answers["alice"] == answers["bob"] == answers["nobody"]


@pytest.mark.parametrize(
    ("factor", "user_email"), [("EMAIL_OTP", "bob@example.com"), ("EMAIL_OTP", None), ("SMS_OTP", None)]
)
def test_one_time_code_challenges_look_the_same(client, app, factor, user_email):
    pool, client_id = app
    _user(pool, "bob", email=user_email)

    def start(username):
        status, body = _user_auth(client, client_id, username, PREFERRED_CHALLENGE=factor)
        if status != 200:
            return _error((status, body))
        parameters = body["ChallengeParameters"]
        return (
            body["ChallengeName"],
            sorted(parameters),
            parameters["CODE_DELIVERY_DELIVERY_MEDIUM"],
            _shape(parameters["CODE_DELIVERY_DESTINATION"])[1],
        )

    real = [start("bob") for _ in range(SEND_LIMIT + 1)]
    unknown = [start("nobody") for _ in range(SEND_LIMIT + 1)]
    assert real[-1] != real[0]  # the send limit, for both
    assert unknown == real


# --- Recovery and confirmation -----------------------------------------------------------------


def _delivery_shape(answer):
    status, body = answer
    if status != 200:
        return _error(answer)
    details = body["CodeDeliveryDetails"]
    return sorted(details), details["DeliveryMedium"], details["AttributeName"], _shape(details["Destination"])[1]


@pytest.mark.parametrize("status", [User.Status.CONFIRMED, User.Status.FORCE_CHANGE_PASSWORD])
def test_forgot_password_answers_the_same(client, app, status):
    pool, client_id = app
    _user(pool, "carol", email="carol@example.com", status=status)

    def forgot(username):
        return _delivery_shape(_wire(client, "ForgotPassword", {"ClientId": client_id, "Username": username}))

    real = [forgot("carol") for _ in range(SEND_LIMIT + 1)]
    unknown = [forgot("nobody") for _ in range(SEND_LIMIT + 1)]
    assert real[-1] != real[0]  # LimitExceededException, for both
    assert unknown == real


def test_confirm_forgot_password_answers_the_same(client, app):
    pool, client_id = app
    _user(pool, "carol", email="carol@example.com")

    def confirm(username):
        return _error(
            _wire(
                client,
                "ConfirmForgotPassword",
                {
                    "ClientId": client_id,
                    "Username": username,
                    "ConfirmationCode": "000000",
                    "Password": "N3w-Passw0rd!",
                },
            )
        )

    before = (confirm("carol"), confirm("nobody"))  # no code requested
    assert before[0] == before[1]
    for username in ("carol", "nobody"):
        assert _wire(client, "ForgotPassword", {"ClientId": client_id, "Username": username})[0] == 200
    real = [confirm("carol") for _ in range(6)]
    unknown = [confirm("nobody") for _ in range(6)]
    assert len(set(real)) == 3  # mismatch, too many attempts, then no code
    assert unknown == real


@pytest.mark.parametrize("status", [User.Status.UNCONFIRMED, User.Status.CONFIRMED])
def test_confirm_sign_up_answers_the_same(client, app, status):
    pool, client_id = app
    if status == User.Status.UNCONFIRMED:
        assert (
            _wire(
                client,
                "SignUp",
                {
                    "ClientId": client_id,
                    "Username": "dave",
                    "Password": PASSWORD,
                    "UserAttributes": [{"Name": "email", "Value": "dave@example.com"}],
                },
            )[0]
            == 200
        )
    else:
        _user(pool, "dave", email="dave@example.com")

    def confirm(username):
        return _error(
            _wire(client, "ConfirmSignUp", {"ClientId": client_id, "Username": username, "ConfirmationCode": "000000"})
        )

    real = [confirm("dave") for _ in range(6)]
    unknown = [confirm("nobody") for _ in range(6)]
    assert unknown == real


def test_resend_confirmation_code_answers_the_same(client, app):
    pool, client_id = app
    _user(pool, "erin", email="erin@example.com", status=User.Status.UNCONFIRMED)
    _user(pool, "fred", email="fred@example.com")  # already confirmed

    def resend(username):
        return _delivery_shape(_wire(client, "ResendConfirmationCode", {"ClientId": client_id, "Username": username}))

    real = [resend("erin") for _ in range(SEND_LIMIT + 1)]
    confirmed = [resend("fred") for _ in range(SEND_LIMIT + 1)]
    unknown = [resend("nobody") for _ in range(SEND_LIMIT + 1)]
    assert real[-1] != real[0]
    assert unknown == real == confirmed


# --- Timing ------------------------------------------------------------------------------------


SAMPLES = 40


def _separated(real: list[float], unknown: list[float]) -> str | None:
    """Why two samples of answer times tell the two apart, or None.

    Two statistics robust to the outliers a busy machine adds: the probability that a real
    user's answer is slower than an unknown one's (0.5 when the distributions are the same;
    its standard error with 40 + 40 samples is about 0.065, so 0.25 away is about four of
    them), and the difference of the medians against half the larger interquartile range.
    """
    wins = sum((r > u) + 0.5 * (r == u) for r in real for u in unknown) / (len(real) * len(unknown))
    spread = max(
        statistics.quantiles(real, n=4)[2] - statistics.quantiles(real, n=4)[0],
        statistics.quantiles(unknown, n=4)[2] - statistics.quantiles(unknown, n=4)[0],
    )
    shift = statistics.median(real) - statistics.median(unknown)
    if abs(wins - 0.5) > 0.25 or abs(shift) > 0.5 * spread:
        return (
            f"P(real slower) = {wins:.2f}, medians {statistics.median(real) * 1e3:.3f} vs "
            f"{statistics.median(unknown) * 1e3:.3f} ms, spread {spread * 1e3:.3f} ms"
        )
    return None


def test_a_wrong_password_takes_as_long_for_a_real_user_as_for_an_unknown_one(client, app, settings):
    """Interleaved samples through the wire API in process. A fast hasher (the dummy hash
    follows it: userpools.signin.lockout.dummy_hash) leaves what else the two paths do
    to be compared, at a scale where 1 ms shows; the hash itself is compared in
    tests/auth/test_errors.py. Each sample has its own user and unknown username, each
    warmed with one failure first, so no sample reaches a lockout; a comparison that finds
    a difference is repeated once with new samples before the test fails."""
    settings.PASSWORD_HASHERS = FAST_HASHER
    pool, client_id = app
    names = [f"user{i}" for i in range(2 * SAMPLES)]
    for name in names:
        _user(pool, name)

    def timed(username: str) -> float:
        start = time.perf_counter()
        status, body = _password_auth(client, client_id, username)
        elapsed = time.perf_counter() - start
        assert status == 400 and body["__type"] == "NotAuthorizedException", body
        return elapsed

    verdict = None
    for attempt in range(2):
        batch = names[attempt * SAMPLES : (attempt + 1) * SAMPLES]
        for i, name in enumerate(batch):  # warm-up: first failures, and the code paths
            timed(name), timed(f"ghost{attempt}-{i}")
        real, unknown = [], []
        for i, name in enumerate(batch):
            pair = [(real, name), (unknown, f"ghost{attempt}-{i}")]
            for into, username in pair if i % 2 else pair[::-1]:
                into.append(timed(username))
        verdict = _separated(real, unknown)
        if verdict is None:
            return
    pytest.fail(f"wrong passwords answer at different speeds for real and unknown users: {verdict}")
