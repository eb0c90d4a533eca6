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
import re
from typing import Any

from django.db import transaction

from userpools.context import ServiceContext
from userpools.mail import masked_address
from userpools.models import Delivery, User
from userpools.sms import masked_number

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
        rendered.html = (_substitute(template, {k: html.escape(v) for k, v in values.items()})
                         if template_is_html(template) else None)  # fmt: skip
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
        pool=user.pool, user=user, medium=medium, destination=destination, purpose=purpose,
        subject=subject, body=str(rendered) if html_body is None else html_body, html=html_body is not None,
    )  # fmt: skip
    from userpools.tasks import deliver

    transaction.on_commit(lambda: deliver.delay(delivery.pk))
    return delivery


def code_delivery_details(medium: str, destination: str, attribute: str) -> dict[str, Any]:
    return {"Destination": mask(medium, destination), "DeliveryMedium": medium, "AttributeName": attribute}
