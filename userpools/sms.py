"""SMS senders, chosen by ``COGNATE_SMS_SENDER`` (a dotted path to a class).

- ``userpools.sms.ConsoleSender`` (default): logs the message while ``DEBUG`` is on
  (``make run``); otherwise only that one went, to a masked number (codes never reach logs).
- ``userpools.sms.FileSender``: appends JSON lines to ``COGNATE_SMS_FILE``.
- ``userpools.sms.SnsSender``: Amazon SNS ``Publish`` through boto3.
- ``userpools.sms.WebhookSender``: POSTs JSON to ``COGNATE_SMS_WEBHOOK_URL``, signed with
  HMAC-SHA256 of the body under ``COGNATE_SMS_WEBHOOK_SECRET`` in ``X-Cognate-Signature``.
A sender raises :class:`SmsError` on failure; the delivery task retries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("cognate.sms")


class SmsError(Exception):
    pass


def masked_number(number: str) -> str:
    """``+*******1234``, as CodeDeliveryDetails shows a phone number."""
    return "+" + "*" * max(len(number) - 5, 0) + number[-4:]


class ConsoleSender:
    """Development's sender. The body holds codes and temporary passwords: outside ``DEBUG``
    it is not logged (a production log store is read by more people than the recipient)."""

    def send(self, *, to: str, body: str) -> None:
        if settings.DEBUG:
            logger.info("SMS to %s: %s", to, body)
        else:
            logger.info("SMS to %s not printed (DEBUG is off; set COGNATE_SMS_SENDER to deliver it)", masked_number(to))


class FileSender:
    def __init__(self, path: str | None = None) -> None:
        self.path = path or getattr(settings, "COGNATE_SMS_FILE", "var/sms.jsonl")

    def send(self, *, to: str, body: str) -> None:
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"to": to, "body": body, "at": time.time()}) + "\n")


class SnsSender:
    def __init__(self) -> None:
        import boto3

        self.client = boto3.client("sns")

    def send(self, *, to: str, body: str) -> None:
        try:
            self.client.publish(PhoneNumber=to, Message=body)
        except Exception as exc:  # noqa: BLE001 - any SNS failure is a delivery failure
            raise SmsError(f"SNS publish failed: {type(exc).__name__}") from exc


class WebhookSender:
    def __init__(self) -> None:
        self.url = settings.COGNATE_SMS_WEBHOOK_URL
        self.secret = settings.COGNATE_SMS_WEBHOOK_SECRET.encode()

    def send(self, *, to: str, body: str) -> None:
        import requests

        payload = json.dumps({"to": to, "body": body}).encode()
        signature = hmac.new(self.secret, payload, hashlib.sha256).hexdigest()
        try:
            response = requests.post(
                self.url,
                data=payload,
                timeout=10,
                headers={"Content-Type": "application/json", "X-Cognate-Signature": f"sha256={signature}"},
            )
        except requests.RequestException as exc:
            raise SmsError(f"webhook unreachable: {type(exc).__name__}") from exc
        if response.status_code >= 300:
            raise SmsError(f"webhook answered HTTP {response.status_code}")


@cache
def _sender_class(path: str):
    return import_string(path)


def sms_sender():
    return _sender_class(getattr(settings, "COGNATE_SMS_SENDER", "userpools.sms.ConsoleSender"))()
