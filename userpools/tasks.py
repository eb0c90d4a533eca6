"""Celery tasks of the user-pool app. Each calls the service that holds its rules; the
periodic ones are scheduled in config/celery.py."""

from __future__ import annotations

from celery import shared_task

from userpools.context import ServiceContext
from userpools.services import audit, delivery, domains, housekeeping


@shared_task(name="userpools.audit_prune")
def audit_prune(older_than_days: int = audit.AUDIT_KEPT_DAYS) -> int:
    """Audit events older than ``older_than_days`` deleted (userpools.services.audit)."""
    return audit.audit_events_prune(older_than_days)


@shared_task(name="userpools.sessions_prune")
def sessions_prune() -> dict[str, int]:
    """What sign-in leaves behind, deleted once of no use (userpools.services.housekeeping)."""
    return housekeeping.sign_in_leftovers_prune()


@shared_task(name=delivery.DELIVER_TASK, bind=True, acks_late=True, max_retries=delivery.MAX_RETRIES, autoretry_for=())
def deliver(self, delivery_id: int) -> str:
    """One Delivery sent (userpools.services.delivery), retried as the service says."""
    try:
        return delivery.delivery_attempt(delivery_id, retries=self.request.retries)
    except delivery.DeliveryRetry as retry:
        raise self.retry(exc=retry.error, countdown=retry.countdown) from None


@shared_task(name="userpools.domains_verify")
def domains_verify() -> dict[str, int]:
    """Custom domains not verified yet, looked up again (userpools.services.domains)."""
    return domains.custom_domains_verify_pending_count(ServiceContext(actor="system:domains_verify"))
