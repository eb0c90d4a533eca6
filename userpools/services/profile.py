"""What a signed-in user does to their own account (the operations authorized by an access token).

ChangePassword, GetUser, UpdateUserAttributes, GetUserAttributeVerificationCode,
VerifyUserAttribute, DeleteUserAttributes and DeleteUser. The caller has already
resolved the access token to ``user`` (and its app client, whose Read/WriteAttributes
apply); these functions hold the rules:

* Changing ``email`` or ``phone_number`` marks it unverified and, when the pool
  auto-verifies that attribute, sends a code to the new value (Developer Guide,
  "Verifying when users change their email or phone number").
* With ``UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate`` naming
  the attribute, a *verified* current value stays in force until the new one is
  verified: the new value waits under ``cognate:pending:<name>`` in ``User.attributes``
  (never listed), the code goes to it, and VerifyUserAttribute moves it in.
* Users never set the ``*_verified`` flags themselves; a code does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.hashers import check_password
from django.db import transaction

from userpools.context import ServiceContext
from userpools.errors import (
    AliasExists,
    InvalidParameter,
    LimitExceeded,
    NotAuthorized,
    TooManyFailedAttempts,
    UsernameExists,
)
from userpools.models import AppClient, User
from userpools.services import limits, users
from userpools.services.audit import audit_record
from userpools.services.outreach import (
    LIMIT_MESSAGE,
    Destination,
    Purpose,
    auto_verified_attributes,
    code_send,
    code_spend_then,
    send_throttle,
    user_lock,
)
from userpools.services.users import self_service_attributes

VERIFY_PURPOSE = {"email": Purpose.VERIFY_EMAIL, "phone_number": Purpose.VERIFY_PHONE}
PENDING = users.RESERVED_PREFIX + "pending:"
# Wrong previous passwords allowed in CHANGE_PASSWORD_WINDOW seconds before LimitExceededException.
CHANGE_PASSWORD_FAILURES = 5
CHANGE_PASSWORD_WINDOW = 900


def pending_key(name: str) -> str:
    return PENDING + name


def _locked(user: User) -> User:
    return user_lock(user)


def _claim_aliases(ctx: ServiceContext, user: User) -> None:
    """Self-service changes never take an alias from someone else: AliasExistsException."""
    try:
        users.aliases_claim(ctx, user.pool, user, force=False)
    except UsernameExists as exc:  # an e-mail/phone used as username elsewhere
        raise AliasExists(exc.message) from None


# --- ChangePassword ----------------------------------------------------------------------------


def user_change_password(ctx: ServiceContext, user: User, previous: str | None, proposed: str) -> None:
    """ChangePassword. Raises NotAuthorizedException ("Incorrect username or password."
    for a wrong previous password), LimitExceededException (too many wrong ones),
    InvalidPasswordException, PasswordHistoryPolicyViolationException."""
    # Every attempt is counted before its password is checked (a success forgets the count):
    # counting only wrong ones, after the check, would let a burst of concurrent guesses all
    # pass the limit before any of them was counted. The count is a row every server
    # process adds to atomically (userpools.services.limits).
    failures_key = f"change-password-failures:{user.sub}"
    if limits.counter_hit(failures_key, window=CHANGE_PASSWORD_WINDOW) > CHANGE_PASSWORD_FAILURES:
        raise LimitExceeded(LIMIT_MESSAGE)
    if user.has_usable_password() and not _password_matches(previous, user.password):
        raise NotAuthorized("Incorrect username or password.")
    limits.counter_reset(failures_key)  # the right password: a rejected new one is not a failure
    with transaction.atomic():
        locked = _locked(user)
        users.password_check(locked.pool, proposed, user=locked)
        users.password_set(locked, proposed)
        locked.save(update_fields=[*users.PASSWORD_FIELDS, "updated_at"])
        audit_record(ctx, "user.change_password", pool_id=locked.pool_id, target=locked.username)
    user.password = locked.password


def _password_matches(raw: str | None, encoded: str) -> bool:
    if raw is None:
        return False
    try:
        return check_password(raw, encoded)
    except UnicodeEncodeError:  # a lone surrogate from JSON: not anyone's password
        return False


# --- GetUser -------------------------------------------------------------------------------------


def user_get_attributes(user: User, client: AppClient | None = None) -> list[dict[str, str]]:
    """GetUser's UserAttributes: ``sub`` first; the client's ReadAttributes apply;
    developer-only attributes and pending changes are not shown."""
    return users.attributes_list(user, client=client, developer=False)


# --- UpdateUserAttributes ----------------------------------------------------------------------


def user_update_attributes(
    ctx: ServiceContext, user: User, attributes: Iterable[Mapping[str, Any]], client: AppClient | None = None
) -> list[dict[str, Any]]:
    """UpdateUserAttributes; returns CodeDeliveryDetailsList (one per code sent).

    Raises InvalidParameterException (schema, immutable, required), NotAuthorizedException
    (unauthorized attribute), AliasExistsException.
    """
    pool = user.pool
    values = self_service_attributes(pool, attributes, client=client, existing=user.attributes)
    auto = auto_verified_attributes(pool)
    before_update = set(
        (pool.settings.get("UserAttributeUpdateSettings") or {}).get("AttributesRequireVerificationBeforeUpdate") or []
    )
    with transaction.atomic():
        locked = _locked(user)
        attrs = dict(locked.attributes)
        sends: list[Destination] = []
        for name, value in values.items():
            if name not in users.VERIFIED_FLAG:
                attrs[name] = value
                continue
            flag, current = users.VERIFIED_FLAG[name], attrs.get(name)
            if value == current:
                attrs.pop(pending_key(name), None)  # back to the value in force: nothing pending
                continue
            if not value:
                for key in (name, flag, pending_key(name)):
                    attrs.pop(key, None)
                continue
            if name in before_update and current and attrs.get(flag) == "true":
                attrs[pending_key(name)] = value
                sends.append(Destination(name, value))
                continue
            attrs[name], attrs[flag] = value, "false"
            attrs.pop(pending_key(name), None)
            if name in auto:
                sends.append(Destination(name, value))
        users.attributes_require(pool, attrs)
        locked.attributes = attrs
        users.sync_columns(locked)
        _claim_aliases(ctx, locked)
        users.user_save_attributes(locked)
        details = [code_send(ctx, locked, purpose=VERIFY_PURPOSE[d.attribute], destination=d) for d in sends]
        audit_record(ctx, "user.update_attributes", pool_id=pool.id, target=locked.username, names=sorted(values))
    user.attributes = locked.attributes
    return details


# --- GetUserAttributeVerificationCode / VerifyUserAttribute ------------------------------------


def _verifiable(name: str) -> str:
    if name not in users.VERIFIED_FLAG:
        raise InvalidParameter(f"Invalid attribute name {name}: only email and phone_number can be verified.")
    return name


def user_attribute_verification_code(ctx: ServiceContext, user: User, attribute_name: str) -> dict[str, Any]:
    """GetUserAttributeVerificationCode: a code to the pending value, else the current one.

    Raises InvalidParameterException (not email/phone_number, or no value),
    LimitExceededException.
    """
    name = _verifiable(attribute_name)
    value = user.attributes.get(pending_key(name)) or user.attributes.get(name)
    if not value:
        raise InvalidParameter(f"The user has no {name} to verify.")
    send_throttle(user, VERIFY_PURPOSE[name])
    with transaction.atomic():
        details = code_send(ctx, user, purpose=VERIFY_PURPOSE[name], destination=Destination(name, value))
        audit_record(
            ctx, "user.attribute_verification_code", pool_id=user.pool_id, target=user.username, attribute=name
        )
    return details


def user_verify_attribute(ctx: ServiceContext, user: User, attribute_name: str, code: str) -> None:
    """VerifyUserAttribute: the code verifies the attribute (moving a pending value in).

    Raises InvalidParameterException, CodeMismatchException, ExpiredCodeException,
    LimitExceededException (too many wrong codes: this operation's model has no
    TooManyFailedAttemptsException), AliasExistsException (the code stays usable).
    """
    name = _verifiable(attribute_name)

    def verify() -> User:
        locked = _locked(user)
        attrs = dict(locked.attributes)
        pending = attrs.pop(pending_key(name), None)
        if pending:
            attrs[name] = pending
        if not attrs.get(name):
            raise InvalidParameter(f"The user has no {name} to verify.")
        attrs[users.VERIFIED_FLAG[name]] = "true"
        locked.attributes = attrs
        users.sync_columns(locked)
        _claim_aliases(ctx, locked)
        users.user_save_attributes(locked)
        audit_record(ctx, "user.verify_attribute", pool_id=locked.pool_id, target=locked.username, attribute=name)
        return locked

    try:
        user.attributes = code_spend_then(user, VERIFY_PURPOSE[name], code, verify).attributes
    except TooManyFailedAttempts:
        raise LimitExceeded(LIMIT_MESSAGE) from None


# --- DeleteUserAttributes / DeleteUser -----------------------------------------------------------


def user_delete_attributes(
    ctx: ServiceContext, user: User, names: Iterable[str], client: AppClient | None = None
) -> None:
    """DeleteUserAttributes. Deleting ``email``/``phone_number`` drops its verified flag and
    any pending change. Raises InvalidParameterException (unknown, required or immutable
    attribute), NotAuthorizedException (developer-only, verified flags, not in the
    client's WriteAttributes)."""
    pool = user.pool
    schema = users.schema_by_name(pool)
    writable = set(client.settings.get("WriteAttributes") or []) if client is not None else set()
    targets: list[str] = []
    for name in names:
        spec = schema.get(name)
        if spec is None and name.startswith("custom:") and f"dev:{name}" in schema:
            name, spec = f"dev:{name}", schema[f"dev:{name}"]
        if spec is None or name in users.UNWRITABLE:
            raise InvalidParameter(
                f"Attributes did not conform to the schema: {name}: Attribute does not exist in the schema."
            )
        if (
            spec.get("DeveloperOnlyAttribute")
            or name in users.VERIFIED_FLAG.values()
            or (writable and name not in writable)
        ):
            raise NotAuthorized(f"A client attempted to write unauthorized attribute {name}")
        if spec.get("Required"):
            raise InvalidParameter(
                f"Attributes did not conform to the schema: {name}: The attribute {name} is required"
            )
        if not spec.get("Mutable", True):
            raise InvalidParameter(f"Cannot modify the non-mutable attribute {name}.")
        targets.append(name)
    with transaction.atomic():
        locked = _locked(user)
        attrs = dict(locked.attributes)
        for name in targets:
            attrs.pop(name, None)
            if name in users.VERIFIED_FLAG:
                attrs.pop(users.VERIFIED_FLAG[name], None)
                attrs.pop(pending_key(name), None)
        locked.attributes = attrs
        users.user_save_attributes(locked)
        audit_record(ctx, "user.delete_attributes", pool_id=pool.id, target=locked.username, names=targets)
    user.attributes = locked.attributes


def user_delete(ctx: ServiceContext, user: User) -> None:
    """DeleteUser: the user deletes their own account (codes, history and deliveries' link go too)."""
    with transaction.atomic():
        audit_record(ctx, "user.delete_self", pool_id=user.pool_id, target=user.username)
        User.objects.filter(pk=user.pk).delete()
