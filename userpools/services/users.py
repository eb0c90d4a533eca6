"""Pool users: lookup, attributes against the pool schema, passwords, creation.

The rules here are shared by every operation that touches a user (SignUp,
AdminCreateUser, UpdateUserAttributes, ChangePassword ...), so each is written once:

* Usernames are unique per pool; case folded when ``UsernameConfiguration.CaseSensitive``
  is false. With ``UsernameAttributes`` the caller's "username" is an email or phone
  number, the real username is the ``sub``, and the attribute is unique in the pool.
* Attributes are checked against the pool's schema (names, types, lengths, ranges,
  mutability, required, developer-only) and the app client's read/write permissions.
* ``AliasAttributes``: a verified email or phone, or a preferred_username, signs in too
  and so is unique among users who hold it as an alias (``AliasExistsException``, or it
  moves with ``ForceAliasCreation``).
* Passwords meet the pool policy and, with ``PasswordHistorySize``, differ from the
  last N (``PasswordHistoryPolicyViolationException``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from userpools import crypto, srp
from userpools.context import ServiceContext
from userpools.errors import (
    AliasExists,
    InvalidParameter,
    InvalidPassword,
    NotAuthorized,
    PasswordHistoryPolicyViolation,
    UsernameExists,
    UserNotFound,
)
from userpools.models import AppClient, PasswordHistory, User, UserPool
from userpools.services.audit import audit_record
from userpools.services.compiled import CompiledQuery
from userpools.services.pools import user_pool_get

PHONE_RE = re.compile(r"^\+[1-9]\d{1,14}$")
BIRTHDATE_RE = re.compile(r"^(\d{4}|0000)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
# Attributes mirrored into indexed columns (ListUsers filters on these).
MIRRORED = ("email", "phone_number", "name", "given_name", "family_name", "preferred_username")
# What Cognito calls a "special character" in a password policy.
PASSWORD_SYMBOLS = set("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")
VERIFIED_FLAG = {"email": "email_verified", "phone_number": "phone_number_verified"}
UNWRITABLE = frozenset({"sub", "identities", "cognito:user_status", "cognito:mfa_enabled", "cognito:username"})


def text_check(value: str, what: str) -> str:
    """JSON may carry NUL and lone UTF-16 surrogates, which PostgreSQL text cannot hold
    and UTF-8 cannot encode: InvalidParameterException, never a database error."""
    if "\x00" in value:
        raise InvalidParameter(f"{what} must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidParameter(f"{what} is not valid Unicode text.") from None
    return value


# Keys of User.attributes that are Cognate's own bookkeeping (an e-mail change waiting for
# verification ...), never an attribute: no schema has them, and no listing shows them.
RESERVED_PREFIX = "cognate:"


# --- Lookup -----------------------------------------------------------------------------


def username_case_sensitive(pool: UserPool) -> bool:
    return (pool.settings.get("UsernameConfiguration") or {}).get("CaseSensitive", True)


def username_key(pool: UserPool, username: str) -> str:
    return username if username_case_sensitive(pool) else username.lower()


def alias_attributes(pool: UserPool) -> list[str]:
    return list(pool.settings.get("AliasAttributes") or [])


def username_attributes(pool: UserPool) -> list[str]:
    return list(pool.settings.get("UsernameAttributes") or [])


def _alias_filter(pool: UserPool, value: str, names: Iterable[str]) -> list[dict]:
    """ORM filters that find the user who holds ``value`` as a sign-in alias."""
    filters = []
    for name in names:
        if name == "preferred_username":
            filters.append({"preferred_username": value})
        elif name in VERIFIED_FLAG:
            column_value = value.lower() if name == "email" else value
            filters.append({name: column_value, f"attributes__{VERIFIED_FLAG[name]}": "true"})
    return filters


def _by_username_key(manager: Any) -> CompiledQuery:
    return CompiledQuery(
        lambda pool_id, key: manager().filter(pool_id=pool_id, username_key=key).order_by("pk")[:1],
        pool_id=User._meta.get_field("pool"),
        key=User._meta.get_field("username_key"),
    )


# user_find's first (and on sign-in, only) query, as ``.filter(...).first()`` would run it.
_USER_BY_KEY = _by_username_key(lambda: User.objects)
_USER_BY_KEY_LOCKED = _by_username_key(lambda: User.objects.select_for_update())


def user_find(pool: UserPool, username: str, *, lock: bool = False) -> User | None:
    """The user a caller means by ``username``: the username itself, a ``sub``, an alias,
    or (with UsernameAttributes) the email or phone number used as the username."""
    user = (_USER_BY_KEY_LOCKED if lock else _USER_BY_KEY).first(pool_id=pool.pk, key=username_key(pool, username))
    if user is not None:
        return user
    try:
        sub = uuid.UUID(username)
    except ValueError:
        sub = None
    conditions = [{"sub": sub}] if sub is not None else []
    conditions += [{name: username.lower() if name == "email" else username} for name in username_attributes(pool)]
    conditions += _alias_filter(pool, username, alias_attributes(pool))
    if not conditions:  # no queryset is built when there is nothing else to look for (the usual miss)
        return None
    qs = (User.objects.select_for_update() if lock else User.objects).filter(pool=pool)
    for condition in conditions:
        user = qs.filter(**condition).first()
        if user is not None:
            return user
    return None


def user_get(pool_id: str, username: str, *, lock: bool = False) -> User:
    """The user, or UserNotFoundException ("User does not exist.", as Cognito says)."""
    pool = user_pool_get(pool_id)
    user = user_find(pool, username, lock=lock)
    if user is None:
        raise UserNotFound("User does not exist.")
    return user


# --- Attributes ---------------------------------------------------------------------------


def schema_by_name(pool: UserPool) -> dict[str, dict]:
    return {a["Name"]: a for a in pool.schema}


def _attribute_error(name: str, problem: str) -> InvalidParameter:
    return InvalidParameter(f"Attributes did not conform to the schema: {name}: {problem}")


def _check_value(name: str, value: str, spec: Mapping[str, Any]) -> str:
    text_check(value, f"The value of {name}")
    kind = spec.get("AttributeDataType", "String")
    if kind == "Boolean":
        if value.lower() not in {"true", "false"}:
            raise _attribute_error(name, "The attribute value must be true or false.")
        return value.lower()
    if kind == "Number":
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise _attribute_error(name, "Number expected.") from None
        if not number.is_finite():
            raise _attribute_error(name, "Number expected.")
        limits = spec.get("NumberAttributeConstraints") or {}
        if "MinValue" in limits and number < Decimal(str(limits["MinValue"])):
            raise _attribute_error(name, f"Number must be greater than or equal to {limits['MinValue']}.")
        if "MaxValue" in limits and number > Decimal(str(limits["MaxValue"])):
            raise _attribute_error(name, f"Number must be less than or equal to {limits['MaxValue']}.")
        return value
    if kind == "DateTime":
        return value
    limits = spec.get("StringAttributeConstraints") or {}
    if "MinLength" in limits and len(value) < int(limits["MinLength"]):
        raise _attribute_error(name, f"String must be at least {limits['MinLength']} characters.")
    if "MaxLength" in limits and len(value) > int(limits["MaxLength"]):
        raise _attribute_error(name, f"String must be no longer than {limits['MaxLength']} characters.")
    if name == "email" and value:
        try:
            validate_email(value)
        except ValidationError:
            raise InvalidParameter("Invalid email address format.") from None
    if name == "phone_number" and value and not PHONE_RE.match(value):
        raise InvalidParameter("Invalid phone number format.")
    if name == "birthdate" and value and not BIRTHDATE_RE.match(value):
        raise _attribute_error(name, "Birthdate must be YYYY-MM-DD.")
    return value


def attributes_validate(
    pool: UserPool,
    attributes: Iterable[Mapping[str, Any]],
    *,
    existing: Mapping[str, str] | None = None,
    developer: bool = False,
    client: AppClient | None = None,
) -> dict[str, str]:
    """Check ``[{"Name", "Value"}]`` against the schema; returns ``{name: value}``.

    ``existing`` is the user's current attributes (immutable ones cannot change once
    set); ``developer`` allows ``dev:custom:`` attributes (admin operations); ``client``
    applies its WriteAttributes.
    """
    schema = schema_by_name(pool)
    writable = set(client.settings.get("WriteAttributes") or []) if client is not None else None
    out: dict[str, str] = {}
    for attr in attributes:
        name, value = attr.get("Name"), attr.get("Value")
        if not name:
            raise InvalidParameter("An attribute needs a Name.")
        if value is None:
            value = ""
        if name in UNWRITABLE:
            raise InvalidParameter(
                f"Cannot modify the non-mutable attribute {name}."
                if name == "sub"
                else f"Attribute {name} cannot be set."
            )
        spec = schema.get(name)
        if spec is None and name.startswith("custom:"):
            spec = schema.get(f"dev:{name}")
            if spec is not None:
                name = f"dev:{name}"
        if spec is None:
            raise _attribute_error(name, "Attribute does not exist in the schema.")
        if spec.get("DeveloperOnlyAttribute") and not developer:
            raise NotAuthorized(f"A client attempted to write unauthorized attribute {name}")
        if writable is not None and writable and name not in writable:
            raise NotAuthorized(f"A client attempted to write unauthorized attribute {name}")
        if existing is not None and not spec.get("Mutable", True) and existing.get(name) not in (None, value):
            raise InvalidParameter(f"Cannot modify the non-mutable attribute {name}.")
        if name in out:
            raise InvalidParameter(f"Duplicate attribute {name}.")
        out[name] = _check_value(name, str(value), spec)
    return out


def attributes_require(pool: UserPool, attributes: Mapping[str, str]) -> None:
    """Every attribute the schema marks Required must have a value."""
    missing = [
        a["Name"] for a in pool.schema if a.get("Required") and a["Name"] != "sub" and not attributes.get(a["Name"])
    ]
    if missing:
        raise InvalidParameter(
            "Attributes did not conform to the schema: "
            + ", ".join(f"{name}: The attribute {name} is required" for name in missing)
        )


def attributes_list(
    user: User, *, names: Iterable[str] | None = None, client: AppClient | None = None, developer: bool = True
) -> list[dict[str, str]]:
    """The user's attributes as Cognito lists them: ``sub`` first, then the stored ones."""
    readable = set(client.settings.get("ReadAttributes") or []) if client is not None else set()
    wanted = set(names) if names is not None else None
    out = [{"Name": "sub", "Value": str(user.sub)}]
    for name, value in user.attributes.items():
        if name.startswith(RESERVED_PREFIX):
            continue
        if name.startswith("dev:") and not developer:
            continue
        if readable and name not in readable:
            continue
        out.append({"Name": name, "Value": value})
    if wanted is not None:
        out = [a for a in out if a["Name"] in wanted]
    return out


