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
from identity.wire import HANDLERS as IDENTITY_HANDLERS
from identity.wire import iam_resource as identity_resource
from userpools.awsmodel import ServiceSpec
from userpools.ids import user_pool_arn
from userpools.wire import HANDLERS as IDP_HANDLERS


@dataclass(frozen=True)
class WireService:
    spec: ServiceSpec
    handlers: Mapping[str, Callable]
    iam_prefix: str
    resource: Callable[[str, Any], str]


def idp_resource(operation: str, params: Any) -> str:
    """The IAM resource an operation acts on: the pool's ARN where it names one, else ``*``."""
    if isinstance(params, dict):
        if isinstance(params.get("ResourceArn"), str):
            return params["ResourceArn"]
        if isinstance(params.get("UserPoolId"), str):
            return user_pool_arn(params["UserPoolId"])
    return "*"


@cache
def services() -> dict[str, WireService]:
    idp = ServiceSpec.load("cognito-idp")
    identity = ServiceSpec.load("cognito-identity")
    return {
        idp.target_prefix: WireService(idp, ChainMap(IDP_HANDLERS, HOSTEDUI_HANDLERS), "cognito-idp", idp_resource),
        identity.target_prefix: WireService(identity, IDENTITY_HANDLERS, "cognito-identity", identity_resource),
    }


def service_for_target(target: str) -> tuple[WireService | None, str]:
    prefix, _, operation = target.partition(".")
    service = services().get(prefix)
    if service is None or operation not in service.spec.operation_names():
        return None, operation
    return service, operation
