"""Self-service sign-up: SignUp, ConfirmSignUp, ResendConfirmationCode (the pieces every
code-sending flow shares are in userpools/services/outreach.py).

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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from userpools.context import ServiceContext, client_context
from userpools.errors import (
    AliasExists,
    InvalidParameter,
    NotAuthorized,
    UsernameExists,
    UserNotFound,
)
from userpools.models import User, UserPool
from userpools.services import codes, users
from userpools.services.audit import audit_record
from userpools.services.clientauth import client_for_request, prevents_existence_errors
from userpools.services.outreach import (
    USER_NOT_FOUND_MESSAGE,
    Destination,
    Purpose,
    auto_verified_attributes,
    code_send,
    code_spend_then,
    send_throttle,
    simulated_delivery_details,
    simulated_send_throttle,
    user_for_public_request,
    user_lock,
)
from userpools.services.users import self_service_attributes


def sign_up_destination(pool: UserPool, attributes: Mapping[str, str]) -> Destination | None:
    """Where a sign-up code goes: the phone when the pool verifies phones and there is
    one, else the e-mail address; None when the pool verifies neither the user has."""
    auto = auto_verified_attributes(pool)
    for name in ("phone_number", "email"):
        if name in auto and attributes.get(name):
            return Destination(name, attributes[name])
    return None


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
        raise InvalidParameter(
            "1 validation error detected: Value at 'password' failed to satisfy constraint: Member must not be null"
        )
    values = self_service_attributes(pool, attributes, client=client)
    with transaction.atomic():
        try:
            user = users.user_create(
                ctx, pool=pool, username=username, password=password, attributes=values, status=User.Status.UNCONFIRMED
            )
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
    if prevents_existence_errors(client) and (
        user is None or not user.is_active or user.status != User.Status.UNCONFIRMED
    ):
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
        audit_record(
            ctx,
            "user.confirm_sign_up",
            pool_id=pool.id,
            target=locked.username,
            verified=destination.attribute if destination else None,
        )
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
        user is None
        or not user.is_active
        or user.status != User.Status.UNCONFIRMED
        or sign_up_destination(pool, user.attributes) is None
    ):
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
