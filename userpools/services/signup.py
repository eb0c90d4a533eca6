"""Self-service sign-up: SignUp, ConfirmSignUp, ResendConfirmationCode.

And the pieces every code-sending flow shares (password recovery and attribute
verification use them too): where a code goes, sending it with the pool's message
template, the per-user send limit, simulated answers for PreventUserExistenceErrors,
and spending a code in the same transaction as the change it unlocks.

Cognito's rules kept here (Developer Guide, "Signing up and confirming user accounts"):

* A signed-up user is UNCONFIRMED. With ``AutoVerifiedAttributes`` a code goes to the
  phone number when the pool verifies phones and the user gave one, else to the e-mail
  address ("Amazon Cognito sends a verification code only to the phone number");
  without a deliverable attribute nothing is sent and an administrator must confirm.
* ConfirmSignUp with the code confirms the user and marks the attribute the code went
  to as verified; a verified e-mail or phone is a sign-in alias, so it must be unique
  (AliasExistsException, or take it over with ``ForceAliasCreation``).
* Codes are valid for 24 hours (see :mod:`userpools.services.codes`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction

from userpools.context import ServiceContext
from userpools.errors import (
    AliasExists,
    CodeMismatch,
    ExpiredCode,
    InvalidParameter,
    LimitExceeded,
    NotAuthorized,
    TooManyFailedAttempts,
    UserNotFound,
    UsernameExists,
)
from userpools.models import AppClient, Delivery, User, UserPool, VerificationCode
from userpools.services import codes, delivery, limits, users
from userpools.services.audit import audit_record
from userpools.services.clientauth import client_for_request

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


def sign_up_destination(pool: UserPool, attributes: Mapping[str, str]) -> Destination | None:
    """Where a sign-up code goes: the phone when the pool verifies phones and there is
    one, else the e-mail address; None when the pool verifies neither the user has."""
    auto = auto_verified_attributes(pool)
    for name in ("phone_number", "email"):
        if name in auto and attributes.get(name):
            return Destination(name, attributes[name])
    return None


def client_context(ctx: ServiceContext, client: AppClient) -> ServiceContext:
    """An anonymous caller of a public operation acts through its app client (audit log)."""
    if ctx.actor in ("anonymous", "system"):
        return dataclasses.replace(ctx, actor=f"client:{client.client_id}")
    return ctx


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
        ctx, user=user, medium=destination.medium, destination=destination.value, purpose=str(purpose),
        body=delivery.render(body, code=code, username=user.username), subject=subject,
    )  # fmt: skip
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
    return delivery.code_delivery_details(MEDIUM[attribute], simulated_destination(pool, username, attribute),
                                          attribute)  # fmt: skip


def simulated_destination(pool: UserPool, username: str, attribute: str) -> str:
    """A stable, plausible ``attribute`` (email or phone_number) for a user who does not
    exist: the username itself when it has that form (as a real user signing in with it
    would), else one derived from it, so that asking twice gives the same answer."""
    if attribute == "phone_number" and users.PHONE_RE.match(username):
        return username
    if attribute == "email" and "@" in username:
        return username
    seed = hmac.new(settings.SECRET_KEY.encode(), f"{pool.id}:{username}".encode("utf-8", "surrogatepass"),
                    hashlib.sha256).hexdigest()  # fmt: skip
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
    digest = hmac.new(settings.SECRET_KEY.encode(), f"unknown-user:{pool.id}:{name}".encode("utf-8", "surrogatepass"),
                      hashlib.sha256).digest()  # fmt: skip
    return UnknownRecipient(sub=uuid.UUID(bytes=digest[:16]))


def simulated_send_throttle(pool: UserPool, user: User | None, username: str, purpose: str) -> None:
    """Count a simulated send (nothing goes out) as :func:`send_throttle` counts a real one:
    on ``user`` when there is one (disabled, no verified address ...), else on the
    username's stand-in. LimitExceededException past the same limit."""
    send_throttle(user if user is not None else unknown_recipient(pool, username), purpose)  # type: ignore[arg-type]


