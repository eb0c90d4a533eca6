"""Capturing what Cognate really sends, in both ways delivery tasks run.

Delivery tasks run either eagerly inside the live server's thread (embedded default)
or in a separate Celery worker process (CI's second pass, ``COGNATE_EXPECT_WORKER=1``).
The worker does not see pytest's settings overrides, so in-process captures
(``mailoutbox``, a recording SMS sender) stay empty there. Instead:

- E-mail goes to a real SMTP server (aiosmtpd) run by the tests. The worker is started with

      EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend EMAIL_HOST=127.0.0.1
      EMAIL_PORT=$COGNATE_TEST_SMTP_PORT

  and the server listens on that fixed port (``COGNATE_TEST_SMTP_PORT``, default 8025
  with a worker); without a worker a free port is used unless the variable is set.
- SMS goes through ``userpools.sms.FileSender`` to a JSON-lines file; the worker is
  started with ``COGNATE_SMS_SENDER=userpools.sms.FileSender
  COGNATE_SMS_FILE=$COGNATE_TEST_SMS_FILE`` and the tests read the same file.

The fixtures (``smtp_server``, ``mailbox``, ``sms_outbox``) are in tests/conftest.py, so
the whole session shares one SMTP server (two on the fixed port would collide).
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

CODE_RE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
DEFAULT_SMTP_PORT = 8025
WAIT_SECONDS = 30


def expects_worker() -> bool:
    return os.environ.get("COGNATE_EXPECT_WORKER") == "1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def smtp_port() -> int:
    """The port the session's SMTP server listens on (see the module docstring)."""
    fixed = os.environ.get("COGNATE_TEST_SMTP_PORT")
    if fixed:
        return int(fixed)
    return DEFAULT_SMTP_PORT if expects_worker() else free_port()


def code_in(text: str) -> str:
    match = CODE_RE.search(text)
    assert match, f"no 6-digit code in {text!r}"
    return match.group(1)


# --- E-mail ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    subject: str
    body: str
    content_type: str = "text/plain"  # of the part ``body`` is (text/plain, else text/html)

    @property
    def code(self) -> str:
        return code_in(self.body)


class Collector:
    """aiosmtpd handler: keeps every message, wakes whoever waits."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.cond = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body_part = parsed.get_body(preferencelist=("plain", "html"))
        body = body_part.get_content() if body_part is not None else ""
        # As sent: SMTP's line endings back to "\n", and the final one the transport adds dropped.
        body = body.replace("\r\n", "\n").removesuffix("\n")
        received = Received(
            mail_from=envelope.mail_from,
            rcpt_tos=tuple(r.lower() for r in envelope.rcpt_tos),
            subject=str(parsed.get("Subject", "")),
            body=body,
            content_type=body_part.get_content_type() if body_part is not None else "",
        )
        with self.cond:
            self.messages.append(received)
            self.cond.notify_all()
        return "250 Message accepted for delivery"


_Collector = Collector  # the name tests/selfservice used


class Mailbox:
    """A test's view of the SMTP server: messages that arrived since the test began."""

    def __init__(self, collector: Collector, port: int) -> None:
        self.collector = collector
        self.port = port
        with collector.cond:
            self._start = len(collector.messages)
        self._consumed: dict[str, int] = {}

    @staticmethod
    def address(local: str = "user") -> str:
        """A fresh address, so no other test's (possibly late) mail can be mistaken for ours."""
        return f"{local}.{secrets.token_hex(4)}@example.com"

    def _to(self, address: str) -> list[Received]:
        address = address.lower()
        return [m for m in self.collector.messages[self._start :] if address in m.rcpt_tos]

    def messages_to(self, address: str) -> list[Received]:
        with self.collector.cond:
            return self._to(address)

    def next_message(self, address: str, timeout: float = WAIT_SECONDS) -> Received:
        """The next message to ``address`` not returned before, waiting for it to arrive."""
        deadline = time.monotonic() + timeout
        index = self._consumed.get(address.lower(), 0)
        with self.collector.cond:
            while True:
                found = self._to(address)
                if len(found) > index:
                    self._consumed[address.lower()] = index + 1
                    return found[index]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no message to {address} within {timeout} s (port {self.port})")
                self.collector.cond.wait(remaining)

    def code_for(self, address: str, timeout: float = WAIT_SECONDS) -> str:
        return self.next_message(address, timeout).code


# --- SMS ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sms:
    to: str
    body: str
    at: float

    @property
    def code(self) -> str:
        return code_in(self.body)


class SmsOutbox:
    """A test's view of FileSender's JSON-lines file: messages sent since the test began."""

    POLL_SECONDS = 0.05

    def __init__(self, path: Path) -> None:
        self.path = path
        # Lines already there belong to earlier tests; so do lines stamped before now.
        self._offset = path.stat().st_size if path.exists() else 0
        self._since = time.time()
        self._consumed: dict[str, int] = {}

    @staticmethod
    def number() -> str:
        """A fresh +1555 number, so no other test's (possibly late) SMS can be mistaken for ours."""
        return "+1555" + "".join(secrets.choice("0123456789") for _ in range(7))

    def _all(self) -> list[Sms]:
        try:
            with open(self.path, "rb") as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return []
        messages = []
        for line in data.split(b"\n"):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError:
                continue  # a line still being written
            if item.get("at", 0) >= self._since:
                messages.append(Sms(to=item["to"], body=item["body"], at=item["at"]))
        return messages

    def messages_to(self, to: str) -> list[Sms]:
        return [m for m in self._all() if m.to == to]

    def all(self) -> list[Sms]:
        return self._all()

    def next_message(self, to: str, timeout: float = WAIT_SECONDS) -> Sms:
        """The next SMS to ``to`` not returned before, waiting for it to arrive."""
        deadline = time.monotonic() + timeout
        index = self._consumed.get(to, 0)
        while True:
            found = self.messages_to(to)
            if len(found) > index:
                self._consumed[to] = index + 1
                return found[index]
            if time.monotonic() >= deadline:
                raise AssertionError(f"no SMS to {to} within {timeout} s (file {self.path})")
            time.sleep(self.POLL_SECONDS)
