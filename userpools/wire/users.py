"""Wire handlers for the user directory: Admin* user operations, ListUsers and groups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from userpools import shapes
from userpools.context import ServiceContext
from userpools.services import directory, groups


def admin_create_user(ctx: ServiceContext, req: dict) -> dict:
    user = directory.user_admin_create(
        ctx,
        pool_id=req["UserPoolId"],
        username=req["Username"],
        attributes=req.get("UserAttributes") or [],
        temporary_password=req.get("TemporaryPassword"),
        force_alias=req.get("ForceAliasCreation", False),
        message_action=req.get("MessageAction"),
        delivery_mediums=req.get("DesiredDeliveryMediums"),
    )
    return {"User": shapes.user(user)}


def admin_get_user(ctx: ServiceContext, req: dict) -> dict:
    return shapes.admin_get_user(directory.user_admin_get(pool_id=req["UserPoolId"], username=req["Username"]))


def admin_delete_user(ctx: ServiceContext, req: dict) -> dict:
    directory.user_admin_delete(ctx, pool_id=req["UserPoolId"], username=req["Username"])
    return {}


def admin_disable_user(ctx: ServiceContext, req: dict) -> dict:
    directory.user_admin_set_enabled(ctx, pool_id=req["UserPoolId"], username=req["Username"], enabled=False)
    return {}


def admin_enable_user(ctx: ServiceContext, req: dict) -> dict:
    directory.user_admin_set_enabled(ctx, pool_id=req["UserPoolId"], username=req["Username"], enabled=True)
    return {}


def admin_reset_user_password(ctx: ServiceContext, req: dict) -> dict:
    directory.user_admin_reset_password(ctx, pool_id=req["UserPoolId"], username=req["Username"])
    return {}


def admin_set_user_password(ctx: ServiceContext, req: dict) -> dict:
    directory.user_admin_set_password(
        ctx,
        pool_id=req["UserPoolId"],
        username=req["Username"],
        password=req["Password"],
        permanent=req.get("Permanent", False),
    )
    return {}


def admin_confirm_sign_up(ctx: ServiceContext, req: dict) -> dict:
    directory.user_admin_confirm_sign_up(ctx, pool_id=req["UserPoolId"], username=req["Username"])
    return {}


def admin_update_user_attributes(ctx: ServiceContext, req: dict) -> dict:
    directory.user_admin_update_attributes(
        ctx, pool_id=req["UserPoolId"], username=req["Username"], attributes=req["UserAttributes"]
    )
    return {}


def admin_delete_user_attributes(ctx: ServiceContext, req: dict) -> dict:
    directory.user_admin_delete_attributes(
        ctx, pool_id=req["UserPoolId"], username=req["Username"], names=req["UserAttributeNames"]
    )
    return {}


def list_users(ctx: ServiceContext, req: dict) -> dict:
    names = req.get("AttributesToGet")
    page = directory.users_list(
        pool_id=req["UserPoolId"],
        filter=req.get("Filter"),
        limit=req.get("Limit", 0),
        token=req.get("PaginationToken"),
        attributes_to_get=names,
    )
    out: dict[str, Any] = {"Users": [shapes.user(u, attributes=names) for u in page.items]}
    if page.next_token:
        out["PaginationToken"] = page.next_token
    return out


def create_group(ctx: ServiceContext, req: dict) -> dict:
    group = groups.group_create(
        ctx,
        pool_id=req["UserPoolId"],
        name=req["GroupName"],
        description=req.get("Description"),
        role_arn=req.get("RoleArn"),
        precedence=req.get("Precedence"),
    )
    return {"Group": shapes.group(group)}


def get_group(ctx: ServiceContext, req: dict) -> dict:
    return {"Group": shapes.group(groups.group_get(pool_id=req["UserPoolId"], name=req["GroupName"]))}


def update_group(ctx: ServiceContext, req: dict) -> dict:
    group = groups.group_update(
        ctx,
        pool_id=req["UserPoolId"],
        name=req["GroupName"],
        description=req.get("Description"),
        role_arn=req.get("RoleArn"),
        precedence=req.get("Precedence"),
    )
    return {"Group": shapes.group(group)}


def delete_group(ctx: ServiceContext, req: dict) -> dict:
    groups.group_delete(ctx, pool_id=req["UserPoolId"], name=req["GroupName"])
    return {}


def _groups_page(page) -> dict:
    out: dict[str, Any] = {"Groups": [shapes.group(g) for g in page.items]}
    if page.next_token:
        out["NextToken"] = page.next_token
    return out


def list_groups(ctx: ServiceContext, req: dict) -> dict:
    return _groups_page(
        groups.group_list(pool_id=req["UserPoolId"], limit=req.get("Limit"), token=req.get("NextToken"))
    )


def admin_add_user_to_group(ctx: ServiceContext, req: dict) -> dict:
    groups.group_member_add(ctx, pool_id=req["UserPoolId"], group_name=req["GroupName"], username=req["Username"])
    return {}


def admin_remove_user_from_group(ctx: ServiceContext, req: dict) -> dict:
    groups.group_member_remove(ctx, pool_id=req["UserPoolId"], group_name=req["GroupName"], username=req["Username"])
    return {}


def admin_list_groups_for_user(ctx: ServiceContext, req: dict) -> dict:
    page = groups.groups_for_user(
        pool_id=req["UserPoolId"], username=req["Username"], limit=req.get("Limit"), token=req.get("NextToken")
    )
    return _groups_page(page)


def list_users_in_group(ctx: ServiceContext, req: dict) -> dict:
    page = groups.users_in_group(
        pool_id=req["UserPoolId"], group_name=req["GroupName"], limit=req.get("Limit"), token=req.get("NextToken")
    )
    out: dict[str, Any] = {"Users": [shapes.user(u) for u in page.items]}
    if page.next_token:
        out["NextToken"] = page.next_token
    return out


HANDLERS: dict[str, Callable[[ServiceContext, dict], dict]] = {
    "AdminCreateUser": admin_create_user,
    "AdminGetUser": admin_get_user,
    "AdminDeleteUser": admin_delete_user,
    "AdminDisableUser": admin_disable_user,
    "AdminEnableUser": admin_enable_user,
    "AdminResetUserPassword": admin_reset_user_password,
    "AdminSetUserPassword": admin_set_user_password,
    "AdminConfirmSignUp": admin_confirm_sign_up,
    "AdminUpdateUserAttributes": admin_update_user_attributes,
    "AdminDeleteUserAttributes": admin_delete_user_attributes,
    "ListUsers": list_users,
    "CreateGroup": create_group,
    "GetGroup": get_group,
    "UpdateGroup": update_group,
    "DeleteGroup": delete_group,
    "ListGroups": list_groups,
    "AdminAddUserToGroup": admin_add_user_to_group,
    "AdminRemoveUserFromGroup": admin_remove_user_from_group,
    "AdminListGroupsForUser": admin_list_groups_for_user,
    "ListUsersInGroup": list_users_in_group,
}