def prevents_existence_errors(client: AppClient) -> bool:
    return client.settings.get("PreventUserExistenceErrors") == "ENABLED"


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


def self_service_attributes(pool: UserPool, attributes: Iterable[Mapping[str, Any]], *, client: AppClient | None,
                            existing: Mapping[str, str] | None = None) -> dict[str, str]:  # fmt: skip
    """Attributes a user may set for themselves: the schema, the client's WriteAttributes,
    no developer-only attributes, and never the ``*_verified`` flags (only a code, an
    administrator or a trigger verifies)."""
    values = users.attributes_validate(pool, attributes, existing=existing, client=client)
    for flag in users.VERIFIED_FLAG.values():
        if flag in values:
            raise NotAuthorized(f"A client attempted to write unauthorized attribute {flag}")
    return values


# --- SignUp ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignUpResult:
    user: User
    confirmed: bool
    delivery: dict[str, Any] | None


def user_sign_up(
    ctx: ServiceContext,
    *,
    client_id: str,
    secret_hash: str | None,
    username: str,
    password: str | None,
    attributes: Iterable[Mapping[str, Any]] = (),
) -> SignUpResult:
    """SignUp: create an UNCONFIRMED user and send the confirmation code.

    Raises ResourceNotFoundException (client), NotAuthorizedException (secret hash;
    ``AllowAdminCreateUserOnly``; unauthorized attribute), InvalidParameterException,
    InvalidPasswordException, UsernameExistsException (also with PreventUserExistenceErrors,
    as Cognito does), LimitExceededException.
    """
    client = client_for_request(client_id, secret_hash, username)
    ctx = client_context(ctx, client)
    pool = client.pool
    if (pool.settings.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly"):
        raise NotAuthorized("SignUp is not permitted for this user pool")
    if password is None:
        raise InvalidParameter("1 validation error detected: Value at 'password' failed to satisfy constraint: "
                               "Member must not be null")  # fmt: skip
    values = self_service_attributes(pool, attributes, client=client)
    with transaction.atomic():
        try:
            user = users.user_create(ctx, pool=pool, username=username, password=password, attributes=values,
                                     status=User.Status.UNCONFIRMED)  # fmt: skip
        except AliasExists as exc:
            # SignUp's model has no AliasExistsException; a taken preferred_username is a taken sign-in name.
            raise UsernameExists(exc.message) from None
        destination = sign_up_destination(pool, user.attributes)
        details = None
        if destination is not None:
            send_throttle(user, Purpose.SIGN_UP)  # the first of the hour's codes
            details = code_send(ctx, user, purpose=Purpose.SIGN_UP, destination=destination)
        audit_record(ctx, "user.sign_up", pool_id=pool.id, target=user.username, client_id=client.client_id)
    return SignUpResult(user=user, confirmed=False, delivery=details)


# --- ConfirmSignUp ----------------------------------------------------------------------------


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


def user_confirm_sign_up(
    ctx: ServiceContext,
    *,
    client_id: str,
    secret_hash: str | None,
    username: str,
    code: str,
    force_alias: bool = False,
) -> User:
    """ConfirmSignUp: the code confirms the user and verifies the attribute it went to.

    Raises ResourceNotFoundException, NotAuthorizedException (secret hash; disabled; not
    UNCONFIRMED: "User cannot be confirmed. Current status is ..."), UserNotFoundException
    (CodeMismatchException instead with PreventUserExistenceErrors), CodeMismatchException,
    ExpiredCodeException, TooManyFailedAttemptsException, AliasExistsException (the code
    stays usable: retry with ``force_alias``).
    """
    client = client_for_request(client_id, secret_hash, username)
    ctx = client_context(ctx, client)
    pool = client.pool
    user = user_for_public_request(client, username)
    if prevents_existence_errors(client) and (user is None or not user.is_active
                                              or user.status != User.Status.UNCONFIRMED):  # fmt: skip
        # Nobody, or nobody this code could confirm: the answers of a wrong code to an
        # account awaiting confirmation (CodeMismatchException; the fifth
        # TooManyFailedAttemptsException; then ExpiredCodeException), so that they cannot
        # tell an unknown username from a confirmed or disabled user.
        codes.phantom_code_verify(pool.id, users.username_key(pool, username), Purpose.SIGN_UP, outstanding=True)
    if user is None:
        raise UserNotFound(USER_NOT_FOUND_MESSAGE)
    if not user.is_active:
        raise NotAuthorized("User is disabled.")
    if user.status != User.Status.UNCONFIRMED:
        raise NotAuthorized(f"User cannot be confirmed. Current status is {user.status}")

    def confirm() -> User:
        locked = user_lock(user)
        if locked.status != User.Status.UNCONFIRMED:
            raise NotAuthorized(f"User cannot be confirmed. Current status is {locked.status}")
        locked.status = User.Status.CONFIRMED
        destination = sign_up_destination(pool, locked.attributes)
        if destination is not None:
            locked.attributes[users.VERIFIED_FLAG[destination.attribute]] = "true"
        users.aliases_claim(ctx, pool, locked, force=force_alias)
        users.sync_columns(locked)
        locked.save(update_fields=["status", "attributes", *users.MIRRORED, "updated_at"])
        audit_record(ctx, "user.confirm_sign_up", pool_id=pool.id, target=locked.username,
                     verified=destination.attribute if destination else None)  # fmt: skip
        return locked

    return code_spend_then(user, Purpose.SIGN_UP, code, confirm)


# --- ResendConfirmationCode -----------------------------------------------------------------


def user_resend_confirmation_code(
    ctx: ServiceContext, *, client_id: str, secret_hash: str | None, username: str
) -> dict[str, Any]:
    """ResendConfirmationCode: a new sign-up code (the previous one stops working).

    Raises ResourceNotFoundException, NotAuthorizedException, UserNotFoundException
    (with PreventUserExistenceErrors a simulated CodeDeliveryDetails instead, also for a
    disabled or confirmed user and one without the address), InvalidParameterException
    (already confirmed; nowhere to send), LimitExceededException.
    """
    client = client_for_request(client_id, secret_hash, username)
    ctx = client_context(ctx, client)
    pool = client.pool
    user = user_for_public_request(client, username)
    if prevents_existence_errors(client) and (
            user is None or not user.is_active or user.status != User.Status.UNCONFIRMED
            or sign_up_destination(pool, user.attributes) is None):  # fmt: skip
        # Nobody a code goes to: a simulated answer, counted towards the same send limit
        # (a pool that verifies nothing refuses everyone alike).
        if not auto_verified_attributes(pool):
            raise InvalidParameter("Cannot resend codes. Auto verification not turned on.")
        simulated_send_throttle(pool, user, username, Purpose.SIGN_UP)
        codes.phantom_code_issue(pool.id, users.username_key(pool, username), Purpose.SIGN_UP)
        return simulated_delivery_details(pool, username)
    if user is None or not user.is_active:
        if user is None:
            raise UserNotFound(USER_NOT_FOUND_MESSAGE)
        raise NotAuthorized("User is disabled.")
    if user.status != User.Status.UNCONFIRMED:
        raise InvalidParameter("User is already confirmed.")
    destination = sign_up_destination(pool, user.attributes)
    if destination is None:
        raise InvalidParameter("Cannot resend codes. Auto verification not turned on.")
    send_throttle(user, Purpose.SIGN_UP)
    with transaction.atomic():
        details = code_send(ctx, user, purpose=Purpose.SIGN_UP, destination=destination)
        audit_record(ctx, "user.resend_confirmation_code", pool_id=pool.id, target=user.username)
    return details
