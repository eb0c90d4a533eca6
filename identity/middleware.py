"""SigV4 for plain Django views: requests under ``COGNATE_SIGV4_RESOURCE["PATHS"]`` must be
signed with identity-pool credentials and allowed by the role's policy
(:mod:`identity.resource` has the mapping). Add ``identity.middleware.SigV4ResourceMiddleware``
to ``MIDDLEWARE``, or wrap single views with :func:`sigv4_protected`.

A view may set ``iam_action`` (a string, or a dict keyed by HTTP method) to name the
action; ``request.aws_caller`` is the :class:`~identity.services.callers.Caller`.
Failures answer as API Gateway does: HTTP 403 with ``{"__type": code, "message": ...}``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import decorator_from_middleware

from identity import resource
from userpools.errors import ServiceError


def _refused(exc: ServiceError) -> JsonResponse:
    response = JsonResponse({"__type": exc.code.value, "message": exc.message}, status=403)
    response["x-amzn-ErrorType"] = exc.code.value
    return response


class SigV4ResourceMiddleware:
    """Authenticate and authorize every request whose path starts with one of ``PATHS``
    (all requests when used through :func:`sigv4_protected`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse] | None = None, *, every_path: bool = False):
        self.get_response = get_response
        self.every_path = every_path

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        if not (self.every_path or resource.guarded(request.path)):
            return None
        view_class = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
        iam_action = getattr(view_func, "iam_action", None) or getattr(view_class, "iam_action", None)
        try:
            caller = resource.request_authenticate(request)
            resource.request_authorize(caller, request, iam_action=iam_action)
        except ServiceError as exc:
            return _refused(exc)
        request.aws_caller = caller
        return None


class _EveryPath(SigV4ResourceMiddleware):
    def __init__(self, get_response=None):
        super().__init__(get_response, every_path=True)


sigv4_protected = decorator_from_middleware(_EveryPath)
"""Decorator: the middleware's checks for one view, whatever its path."""
