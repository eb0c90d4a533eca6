"""Wire handlers for pool configuration: pools, app clients, domains, tags, MFA settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from userpools import shapes
from userpools.context import ServiceContext
from userpools.services import clients, domains, pools, tokens


def create_user_pool(ctx: ServiceContext, req: dict) -> dict:
    pool = pools.user_pool_create(ctx, req)
    return {"UserPool": shapes.user_pool(pool, estimated_users=0, domains=[])}


def describe_user_pool(ctx: ServiceContext, req: dict) -> dict:
    d = pools.user_pool_describe(pool_id=req["UserPoolId"])
    return {"UserPool": shapes.user_pool(d.pool, estimated_users=d.estimated_users, domains=d.domains)}


def update_user_pool(ctx: ServiceContext, req: dict) -> dict:
    pools.user_pool_update(ctx, req)
    return {}


def delete_user_pool(ctx: ServiceContext, req: dict) -> dict:
    pools.user_pool_delete(ctx, pool_id=req["UserPoolId"])
    return {}


def list_user_pools(ctx: ServiceContext, req: dict) -> dict:
    page = pools.user_pool_list(max_results=req["MaxResults"], next_token=req.get("NextToken"))
    out: dict[str, Any] = {"UserPools": [shapes.user_pool_description(p) for p in page.items]}
    if page.next_token:
        out["NextToken"] = page.next_token
    return out


def add_custom_attributes(ctx: ServiceContext, req: dict) -> dict:
    pools.user_pool_add_custom_attributes(ctx, pool_id=req["UserPoolId"], attributes=req["CustomAttributes"])
    return {}


def get_csv_header(ctx: ServiceContext, req: dict) -> dict:
    return {"UserPoolId": req["UserPoolId"], "CSVHeader": pools.user_pool_csv_header(pool_id=req["UserPoolId"])}


def get_user_pool_mfa_config(ctx: ServiceContext, req: dict) -> dict:
    return shapes.mfa_config(pools.user_pool_get(req["UserPoolId"]))


def set_user_pool_mfa_config(ctx: ServiceContext, req: dict) -> dict:
    return shapes.mfa_config(pools.user_pool_set_mfa_config(ctx, req))


def create_user_pool_client(ctx: ServiceContext, req: dict) -> dict:
    return {"UserPoolClient": shapes.user_pool_client(clients.user_pool_client_create(ctx, req))}


def describe_user_pool_client(ctx: ServiceContext, req: dict) -> dict:
    client = clients.user_pool_client_get(pool_id=req["UserPoolId"], client_id=req["ClientId"])
    return {"UserPoolClient": shapes.user_pool_client(client)}


def update_user_pool_client(ctx: ServiceContext, req: dict) -> dict:
    return {"UserPoolClient": shapes.user_pool_client(clients.user_pool_client_update(ctx, req))}


def delete_user_pool_client(ctx: ServiceContext, req: dict) -> dict:
    clients.user_pool_client_delete(ctx, pool_id=req["UserPoolId"], client_id=req["ClientId"])
    return {}


def list_user_pool_clients(ctx: ServiceContext, req: dict) -> dict:
    page = clients.user_pool_client_list(
        pool_id=req["UserPoolId"], max_results=req.get("MaxResults", 60), next_token=req.get("NextToken")
    )
    out: dict[str, Any] = {"UserPoolClients": [shapes.user_pool_client_description(c) for c in page.items]}
    if page.next_token:
        out["NextToken"] = page.next_token
    return out


def add_user_pool_client_secret(ctx: ServiceContext, req: dict) -> dict:
    secret = clients.client_secret_add(
        ctx, pool_id=req["UserPoolId"], client_id=req["ClientId"], secret=req.get("ClientSecret")
    )
    # Cognito returns ClientSecretValue only for a secret it generated, not one the caller chose.
    generated = req.get("ClientSecret") is None
    return {"ClientSecretDescriptor": shapes.client_secret_descriptor(secret, with_value=generated)}


def list_user_pool_client_secrets(ctx: ServiceContext, req: dict) -> dict:
    secrets = clients.client_secret_list(pool_id=req["UserPoolId"], client_id=req["ClientId"])
    return {"ClientSecrets": [shapes.client_secret_descriptor(s, with_value=False) for s in secrets]}


def delete_user_pool_client_secret(ctx: ServiceContext, req: dict) -> dict:
    clients.client_secret_delete(
        ctx, pool_id=req["UserPoolId"], client_id=req["ClientId"], secret_id=req["ClientSecretId"]
    )
    return {}


def create_user_pool_domain(ctx: ServiceContext, req: dict) -> dict:
    domain = domains.user_pool_domain_create(ctx, req)
    out: dict[str, Any] = {"ManagedLoginVersion": domain.managed_login_version}
    if domain.is_custom:
        out["CloudFrontDomain"] = domains.public_host()
    return out


def describe_user_pool_domain(ctx: ServiceContext, req: dict) -> dict:
    domain = domains.user_pool_domain_describe(name=req["Domain"])
    return {"DomainDescription": shapes.domain_description(domain, cloudfront_domain=domains.public_host())}


def update_user_pool_domain(ctx: ServiceContext, req: dict) -> dict:
    domain = domains.user_pool_domain_update(ctx, req)
    out: dict[str, Any] = {"ManagedLoginVersion": domain.managed_login_version}
    if domain.is_custom:
        out["CloudFrontDomain"] = domains.public_host()
    return out


def delete_user_pool_domain(ctx: ServiceContext, req: dict) -> dict:
    domains.user_pool_domain_delete(ctx, pool_id=req["UserPoolId"], name=req["Domain"])
    return {}


def tag_resource(ctx: ServiceContext, req: dict) -> dict:
    pools.user_pool_tag(ctx, arn=req["ResourceArn"], tags=req["Tags"])
    return {}


def untag_resource(ctx: ServiceContext, req: dict) -> dict:
    pools.user_pool_untag(ctx, arn=req["ResourceArn"], keys=req["TagKeys"])
    return {}


def list_tags_for_resource(ctx: ServiceContext, req: dict) -> dict:
    return {"Tags": pools.user_pool_tags(arn=req["ResourceArn"])}


def get_signing_certificate(ctx: ServiceContext, req: dict) -> dict:
    return {"Certificate": tokens.signing_certificate(pool_id=req["UserPoolId"])}


HANDLERS: dict[str, Callable[[ServiceContext, dict], dict]] = {
    "CreateUserPool": create_user_pool,
    "DescribeUserPool": describe_user_pool,
    "UpdateUserPool": update_user_pool,
    "DeleteUserPool": delete_user_pool,
    "ListUserPools": list_user_pools,
    "AddCustomAttributes": add_custom_attributes,
    "GetCSVHeader": get_csv_header,
    "GetUserPoolMfaConfig": get_user_pool_mfa_config,
    "SetUserPoolMfaConfig": set_user_pool_mfa_config,
    "CreateUserPoolClient": create_user_pool_client,
    "DescribeUserPoolClient": describe_user_pool_client,
    "UpdateUserPoolClient": update_user_pool_client,
    "DeleteUserPoolClient": delete_user_pool_client,
    "ListUserPoolClients": list_user_pool_clients,
    "AddUserPoolClientSecret": add_user_pool_client_secret,
    "ListUserPoolClientSecrets": list_user_pool_client_secrets,
    "DeleteUserPoolClientSecret": delete_user_pool_client_secret,
    "CreateUserPoolDomain": create_user_pool_domain,
    "DescribeUserPoolDomain": describe_user_pool_domain,
    "UpdateUserPoolDomain": update_user_pool_domain,
    "DeleteUserPoolDomain": delete_user_pool_domain,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
    "GetSigningCertificate": get_signing_certificate,
}
