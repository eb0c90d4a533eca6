"""App clients and their secrets.

CreateUserPoolClient and UpdateUserPoolClient take Cognito's request shapes. As with
pools, UpdateUserPoolClient resets what it is not given to the default (API reference:
"If you don't provide a value for an attribute, Amazon Cognito sets it to its default
value"). A client may hold two secrets at once so that they can be rotated
(AddUserPoolClientSecret / DeleteUserPoolClientSecret).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction

from userpools import ids
from userpools.context import ServiceContext
from userpools.errors import InvalidOAuthFlow, InvalidParameter, LimitExceeded, ResourceNotFound, ScopeDoesNotExist
from userpools.models import AppClient, ClientSecret, UserPool
from userpools.services.audit import audit_record
from userpools.services.identity_providers import identity_provider_names
from userpools.services.pagination import Page, paginate
from userpools.services.pools import user_pool_get
from userpools.services.resource_servers import custom_scopes
from userpools.spec import validate_request

MAX_CLIENTS_PER_POOL = 1000
MAX_SECRETS_PER_CLIENT = 2
STANDARD_SCOPES = frozenset({"phone", "email", "openid", "profile", "aws.cognito.signin.user.admin"})
LEGACY_FLOWS = frozenset({"ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH_FLOW_ONLY", "USER_PASSWORD_AUTH"})
DEFAULT_AUTH_FLOWS = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_CUSTOM_AUTH", "ALLOW_USER_SRP_AUTH"]
_UNIT = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}

# Client settings kept in AppClient.settings, in Cognito's shape.
CLIENT_SETTINGS = (
    "RefreshTokenValidity",
    "AccessTokenValidity",
    "IdTokenValidity",
    "TokenValidityUnits",
    "ReadAttributes",
    "WriteAttributes",
    "ExplicitAuthFlows",
    "SupportedIdentityProviders",
    "CallbackURLs",
    "LogoutURLs",
    "DefaultRedirectURI",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "AllowedOAuthFlowsUserPoolClient",
    "AnalyticsConfiguration",
    "PreventUserExistenceErrors",
    "EnableTokenRevocation",
    "EnablePropagateAdditionalUserContextData",
    "AuthSessionValidity",
    "RefreshTokenRotation",
)


def _defaults() -> dict[str, Any]:
    return {
        "RefreshTokenValidity": 30,
        "AccessTokenValidity": 60,
        "IdTokenValidity": 60,
        "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
        "ExplicitAuthFlows": list(DEFAULT_AUTH_FLOWS),
        "AllowedOAuthFlowsUserPoolClient": False,
        "PreventUserExistenceErrors": "LEGACY",
        "EnableTokenRevocation": True,
        "EnablePropagateAdditionalUserContextData": False,
        "AuthSessionValidity": 3,
    }


def token_validity(settings: Mapping[str, Any], which: str) -> timedelta:
    """``which`` is AccessToken, IdToken or RefreshToken."""
    units = {
        "AccessToken": "hours",
        "IdToken": "hours",
        "RefreshToken": "days",
        **settings.get("TokenValidityUnits", {}),
    }
    return timedelta(seconds=settings[f"{which}Validity"] * _UNIT[units[which]])


_DEFAULT_VALIDITY = {"AccessToken": (60, "minutes"), "IdToken": (60, "minutes"), "RefreshToken": (30, "days")}
# The unit of a validity given without one: Cognito's original units.
_LEGACY_UNIT = {"AccessToken": "hours", "IdToken": "hours", "RefreshToken": "days"}


def _token_validities(settings: dict[str, Any], request: Mapping[str, Any]) -> None:
    """Fill each token's validity and unit: a value without a unit is in Cognito's
    original unit (hours, hours, days); a unit without a value takes the default
    lifetime (1 h, 1 h, 30 days) in that unit, rounded up; neither gives the defaults."""
    given_units = request.get("TokenValidityUnits") or {}
    units: dict[str, str] = {}
    for which, (default_value, default_unit) in _DEFAULT_VALIDITY.items():
        key = f"{which}Validity"
        if key in request:
            units[which] = given_units.get(which, _LEGACY_UNIT[which])
        elif which in given_units:
            units[which] = given_units[which]
            lifetime = default_value * _UNIT[default_unit]
            settings[key] = max(1, -(-lifetime // _UNIT[units[which]]))
        else:
            units[which] = default_unit
            settings[key] = default_value
    settings["TokenValidityUnits"] = units


def _check_url(url: str, what: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise InvalidParameter(f"{what} {url} is not a valid URL.") from None
    if parts.fragment:
        raise InvalidParameter(f"{what} {url} must not include a fragment.")
    if parts.scheme == "http" and parts.hostname not in {"localhost", "127.0.0.1", "[::1]", "::1"}:
        raise InvalidParameter(f"{what} {url} must use HTTPS; http is allowed for localhost only.")
    if parts.scheme in {"http", "https"} and not parts.hostname:
        raise InvalidParameter(f"{what} {url} is not a valid URL.")
    if not parts.scheme:
        raise InvalidParameter(f"{what} {url} is not a valid URL.")


def _custom_scopes_check(pool: UserPool, scopes: list[str], associated: frozenset[str]) -> None:
    """A custom scope (``identifier/scope``) must be defined by one of the pool's resource
    servers: ScopeDoesNotExistException ("Invalid scope requested"), as Cognito answers.

    A scope the client is allowed already may stay although its server no longer defines it:
    the developer guide says deleting a scope "does not delete its association with all
    clients; instead, the scope is marked inactive ... If the scope is re-added later, then it
    is again included in the access token", and only removing it from the client ends the
    association. So an update that sends back what DescribeUserPoolClient showed still works.
    """
    custom = [s for s in scopes if s not in STANDARD_SCOPES and s not in associated]
    if not custom:
        return
    defined = custom_scopes(pool.id)
    missing = [s for s in custom if s not in defined]
    if missing:
        raise ScopeDoesNotExist(f"Invalid scope requested: {missing[0]}")


def _client_settings(
    pool: UserPool, request: Mapping[str, Any], *, has_secret: bool, associated_scopes: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The client's settings from a Create/UpdateUserPoolClient request. ``associated_scopes``
    are the custom scopes the client is allowed already (on update): they may stay even when
    their resource server no longer defines them (see :func:`_custom_scopes_check`)."""
    settings = _defaults()
    for key in CLIENT_SETTINGS:
        if key in request and request[key] is not None:
            settings[key] = copy.deepcopy(request[key])
    _token_validities(settings, request)
    for which, lo, hi in (("AccessToken", 300, 86400), ("IdToken", 300, 86400), ("RefreshToken", 3600, 315360000)):
        seconds = token_validity(settings, which).total_seconds()
        if not lo <= seconds <= hi:
            raise InvalidParameter(
                f"{which}Validity must be between {lo // 60} minutes and {hi // 86400} days"
                if which == "RefreshToken"
                else f"{which}Validity must be between 5 minutes and 1 day."
            )
    refresh = token_validity(settings, "RefreshToken")
    if refresh <= token_validity(settings, "AccessToken") or refresh <= token_validity(settings, "IdToken"):
        raise InvalidParameter("Refresh token validity must be greater than access and ID token validity.")

    flows = list(dict.fromkeys(settings["ExplicitAuthFlows"]))
    if flows and set(flows) & LEGACY_FLOWS and set(flows) - LEGACY_FLOWS:
        raise InvalidParameter("ExplicitAuthFlows cannot mix legacy values with ALLOW_ values.")
    settings["ExplicitAuthFlows"] = flows

    names = {a["Name"] for a in pool.schema}
    for key in ("ReadAttributes", "WriteAttributes"):
        unknown = [a for a in settings.get(key, []) if a not in names]
        if unknown:
            raise InvalidParameter(f"Invalid {key}: {', '.join(unknown)} are not attributes of this pool.")
    immutable = {a["Name"] for a in pool.schema if not a.get("Mutable", True)}
    if set(settings.get("WriteAttributes", [])) & immutable:
        raise InvalidParameter(
            "WriteAttributes cannot include immutable attributes: "
            + ", ".join(sorted(set(settings["WriteAttributes"]) & immutable))
        )

    providers = settings.get("SupportedIdentityProviders", [])
    # COGNITO (the pool's own users) or the name of one of the pool's identity providers.
    candidates = [p for p in providers if p != "COGNITO"]
    known = identity_provider_names(pool.id) if candidates else set()
    unknown = [p for p in candidates if p not in known]
    if unknown:
        raise InvalidParameter(f"The provider {unknown[0]} does not exist for User Pool {pool.id}")

    for url in settings.get("CallbackURLs", []):
        _check_url(url, "Callback URL")
    for url in settings.get("LogoutURLs", []):
        _check_url(url, "Logout URL")
    default_redirect = settings.get("DefaultRedirectURI")
    if default_redirect and default_redirect not in settings.get("CallbackURLs", []):
        raise InvalidParameter("DefaultRedirectURI must be one of the CallbackURLs.")

    oauth_flows = settings.get("AllowedOAuthFlows", [])
    scopes = settings.get("AllowedOAuthScopes", [])
    unknown_scopes = [s for s in scopes if s not in STANDARD_SCOPES and "/" not in s]
    if unknown_scopes:
        raise ScopeDoesNotExist(f"Invalid scope requested: {unknown_scopes[0]}")
    if "client_credentials" in oauth_flows:
        if set(oauth_flows) - {"client_credentials"}:
            raise InvalidOAuthFlow("client_credentials flow can not be selected along with code flow or implicit flow.")
        if not has_secret:
            raise InvalidOAuthFlow(
                "client_credentials flow can not be selected if client does not have a client secret."
            )
        if set(scopes) & STANDARD_SCOPES:
            raise InvalidOAuthFlow("client_credentials flow can only be used with custom (resource server) scopes.")
    if settings["AllowedOAuthFlowsUserPoolClient"]:
        if not oauth_flows:
            raise InvalidOAuthFlow("AllowedOAuthFlows must be set when AllowedOAuthFlowsUserPoolClient is true.")
        if not scopes:
            raise InvalidOAuthFlow("AllowedOAuthScopes must be set when AllowedOAuthFlowsUserPoolClient is true.")
        if set(oauth_flows) & {"code", "implicit"} and not settings.get("CallbackURLs"):
            raise InvalidParameter("CallbackURLs must be set for the code and implicit flows.")
    _custom_scopes_check(pool, scopes, associated_scopes)
    rotation = settings.get("RefreshTokenRotation")
    if rotation is not None:
        settings["RefreshTokenRotation"] = {"RetryGracePeriodSeconds": 0, **rotation}
    return settings