def sync_columns(user: User) -> None:
    """Mirror the filterable attributes into their indexed columns."""
    for name in MIRRORED:
        value = user.attributes.get(name, "")
        setattr(user, name, value.lower() if name == "email" else value)


def _alias_conflicts(pool: UserPool, user: User, attributes: Mapping[str, str]) -> list[tuple[str, User]]:
    """Other users holding one of ``user``'s (new) aliases."""
    conflicts = []
    for name in alias_attributes(pool):
        value = attributes.get(name)
        if not value:
            continue
        if name in VERIFIED_FLAG and attributes.get(VERIFIED_FLAG[name]) != "true":
            continue
        for condition in _alias_filter(pool, value, [name]):
            other = User.objects.filter(pool=pool, **condition).exclude(pk=user.pk).first()
            if other is not None:
                conflicts.append((name, other))
    for name in username_attributes(pool):
        value = attributes.get(name)
        if value:
            column_value = value.lower() if name == "email" else value
            other = User.objects.filter(pool=pool, **{name: column_value}).exclude(pk=user.pk).first()
            if other is not None:
                raise UsernameExists(
                    f"An account with the given {'email' if name == 'email' else 'phone_number'} already exists."
                )
    return conflicts


def aliases_claim(ctx: ServiceContext, pool: UserPool, user: User, *, force: bool) -> None:
    """Make ``user``'s aliases unique: AliasExistsException, or take them over when ``force``."""
    for name, other in _alias_conflicts(pool, user, user.attributes):
        if not force:
            raise AliasExists(f"An account with the {name} already exists.")
        # The alias moves: the other user keeps the value but it is no longer verified
        # (preferred_username, which needs no verification, is removed).
        if name == "preferred_username":
            other.attributes.pop("preferred_username", None)
        else:
            other.attributes[VERIFIED_FLAG[name]] = "false"
        sync_columns(other)
        other.save(update_fields=["attributes", *MIRRORED, "updated_at"])
        audit_record(ctx, "user.alias_moved", pool_id=pool.id, target=other.username, attribute=name)


