"""Concurrent use of one refresh token session (docs/architecture.md, Conventions).

Threads call the token service at once, each on its own database connection, which it
closes at the end. The guarantees: nothing fails with anything but a service error (on
the wire, anything else is a 500); a rotated token yields a replacement again only within
the grace period; every replacement stays in the session (one root, every row sharing its
``session_id``), so revoking or detecting reuse ends all of it.

The row locking matters on PostgreSQL. SQLite serializes writers, but only a file database
with ``transaction_mode`` IMMEDIATE makes a second writer wait rather than fail ("database
is locked"); the in-memory test database fails any conflict at once ("database table is
locked"), so there these tests are skipped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from tests.races import race, threaded
from userpools.context import SYSTEM
from userpools.errors import ErrorCode, ServiceError
from userpools.models import AppClient, RefreshToken
from userpools.services import tokens

pytestmark = [pytest.mark.django_db(transaction=True), threaded]


THREADS = 6


def _session(user) -> list[RefreshToken]:
    rows = list(RefreshToken.objects.filter(user=user).order_by("pk"))
    assert len({r.session_id for r in rows}) == 1, "a refresh left its session"
    assert [r.parent_id is None for r in rows].count(True) == 1, "a session has one root"
    return rows


def _refresh(client: AppClient, token: str) -> Callable[[], object]:
    return lambda: tokens.tokens_refresh(SYSTEM, client=client, refresh_token=token, via="GetTokensFromRefreshToken")


@pytest.fixture
def rotating(make_pool_model, make_client_model, make_user):
    def make(grace: int):
        pool_id = make_pool_model().id
        client = make_client_model(
            pool_id, RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": grace}
        )
        user = make_user(pool_id)
        return client, user, tokens.tokens_issue(SYSTEM, user=user, client=client)

    return make


def test_concurrent_rotations_within_the_grace_period(rotating):
    client, user, issued = rotating(60)
    outcomes = race(*[_refresh(client, issued.refresh_token) for _ in range(THREADS)])
    assert outcomes == ["ok"] * THREADS  # each is a retry within the grace period
    rows = _session(user)
    # one rotation of the original (its time stays the first), a replacement for every caller
    assert len(rows) == THREADS + 1
    original, replacements = rows[0], rows[1:]
    assert original.rotated_at is not None and all(r.parent_id == original.pk for r in replacements)
    assert all(r.revoked_at is None and r.expires_at == original.expires_at for r in rows)


def test_concurrent_rotations_without_grace_period(rotating):
    client, user, issued = rotating(0)
    outcomes = race(*[_refresh(client, issued.refresh_token) for _ in range(THREADS)])
    counts = Counter(outcomes)
    # the first rotates; any later use is reuse (or finds the session revoked by it)
    assert counts["ok"] == 1, outcomes
    assert set(counts) <= {"ok", "RefreshTokenReuseException", "NotAuthorizedException"}, outcomes
    assert counts["RefreshTokenReuseException"] >= 1, outcomes
    rows = _session(user)
    assert len(rows) == 2 and all(r.revoked_at is not None for r in rows)


def test_rotation_racing_revocation(rotating):
    """A RevokeToken (or reuse detection) must not miss the replacement a concurrent rotation adds."""
    for _ in range(5):
        client, user, issued = rotating(60)
        race(
            *[_refresh(client, issued.refresh_token) for _ in range(THREADS - 1)],
            lambda client=client, issued=issued: tokens.refresh_token_revoke(
                SYSTEM, client=client, token=issued.refresh_token
            ),
        )
        rows = _session(user)
        assert all(r.revoked_at is not None for r in rows), [(r.pk, r.revoked_at) for r in rows]


def test_rotation_racing_session_revocation_and_sign_out(rotating, make_user):
    for end in ("session", "sign out"):
        client, user, issued = rotating(60)
        session_id = RefreshToken.objects.get(user=user).session_id
        finish = (
            (
                lambda user=user, session_id=session_id: tokens.user_session_revoke(
                    SYSTEM, user=user, session_id=session_id
                )
            )
            if end == "session"
            else (lambda user=user: tokens.user_global_sign_out(SYSTEM, user=user))
        )
        race(*[_refresh(client, issued.refresh_token) for _ in range(THREADS - 1)], finish)
        rows = _session(user)
        assert all(r.revoked_at is not None for r in rows), (end, [(r.pk, r.revoked_at) for r in rows])


def test_reuse_racing_rotation(rotating):
    """Late reuse of an old token while its replacement rotates: the session ends, whole."""
    client, user, issued = rotating(0)
    second = tokens.tokens_refresh(
        SYSTEM, client=client, refresh_token=issued.refresh_token, via="GetTokensFromRefreshToken"
    )
    outcomes = race(
        _refresh(client, issued.refresh_token),
        _refresh(client, issued.refresh_token),
        _refresh(client, second.refresh_token),
        _refresh(client, second.refresh_token),
    )
    assert "RefreshTokenReuseException" in outcomes
    rows = _session(user)
    assert all(r.revoked_at is not None for r in rows), outcomes


def test_concurrent_refreshes_without_rotation(setup):
    pool_id, client, user = setup
    issued = tokens.tokens_issue(SYSTEM, user=user, client=client)
    assert race(*[_refresh(client, issued.refresh_token) for _ in range(THREADS)]) == ["ok"] * THREADS
    [row] = _session(user)
    assert row.last_used_at is not None and row.revoked_at is None


def test_concurrent_requests_on_the_wire(rotating, boto_client, public_url):
    """The same through boto3 and the live server: no request ends in a 500."""
    from botocore.exceptions import ClientError

    client, user, issued = rotating(0)
    sdks = [boto_client("cognito-idp") for _ in range(THREADS)]

    def call(sdk):
        def run():
            try:
                sdk.get_tokens_from_refresh_token(RefreshToken=issued.refresh_token, ClientId=client.client_id)
            except ClientError as exc:
                code = exc.response["Error"]["Code"]
                if code == "InternalErrorException":
                    raise AssertionError("500") from None
                raise ServiceError(code, code=ErrorCode(code)) from None

        return run

    try:
        outcomes = race(*[call(sdk) for sdk in sdks])
    finally:
        for sdk in sdks:
            sdk.close()
    assert Counter(outcomes)["ok"] == 1 and "RefreshTokenReuseException" in outcomes, outcomes
    assert all(r.revoked_at is not None for r in _session(user))
