"""User pools: create, describe, update, delete, list, custom attributes, MFA settings, tags.

Requests arrive in Cognito's own shape (the botocore ``...Request`` structures) and are
validated against the service model here, so the wire API, the REST API and the admin
console share one set of rules. Cognito's semantics are kept where they surprise:
UpdateUserPool resets every mutable setting it is not given to its default
(API reference, UpdateUserPool: "If you don't provide a value for an attribute, Amazon
Cognito sets it to its default value"), while the schema, username and alias
attributes can never change after creation.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from userpools import ids
from userpools.context import ServiceContext
from userpools.errors import (
    FeatureUnavailableInTier,
    InvalidParameter,
    ResourceNotFound,
    ServiceError,
    TierChangeNotAllowed,
    UserPoolTagging,
)
from userpools.models import User, UserPool
from userpools.services import schema as schema_rules
from userpools.services.audit import audit_record
from userpools.services.memo import On, ProcessCache
from userpools.services.pagination import Page, paginate
from userpools.spec import validate_request

MAX_TAGS = 50

# CreateUserPool members kept in UserPool.settings and reset by UpdateUserPool when omitted.
MUTABLE_SETTINGS = (
    "Policies",
    "LambdaConfig",
    "AutoVerifiedAttributes",
    "SmsVerificationMessage",
    "EmailVerificationMessage",
    "EmailVerificationSubject",
    "VerificationMessageTemplate",
    "SmsAuthenticationMessage",
    "UserAttributeUpdateSettings",
    "DeviceConfiguration",
    "EmailConfiguration",
    "SmsConfiguration",
    "AdminCreateUserConfig",
    "UserPoolAddOns",
    "AccountRecoverySetting",
    "DcrConfiguration",
    "KeyConfiguration",
    "IssuerConfiguration",
    "AcrConfiguration",
)
# Fixed at creation.
CREATE_ONLY_SETTINGS = ("AliasAttributes", "UsernameAttributes", "UsernameConfiguration")

DEFAULT_PASSWORD_POLICY = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 7,
}


def _defaults() -> dict[str, Any]:
    """What Cognito reports for a pool created with nothing but a name."""
    return {
        "Policies": {
            "PasswordPolicy": dict(DEFAULT_PASSWORD_POLICY),
            "SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD"]},
        },
        "LambdaConfig": {},
        "VerificationMessageTemplate": {"DefaultEmailOption": "CONFIRM_WITH_CODE"},
        "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": []},
        "EmailConfiguration": {"EmailSendingAccount": "COGNITO_DEFAULT"},
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False, "UnusedAccountValidityDays": 7},
    }


def _policies(requested: Mapping[str, Any] | None) -> dict[str, Any]:
    policies = _defaults()["Policies"]
    if not requested:
        return policies
    if "PasswordPolicy" in requested:
        given = requested["PasswordPolicy"]
        # Booleans a caller leaves out of a PasswordPolicy are off, as in Cognito.
        policy = {k: False for k in ("RequireUppercase", "RequireLowercase", "RequireNumbers", "RequireSymbols")}
        policy["MinimumLength"] = DEFAULT_PASSWORD_POLICY["MinimumLength"]
        policy["TemporaryPasswordValidityDays"] = DEFAULT_PASSWORD_POLICY["TemporaryPasswordValidityDays"]
        policy.update(given)
        policies["PasswordPolicy"] = policy
    if "SignInPolicy" in requested:
        factors = requested["SignInPolicy"].get("AllowedFirstAuthFactors", ["PASSWORD"])
        if "PASSWORD" not in factors:
            raise InvalidParameter("AllowedFirstAuthFactors must include PASSWORD.")
        policies["SignInPolicy"] = {"AllowedFirstAuthFactors": list(dict.fromkeys(factors))}
    return policies


def _verification_template(settings: dict[str, Any], request: Mapping[str, Any]) -> None:
    """Keep the legacy message members and VerificationMessageTemplate in step, as Cognito does."""
    template = {"DefaultEmailOption": "CONFIRM_WITH_CODE", **(request.get("VerificationMessageTemplate") or {})}
    pairs = (
        ("EmailVerificationMessage", "EmailMessage"),
        ("EmailVerificationSubject", "EmailSubject"),
        ("SmsVerificationMessage", "SmsMessage"),
    )
    for legacy, modern in pairs:
        if legacy in request and modern not in template:
            template[modern] = request[legacy]
        if modern in template:
            settings[legacy] = template[modern]
    if template.get("DefaultEmailOption") == "CONFIRM_WITH_LINK":
        message = template.get("EmailMessageByLink")
        if message is not None and "{##" not in message:
            raise InvalidParameter("EmailMessageByLink must contain a {##Verify Email##} link placeholder.")
    for key in ("EmailMessage",):
        if key in template and "{####}" not in template[key]:
            raise InvalidParameter(f"VerificationMessageTemplate.{key} must contain the {{####}} placeholder.")
    if "SmsMessage" in template and "{####}" not in template["SmsMessage"]:
        raise InvalidParameter("VerificationMessageTemplate.SmsMessage must contain the {####} placeholder.")
    settings["VerificationMessageTemplate"] = template


def _mutable_settings(request: Mapping[str, Any]) -> dict[str, Any]:
    settings = _defaults()
    for key in MUTABLE_SETTINGS:
        if key in request and request[key] is not None:
            settings[key] = copy.deepcopy(request[key])
    settings["Policies"] = _policies(request.get("Policies"))
    _verification_template(settings, request)
    admin_create = {**_defaults()["AdminCreateUserConfig"], **(request.get("AdminCreateUserConfig") or {})}
    settings["AdminCreateUserConfig"] = admin_create
    email = {"EmailSendingAccount": "COGNITO_DEFAULT", **(request.get("EmailConfiguration") or {})}
    if email["EmailSendingAccount"] == "DEVELOPER" and not email.get("SourceArn"):
        raise InvalidParameter("EmailConfiguration.SourceArn is required when EmailSendingAccount is DEVELOPER.")
    settings["EmailConfiguration"] = email
    if "AutoVerifiedAttributes" in settings:
        settings["AutoVerifiedAttributes"] = list(dict.fromkeys(settings["AutoVerifiedAttributes"]))
    update_settings = settings["UserAttributeUpdateSettings"].get("AttributesRequireVerificationBeforeUpdate", [])
    missing = set(update_settings) - set(settings.get("AutoVerifiedAttributes", []))
    if missing:
        raise InvalidParameter(
            "AttributesRequireVerificationBeforeUpdate may only name attributes in AutoVerifiedAttributes: "
            + ", ".join(sorted(missing))
        )
    recovery = settings.get("AccountRecoverySetting", {}).get("RecoveryMechanisms")
    if recovery is not None:
        names = [m["Name"] for m in recovery]
        priorities = [m["Priority"] for m in recovery]
        if len(set(names)) != len(names) or len(set(priorities)) != len(priorities):
            raise InvalidParameter("AccountRecoverySetting.RecoveryMechanisms must have distinct names and priorities.")
        if "admin_only" in names and len(names) > 1:
            raise InvalidParameter("admin_only cannot be combined with other recovery mechanisms.")
    return settings


def _check_tier(tier: str, settings: Mapping[str, Any], mfa_settings: Mapping[str, Any]) -> None:
    addons = settings.get("UserPoolAddOns") or {}
    if addons.get("AdvancedSecurityMode", "OFF") != "OFF" and tier != UserPool.Tier.PLUS:
        raise FeatureUnavailableInTier(
            "Threat protection (UserPoolAddOns.AdvancedSecurityMode) requires the PLUS tier."
        )
    if mfa_settings.get("EmailMfaConfiguration") and tier == UserPool.Tier.LITE:
        raise FeatureUnavailableInTier("Email MFA requires the ESSENTIALS or PLUS tier.")
    factors = settings.get("Policies", {}).get("SignInPolicy", {}).get("AllowedFirstAuthFactors", [])
    if set(factors) - {"PASSWORD"} and tier == UserPool.Tier.LITE:
        raise FeatureUnavailableInTier(
            "Choice-based sign-in factors other than PASSWORD require the ESSENTIALS or PLUS tier."
        )


def _mfa_factor_available(settings: Mapping[str, Any], mfa_settings: Mapping[str, Any]) -> bool:
    return bool(
        settings.get("SmsConfiguration")
        or (mfa_settings.get("SmsMfaConfiguration") or {}).get("SmsConfiguration")
        or (mfa_settings.get("SoftwareTokenMfaConfiguration") or {}).get("Enabled")
        or mfa_settings.get("EmailMfaConfiguration")
    )


def _check_mfa(mfa: str, settings: Mapping[str, Any], mfa_settings: Mapping[str, Any]) -> None:
    if mfa != UserPool.Mfa.OFF and not _mfa_factor_available(settings, mfa_settings):
        raise InvalidParameter(
            "SMS configuration and Auto verification for phone_number are required when MFA is required/optional"
        )


def _check_tags(tags: Mapping[str, str], *, too_many: type[ServiceError] = UserPoolTagging) -> None:
    """``too_many``: TagResource may not answer UserPoolTaggingException (not among its model errors)."""
    if len(tags) > MAX_TAGS:
        raise too_many(f"A user pool can have at most {MAX_TAGS} tags.")
    reserved = [k for k in tags if k.lower().startswith("aws:")]
    if reserved:
        raise InvalidParameter(f"Tag keys starting with aws: are reserved: {', '.join(reserved)}")


def user_pool_get(pool_id: str, *, lock: bool = False) -> UserPool:
    """The pool, or ResourceNotFoundException. ``lock`` takes a row lock (inside a transaction)."""
    qs = UserPool.objects.select_for_update() if lock else UserPool.objects
    try:
        return qs.get(pk=pool_id)
    except UserPool.DoesNotExist:
        raise ResourceNotFound(f"User pool {pool_id} does not exist.") from None


# Read-only operations on the hot path (AdminGetUser) take the pool from process memory,
# as sign-in takes it with its app client: this process forgets a pool when the transaction
# that saved or deleted it commits (userpools.services.memo), the others within
# POOL_CACHE_SECONDS.
POOL_CACHE_SECONDS = 5.0
_pools: ProcessCache[str, UserPool] = ProcessCache(
    "pools", POOL_CACHE_SECONDS, invalidated_by=(On("userpools.UserPool", keys=lambda pool: [pool.pk]),)
)


def user_pool_read(pool_id: str) -> UserPool:
    """The pool as :func:`user_pool_get` gives it, shared from the cache: read it, never save it."""
    _pools.seconds = POOL_CACHE_SECONDS
    return _pools.get(pool_id, user_pool_get)


@transaction.atomic
def user_pool_create(ctx: ServiceContext, request: Mapping[str, Any]) -> UserPool:
    """CreateUserPool. ``request`` is a CreateUserPoolRequest; raises InvalidParameter and friends."""
    validate_request("CreateUserPool", request)
    if request.get("UsernameAttributes") and request.get("AliasAttributes"):
        raise InvalidParameter("Only one of UsernameAttributes or AliasAttributes can be set in a User Pool.")
    settings = _mutable_settings(request)
    for key in CREATE_ONLY_SETTINGS:
        if request.get(key) is not None:
            settings[key] = copy.deepcopy(request[key])
    for key in ("AliasAttributes", "UsernameAttributes"):
        if key in settings:
            settings[key] = list(dict.fromkeys(settings[key]))
    settings["SchemaAttributes"] = schema_rules.build_schema(request.get("Schema"))
    tier = request.get("UserPoolTier", UserPool.Tier.ESSENTIALS)
    mfa = request.get("MfaConfiguration", UserPool.Mfa.OFF)
    _check_tier(tier, settings, {})
    _check_mfa(mfa, settings, {})
    tags = dict(request.get("UserPoolTags") or {})
    _check_tags(tags)
    for _ in range(5):
        try:
            with transaction.atomic():
                pool = UserPool.objects.create(
                    id=ids.new_user_pool_id(),
                    name=request["PoolName"],
                    deletion_protection=request.get("DeletionProtection", UserPool.DeletionProtection.INACTIVE),
                    mfa_configuration=mfa,
                    tier=tier,
                    settings=settings,
                    tags=tags,
                )
            break
        except IntegrityError:  # an id collision: 62**9 makes this all but impossible, but retry
            continue
    else:  # pragma: no cover - would need five collisions in a row
        raise InvalidParameter("Could not allocate a user pool id; try again.")
    audit_record(ctx, "user_pool.create", pool_id=pool.id, target=pool.id, name=pool.name)
    return pool


@transaction.atomic
def user_pool_update(ctx: ServiceContext, request: Mapping[str, Any]) -> UserPool:
    """UpdateUserPool: every mutable setting not given returns to its default (as in Cognito)."""
    validate_request("UpdateUserPool", request)
    pool = user_pool_get(request["UserPoolId"], lock=True)
    settings = _mutable_settings(request)
    for key in (*CREATE_ONLY_SETTINGS, "SchemaAttributes"):
        if key in pool.settings:
            settings[key] = pool.settings[key]
    tier = request.get("UserPoolTier", pool.tier)
    if (
        tier != pool.tier
        and tier == UserPool.Tier.LITE
        and (pool.settings.get("UserPoolAddOns") or {}).get("AdvancedSecurityMode", "OFF") != "OFF"
    ):
        raise TierChangeNotAllowed("Turn threat protection off before moving the pool to the LITE tier.")
    mfa = request.get("MfaConfiguration", UserPool.Mfa.OFF)
    _check_tier(tier, settings, pool.mfa_settings)
    _check_mfa(mfa, settings, pool.mfa_settings)
    if "UserPoolTags" in request:
        _check_tags(request["UserPoolTags"])
        pool.tags = dict(request["UserPoolTags"])
    if request.get("PoolName"):
        pool.name = request["PoolName"]
    pool.settings = settings
    pool.tier = tier
    pool.mfa_configuration = mfa
    pool.deletion_protection = request.get("DeletionProtection", UserPool.DeletionProtection.INACTIVE)
    pool.save()
    audit_record(ctx, "user_pool.update", pool_id=pool.id, target=pool.id)
    return pool


@transaction.atomic
def user_pool_set_pkce_optional(ctx: ServiceContext, *, pool_id: str, optional: bool) -> UserPool:
    """Cognate's pool setting (not in Cognito's API; the admin console sets it): whether public
    app clients may use the authorization code grant without PKCE S256
    (hostedui.services.oauth.pkce_required). Off by default; audited, as it weakens sign-in."""
    pool = user_pool_get(pool_id, lock=True)
    if pool.pkce_optional_for_public_clients != optional:
        pool.pkce_optional_for_public_clients = optional
        pool.save(update_fields=["pkce_optional_for_public_clients", "updated_at"])
        audit_record(
            ctx, "user_pool.pkce_policy", pool_id=pool.id, target=pool.id, pkce_optional_for_public_clients=optional
        )
    return pool


@transaction.atomic
def user_pool_delete(ctx: ServiceContext, *, pool_id: str) -> None:
    pool = user_pool_get(pool_id, lock=True)
    if pool.deletion_protection == UserPool.DeletionProtection.ACTIVE:
        raise InvalidParameter("The user pool cannot be deleted because deletion protection is activated.")
    if pool.domains.exists():
        raise InvalidParameter("User pool cannot be deleted. It has a domain configured that should be deleted first.")
    pool.delete()
    audit_record(ctx, "user_pool.delete", pool_id=pool_id, target=pool_id)


def user_pool_list(*, max_results: int, next_token: str | None) -> Page[UserPool]:
    return paginate(UserPool.objects.all(), order=("created_at", "id"), limit=max_results, token=next_token)


@transaction.atomic
def user_pool_add_custom_attributes(
    ctx: ServiceContext, *, pool_id: str, attributes: list[Mapping[str, Any]]
) -> UserPool:
    validate_request("AddCustomAttributes", {"UserPoolId": pool_id, "CustomAttributes": attributes})
    pool = user_pool_get(pool_id, lock=True)
    pool.settings = {**pool.settings, "SchemaAttributes": schema_rules.add_custom_attributes(pool.schema, attributes)}
    pool.save(update_fields=["settings", "updated_at"])
    audit_record(
        ctx, "user_pool.add_custom_attributes", pool_id=pool.id, target=pool.id, names=[a["Name"] for a in attributes]
    )
    return pool


def user_pool_csv_header(*, pool_id: str) -> list[str]:
    return schema_rules.csv_header(user_pool_get(pool_id).schema)


MFA_SETTING_KEYS = (
    "SmsMfaConfiguration",
    "SoftwareTokenMfaConfiguration",
    "EmailMfaConfiguration",
    "WebAuthnConfiguration",
)


@transaction.atomic
def user_pool_set_mfa_config(ctx: ServiceContext, request: Mapping[str, Any]) -> UserPool:
    """SetUserPoolMfaConfig: stored here; sign-in enforces it (userpools/signin/challenges.py)."""
    validate_request("SetUserPoolMfaConfig", request)
    pool = user_pool_get(request["UserPoolId"], lock=True)
    mfa_settings = dict(pool.mfa_settings)
    for key in MFA_SETTING_KEYS:
        if key in request:
            mfa_settings[key] = copy.deepcopy(request[key])
    sms = mfa_settings.get("SmsMfaConfiguration") or {}
    message = sms.get("SmsAuthenticationMessage")
    if message is not None and "{####}" not in message:
        raise InvalidParameter("SmsAuthenticationMessage must contain the {####} placeholder.")
    email = mfa_settings.get("EmailMfaConfiguration") or {}
    if email.get("Message") is not None and "{####}" not in email["Message"]:
        raise InvalidParameter("EmailMfaConfiguration.Message must contain the {####} placeholder.")
    if email and pool.settings.get("EmailConfiguration", {}).get("EmailSendingAccount") != "DEVELOPER":
        raise InvalidParameter("Email MFA requires EmailConfiguration.EmailSendingAccount DEVELOPER.")
    webauthn = mfa_settings.get("WebAuthnConfiguration")
    if webauthn is not None:
        mfa_settings["WebAuthnConfiguration"] = {"UserVerification": "preferred", **webauthn}
    mfa = request.get("MfaConfiguration", pool.mfa_configuration)
    settings = dict(pool.settings)
    if sms.get("SmsConfiguration"):
        settings["SmsConfiguration"] = sms["SmsConfiguration"]
    if mfa != UserPool.Mfa.OFF and not any(
        (
            sms and (sms.get("SmsConfiguration") or settings.get("SmsConfiguration")),
            (mfa_settings.get("SoftwareTokenMfaConfiguration") or {}).get("Enabled"),
            bool(email),
        )
    ):
        raise InvalidParameter(
            "At least one MFA factor (SMS, software token or email) must be enabled when MFA is ON or OPTIONAL."
        )
    _check_tier(pool.tier, settings, mfa_settings)
    pool.mfa_settings = mfa_settings
    pool.settings = settings
    pool.mfa_configuration = mfa
    pool.save(update_fields=["mfa_settings", "settings", "mfa_configuration", "updated_at"])
    audit_record(ctx, "user_pool.set_mfa_config", pool_id=pool.id, target=pool.id, mfa=mfa)
    return pool


# --- Tags (TagResource, UntagResource, ListTagsForResource) ----------------------------


def _pool_for_arn(arn: str) -> UserPool:
    prefix, _, pool_id = arn.partition(":userpool/")
    if not pool_id or ids.user_pool_arn(pool_id) != arn:
        raise ResourceNotFound(f"Resource {arn} does not exist.")
    try:
        return UserPool.objects.select_for_update().get(pk=pool_id)
    except UserPool.DoesNotExist:
        raise ResourceNotFound(f"Resource {arn} does not exist.") from None


@transaction.atomic
def user_pool_tag(ctx: ServiceContext, *, arn: str, tags: Mapping[str, str]) -> None:
    pool = _pool_for_arn(arn)
    merged = {**pool.tags, **tags}
    _check_tags(merged, too_many=InvalidParameter)
    pool.tags = merged
    pool.save(update_fields=["tags", "updated_at"])
    audit_record(ctx, "user_pool.tag", pool_id=pool.id, target=arn, keys=sorted(tags))


@transaction.atomic
def user_pool_untag(ctx: ServiceContext, *, arn: str, keys: list[str]) -> None:
    pool = _pool_for_arn(arn)
    pool.tags = {k: v for k, v in pool.tags.items() if k not in set(keys)}
    pool.save(update_fields=["tags", "updated_at"])
    audit_record(ctx, "user_pool.untag", pool_id=pool.id, target=arn, keys=sorted(keys))


def user_pool_tags(*, arn: str) -> dict[str, str]:
    with transaction.atomic():
        return dict(_pool_for_arn(arn).tags)


@dataclass(frozen=True)
class PoolDescription:
    pool: UserPool
    estimated_users: int
    domains: list


def user_pool_describe(*, pool_id: str) -> PoolDescription:
    """DescribeUserPool's reads: the pool with its user count, then its domains (two queries)."""
    users = User.objects.filter(pool_id=OuterRef("pk")).order_by().values("pool_id").annotate(n=Count("pk")).values("n")
    pool = UserPool.objects.annotate(user_count=Coalesce(Subquery(users), 0)).filter(pk=pool_id).first()
    if pool is None:
        raise ResourceNotFound(f"User pool {pool_id} does not exist.")
    return PoolDescription(pool, pool.user_count, list(pool.domains.all()))
