"""The REST API's translation table: domain error codes to HTTP problem responses."""

from __future__ import annotations

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from userpools.errors import ErrorCode, ServiceError

HTTP_STATUS = {
    ErrorCode.MISSING_AUTHENTICATION_TOKEN: 401,
    ErrorCode.INCOMPLETE_SIGNATURE: 401,
    ErrorCode.INVALID_SIGNATURE: 401,
    ErrorCode.UNRECOGNIZED_CLIENT: 401,
    ErrorCode.RESOURCE_NOT_FOUND: 404,
    ErrorCode.USER_NOT_FOUND: 404,
    ErrorCode.USERNAME_EXISTS: 409,
    ErrorCode.GROUP_EXISTS: 409,
    ErrorCode.ALIAS_EXISTS: 409,
    ErrorCode.TOO_MANY_FAILED_ATTEMPTS: 429,
    ErrorCode.ACCESS_DENIED: 403,
    ErrorCode.NOT_AUTHORIZED: 403,
    ErrorCode.LIMIT_EXCEEDED: 409,
    ErrorCode.CONCURRENT_MODIFICATION: 409,
    ErrorCode.TOO_MANY_REQUESTS: 429,
    ErrorCode.INTERNAL_ERROR: 500,
}


def exception_handler(exc, context):
    """ServiceError → ``{"code": "...", "message": "..."}`` with a fitting HTTP status."""
    if isinstance(exc, ServiceError):
        return Response({"code": exc.code.value, "message": exc.message}, status=HTTP_STATUS.get(exc.code, 400))
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        detail = response.data["detail"]
        response.data = {"code": getattr(detail, "code", "error"), "message": str(detail)}
    return response
