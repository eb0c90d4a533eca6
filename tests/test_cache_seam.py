"""The process caches (userpools.services.memo) forget a changed row when its transaction
commits, not when the row is saved: a reader in the same process that loads the row
between the save and the commit sees (and caches) the old row; the commit then clears it.

The race tests hold a write transaction open while another connection reads; SQLite's
in-memory test database fails that reader ("database table is locked") instead of letting
it read the committed row, so they run on PostgreSQL only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from userpools.context import SYSTEM
from userpools.models import AppClient, UserPool
from userpools.services import memo
from userpools.services.clientauth import client_load
from userpools.services.clients import user_pool_client_create
from userpools.services.pools import user_pool_create, user_pool_read

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _empty_caches():
    memo.clear_all()
    yield
    memo.clear_all()


@pytest.fixture
def postgres_only(django_db_setup):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database fails a reader while another connection writes")


def _read_in_another_thread(read: Callable[[], str]) -> str:
    """What ``read`` returns on a thread of this process with its own connection."""
    seen: list[str] = []

    def run() -> None:
        try:
            seen.append(read())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert seen, "the reader failed"
    return seen[0]


def test_a_pool_read_before_the_commit_is_not_kept_after_it(postgres_only):
    pool_id = user_pool_create(SYSTEM, {"PoolName": "before"}).id
    assert user_pool_read(pool_id).name == "before"

    with transaction.atomic():
        pool = UserPool.objects.get(pk=pool_id)
        pool.name = "after"
        pool.save()  # post_save fires here, inside the transaction
        # Another request of this process reads the pool now: it sees the committed row.
        assert _read_in_another_thread(lambda: user_pool_read(pool_id).name) == "before"

    assert user_pool_read(pool_id).name == "after"
    assert _read_in_another_thread(lambda: user_pool_read(pool_id).name) == "after"


def test_a_client_read_before_the_commit_is_not_kept_after_it(postgres_only):
    pool_id = user_pool_create(SYSTEM, {"PoolName": "p"}).id
    client_id = user_pool_client_create(SYSTEM, {"UserPoolId": pool_id, "ClientName": "before"}).client_id
    assert client_load(client_id)[0].name == "before"

    with transaction.atomic():
        client = AppClient.objects.get(client_id=client_id)
        client.name = "after"
        client.save()
        assert _read_in_another_thread(lambda: client_load(client_id)[0].name) == "before"

    assert client_load(client_id)[0].name == "after"


def test_a_pool_deleted_is_forgotten_on_commit(postgres_only):
    pool_id = user_pool_create(SYSTEM, {"PoolName": "gone"}).id
    with transaction.atomic():
        UserPool.objects.filter(pk=pool_id).delete()
        assert _read_in_another_thread(lambda: user_pool_read(pool_id).name) == "gone"

    from userpools.errors import ResourceNotFound

    with pytest.raises(ResourceNotFound):
        user_pool_read(pool_id)


# --- The registry's rule, on any database ----------------------------------------------------


def _filled(name: str, *invalidated_by) -> memo.ProcessCache[str, str]:
    cache: memo.ProcessCache[str, str] = memo.ProcessCache(name, 60, invalidated_by=invalidated_by)
    cache.get("a", str.upper)
    cache.get("b", str.upper)
    return cache


def test_a_save_clears_when_its_transaction_commits_not_before():
    pool = user_pool_create(SYSTEM, {"PoolName": "p"})
    cache = _filled("seam-commit", "userpools.UserPool")
    with transaction.atomic():
        pool.name = "changed"
        pool.save()
        assert len(cache) == 2
    assert len(cache) == 0


def test_a_save_outside_a_transaction_clears_at_once():
    pool = user_pool_create(SYSTEM, {"PoolName": "p"})
    cache = _filled("seam-autocommit", UserPool)
    pool.save()
    assert len(cache) == 0


def test_a_rolled_back_save_clears_nothing():
    """Nothing changed, so the entries (read from committed rows) stay right."""
    pool = user_pool_create(SYSTEM, {"PoolName": "p"})
    cache = _filled("seam-rollback", "userpools.UserPool")
    with pytest.raises(RuntimeError), transaction.atomic():
        pool.save()
        raise RuntimeError("rolled back")
    assert len(cache) == 2
    with transaction.atomic(), pytest.raises(RuntimeError), transaction.atomic():  # a savepoint rolled back
        pool.save()
        raise RuntimeError("rolled back")
    assert len(cache) == 2


def test_a_delete_clears_on_commit_and_keyed_rules_forget_only_their_keys():
    pool = user_pool_create(SYSTEM, {"PoolName": "p"})
    other = user_pool_create(SYSTEM, {"PoolName": "q"})
    cache: memo.ProcessCache[str, str] = memo.ProcessCache(
        "seam-keyed", 60, invalidated_by=(memo.On(UserPool, keys=lambda p: [p.pk]),)
    )
    cache.get(pool.pk, str.upper)
    cache.get(other.pk, str.upper)
    with transaction.atomic():
        UserPool.objects.filter(pk=pool.pk).delete()
        assert len(cache) == 2
    assert cache.get(pool.pk, lambda key: "reloaded") == "reloaded"
    assert cache.get(other.pk, lambda key: "reloaded") == other.pk.upper()


def test_saves_of_other_models_leave_a_cache_alone():
    pool = user_pool_create(SYSTEM, {"PoolName": "p"})
    cache = _filled("seam-other-model", "userpools.AppClient")
    pool.save()
    assert len(cache) == 2


def test_the_service_caches_are_registered_with_their_invalidation():
    caches = {info.name: info for info in memo.registered()}
    assert caches["pools"].invalidated_by == ("userpools.UserPool (by key)",)
    assert set(caches["clients"].invalidated_by) == {
        "userpools.AppClient",
        "userpools.ClientSecret",
        "userpools.UserPool",
    }
    assert caches["hosts"].invalidated_by == ("userpools.UserPoolDomain",)
    assert caches["access-keys"].invalidated_by == ("identity.AccessKey (by key)", "userpools.User (by key)")


def test_an_operators_change_forgets_its_keys_records_when_it_commits(make_access_key, django_user_model):
    from identity.services import callers

    key_id, _ = make_access_key(username="changed")
    other_id, _ = make_access_key(username="unchanged")
    assert callers._key_record(key_id).operator_active
    assert callers._key_record(other_id).operator_active
    operator = django_user_model.objects.get(username="changed", pool__isnull=True)
    with transaction.atomic():
        operator.is_active = False
        operator.save()
        assert len(callers._records) == 2
    assert len(callers._records) == 1
    assert callers._key_record(key_id).operator_active is False


def test_a_pool_users_save_forgets_no_key_record(make_access_key, django_user_model, django_assert_num_queries):
    from identity.services import callers
    from userpools.models import User

    key_id, _ = make_access_key(username="op")
    callers._key_record(key_id)
    pool = user_pool_create(SYSTEM, {"PoolName": "p"})
    user = User.objects.create(pool=pool, username="someone")
    with django_assert_num_queries(1):  # the UPDATE: no look-up of keys for a pool user
        user.save()
    assert len(callers._records) == 1
