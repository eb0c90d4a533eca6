"""The REST API: user pools and their app clients, over the services the wire API calls.

Each view parses its input with a serializer built from Cognito's model
(``is_valid(raise_exception=True)``), calls one service, and renders the service's
result in Cognito's shape (:mod:`userpools.shapes`). Callers authenticate with SigV4
(:class:`identity.drf.SigV4Authentication`) and are authorized with their key's
policy under the equivalent Cognito action (:mod:`userpools.api.permissions`).
Errors are ``{"code", "message"}`` with Cognito's error names
(:mod:`userpools.api.errors`).

Updates: ``PUT`` is Cognito's UpdateUserPool/UpdateUserPoolClient as it is (every
setting left out returns to its default); ``PATCH`` is a JSON merge patch (RFC 7396)
over the current settings, so only what it names changes and ``null`` resets a member.
Lists use the services' keyset pagination, as the wire API does: ``?max_results=`` and
``?next_token=`` (the ``NextToken`` of the previous page).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from userpools import shapes
from userpools.api import serializers as s
from userpools.api.parsers import JSONBodyParser
from userpools.api.permissions import CognitoActionPermission
from userpools.context import ServiceContext
from userpools.errors import ErrorCode, SerializationError, ServiceError
from userpools.services import clients, pools, resource_servers, updates

logger = logging.getLogger("cognate.api")

ERRORS = {
    400: OpenApiResponse(s.ErrorOutput, description="Invalid input (InvalidParameterException and others)."),
    401: OpenApiResponse(s.ErrorOutput, description="Missing or invalid SigV4 signature."),
    403: OpenApiResponse(s.ErrorOutput, description="AccessDeniedException: the key's policy does not allow it."),
}
NOT_FOUND = {404: OpenApiResponse(s.ErrorOutput, description="ResourceNotFoundException.")}
POOL_ID = OpenApiParameter("pool_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The user pool id.")
CLIENT_ID = OpenApiParameter("client_id", OpenApiTypes.STR, OpenApiParameter.PATH, description="The app client id.")
IDENTIFIER = OpenApiParameter(
    "identifier",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The resource server's Identifier, the rest of the path: it may contain `/` and `:` as they are "
    "(`https://api.example.com`); percent-encode `?`, `#`, `%` and spaces.",
)


class CognateApiView(APIView):
    """Common ground: JSON only, the Cognito-action permission, and errors in Cognito's vocabulary."""

    parser_classes = [JSONBodyParser]
    permission_classes = [CognitoActionPermission]
    cognito_actions: dict[str, str] = {}

    def service_context(self) -> ServiceContext:
        request = self.request
        return ServiceContext(
            actor=request.auth.actor,
            source_ip=request.META.get("REMOTE_ADDR"),
            user_agent=request.headers.get("User-Agent"),
            request_id=str(uuid.uuid4()),
        )

    def body(self) -> dict[str, Any]:
        """The request's JSON object (``null`` members mean absent, as in Cognito's JSON)."""
        data = self.request.data
        if not isinstance(data, Mapping):
            raise SerializationError("The request body must be a JSON object.")
        return dict(data)

    def handle_exception(self, exc):
        if isinstance(exc, exceptions.ParseError):
            exc = SerializationError(f"Malformed JSON request body: {exc.detail}")
        elif isinstance(exc, exceptions.NotAuthenticated):
            exc = exceptions.NotAuthenticated(
                "Missing Authentication Token", code=ErrorCode.MISSING_AUTHENTICATION_TOKEN.value
            )
        elif isinstance(exc, RequestDataTooBig):  # reading request.body refused it, as the wire API does
            exc = ServiceError("The request body is too large.", code=ErrorCode.INVALID_PARAMETER)
        elif not isinstance(exc, (exceptions.APIException, ServiceError, Http404)):
            # The API's last line: never a debug page or a bare 500, always a logged InternalErrorException.
            logger.exception("Unhandled error in %s %s", self.request.method, self.request.path)
            exc = ServiceError("Internal server error.", code=ErrorCode.INTERNAL_ERROR)
        return super().handle_exception(exc)


