"""Fixtures for self-service sign-up and recovery: a real SMTP server that receives the codes.

Every test that needs a delivered code reads it from an SMTP server (aiosmtpd) that
Cognate's e-mail backend really talks to, so the same test works in both ways tasks
run: eagerly inside the live server's thread (embedded default), and in a separate
Celery worker process (CI's second pass, ``COGNATE_EXPECT_WORKER=1``). The worker does
not see pytest's settings overrides, so there it is started with

    EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend EMAIL_HOST=127.0.0.1
    EMAIL_PORT=$COGNATE_TEST_SMTP_PORT

and the server listens on that fixed port (``COGNATE_TEST_SMTP_PORT``, default 8025).
Without a worker, a free port is used unless the variable is set.
"""

from __future__ import annotations

import email
import email.policy
import logging
import os
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings

from tests.userpools.conftest import call_error  # noqa: F401 - re-exported for the tests here
from userpools.context import SYSTEM
from userpools.models import User
from userpools.services import users
from userpools.services.clientauth import secret_hash
from userpools.services.pools import user_pool_get

CODE_RE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
DEFAULT_SMTP_PORT = 8025
WAIT_SECONDS = 30
PASSWORD = "Passw0rd!"

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    subject: str
    body: str

    @property
    def code(self) -> str:
        match = CODE_RE.search(self.body)
        assert match, f"no 6-digit code in {self.body!r}"
        return match.group(1)


class _Collector:
    """aiosmtpd handler: keeps every message, wakes whoever waits."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.cond = threading.Condition()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body_part = parsed.get_body(preferencelist=("plain", "html"))
        body = body_part.get_content() if body_part is not None else ""
        received = Received(
            mail_from=envelope.mail_from,
            rcpt_tos=tuple(r.lower() for r in envelope.rcpt_tos),
            subject=str(parsed.get("Subject", "")),
            body=body,
        )
        with self.cond:
            self.messages.append(received)
            self.cond.notify_all()
        return "250 Message accepted for delivery"


def _expects_worker() -> bool:
    return os.environ.get("COGNATE_EXPECT_WORKER") == "1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    """One SMTP server for the session: (collector, port)."""
    fixed = os.environ.get("COGNATE_TEST_SMTP_PORT")
    if fixed:
        port = int(fixed)
    elif _expects_worker():
        port = DEFAULT_SMTP_PORT  # where CI's worker sends
    else:
        port = _free_port()
    collector = _Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield collector, port
    finally:
        controller.stop()


class Mailbox:
    """A test's view of the SMTP server: messages that arrived since the test began."""

    def __init__(self, collector: _Collector, port: int) -> None:
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
        return [m for m in self.collector.messages[self._start:] if address in m.rcpt_tos]

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


@pytest.fixture
def mailbox(smtp_server, settings) -> Mailbox:
    """Codes as delivered over SMTP; in-process sending (eager Celery) is pointed at the server too."""
    collector, port = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    return Mailbox(collector, port)


@pytest.fixture
def public(boto_client):
    """An unsigned cognito-idp client, as a user's app has."""
    client = boto_client("cognito-idp")
    yield client
    # Close its keep-alive connections now: a live-server thread that outlives the
    # session's database sharing fails when it finally closes its connection.
    client.close()


@pytest.fixture
def idp(boto_client, make_access_key):
    """The operator's signed client (as tests/conftest.py's), closed after the test."""
    client = boto_client("cognito-idp", key=make_access_key())
    yield client
    client.close()


@pytest.fixture
def make_pool(idp):
    def make(name: str = "pool", **kwargs) -> str:
        kwargs.setdefault("AutoVerifiedAttributes", ["email"])
        return idp.create_user_pool(PoolName=name, **kwargs)["UserPool"]["Id"]

    return make


@pytest.fixture
def make_client(idp):
    def make(pool_id: str, name: str = "app", **kwargs) -> dict:
        return idp.create_user_pool_client(UserPoolId=pool_id, ClientName=name, **kwargs)["UserPoolClient"]

    return make


@pytest.fixture
def app(make_pool, make_client):
    """A pool that auto-verifies e-mail, and a public client: (pool_id, client_id)."""
    pool_id = make_pool()
    return pool_id, make_client(pool_id)["ClientId"]


@pytest.fixture
def make_user():
    """make_user(pool_id, username, email=None, phone=None, verified=True, status=CONFIRMED) -> User.

    Made through the user service directly (the admin operations are another area's).
    """

    def make(pool_id: str, username: str, *, password: str = PASSWORD, email: str | None = None,
             phone: str | None = None, verified: bool = True, status: str = User.Status.CONFIRMED) -> User:  # fmt: skip
        attrs: dict[str, str] = {}
        if email:
            attrs.update(email=email, email_verified="true" if verified else "false")
        if phone:
            attrs.update(phone_number=phone, phone_number_verified="true" if verified else "false")
        return users.user_create(SYSTEM, pool=user_pool_get(pool_id), username=username, password=password,
                                 attributes=attrs, status=status)  # fmt: skip

    return make


def hash_for(client: dict, username: str, secret: str | None = None) -> str:
    return secret_hash(client_id=client["ClientId"], client_secret=secret or client["ClientSecret"], username=username)


def user_named(pool_id: str, username: str) -> User:
    user = users.user_find(user_pool_get(pool_id), username)
    assert user is not None
    return user


def worker_mode() -> bool:
    return not django_settings.CELERY_TASK_ALWAYS_EAGER
