"""Why a password sign-in fails: existence errors, user states, lockout, and constant time."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError
from django.utils import timezone

from tests.auth.conftest import PASSWORD, assert_signed_in, password_auth, password_auth_error, user_named
from userpools.models import User
from userpools.signin import FREE_FAILURES, MAX_LOCKOUT, lockout_duration

pytestmark = pytest.mark.django_db(transaction=True)


def _error(public, client, username, password=PASSWORD) -> tuple[str, str]:
    with pytest.raises(ClientError) as exc:
        password_auth(public, client, username, password)
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_wrong_password(public, signin, make_user):
    pool_id, client = signin()
    make_user(pool_id, "alice")
    assert password_auth_error(public, client, "alice", "Wrong-passw0rd") == "NotAuthorizedException"


def test_unknown_user_with_legacy_existence_errors(public, signin):
    _, client = signin(PreventUserExistenceErrors="LEGACY")
    assert password_auth_error(public, client, "nobody") == "UserNotFoundException"


def test_unknown_user_with_existence_errors_prevented_looks_like_a_wrong_password(public, signin, make_user):
    pool_id, client = signin(PreventUserExistenceErrors="ENABLED")
    make_user(pool_id, "alice")
    assert password_auth_error(public, client, "nobody") == "NotAuthorizedException"
    assert _error(public, client, "nobody") == _error(public, client, "alice", "Wrong-passw0rd")


def test_unknown_user_takes_as_long_as_a_wrong_password(public, signin, make_user):
    pool_id, client = signin(PreventUserExistenceErrors="ENABLED")
    user = make_user(pool_id, "alice")

    def timed(username: str) -> float:
        start = time.perf_counter()
        with pytest.raises(ClientError):
            password_auth(public, client, username, "Wrong-passw0rd")
        return time.perf_counter() - start

    timed("alice"), timed("nobody")  # warm up connections and the dummy hash
    wrong, unknown = [], []
    for _ in range(5):
        User.objects.filter(pk=user.pk).update(failed_sign_ins=0, locked_until=None)
        wrong.append(timed("alice"))
        unknown.append(timed("nobody"))
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.5 <= ratio <= 2.0, (wrong, unknown)


def test_disabled_user(public, idp, signin, make_user):
    pool_id, client = signin()
    make_user(pool_id, "alice")
    idp.admin_disable_user(UserPoolId=pool_id, Username="alice")
    assert _error(public, client, "alice")[0] == "NotAuthorizedException"
    assert password_auth_error(public, client, "alice") == "NotAuthorizedException"


def test_unconfirmed_user(public, signin, make_user):
    pool_id, client = signin()
    make_user(pool_id, "alice", status=User.Status.UNCONFIRMED)
    assert password_auth_error(public, client, "alice") == "UserNotConfirmedException"
    # Only with the right password: a wrong one says nothing about the account.
    assert password_auth_error(public, client, "alice", "Wrong-passw0rd") == "NotAuthorizedException"


def test_reset_required_user(public, signin, make_user):
    pool_id, client = signin()
    make_user(pool_id, "alice", status=User.Status.RESET_REQUIRED)
    assert password_auth_error(public, client, "alice") == "PasswordResetRequiredException"


def test_expired_temporary_password(public, signin, make_user):
    pool_id, client = signin()
    user = make_user(pool_id, "alice", status=User.Status.FORCE_CHANGE_PASSWORD)
    User.objects.filter(pk=user.pk).update(temporary_password_expires_at=timezone.now() - timedelta(seconds=1))
    assert password_auth_error(public, client, "alice") == "NotAuthorizedException"
    assert _error(public, client, "alice")[1].startswith("Temporary password has expired")


# --- Lockout ----------------------------------------------------------------------------------


def test_lockout_durations_double_up_to_fifteen_minutes():
    assert [lockout_duration(n) for n in range(FREE_FAILURES)] == [None] * FREE_FAILURES
    assert lockout_duration(FREE_FAILURES) == timedelta(seconds=1)
    assert lockout_duration(FREE_FAILURES + 1) == timedelta(seconds=2)
    assert lockout_duration(FREE_FAILURES + 3) == timedelta(seconds=8)
    assert lockout_duration(FREE_FAILURES + 10) == MAX_LOCKOUT == timedelta(minutes=15)
    assert lockout_duration(10_000) == MAX_LOCKOUT


def test_five_wrong_passwords_lock_the_user_out_until_it_expires(public, signin, make_user):
    pool_id, client = signin()
    user = make_user(pool_id, "alice")
    for _ in range(FREE_FAILURES):
        assert _error(public, client, "alice", "Wrong-passw0rd")[1] == "Incorrect username or password."
    user.refresh_from_db()
    assert user.failed_sign_ins == FREE_FAILURES and user.locked_until > timezone.now()
    # Locked: even the right password is refused, and the refusal says why.
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() + timedelta(minutes=1))
    code, message = _error(public, client, "alice")
    assert code == "NotAuthorizedException" and message == "Password attempts exceeded"
    # Once the lockout is over the right password works and the count starts again.
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert_signed_in(password_auth(public, client, "alice"), user, client["ClientId"])
    user.refresh_from_db()
    assert user.failed_sign_ins == 0 and user.locked_until is None


def test_each_failure_after_the_lockout_doubles_it(public, signin, make_user):
    pool_id, client = signin()
    user = make_user(pool_id, "alice")
    User.objects.filter(pk=user.pk).update(
        failed_sign_ins=FREE_FAILURES + 2, locked_until=timezone.now() - timedelta(seconds=1)
    )
    before = timezone.now()
    assert password_auth_error(public, client, "alice", "Wrong-passw0rd") == "NotAuthorizedException"
    user.refresh_from_db()
    assert user.failed_sign_ins == FREE_FAILURES + 3
    assert timedelta(seconds=7) < user.locked_until - before <= timedelta(seconds=9)


def test_a_right_password_resets_the_count(public, signin, make_user):
    pool_id, client = signin()
    make_user(pool_id, "alice")
    for _ in range(FREE_FAILURES - 1):
        password_auth_error(public, client, "alice", "Wrong-passw0rd")
    password_auth(public, client, "alice")
    assert user_named(pool_id, "alice").failed_sign_ins == 0
    assert password_auth_error(public, client, "alice", "Wrong-passw0rd") == "NotAuthorizedException"
    assert user_named(pool_id, "alice").locked_until is None
