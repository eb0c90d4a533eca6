"""Wire handlers for OAuth 2.0 resource servers and their custom scopes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from userpools import shapes
from userpools.context import ServiceContext
from userpools.services import resource_servers


def create_resource_server(ctx: ServiceContext, req: dict) -> dict:
    return {"ResourceServer": shapes.resource_server(resource_servers.resource_server_create(ctx, req))}


def describe_resource_server(ctx: ServiceContext, req: dict) -> dict:
    server = resource_servers.resource_server_describe(pool_id=req["UserPoolId"], identifier=req["Identifier"])
    return {"ResourceServer": shapes.resource_server(server)}


def update_resource_server(ctx: ServiceContext, req: dict) -> dict:
    return {"ResourceServer": shapes.resource_server(resource_servers.resource_server_update(ctx, req))}


def delete_resource_server(ctx: ServiceContext, req: dict) -> dict:
    resource_servers.resource_server_delete(ctx, pool_id=req["UserPoolId"], identifier=req["Identifier"])
    return {}


def list_resource_servers(ctx: ServiceContext, req: dict) -> dict:
    page = resource_servers.resource_server_list(
        pool_id=req["UserPoolId"], max_results=req.get("MaxResults"), next_token=req.get("NextToken")
    )
    out: dict[str, Any] = {"ResourceServers": [shapes.resource_server(s) for s in page.items]}
    if page.next_token:
        out["NextToken"] = page.next_token
    return out


HANDLERS: dict[str, Callable[[ServiceContext, dict], dict]] = {
    "CreateResourceServer": create_resource_server,
    "DescribeResourceServer": describe_resource_server,
    "UpdateResourceServer": update_resource_server,
    "DeleteResourceServer": delete_resource_server,
    "ListResourceServers": list_resource_servers,
}
