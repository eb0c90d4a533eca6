"""AWS-shaped response dicts, built in one place (models never grow ``to_json``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from userpools.conf import cognate_settings
from userpools.models import AppClient, ClientSecret, ResourceServer, User, UserGroup, UserPool, UserPoolDomain
from userpools.services.clients import client_secret_current
from userpools.services.devices import device_arn, device_owner
from userpools.services.users import attributes_list


def timestamp(value: datetime) -> float:
    """The JSON protocol's timestamps: epoch seconds."""
    return round(value.timestamp(), 3)


def user_pool(pool: UserPool, *, estimated_users: int, domains: list[UserPoolDomain]) -> dict[str, Any]:
    settings = dict(pool.settings)
    out: dict[str, Any] = {
        "Id": pool.id,
        "Name": pool.name,
        "Policies": settings.pop("Policies"),
        "DeletionProtection": pool.deletion_protection,
        "LambdaConfig": settings.pop("LambdaConfig", {}),
        "LastModifiedDate": timestamp(pool.updated_at),
        "CreationDate": timestamp(pool.created_at),
        "SchemaAttributes": settings.pop("SchemaAttributes"),
    }
    out.update(settings)
    out["MfaConfiguration"] = pool.mfa_configuration
    out["EstimatedNumberOfUsers"] = estimated_users
    out["UserPoolTags"] = dict(pool.tags)
    for domain in domains:
        out["CustomDomain" if domain.is_custom else "Domain"] = domain.domain
    out["Arn"] = pool.arn
    out["UserPoolTier"] = pool.tier
    return out


def user_pool_description(pool: UserPool) -> dict[str, Any]:
    return {
        "Id": pool.id,
        "Name": pool.name,
        "LambdaConfig": pool.settings.get("LambdaConfig", {}),
        "LastModifiedDate": timestamp(pool.updated_at),
        "CreationDate": timestamp(pool.created_at),
    }


def user_pool_client(client: AppClient) -> dict[str, Any]:
    out: dict[str, Any] = {
        "UserPoolId": client.pool_id,
        "ClientName": client.name,
        "ClientId": client.client_id,
    }
    secret = client_secret_current(client)
    if secret:
        out["ClientSecret"] = secret
    out["LastModifiedDate"] = timestamp(client.updated)
    out["CreationDate"] = timestamp(client.created)
    out.update(client.settings)
    return out


def user_pool_client_description(client: AppClient) -> dict[str, Any]:
    return {"ClientId": client.client_id, "UserPoolId": client.pool_id, "ClientName": client.name}


def client_secret_descriptor(secret: ClientSecret, *, with_value: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"ClientSecretId": secret.secret_id}
    if with_value:
        out["ClientSecretValue"] = secret.secret
    out["ClientSecretCreateDate"] = timestamp(secret.created_at)
    return out


def mfa_config(pool: UserPool) -> dict[str, Any]:
    out = {k: v for k, v in pool.mfa_settings.items()}
    out["MfaConfiguration"] = pool.mfa_configuration
    return out


def domain_description(domain: UserPoolDomain | None, *, cloudfront_domain: str) -> dict[str, Any]:
    if domain is None:
        return {}
    out: dict[str, Any] = {
        "UserPoolId": domain.pool_id,
        "AWSAccountId": cognate_settings().ACCOUNT_ID,
        "Domain": domain.domain,
        "CloudFrontDistribution": cloudfront_domain,
        "Version": domain.version,
        "Status": domain.status,  # CREATING until a custom domain is verified
        "ManagedLoginVersion": domain.managed_login_version,
    }
    if domain.custom_domain_config is not None:
        out["CustomDomainConfig"] = domain.custom_domain_config
    return out


# --- Users and groups ----------------------------------------------------------------------


def _user_attributes(account: User, names: list[str] | None) -> list[dict[str, str]]:
    """The user's attributes; with ``names`` (ListUsers' AttributesToGet) only those, where
    ``custom:x`` also names a developer-only ``dev:custom:x``."""
    listed = attributes_list(account)
    if names is None:
        return listed
    wanted = set(names)
    return [a for a in listed if a["Name"] in wanted or (a["Name"].startswith("dev:") and a["Name"][4:] in wanted)]


def user(account: User, *, attributes: list[str] | None = None) -> dict[str, Any]:
    """UserType (AdminCreateUser, ListUsers, ListUsersInGroup)."""
    return {
        "Username": account.username,
        "Attributes": _user_attributes(account, attributes),
        "UserCreateDate": timestamp(account.date_joined),
        "UserLastModifiedDate": timestamp(account.updated_at),
        "Enabled": account.is_active,
        "UserStatus": account.status,
    }


