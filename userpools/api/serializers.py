"""Serializers of the REST API, generated from Cognito's own service model.

The REST API is a second face of the services the wire API calls, so it keeps one
vocabulary: request and response bodies use Cognito's member names and shapes
(``PoolName``, ``Policies.PasswordPolicy.MinimumLength``, ``UserPoolType`` ...). Rather
than restate ~40 structures by hand, each serializer is built from the botocore shape
(`botocore/data/cognito-idp/2016-04-18/service-2.json`): member types, required members,
enums, length and range constraints and the documentation all come from the model, so
the OpenAPI schema describes exactly what the services accept and return.

Serializers only parse and validate; they never save (docs/architecture.md, Conventions). Every failure of an
input serializer is raised as ``InvalidParameterException``, the code the services
raise for the same mistakes. The services validate the assembled request against the
model once more (including the patterns, which use Java regex syntax and are left to
``userpools.spec``).

"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from userpools.choices import enum_values
from userpools.errors import InvalidParameter
from userpools.spec import idp_spec

# --- The service model -----------------------------------------------------------------


def _shapes() -> dict[str, Any]:
    return idp_spec().model["shapes"]


_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_DOC_LIMIT = 400


def _doc(text: str | None) -> str:
    """The model's HTML documentation as one plain paragraph (its first one, capped)."""
    if not text:
        return ""
    first = text.split("</p>", 1)[0]
    plain = _SPACE.sub(" ", html.unescape(_TAG.sub(" ", first))).strip()
    return plain if len(plain) <= _DOC_LIMIT else plain[: _DOC_LIMIT - 1].rstrip() + "…"


# --- Serializers built from shapes ------------------------------------------------------


class ShapeSerializer(serializers.Serializer):
    """A structure of Cognito's model. Members the model does not define are rejected,
    so a misspelt setting is an error rather than silently ignored."""

    shape_name = ""

    def to_internal_value(self, data):
        unknown: dict[str, list[str]] = {}
        if isinstance(data, Mapping):
            unknown = {str(k): [f"{k} is not a member of {self.shape_name}."] for k in data if k not in self.fields}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, Mapping):
                raise serializers.ValidationError({**exc.detail, **unknown}) from None
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


def _error_lines(errors: Any, path: str = "") -> list[str]:
    if isinstance(errors, Mapping):
        lines: list[str] = []
        for key, value in errors.items():
            sub = path if key == "non_field_errors" else (f"{path}.{key}" if path else str(key))
            lines.extend(_error_lines(value, sub))
        return lines
    if isinstance(errors, list):
        if all(isinstance(e, str) for e in errors):
            return [f"{path}: {e}" if path else str(e) for e in errors]
        lines = []
        for index, value in enumerate(errors):
            if value:
                lines.extend(_error_lines(value, f"{path}.{index}" if path else str(index)))
        return lines
    return [f"{path}: {errors}" if path else str(errors)]


def validation_message(errors: Any) -> str:
    lines = _error_lines(errors)
    count = len(lines)
    prefix = f"{count} validation error{'s' if count != 1 else ''} detected: "
    return prefix + "; ".join(lines)


class InvalidParameterOnError:
    """``is_valid(raise_exception=True)`` raises ``InvalidParameterException`` naming every
    offending member, the error the services raise for the same mistakes."""

    def is_valid(self, *, raise_exception: bool = False) -> bool:
        try:
            return super().is_valid(raise_exception=raise_exception)
        except serializers.ValidationError:
            raise InvalidParameter(validation_message(self.errors)) from None


class InputSerializer(InvalidParameterOnError, ShapeSerializer):
    """A request body in the shape of a Cognito request."""


_building: set[str] = set()


@cache
def _enum_field(shape_name: str) -> type[serializers.ChoiceField]:
    """A choice field for a Cognito enum; the OpenAPI component takes the enum shape's name."""
    field = type(f"{shape_name}Field", (serializers.ChoiceField,), {"__module__": __name__})
    schema = {"type": "string", "enum": list(enum_values(shape_name))}
    return extend_schema_field(schema, component_name=shape_name)(field)


