"""Query counts of sign-in, pinned (docs/architecture.md, Conventions: pin query counts on hot paths): a
successful USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH, and both steps of USER_SRP_AUTH.

The services are called directly, after a warm-up call, so the app client (with its pool
and secrets) and the pool's signing key come from the process caches, as they do on a
busy server; the caches' lifetimes are stretched so a slow machine cannot make a pin
flaky. Inside the test's transaction an ``atomic`` block shows up as SAVEPOINT and
RELEASE SAVEPOINT; outside one (in production) those two are BEGIN and COMMIT.
"""

from __future__ import annotations

import pytest
from django.db import connection

from userpools import signin as auth
from userpools import srp
from userpools.context import SYSTEM, ServiceContext
from userpools.models import User
from userpools.services import clientauth, tokens, users
from userpools.services.clients import user_pool_client_create
from userpools.services.pools import user_pool_create

pytestmark = pytest.mark.django_db

PASSWORD = "Passw0rd!"
FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


@pytest.fixture
def app(monkeypatch) -> tuple[str, str]:
    """(pool_id, client_id): a client allowing the password, SRP and refresh flows, and a
    confirmed user "alice"."""
    monkeypatch.setattr(clientauth, "CACHE_SECONDS", 3600.0)
    monkeypatch.setattr(tokens.keys, "CACHE_SECONDS", 3600.0)
    pool = user_pool_create(SYSTEM, {"PoolName": "q"})
    client = user_pool_client_create(SYSTEM, {"UserPoolId": pool.id, "ClientName": "app", "ExplicitAuthFlows": FLOWS})
    users.user_create(
        SYSTEM,
        pool=pool,
        username="alice",
        password=PASSWORD,
        attributes={"email": "alice@example.com", "email_verified": "true"},
        status=User.Status.CONFIRMED,
    )
    return pool.id, client.client_id


@pytest.fixture
def client_id(app) -> str:
    return app[1]


def password_sign_in(ctx: ServiceContext, client_id: str) -> auth.AuthOutcome:
    return auth.auth_initiate(
        ctx, client_id=client_id, flow="USER_PASSWORD_AUTH", parameters={"USERNAME": "alice", "PASSWORD": PASSWORD}
    )


def srp_start(ctx: ServiceContext, client_id: str, helper: srp.Client) -> auth.AuthOutcome:
    return auth.auth_initiate(
        ctx, client_id=client_id, flow="USER_SRP_AUTH", parameters={"USERNAME": "alice", "SRP_A": helper.srp_a}
    )


def srp_claim(ctx: ServiceContext, client_id: str, helper: srp.Client, challenge: auth.AuthOutcome) -> auth.AuthOutcome:
    return auth.auth_respond(
        ctx,
        client_id=client_id,
        challenge_name="PASSWORD_VERIFIER",
        session=challenge.session,
        responses=helper.respond(challenge.parameters, PASSWORD),
    )


def test_password_sign_in_queries(ctx, client_id, django_assert_num_queries):
    password_sign_in(ctx, client_id)  # warm-up
    # 1 the user (user_find), 2 their lockout state again after the password check (a
    # lockout that began meanwhile wins), 3 INSERT the refresh token and the audit event
    # user.tokens_issue: one statement on PostgreSQL (compiled.rows_insert), two elsewhere,
    # 4 the user's groups (for cognito:groups)
    with django_assert_num_queries(4 if connection.vendor == "postgresql" else 5):
        outcome = password_sign_in(ctx, client_id)
    assert outcome.tokens is not None


def test_refresh_queries(ctx, client_id, django_assert_num_queries):
    refresh_token = password_sign_in(ctx, client_id).tokens.refresh_token
    parameters = {"REFRESH_TOKEN": refresh_token}
    auth.auth_initiate(ctx, client_id=client_id, flow="REFRESH_TOKEN_AUTH", parameters=parameters)  # warm-up
    # (a client without a secret: no lookup to find whose SECRET_HASH it is) 1 SAVEPOINT,
    # 2 the token with its session's root, row-locked, with the user, 3 UPDATE its
    # last_used_at/last_ip/device_type, 4 RELEASE, 5 the user's groups
    with django_assert_num_queries(5):
        outcome = auth.auth_initiate(ctx, client_id=client_id, flow="REFRESH_TOKEN_AUTH", parameters=parameters)
    assert outcome.tokens is not None and outcome.tokens.refresh_token is None


def test_srp_queries(ctx, app, django_assert_num_queries):
    pool_id, client_id = app
    helper = srp.Client(pool_id)
    srp_claim(ctx, client_id, helper, srp_start(ctx, client_id, helper))  # warm-up
    helper = srp.Client(pool_id)
    # InitiateAuth: 1 the user, 2 INSERT the PASSWORD_VERIFIER session
    with django_assert_num_queries(2):
        challenge = srp_start(ctx, client_id, helper)
    assert challenge.challenge == "PASSWORD_VERIFIER"
    # RespondToAuthChallenge: 1 UPDATE the session as spent, 2 the session with its user
    # (USERNAME is theirs, so not looked up again), 3 their lockout state after the check,
    # 4 INSERT the refresh token and audit user.tokens_issue (two statements but on
    # PostgreSQL), 5 the user's groups
    with django_assert_num_queries(5 if connection.vendor == "postgresql" else 6):
        outcome = srp_claim(ctx, client_id, helper, challenge)
    assert outcome.tokens is not None