# --- Passwords ------------------------------------------------------------------------------


def password_policy(pool: UserPool) -> dict[str, Any]:
    return pool.settings.get("Policies", {}).get("PasswordPolicy", {})


def password_check(pool: UserPool, password: str, *, user: User | None = None) -> None:
    """Raise InvalidPasswordException (policy) or PasswordHistoryPolicyViolationException."""
    text_check(password, "The password")
    policy = password_policy(pool)
    problems = []
    if len(password) < policy.get("MinimumLength", 8):
        problems.append("Password not long enough")
    if policy.get("RequireUppercase") and not any(c.isupper() for c in password):
        problems.append("Password must have uppercase characters")
    if policy.get("RequireLowercase") and not any(c.islower() for c in password):
        problems.append("Password must have lowercase characters")
    if policy.get("RequireNumbers") and not any(c.isdigit() for c in password):
        problems.append("Password must have numeric characters")
    if policy.get("RequireSymbols") and not any(c in PASSWORD_SYMBOLS for c in password):
        problems.append("Password must have symbol characters")
    if password != password.strip():
        problems.append("Password cannot begin or end with a space")
    if problems:
        raise InvalidPassword("Password did not conform with policy: " + problems[0])
    size = policy.get("PasswordHistorySize") or 0
    if user is not None and user.pk and size:
        previous = [user.password, *user.password_history.values_list("password", flat=True)[: size - 1]]
        if any(encoded and check_password(password, encoded) for encoded in previous):
            raise PasswordHistoryPolicyViolation("The password was used recently; choose another.")