def _field(shape_name: str, *, doc: str = "", required: bool = False, child: bool = False) -> serializers.Field:
    shape = _shapes()[shape_name]
    kind = shape["type"]
    kw: dict[str, Any] = {} if child else {"required": required}
    if doc:
        kw["help_text"] = doc
    if kind == "structure":
        if shape_name in _building:  # the Cognito model has no recursive shapes; stay safe anyway
            return serializers.JSONField(**kw)
        return shape_serializer(shape_name)(**kw)
    if kind == "list":
        return serializers.ListField(
            child=_field(shape["member"]["shape"], child=True),
            **({"min_length": shape["min"]} if "min" in shape else {}),
            **({"max_length": shape["max"]} if "max" in shape else {}),
            **kw,
        )
    if kind == "map":
        return serializers.DictField(child=_field(shape["value"]["shape"], child=True), **kw)
    if kind == "string":
        if "enum" in shape:
            return _enum_field(shape_name)(choices=list(enum_values(shape_name)), **kw)
        return serializers.CharField(
            trim_whitespace=False,
            allow_blank=shape.get("min", 0) == 0,
            **({"min_length": shape["min"]} if shape.get("min") else {}),
            **({"max_length": shape["max"]} if "max" in shape else {}),
            **kw,
        )
    if kind in ("integer", "long"):
        return serializers.IntegerField(
            **({"min_value": shape["min"]} if "min" in shape else {}),
            **({"max_value": shape["max"]} if "max" in shape else {}),
            **kw,
        )
    if kind == "boolean":
        return serializers.BooleanField(**kw)
    if kind in ("double", "float"):
        return serializers.FloatField(**kw)
    if kind == "timestamp":
        kw["help_text"] = (doc + " " if doc else "") + "Seconds since the Unix epoch."
        return serializers.FloatField(**kw)
    # blob: base64 text in JSON
    return serializers.CharField(trim_whitespace=False, **kw)


@cache
def shape_serializer(
    shape_name: str,
    *,
    exclude: tuple[str, ...] = (),
    component: str | None = None,
    base: type[ShapeSerializer] = ShapeSerializer,
) -> type[ShapeSerializer]:
    """A serializer class for the structure ``shape_name`` (cached: one class per shape,
    so each becomes one OpenAPI component named after the shape, used for requests and
    responses alike). Members are required as the model says; none is nullable, since
    in Cognito's JSON a ``null`` member means an absent one (see :func:`without_nulls`)."""
    shape = _shapes()[shape_name]
    required = set(shape.get("required", ()))
    _building.add(shape_name)
    try:
        fields = {
            name: _field(member["shape"], doc=_doc(member.get("documentation")), required=name in required)
            for name, member in shape["members"].items()
            if name not in exclude
        }
    finally:
        _building.discard(shape_name)
    name = component or shape_name
    attrs = {
        **fields,
        "shape_name": shape_name,
        "__module__": __name__,
        "__doc__": _doc(shape.get("documentation")) or f"Cognito's {shape_name}.",
    }
    return type(name, (base,), attrs)


def output(shape_name: str, value: Mapping[str, Any]) -> dict[str, Any]:
    """Render a dict built by :mod:`userpools.shapes` through the model's output shape
    (members the model does not define are left out)."""
    return shape_serializer(shape_name)(value).data


# --- The REST API's serializers ---------------------------------------------------------

# Request bodies: Cognito's request shapes without the members the URL carries.
UserPoolCreateInput = shape_serializer("CreateUserPoolRequest", component="CreateUserPoolInput", base=InputSerializer)
UserPoolUpdateInput = shape_serializer(
    "UpdateUserPoolRequest", exclude=("UserPoolId",), component="UpdateUserPoolInput", base=InputSerializer
)
UserPoolClientCreateInput = shape_serializer(
    "CreateUserPoolClientRequest", exclude=("UserPoolId",), component="CreateUserPoolClientInput", base=InputSerializer
)
UserPoolClientUpdateInput = shape_serializer(
    "UpdateUserPoolClientRequest",
    exclude=("UserPoolId", "ClientId"),
    component="UpdateUserPoolClientInput",
    base=InputSerializer,
)

# Response bodies.
UserPoolOutput = shape_serializer("UserPoolType")
UserPoolClientOutput = shape_serializer("UserPoolClientType")
UserPoolListOutput = shape_serializer("ListUserPoolsResponse")
UserPoolClientListOutput = shape_serializer("ListUserPoolClientsResponse")


# Resource servers: the URL names the pool (and, to describe/update/delete, the server).
ResourceServerCreateInput = shape_serializer(
    "CreateResourceServerRequest", exclude=("UserPoolId",), component="CreateResourceServerInput", base=InputSerializer
)
ResourceServerUpdateInput = shape_serializer(
    "UpdateResourceServerRequest",
    exclude=("UserPoolId", "Identifier"),
    component="UpdateResourceServerInput",
    base=InputSerializer,
)
ResourceServerOutput = shape_serializer("ResourceServerType")
ResourceServerListOutput = shape_serializer("ListResourceServersResponse")


class ResourceServerListQueryInput(InvalidParameterOnError, serializers.Serializer):
    """ListResourceServers paging: MaxResults is 1-50 there (ListResourceServersLimitType)."""

    max_results = serializers.IntegerField(min_value=1, max_value=50, default=50, help_text="Page size (1-50).")
    next_token = serializers.CharField(
        required=False, max_length=131072, help_text="The NextToken of the previous page, to fetch the next one."
    )


class ListQueryInput(InvalidParameterOnError, serializers.Serializer):
    """Keyset pagination, the same as the wire API's ``MaxResults``/``NextToken``.
    Other query parameters (``format`` ...) are DRF's or ignored."""

    max_results = serializers.IntegerField(min_value=1, max_value=60, default=60, help_text="Page size (1-60).")
    next_token = serializers.CharField(
        required=False, max_length=131072, help_text="The NextToken of the previous page, to fetch the next one."
    )


