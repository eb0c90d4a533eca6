"""The user directory as an administrator sees it: Admin* user operations and ListUsers.

Every rule about attributes, aliases, usernames and passwords lives in
:mod:`userpools.services.users`; this module applies them to Cognito's admin
operations (API reference: AdminCreateUser, AdminGetUser, AdminDeleteUser,
AdminDisableUser, AdminEnableUser, AdminResetUserPassword, AdminSetUserPassword,
AdminConfirmSignUp, AdminUpdateUserAttributes, AdminDeleteUserAttributes, ListUsers).
Permission to call them is checked by the protocol layer (SigV4 + IAM policy);
these functions trust their caller. Each state change is one transaction with an
audit event; messages are queued to go out after commit.

Choices where Cognito's documentation is silent, pinned by tests in ``tests/directory``:

* AdminCreateUser sends the invitation by each medium in ``DesiredDeliveryMediums``;
  a medium named explicitly whose attribute the user lacks is InvalidParameterException.
  With the default (SMS) and no phone number, the user is created and nothing is sent.
* AdminCreateUser ignores UserAttributes on RESEND. A verified alias held by another
  user is AliasExistsException (as ForceAliasCreation's documentation says; the model's
  error list for AdminCreateUser omits it).
* AdminResetUserPassword sets RESET_REQUIRED even when the user has no verified email
  or phone number (or the pool's recovery is ``admin_only``); only then no code is sent.
  An UNCONFIRMED or EXTERNAL_PROVIDER user's password cannot be reset (NotAuthorizedException).
* AdminUpdateUserAttributes: a changed email or phone number is unverified
  (``*_verified`` = false) unless the same request sets it true; an empty value removes
  the attribute. Admin updates apply at once (AttributesRequireVerificationBeforeUpdate
  governs self-service updates only).
* AdminDeleteUserAttributes refuses required, immutable and sign-in (UsernameAttributes)
  attributes; deleting email or phone_number removes its ``*_verified`` flag too.
* ListUsers: ``Limit`` 0 means the default, 60; ``email`` matches case-insensitively (the
  column holds it lower-cased); ``sub`` allows exact matches only; ``status`` is
  ``Enabled``/``Disabled`` (case-sensitive), ``cognito:user_status`` any case.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import string
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan
from django.utils import timezone

from userpools.context import ServiceContext
from userpools.errors import (
    AliasExists,
    InvalidParameter,
    NotAuthorized,
    UnsupportedUserState,
    UsernameExists,
    UserNotFound,
)
from userpools.models import Delivery, User, UserPool, VerificationCode
from userpools.services import delivery, users
from userpools.services.audit import audit_record
from userpools.services.outreach import Destination, code_send
from userpools.services.pagination import Page
from userpools.services.pools import DEFAULT_PASSWORD_POLICY, user_pool_get, user_pool_read
from userpools.services.recovery import recovery_destination

Status = User.Status
Purpose = VerificationCode.Purpose
MAX_LIST_LIMIT = 60
# Symbols for generated passwords: Cognito's special characters without quotes,
# backslash, backquote and space, which travel badly through templates and shells.
_GENERATED_SYMBOLS = "^$*.[]{}()?!@#%&/,><:;|_~=+-"


# --- Lookup -------------------------------------------------------------------------------


def user_locate(pool_id: str, username: str, *, lock: bool = False, cached_pool: bool = False) -> tuple[UserPool, User]:
    """The pool (ResourceNotFoundException) and the user (UserNotFoundException) a caller
    names by username, alias or sub; the user's ``pool`` is filled in (no extra query).
    ``cached_pool``: the pool from process memory (:func:`user_pool_read`), for reads."""
    pool = user_pool_read(pool_id) if cached_pool else user_pool_get(pool_id)
    user = users.user_find(pool, username, lock=lock)
    if user is None:
        raise UserNotFound("User does not exist.")
    user.pool = pool
    return pool, user


def user_admin_get(*, pool_id: str, username: str) -> User:
    """AdminGetUser: one query, the user (the pool comes from the process's cache)."""
    return user_locate(pool_id, username, cached_pool=True)[1]


# --- Passwords and messages -----------------------------------------------------------------


def temporary_password_generate(pool: UserPool) -> str:
    """A random password that meets the pool's policy: one character of each required
    class, the rest letters and digits, at least 12 characters long."""
    policy = {**DEFAULT_PASSWORD_POLICY, **users.password_policy(pool)}
    length = max(int(policy.get("MinimumLength") or 8), 12)
    rng = secrets.SystemRandom()
    chars = [
        rng.choice(string.ascii_uppercase),
        rng.choice(string.ascii_lowercase),
        rng.choice(string.digits),
        rng.choice(_GENERATED_SYMBOLS),
    ]
    pool_chars = string.ascii_letters + string.digits
    chars += [rng.choice(pool_chars) for _ in range(length - len(chars))]
    rng.shuffle(chars)
    return "".join(chars)


def _temporary_expiry(pool: UserPool):
    days = users.password_policy(pool).get("TemporaryPasswordValidityDays")
    if days is None:
        days = DEFAULT_PASSWORD_POLICY["TemporaryPasswordValidityDays"]
    return timezone.now() + timedelta(days=int(days))


def _invitation_send(
    ctx: ServiceContext, pool: UserPool, user: User, *, username: str, password: str, mediums: list[str], explicit: bool
) -> None:
    """AdminCreateUser's welcome message, through AdminCreateUserConfig.InviteMessageTemplate.

    Cognito does not deliver an invitation whose template lacks the ``{####}``
    temporary-password placeholder (API reference, AdminCreateUser).
    """
    template = (pool.settings.get("AdminCreateUserConfig") or {}).get("InviteMessageTemplate") or {}
    targets = []
    for medium in dict.fromkeys(mediums):
        attribute = "email" if medium == Delivery.Medium.EMAIL else "phone_number"
        destination = user.attributes.get(attribute)
        if not destination:
            if explicit:
                raise InvalidParameter(
                    f"User has no attribute matching desired delivery medium {medium}: {attribute} is not set."
                )
            continue
        targets.append((medium, destination))
    for medium, destination in targets:
        if medium == Delivery.Medium.EMAIL:
            body = template.get("EmailMessage") or delivery.DEFAULT_INVITE_MESSAGE
            subject = template.get("EmailSubject") or delivery.DEFAULT_INVITE_SUBJECT
        else:
            body = template.get("SMSMessage") or delivery.DEFAULT_INVITE_MESSAGE
            subject = ""
        if "{####}" not in body:
            continue
        delivery.delivery_send(
            ctx,
            user=user,
            medium=medium,
            destination=destination,
            purpose="invitation",
            body=delivery.render(body, code=password, username=username),
            subject=subject,
        )


def _codes_void(user: User, purpose: str) -> None:
    VerificationCode.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(used_at=timezone.now())


# --- AdminCreateUser ----------------------------------------------------------------------------


@transaction.atomic
def user_admin_create(
    ctx: ServiceContext,
    *,
    pool_id: str,
    username: str,
    attributes: Iterable[Mapping[str, Any]] = (),
    temporary_password: str | None = None,
    force_alias: bool = False,
    message_action: str | None = None,
    delivery_mediums: list[str] | None = None,
) -> User:
    """AdminCreateUser: a FORCE_CHANGE_PASSWORD user with a temporary password, invited
    by email and/or SMS unless ``message_action`` is SUPPRESS. ``message_action`` RESEND
    re-invites an existing FORCE_CHANGE_PASSWORD user with a new temporary password.

    Raises ResourceNotFoundException, UsernameExistsException, AliasExistsException,
    InvalidPasswordException, InvalidParameterException, UserNotFoundException and
    UnsupportedUserStateException (RESEND).
    """
    pool = user_pool_get(pool_id)
    explicit = bool(delivery_mediums)
    mediums = list(delivery_mediums or [Delivery.Medium.SMS])
    password = temporary_password or None
    if password is not None:
        users.password_check(pool, password)
    if message_action == "RESEND":
        return _invitation_resend(ctx, pool, username=username, password=password, mediums=mediums, explicit=explicit)

    values = users.attributes_validate(pool, attributes, developer=True)
    implied = {
        name
        for name in users.username_attributes(pool)
        if (name == "email" and "@" in username) or (name == "phone_number" and users.PHONE_RE.match(username))
    }
    for name, flag in users.VERIFIED_FLAG.items():
        if values.get(flag) == "true" and not values.get(name) and name not in implied:
            raise InvalidParameter(f"{flag} cannot be true without a value for {name}.")
    password = password or temporary_password_generate(pool)
    user = users.user_create(
        ctx,
        pool=pool,
        username=username,
        password=password,
        attributes=values,
        status=Status.FORCE_CHANGE_PASSWORD,
        force_alias=force_alias,
    )
    user.temporary_password_expires_at = _temporary_expiry(pool)
    user.save(update_fields=["temporary_password_expires_at"])
    if message_action != "SUPPRESS":
        _invitation_send(ctx, pool, user, username=username, password=password, mediums=mediums, explicit=explicit)
    audit_record(
        ctx,
        "user.admin_create",
        pool_id=pool.id,
        target=user.username,
        invited=message_action != "SUPPRESS",
        mediums=mediums,
    )
    return user


def _invitation_resend(
    ctx: ServiceContext, pool: UserPool, *, username: str, password: str | None, mediums: list[str], explicit: bool
) -> User:
    user = users.user_find(pool, username, lock=True)
    if user is None:
        raise UserNotFound("User does not exist.")
    user.pool = pool
    if user.status != Status.FORCE_CHANGE_PASSWORD:
        raise UnsupportedUserState(f"Resend not possible. {user.username} status is not FORCE_CHANGE_PASSWORD.")
    password = password or temporary_password_generate(pool)
    # A temporary password is not a chosen one: it does not enter the password history.
    users.password_store(user, password)
    user.temporary_password_expires_at = _temporary_expiry(pool)
    user.save(update_fields=[*users.PASSWORD_FIELDS, "temporary_password_expires_at", "updated_at"])
    _invitation_send(ctx, pool, user, username=username, password=password, mediums=mediums, explicit=explicit)
    audit_record(ctx, "user.admin_resend_invitation", pool_id=pool.id, target=user.username, mediums=mediums)
    return user


# --- Delete, disable, enable, confirm --------------------------------------------------------


@transaction.atomic
def user_admin_delete(ctx: ServiceContext, *, pool_id: str, username: str) -> None:
    pool, user = user_locate(pool_id, username, lock=True)
    name = user.username
    user.delete()
    audit_record(ctx, "user.admin_delete", pool_id=pool.id, target=name)


@transaction.atomic
def user_admin_set_enabled(ctx: ServiceContext, *, pool_id: str, username: str, enabled: bool) -> User:
    """AdminEnableUser / AdminDisableUser. A disabled user cannot sign in but is still
    listed; the token service refuses a disabled user's refresh tokens."""
    pool, user = user_locate(pool_id, username, lock=True)
    user.is_active = enabled
    user.save(update_fields=["is_active", "updated_at"])
    audit_record(ctx, "user.admin_enable" if enabled else "user.admin_disable", pool_id=pool.id, target=user.username)
    return user


@transaction.atomic
def user_admin_confirm_sign_up(ctx: ServiceContext, *, pool_id: str, username: str) -> User:
    """AdminConfirmSignUp: UNCONFIRMED becomes CONFIRMED; any other status is
    NotAuthorizedException ("User cannot be confirmed. Current status is X")."""
    pool, user = user_locate(pool_id, username, lock=True)
    if user.status != Status.UNCONFIRMED:
        raise NotAuthorized(f"User cannot be confirmed. Current status is {user.status}")
    user.status = Status.CONFIRMED
    user.save(update_fields=["status", "updated_at"])
    _codes_void(user, Purpose.SIGN_UP)
    audit_record(ctx, "user.admin_confirm_sign_up", pool_id=pool.id, target=user.username)
    return user


# --- Passwords ---------------------------------------------------------------------------------


@transaction.atomic
def user_admin_reset_password(ctx: ServiceContext, *, pool_id: str, username: str) -> dict[str, Any] | None:
    """AdminResetUserPassword: status RESET_REQUIRED, and a reset code to the verified
    address ForgotPassword would use (:func:`recovery.recovery_destination`) when there
    is one. The password hash is kept (the status stops sign-in) so that the history
    still applies. Returns the CodeDeliveryDetails, or None when nothing could be sent."""
    pool, user = user_locate(pool_id, username, lock=True)
    if user.status in (Status.UNCONFIRMED, Status.EXTERNAL_PROVIDER):
        raise NotAuthorized("User password cannot be reset in the current state.")
    user.status = Status.RESET_REQUIRED
    user.temporary_password_expires_at = None
    user.save(update_fields=["status", "temporary_password_expires_at", "updated_at"])
    destination = recovery_destination(pool, user)
    details = None
    if destination is not None:
        details = code_send(ctx, user, purpose=Purpose.RESET_PASSWORD, destination=destination)
    else:
        _codes_void(user, Purpose.RESET_PASSWORD)
    audit_record(
        ctx,
        "user.admin_reset_password",
        pool_id=pool.id,
        target=user.username,
        medium=destination.medium if destination else None,
    )
    return details


@transaction.atomic
def user_admin_set_password(
    ctx: ServiceContext, *, pool_id: str, username: str, password: str, permanent: bool = False
) -> User:
    """AdminSetUserPassword: permanent → CONFIRMED; temporary → FORCE_CHANGE_PASSWORD
    until the pool's TemporaryPasswordValidityDays pass. The pool policy and password
    history apply (InvalidPasswordException, PasswordHistoryPolicyViolationException)."""
    pool, user = user_locate(pool_id, username, lock=True)
    users.password_check(pool, password, user=user)
    users.password_set(user, password)
    if permanent:
        user.status = Status.CONFIRMED
        user.temporary_password_expires_at = None
    else:
        user.status = Status.FORCE_CHANGE_PASSWORD
        user.temporary_password_expires_at = _temporary_expiry(pool)
    user.save(update_fields=[*users.PASSWORD_FIELDS, "status", "temporary_password_expires_at", "updated_at"])
    _codes_void(user, Purpose.RESET_PASSWORD)
    audit_record(ctx, "user.admin_set_password", pool_id=pool.id, target=user.username, permanent=permanent)
    return user


# --- Attributes ----------------------------------------------------------------------------------


def _verification_send(ctx: ServiceContext, pool: UserPool, user: User, name: str) -> None:
    if name not in (pool.settings.get("AutoVerifiedAttributes") or []):
        return
    purpose = Purpose.VERIFY_EMAIL if name == "email" else Purpose.VERIFY_PHONE
    code_send(ctx, user, purpose=purpose, destination=Destination(name, user.attributes[name]))


@transaction.atomic
def user_admin_update_attributes(
    ctx: ServiceContext, *, pool_id: str, username: str, attributes: Iterable[Mapping[str, Any]]
) -> User:
    """AdminUpdateUserAttributes (developer-only attributes allowed).

    A changed email or phone number is unverified unless the request sets its
    ``*_verified`` true; if the attribute is in AutoVerifiedAttributes a verification
    code is sent. Aliases must stay unique (AliasExistsException).
    """
    pool, user = user_locate(pool_id, username, lock=True)
    values = users.attributes_validate(pool, attributes, existing=user.attributes, developer=True)
    before = dict(user.attributes)
    merged = dict(before)
    for name, value in values.items():
        if value == "":
            merged.pop(name, None)
        else:
            merged[name] = value
    changed_contacts = []
    for name, flag in users.VERIFIED_FLAG.items():
        if name in values and values[name] != before.get(name):
            if not merged.get(name):
                merged.pop(flag, None)
            elif values.get(flag) != "true":
                merged[flag] = "false"
                changed_contacts.append(name)
        if merged.get(flag) == "true" and not merged.get(name):
            raise InvalidParameter(f"{flag} cannot be true without a value for {name}.")
    for name in users.username_attributes(pool):
        if name in values and not merged.get(name):
            raise InvalidParameter(f"The {name} attribute is used to sign in and cannot be removed.")
    users.attributes_require(pool, merged)
    user.attributes = merged
    users.sync_columns(user)
    try:
        users.aliases_claim(ctx, pool, user, force=False)
    except UsernameExists as exc:  # the email or phone number another user signs in with
        raise AliasExists(exc.message) from None
    users.user_save_attributes(user)
    for name in changed_contacts:
        _verification_send(ctx, pool, user, name)
    audit_record(ctx, "user.admin_update_attributes", pool_id=pool.id, target=user.username, names=sorted(values))
    return user


@transaction.atomic
def user_admin_delete_attributes(ctx: ServiceContext, *, pool_id: str, username: str, names: list[str]) -> User:
    """AdminDeleteUserAttributes: required, immutable and sign-in attributes cannot go."""
    pool, user = user_locate(pool_id, username, lock=True)
    schema = users.schema_by_name(pool)
    merged = dict(user.attributes)
    for name in names:
        if name in users.UNWRITABLE:
            raise InvalidParameter(f"Cannot delete the attribute {name}.")
        spec = schema.get(name)
        if spec is None and name.startswith("custom:") and f"dev:{name}" in schema:
            name, spec = f"dev:{name}", schema[f"dev:{name}"]
        if spec is None:
            raise InvalidParameter(f"Attribute {name} does not exist in the schema.")
        if spec.get("Required"):
            raise InvalidParameter(f"Cannot delete the required attribute {name}.")
        if not spec.get("Mutable", True) and name in merged:
            raise InvalidParameter(f"Cannot delete the non-mutable attribute {name}.")
        if name in users.username_attributes(pool):
            raise InvalidParameter(f"The {name} attribute is used to sign in and cannot be deleted.")
        merged.pop(name, None)
        if name in users.VERIFIED_FLAG:
            merged.pop(users.VERIFIED_FLAG[name], None)
    user.attributes = merged
    users.user_save_attributes(user)
    audit_record(ctx, "user.admin_delete_attributes", pool_id=pool.id, target=user.username, names=sorted(set(names)))
    return user


# --- ListUsers -----------------------------------------------------------------------------------

# Filterable names → the indexed column that mirrors them (each has a (pool, column, id) index).
FILTER_COLUMNS = {
    "username": "username_key",
    "email": "email",
    "phone_number": "phone_number",
    "name": "name",
    "given_name": "given_name",
    "family_name": "family_name",
    "preferred_username": "preferred_username",
    "cognito:user_status": "status",
    "status": "is_active",
    "sub": "sub",
}
_FILTER_RE = re.compile(r'\s*([A-Za-z_:]+)\s*(\^=|=)\s*"((?:[^"\\]|\\.)*)"\s*', re.DOTALL)
_ENABLED = {"Enabled": True, "Disabled": False}
_INVALID_TOKEN = "The pagination token is not valid."


@dataclass(frozen=True)
class UserFilter:
    """A parsed ListUsers filter: ``column`` orders the page (with ``id``), ``condition`` selects."""

    column: str
    condition: Q
    # For an exact match: the one value of ``column`` every row has (see keyset_page).
    exact: Any = None


def _next_prefix(value: str) -> str | None:
    """The least string above every string that starts with ``value`` (code-point order,
    as the C collation and SQLite's BINARY compare), or None if there is none."""
    chars = list(value)
    while chars:
        point = ord(chars[-1]) + 1
        if 0xD800 <= point <= 0xDFFF:  # surrogates cannot be stored: skip to the next scalar value
            point = 0xE000
        if point <= 0x10FFFF:
            chars[-1] = chr(point)
            return "".join(chars)
        chars.pop()
    return None


_CODEPOINT_COLLATIONS = frozenset({"C", "POSIX", "C.UTF-8", "C.utf8"})
_collation_cache: dict[tuple[str, str], bool] = {}


def collation_is_codepoint() -> bool:
    """Whether text columns compare by code point: SQLite's BINARY does; PostgreSQL does
    under the C locales (Cognate's databases are created with C.UTF-8). Asked once per
    database and process."""
    key = (connection.vendor, str(connection.settings_dict.get("NAME")))
    if key not in _collation_cache:
        if connection.vendor == "sqlite":
            result = True
        elif connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # to_jsonb: pg_database's columns differ between versions (datlocprovider is 15+).
                cursor.execute("SELECT to_jsonb(d) FROM pg_database d WHERE datname = current_database()")
                row = cursor.fetchone()[0]
            row = json.loads(row) if isinstance(row, str) else row
            result = row.get("datcollate") in _CODEPOINT_COLLATIONS and row.get("datlocprovider", "c") == "c"
        else:
            result = False
        _collation_cache[key] = result
    return _collation_cache[key]


def _prefix_condition(column: str, value: str) -> Q:
    """A case-sensitive prefix match that the (pool, column, id) btree index serves.

    Under code-point collation the strings that start with ``value`` are exactly those in
    [value, next_prefix(value)), so a range alone selects them; PostgreSQL scans the index
    in order and stops at the page's end. (A LIKE beside the range adds nothing and makes
    the planner underestimate the rows and sort every match; and SQLite's LIKE folds
    ASCII case.) Under any other collation, ``startswith`` alone: correct, if slower.
    """
    if value == "":
        return Q()
    if not collation_is_codepoint():
        return Q(**{f"{column}__startswith": value})
    condition = Q(**{f"{column}__gte": value})
    upper = _next_prefix(value)
    if upper is not None:
        condition &= Q(**{f"{column}__lt": upper})
    return condition


def users_filter_parse(pool: UserPool, text: str | None) -> UserFilter | None:
    """Parse ``attribute = "value"`` or ``attribute ^= "value"`` (API reference, ListUsers
    Filter); None for an empty filter. Unknown attributes and malformed filters are
    InvalidParameterException."""
    if text is None or not text.strip():
        return None
    match = _FILTER_RE.fullmatch(text)
    if match is None:
        raise InvalidParameter('Filter must look like: attribute = "value" or attribute ^= "value".')
    attribute, operator, raw = match.groups()
    if attribute not in FILTER_COLUMNS:
        raise InvalidParameter(f"Invalid search attribute: {attribute}")
    value = users.text_check(re.sub(r"\\(.)", r"\1", raw, flags=re.DOTALL), "Filter")
    column = FILTER_COLUMNS[attribute]
    prefix = operator == "^="
    if attribute == "status":  # Enabled / Disabled, case-sensitive
        matching = [flag for label, flag in _ENABLED.items() if (label.startswith(value) if prefix else label == value)]
        return UserFilter(column, Q(is_active__in=matching), exact=matching[0] if len(matching) == 1 else None)
    if attribute == "sub":
        if prefix:
            raise InvalidParameter("The sub attribute supports exact matches only.")
        try:
            sub = uuid.UUID(value)
        except ValueError:
            return UserFilter("id", Q(pk__in=[]))
        return UserFilter("id", Q(sub=sub))
    if attribute == "email":
        value = value.lower()
    elif attribute == "username":
        value = users.username_key(pool, value)
    elif attribute == "cognito:user_status":
        value = value.upper()
    if prefix:
        return UserFilter(column, _prefix_condition(column, value))
    return UserFilter(column, Q(**{column: value}), exact=value)


def _token_encode(column: str, key: list) -> str:
    raw = json.dumps({"c": column, "k": key}, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _token_decode(token: str, column: str) -> list:
    """The keyset position in ``token``, checked against the listing's order column and types."""
    try:
        data = json.loads(base64.urlsafe_b64decode((token + "=" * (-len(token) % 4)).encode()).decode())
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidParameter(_INVALID_TOKEN) from None
    if not isinstance(data, dict) or data.get("c") != column or not isinstance(data.get("k"), list):
        raise InvalidParameter(_INVALID_TOKEN)
    key = data["k"]
    expected = 1 if column == "id" else 2
    if len(key) != expected:
        raise InvalidParameter(_INVALID_TOKEN)
    row_id = key[-1]
    if isinstance(row_id, bool) or not isinstance(row_id, int) or not 0 <= row_id < 2**63:
        raise InvalidParameter(_INVALID_TOKEN)
    if expected == 2:
        value = key[0]
        wanted = bool if column == "is_active" else str
        if type(value) is not wanted:
            raise InvalidParameter(_INVALID_TOKEN)
        if isinstance(value, str):
            try:
                users.text_check(value, "PaginationToken")
            except InvalidParameter:
                raise InvalidParameter(_INVALID_TOKEN) from None
    return key


def keyset_page(qs: QuerySet, *, column: str, limit: int, token: str | None, exact: Any = None) -> Page:
    """One page of ``qs`` in (``column``, id) order — or id order when ``column`` is
    ``"id"`` — after the position in ``token``: no OFFSET and no COUNT, so a page costs
    one indexed range scan however deep it is, and rows inserted meanwhile neither
    repeat nor shift what follows.

    ``exact`` is the value an exact-match filter pins ``column`` to; ``qs`` must then not
    carry that equality itself. With ``col = v AND (col, id) > (v, n)`` PostgreSQL starts
    the index scan at ``col = v`` and filters its way to the position, so page k reads
    every row before it (measured: benchmarks/README.md, Performance mechanisms);
    ``(col, id) > (v, n) AND col <= v`` selects the same rows and starts at the position.
    """
    if token:
        key = _token_decode(token, column)
        if column == "id":
            qs = qs.filter(id__gt=key[0])
        else:
            if exact is not None and key[0] != exact:
                raise InvalidParameter(_INVALID_TOKEN)
            qs = qs.filter(TupleGreaterThan(Tuple(F(column), F("id")), tuple(key)))
            if exact is not None:
                qs = qs.filter(**{f"{column}__lte": exact})
    elif exact is not None:
        qs = qs.filter(**{column: exact})
    order = ("id",) if column == "id" else (column, "id")
    rows = list(qs.order_by(*order)[: limit + 1])
    if len(rows) <= limit:
        return Page(rows, None)
    last = rows[limit - 1]
    key = [last.pk] if column == "id" else [getattr(last, column), last.pk]
    return Page(rows[:limit], _token_encode(column, key))


def list_limit(limit: int | None) -> int:
    """Cognito's QueryLimitType allows 0..60; 0 or absent means the maximum, 60."""
    if limit is None or limit == 0:
        return MAX_LIST_LIMIT
    if not 1 <= limit <= MAX_LIST_LIMIT:
        raise InvalidParameter(f"Limit must be between 1 and {MAX_LIST_LIMIT}.")
    return limit


def attributes_to_get_check(pool: UserPool, names: list[str] | None) -> list[str] | None:
    """Names valid for AttributesToGet (the pool's schema; ``custom:x`` finds ``dev:custom:x``),
    as stored; unknown names are InvalidParameterException."""
    if names is None:
        return None
    schema = users.schema_by_name(pool)
    out = []
    for name in names:
        if name in schema:
            out.append(name)
        elif f"dev:{name}" in schema:
            out.append(f"dev:{name}")
        else:
            raise InvalidParameter(f"Invalid attribute name in AttributesToGet: {name}")
    return out


def users_list(
    *, pool_id: str, filter: str | None, limit: int, token: str | None, attributes_to_get: list[str] | None
) -> Page[User]:
    """ListUsers: two queries (the pool, then the page).

    Unfiltered pages are in id order; filtered ones in (column, id) order, so the
    (pool, column, id) index serves both the condition and the order. The token is an
    opaque keyset position; a forged or foreign one is InvalidParameterException.
    ``attributes_to_get`` is validated here; the caller renders only those attributes.
    """
    pool = user_pool_get(pool_id)
    limit = list_limit(limit)
    attributes_to_get_check(pool, attributes_to_get)
    parsed = users_filter_parse(pool, filter)
    qs = User.objects.filter(pool_id=pool.id)
    column, exact = "id", None
    if parsed is not None:
        column = parsed.column
        if parsed.exact is not None and column != "id":
            exact = parsed.exact  # keyset_page applies the equality in its index-friendly form
        else:
            qs = qs.filter(parsed.condition)
    return keyset_page(qs, column=column, limit=limit, token=token, exact=exact)
