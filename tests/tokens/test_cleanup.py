"""The periodic clean-up of challenge sessions and expired refresh tokens (userpools.tasks)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery import app
from userpools.context import SYSTEM
from userpools.models import AuthSession, LimitCounter, RefreshToken, UnknownUserLockout
from userpools.services import tokens
from userpools.tasks import sessions_prune


def _rotated_session(client, user) -> list[int]:
    """A session of three tokens (a rotation and a grace-period retry): its rows' pks."""
    issued = tokens.tokens_issue(SYSTEM, user=user, client=client)
    for _ in range(2):
        tokens.tokens_refresh(
            SYSTEM, client=client, refresh_token=issued.refresh_token, via="GetTokensFromRefreshToken"
        )
    session = RefreshToken.objects.get(token_hash=tokens._hash(issued.refresh_token)).session_id
    return list(RefreshToken.objects.filter(session_id=session).values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
def test_sessions_prune_runs_through_celery(make_pool_model, make_client_model, make_user):
    pool_id = make_pool_model().id
    client = make_client_model(pool_id, RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 60})
    user = make_user(pool_id)
    now = timezone.now()

    gone = _rotated_session(client, user)
    RefreshToken.objects.filter(pk__in=gone).update(expires_at=now - timedelta(days=1, minutes=1))
    # expired only lately: an access token of it may still be alive, its revocation must stay known
    lately = _rotated_session(client, user)
    RefreshToken.objects.filter(pk__in=lately).update(expires_at=now - timedelta(hours=23), revoked_at=now)
    live = _rotated_session(client, user)

    def challenge(name: str, *, expires: timedelta, used: timedelta | None = None) -> AuthSession:
        return AuthSession.objects.create(
            token_hash=name.ljust(64, "0"),
            pool_id=pool_id,
            client=client,
            user=user,
            challenge="NEW_PASSWORD_REQUIRED",
            expires_at=now + expires,
            used_at=now + used if used is not None else None,
        )

    challenge("a", expires=-timedelta(hours=2))  # expired long ago
    challenge("b", expires=timedelta(minutes=3), used=-timedelta(hours=2))  # used long ago
    kept = [
        challenge("c", expires=timedelta(minutes=3)).pk,  # pending
        challenge("d", expires=-timedelta(minutes=5)).pk,  # just expired: still says so
        challenge("e", expires=timedelta(minutes=3), used=-timedelta(minutes=1)).pk,
    ]

    LimitCounter.objects.create(key="closed", count=5, window_ends=now - timedelta(seconds=1))
    LimitCounter.objects.create(key="open", count=5, window_ends=now + timedelta(minutes=5))
    idle = UnknownUserLockout.objects.create(pool_id=pool_id, key="1" * 64, failed_sign_ins=7)
    UnknownUserLockout.objects.filter(pk=idle.pk).update(updated_at=now - timedelta(days=31))
    recent = UnknownUserLockout.objects.create(pool_id=pool_id, key="2" * 64, failed_sign_ins=7)
    UnknownUserLockout.objects.filter(pk=recent.pk).update(updated_at=now - timedelta(days=29))

    # .delay() goes to the worker process when a broker is configured, inline otherwise.
    assert sessions_prune.delay().get(timeout=30) == {
        "auth_sessions": 2,
        "refresh_tokens": 3,
        "devices": 0,
        "limit_counters": 1,
        "unknown_user_lockouts": 1,
    }
    assert list(LimitCounter.objects.values_list("key", flat=True)) == ["open"]
    assert list(UnknownUserLockout.objects.values_list("pk", flat=True)) == [recent.pk]
    assert sorted(RefreshToken.objects.values_list("pk", flat=True)) == sorted(lately + live)
    assert sorted(AuthSession.objects.values_list("pk", flat=True)) == sorted(kept)
    assert sessions_prune.delay().get(timeout=30) == {
        "auth_sessions": 0,
        "refresh_tokens": 0,
        "devices": 0,
        "limit_counters": 0,
        "unknown_user_lockouts": 0,
    }


@pytest.mark.django_db
def test_sessions_prune_in_batches(make_pool_model, make_client_model, make_user, monkeypatch):
    from userpools.services import housekeeping

    pool_id = make_pool_model().id
    client, user = make_client_model(pool_id), make_user(pool_id)
    for _ in range(5):
        tokens.tokens_issue(SYSTEM, user=user, client=client)
    RefreshToken.objects.update(expires_at=timezone.now() - timedelta(days=2))
    monkeypatch.setattr(housekeeping, "_PRUNE_BATCH", 2)
    assert sessions_prune()["refresh_tokens"] == 5 and not RefreshToken.objects.exists()


def test_sessions_prune_is_scheduled():
    entry = app.conf.beat_schedule["userpools.sessions_prune"]
    assert entry["task"] == sessions_prune.name
    assert entry["task"] in app.tasks