class ErrorOutput(serializers.Serializer):
    """Every error of the REST API: Cognito's error name and a message for people."""

    code = serializers.CharField(help_text="Cognito's error name, e.g. InvalidParameterException.")
    message = serializers.CharField()


# --- Users, groups and self-service (userpools.api.user_views, group_views, selfservice_views) ----

# Request bodies: the URL names the pool, the user, the group or the app client.
_USER = ("UserPoolId", "Username")
UserCreateInput = shape_serializer(
    "AdminCreateUserRequest", exclude=("UserPoolId",), component="AdminCreateUserInput", base=InputSerializer
)
UserAttributesUpdateInput = shape_serializer(
    "AdminUpdateUserAttributesRequest",
    exclude=_USER,
    component="AdminUpdateUserAttributesInput",
    base=InputSerializer,
)
UserAttributesDeleteInput = shape_serializer(
    "AdminDeleteUserAttributesRequest",
    exclude=_USER,
    component="AdminDeleteUserAttributesInput",
    base=InputSerializer,
)
UserPasswordSetInput = shape_serializer(
    "AdminSetUserPasswordRequest", exclude=_USER, component="AdminSetUserPasswordInput", base=InputSerializer
)
UserConfirmInput = shape_serializer(
    "AdminConfirmSignUpRequest", exclude=_USER, component="AdminConfirmSignUpInput", base=InputSerializer
)
UserPasswordResetInput = shape_serializer(
    "AdminResetUserPasswordRequest", exclude=_USER, component="AdminResetUserPasswordInput", base=InputSerializer
)
GroupCreateInput = shape_serializer(
    "CreateGroupRequest", exclude=("UserPoolId",), component="CreateGroupInput", base=InputSerializer
)
GroupUpdateInput = shape_serializer(
    "UpdateGroupRequest", exclude=("UserPoolId", "GroupName"), component="UpdateGroupInput", base=InputSerializer
)
SignUpInput = shape_serializer("SignUpRequest", exclude=("ClientId",), component="SignUpInput", base=InputSerializer)
ConfirmSignUpInput = shape_serializer(
    "ConfirmSignUpRequest", exclude=("ClientId",), component="ConfirmSignUpInput", base=InputSerializer
)
ResendConfirmationCodeInput = shape_serializer(
    "ResendConfirmationCodeRequest",
    exclude=("ClientId",),
    component="ResendConfirmationCodeInput",
    base=InputSerializer,
)
ForgotPasswordInput = shape_serializer(
    "ForgotPasswordRequest", exclude=("ClientId",), component="ForgotPasswordInput", base=InputSerializer
)
ConfirmForgotPasswordInput = shape_serializer(
    "ConfirmForgotPasswordRequest",
    exclude=("ClientId",),
    component="ConfirmForgotPasswordInput",
    base=InputSerializer,
)

# Response bodies.
UserOutput = shape_serializer("UserType")
UserDetailOutput = shape_serializer("AdminGetUserResponse")
UserListOutput = shape_serializer("ListUsersResponse")
GroupOutput = shape_serializer("GroupType")
GroupListOutput = shape_serializer("ListGroupsResponse")
UserGroupListOutput = shape_serializer("AdminListGroupsForUserResponse")
GroupMemberListOutput = shape_serializer("ListUsersInGroupResponse")
SignUpOutput = shape_serializer("SignUpResponse")
ResendConfirmationCodeOutput = shape_serializer("ResendConfirmationCodeResponse")
ForgotPasswordOutput = shape_serializer("ForgotPasswordResponse")


class UserListQueryInput(InvalidParameterOnError, serializers.Serializer):
    """ListUsers' parameters in the query string; the model's own constraints are checked
    on the assembled request as well (``userpools.spec.validate_request``)."""

    filter = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=256,
        help_text='Cognito\'s filter grammar: `attribute = "value"` or `attribute ^= "value"`.',
    )
    limit = serializers.IntegerField(
        required=False, min_value=0, max_value=60, help_text="Page size (1-60; 0 or absent: 60)."
    )
    pagination_token = serializers.CharField(
        required=False, max_length=131072, help_text="The PaginationToken of the previous page."
    )
    attributes_to_get = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Comma-separated attribute names to return (empty: none; absent: all).",
    )


class GroupListQueryInput(InvalidParameterOnError, serializers.Serializer):
    """ListGroups, AdminListGroupsForUser and ListUsersInGroup paging: Limit and NextToken."""

    limit = serializers.IntegerField(
        required=False, min_value=0, max_value=60, help_text="Page size (1-60; 0 or absent: 60)."
    )
    next_token = serializers.CharField(
        required=False, max_length=131072, help_text="The NextToken of the previous page."
    )
