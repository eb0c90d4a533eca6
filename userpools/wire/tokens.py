"""Wire handlers for the operations a signed-in user authorizes with a token.

The model marks them unsigned: the ``AccessToken`` (or, for RevokeToken and
GetTokensFromRefreshToken, the client and its refresh token) is the credential. Each
handler authenticates it through the token service, then calls one profile or token
service. AdminUserGlobalSignOut, AdminListUserSessions and AdminRevokeUserSession are signed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from userpools import shapes, signin
from userpools.context import ServiceContext
from userpools.models import AppClient, User
from userpools.services import profile, tokens


def _signed_in(ctx: ServiceContext, req: dict) -> tuple[ServiceContext, User, dict[str, Any]]:
    user, claims = tokens.access_token_authenticate(req["AccessToken"])
    tokens.access_token_require_admin_scope(claims)
    return dataclasses.replace(ctx, actor=f"user:{user.sub}"), user, claims


def _with_client(ctx: ServiceContext, req: dict) -> tuple[ServiceContext, User, AppClient]:
    ctx, user, claims = _signed_in(ctx, req)
    return ctx, user, tokens.access_token_client(claims)


def get_user(ctx: ServiceContext, req: dict) -> dict:
    _, user, client = _with_client(ctx, req)
    return {
        "Username": user.username,
        "UserAttributes": profile.user_get_attributes(user, client),
        **shapes.mfa_settings(user),
    }


def change_password(ctx: ServiceContext, req: dict) -> dict:
    ctx, user, _ = _signed_in(ctx, req)
    profile.user_change_password(ctx, user, req.get("PreviousPassword"), req["ProposedPassword"])
    return {}


def update_user_attributes(ctx: ServiceContext, req: dict) -> dict:
    ctx, user, client = _with_client(ctx, req)
    details = profile.user_update_attributes(ctx, user, req["UserAttributes"], client=client)
    return {"CodeDeliveryDetailsList": details}


def get_user_attribute_verification_code(ctx: ServiceContext, req: dict) -> dict:
    ctx, user, _ = _signed_in(ctx, req)
    return {"CodeDeliveryDetails": profile.user_attribute_verification_code(ctx, user, req["AttributeName"])}


def verify_user_attribute(ctx: ServiceContext, req: dict) -> dict:
    ctx, user, _ = _signed_in(ctx, req)
    profile.user_verify_attribute(ctx, user, req["AttributeName"], req["Code"])
    return {}


def delete_user_attributes(ctx: ServiceContext, req: dict) -> dict:
    ctx, user, client = _with_client(ctx, req)
    profile.user_delete_attributes(ctx, user, req["UserAttributeNames"], client=client)
    return {}


def delete_user(ctx: ServiceContext, req: dict) -> dict:
    ctx, user, _ = _signed_in(ctx, req)
    profile.user_delete(ctx, user)
    return {}


def global_sign_out(ctx: ServiceContext, req: dict) -> dict:
    ctx, user, _ = _signed_in(ctx, req)
    tokens.user_global_sign_out(ctx, user=user)
    return {}


def admin_user_global_sign_out(ctx: ServiceContext, req: dict) -> dict:
    tokens.user_admin_global_sign_out(ctx, pool_id=req["UserPoolId"], username=req["Username"])
    return {}


def revoke_token(ctx: ServiceContext, req: dict) -> dict:
    client = tokens.revoking_client(client_id=req["ClientId"], client_secret=req.get("ClientSecret"))
    tokens.refresh_token_revoke(
        dataclasses.replace(ctx, actor=f"client:{client.client_id}"), client=client, token=req["Token"]
    )
    return {}


def get_tokens_from_refresh_token(ctx: ServiceContext, req: dict) -> dict:
    """GetTokensFromRefreshToken. A ``DeviceKey`` must name a confirmed device of the token's
    holder (as with REFRESH_TOKEN_AUTH); ``ClientMetadata`` is accepted and unused until a
    pre token generation trigger can receive it (the token_generation hook runs:
    userpools/signin/refresh.py)."""
    client = tokens.refreshing_client(client_id=req["ClientId"], client_secret=req.get("ClientSecret"))
    issued = signin.refresh_tokens_get(
        ctx, client=client, refresh_token=req["RefreshToken"], device_key=req.get("DeviceKey")
    )
    return {"AuthenticationResult": issued.authentication_result()}


def list_user_sessions(ctx: ServiceContext, req: dict) -> dict:
    _, user, claims = _signed_in(ctx, req)
    return shapes.session_page(
        tokens.user_sessions_list(user=user, current_origin_jti=claims["origin_jti"], next_token=req.get("NextToken"))
    )


def revoke_user_session(ctx: ServiceContext, req: dict) -> dict:
    ctx, user, claims = _signed_in(ctx, req)
    tokens.user_session_revoke(
        ctx,
        user=user,
        session_id=req["SessionId"],
        current_origin_jti=claims["origin_jti"],
        revoke_associated=req.get("RevokeAssociatedSessions", "NONE"),
    )
    return {}


def admin_list_user_sessions(ctx: ServiceContext, req: dict) -> dict:
    return shapes.session_page(
        tokens.user_admin_sessions_list(
            pool_id=req["UserPoolId"],
            username=req["Username"],
            next_token=req.get("NextToken"),
        )
    )


def admin_revoke_user_session(ctx: ServiceContext, req: dict) -> dict:
    tokens.user_admin_session_revoke(
        ctx,
        pool_id=req["UserPoolId"],
        username=req["Username"],
        session_id=req["SessionId"],
        revoke_associated=req.get("RevokeAssociatedSessions", "NONE"),
    )
    return {}


HANDLERS: dict[str, Callable[[ServiceContext, dict], dict]] = {
    "GetUser": get_user,
    "ChangePassword": change_password,
    "UpdateUserAttributes": update_user_attributes,
    "GetUserAttributeVerificationCode": get_user_attribute_verification_code,
    "VerifyUserAttribute": verify_user_attribute,
    "DeleteUserAttributes": delete_user_attributes,
    "DeleteUser": delete_user,
    "GlobalSignOut": global_sign_out,
    "AdminUserGlobalSignOut": admin_user_global_sign_out,
    "RevokeToken": revoke_token,
    "GetTokensFromRefreshToken": get_tokens_from_refresh_token,
    "ListUserSessions": list_user_sessions,
    "RevokeUserSession": revoke_user_session,
    "AdminListUserSessions": admin_list_user_sessions,
    "AdminRevokeUserSession": admin_revoke_user_session,
}