def mfa_settings(account: User) -> dict[str, Any]:
    """GetUser's and AdminGetUser's MFA members: the enabled factors, the preferred one,
    and the legacy MFAOptions (SMS on phone_number when SMS MFA is enabled)."""
    enabled = [f for f in ("SMS_MFA", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP") if f in account.mfa_enabled]
    out: dict[str, Any] = {"UserMFASettingList": enabled}
    if account.mfa_preferred:
        out["PreferredMfaSetting"] = account.mfa_preferred
    out["MFAOptions"] = [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}] if "SMS_MFA" in enabled else []
    return out


def admin_get_user(account: User) -> dict[str, Any]:
    """AdminGetUserResponse."""
    return {
        "Username": account.username,
        "UserAttributes": _user_attributes(account, None),
        "UserCreateDate": timestamp(account.date_joined),
        "UserLastModifiedDate": timestamp(account.updated_at),
        "Enabled": account.is_active,
        "UserStatus": account.status,
        **mfa_settings(account),
    }


def group(record: UserGroup) -> dict[str, Any]:
    """GroupType; Description, RoleArn and Precedence only when set."""
    out: dict[str, Any] = {"GroupName": record.name, "UserPoolId": record.pool_id}
    if record.description:
        out["Description"] = record.description
    if record.role_arn:
        out["RoleArn"] = record.role_arn
    if record.precedence is not None:
        out["Precedence"] = record.precedence
    out["LastModifiedDate"] = timestamp(record.updated_at)
    out["CreationDate"] = timestamp(record.created_at)
    return out


def resource_server(record: ResourceServer) -> dict[str, Any]:
    """ResourceServerType. Scopes always (an empty list for none); no ManagedBy, which is
    reserved for servers Cognito itself manages."""
    return {
        "UserPoolId": record.pool_id,
        "Identifier": record.identifier,
        "Name": record.name,
        "Scopes": [{"ScopeName": s["ScopeName"], "ScopeDescription": s["ScopeDescription"]} for s in record.scopes],
    }


def sign_up_result(result) -> dict[str, Any]:
    """SignUpResponse from :class:`userpools.services.signup.SignUpResult`."""
    out: dict[str, Any] = {"UserConfirmed": result.confirmed}
    if result.delivery is not None:
        out["CodeDeliveryDetails"] = result.delivery
    out["UserSub"] = str(result.user.sub)
    return out


def auth_outcome(outcome) -> dict[str, Any]:
    """InitiateAuth's and RespondToAuthChallenge's response for a sign-in step
    (a :class:`userpools.signin.AuthOutcome`): tokens, or the next challenge."""
    if outcome.tokens is not None:
        result = outcome.tokens.authentication_result()
        if outcome.new_device is not None:
            result["NewDeviceMetadata"] = outcome.new_device
        return {"AuthenticationResult": result, "ChallengeParameters": {}}
    out: dict[str, Any] = {
        "ChallengeName": outcome.challenge,
        "Session": outcome.session,
        "ChallengeParameters": outcome.parameters,
    }
    if outcome.available is not None:
        out["AvailableChallenges"] = outcome.available
    return out


def device(record) -> dict[str, Any]:
    """DeviceType from a :class:`userpools.models.UserDevice` (its ``user`` loaded), with the
    DeviceAttributes Cognito lists (AWS CLI reference, get-device)."""
    attributes = [{"Name": "device_status", "Value": "valid"}]
    if record.name:
        attributes.append({"Name": "device_name", "Value": record.name})
    attributes += [
        {"Name": "dev:device_arn", "Value": device_arn(record)},
        {"Name": "dev:device_owner", "Value": device_owner(record)},
    ]
    if record.last_ip:
        attributes.append({"Name": "last_ip_used", "Value": record.last_ip})
    attributes.append(
        {"Name": "dev:device_remembered_status", "Value": "remembered" if record.remembered else "not_remembered"}
    )
    out: dict[str, Any] = {
        "DeviceKey": record.device_key,
        "DeviceAttributes": attributes,
        "DeviceCreateDate": timestamp(record.created_at),
        "DeviceLastModifiedDate": timestamp(record.updated_at),
    }
    if record.last_authenticated_at is not None:
        out["DeviceLastAuthenticatedDate"] = timestamp(record.last_authenticated_at)
    return out


def device_page(page) -> dict[str, Any]:
    """ListDevices' and AdminListDevices' response from a pagination Page of devices."""
    out: dict[str, Any] = {"Devices": [device(record) for record in page.items]}
    if page.next_token:
        out["PaginationToken"] = page.next_token
    return out


def session_page(page) -> dict[str, Any]:
    """ListUserSessions' and AdminListUserSessions' response from a
    :class:`userpools.services.tokens.SessionPage` (SessionDescriptionType items)."""
    sessions = []
    for session in page.sessions:
        item: dict[str, Any] = {
            "SessionId": session.session_id,
            "SessionType": "TOKEN",
            "ClientId": session.client_id,
            "CreateDate": timestamp(session.created_at),
            "LastActiveDate": timestamp(session.last_active_at),
        }
        if session.device_type:
            item["DeviceType"] = session.device_type
        if session.last_ip:
            item["LastIPAddress"] = session.last_ip
        item["IsCurrentSession"] = session.is_current
        sessions.append(item)
    out: dict[str, Any] = {"Sessions": sessions}
    if page.next_token:
        out["NextToken"] = page.next_token
    return out
