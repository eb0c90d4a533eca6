"""The REST API's users of a pool: list, create, get, change, delete, enable, disable, confirm,
passwords, attributes and a user's groups (see :mod:`userpools.api.directory`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from userpools import shapes
from userpools.api import serializers as s
from userpools.api.directory import (
    GROUP_PAGING,
    USER_NOT_FOUND,
    USERNAME,
    DirectoryApiView,
    WholeRequestSchema,
    groups_page,
    location,
)
from userpools.api.views import ERRORS, NOT_FOUND, POOL_ID
from userpools.services import directory, groups
from userpools.spec import validate_request

USERS_TAG = ["Users"]


def _user_detail(user) -> dict[str, Any]:
    return s.output("AdminGetUserResponse", shapes.admin_get_user(user))


class UserListApi(DirectoryApiView):
    """A pool's users: list them (ListUsers) and create one (AdminCreateUser)."""

    cognito_actions = {"GET": "ListUsers", "POST": "AdminCreateUser"}

    @extend_schema(
        operation_id="listUsers",
        summary="List a pool's users",
        description=(
            "ListUsers: one page of users, optionally filtered with Cognito's grammar "
            '(`?filter=email ^= "ann"`), with only the attributes named in `?attributes_to_get=`.'
        ),
        parameters=[
            POOL_ID,
            OpenApiParameter(
                "filter", OpenApiTypes.STR, description='`attribute = "value"` or `attribute ^= "value"`.'
            ),
            OpenApiParameter("limit", OpenApiTypes.INT, description="Page size, 0-60 (0 or absent: 60)."),
            OpenApiParameter("pagination_token", OpenApiTypes.STR, description="PaginationToken of the previous page."),
            OpenApiParameter(
                "attributes_to_get",
                OpenApiTypes.STR,
                description="Comma-separated attribute names to return (empty: none; absent: all).",
            ),
        ],
        responses={200: s.UserListOutput, **ERRORS, **NOT_FOUND},
        tags=USERS_TAG,
    )
    def get(self, request, pool_id: str):
        query = s.UserListQueryInput(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        q = query.validated_data
        req: dict[str, Any] = {"UserPoolId": pool_id}
        if "filter" in q:
            req["Filter"] = q["filter"]
        if "limit" in q:
            req["Limit"] = q["limit"]
        if "pagination_token" in q:
            req["PaginationToken"] = q["pagination_token"]
        if "attributes_to_get" in q:
            req["AttributesToGet"] = [n.strip() for n in q["attributes_to_get"].split(",") if n.strip()]
        validate_request("ListUsers", req)
        names = req.get("AttributesToGet")
        page = directory.users_list(
            pool_id=pool_id,
            filter=req.get("Filter"),
            limit=req.get("Limit", 0),
            token=req.get("PaginationToken"),
            attributes_to_get=names,
        )
        body: dict[str, Any] = {"Users": [shapes.user(u, attributes=names) for u in page.items]}
        if page.next_token:
            body["PaginationToken"] = page.next_token
        return Response(s.output("ListUsersResponse", body))

    @extend_schema(
        operation_id="adminCreateUser",
        summary="Create a user",
        description=(
            "AdminCreateUser: the body is Cognito's AdminCreateUserRequest without UserPoolId. The user starts "
            "in FORCE_CHANGE_PASSWORD and is invited unless `MessageAction` is SUPPRESS."
        ),
        parameters=[POOL_ID],
        request=s.UserCreateInput,
        responses={201: s.UserOutput, **ERRORS, **NOT_FOUND},
        tags=USERS_TAG,
    )
    def post(self, request, pool_id: str):
        req = self.cognito_request("AdminCreateUser", s.UserCreateInput, UserPoolId=pool_id)
        user = directory.user_admin_create(
            self.service_context(),
            pool_id=pool_id,
            username=req["Username"],
            attributes=req.get("UserAttributes") or [],
            temporary_password=req.get("TemporaryPassword"),
            force_alias=req.get("ForceAliasCreation", False),
            message_action=req.get("MessageAction"),
            delivery_mediums=req.get("DesiredDeliveryMediums"),
        )
        name = user.username if "/" not in user.username else str(user.sub)
        headers = location("api-user-detail", pool_id=pool_id, username=name)
        return Response(s.output("UserType", shapes.user(user)), status=status.HTTP_201_CREATED, headers=headers)


class UserDetailApi(DirectoryApiView):
    """One user: get (AdminGetUser), change attributes (AdminUpdateUserAttributes), delete (AdminDeleteUser)."""

    cognito_actions = {"GET": "AdminGetUser", "PATCH": "AdminUpdateUserAttributes", "DELETE": "AdminDeleteUser"}
    schema = WholeRequestSchema()

    @extend_schema(
        operation_id="adminGetUser",
        summary="Get a user",
        parameters=[POOL_ID, USERNAME],
        responses={200: s.UserDetailOutput, **ERRORS, **USER_NOT_FOUND},
        tags=USERS_TAG,
    )
    def get(self, request, pool_id: str, username: str):
        validate_request("AdminGetUser", {"UserPoolId": pool_id, "Username": username})
        return Response(_user_detail(directory.user_admin_get(pool_id=pool_id, username=username)))

    @extend_schema(
        operation_id="adminUpdateUserAttributes",
        summary="Change a user's attributes",
        description=(
            "AdminUpdateUserAttributes: the attributes named change, the others stay; an empty value removes one. "
            "A changed email or phone number becomes unverified unless the body sets its `*_verified` true. "
            "Answers with the user as AdminGetUser shows it."
        ),
        parameters=[POOL_ID, USERNAME],
        request=s.UserAttributesUpdateInput,
        responses={200: s.UserDetailOutput, **ERRORS, **USER_NOT_FOUND},
        tags=USERS_TAG,
    )
    def patch(self, request, pool_id: str, username: str):
        req = self.cognito_request(
            "AdminUpdateUserAttributes", s.UserAttributesUpdateInput, UserPoolId=pool_id, Username=username
        )
        user = directory.user_admin_update_attributes(
            self.service_context(), pool_id=pool_id, username=username, attributes=req["UserAttributes"]
        )
        return Response(_user_detail(user))

    @extend_schema(
        operation_id="adminDeleteUser",
        summary="Delete a user",
        parameters=[POOL_ID, USERNAME],
        responses={204: None, **ERRORS, **USER_NOT_FOUND},
        tags=USERS_TAG,
    )
    def delete(self, request, pool_id: str, username: str):
        validate_request("AdminDeleteUser", {"UserPoolId": pool_id, "Username": username})
        directory.user_admin_delete(self.service_context(), pool_id=pool_id, username=username)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _UserSetEnabledApi(DirectoryApiView):
    enabled: bool
    operation: str

    def post(self, request, pool_id: str, username: str):
        validate_request(self.operation, {"UserPoolId": pool_id, "Username": username})
        directory.user_admin_set_enabled(
            self.service_context(), pool_id=pool_id, username=username, enabled=self.enabled
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserEnableApi(_UserSetEnabledApi):
    """AdminEnableUser."""

    cognito_actions = {"POST": "AdminEnableUser"}
    operation = "AdminEnableUser"
    enabled = True

    @extend_schema(
        operation_id="adminEnableUser",
        summary="Enable a user",
        description="AdminEnableUser: the user can sign in again.",
        parameters=[POOL_ID, USERNAME],
        request=None,
        responses={204: None, **ERRORS, **USER_NOT_FOUND},
        tags=USERS_TAG,
    )
    def post(self, request, pool_id: str, username: str):
        return super().post(request, pool_id, username)


class UserDisableApi(_UserSetEnabledApi):
    """AdminDisableUser."""

    cognito_actions = {"POST": "AdminDisableUser"}
    operation = "AdminDisableUser"
    enabled = False

    @extend_schema(
        operation_id="adminDisableUser",
        summary="Disable a user",
        description="AdminDisableUser: the user cannot sign in, and is still listed.",
        parameters=[POOL_ID, USERNAME],
        request=None,
        responses={204: None, **ERRORS, **USER_NOT_FOUND},
        tags=USERS_TAG,
    )
    def post(self, request, pool_id: str, username: str):
        return super().post(request, pool_id, username)


class UserConfirmApi(DirectoryApiView):
    """AdminConfirmSignUp."""

    cognito_actions = {"POST": "AdminConfirmSignUp"}

    @extend_schema(
        operation_id="adminConfirmSignUp",
        summary="Confirm a user's sign-up",
        description="AdminConfirmSignUp: an UNCONFIRMED user becomes CONFIRMED without a code. The body is optional.",
        parameters=[POOL_ID, USERNAME],
        request=s.UserConfirmInput,
        responses={204: None, **ERRORS, **USER_NOT_FOUND},
        tags=USERS_TAG,
    )
    def post(self, request, pool_id: str, username: str):
        self.cognito_request("AdminConfirmSignUp", s.UserConfirmInput, UserPoolId=pool_id, Username=username)
        directory.user_admin_confirm_sign_up(self.service_context(), pool_id=pool_id, username=username)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserPasswordResetApi(DirectoryApiView):
    """AdminResetUserPassword."""

    cognito_actions = {"POST": "AdminResetUserPassword"}

    @extend_schema(
        operation_id="adminResetUserPassword",
        summary="Reset a user's password",
        description=(
            "AdminResetUserPassword: the user must set a new password (RESET_REQUIRED); a code goes to the "
            "verified address ForgotPassword would use, if there is one. The body is optional."
        ),
        parameters=[POOL_ID, USERNAME],
        request=s.UserPasswordResetInput,
        responses={204: None, **ERRORS, **USER_NOT_FOUND},
        tags=USERS_TAG,
    )
    def post(self, request, pool_id: str, username: str):
        self.cognito_request("AdminResetUserPassword", s.UserPasswordResetInput, UserPoolId=pool_id, Username=username)
        directory.user_admin_reset_password(self.service_context(), pool_id=pool_id, username=username)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserPasswordApi(DirectoryApiView):
    """AdminSetUserPassword."""

    cognito_actions = {"PUT": "AdminSetUserPassword"}

    @extend_schema(
        operation_id="adminSetUserPassword",
        summary="Set a user's password",
        description=(
            "AdminSetUserPassword: `Permanent: true` confirms the user; otherwise the password is temporary "
            "(FORCE_CHANGE_PASSWORD). The pool's password policy and history apply."
        ),
        parameters=[POOL_ID, USERNAME],
        request=s.UserPasswordSetInput,
        responses={204: None, **ERRORS, **USER_NOT_FOUND},
        tags=USERS_TAG,
    )
    def put(self, request, pool_id: str, username: str):
        req = self.cognito_request(
            "AdminSetUserPassword", s.UserPasswordSetInput, UserPoolId=pool_id, Username=username
        )
        directory.user_admin_set_password(
            self.service_context(),
            pool_id=pool_id,
            username=username,
            password=req["Password"],
            permanent=req.get("Permanent", False),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserAttributesDeleteApi(DirectoryApiView):
    """AdminDeleteUserAttributes."""

    cognito_actions = {"POST": "AdminDeleteUserAttributes"}

    @extend_schema(
        operation_id="adminDeleteUserAttributes",
        summary="Delete some of a user's attributes",
        description="AdminDeleteUserAttributes: required, immutable and sign-in attributes cannot be deleted.",
        parameters=[POOL_ID, USERNAME],
        request=s.UserAttributesDeleteInput,
        responses={204: None, **ERRORS, **USER_NOT_FOUND},
        tags=USERS_TAG,
    )
    def post(self, request, pool_id: str, username: str):
        req = self.cognito_request(
            "AdminDeleteUserAttributes", s.UserAttributesDeleteInput, UserPoolId=pool_id, Username=username
        )
        directory.user_admin_delete_attributes(
            self.service_context(), pool_id=pool_id, username=username, names=req["UserAttributeNames"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserGroupListApi(DirectoryApiView):
    """AdminListGroupsForUser."""

    cognito_actions = {"GET": "AdminListGroupsForUser"}

    @extend_schema(
        operation_id="adminListGroupsForUser",
        summary="List a user's groups",
        description="AdminListGroupsForUser: the groups the user belongs to, in name order.",
        parameters=[POOL_ID, USERNAME, *GROUP_PAGING],
        responses={200: s.UserGroupListOutput, **ERRORS, **USER_NOT_FOUND},
        tags=USERS_TAG,
    )
    def get(self, request, pool_id: str, username: str):
        req = self.group_query("AdminListGroupsForUser", UserPoolId=pool_id, Username=username)
        page = groups.groups_for_user(
            pool_id=pool_id, username=username, limit=req.get("Limit"), token=req.get("NextToken")
        )
        return Response(groups_page(page, "AdminListGroupsForUserResponse"))


__all__ = [
    "UserListApi",
    "UserDetailApi",
    "UserEnableApi",
    "UserDisableApi",
    "UserConfirmApi",
    "UserPasswordResetApi",
    "UserPasswordApi",
    "UserAttributesDeleteApi",
    "UserGroupListApi",
]
