"""Celery wiring: eager in the embedded setup, a real worker process in CI (COGNATE_EXPECT_WORKER=1)."""

import os
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from userpools.models import AuditEvent
from userpools.tasks import audit_prune


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
