"""Target prefixes of the wire protocol, mapped to each app's handler registry.

``AWSCognitoIdentityProviderService.*`` goes to :mod:`userpools.wire` and, for the hosted
pages' look (UI customization, managed login branding, terms), :mod:`hostedui.wire`;
``AWSCognitoIdentityService.*`` to :mod:`identity.wire`.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from hostedui.wire import HANDLERS as HOSTEDUI_HANDLERS
from identity.policy import PASS_ROLE_ACTION
from identity.wire import HANDLERS as IDENTITY_HANDLERS
from identity.wire import iam_authorizations as identity_authorizations
from userpools.awsmodel import ServiceSpec
from userpools.conf import cognate_settings
from userpools.ids import user_pool_arn
from userpools.services import domains
from userpools.wire import HANDLERS as IDP_HANDLERS

Authorization = tuple[str, str]  # (IAM action, resource ARN)


@dataclass(frozen=True)
class WireService:
    spec: ServiceSpec
    handlers: Mapping[str, Callable]
    iam_prefix: str
    # Every (action, resource) a signed request for an operation must be allowed, in order:
    # the operation on each resource it touches, then iam:PassRole on each role it hands over.
    authorizations: Callable[[str, Any], list[Authorization]]


def _any_user_pool() -> str:
    conf = cognate_settings()
    return f"arn:aws:cognito-idp:{conf.REGION}:{conf.ACCOUNT_ID}:userpool/*"


def idp_resource(operation: str, params: Any) -> str:
    """The IAM resource an operation acts on: the pool's ARN where it names one (UserPoolId,
    ResourceArn, or the pool a Domain belongs to), else ``*`` (CreateUserPool,
    ListUserPools, ...). An unknown domain is "any pool" (``userpool/*``): a caller allowed
    only some pools is refused it as it is a domain of a pool it may not touch."""
    if isinstance(params, dict):
        if isinstance(params.get("ResourceArn"), str):
            # userpools.services.pools._pool_for_arn accepts only the canonical spelling.
            return params["ResourceArn"]
        if isinstance(params.get("UserPoolId"), str):
            return user_pool_arn(params["UserPoolId"])
        if operation == "DescribeUserPoolDomain" and isinstance(params.get("Domain"), str):
            domain = domains.user_pool_domain_describe(name=params["Domain"])
            return user_pool_arn(domain.pool_id) if domain is not None else _any_user_pool()
    return "*"


# Operations that hand a role to a group: its RoleArn is used later for the members'
# cognito:preferred_role / cognito:roles, which identity pools turn into credentials.
_GROUP_ROLE_OPERATIONS = frozenset({"CreateGroup", "UpdateGroup"})


def idp_authorizations(operation: str, params: Any) -> list[Authorization]:
    checks = [(f"cognito-idp:{operation}", idp_resource(operation, params))]
    if operation in _GROUP_ROLE_OPERATIONS and isinstance(params, dict):
        role = params.get("RoleArn")
        if isinstance(role, str) and role:  # an empty RoleArn takes the role away: nothing is passed
            checks.append((PASS_ROLE_ACTION, role))
    return checks


@cache
def services() -> dict[str, WireService]:
    idp = ServiceSpec.load("cognito-idp")
    identity = ServiceSpec.load("cognito-identity")
    return {
        idp.target_prefix: WireService(
            idp, ChainMap(IDP_HANDLERS, HOSTEDUI_HANDLERS), "cognito-idp", idp_authorizations
        ),
        identity.target_prefix: WireService(identity, IDENTITY_HANDLERS, "cognito-identity", identity_authorizations),
    }


def service_for_target(target: str) -> tuple[WireService | None, str]:
    prefix, _, operation = target.partition(".")
    service = services().get(prefix)
    if service is None or operation not in service.spec.operation_names():
        return None, operation
    return service, operation
