"""Fixtures for self-service sign-up and recovery.

Every test that needs a delivered code reads it from the session's real SMTP server
(``smtp_server`` / ``mailbox`` in tests/conftest.py, machinery in tests/mail.py), so the
same test works with eager Celery and with CI's separate worker process.
"""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from tests.mail import CODE_RE, WAIT_SECONDS, Mailbox, Received  # noqa: F401 - re-exported for the tests here
from tests.userpools.conftest import call_error  # noqa: F401 - re-exported for the tests here
from userpools.context import SYSTEM
from userpools.models import User
from userpools.services import users
from userpools.services.clientauth import secret_hash
from userpools.services.pools import user_pool_get

PASSWORD = "Passw0rd!"


@pytest.fixture
def public(boto_client):
    """An unsigned cognito-idp client, as a user's app has."""
    client = boto_client("cognito-idp")
    yield client
    # Close its keep-alive connections now: a live-server thread that outlives the
    # session's database sharing fails when it finally closes its connection.
    client.close()


@pytest.fixture
def idp(boto_client, make_access_key):
    """The operator's signed client (as tests/conftest.py's), closed after the test."""
    client = boto_client("cognito-idp", key=make_access_key())
    yield client
    client.close()


@pytest.fixture
def app(make_pool, make_client):
    """A pool that auto-verifies e-mail, and a public client: (pool_id, client_id)."""
    pool_id = make_pool(AutoVerifiedAttributes=["email"])["Id"]
    return pool_id, make_client(pool_id)["ClientId"]


@pytest.fixture
def make_user():
    """make_user(pool_id, username, email=None, phone=None, verified=True, status=CONFIRMED) -> User.

    Made through the user service directly (the admin operations are another area's).
    """

    def make(
        pool_id: str,
        username: str,
        *,
        password: str = PASSWORD,
        email: str | None = None,
        phone: str | None = None,
        verified: bool = True,
        status: str = User.Status.CONFIRMED,
    ) -> User:
        attrs: dict[str, str] = {}
        if email:
            attrs.update(email=email, email_verified="true" if verified else "false")
        if phone:
            attrs.update(phone_number=phone, phone_number_verified="true" if verified else "false")
        return users.user_create(
            SYSTEM, pool=user_pool_get(pool_id), username=username, password=password, attributes=attrs, status=status
        )

    return make


def hash_for(client: dict, username: str, secret: str | None = None) -> str:
    return secret_hash(client_id=client["ClientId"], client_secret=secret or client["ClientSecret"], username=username)


def user_named(pool_id: str, username: str) -> User:
    user = users.user_find(user_pool_get(pool_id), username)
    assert user is not None
    return user


def worker_mode() -> bool:
    return not django_settings.CELERY_TASK_ALWAYS_EAGER
