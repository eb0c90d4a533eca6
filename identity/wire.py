"""The Cognito identity-pool wire API (``AWSCognitoIdentityService.*``).

An explicit registry from operation name to handler, as in :mod:`userpools.wire`: each
handler takes the caller's context and the validated request, calls one service of
:mod:`identity.services`, and returns the output shape built by :mod:`identity.shapes`.
Credentials and OpenID tokens (GetCredentialsForIdentity, GetOpenIdToken,
GetOpenIdTokenForDeveloperIdentity) register from :mod:`identity.wire_credentials`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from identity import shapes
from identity.policy import PASS_ROLE_ACTION
from identity.services import developer, pools
from userpools.conf import cognate_settings
from userpools.context import ServiceContext

Handler = Callable[[ServiceContext, dict[str, Any]], dict[str, Any]]


def create_identity_pool(ctx: ServiceContext, req: dict) -> dict:
    return shapes.identity_pool(pools.identity_pool_create(ctx, req))


def describe_identity_pool(ctx: ServiceContext, req: dict) -> dict:
    return shapes.identity_pool(pools.identity_pool_get(req["IdentityPoolId"]))


def update_identity_pool(ctx: ServiceContext, req: dict) -> dict:
    return shapes.identity_pool(pools.identity_pool_update(ctx, req))


def delete_identity_pool(ctx: ServiceContext, req: dict) -> dict:
    pools.identity_pool_delete(ctx, pool_id=req["IdentityPoolId"])
    return {}


def list_identity_pools(ctx: ServiceContext, req: dict) -> dict:
    page = pools.identity_pools_list(limit=req["MaxResults"], next_token=req.get("NextToken"))
    out: dict[str, Any] = {"IdentityPools": [shapes.identity_pool_short(p) for p in page.items]}
    if page.next_token:
        out["NextToken"] = page.next_token
    return out


def set_identity_pool_roles(ctx: ServiceContext, req: dict) -> dict:
    pools.identity_pool_roles_set(
        ctx, pool_id=req["IdentityPoolId"], roles=req["Roles"], role_mappings=req.get("RoleMappings")
    )
    return {}


def get_identity_pool_roles(ctx: ServiceContext, req: dict) -> dict:
    return shapes.identity_pool_roles(pools.identity_pool_get(req["IdentityPoolId"]))


def set_principal_tag_attribute_map(ctx: ServiceContext, req: dict) -> dict:
    mapping = pools.principal_tag_map_set(
        ctx,
        pool_id=req["IdentityPoolId"],
        provider=req["IdentityProviderName"],
        use_defaults=req.get("UseDefaults"),
        tags=req.get("PrincipalTags"),
    )
    return shapes.principal_tag_map(mapping)


def get_principal_tag_attribute_map(ctx: ServiceContext, req: dict) -> dict:
    mapping = pools.principal_tag_map_get(pool_id=req["IdentityPoolId"], provider=req["IdentityProviderName"])
    return shapes.principal_tag_map(mapping)


def tag_resource(ctx: ServiceContext, req: dict) -> dict:
    pools.identity_pool_tag(ctx, arn=req["ResourceArn"], tags=req["Tags"])
    return {}


def untag_resource(ctx: ServiceContext, req: dict) -> dict:
    pools.identity_pool_untag(ctx, arn=req["ResourceArn"], keys=req["TagKeys"])
    return {}


def list_tags_for_resource(ctx: ServiceContext, req: dict) -> dict:
    return {"Tags": pools.identity_pool_tags(arn=req["ResourceArn"])}


def get_id(ctx: ServiceContext, req: dict) -> dict:
    identity = pools.identity_id_get(ctx, pool_id=req["IdentityPoolId"], logins=req.get("Logins", {}))
    return {"IdentityId": identity.id}


def describe_identity(ctx: ServiceContext, req: dict) -> dict:
    return shapes.identity_description(pools.identity_describe(identity_id=req["IdentityId"]))


def list_identities(ctx: ServiceContext, req: dict) -> dict:
    page = pools.identities_list(
        pool_id=req["IdentityPoolId"],
        limit=req["MaxResults"],
        next_token=req.get("NextToken"),
        hide_disabled=req.get("HideDisabled", False),
    )
    out: dict[str, Any] = {
        "IdentityPoolId": req["IdentityPoolId"],
        "Identities": [shapes.identity_description(i) for i in page.items],
    }
    if page.next_token:
        out["NextToken"] = page.next_token
    return out


def delete_identities(ctx: ServiceContext, req: dict) -> dict:
    unprocessed = pools.identities_delete(ctx, identity_ids=req["IdentityIdsToDelete"])
    return {"UnprocessedIdentityIds": [{"IdentityId": i, "ErrorCode": "InternalServerError"} for i in unprocessed]}


def unlink_identity(ctx: ServiceContext, req: dict) -> dict:
    pools.identity_unlink(
        ctx, identity_id=req["IdentityId"], logins=req["Logins"], logins_to_remove=req["LoginsToRemove"]
    )
    return {}


def lookup_developer_identity(ctx: ServiceContext, req: dict) -> dict:
    found = developer.developer_identity_lookup(
        pool_id=req["IdentityPoolId"],
        identity_id=req.get("IdentityId"),
        identifier=req.get("DeveloperUserIdentifier"),
        limit=req.get("MaxResults", 60),
        next_token=req.get("NextToken"),
    )
    out: dict[str, Any] = {"IdentityId": found.identity_id, "DeveloperUserIdentifierList": found.identifiers}
    if found.next_token:
        out["NextToken"] = found.next_token
    return out


def merge_developer_identities(ctx: ServiceContext, req: dict) -> dict:
    identity = developer.developer_identities_merge(
        ctx,
        pool_id=req["IdentityPoolId"],
        provider_name=req["DeveloperProviderName"],
        source=req["SourceUserIdentifier"],
        destination=req["DestinationUserIdentifier"],
    )
    return {"IdentityId": identity.id}


def unlink_developer_identity(ctx: ServiceContext, req: dict) -> dict:
    developer.developer_identity_unlink(
        ctx,
        pool_id=req["IdentityPoolId"],
        identity_id=req["IdentityId"],
        provider_name=req["DeveloperProviderName"],
        identifier=req["DeveloperUserIdentifier"],
    )
    return {}


HANDLERS: dict[str, Handler] = {
    "CreateIdentityPool": create_identity_pool,
    "DescribeIdentityPool": describe_identity_pool,
    "UpdateIdentityPool": update_identity_pool,
    "DeleteIdentityPool": delete_identity_pool,
    "ListIdentityPools": list_identity_pools,
    "SetIdentityPoolRoles": set_identity_pool_roles,
    "GetIdentityPoolRoles": get_identity_pool_roles,
    "SetPrincipalTagAttributeMap": set_principal_tag_attribute_map,
    "GetPrincipalTagAttributeMap": get_principal_tag_attribute_map,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
    "GetId": get_id,
    "DescribeIdentity": describe_identity,
    "ListIdentities": list_identities,
    "DeleteIdentities": delete_identities,
    "UnlinkIdentity": unlink_identity,
    "LookupDeveloperIdentity": lookup_developer_identity,
    "MergeDeveloperIdentities": merge_developer_identities,
    "UnlinkDeveloperIdentity": unlink_developer_identity,
}


Authorization = tuple[str, str]  # (IAM action, resource ARN)


def _pool_arn_in_region(region: str, pool_part: str) -> str:
    return f"arn:aws:cognito-identity:{region}:{cognate_settings().ACCOUNT_ID}:identitypool/{pool_part}"


def _identity_pools_arns(identity_ids: list[str]) -> list[str]:
    """The ARNs of the identity pools that ``identity_ids`` belong to. An id that names no
    identity is authorized as "any pool of its region" (``identitypool/{region}:*``): a
    caller allowed only some pools is refused it exactly as an id of a pool it may not
    touch, so an unknown id and a foreign one look alike to it."""
    found = pools.identity_pool_ids_of(identity_ids)
    arns = []
    for identity_id in identity_ids:
        pool_id = found.get(identity_id)
        if pool_id is not None:
            arns.append(pools.identity_pool_arn(pool_id))
        else:
            region = identity_id.split(":", 1)[0]
            arns.append(_pool_arn_in_region(region, f"{region}:*"))
    return list(dict.fromkeys(arns))


def iam_resources(operation: str, params: Any) -> list[str]:
    """The identity-pool ARNs an operation acts on: the pool it names (IdentityPoolId, or
    ResourceArn in its canonical spelling), the pools of the identities it names
    (DescribeIdentity, DeleteIdentities), else ``*`` (CreateIdentityPool,
    ListIdentityPools), as AWS authorizes them."""
    if not isinstance(params, dict):
        return ["*"]
    arn = params.get("ResourceArn")
    if isinstance(arn, str):
        pool_id = pools.identity_pool_id_of_arn(arn)
        return [pools.identity_pool_arn(pool_id) if pool_id else arn]
    pool_id = params.get("IdentityPoolId")
    if isinstance(pool_id, str):
        return [pools.identity_pool_arn(pool_id)]
    if isinstance(params.get("IdentityId"), str):
        return _identity_pools_arns([params["IdentityId"]])
    ids = params.get("IdentityIdsToDelete")
    if isinstance(ids, list) and ids:
        return _identity_pools_arns([i for i in ids if isinstance(i, str)])
    return ["*"]


def iam_authorizations(operation: str, params: Any) -> list[Authorization]:
    """Every (action, resource) a signed request must be allowed: the operation on each
    resource it touches, and iam:PassRole on each role SetIdentityPoolRoles hands over
    (a caller may give a pool only roles it may pass)."""
    checks = [(f"cognito-identity:{operation}", resource) for resource in iam_resources(operation, params)]
    if operation == "SetIdentityPoolRoles" and isinstance(params, dict):
        passed = pools.role_arns_passed(params.get("Roles"), params.get("RoleMappings"))
        checks += [(PASS_ROLE_ACTION, arn) for arn in passed]
    return checks


# Credentials, OpenID tokens and the developer broker (identity.wire_credentials), once it
# exists. Only a missing module is tolerated: an ImportError inside it still surfaces.
try:
    from identity import wire_credentials
except ImportError as exc:  # pragma: no cover - until it exists
    if exc.name != "identity.wire_credentials":
        raise
else:
    HANDLERS.update(wire_credentials.HANDLERS)
