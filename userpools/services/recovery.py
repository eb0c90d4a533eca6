"""Self-service password recovery: ForgotPassword and ConfirmForgotPassword.

Cognito's rules (API reference, ForgotPassword; Developer Guide, "Recovering user
accounts" and "Managing user existence error responses"):

* The code goes to a *verified* e-mail address or phone number, chosen by the pool's
  ``AccountRecoverySetting`` priorities; without that setting, the verified phone first,
  then the verified e-mail ("legacy mechanism"). ``admin_only`` turns self-service off.
  No verified destination: InvalidParameterException.
* With the client's ``PreventUserExistenceErrors`` ENABLED, ForgotPassword answers a
  user who does not exist, is disabled, has no verified destination or cannot reset
  (FORCE_CHANGE_PASSWORD, federated: Cognito answers these alike) with simulated
  CodeDeliveryDetails, counted towards the send limit as real ones are; and
  ConfirmForgotPassword answers such a username as it answers a real user's wrong code
  (no code requested: ExpiredCodeException; then CodeMismatchException; the fifth
  TooManyFailedAttemptsException), so no sequence of answers tells them apart.
* A user created by an administrator who has not yet replaced the temporary password
  (FORCE_CHANGE_PASSWORD) cannot reset it.
* The code is valid for an hour; a few requests an hour are allowed (LimitExceededException).
* ConfirmForgotPassword sets the new password (pool policy and history apply) and
  leaves the user CONFIRMED, also from RESET_REQUIRED and UNCONFIRMED: the code reached
  a verified address, which is what confirmation proves.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from userpools.context import ServiceContext, client_context
from userpools.errors import InvalidParameter, NotAuthorized, UserNotFound
from userpools.models import User, UserPool
from userpools.services import codes, users
from userpools.services.audit import audit_record
from userpools.services.clientauth import client_for_request, prevents_existence_errors
from userpools.services.outreach import (
    USER_NOT_FOUND_MESSAGE,
    Destination,
    Purpose,
    code_send,
    code_spend_then,
    send_throttle,
    simulated_delivery_details,
    simulated_send_throttle,
    user_for_public_request,
    user_lock,
)

# The legacy order, when the pool has no AccountRecoverySetting.
LEGACY_RECOVERY = ("verified_phone_number", "verified_email")
NO_DESTINATION_MESSAGE = "Cannot reset password for the user as there is no registered/verified email or phone_number"
NOT_RESETTABLE = (User.Status.FORCE_CHANGE_PASSWORD, User.Status.EXTERNAL_PROVIDER)


def recovery_mechanisms(pool: UserPool) -> list[str]:
    mechanisms = (pool.settings.get("AccountRecoverySetting") or {}).get("RecoveryMechanisms")
    if not mechanisms:
        return list(LEGACY_RECOVERY)
    return [m["Name"] for m in sorted(mechanisms, key=lambda m: m.get("Priority", 0))]


def recovery_destination(pool: UserPool, user: User) -> Destination | None:
    """The verified address a reset code goes to, by the pool's priorities; None if none."""
    attrs = user.attributes
    for mechanism in recovery_mechanisms(pool):
        name = {"verified_phone_number": "phone_number", "verified_email": "email"}.get(mechanism)
        if name and attrs.get(name) and attrs.get(users.VERIFIED_FLAG[name]) == "true":
            return Destination(name, attrs[name])
    return None


def _simulated(pool: UserPool, username: str) -> dict[str, Any]:
    """A plausible answer: the pool's own recovery order when it has one, else its verification settings."""
    configured = (pool.settings.get("AccountRecoverySetting") or {}).get("RecoveryMechanisms")
    prefer = [
        {"verified_phone_number": "phone_number", "verified_email": "email"}[m]
        for m in recovery_mechanisms(pool)
        if configured and m in LEGACY_RECOVERY
    ]
    return simulated_delivery_details(pool, username, prefer=prefer)


