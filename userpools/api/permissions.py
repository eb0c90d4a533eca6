"""Authorization of the REST API: the caller's IAM-style policy, with Cognito's action names.

A REST request is the same act as a wire-API operation, so it is authorized as that
operation: ``GET /api/v1/user-pools/{id}/`` needs ``cognito-idp:DescribeUserPool`` on the
pool's ARN, exactly as ``DescribeUserPool`` over the wire does (``config.wire.registry``
uses the same resource rule: the pool's ARN where the request names a pool, else ``*``).
An access key whose policy allows the wire operation allows its REST twin.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.permissions import BasePermission

from identity.policy import PASS_ROLE_ACTION
from identity.services.callers import Caller, caller_authorize
from userpools.ids import user_pool_arn

IAM_PREFIX = "cognito-idp"


class CognitoActionPermission(BasePermission):
    """Allow a request when the caller's policy allows the view's Cognito action.

    Views name their actions per HTTP method in ``cognito_actions``
    (``{"GET": "DescribeUserPool", ...}``); HEAD and OPTIONS count as GET. The resource is
    the ARN of the pool in the URL (``pool_id``), or ``*`` for pool-independent actions
    (ListUserPools, CreateUserPool). A denial raises ``AccessDeniedException`` (403); an
    unauthenticated request is refused before that (401).
    """

    def has_permission(self, request, view) -> bool:
        caller = request.auth
        if not isinstance(caller, Caller):
            return False
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        action = view.cognito_actions.get(method)
        if action is None:  # a method the view does not serve: let DRF answer 405
            return True
        pool_id = view.kwargs.get("pool_id")
        caller_authorize(caller, action=f"{IAM_PREFIX}:{action}", resource=user_pool_arn(pool_id) if pool_id else "*")
        return True


def authorize_role_pass(caller: Caller, role_arn: str | None) -> None:
    """A group's RoleArn is handed to it (and, through its members' tokens, to identity
    pools): as over the wire (config/wire/registry.py), setting one needs iam:PassRole
    on that role. An absent or empty RoleArn passes nothing."""
    if role_arn:
        caller_authorize(caller, action=PASS_ROLE_ACTION, resource=role_arn)


class SigV4AuthenticationScheme(OpenApiAuthenticationExtension):
    """Describes :class:`identity.drf.SigV4Authentication` in the OpenAPI document."""

    target_class = "identity.drf.SigV4Authentication"
    name = "SigV4"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "AWS Signature Version 4 (`AWS4-HMAC-SHA256`, service `cognito-idp`, the pool region, e.g. "
                "`us-east-1`) made with an operator access key from the admin console, as boto3's "
                "`botocore.auth.SigV4Auth` signs. Send `X-Amz-Date` (or `Date`) and sign `host`. "
                "The key's policy is checked with Cognito's action names (`cognito-idp:CreateUserPool` ...)."
            ),
        }