def user_pool_client_get(*, pool_id: str, client_id: str) -> AppClient:
    user_pool_get(pool_id)
    try:
        return AppClient.objects.select_related("pool").get(pool_id=pool_id, client_id=client_id)
    except AppClient.DoesNotExist:
        raise ResourceNotFound(f"User pool client {client_id} does not exist.") from None


def _grant_type(settings: Mapping[str, Any]) -> str:
    flows = settings.get("AllowedOAuthFlows", [])
    if "client_credentials" in flows:
        return AppClient.GRANT_CLIENT_CREDENTIALS
    if "implicit" in flows and "code" not in flows:
        return AppClient.GRANT_IMPLICIT
    return AppClient.GRANT_AUTHORIZATION_CODE


def _sync_oauth_fields(client: AppClient) -> None:
    """Keep django-oauth-toolkit's columns in step with the Cognito settings."""
    client.redirect_uris = " ".join(client.settings.get("CallbackURLs", []))
    client.post_logout_redirect_uris = " ".join(client.settings.get("LogoutURLs", []))
    client.authorization_grant_type = _grant_type(client.settings)


@transaction.atomic
def user_pool_client_create(ctx: ServiceContext, request: Mapping[str, Any]) -> AppClient:
    """CreateUserPoolClient. Raises ResourceNotFound, InvalidParameter, InvalidOAuthFlow, LimitExceeded."""
    validate_request("CreateUserPoolClient", request)
    pool = user_pool_get(request["UserPoolId"], lock=True)
    if pool.clients.count() >= MAX_CLIENTS_PER_POOL:
        raise LimitExceeded(f"A user pool can have at most {MAX_CLIENTS_PER_POOL} app clients.")
    secret = request.get("ClientSecret") or (ids.new_client_secret() if request.get("GenerateSecret") else None)
    if request.get("ClientSecret") and request.get("GenerateSecret") is False:
        raise InvalidParameter("ClientSecret can only be given when GenerateSecret is true.")
    settings = _client_settings(pool, request, has_secret=secret is not None)
    client = AppClient(
        pool=pool,
        name=request["ClientName"],
        settings=settings,
        client_type=AppClient.CLIENT_CONFIDENTIAL if secret else AppClient.CLIENT_PUBLIC,
        hash_client_secret=False,
        client_secret="",
    )
    _sync_oauth_fields(client)
    client.save()
    if secret:
        ClientSecret.objects.create(client=client, secret_id=ids.new_client_secret_id(client.client_id), secret=secret)
    audit_record(ctx, "app_client.create", pool_id=pool.id, target=client.client_id, has_secret=bool(secret))
    return client


