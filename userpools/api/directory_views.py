"""The REST API's user directory and self-service: users, groups and members under a pool,
and sign-up, confirmation and password recovery under an app client.

The same services as the wire API (:mod:`userpools.wire.users`,
:mod:`userpools.wire.selfservice`), called the same way. Each view parses its input with
a serializer built from Cognito's model, checks the assembled Cognito request against
the model as the wire API does (:func:`userpools.spec.validate_request`: the patterns
and lengths the serializers leave out), calls one service and renders the result in
Cognito's shape.

Administration is signed (SigV4) and authorized with the action of the equivalent wire
operation on the pool's ARN (``POST .../users/`` needs ``cognito-idp:AdminCreateUser``).
The self-service endpoints are unsigned, as SignUp, ConfirmSignUp,
ResendConfirmationCode, ForgotPassword and ConfirmForgotPassword are in Cognito: the app
client in the URL and, for a client with a secret, the body's ``SecretHash``
authenticate them.

A user is named in the URL by username, alias or ``sub`` (as Cognito's Admin* operations
accept); a username with ``/`` in it can only be named by its ``sub`` or an alias. Every
route is served under ``/api/v1/user-pools/{pool_id}/`` and its alias
``/api/v1/pools/{pool_id}/``. Lists page like their wire operations: ListUsers with
``?limit=`` and ``?pagination_token=``, the group lists with ``?limit=`` and ``?next_token=``.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.urls import NoReverseMatch, reverse
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from userpools import shapes
from userpools.api import serializers as s
from userpools.api.permissions import authorize_role_pass
from userpools.api.views import CLIENT_ID, ERRORS, NOT_FOUND, POOL_ID, CognateApiView
from userpools.context import ServiceContext
from userpools.services import directory, groups, recovery, signup
from userpools.services.updates import without_nulls
from userpools.spec import validate_request

USERNAME = OpenApiParameter(
    "username", OpenApiTypes.STR, OpenApiParameter.PATH, description="The user's username, an alias, or the sub."
)
GROUP_NAME = OpenApiParameter("group_name", OpenApiTypes.STR, OpenApiParameter.PATH, description="The group's name.")
GROUP_PAGING = [
    OpenApiParameter("limit", OpenApiTypes.INT, description="Page size, 0-60 (0 or absent: 60)."),
    OpenApiParameter("next_token", OpenApiTypes.STR, description="NextToken of the previous page."),
]
USER_NOT_FOUND = {
    404: OpenApiResponse(s.ErrorOutput, description="ResourceNotFoundException (pool or group) or UserNotFoundException."),
}
SELF_SERVICE_ERRORS = {
    400: OpenApiResponse(
        s.ErrorOutput, description="InvalidParameterException, CodeMismatchException, UsernameExistsException ..."
    ),
    403: OpenApiResponse(s.ErrorOutput, description="NotAuthorizedException: wrong SecretHash, user disabled ..."),
    404: OpenApiResponse(s.ErrorOutput, description="ResourceNotFoundException: no such app client."),
    409: OpenApiResponse(s.ErrorOutput, description="LimitExceededException: too many codes sent."),
}
USERS_TAG = ["Users"]
GROUPS_TAG = ["Groups"]
SELF_SERVICE_TAG = ["Self-service"]


def _location(name: str, **kwargs: str) -> dict[str, str]:
    """A Location header for the created resource, when its name fits in a URL path segment."""
    try:
        return {"Location": reverse(name, kwargs=kwargs)}
    except NoReverseMatch:
        return {}


class WholeRequestSchema(AutoSchema):
    """Documents a PATCH body as the whole Cognito request it is (AdminUpdateUserAttributes
    requires UserAttributes), where drf-spectacular would make every member optional."""

    def _get_request_for_media_type(self, serializer, direction="request"):
        method, self.method = self.method, "POST"
        try:
            return super()._get_request_for_media_type(serializer, direction)
        finally:
            self.method = method


class DirectoryApiView(CognateApiView):
    """Parses a body or query into the Cognito request of ``operation`` and checks it against the model."""

    def cognito_request(self, operation: str, serializer_class, **url_members: Any) -> dict[str, Any]:
        """The request body through ``serializer_class`` (members the URL names are ignored),
        with the URL's members added, validated as the wire API validates ``operation``."""
        body = self.body()
        for key in url_members:
            body.pop(key, None)
        data = serializer_class(data=without_nulls(body))
        data.is_valid(raise_exception=True)
        request = {**data.validated_data, **url_members}
        validate_request(operation, request)
        return request

    def group_query(self, operation: str, **url_members: Any) -> dict[str, Any]:
        query = s.GroupListQueryInput(data=self.request.query_params.dict())
        query.is_valid(raise_exception=True)
        request = dict(url_members)
        if "limit" in query.validated_data:
            request["Limit"] = query.validated_data["limit"]
        if "next_token" in query.validated_data:
            request["NextToken"] = query.validated_data["next_token"]
        validate_request(operation, request)
        return request


