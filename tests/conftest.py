"""Shared fixtures: operators, access keys, boto3 clients pointed at a live server, and
captured e-mail (a real SMTP server) and SMS (FileSender's file) -- see tests/mail.py."""

from __future__ import annotations

import gc
import json
import logging
import os
import threading
from pathlib import Path

import boto3
import django.test.testcases as django_testcases
import pytest
from aiosmtpd.controller import Controller
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from identity.services.callers import access_key_create
from tests.chromium import chromium  # noqa: F401 - one browser for the session (tests/browser, tests/amplify)
from tests.mail import Collector, Mailbox, SmsOutbox, smtp_port
from tests.pools import make_client, make_client_model, make_pool, make_pool_model  # noqa: F401 - fixtures for every suite
from tests.races import writers_wait
from userpools.context import ServiceContext

REGION = "us-east-1"

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO


def _served_as_in_production(django_handler):
    """The live server's application: Django's handler behind the wire front, the JWKS
    replay and the Content-Length guard, as config.wsgi serves it, so every SDK test (boto3, pycognito, the JavaScript
    clients, the browser) also goes through those. Django's LiveServerThread wraps its
    handler in django.test.testcases._MediaFilesHandler, which this replaces (Cognate serves
    no media files; with no MEDIA_URL that handler took every request itself). A changed
    setting (the tests' ``settings`` fixture) empties both, as a restart would."""
    from django.test.signals import setting_changed

    from config.framing import ContentLengthGuard
    from config.wire.documents import DocumentCache
    from config.wire.front import WireFront

    replay = DocumentCache(django_handler)
    front = WireFront(replay)
    setting_changed.connect(replay.clear, weak=False)
    setting_changed.connect(front.clear, weak=False)
    return ContentLengthGuard(front)


django_testcases._MediaFilesHandler = _served_as_in_production


@pytest.fixture(autouse=True)
def _no_ambient_aws(monkeypatch):
    """Keep a developer's AWS profile and endpoint variables out of the tests."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


@pytest.fixture
def side_by_side(transactional_db):
    """Skip where a second writer fails at once instead of waiting (tests/races.py's ``threaded``)."""
    if not writers_wait():
        pytest.skip(
            "concurrent writers need PostgreSQL (or a file SQLite database in IMMEDIATE mode): "
            "this SQLite database fails a second writer at once"
        )


@pytest.fixture
def ctx() -> ServiceContext:
    return ServiceContext(actor="test")


@pytest.fixture
def make_operator(django_user_model):
    def make(username: str = "operator", **extra):
        return django_user_model.objects.create_user(
            username=username, password="pw-" + username, is_staff=True, **extra
        )

    return make


@pytest.fixture
def make_access_key(make_operator, ctx):
    """make_access_key(policy=None, username="operator") -> (access_key_id, secret)."""

    def make(policy=None, username: str = "operator"):
        from userpools.models import User

        operator = User.objects.filter(pool__isnull=True, username_key=username).first() or make_operator(username)
        created = access_key_create(ctx, operator=operator, policy=policy)
        return created.key.access_key_id, created.secret_access_key

    return make


@pytest.fixture
def boto_client(live_server):
    """boto_client(service, key=(id, secret) | None) -> a boto3 client for the live server."""

    def make(service: str = "cognito-idp", key: tuple[str, str] | None = None, **kwargs):
        config = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30)
        if key is None:
            from botocore import UNSIGNED

            config = config.merge(Config(signature_version=UNSIGNED))
            key = ("unused", "unused")
        return one_request_per_connection(
            boto3.client(
                service,
                endpoint_url=live_server.url,
                region_name=kwargs.pop("region_name", REGION),
                aws_access_key_id=key[0],
                aws_secret_access_key=key[1],
                config=config,
                **kwargs,
            )
        )

    return make


def one_request_per_connection(client):
    """Send ``Connection: close`` with every request of a boto3 client.

    boto3 keeps its connections to the live server open until the client is collected, and
    the server thread serving one closes its database connections whenever that happens:
    after the session's live server has stopped sharing them, that fails ("DatabaseWrapper
    objects created in a thread can only be used in that same thread") and can break the
    end of the run. With ``Connection: close`` the server is done with every connection once
    its response is sent. (Not signed: SigV4 is computed before "before-send".)"""

    def close_after(request, **kwargs):
        request.headers["Connection"] = "close"

    client.meta.events.register("before-send", close_after)
    return client


@pytest.fixture
def idp(boto_client, make_access_key):
    """A cognito-idp client signed with a full-access operator key."""
    return boto_client("cognito-idp", key=make_access_key())


@pytest.fixture
def public_url(settings, live_server):
    """Make the issuer the live server, as a deployment sets COGNATE_PUBLIC_URL.

    On teardown (after the SDK clients closed their pools) collect garbage, which closes
    connections botocore dropped without closing, and wait for the live server's request
    threads: one still closing its database connection when the session's connection
    sharing ends fails the run.
    """
    settings.COGNATE = {**getattr(settings, "COGNATE", {}), "PUBLIC_URL": live_server.url}
    yield live_server.url
    gc.collect()
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=5)


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


# --- Captured e-mail and SMS (tests/mail.py) ---------------------------------------------------


@pytest.fixture(scope="session")
def smtp_server():
    """One SMTP server for the whole session: (collector, port)."""
    port = smtp_port()
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield collector, port
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp_server, settings) -> Mailbox:
    """Mail as delivered over SMTP; in-process sending (eager Celery) is pointed at the server too."""
    collector, port = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    return Mailbox(collector, port)


@pytest.fixture(scope="session")
def sms_file(tmp_path_factory) -> Path:
    """Where FileSender writes: ``COGNATE_TEST_SMS_FILE`` (the worker's ``COGNATE_SMS_FILE``) or a session tmp file."""
    fixed = os.environ.get("COGNATE_TEST_SMS_FILE")
    return Path(fixed) if fixed else tmp_path_factory.mktemp("sms") / "sms.jsonl"


@pytest.fixture
def sms_outbox(sms_file, settings) -> SmsOutbox:
    """SMS as FileSender wrote them since the test began; in-process sending writes there too."""
    settings.COGNATE_SMS_SENDER = "userpools.sms.FileSender"
    settings.COGNATE_SMS_FILE = str(sms_file)
    return SmsOutbox(sms_file)


@pytest.fixture
def signed(client, django_user_model):
    """signed(operation, params) -> a Django test-client response to a SigV4-signed cognito-idp wire request."""
    operator = django_user_model.objects.create_user(username="q", password="x", is_staff=True)
    key = access_key_create(ServiceContext(), operator=operator)
    credentials = Credentials(key.key.access_key_id, key.secret_access_key)

    def post(operation: str, params: dict):
        body = json.dumps(params).encode()
        request = AWSRequest(
            method="POST",
            url="http://testserver/",
            data=body,
            headers={"X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}"},
        )
        SigV4Auth(credentials, "cognito-idp", "us-east-1").add_auth(request)
        meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request.headers.items()}
        return client.post("/", data=body, content_type="application/x-amz-json-1.1", HTTP_HOST="testserver", **meta)

    return post