@transaction.atomic
def user_pool_client_update(ctx: ServiceContext, request: Mapping[str, Any]) -> AppClient:
    validate_request("UpdateUserPoolClient", request)
    user_pool_get(request["UserPoolId"])
    client = (
        AppClient.objects.select_for_update()
        .select_related("pool")
        .filter(pool_id=request["UserPoolId"], client_id=request["ClientId"])
        .first()
    )
    if client is None:
        raise ResourceNotFound(f"User pool client {request['ClientId']} does not exist.")
    associated = frozenset(client.settings.get("AllowedOAuthScopes") or ())
    client.settings = _client_settings(
        client.pool, request, has_secret=client.secrets.exists(), associated_scopes=associated
    )
    if request.get("ClientName"):
        client.name = request["ClientName"]
    _sync_oauth_fields(client)
    client.save()
    audit_record(ctx, "app_client.update", pool_id=client.pool_id, target=client.client_id)
    return client


@transaction.atomic
def user_pool_client_delete(ctx: ServiceContext, *, pool_id: str, client_id: str) -> None:
    client = user_pool_client_get(pool_id=pool_id, client_id=client_id)
    client.delete()
    audit_record(ctx, "app_client.delete", pool_id=pool_id, target=client_id)


def user_pool_client_list(*, pool_id: str, max_results: int, next_token: str | None) -> Page[AppClient]:
    user_pool_get(pool_id)
    return paginate(
        AppClient.objects.filter(pool_id=pool_id), order=("created", "id"), limit=max_results, token=next_token
    )


