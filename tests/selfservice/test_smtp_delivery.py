"""A code really travels by SMTP: SignUp → e-mail backend → SMTP server → ConfirmSignUp.

The SMTP server is aiosmtpd on 127.0.0.1 (see conftest). With eager Celery the delivery
task runs in the live server's thread after the sign-up commits; in CI's second pass a
separate Celery worker process sends it, configured by its environment to use the same
server (EMAIL_HOST=127.0.0.1, EMAIL_PORT=$COGNATE_TEST_SMTP_PORT).
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings

from tests.selfservice.conftest import PASSWORD, WAIT_SECONDS, user_named, worker_mode
from userpools.models import Delivery, User

pytestmark = pytest.mark.django_db(transaction=True)


def _wait_for_state(delivery_id: int, state: str, timeout: float = WAIT_SECONDS) -> Delivery:
    deadline = time.monotonic() + timeout
    while True:
        delivery = Delivery.objects.get(pk=delivery_id)
        if delivery.state == state or time.monotonic() > deadline:
            return delivery
        time.sleep(0.1)


def test_sign_up_code_arrives_by_smtp_and_confirms_the_user(public, app, mailbox):
    pool_id, client_id = app
    address = mailbox.address("smtp")
    response = public.sign_up(
        ClientId=client_id,
        Username="smtp-user",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": address}],
    )
    assert response["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"

    message = mailbox.next_message(address, timeout=WAIT_SECONDS)
    assert message.mail_from == settings.DEFAULT_FROM_EMAIL or worker_mode()
    assert message.rcpt_tos == (address.lower(),)
    code = message.code
    assert len(code) == 6 and code.isdigit()

    public.confirm_sign_up(ClientId=client_id, Username="smtp-user", ConfirmationCode=code)
    user = user_named(pool_id, "smtp-user")
    assert user.status == User.Status.CONFIRMED
    assert user.attributes["email_verified"] == "true"

    # The delivery is recorded as sent, and the code no longer kept.
    delivery = _wait_for_state(Delivery.objects.get(user=user).pk, Delivery.State.SENT)
    assert delivery.state == Delivery.State.SENT and delivery.attempts == 1
    assert delivery.body == "" and delivery.sent_at is not None


@pytest.mark.skipif(worker_mode(), reason="the worker's e-mail settings come from its environment")
def test_an_unreachable_smtp_server_is_recorded_not_raised(public, app, mailbox, settings):
    pool_id, client_id = app
    settings.EMAIL_PORT = 1  # nothing listens there
    response = public.sign_up(
        ClientId=client_id,
        Username="lost",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": mailbox.address()}],
    )
    assert response["UserConfirmed"] is False
    delivery = Delivery.objects.get(user__username="lost")
    assert delivery.state == Delivery.State.FAILED and delivery.attempts == 1
    assert delivery.last_error
    # The user can ask again once mail works.
    settings.EMAIL_PORT = mailbox.port
    public.resend_confirmation_code(ClientId=client_id, Username="lost")
    address = user_named(pool_id, "lost").attributes["email"]
    public.confirm_sign_up(ClientId=client_id, Username="lost", ConfirmationCode=mailbox.code_for(address))