def _groups_page(page, shape: str) -> dict[str, Any]:
    body: dict[str, Any] = {"Groups": [shapes.group(g) for g in page.items]}
    if page.next_token:
        body["NextToken"] = page.next_token
    return s.output(shape, body)


def _user_detail(user) -> dict[str, Any]:
    return s.output("AdminGetUserResponse", shapes.admin_get_user(user))


# --- Users ----------------------------------------------------------------------------------


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
            ),  # fmt: skip
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
        page = directory.users_list(pool_id=pool_id, filter=req.get("Filter"), limit=req.get("Limit", 0),
                                    token=req.get("PaginationToken"), attributes_to_get=names)  # fmt: skip
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
        headers = _location("api-user-detail", pool_id=pool_id, username=name)
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
        directory.user_admin_set_enabled(self.service_context(), pool_id=pool_id, username=username,
                                         enabled=self.enabled)  # fmt: skip
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
        req = self.cognito_request("AdminSetUserPassword", s.UserPasswordSetInput, UserPoolId=pool_id,
                                   Username=username)  # fmt: skip
        directory.user_admin_set_password(self.service_context(), pool_id=pool_id, username=username,
                                          password=req["Password"], permanent=req.get("Permanent", False))  # fmt: skip
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
        req = self.cognito_request("AdminDeleteUserAttributes", s.UserAttributesDeleteInput, UserPoolId=pool_id,
                                   Username=username)  # fmt: skip
        directory.user_admin_delete_attributes(self.service_context(), pool_id=pool_id, username=username,
                                               names=req["UserAttributeNames"])  # fmt: skip
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
        page = groups.groups_for_user(pool_id=pool_id, username=username, limit=req.get("Limit"),
                                      token=req.get("NextToken"))  # fmt: skip
        return Response(_groups_page(page, "AdminListGroupsForUserResponse"))


# --- Groups ---------------------------------------------------------------------------------


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
        return Response(_groups_page(page, "ListGroupsResponse"))

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
        group = groups.group_create(self.service_context(), pool_id=pool_id, name=req["GroupName"],
                                    description=req.get("Description"), role_arn=req.get("RoleArn"),
                                    precedence=req.get("Precedence"))  # fmt: skip
        headers = _location("api-group-detail", pool_id=pool_id, group_name=group.name)
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
        group = groups.group_update(self.service_context(), pool_id=pool_id, name=group_name,
                                    description=req.get("Description"), role_arn=req.get("RoleArn"),
                                    precedence=req.get("Precedence"))  # fmt: skip
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
        page = groups.users_in_group(pool_id=pool_id, group_name=group_name, limit=req.get("Limit"),
                                     token=req.get("NextToken"))  # fmt: skip
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


# --- Self-service (unsigned) ----------------------------------------------------------------


