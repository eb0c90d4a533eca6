"""Celery tasks of the user-pool app (batch jobs; code delivery arrives with F2)."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from userpools.models import AuditEvent


@shared_task(name="userpools.audit_prune")
def audit_prune(older_than_days: int = 365) -> int:
    """Delete audit events older than ``older_than_days``; returns how many went."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = AuditEvent.objects.filter(at__lt=cutoff).delete()
    return deleted
