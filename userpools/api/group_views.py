"""The REST API's groups of a pool and their members (see :mod:`userpools.api.directory`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from userpools import shapes
from userpools.api import serializers as s
from userpools.api.directory import (
    GROUP_NAME,
    GROUP_PAGING,
    USER_NOT_FOUND,
    USERNAME,
    DirectoryApiView,
    groups_page,
    location,
)
from userpools.api.permissions import authorize_role_pass
from userpools.api.views import ERRORS, NOT_FOUND, POOL_ID
from userpools.services import groups
from userpools.spec import validate_request

GROUPS_TAG = ["Groups"]


def _group_body(group) -> dict[str, Any]:
    return s.output("GroupType", shapes.group(group))


class GroupListApi(DirectoryApiView):
    """A pool's groups: list them (ListGroups) and create one (CreateGroup)."""

    cognito_actions = {"GET": "ListGroups", "POST": "CreateGroup"}

    @extend_schema(
        operation_id="listGroups",
        summary="List a pool's groups",
        description="ListGroups: in name order.",
        parameters=[POOL_ID, *GROUP_PAGING],
        responses={200: s.GroupListOutput, **ERRORS, **NOT_FOUND},
        tags=GROUPS_TAG,
    )
    def get(self, request, pool_id: str):
        req = self.group_query("ListGroups", UserPoolId=pool_id)
        page = groups.group_list(pool_id=pool_id, limit=req.get("Limit"), token=req.get("NextToken"))
        return Response(groups_page(page, "ListGroupsResponse"))

    @extend_schema(
        operation_id="createGroup",
        summary="Create a group",
        description="CreateGroup: the body is Cognito's CreateGroupRequest without UserPoolId.",
        parameters=[POOL_ID],
        request=s.GroupCreateInput,
        responses={201: s.GroupOutput, **ERRORS, **NOT_FOUND},
        tags=GROUPS_TAG,
    )
    def post(self, request, pool_id: str):
        req = self.cognito_request("CreateGroup", s.GroupCreateInput, UserPoolId=pool_id)
        authorize_role_pass(request.auth, req.get("RoleArn"))
        group = groups.group_create(
            self.service_context(),
            pool_id=pool_id,
            name=req["GroupName"],
            description=req.get("Description"),
            role_arn=req.get("RoleArn"),
            precedence=req.get("Precedence"),
        )
        headers = location("api-group-detail", pool_id=pool_id, group_name=group.name)
        return Response(_group_body(group), status=status.HTTP_201_CREATED, headers=headers)


class GroupDetailApi(DirectoryApiView):
    """One group: get (GetGroup), change (UpdateGroup), delete (DeleteGroup)."""

    cognito_actions = {"GET": "GetGroup", "PATCH": "UpdateGroup", "DELETE": "DeleteGroup"}

    @extend_schema(
        operation_id="getGroup",
        summary="Get a group",
        parameters=[POOL_ID, GROUP_NAME],
        responses={200: s.GroupOutput, **ERRORS, **NOT_FOUND},
        tags=GROUPS_TAG,
    )
    def get(self, request, pool_id: str, group_name: str):
        validate_request("GetGroup", {"UserPoolId": pool_id, "GroupName": group_name})
        return Response(_group_body(groups.group_get(pool_id=pool_id, name=group_name)))

    @extend_schema(
        operation_id="updateGroup",
        summary="Change a group",
        description=(
            "UpdateGroup: the members the body names change (an empty Description clears it); the others, "
            "and members given as `null`, stay as they are."
        ),
        parameters=[POOL_ID, GROUP_NAME],
        request=s.GroupUpdateInput,
        responses={200: s.GroupOutput, **ERRORS, **NOT_FOUND},
        tags=GROUPS_TAG,
    )
    def patch(self, request, pool_id: str, group_name: str):
        req = self.cognito_request("UpdateGroup", s.GroupUpdateInput, UserPoolId=pool_id, GroupName=group_name)
        authorize_role_pass(request.auth, req.get("RoleArn"))
        group = groups.group_update(
            self.service_context(),
            pool_id=pool_id,
            name=group_name,
            description=req.get("Description"),
            role_arn=req.get("RoleArn"),
            precedence=req.get("Precedence"),
        )
        return Response(_group_body(group))

    @extend_schema(
        operation_id="deleteGroup",
        summary="Delete a group",
        description="DeleteGroup: its members stay in the pool.",
        parameters=[POOL_ID, GROUP_NAME],
        responses={204: None, **ERRORS, **NOT_FOUND},
        tags=GROUPS_TAG,
    )
    def delete(self, request, pool_id: str, group_name: str):
        validate_request("DeleteGroup", {"UserPoolId": pool_id, "GroupName": group_name})
        groups.group_delete(self.service_context(), pool_id=pool_id, name=group_name)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupMemberListApi(DirectoryApiView):
    """ListUsersInGroup."""

    cognito_actions = {"GET": "ListUsersInGroup"}

    @extend_schema(
        operation_id="listUsersInGroup",
        summary="List a group's members",
        description="ListUsersInGroup: in the order they were added.",
        parameters=[POOL_ID, GROUP_NAME, *GROUP_PAGING],
        responses={200: s.GroupMemberListOutput, **ERRORS, **NOT_FOUND},
        tags=GROUPS_TAG,
    )
    def get(self, request, pool_id: str, group_name: str):
        req = self.group_query("ListUsersInGroup", UserPoolId=pool_id, GroupName=group_name)
        page = groups.users_in_group(
            pool_id=pool_id, group_name=group_name, limit=req.get("Limit"), token=req.get("NextToken")
        )
        body: dict[str, Any] = {"Users": [shapes.user(u) for u in page.items]}
        if page.next_token:
            body["NextToken"] = page.next_token
        return Response(s.output("ListUsersInGroupResponse", body))


class GroupMemberApi(DirectoryApiView):
    """One membership: add (AdminAddUserToGroup) or remove (AdminRemoveUserFromGroup) it; both idempotent."""

    cognito_actions = {"PUT": "AdminAddUserToGroup", "DELETE": "AdminRemoveUserFromGroup"}

    @extend_schema(
        operation_id="adminAddUserToGroup",
        summary="Add a user to a group",
        description="AdminAddUserToGroup: adding a member again changes nothing.",
        parameters=[POOL_ID, GROUP_NAME, USERNAME],
        request=None,
        responses={204: None, **ERRORS, **USER_NOT_FOUND},
        tags=GROUPS_TAG,
    )
    def put(self, request, pool_id: str, group_name: str, username: str):
        validate_request("AdminAddUserToGroup", {"UserPoolId": pool_id, "GroupName": group_name, "Username": username})
        groups.group_member_add(self.service_context(), pool_id=pool_id, group_name=group_name, username=username)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="adminRemoveUserFromGroup",
        summary="Remove a user from a group",
        description="AdminRemoveUserFromGroup: removing a non-member is not an error.",
        parameters=[POOL_ID, GROUP_NAME, USERNAME],
        responses={204: None, **ERRORS, **USER_NOT_FOUND},
        tags=GROUPS_TAG,
    )
    def delete(self, request, pool_id: str, group_name: str, username: str):
        validate_request(
            "AdminRemoveUserFromGroup", {"UserPoolId": pool_id, "GroupName": group_name, "Username": username}
        )
        groups.group_member_remove(self.service_context(), pool_id=pool_id, group_name=group_name, username=username)
        return Response(status=status.HTTP_204_NO_CONTENT)


__all__ = [
    "GroupListApi",
    "GroupDetailApi",
    "GroupMemberListApi",
    "GroupMemberApi",
]
