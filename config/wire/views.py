"""The AWS JSON 1.1 protocol at ``POST /``: Cognito's wire API.

One request: read ``X-Amz-Target``, authenticate the caller (SigV4) unless the model
marks the operation unsigned, parse and validate the JSON body against the botocore
model, authorize the action on its resource, call the operation's handler, render.
Every error leaves as HTTP 400 ``{"__type": ..., "message": ...}`` (500 for
``InternalErrorException``, which is logged) and every response carries
``x-amzn-RequestId``. This module owns the protocol's one translation table.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from config.wire.registry import WireService, service_for_target
from identity import sigv4
from identity.services.callers import caller_authenticate, caller_authorize
from userpools import jsonbody
from userpools.awsmodel import RequestValidationError, validate_input
from userpools.context import ServiceContext
from userpools.errors import ErrorCode, ServiceError
from userpools.services.updates import without_nulls

logger = logging.getLogger("cognate.wire")

CONTENT_TYPE = "application/x-amz-json-1.1"
# The model's error names that are not client errors.
_STATUS = {ErrorCode.INTERNAL_ERROR: 500}


def _render(payload: dict[str, Any], request_id: str, status: int = 200) -> HttpResponse:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPE)
    response["x-amzn-RequestId"] = request_id
    return response


def render_error(code: str, message: str, request_id: str) -> HttpResponse:
    code = str(code)
    response = _render({"__type": code, "message": message}, request_id, _STATUS.get(code, 400))
    response["x-amzn-ErrorType"] = code
    return response


def _signed_request(request: HttpRequest) -> sigv4.SignedRequest:
    headers = {k.lower(): v for k, v in request.headers.items()}
    return sigv4.SignedRequest(
        method=request.method or "POST",
        path=request.path,
        query_string=request.META.get("QUERY_STRING", ""),
        headers=headers,
        body=request.body,
    )


def _parse_body(body: bytes) -> Any:
    if not body.strip():
        return {}
    return jsonbody.loads(body)  # bounded; SerializationException for what cannot be read


# NUL, and any UTF-16 surrogate (in a str from json.loads, a surrogate is always unpaired).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable(text: str) -> bool:
    # One C-level scan: tokens and passwords are long, and this runs on every request.
    return ("\x00" not in text) if text.isascii() else _UNSTORABLE.search(text) is None


def _unstorable(value: Any) -> str | None:
    """The path of the first string holding NUL or a lone surrogate: JSON can carry them,
    but no database column (PostgreSQL text or jsonb) or UTF-8 encoder can. A walk with
    its own stack (jsonbody.loads has bounded the depth, but nothing here recurses)."""
    if isinstance(value, str):
        return None if _storable(value) else "(body)"
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        container, path = stack.pop()
        if isinstance(container, dict):
            items = container.items()
        elif isinstance(container, list):
            items = enumerate(container, 1)
        else:
            continue
        for key, item in items:
            if isinstance(key, str) and not _storable(key):
                return path or "(body)"
            if isinstance(item, str):
                if not _storable(item):
                    return f"{path}.{key}" if path else str(key)
            elif isinstance(item, (dict, list)):
                stack.append((item, f"{path}.{key}" if path else str(key)))
    return None


def _dispatch(request: HttpRequest, request_id: str) -> HttpResponse:
    meta = request.META  # not request.headers, which copies every header into a new mapping
    target = meta.get("HTTP_X_AMZ_TARGET", "")
    service, operation = service_for_target(target)
    if service is None:
        raise ServiceError(f"Unknown operation {target!r}.", code=ErrorCode.UNKNOWN_OPERATION)
    caller = None
    if not service.spec.is_unsigned(operation):
        caller = caller_authenticate(_signed_request(request), service=service.iam_prefix)
    params = _parse_body(request.body)
    try:
        validate_input(service.spec, operation, params)
    except RequestValidationError as exc:
        raise ServiceError(exc.message, code=ErrorCode(exc.code)) from None
    # In the JSON protocol a null member is an absent one; services never see nulls.
    params = without_nulls(params)
    bad = _unstorable(params)
    if bad is not None:
        raise ServiceError(
            f"Value at '{bad}' contains a NUL character or an unpaired surrogate.", code=ErrorCode.INVALID_PARAMETER
        )
    if caller is not None:
        for action, resource in service.authorizations(operation, params):
            caller_authorize(caller, action=action, resource=resource)
    handler = service.handlers.get(operation)
    if handler is None:
        raise ServiceError(
            f"Cognate does not implement {operation} yet; see the operations table in README.md.",
            code=ErrorCode.UNSUPPORTED_OPERATION,
        )
    ctx = ServiceContext(
        actor=caller.actor if caller else "anonymous",
        source_ip=meta.get("REMOTE_ADDR"),
        user_agent=meta.get("HTTP_USER_AGENT"),
        request_id=request_id,
    )
    return _render(handler(ctx, params), request_id)


@csrf_exempt
def wire_endpoint(request: HttpRequest) -> HttpResponse:
    request_id = str(uuid.uuid4())
    if request.method == "GET":
        response = JsonResponse({"service": "cognate", "protocol": "awsJson1_1", "status": "ok"})
        response["x-amzn-RequestId"] = request_id
        return response
    if request.method != "POST":
        return render_error(ErrorCode.UNKNOWN_OPERATION, f"Method {request.method} is not supported.", request_id)
    try:
        return _dispatch(request, request_id)
    except ServiceError as exc:
        return render_error(exc.code, exc.message, request_id)
    except RequestDataTooBig:
        return render_error(ErrorCode.INVALID_PARAMETER, "The request body is too large.", request_id)
    except Exception:  # noqa: BLE001 - the protocol's last line: log, never leak a debug page
        logger.exception("Unhandled error in %s (request %s)", request.headers.get("X-Amz-Target"), request_id)
        return render_error(ErrorCode.INTERNAL_ERROR, "Internal server error.", request_id)


__all__ = ["wire_endpoint", "render_error", "WireService"]
