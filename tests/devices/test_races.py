"""Concurrent ConfirmDevice calls for one device key: exactly one confirms it, the others
answer DeviceKeyExistsException (the row is locked while it is checked and written).
Threads need PostgreSQL, as in tests/auth/test_races.py."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.races import race, threaded
from userpools import srp
from userpools.context import SYSTEM, ServiceContext
from userpools.errors import ErrorCode
from userpools.models import User, UserDevice
from userpools.services import devices, users
from userpools.services.pools import user_pool_create

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6


@threaded
def test_concurrent_confirmations_confirm_once():
    pool = user_pool_create(SYSTEM, {"PoolName": "race", "DeviceConfiguration": {"ChallengeRequiredOnNewDevice": True}})
    user = users.user_create(
        SYSTEM, pool=pool, username="alice", password="Passw0rd!", attributes={}, status=User.Status.CONFIRMED
    )
    device = UserDevice.objects.create(
        pool=pool, user=user, device_key=f"{pool.id.split('_')[0]}_race", group_key="-group"
    )
    secrets = [srp.device_secret_new(device.group_key, device.device_key) for _ in range(THREADS)]

    def confirm(index: int):
        def run() -> None:
            fresh = User.objects.select_related("pool").get(pk=user.pk)
            devices.device_confirm(
                ServiceContext(actor="race"),
                user=fresh,
                device_key=device.device_key,
                verifier_config=secrets[index][1],
            )

        return run

    results = Counter(race(*[confirm(i) for i in range(THREADS)]))
    assert results == Counter({"ok": 1, ErrorCode.DEVICE_KEY_EXISTS.value: THREADS - 1})
    device.refresh_from_db()
    assert device.confirmed and device.remembered
