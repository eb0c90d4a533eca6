"""Celery tasks of the user-pool app (batch jobs; code delivery arrives with F2)."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from userpools.models import AuditEvent, AuthSession, RefreshToken

logger = logging.getLogger("cognate.delivery")


@shared_task(name="userpools.audit_prune")
def audit_prune(older_than_days: int = 365) -> int:
    """Delete audit events older than ``older_than_days``; returns how many went."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = AuditEvent.objects.filter(at__lt=cutoff).delete()
    return deleted


_PRUNE_BATCH = 1000  # refresh tokens deleted a statement


@shared_task(name="userpools.sessions_prune")
def sessions_prune() -> dict[str, int]:
    """Delete what sign-in leaves behind once it is of no use (Celery beat runs this hourly,
    see ``config/celery.py``); returns how many rows of each kind went.

    * Challenge sessions (AuthSession) used or expired more than an hour ago: the hour
      keeps "session is expired" precise for a late answer.
    * Devices handed out at sign-in (NewDeviceMetadata) and never confirmed
      (userpools.services.devices.devices_unconfirmed_purge).
    * Refresh tokens that expired more than a day ago, whole sessions at once (a session's
      tokens share its expiry). Not sooner, revoked ones included: an access token issued
      just before its refresh token expired lives up to a day longer, and it is refused
      after a revocation only while the revoked refresh token's row is there.
    * Send-limit and failure counters whose window has closed (userpools.services.limits).
    * Failure counts of unknown usernames idle for 30 days (userpools.services.auth,
      UNKNOWN_LOCKOUT_IDLE).
    """
    from userpools.services.tokens import MAX_TOKEN_LIFETIME

    now = timezone.now()
    stale = now - timedelta(hours=1)
    challenges, _ = AuthSession.objects.filter(Q(used_at__lt=stale) | Q(expires_at__lt=stale)).delete()
    expired = RefreshToken.objects.filter(expires_at__lt=now - MAX_TOKEN_LIFETIME)
    refresh_tokens = 0
    while batch := list(expired.values_list("pk", flat=True)[:_PRUNE_BATCH]):
        # Deleting clears the rotation links (``parent``) pointing at the batch first.
        refresh_tokens += RefreshToken.objects.filter(pk__in=batch).delete()[1].get(RefreshToken._meta.label, 0)
    from userpools.services.auth import unknown_lockouts_prune
    from userpools.services.devices import devices_unconfirmed_purge
    from userpools.services.limits import counters_prune

    return {"auth_sessions": challenges, "refresh_tokens": refresh_tokens, "devices": devices_unconfirmed_purge(),
            "limit_counters": counters_prune(), "unknown_user_lockouts": unknown_lockouts_prune()}  # fmt: skip


@shared_task(
    name="userpools.deliver",
    bind=True,
    acks_late=True,
    max_retries=6,
    autoretry_for=(),
)
def deliver(self, delivery_id: int) -> str:
    """Send one Delivery; retried with exponential back-off, failures recorded on the row.

    What is logged names the delivery, its purpose, medium and masked destination, never
    the body (it carries codes and temporary passwords) nor the error's text.
    """
    from django.conf import settings as django_settings
    from django.core.mail import EmailMessage

    from userpools.models import Delivery
    from userpools.services.delivery import mask
    from userpools.sms import sms_sender

    delivery = Delivery.objects.filter(pk=delivery_id).first()
    if delivery is None or delivery.state == Delivery.State.SENT:
        return "skipped"
    try:
        if delivery.medium == Delivery.Medium.EMAIL:
            message = EmailMessage(delivery.subject, delivery.body, django_settings.DEFAULT_FROM_EMAIL, [delivery.destination])
            if delivery.html:
                message.content_subtype = "html"
            message.send(fail_silently=False)
        else:
            sms_sender().send(to=delivery.destination, body=delivery.body)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, then retried
        delivery.attempts += 1
        delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        # Eager (embedded) mode cannot retry later: the first failure is final there.
        final = self.request.retries >= self.max_retries or django_settings.CELERY_TASK_ALWAYS_EAGER
        delivery.state = Delivery.State.FAILED if final else Delivery.State.PENDING
        logger.warning("Delivery %s (%s by %s to %s) failed, attempt %d%s: %s", delivery.pk, delivery.purpose,
                       delivery.medium, mask(delivery.medium, delivery.destination), delivery.attempts,
                       "" if final else ", will retry", type(exc).__name__)  # fmt: skip
        if not _record(delivery, "attempts", "last_error", "state"):
            return "skipped"
        if final:
            return "failed"
        raise self.retry(exc=exc, countdown=min(2 ** self.request.retries, 300)) from None
    delivery.attempts += 1
    delivery.state = Delivery.State.SENT
    delivery.sent_at = timezone.now()
    delivery.body = ""  # the code is spent or not, but it no longer needs to be kept
    _record(delivery, "attempts", "state", "sent_at", "body")
    logger.info("Delivery %s (%s by %s to %s) sent", delivery.pk, delivery.purpose, delivery.medium,
                mask(delivery.medium, delivery.destination))  # fmt: skip
    return "sent"


def _record(delivery, *fields: str) -> bool:
    """Save ``fields`` of the row; False when it is gone (its pool was deleted meanwhile)."""
    return bool(type(delivery).objects.filter(pk=delivery.pk).update(**{f: getattr(delivery, f) for f in fields}))


@shared_task(name="userpools.domains_verify")
def domains_verify() -> dict[str, int]:
    """Look up the TXT record of every custom domain not verified yet (Celery beat runs this
    every ten minutes, see ``config/celery.py``; ``manage.py verify_domains`` does it at
    once): an operator who published the record needs do nothing more. Returns how many
    were checked and how many are verified now."""
    from userpools.context import ServiceContext
    from userpools.services.domains import custom_domains_verify_pending

    checked = custom_domains_verify_pending(ServiceContext(actor="system:domains_verify"))
    return {"checked": len(checked), "verified": sum(d.verified_at is not None for d in checked)}