def _list_query(request) -> dict[str, Any]:
    query = s.ListQueryInput(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return query.validated_data


LIST_PARAMETERS = [
    OpenApiParameter("max_results", OpenApiTypes.INT, description="Page size, 1-60 (default 60)."),
    OpenApiParameter("next_token", OpenApiTypes.STR, description="NextToken of the previous page."),
]


def _pool_body(pool_id: str) -> dict[str, Any]:
    d = pools.user_pool_describe(pool_id=pool_id)
    return s.output("UserPoolType", shapes.user_pool(d.pool, estimated_users=d.estimated_users, domains=d.domains))


class UserPoolListApi(CognateApiView):
    """User pools: list them (ListUserPools) and create one (CreateUserPool)."""

    cognito_actions = {"GET": "ListUserPools", "POST": "CreateUserPool"}

    @extend_schema(
        operation_id="listUserPools",
        summary="List user pools",
        description="ListUserPools: pool summaries, oldest first, one page at a time.",
        parameters=LIST_PARAMETERS,
        responses={200: s.UserPoolListOutput, **ERRORS},
        tags=["User pools"],
    )
    def get(self, request):
        query = _list_query(request)
        page = pools.user_pool_list(max_results=query["max_results"], next_token=query.get("next_token"))
        body: dict[str, Any] = {"UserPools": [shapes.user_pool_description(p) for p in page.items]}
        if page.next_token:
            body["NextToken"] = page.next_token
        return Response(s.output("ListUserPoolsResponse", body))

    @extend_schema(
        operation_id="createUserPool",
        summary="Create a user pool",
        description="CreateUserPool: the body is Cognito's CreateUserPoolRequest.",
        request=s.UserPoolCreateInput,
        responses={201: s.UserPoolOutput, **ERRORS},
        tags=["User pools"],
    )
    def post(self, request):
        data = s.UserPoolCreateInput(data=updates.without_nulls(self.body()))
        data.is_valid(raise_exception=True)
        pool = pools.user_pool_create(self.service_context(), data.validated_data)
        body = s.output("UserPoolType", shapes.user_pool(pool, estimated_users=0, domains=[]))
        location = reverse("api-user-pool-detail", kwargs={"pool_id": pool.id})
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


class UserPoolDetailApi(CognateApiView):
    """One user pool: describe, update (PUT: UpdateUserPool; PATCH: merge patch) and delete it."""

    cognito_actions = {
        "GET": "DescribeUserPool",
        "PUT": "UpdateUserPool",
        "PATCH": "UpdateUserPool",
        "DELETE": "DeleteUserPool",
    }

    @extend_schema(
        operation_id="describeUserPool",
        summary="Describe a user pool",
        parameters=[POOL_ID],
        responses={200: s.UserPoolOutput, **ERRORS, **NOT_FOUND},
        tags=["User pools"],
    )
    def get(self, request, pool_id: str):
        return Response(_pool_body(pool_id))

    @extend_schema(
        operation_id="updateUserPool",
        summary="Replace a user pool's settings",
        description=(
            "UpdateUserPool as Cognito defines it: every mutable setting the body leaves out returns to its "
            "default. PoolName and UserPoolTags are kept when left out."
        ),
        parameters=[POOL_ID],
        request=s.UserPoolUpdateInput,
        responses={200: s.UserPoolOutput, **ERRORS, **NOT_FOUND},
        tags=["User pools"],
    )
    def put(self, request, pool_id: str):
        body = self.body()
        body.pop("UserPoolId", None)  # the URL names the pool
        data = s.UserPoolUpdateInput(data=updates.without_nulls(body))
        data.is_valid(raise_exception=True)
        pools.user_pool_update(self.service_context(), {**data.validated_data, "UserPoolId": pool_id})
        return Response(_pool_body(pool_id))

    @extend_schema(
        operation_id="patchUserPool",
        summary="Change some of a user pool's settings",
        description=(
            "A JSON merge patch (RFC 7396) of the pool's current settings in UpdateUserPool's shape: objects "
            "merge member by member, `null` returns a member to its default, anything else replaces it."
        ),
        parameters=[POOL_ID],
        request=s.UserPoolUpdateInput,
        responses={200: s.UserPoolOutput, **ERRORS, **NOT_FOUND},
        tags=["User pools"],
    )
    def patch(self, request, pool_id: str):
        patch = self.body()
        patch.pop("UserPoolId", None)
        merged = updates.user_pool_update_request_patched(pools.user_pool_get(pool_id), patch)
        merged.pop("UserPoolId")
        data = s.UserPoolUpdateInput(data=merged)
        data.is_valid(raise_exception=True)
        pools.user_pool_update(self.service_context(), {**data.validated_data, "UserPoolId": pool_id})
        return Response(_pool_body(pool_id))

    @extend_schema(
        operation_id="deleteUserPool",
        summary="Delete a user pool",
        description="DeleteUserPool: refused while deletion protection is ACTIVE or a domain is configured.",
        parameters=[POOL_ID],
        responses={204: None, **ERRORS, **NOT_FOUND},
        tags=["User pools"],
    )
    def delete(self, request, pool_id: str):
        pools.user_pool_delete(self.service_context(), pool_id=pool_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _client_body(client) -> dict[str, Any]:
    return s.output("UserPoolClientType", shapes.user_pool_client(client))


class UserPoolClientListApi(CognateApiView):
    """A pool's app clients: list them (ListUserPoolClients) and create one (CreateUserPoolClient)."""

    cognito_actions = {"GET": "ListUserPoolClients", "POST": "CreateUserPoolClient"}

    @extend_schema(
        operation_id="listUserPoolClients",
        summary="List a pool's app clients",
        parameters=[POOL_ID, *LIST_PARAMETERS],
        responses={200: s.UserPoolClientListOutput, **ERRORS, **NOT_FOUND},
        tags=["App clients"],
    )
    def get(self, request, pool_id: str):
        query = _list_query(request)
        page = clients.user_pool_client_list(
            pool_id=pool_id, max_results=query["max_results"], next_token=query.get("next_token")
        )
        body: dict[str, Any] = {"UserPoolClients": [shapes.user_pool_client_description(c) for c in page.items]}
        if page.next_token:
            body["NextToken"] = page.next_token
        return Response(s.output("ListUserPoolClientsResponse", body))

    @extend_schema(
        operation_id="createUserPoolClient",
        summary="Create an app client",
        description="CreateUserPoolClient: the body is Cognito's CreateUserPoolClientRequest without UserPoolId.",
        parameters=[POOL_ID],
        request=s.UserPoolClientCreateInput,
        responses={201: s.UserPoolClientOutput, **ERRORS, **NOT_FOUND},
        tags=["App clients"],
    )
    def post(self, request, pool_id: str):
        body = self.body()
        body.pop("UserPoolId", None)  # the URL names the pool
        data = s.UserPoolClientCreateInput(data=updates.without_nulls(body))
        data.is_valid(raise_exception=True)
        client = clients.user_pool_client_create(self.service_context(), {**data.validated_data, "UserPoolId": pool_id})
        location = reverse("api-user-pool-client-detail", kwargs={"pool_id": pool_id, "client_id": client.client_id})
        return Response(_client_body(client), status=status.HTTP_201_CREATED, headers={"Location": location})


class UserPoolClientDetailApi(CognateApiView):
    """One app client: describe, update (PUT: UpdateUserPoolClient; PATCH: merge patch) and delete it."""

    cognito_actions = {
        "GET": "DescribeUserPoolClient",
        "PUT": "UpdateUserPoolClient",
        "PATCH": "UpdateUserPoolClient",
        "DELETE": "DeleteUserPoolClient",
    }

    @extend_schema(
        operation_id="describeUserPoolClient",
        summary="Describe an app client",
        parameters=[POOL_ID, CLIENT_ID],
        responses={200: s.UserPoolClientOutput, **ERRORS, **NOT_FOUND},
        tags=["App clients"],
    )
    def get(self, request, pool_id: str, client_id: str):
        return Response(_client_body(clients.user_pool_client_get(pool_id=pool_id, client_id=client_id)))

    @extend_schema(
        operation_id="updateUserPoolClient",
        summary="Replace an app client's settings",
        description=(
            "UpdateUserPoolClient as Cognito defines it: settings the body leaves out return to their defaults."
        ),
        parameters=[POOL_ID, CLIENT_ID],
        request=s.UserPoolClientUpdateInput,
        responses={200: s.UserPoolClientOutput, **ERRORS, **NOT_FOUND},
        tags=["App clients"],
    )
    def put(self, request, pool_id: str, client_id: str):
        body = self.body()
        for key in ("UserPoolId", "ClientId"):  # the URL names the pool and the client
            body.pop(key, None)
        data = s.UserPoolClientUpdateInput(data=updates.without_nulls(body))
        data.is_valid(raise_exception=True)
        client = clients.user_pool_client_update(
            self.service_context(), {**data.validated_data, "UserPoolId": pool_id, "ClientId": client_id}
        )
        return Response(_client_body(client))

    @extend_schema(
        operation_id="patchUserPoolClient",
        summary="Change some of an app client's settings",
        description="A JSON merge patch (RFC 7396) of the client's current settings in UpdateUserPoolClient's shape.",
        parameters=[POOL_ID, CLIENT_ID],
        request=s.UserPoolClientUpdateInput,
        responses={200: s.UserPoolClientOutput, **ERRORS, **NOT_FOUND},
        tags=["App clients"],
    )
    def patch(self, request, pool_id: str, client_id: str):
        patch = self.body()
        for key in ("UserPoolId", "ClientId"):
            patch.pop(key, None)
        current = clients.user_pool_client_get(pool_id=pool_id, client_id=client_id)
        merged = updates.user_pool_client_update_request_patched(current, patch)
        del merged["UserPoolId"], merged["ClientId"]
        data = s.UserPoolClientUpdateInput(data=merged)
        data.is_valid(raise_exception=True)
        client = clients.user_pool_client_update(
            self.service_context(), {**data.validated_data, "UserPoolId": pool_id, "ClientId": client_id}
        )
        return Response(_client_body(client))

    @extend_schema(
        operation_id="deleteUserPoolClient",
        summary="Delete an app client",
        parameters=[POOL_ID, CLIENT_ID],
        responses={204: None, **ERRORS, **NOT_FOUND},
        tags=["App clients"],
    )
    def delete(self, request, pool_id: str, client_id: str):
        clients.user_pool_client_delete(self.service_context(), pool_id=pool_id, client_id=client_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _resource_server_body(server) -> dict[str, Any]:
    return s.output("ResourceServerType", shapes.resource_server(server))


class ResourceServerListApi(CognateApiView):
    """A pool's resource servers: list them (ListResourceServers) and create one (CreateResourceServer)."""

    cognito_actions = {"GET": "ListResourceServers", "POST": "CreateResourceServer"}

    @extend_schema(
        operation_id="listResourceServers",
        summary="List a pool's resource servers",
        parameters=[
            POOL_ID,
            OpenApiParameter("max_results", OpenApiTypes.INT, description="Page size, 1-50 (default 50)."),
            OpenApiParameter("next_token", OpenApiTypes.STR, description="NextToken of the previous page."),
        ],
        responses={200: s.ResourceServerListOutput, **ERRORS, **NOT_FOUND},
        tags=["Resource servers"],
    )
    def get(self, request, pool_id: str):
        query = s.ResourceServerListQueryInput(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        page = resource_servers.resource_server_list(
            pool_id=pool_id,
            max_results=query.validated_data["max_results"],
            next_token=query.validated_data.get("next_token"),
        )
        body: dict[str, Any] = {"ResourceServers": [shapes.resource_server(r) for r in page.items]}
        if page.next_token:
            body["NextToken"] = page.next_token
        return Response(s.output("ListResourceServersResponse", body))

    @extend_schema(
        operation_id="createResourceServer",
        summary="Create a resource server",
        description="CreateResourceServer: the body is Cognito's CreateResourceServerRequest without UserPoolId.",
        parameters=[POOL_ID],
        request=s.ResourceServerCreateInput,
        responses={201: s.ResourceServerOutput, **ERRORS, **NOT_FOUND},
        tags=["Resource servers"],
    )
    def post(self, request, pool_id: str):
        body = self.body()
        body.pop("UserPoolId", None)  # the URL names the pool
        data = s.ResourceServerCreateInput(data=updates.without_nulls(body))
        data.is_valid(raise_exception=True)
        server = resource_servers.resource_server_create(
            self.service_context(), {**data.validated_data, "UserPoolId": pool_id}
        )
        location = reverse("api-resource-server-detail", kwargs={"pool_id": pool_id, "identifier": server.identifier})
        return Response(_resource_server_body(server), status=status.HTTP_201_CREATED, headers={"Location": location})


class ResourceServerDetailApi(CognateApiView):
    """One resource server: describe, update (PUT: UpdateResourceServer, which replaces the name and
    the scopes) and delete it."""

    cognito_actions = {"GET": "DescribeResourceServer", "PUT": "UpdateResourceServer", "DELETE": "DeleteResourceServer"}

    @extend_schema(
        operation_id="describeResourceServer",
        summary="Describe a resource server",
        parameters=[POOL_ID, IDENTIFIER],
        responses={200: s.ResourceServerOutput, **ERRORS, **NOT_FOUND},
        tags=["Resource servers"],
    )
    def get(self, request, pool_id: str, identifier: str):
        server = resource_servers.resource_server_describe(pool_id=pool_id, identifier=identifier)
        return Response(_resource_server_body(server))

    @extend_schema(
        operation_id="updateResourceServer",
        summary="Replace a resource server's name and scopes",
        description="UpdateResourceServer: Name is required; Scopes left out means no scopes.",
        parameters=[POOL_ID, IDENTIFIER],
        request=s.ResourceServerUpdateInput,
        responses={200: s.ResourceServerOutput, **ERRORS, **NOT_FOUND},
        tags=["Resource servers"],
    )
    def put(self, request, pool_id: str, identifier: str):
        body = self.body()
        for key in ("UserPoolId", "Identifier"):  # the URL names the pool and the server
            body.pop(key, None)
        data = s.ResourceServerUpdateInput(data=updates.without_nulls(body))
        data.is_valid(raise_exception=True)
        server = resource_servers.resource_server_update(
            self.service_context(), {**data.validated_data, "UserPoolId": pool_id, "Identifier": identifier}
        )
        return Response(_resource_server_body(server))

    @extend_schema(
        operation_id="deleteResourceServer",
        summary="Delete a resource server",
        description="DeleteResourceServer: app clients keep the scopes they were allowed; tokens stop carrying them.",
        parameters=[POOL_ID, IDENTIFIER],
        responses={204: None, **ERRORS, **NOT_FOUND},
        tags=["Resource servers"],
    )
    def delete(self, request, pool_id: str, identifier: str):
        resource_servers.resource_server_delete(self.service_context(), pool_id=pool_id, identifier=identifier)
        return Response(status=status.HTTP_204_NO_CONTENT)


__all__ = [
    "UserPoolListApi",
    "UserPoolDetailApi",
    "UserPoolClientListApi",
    "UserPoolClientDetailApi",
    "ResourceServerListApi",
    "ResourceServerDetailApi",
]
