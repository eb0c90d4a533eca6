"""Delivering codes and invitations: a Delivery row, then a Celery task after commit.

The row is written in the caller's transaction and the task is queued only once that
commits (``transaction.on_commit``), so a rolled-back sign-up sends nothing and a
committed one is never lost: the task is acknowledged late, retried with back-off,
and every failure is recorded on the row for operators to see. Message bodies (they
carry codes) are encrypted at rest and cleared once sent.

E-mail goes through Django's e-mail backend; SMS through the sender named by
``COGNATE_SMS_SENDER`` (see :mod:`userpools.sms`).

Whether an e-mail is HTML is the pool's template's to say, never the values put into it:
a username or a temporary password is escaped in an HTML message (a stranger's username
``<a href=...>`` must not become a link in another's mail reader) and left as written in
plain-text e-mail and SMS.
"""

from __future__ import annotations

import html
import logging
import re
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from userpools.context import ServiceContext
from userpools.mail import masked_address
from userpools.models import Delivery, User
from userpools.sms import masked_number, sms_sender

logger = logging.getLogger("cognate.delivery")

DEFAULT_EMAIL_SUBJECT = "Your verification code"
DEFAULT_EMAIL_MESSAGE = "Your verification code is {####}. "
DEFAULT_SMS_MESSAGE = "Your verification code is {####}. "
DEFAULT_INVITE_SUBJECT = "Your temporary password"
DEFAULT_INVITE_MESSAGE = "Your username is {username} and temporary password is {####}. "


def mask(medium: str, destination: str) -> str:
    """CodeDeliveryDetails.Destination as Cognito shows it: ``a***@e***`` or ``+*******1234``."""
    return masked_address(destination) if medium == Delivery.Medium.EMAIL else masked_number(destination)


# An HTML element or comment (tag name first), as an operator writes one into a template.
_HTML_TAG = re.compile(r"<(?:[A-Za-z][^<>]*|/[A-Za-z][^<>]*|!--.*?--)>", re.DOTALL)


def template_is_html(template: str) -> bool:
    """Whether a message template is HTML: it holds a tag. Only the template (the operator's
    text) decides; the values substituted into it never do."""
    return bool(_HTML_TAG.search(template))


class RenderedMessage(str):
    """A template with its placeholders filled: the text as SMS and plain-text e-mail carry
    it, and in ``html`` the form an HTML e-mail carries (values escaped), or None when the
    template is not HTML. :func:`delivery_send` picks the one its medium needs, so the
    callers that render a message need not know which it will be."""

    html: str | None

    def __new__(cls, template: str, values: dict[str, str]) -> RenderedMessage:
        rendered = super().__new__(cls, _substitute(template, values))
        rendered.html = (
            _substitute(template, {k: html.escape(v) for k, v in values.items()})
            if template_is_html(template)
            else None
        )
        return rendered


def _substitute(template: str, values: dict[str, str]) -> str:
    # One pass, so a value holding another placeholder (a username "{####}") stays as written.
    return re.sub(r"\{####\}|\{username\}", lambda m: values.get(m.group(0), m.group(0)), template)


def render(template: str, *, code: str = "", username: str = "") -> RenderedMessage:
    return RenderedMessage(template, {"{####}": code, "{username}": username})


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
    """Record a message and queue its task after the surrounding transaction commits.

    ``body`` is what :func:`render` made (an e-mail is HTML when its template is, with the
    values escaped), or a text of the caller's own, taken as a template without values.
    """
    rendered = body if isinstance(body, RenderedMessage) else RenderedMessage(body, {})
    html_body = rendered.html if medium == Delivery.Medium.EMAIL else None
    delivery = Delivery.objects.create(
        pool=user.pool,
        user=user,
        medium=medium,
        destination=destination,
        purpose=purpose,
        subject=subject,
        body=str(rendered) if html_body is None else html_body,
        html=html_body is not None,
    )
    transaction.on_commit(lambda: _deliver_task().delay(delivery.pk))
    return delivery


DELIVER_TASK = "userpools.deliver"  # the task that calls delivery_attempt (userpools/tasks.py)


def _deliver_task():
    """The delivery task, from Celery's registry by name, so that this module need not import
    the task module that imports it (config/celery.py registers every app's tasks in any
    process). ``.delay()`` on it runs the task in this process when CELERY_TASK_ALWAYS_EAGER
    is on, as ``send_task`` would not."""
    return current_app.tasks[DELIVER_TASK]


MAX_RETRIES = 6  # attempts after the first, ``countdown`` seconds apart (see DeliveryRetry)
MAX_BACK_OFF = 300  # seconds


class DeliveryRetry(Exception):
    """An attempt failed and the delivery is to be tried again in ``countdown`` seconds."""

    def __init__(self, error: Exception, countdown: int) -> None:
        super().__init__(type(error).__name__)
        self.error = error
        self.countdown = countdown


def delivery_attempt(delivery_id: int, *, retries: int) -> str:
    """Send one Delivery, the ``retries``-th retry of it (0 on the first attempt): "sent",
    "skipped" (already sent, or gone), "failed" (the last attempt failed), or DeliveryRetry
    raised, back-off doubling up to MAX_BACK_OFF. Every failure is recorded on the row.

    What is logged names the delivery, its purpose, medium and masked destination, never
    the body (it carries codes and temporary passwords) nor the error's text.
    """
    delivery = Delivery.objects.filter(pk=delivery_id).first()
    if delivery is None or delivery.state == Delivery.State.SENT:
        return "skipped"
    try:
        if delivery.medium == Delivery.Medium.EMAIL:
            message = EmailMessage(delivery.subject, delivery.body, settings.DEFAULT_FROM_EMAIL, [delivery.destination])
            if delivery.html:
                message.content_subtype = "html"
            message.send(fail_silently=False)
        else:
            sms_sender().send(to=delivery.destination, body=delivery.body)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, then retried
        delivery.attempts += 1
        delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        # Eager (embedded) mode cannot retry later: the first failure is final there.
        final = retries >= MAX_RETRIES or settings.CELERY_TASK_ALWAYS_EAGER
        delivery.state = Delivery.State.FAILED if final else Delivery.State.PENDING
        logger.warning(
            "Delivery %s (%s by %s to %s) failed, attempt %d%s: %s",
            delivery.pk,
            delivery.purpose,
            delivery.medium,
            mask(delivery.medium, delivery.destination),
            delivery.attempts,
            "" if final else ", will retry",
            type(exc).__name__,
        )
        if not _record(delivery, "attempts", "last_error", "state"):
            return "skipped"
        if final:
            return "failed"
        raise DeliveryRetry(exc, countdown=min(2**retries, MAX_BACK_OFF)) from None
    delivery.attempts += 1
    delivery.state = Delivery.State.SENT
    delivery.sent_at = timezone.now()
    delivery.body = ""  # the code is spent or not, but it no longer needs to be kept
    _record(delivery, "attempts", "state", "sent_at", "body")
    logger.info(
        "Delivery %s (%s by %s to %s) sent",
        delivery.pk,
        delivery.purpose,
        delivery.medium,
        mask(delivery.medium, delivery.destination),
    )
    return "sent"


def _record(delivery: Delivery, *fields: str) -> bool:
    """Save ``fields`` of the row; False when it is gone (its pool was deleted meanwhile)."""
    return bool(Delivery.objects.filter(pk=delivery.pk).update(**{f: getattr(delivery, f) for f in fields}))


def code_delivery_details(medium: str, destination: str, attribute: str) -> dict[str, Any]:
    return {"Destination": mask(medium, destination), "DeliveryMedium": medium, "AttributeName": attribute}
