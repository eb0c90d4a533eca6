"""userpools.services.limits: counters every process shares, atomic, windowed.

The multi-process attack (two gunicorn workers) is tests/security/test_multiprocess_state.py;
these pin the counter's own rules in process, on whichever database the run uses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.races import concurrently, threaded
from userpools.models import LimitCounter
from userpools.services import limits


@pytest.mark.django_db
def test_hits_count_within_a_window_and_restart_after_it():
    assert limits.counter_value("k") == 0
    assert [limits.counter_hit("k", window=60) for _ in range(3)] == [1, 2, 3]
    assert limits.counter_value("k") == 3
    assert limits.counter_hit("other", window=60) == 1  # keys count apart
    LimitCounter.objects.filter(key="k").update(window_ends=timezone.now() - timedelta(seconds=1))
    assert limits.counter_value("k") == 0  # the window closed
    assert limits.counter_hit("k", window=60) == 1  # a new one opens
    window_ends = LimitCounter.objects.get(key="k").window_ends
    assert timezone.now() + timedelta(seconds=55) < window_ends <= timezone.now() + timedelta(seconds=60)
    assert limits.counter_hit("k", window=60) == 2
    assert LimitCounter.objects.get(key="k").window_ends == window_ends  # later hits do not extend it


@pytest.mark.django_db
def test_reset_and_prune():
    limits.counter_hit("a", window=60)
    limits.counter_hit("b", window=60)
    limits.counter_reset("a")
    assert limits.counter_value("a") == 0 and limits.counter_hit("a", window=60) == 1
    LimitCounter.objects.filter(key="b").update(window_ends=timezone.now() - timedelta(seconds=1))
    assert limits.counters_prune() == 1
    assert list(LimitCounter.objects.values_list("key", flat=True)) == ["a"]


@threaded  # tests/security/test_multiprocess_state.py races two processes on a SQLite file
@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_are_never_lost():
    results = concurrently(*[lambda: [limits.counter_hit("race", window=60) for _ in range(10)]] * 8)
    assert sorted(count for hits in results for count in hits) == list(range(1, 81))


@threaded
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_wrong_previous_passwords_gets_five_checks(ctx):
    """ChangePassword allows CHANGE_PASSWORD_FAILURES wrong previous passwords in its window.
    Guesses sent at once must not all pass the limit before any of them is counted."""
    from userpools.context import SYSTEM
    from userpools.errors import ErrorCode
    from userpools.models import User
    from userpools.services import profile, users
    from userpools.services.pools import user_pool_create

    pool = user_pool_create(SYSTEM, {"PoolName": "burst"})
    user = users.user_create(
        SYSTEM, pool=pool, username="alice", password="Passw0rd!x", attributes={}, status=User.Status.CONFIRMED
    )
    guesses = 8

    def guess(n: int):
        return lambda: profile.user_change_password(ctx, user, f"Wr0ng-guess-{n}", "N3w-passw0rd!")

    answers = concurrently(*[guess(n) for n in range(guesses)])
    assert (
        sorted(answers)
        == [ErrorCode.LIMIT_EXCEEDED.value] * (guesses - profile.CHANGE_PASSWORD_FAILURES)
        + [ErrorCode.NOT_AUTHORIZED.value] * profile.CHANGE_PASSWORD_FAILURES
    )
