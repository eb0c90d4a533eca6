"""Concurrent passkey requests (docs/architecture.md, Conventions: race tests run the service in threads, in a
transactional test): a registration challenge is spent once, and one assertion signs in
once even when its state is presented twice at the same moment. The threaded tests need
PostgreSQL (SQLite's in-memory test database refuses a second writer)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from tests.passkeys.authenticator import SoftwareAuthenticator
from tests.passkeys.conftest import ORIGIN
from tests.races import concurrently, threaded
from userpools.context import ServiceContext
from userpools.models import User, WebAuthnCredential
from userpools.services import passkeys

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6
CTX = ServiceContext(actor="race")


@pytest.fixture
def user(service_pool, service_user) -> tuple:
    client = service_pool()
    return client, service_user(client)


def fresh(user: User) -> User:
    return User.objects.select_related("pool").get(pk=user.pk)


@threaded
def test_one_registration_per_challenge(user):
    _, alice = user
    authenticator = SoftwareAuthenticator(origin=ORIGIN)
    credential = authenticator.create(passkeys.registration_start(CTX, alice))
    answers = concurrently(*[lambda: passkeys.registration_complete(CTX, fresh(alice), credential).pk] * THREADS)
    tally = Counter("ok" if isinstance(a, int) else a for a in answers)
    assert tally == {"ok": 1, "WebAuthnChallengeNotFoundException": THREADS - 1}, answers
    assert WebAuthnCredential.objects.count() == 1


@threaded
def test_one_sign_in_per_assertion(user):
    client, alice = user
    authenticator = SoftwareAuthenticator(origin=ORIGIN)
    passkeys.registration_complete(CTX, alice, authenticator.create(passkeys.registration_start(CTX, alice)))
    options, state = passkeys.authentication_options(alice, client)
    credential = json.dumps(authenticator.get(options))
    answers = concurrently(
        *[lambda: passkeys.authentication_verify(CTX, fresh(alice), client, state, credential).sign_count] * THREADS
    )
    tally = Counter(answers)
    assert tally == {1: 1, "NotAuthorizedException": THREADS - 1}, answers
