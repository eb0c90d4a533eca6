"""Concurrent ConfirmDevice calls for one device key: exactly one confirms it, the others
answer DeviceKeyExistsException (the row is locked while it is checked and written).
Threads need PostgreSQL, as in tests/auth/test_races.py."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from userpools import srp
from userpools.context import SYSTEM, ServiceContext
from userpools.errors import DeviceKeyExists
from userpools.models import User, UserDevice
from userpools.services import devices, users
from userpools.services.pools import user_pool_create

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6


@pytest.mark.skipif(connection.vendor == "sqlite", reason="concurrent writers need a server database")
def test_concurrent_confirmations_confirm_once():
    pool = user_pool_create(SYSTEM, {"PoolName": "race", "DeviceConfiguration": {"ChallengeRequiredOnNewDevice": True}})
    user = users.user_create(SYSTEM, pool=pool, username="alice", password="Passw0rd!", attributes={},
                             status=User.Status.CONFIRMED)  # fmt: skip
    device = UserDevice.objects.create(pool=pool, user=user, device_key=f"{pool.id.split('_')[0]}_race",
                                       group_key="-group")  # fmt: skip
    secrets = [srp.device_secret_new(device.group_key, device.device_key) for _ in range(THREADS)]
    barrier, results = threading.Barrier(THREADS), Counter()

    def confirm(index: int) -> None:
        try:
            barrier.wait()
            fresh = User.objects.select_related("pool").get(pk=user.pk)
            devices.device_confirm(ServiceContext(actor="race"), user=fresh, device_key=device.device_key,
                                   verifier_config=secrets[index][1])  # fmt: skip
            results["confirmed"] += 1
        except DeviceKeyExists:
            results["exists"] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == Counter(confirmed=1, exists=THREADS - 1)
    device.refresh_from_db()
    assert device.confirmed and device.remembered
