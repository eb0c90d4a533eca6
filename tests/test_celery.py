"""Celery wiring: eager in the embedded setup, a real worker process in CI (COGNATE_EXPECT_WORKER=1)."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.utils import timezone

from userpools.models import AuditEvent, Delivery, User
from userpools.services.delivery import MAX_RETRIES, DeliveryRetry, delivery_attempt
from userpools.tasks import audit_prune, deliver


def test_mode_matches_environment():
    expect_worker = os.environ.get("COGNATE_EXPECT_WORKER") == "1"
    assert settings.CELERY_TASK_ALWAYS_EAGER is (not expect_worker)
    if expect_worker:
        assert settings.CELERY_BROKER_URL.startswith("redis://")


@pytest.mark.django_db(transaction=True)
def test_audit_prune_runs_through_celery():
    old = AuditEvent.objects.create(actor="test", action="x")
    AuditEvent.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=400))
    recent = AuditEvent.objects.create(actor="test", action="y")
    # .delay() goes to the worker process when a broker is configured, inline otherwise.
    result = audit_prune.delay(365)
    assert result.get(timeout=30) == 1
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [recent.pk]


def test_every_task_is_registered_in_a_process_that_never_imported_a_task_module():
    """userpools/services/delivery.py queues ``userpools.deliver`` by name from Celery's registry,
    never importing userpools.tasks; config/celery.py registers every app's tasks once Django is set
    up, in a web process as in a worker."""
    code = (
        "import os, sys, django\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings')\n"
        "django.setup()\n"
        "from celery import current_app\n"
        "assert 'userpools.tasks' not in sys.modules\n"
        "print(sorted(name for name in current_app.tasks if not name.startswith('celery.')))\n"
    )
    env = {**os.environ, "SECRET_KEY": os.environ.get("SECRET_KEY", "x" * 50)}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == str(
        sorted(
            [
                "hostedui.sessions_prune",
                "identity.credentials_prune",
                "userpools.audit_prune",
                "userpools.deliver",
                "userpools.domains_verify",
                "userpools.sessions_prune",
            ]
        )
    )


class FailingSender:
    """An SMS sender whose provider is down (named by COGNATE_SMS_SENDER in the tests below)."""

    def send(self, *, to: str, body: str) -> None:
        raise ConnectionError("provider down at 10.0.0.7")


def _failing_sms_delivery(settings) -> Delivery:
    from userpools.context import SYSTEM
    from userpools.services import users
    from userpools.services.pools import user_pool_create

    settings.COGNATE_SMS_SENDER = "tests.test_celery.FailingSender"
    pool = user_pool_create(SYSTEM, {"PoolName": "retries"})
    user = users.user_create(
        SYSTEM, pool=pool, username="u", password="Passw0rd!x", attributes={}, status=User.Status.CONFIRMED
    )
    return Delivery.objects.create(
        pool=pool,
        user=user,
        medium=Delivery.Medium.SMS,
        destination="+15555550123",
        purpose="invitation",
        body="Your code is 123456",
    )


@pytest.mark.django_db
def test_a_failed_delivery_is_retried_with_back_off_then_recorded_as_failed(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # as with a worker: a failure is tried again later
    delivery = _failing_sms_delivery(settings)
    for retries, countdown in [(0, 1), (1, 2), (5, 32)]:
        with pytest.raises(DeliveryRetry) as retry:
            delivery_attempt(delivery.pk, retries=retries)
        assert retry.value.countdown == countdown and isinstance(retry.value.error, ConnectionError)
        delivery.refresh_from_db()
        assert delivery.state == Delivery.State.PENDING and delivery.body == "Your code is 123456"
    assert delivery.attempts == 3 and delivery.last_error == "ConnectionError: provider down at 10.0.0.7"
    assert delivery_attempt(delivery.pk, retries=MAX_RETRIES) == "failed"
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.FAILED and delivery.attempts == 4


@pytest.mark.django_db
def test_the_delivery_task_retries_as_the_service_says(settings, caplog):
    """Each attempt as a worker makes it (``apply`` with the worker's retry count): Celery is
    asked to retry after the service's countdown until the last attempt, which is final."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    delivery = _failing_sms_delivery(settings)
    assert deliver.max_retries == MAX_RETRIES and deliver.acks_late
    for retries in range(MAX_RETRIES):
        with pytest.raises(Retry) as retry:
            deliver.apply(args=(delivery.pk,), retries=retries, throw=True)
        assert retry.value.when == 2**retries and isinstance(retry.value.exc, ConnectionError)
    assert deliver.apply(args=(delivery.pk,), retries=MAX_RETRIES).get() == "failed"
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.FAILED and delivery.attempts == MAX_RETRIES + 1
    retried = [
        r.getMessage() for r in caplog.records if r.name == "cognate.delivery" and "will retry" in r.getMessage()
    ]
    assert len(retried) == MAX_RETRIES
    assert all("10.0.0.7" not in r.getMessage() and "5555550123" not in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_eager_mode_records_the_first_failure_as_final(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no worker to retry later
    delivery = _failing_sms_delivery(settings)
    assert deliver.apply(args=(delivery.pk,)).get() == "failed"
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.FAILED and delivery.attempts == 1
    assert deliver.apply(args=(delivery.pk + 1000,)).get() == "skipped"  # gone
