"""Delivering codes and invitations: a Delivery row, then a Celery task after commit.

The row is written in the caller's transaction and the task is queued only once that
commits (``transaction.on_commit``), so a rolled-back sign-up sends nothing and a
committed one is never lost: the task is acknowledged late, retried with back-off,
and every failure is recorded on the row for operators to see. Message bodies (they
carry codes) are encrypted at rest and cleared once sent.

E-mail goes through Django's e-mail backend; SMS through the sender named by
``COGNATE_SMS_SENDER`` (see :mod:`userpools.sms`).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from userpools.context import ServiceContext
from userpools.models import Delivery, User

DEFAULT_EMAIL_SUBJECT = "Your verification code"
DEFAULT_EMAIL_MESSAGE = "Your verification code is {####}. "
DEFAULT_SMS_MESSAGE = "Your verification code is {####}. "
DEFAULT_INVITE_SUBJECT = "Your temporary password"
DEFAULT_INVITE_MESSAGE = "Your username is {username} and temporary password is {####}. "


def mask(medium: str, destination: str) -> str:
    """CodeDeliveryDetails.Destination as Cognito shows it: ``a***@e***`` or ``+*******1234``."""
    if medium == Delivery.Medium.EMAIL:
        local, _, domain = destination.partition("@")
        return f"{local[:1]}***@{domain[:1]}***"
    return "+" + "*" * max(len(destination) - 5, 0) + destination[-4:]


def render(template: str, *, code: str = "", username: str = "") -> str:
    return template.replace("{####}", code).replace("{username}", username)


def delivery_send(
    ctx: ServiceContext,
    *,
    user: User,
    medium: str,
    destination: str,
    purpose: str,
    body: str,
    subject: str = "",
) -> Delivery:
    """Record a message and queue its task after the surrounding transaction commits."""
    delivery = Delivery.objects.create(
        pool=user.pool, user=user, medium=medium, destination=destination, purpose=purpose,
        subject=subject, body=body, html="<" in body and ">" in body,
    )  # fmt: skip
    from userpools.tasks import deliver

    transaction.on_commit(lambda: deliver.delay(delivery.pk))
    return delivery


def code_delivery_details(medium: str, destination: str, attribute: str) -> dict[str, Any]:
    return {"Destination": mask(medium, destination), "DeliveryMedium": medium, "AttributeName": attribute}
