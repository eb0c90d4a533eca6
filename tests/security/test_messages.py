"""Finding 8 (G0): user-controlled values in HTML e-mail messages.

A pool's message templates may be HTML (Cognito sends its e-mail messages as HTML). The
username a stranger signs up with, or a temporary password, went into such a template as
it was, so ``<img src=x onerror=...>`` or ``<a href=...>`` reached the recipient's mail
reader as markup; and a plain-text template became an HTML message as soon as the username
held ``<`` and ``>``. Now the values are escaped in HTML e-mail, the HTML-or-not decision is
the template's alone, and plain-text e-mail and SMS carry the values as they are.

The messages are read where they really arrive (the session's SMTP server, the SMS file),
so the tests hold with eager Celery and with CI's separate worker alike.
"""

from __future__ import annotations

import html
import logging
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Passw0rd!"
# Cognito's username pattern ([\p{L}\p{M}\p{S}\p{N}\p{P}]+) admits every character of these.
IMG = "<img/src=x/onerror=alert(document.domain)>"
LINK = '<a/href="https://evil.example/reset">click</a>'


# ``public`` (an unsigned client) and ``idp`` (an operator's signed one): tests/security/conftest.py.


def _client_id(idp, pool_id: str) -> str:
    return idp.create_user_pool_client(UserPoolId=pool_id, ClientName="app")["UserPoolClient"]["ClientId"]


@pytest.mark.parametrize("username", [IMG, LINK])
def test_sign_up_username_is_escaped_in_an_html_verification_email(public, idp, mailbox, username):
    pool_id = idp.create_user_pool(
        PoolName="p",
        AutoVerifiedAttributes=["email"],
        VerificationMessageTemplate={
            "EmailSubject": "Welcome",
            "EmailMessage": "<p>Hello {username},</p><p>your code is <b>{####}</b></p>",
        },
    )["UserPool"]["Id"]
    address = mailbox.address()
    public.sign_up(
        ClientId=_client_id(idp, pool_id),
        Username=username,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": address}],
    )

    message = mailbox.next_message(address)
    assert message.content_type == "text/html"
    assert username not in message.body
    assert f"<p>Hello {html.escape(username)},</p>" in message.body
    assert len(message.code) == 6


def test_a_username_does_not_turn_a_plain_text_email_into_html(public, idp, mailbox):
    """The default templates are plain text: the username arrives as written, in text/plain."""
    pool_id = idp.create_user_pool(
        PoolName="p",
        AutoVerifiedAttributes=["email"],
        VerificationMessageTemplate={
            "EmailMessage": "Hello {username}, your code is {####}.",
        },
    )["UserPool"]["Id"]
    address = mailbox.address()
    public.sign_up(
        ClientId=_client_id(idp, pool_id),
        Username=IMG,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": address}],
    )

    message = mailbox.next_message(address)
    assert message.content_type == "text/plain"
    assert message.body.startswith(f"Hello {IMG}, your code is {message.code}.")


def test_invitation_escapes_the_username_and_the_temporary_password(idp, mailbox):
    pool_id = idp.create_user_pool(
        PoolName="p",
        AdminCreateUserConfig={
            "InviteMessageTemplate": {
                "EmailSubject": "Welcome",
                "EmailMessage": "<p>Your username is {username} and password <b>{####}</b></p>",
            }
        },
    )["UserPool"]["Id"]
    address = mailbox.address()
    temporary = "Tmp<b>&1x!"
    idp.admin_create_user(
        UserPoolId=pool_id,
        Username=LINK,
        TemporaryPassword=temporary,
        DesiredDeliveryMediums=["EMAIL"],
        UserAttributes=[{"Name": "email", "Value": address}],
    )

    message = mailbox.next_message(address)
    assert message.content_type == "text/html"
    assert LINK not in message.body and temporary not in message.body
    assert f"<p>Your username is {html.escape(LINK)} and password <b>{html.escape(temporary)}</b></p>" in message.body


