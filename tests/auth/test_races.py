"""Concurrent sign-ins against one user's lockout counter (docs/architecture.md, Conventions: race tests run the
service in threads, in a transactional test, as django-otp does for its throttling).

Wrong passwords sent at once must each be counted (no lost increments of
``failed_sign_ins``), the lockout must be in force afterwards, and must end at
``locked_until``. The threaded tests need PostgreSQL, where the threads really run side
by side (SQLite's in-memory test database fails a second writer at once); the
interleaving that matters is also replayed without threads at the end, on any database.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.races import concurrently, threaded
from userpools import signin as auth
from userpools.context import SYSTEM, ServiceContext
from userpools.errors import NotAuthorized
from userpools.models import User
from userpools.services import users
from userpools.services.clients import user_pool_client_create
from userpools.services.pools import user_pool_create
from userpools.signin import password as signin_password

pytestmark = pytest.mark.django_db(transaction=True)


PASSWORD = "Passw0rd!"
THREADS = 8


@pytest.fixture
def target():
    """(client_id, username) of a confirmed user behind a client with USER_PASSWORD_AUTH."""
    pool = user_pool_create(SYSTEM, {"PoolName": "race"})
    client = user_pool_client_create(
        SYSTEM, {"UserPoolId": pool.id, "ClientName": "app", "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"]}
    )
    users.user_create(
        SYSTEM, pool=pool, username="alice", password=PASSWORD, attributes={}, status=User.Status.CONFIRMED
    )
    return client.client_id, "alice"


def sign_in(client_id: str, username: str, password: str) -> str:
    """What USER_PASSWORD_AUTH answers: "ok", or the NotAuthorizedException's message."""
    try:
        auth.auth_initiate(
            ServiceContext(actor="race"),
            client_id=client_id,
            flow="USER_PASSWORD_AUTH",
            parameters={"USERNAME": username, "PASSWORD": password},
        )
    except NotAuthorized as exc:
        return exc.message
    return "ok"


def stored(username: str) -> User:
    return User.objects.get(pool__isnull=False, username=username)


@threaded
def test_concurrent_wrong_passwords_are_all_counted_and_lock_the_user_out(target):
    client_id, username = target
    answers = concurrently(*[lambda: sign_in(client_id, username, "Wrong-Passw0rd!")] * THREADS)
    assert not [a for a in answers if isinstance(a, BaseException)], answers
    tally = Counter(answers)
    assert set(tally) <= {auth.INCORRECT, auth.LOCKED}, tally

    user = stored(username)
    # Every password that was checked and found wrong was counted; none was lost to a race.
    assert user.failed_sign_ins == tally[auth.INCORRECT], tally
    assert user.failed_sign_ins >= auth.FREE_FAILURES
    # ... and the lockout they earned is in force: even the right password is refused.
    assert user.locked_until is not None and user.locked_until > timezone.now()
    assert user.locked_until >= timezone.now() + auth.lockout_duration(user.failed_sign_ins) - timedelta(seconds=30)
    assert sign_in(client_id, username, PASSWORD) == auth.LOCKED
    assert stored(username).failed_sign_ins == user.failed_sign_ins  # a refused attempt is not checked

    # Once locked_until has passed the right password signs in, and clears the count.
    User.objects.filter(pk=user.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert sign_in(client_id, username, PASSWORD) == "ok"
    user.refresh_from_db()
    assert (user.failed_sign_ins, user.locked_until) == (0, None)


@threaded
def test_a_lockout_that_begins_during_a_burst_stops_the_rest_of_it(target):
    """Cognito ignores attempts made during a lockout. With ten failures on record (the
    last lockout over), the next wrong password locks the user out for a minute; the
    other attempts of the same burst, checked meanwhile, must get the lockout's answer and
    not be counted, or a burst of N guesses gets N answers whatever the lockout says."""
    client_id, username = target
    User.objects.filter(username=username).update(
        failed_sign_ins=2 * auth.FREE_FAILURES, locked_until=timezone.now() - timedelta(seconds=1)
    )
    answers = concurrently(*[lambda: sign_in(client_id, username, "Wrong-Passw0rd!")] * THREADS)
    tally = Counter(answers)
    assert tally == {auth.INCORRECT: 1, auth.LOCKED: THREADS - 1}, tally
    assert stored(username).failed_sign_ins == 2 * auth.FREE_FAILURES + 1


@threaded
def test_concurrent_right_passwords_all_sign_in(target):
    """The success path under the same contention: no lock waits turn into errors."""
    client_id, username = target
    User.objects.filter(username=username).update(failed_sign_ins=3)
    answers = concurrently(*[lambda: sign_in(client_id, username, PASSWORD)] * THREADS)
    assert answers == ["ok"] * THREADS
    user = stored(username)
    assert (user.failed_sign_ins, user.locked_until) == (0, None)


# The same interleaving without threads (so SQLite runs it too): a lockout that begins
# while this attempt's password is being checked, as another request's failure would.


@pytest.fixture
def locked_during_check(monkeypatch):
    """Every password check ends with the user locked out for a minute, as if another
    request's wrong password had been recorded meanwhile."""
    check = signin_password.password_matches

    def check_while_locked(raw, user):
        matched = check(raw, user)
        if user is not None:
            User.objects.filter(pk=user.pk).update(
                failed_sign_ins=auth.FREE_FAILURES, locked_until=timezone.now() + timedelta(minutes=1)
            )
        return matched

    monkeypatch.setattr(signin_password, "password_matches", check_while_locked)


def test_a_wrong_password_checked_while_a_lockout_began_is_not_counted(target, locked_during_check):
    client_id, username = target
    assert sign_in(client_id, username, "Wrong-Passw0rd!") == auth.LOCKED
    assert stored(username).failed_sign_ins == auth.FREE_FAILURES


def test_a_right_password_checked_while_a_lockout_began_is_refused(target, locked_during_check):
    """Else a burst of guesses gets past the lockout its own wrong guesses started."""
    client_id, username = target
    assert sign_in(client_id, username, PASSWORD) == auth.LOCKED
    assert stored(username).locked_until is not None