def client_secret_current(client: AppClient) -> str | None:
    """The secret DescribeUserPoolClient shows: the oldest one still in place."""
    first = client.secrets.order_by("created_at", "id").first()
    return first.secret if first else None


@transaction.atomic
def client_secret_add(ctx: ServiceContext, *, pool_id: str, client_id: str, secret: str | None = None) -> ClientSecret:
    """AddUserPoolClientSecret: at most two secrets at once; only confidential clients have them."""
    validate_request(
        "AddUserPoolClientSecret",
        {"UserPoolId": pool_id, "ClientId": client_id, **({"ClientSecret": secret} if secret else {})},
    )
    client = user_pool_client_get(pool_id=pool_id, client_id=client_id)
    AppClient.objects.select_for_update().filter(pk=client.pk).first()
    count = client.secrets.count()
    if count == 0:
        raise InvalidParameter(f"App client {client_id} is a public client and has no client secret to rotate.")
    if count >= MAX_SECRETS_PER_CLIENT:
        raise LimitExceeded(f"An app client can have at most {MAX_SECRETS_PER_CLIENT} client secrets.")
    created = ClientSecret.objects.create(
        client=client, secret_id=ids.new_client_secret_id(client_id), secret=secret or ids.new_client_secret()
    )
    audit_record(ctx, "app_client.secret_add", pool_id=pool_id, target=client_id, secret_id=created.secret_id)
    return created


def client_secret_list(*, pool_id: str, client_id: str) -> list[ClientSecret]:
    client = user_pool_client_get(pool_id=pool_id, client_id=client_id)
    return list(client.secrets.order_by("created_at", "id"))


@transaction.atomic
def client_secret_delete(ctx: ServiceContext, *, pool_id: str, client_id: str, secret_id: str) -> None:
    client = user_pool_client_get(pool_id=pool_id, client_id=client_id)
    AppClient.objects.select_for_update().filter(pk=client.pk).first()
    secret = client.secrets.filter(secret_id=secret_id).first()
    if secret is None:
        raise ResourceNotFound(f"Client secret {secret_id} does not exist.")
    if client.secrets.count() == 1:
        raise InvalidParameter("The last client secret of an app client cannot be deleted.")
    secret.delete()
    audit_record(ctx, "app_client.secret_delete", pool_id=pool_id, target=client_id, secret_id=secret_id)
