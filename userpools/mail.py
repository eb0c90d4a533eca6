"""The default e-mail backend: Django's console backend, but only while ``DEBUG`` is on.

Messages carry sign-up codes, MFA codes and temporary passwords. Printed to a production
server's output they would end in its log store for anyone who reads logs. Outside
``DEBUG`` this backend therefore logs only that a message went, to whom (masked), never
its subject or body; ``make run`` (``DEBUG=1``) still prints whole messages to its
terminal as a development convenience. Real delivery is another backend (``EMAIL_BACKEND``,
e.g. Django's SMTP backend; README, Settings).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend

logger = logging.getLogger("cognate.mail")


def masked_address(address: str) -> str:
    """``a***@e***``, as CodeDeliveryDetails shows an address."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain[:1]}***"


class ConsoleEmailBackend(DjangoConsoleBackend):
    def send_messages(self, email_messages):
        if settings.DEBUG:
            return super().send_messages(email_messages)
        sent = 0
        for message in email_messages or ():
            recipients = message.recipients()
            if not recipients:
                continue
            logger.info(
                "E-mail to %s not printed (DEBUG is off; set EMAIL_BACKEND to deliver it)",
                ", ".join(masked_address(r) for r in recipients),
            )
            sent += 1
        return sent