def _resettable(pool: UserPool, user: User | None) -> bool:
    """Whether ForgotPassword sends ``user`` a code. With PreventUserExistenceErrors every
    other username (none, disabled, FORCE_CHANGE_PASSWORD or federated, no verified
    address) gets the unknown user's answers: a simulated delivery, counted towards the same
    send limit, and a code that ConfirmForgotPassword refuses as it refuses wrong codes."""
    return (
        user is not None
        and user.is_active
        and user.status not in NOT_RESETTABLE
        and recovery_destination(pool, user) is not None
    )


def _simulated_start(pool: UserPool, user: User | None, username: str) -> dict[str, Any]:
    simulated_send_throttle(pool, user, username, Purpose.RESET_PASSWORD)
    codes.phantom_code_issue(pool.id, users.username_key(pool, username), Purpose.RESET_PASSWORD)
    return _simulated(pool, username)


def password_reset_start(
    ctx: ServiceContext, *, client_id: str, secret_hash: str | None, username: str
) -> dict[str, Any]:
    """ForgotPassword: send a RESET_PASSWORD code; returns CodeDeliveryDetails.

    Raises ResourceNotFoundException, NotAuthorizedException (secret hash; admin-only
    recovery; disabled; FORCE_CHANGE_PASSWORD), UserNotFoundException,
    InvalidParameterException (no verified destination), LimitExceededException.
    """
    client = client_for_request(client_id, secret_hash, username)
    ctx = client_context(ctx, client)
    pool = client.pool
    if recovery_mechanisms(pool) == ["admin_only"]:
        raise NotAuthorized("Self-service password recovery is not enabled for this user pool.")
    user = user_for_public_request(client, username)
    if prevents_existence_errors(client) and not _resettable(pool, user):
        return _simulated_start(pool, user, username)
    if user is None:
        raise UserNotFound(USER_NOT_FOUND_MESSAGE)
    if not user.is_active:
        raise NotAuthorized("User is disabled.")
    if user.status in NOT_RESETTABLE:
        raise NotAuthorized("User password cannot be reset in the current state.")
    destination = recovery_destination(pool, user)
    if destination is None:
        raise InvalidParameter(NO_DESTINATION_MESSAGE)
    send_throttle(user, Purpose.RESET_PASSWORD)
    with transaction.atomic():
        details = code_send(ctx, user, purpose=Purpose.RESET_PASSWORD, destination=destination)
        audit_record(ctx, "user.password_reset_start", pool_id=pool.id, target=user.username, medium=destination.medium)
    return details


def password_reset_confirm(
    ctx: ServiceContext,
    *,
    client_id: str,
    secret_hash: str | None,
    username: str,
    code: str,
    password: str,
) -> User:
    """ConfirmForgotPassword: the code sets a new password and the user is CONFIRMED.

    The policy is checked before the code is spent; the history (which would reveal
    earlier passwords to whoever asks) only once the code is right, and a history
    violation leaves the code usable. Raises ResourceNotFoundException,
    NotAuthorizedException, UserNotFoundException (CodeMismatchException with
    PreventUserExistenceErrors), InvalidPasswordException,
    PasswordHistoryPolicyViolationException, CodeMismatchException, ExpiredCodeException,
    TooManyFailedAttemptsException.
    """
    client = client_for_request(client_id, secret_hash, username)
    ctx = client_context(ctx, client)
    pool = client.pool
    user = user_for_public_request(client, username)
    users.password_check(pool, password)  # the pool's policy, the same for every username
    if prevents_existence_errors(client) and not _resettable(pool, user):
        codes.phantom_code_verify(pool.id, users.username_key(pool, username), Purpose.RESET_PASSWORD)
    if user is None:
        raise UserNotFound(USER_NOT_FOUND_MESSAGE)
    if not user.is_active:
        raise NotAuthorized("User is disabled.")

    def reset() -> User:
        locked = user_lock(user)
        users.password_check(pool, password, user=locked)
        users.password_set(locked, password)
        previous_status = locked.status
        locked.status = User.Status.CONFIRMED
        locked.temporary_password_expires_at = None
        locked.save(update_fields=[*users.PASSWORD_FIELDS, "status", "temporary_password_expires_at", "updated_at"])
        audit_record(
            ctx, "user.password_reset", pool_id=pool.id, target=locked.username, previous_status=previous_status
        )
        return locked

    return code_spend_then(user, Purpose.RESET_PASSWORD, code, reset)