PASSWORD_FIELDS = ("password", "srp_verifier")
"""What setting a password changes on a user: save them together (``update_fields``)."""


def password_store(user: User, password: str) -> None:
    """Hash ``password`` onto ``user`` (not saved), with the SRP verifier that USER_SRP_AUTH
    checks against: ``<salt hex>$<encrypted verifier hex>``, for the user's username in their
    pool. Operators (no pool) have no SRP verifier."""
    user.password = make_password(password)
    user.srp_verifier = ""
    if user.pool_id:
        salt, verifier = srp.verifier_make(user.pool_id, user.username, password)
        user.srp_verifier = f"{salt}${crypto.encrypt(f'{verifier:x}')}"


def srp_verifier_read(user: User) -> tuple[str, int] | None:
    """The user's (salt hex, verifier), or None if their password predates SRP verifiers."""
    salt, _, sealed = user.srp_verifier.partition("$")
    if not sealed:
        return None
    return salt, int(crypto.decrypt(sealed), 16)


def password_set(user: User, password: str) -> None:
    """Hash ``password`` onto ``user`` (not saved), keeping the old hash for the history."""
    if user.pk and user.password and user.has_usable_password():
        PasswordHistory.objects.create(user=user, password=user.password)
        size = password_policy(user.pool).get("PasswordHistorySize") or 0
        stale = user.password_history.values_list("pk", flat=True)[max(size, 1) :]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()
    password_store(user, password)


# --- Creation -------------------------------------------------------------------------------


def _username_rules(pool: UserPool, username: str) -> tuple[str, dict[str, str]]:
    """The real username and any attributes implied by it (UsernameAttributes)."""
    as_attrs = username_attributes(pool)
    if as_attrs:
        implied: dict[str, str] = {}
        if "email" in as_attrs and "@" in username:
            implied["email"] = username
        elif "phone_number" in as_attrs and PHONE_RE.match(username):
            implied["phone_number"] = username
        else:
            kinds = " or ".join("email" if a == "email" else "phone number" for a in as_attrs)
            raise InvalidParameter(f"Username should be {'an' if kinds.startswith('e') else 'a'} {kinds}.")
        return str(uuid.uuid4()), implied
    aliases = alias_attributes(pool)
    if "email" in aliases and "@" in username:
        raise InvalidParameter("Username cannot be of email format, since user pool is configured for email alias.")
    if "phone_number" in aliases and PHONE_RE.match(username):
        raise InvalidParameter(
            "Username cannot be of phone number format, since user pool is configured for phone_number alias."
        )
    return username, {}


@transaction.atomic
def user_create(
    ctx: ServiceContext,
    *,
    pool: UserPool,
    username: str,
    password: str | None,
    attributes: Mapping[str, str],
    status: str,
    force_alias: bool = False,
) -> User:
    """Create a pool user (attributes already validated with :func:`attributes_validate`).

    Raises UsernameExistsException, AliasExistsException, InvalidPasswordException,
    InvalidParameterException.
    """
    real_username, implied = _username_rules(pool, username)
    attrs = {**implied, **attributes}
    for name in VERIFIED_FLAG:
        if name in implied and name in attributes and attributes[name] != implied[name]:
            raise InvalidParameter(f"The {name} attribute must match the username.")
    attributes_require(pool, attrs)
    user = User(
        pool=pool,
        username=real_username,
        username_key=username_key(pool, real_username),
        status=status,
        attributes=attrs,
    )
    if implied:
        # With UsernameAttributes the username is the sub (cognito:username == sub, as in Cognito).
        user.sub = uuid.UUID(real_username)
    sync_columns(user)
    aliases_claim(ctx, pool, user, force=force_alias)
    if password is not None:
        password_check(pool, password)
        password_store(user, password)
    else:
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise UsernameExists("User account already exists.") from None
    audit_record(ctx, "user.create", pool_id=pool.id, target=user.username, status=status)
    return user


def user_save_attributes(user: User) -> None:
    sync_columns(user)
    user.save(update_fields=["attributes", *MIRRORED, "updated_at"])


def self_service_attributes(
    pool: UserPool,
    attributes: Iterable[Mapping[str, Any]],
    *,
    client: AppClient | None,
    existing: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Attributes a user may set for themselves: the schema, the client's WriteAttributes,
    no developer-only attributes, and never the ``*_verified`` flags (only a code, an
    administrator or a trigger verifies)."""
    values = attributes_validate(pool, attributes, existing=existing, client=client)
    for flag in VERIFIED_FLAG.values():
        if flag in values:
            raise NotAuthorized(f"A client attempted to write unauthorized attribute {flag}")
    return values