class SelfServiceApiView(DirectoryApiView):
    """Unsigned, as in Cognito: the app client in the URL (and its SecretHash) authenticates the call.

    Authorization headers are ignored (no authentication class runs), so a signed
    request is treated like any other; the services answer NotAuthorizedException for a
    missing or wrong SecretHash and honour the client's PreventUserExistenceErrors.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def service_context(self) -> ServiceContext:
        # The services record an anonymous caller as acting through its app client.
        request = self.request
        return ServiceContext(
            actor="anonymous",
            source_ip=request.META.get("REMOTE_ADDR"),
            user_agent=request.headers.get("User-Agent"),
            request_id=str(uuid.uuid4()),
        )


class SignUpApi(SelfServiceApiView):
    """SignUp."""

    @extend_schema(
        operation_id="signUp",
        summary="Sign up",
        description=(
            "SignUp: an UNCONFIRMED user; when the pool verifies email or phone numbers a code is sent. "
            "The body is Cognito's SignUpRequest without ClientId."
        ),
        parameters=[CLIENT_ID],
        request=s.SignUpInput,
        responses={200: s.SignUpOutput, **SELF_SERVICE_ERRORS},
        tags=SELF_SERVICE_TAG,
        auth=[],
    )
    def post(self, request, client_id: str):
        req = self.cognito_request("SignUp", s.SignUpInput, ClientId=client_id)
        result = signup.user_sign_up(
            self.service_context(),
            client_id=client_id,
            secret_hash=req.get("SecretHash"),
            username=req["Username"],
            password=req.get("Password"),
            attributes=req.get("UserAttributes") or [],
        )
        return Response(s.output("SignUpResponse", shapes.sign_up_result(result)))


class ConfirmSignUpApi(SelfServiceApiView):
    """ConfirmSignUp."""

    @extend_schema(
        operation_id="confirmSignUp",
        summary="Confirm a sign-up with its code",
        description="ConfirmSignUp: the code confirms the user and verifies the address it was sent to.",
        parameters=[CLIENT_ID],
        request=s.ConfirmSignUpInput,
        responses={204: None, **SELF_SERVICE_ERRORS},
        tags=SELF_SERVICE_TAG,
        auth=[],
    )
    def post(self, request, client_id: str):
        req = self.cognito_request("ConfirmSignUp", s.ConfirmSignUpInput, ClientId=client_id)
        signup.user_confirm_sign_up(
            self.service_context(),
            client_id=client_id,
            secret_hash=req.get("SecretHash"),
            username=req["Username"],
            code=req["ConfirmationCode"],
            force_alias=bool(req.get("ForceAliasCreation", False)),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ResendConfirmationCodeApi(SelfServiceApiView):
    """ResendConfirmationCode."""

    @extend_schema(
        operation_id="resendConfirmationCode",
        summary="Send a new sign-up code",
        description="ResendConfirmationCode: the previous code stops working.",
        parameters=[CLIENT_ID],
        request=s.ResendConfirmationCodeInput,
        responses={200: s.ResendConfirmationCodeOutput, **SELF_SERVICE_ERRORS},
        tags=SELF_SERVICE_TAG,
        auth=[],
    )
    def post(self, request, client_id: str):
        req = self.cognito_request("ResendConfirmationCode", s.ResendConfirmationCodeInput, ClientId=client_id)
        details = signup.user_resend_confirmation_code(
            self.service_context(), client_id=client_id, secret_hash=req.get("SecretHash"), username=req["Username"]
        )
        return Response(s.output("ResendConfirmationCodeResponse", {"CodeDeliveryDetails": details}))


class ForgotPasswordApi(SelfServiceApiView):
    """ForgotPassword."""

    @extend_schema(
        operation_id="forgotPassword",
        summary="Start a password reset",
        description="ForgotPassword: a code goes to the user's verified email address or phone number.",
        parameters=[CLIENT_ID],
        request=s.ForgotPasswordInput,
        responses={200: s.ForgotPasswordOutput, **SELF_SERVICE_ERRORS},
        tags=SELF_SERVICE_TAG,
        auth=[],
    )
    def post(self, request, client_id: str):
        req = self.cognito_request("ForgotPassword", s.ForgotPasswordInput, ClientId=client_id)
        details = recovery.password_reset_start(
            self.service_context(), client_id=client_id, secret_hash=req.get("SecretHash"), username=req["Username"]
        )
        return Response(s.output("ForgotPasswordResponse", {"CodeDeliveryDetails": details}))


class ConfirmForgotPasswordApi(SelfServiceApiView):
    """ConfirmForgotPassword."""

    @extend_schema(
        operation_id="confirmForgotPassword",
        summary="Set a new password with a reset code",
        description="ConfirmForgotPassword: the code sets the new password and the user is CONFIRMED.",
        parameters=[CLIENT_ID],
        request=s.ConfirmForgotPasswordInput,
        responses={204: None, **SELF_SERVICE_ERRORS},
        tags=SELF_SERVICE_TAG,
        auth=[],
    )
    def post(self, request, client_id: str):
        req = self.cognito_request("ConfirmForgotPassword", s.ConfirmForgotPasswordInput, ClientId=client_id)
        recovery.password_reset_confirm(
            self.service_context(),
            client_id=client_id,
            secret_hash=req.get("SecretHash"),
            username=req["Username"],
            code=req["ConfirmationCode"],
            password=req["Password"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


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
    "GroupListApi",
    "GroupDetailApi",
    "GroupMemberListApi",
    "GroupMemberApi",
    "SignUpApi",
    "ConfirmSignUpApi",
    "ResendConfirmationCodeApi",
    "ForgotPasswordApi",
    "ConfirmForgotPasswordApi",
]
