"""Concurrent passkey requests (STYLE.md: race tests run the service in threads, in a
transactional test): a registration challenge is spent once, and one assertion signs in
once even when its state is presented twice at the same moment. The threaded tests need
PostgreSQL (SQLite's in-memory test database refuses a second writer)."""

from __future__ import annotations

import json
import threading
from collections import Counter

import pytest
from django.db import connection

from tests.passkeys.authenticator import SoftwareAuthenticator
from tests.passkeys.conftest import ORIGIN
from userpools.context import ServiceContext
from userpools.errors import ServiceError
from userpools.models import User, WebAuthnCredential
from userpools.services import passkeys

pytestmark = pytest.mark.django_db(transaction=True)

threaded = pytest.mark.skipif(connection.vendor == "sqlite",
                              reason="concurrent writers need a server database: SQLite's in-memory test database "
                                     "answers 'database table is locked' instead of waiting")  # fmt: skip
THREADS = 6
CTX = ServiceContext(actor="race")


def concurrently(count: int, fn) -> list:
    """Run ``fn()`` in ``count`` threads released at once; their results, or their errors' codes."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = fn()
        except ServiceError as exc:
            results[i] = exc.code.value
        except BaseException as exc:  # reported by the test
            results[i] = exc
        finally:
            connection.close()  # each thread's own connection; the test database must be droppable

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


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
    answers = concurrently(THREADS, lambda: passkeys.registration_complete(CTX, fresh(alice), credential).pk)
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
    answers = concurrently(THREADS, lambda: passkeys.authentication_verify(CTX, fresh(alice), client, state,
                                                                           credential).sign_count)  # fmt: skip
    tally = Counter(answers)
    assert tally == {1: 1, "NotAuthorizedException": THREADS - 1}, answers
