"""Codes sent to users, shared by every flow that sends one (sign-up, password recovery,
attribute verification, sign-in codes): where a code goes, sending it with the pool's
message template, the per-user send limit, simulated answers for
PreventUserExistenceErrors, and spending a code in the same transaction as the change
it unlocks. Also the user a public (client-signed) request names."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction

from userpools.context import ServiceContext
from userpools.errors import CodeMismatch, ExpiredCode, LimitExceeded, TooManyFailedAttempts
from userpools.models import AppClient, Delivery, User, UserPool, VerificationCode
from userpools.services import codes, delivery, limits, users

Purpose = VerificationCode.Purpose
T = TypeVar("T")

# Codes sent to one user for one purpose within SEND_WINDOW seconds (Cognito allows
# "between 5 and 20" password-reset requests an hour; it does not publish the rest).
SEND_LIMIT = 5
SEND_WINDOW = 3600
LIMIT_MESSAGE = "Attempt limit exceeded, please try after some time."
USER_NOT_FOUND_MESSAGE = "Username/client id combination not found."
MEDIUM = {"email": Delivery.Medium.EMAIL, "phone_number": Delivery.Medium.SMS}


# --- Where codes go, and sending them ---------------------------------------------------------


@dataclass(frozen=True)
class Destination:
    attribute: str  # "email" or "phone_number"
    value: str

    @property
    def medium(self) -> str:
        return MEDIUM[self.attribute]


def auto_verified_attributes(pool: UserPool) -> list[str]:
    return list(pool.settings.get("AutoVerifiedAttributes") or [])


def send_throttle(user: User, purpose: str) -> None:
    """Count one code sent to ``user`` for ``purpose``; LimitExceededException past SEND_LIMIT an hour.

    The count is a database row every server process adds to atomically
    (userpools.services.limits), keyed by the user's ``sub`` so that it never outlives or
    crosses over to another user; only ``sub`` is read, so a stand-in for an unknown user
    counts alike.
    """
    count = limits.counter_hit(f"code-sends:{purpose}:{user.sub}", window=SEND_WINDOW)
    if count > SEND_LIMIT:
        raise LimitExceeded(LIMIT_MESSAGE)


def code_send(ctx: ServiceContext, user: User, *, purpose: str, destination: Destination) -> dict[str, Any]:
    """Issue a code for ``purpose`` and queue its message; returns CodeDeliveryDetails.

    The message follows the pool's ``VerificationMessageTemplate`` (Cognito uses the
    verification message for sign-up, attribute verification and password reset alike).
    Delivery happens after the surrounding transaction commits.
    """
    template = user.pool.settings.get("VerificationMessageTemplate") or {}
    code = codes.code_issue(user, purpose)
    if destination.medium == Delivery.Medium.EMAIL:
        body = template.get("EmailMessage") or delivery.DEFAULT_EMAIL_MESSAGE
        subject = template.get("EmailSubject") or delivery.DEFAULT_EMAIL_SUBJECT
    else:
        body, subject = template.get("SmsMessage") or delivery.DEFAULT_SMS_MESSAGE, ""
    delivery.delivery_send(
        ctx,
        user=user,
        medium=destination.medium,
        destination=destination.value,
        purpose=str(purpose),
        body=delivery.render(body, code=code, username=user.username),
        subject=subject,
    )
    return delivery.code_delivery_details(destination.medium, destination.value, destination.attribute)


def simulated_delivery_details(pool: UserPool, username: str, *, prefer: Iterable[str] = ()) -> dict[str, Any]:
    """CodeDeliveryDetails for a user who does not exist (PreventUserExistenceErrors).

    The medium follows the username's form (an e-mail address, a phone number), else the
    pool's verification settings; the masked destination is derived from the username so
    that asking twice gives the same answer.
    """
    if users.PHONE_RE.match(username):
        attribute = "phone_number"
    elif "@" in username:
        attribute = "email"
    else:
        auto = auto_verified_attributes(pool)
        order = [*prefer, *(["phone_number"] if "phone_number" in auto else []), *auto, "email"]
        attribute = next(a for a in order if a in MEDIUM)
    return delivery.code_delivery_details(
        MEDIUM[attribute], simulated_destination(pool, username, attribute), attribute
    )


def simulated_destination(pool: UserPool, username: str, attribute: str) -> str:
    """A stable, plausible ``attribute`` (email or phone_number) for a user who does not
    exist: the username itself when it has that form (as a real user signing in with it
    would), else one derived from it, so that asking twice gives the same answer."""
    if attribute == "phone_number" and users.PHONE_RE.match(username):
        return username
    if attribute == "email" and "@" in username:
        return username
    seed = hmac.new(
        settings.SECRET_KEY.encode(), f"{pool.id}:{username}".encode("utf-8", "surrogatepass"), hashlib.sha256
    ).hexdigest()
    if attribute == "phone_number":
        return "+1" + "".join(str(int(c, 16) % 10) for c in seed[:10])
    return f"{'abcdefghijklmnopqrstuvwxyz'[int(seed[10:12], 16) % 26]}@{'egimoq'[int(seed[12], 16) % 6]}.com"


@dataclass(frozen=True)
class UnknownRecipient:
    """Stands for a username that names nobody where sends to a user are counted
    (:func:`send_throttle` keys on ``sub``): with PreventUserExistenceErrors a simulated
    answer must reach LimitExceededException after as many requests as a real one."""

    sub: uuid.UUID


def unknown_recipient(pool: UserPool, username: str) -> UnknownRecipient:
    """The stand-in of ``username`` in ``pool`` (the pool's form of it: case folded as users'
    names are), with a stable pseudo-``sub`` no real user has (keyed with the project secret)."""
    name = users.username_key(pool, username)
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"unknown-user:{pool.id}:{name}".encode("utf-8", "surrogatepass"), hashlib.sha256
    ).digest()
    return UnknownRecipient(sub=uuid.UUID(bytes=digest[:16]))


def simulated_send_throttle(pool: UserPool, user: User | None, username: str, purpose: str) -> None:
    """Count a simulated send (nothing goes out) as :func:`send_throttle` counts a real one:
    on ``user`` when there is one (disabled, no verified address ...), else on the
    username's stand-in. LimitExceededException past the same limit."""
    send_throttle(user if user is not None else unknown_recipient(pool, username), purpose)  # type: ignore[arg-type]


def code_spend_then(user: User, purpose: str, code: str, apply: Callable[[], T]) -> T:
    """Spend ``code`` and run ``apply`` in one transaction.

    A wrong guess is counted and committed (the code error is raised only after the
    transaction ends, so it does not roll the count back); an error raised by ``apply``
    (a password used before, an alias taken) rolls the spending back too, so the user can
    retry with the same code. Raises CodeMismatch, ExpiredCode, TooManyFailedAttempts.
    """
    error: Exception | None = None
    with transaction.atomic():
        try:
            codes.code_verify(user, purpose, code)
        except (CodeMismatch, ExpiredCode, TooManyFailedAttempts) as exc:
            error = exc
        else:
            return apply()
    assert error is not None
    raise error


# --- The user a public request names ---------------------------------------------------------


def user_for_public_request(client: AppClient, username: str) -> User | None:
    """The user a public request names (username, alias, sub ...) in the client's pool."""
    user = users.user_find(client.pool, username)
    if user is not None:
        user.pool = client.pool
    return user


def user_lock(user: User) -> User:
    """``user``'s row again, locked for the surrounding transaction, its pool already loaded.

    Without select_related: PostgreSQL cannot lock the nullable side of an outer join
    (``User.pool`` is nullable, for operators).
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    locked.pool = user.pool
    return locked
