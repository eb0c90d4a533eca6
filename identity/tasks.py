"""Periodic identity-pool jobs (run by Celery beat, see config/celery.py)."""

from __future__ import annotations

from celery import shared_task

from identity.services.credentials import temporary_credentials_purge


@shared_task(name="identity.credentials_prune")
def credentials_prune() -> int:
    """Delete built-in temporary credentials that expired more than a day ago; returns how many."""
    return temporary_credentials_purge()