def test_sms_carries_the_username_as_written(public, idp, sms_outbox):
    """A guard, not an attack: SMS is text, so nothing in it is escaped (it passed before too)."""
    pool_id = idp.create_user_pool(
        PoolName="p",
        AutoVerifiedAttributes=["phone_number"],
        VerificationMessageTemplate={
            "SmsMessage": "<b>{username}</b> code {####}",
        },
    )["UserPool"]["Id"]
    number = sms_outbox.number()
    public.sign_up(
        ClientId=_client_id(idp, pool_id),
        Username=IMG,
        Password=PASSWORD,
        UserAttributes=[{"Name": "phone_number", "Value": number}],
    )

    sms = sms_outbox.next_message(number)
    assert sms.body == f"<b>{IMG}</b> code {sms.code}"


# --- Codes in logs ------------------------------------------------------------------------------
# The default e-mail backend and SMS sender printed whole messages (codes, temporary passwords)
# to the server's output, which production keeps in its log store. Outside DEBUG they now say
# only that a message went; with DEBUG on (make run) they still print it.

CODE = "048213"
TEMPORARY = "Tmp-9xQ!pass"


def _default_setting(name: str) -> str:
    """The value config/settings.py gives ``name`` when the environment does not set it."""
    env = {k: v for k, v in os.environ.items() if k != name}
    env.setdefault("SECRET_KEY", "x" * 50)
    return subprocess.run(
        [sys.executable, "-c", f"import config.settings as s; print(s.{name})"],
        cwd=settings_module_dir(),
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def settings_module_dir() -> str:
    import config

    return os.path.dirname(os.path.dirname(os.path.abspath(config.__file__)))


def _send(medium: str, destination: str):
    """A delivery through the real task, in this process whatever the Celery setup."""
    from userpools.context import SYSTEM
    from userpools.models import Delivery, User
    from userpools.services import users
    from userpools.services.pools import user_pool_create
    from userpools.tasks import deliver

    pool = user_pool_create(SYSTEM, {"PoolName": "logs"})
    user = users.user_create(
        SYSTEM, pool=pool, username="victim", password=PASSWORD, attributes={}, status=User.Status.CONFIRMED
    )
    delivery = Delivery.objects.create(
        pool=pool,
        user=user,
        medium=medium,
        destination=destination,
        purpose="invitation",
        subject="Your temporary password",
        body=f"Your code is {CODE}, your temporary password {TEMPORARY}",
    )
    assert deliver.apply(args=(delivery.pk,)).get() == "sent"


def _output(caplog, capsys) -> str:
    captured = capsys.readouterr()
    return caplog.text + captured.out + captured.err


@pytest.fixture
def default_email_backend(settings):
    settings.EMAIL_BACKEND = _default_setting("EMAIL_BACKEND")


@pytest.mark.parametrize("medium", ["EMAIL", "SMS"])
def test_default_backends_print_no_code_outside_debug(settings, caplog, capsys, default_email_backend, medium):
    settings.DEBUG = False
    settings.COGNATE_SMS_SENDER = "userpools.sms.ConsoleSender"
    caplog.set_level(logging.DEBUG)
    _send(medium, "victim@example.com" if medium == "EMAIL" else "+15555550123")
    output = _output(caplog, capsys)
    assert CODE not in output and TEMPORARY not in output
    assert "victim@example.com" not in output and "5555550123" not in output  # the destination masked
    assert ("v***@e***" if medium == "EMAIL" else "0123") in output  # but that it went is logged


@pytest.mark.parametrize("medium", ["EMAIL", "SMS"])
def test_default_backends_print_the_message_with_debug_on(settings, caplog, capsys, default_email_backend, medium):
    """make run (DEBUG=1) shows the message in its terminal, as a development convenience."""
    settings.DEBUG = True
    settings.COGNATE_SMS_SENDER = "userpools.sms.ConsoleSender"
    caplog.set_level(logging.INFO)
    _send(medium, "victim@example.com" if medium == "EMAIL" else "+15555550123")
    output = _output(caplog, capsys)
    assert CODE in output and TEMPORARY in output
