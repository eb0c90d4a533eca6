"""The REST API's user directory and self-service: users, groups and members under a pool
(:mod:`userpools.api.user_views`, :mod:`userpools.api.group_views`), and sign-up,
confirmation and password recovery under an app client (:mod:`userpools.api.selfservice_views`).
This module holds what they share: the view base class and the documented parameters.

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

from typing import Any

from django.urls import NoReverseMatch, reverse
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from userpools import shapes
from userpools.api import serializers as s
from userpools.api.views import CognateApiView
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
    404: OpenApiResponse(
        s.ErrorOutput, description="ResourceNotFoundException (pool or group) or UserNotFoundException."
    ),
}


def location(name: str, **kwargs: str) -> dict[str, str]:
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


def groups_page(page, shape: str) -> dict[str, Any]:
    body: dict[str, Any] = {"Groups": [shapes.group(g) for g in page.items]}
    if page.next_token:
        body["NextToken"] = page.next_token
    return s.output(shape, body)
