"""The Cognito user-pool service model (botocore's cognito-idp), for services to validate with.

Services validate the Cognito-shaped requests they receive against the model, so the
REST API and the admin console get the wire API's rules; the wire layer validates
every operation's input before dispatch as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from userpools.awsmodel import RequestValidationError, ServiceSpec, validate_input
from userpools.errors import ErrorCode, ServiceError


def idp_spec() -> ServiceSpec:
    return ServiceSpec.load("cognito-idp")


def validate_request(operation: str, request: Mapping[str, Any]) -> None:
    """Raise InvalidParameterException (or SerializationException) naming the offending member."""
    try:
        validate_input(idp_spec(), operation, request)
    except RequestValidationError as exc:
        raise ServiceError(exc.message, code=ErrorCode(exc.code)) from None


def request_members(shape_name: str) -> tuple[str, ...]:
    """Member names of a structure shape of the model, in the model's order."""
    return tuple(idp_spec().shape(shape_name)["members"])
