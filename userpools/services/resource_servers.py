"""Resource servers and their custom scopes (API reference: CreateResourceServer,
DescribeResourceServer, UpdateResourceServer, DeleteResourceServer, ListResourceServers).

A custom scope is ``{Identifier}/{ScopeName}``; app clients may be allowed custom scopes
of their pool's resource servers (AllowedOAuthScopes), and access tokens from the OAuth
2.0 endpoints carry the ones granted.

Rules (developer guide, "Scopes, M2M, and API authorization with resource servers" and
"Quotas in Amazon Cognito"):

* the Identifier is unique within a pool and never changes; a second server with the same
  Identifier is InvalidParameterException (the model lists no "exists" error for
  CreateResourceServer);
* a pool has at most 25 resource servers (LimitExceededException), a server at most 100
  scopes (the model's ``max`` on ResourceServerScopeListType, so InvalidParameterException);
  scope names are unique within a server;
* UpdateResourceServer replaces the Name and the Scopes: omitted Scopes means none (API
  reference: "If you don't provide a value for an attribute, it is set to the default
  value");
* deleting a scope or a server leaves app clients' AllowedOAuthScopes as they are: "Deleting
  a scope from a resource server does not delete its association with all clients; instead,
  the scope is marked inactive" -- the OAuth endpoints leave it out of tokens until it is
  defined again (:func:`custom_scopes`);
* ManagedBy is "reserved for resource servers that Amazon Cognito manages. Resource servers
  that you create don't have this value": servers created here never carry it.

Unknown pools and unknown identifiers are ResourceNotFoundException. Permission checks
belong to the caller (the protocol layer).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from userpools.context import ServiceContext
from userpools.errors import InvalidParameter, LimitExceeded, ResourceNotFound
from userpools.models import ResourceServer
from userpools.services.audit import audit_record
from userpools.services.pagination import Page, paginate
from userpools.services.pools import user_pool_get
from userpools.spec import validate_request

MAX_RESOURCE_SERVERS_PER_POOL = 25
MAX_LIST_RESULTS = 50  # ListResourceServersLimitType's max; also the page size when MaxResults is absent


def custom_scopes(pool_id: str) -> set[str]:
    """Every ``{identifier}/{scope}`` the pool's resource servers define now."""
    names: set[str] = set()
    for server in ResourceServer.objects.filter(pool_id=pool_id).only("identifier", "scopes"):
        names.update(server.scope_names())
    return names


def _scopes(request: Mapping[str, Any]) -> list[dict[str, str]]:
    """The request's Scopes in Cognito's shape (validated by the model), names unique."""
    scopes = [
        {"ScopeName": s["ScopeName"], "ScopeDescription": s["ScopeDescription"]} for s in request.get("Scopes") or []
    ]
    seen: set[str] = set()
    for scope in scopes:
        if scope["ScopeName"] in seen:
            raise InvalidParameter(f"Duplicate scope name {scope['ScopeName']} in the resource server.")
        seen.add(scope["ScopeName"])
    return scopes


def resource_server_get(*, pool_id: str, identifier: str, lock: bool = False) -> ResourceServer:
    """The pool's resource server; ResourceNotFoundException for an unknown pool or identifier."""
    qs = ResourceServer.objects.select_for_update() if lock else ResourceServer.objects
    server = qs.filter(pool_id=pool_id, identifier=identifier).first()
    if server is None:
        user_pool_get(pool_id)  # an unknown pool says so
        raise ResourceNotFound(f"Resource server {identifier} does not exist.")
    return server


@transaction.atomic
def resource_server_create(ctx: ServiceContext, request: Mapping[str, Any]) -> ResourceServer:
    """CreateResourceServer. Raises InvalidParameter (bad input, duplicate Identifier or
    scope name), ResourceNotFound (pool), LimitExceeded (25 servers per pool)."""
    validate_request("CreateResourceServer", request)
    pool = user_pool_get(request["UserPoolId"], lock=True)  # the lock serializes the quota count
    scopes = _scopes(request)
    if ResourceServer.objects.filter(pool=pool, identifier=request["Identifier"]).exists():
        raise InvalidParameter(f"{request['Identifier']} already exists in user pool {pool.id}.")
    if pool.resource_servers.count() >= MAX_RESOURCE_SERVERS_PER_POOL:
        raise LimitExceeded(f"A user pool can have at most {MAX_RESOURCE_SERVERS_PER_POOL} resource servers.")
    server = ResourceServer(pool=pool, identifier=request["Identifier"], name=request["Name"], scopes=scopes)
    try:
        with transaction.atomic():
            server.save()
    except IntegrityError:  # created concurrently
        raise InvalidParameter(f"{request['Identifier']} already exists in user pool {pool.id}.") from None
    audit_record(
        ctx,
        "resource_server.create",
        pool_id=pool.id,
        target=server.identifier,
        scopes=[s["ScopeName"] for s in scopes],
    )
    return server


def resource_server_describe(*, pool_id: str, identifier: str) -> ResourceServer:
    """DescribeResourceServer."""
    validate_request("DescribeResourceServer", {"UserPoolId": pool_id, "Identifier": identifier})
    return resource_server_get(pool_id=pool_id, identifier=identifier)


@transaction.atomic
def resource_server_update(ctx: ServiceContext, request: Mapping[str, Any]) -> ResourceServer:
    """UpdateResourceServer: Name and Scopes are replaced (omitted Scopes: none). The
    Identifier names the server and cannot change. App clients keep their AllowedOAuthScopes
    (a removed scope becomes inactive, see the module docstring)."""
    validate_request("UpdateResourceServer", request)
    scopes = _scopes(request)
    server = resource_server_get(pool_id=request["UserPoolId"], identifier=request["Identifier"], lock=True)
    before = {s["ScopeName"] for s in server.scopes}
    server.name = request["Name"]
    server.scopes = scopes
    server.save(update_fields=["name", "scopes", "updated_at"])
    after = {s["ScopeName"] for s in scopes}
    audit_record(
        ctx,
        "resource_server.update",
        pool_id=server.pool_id,
        target=server.identifier,
        scopes_added=sorted(after - before),
        scopes_removed=sorted(before - after),
    )
    return server


@transaction.atomic
def resource_server_delete(ctx: ServiceContext, *, pool_id: str, identifier: str) -> None:
    """DeleteResourceServer. App clients keep their AllowedOAuthScopes; tokens stop carrying
    the server's scopes (API reference: "users can no longer generate access tokens with
    scopes that are associate with that resource server")."""
    validate_request("DeleteResourceServer", {"UserPoolId": pool_id, "Identifier": identifier})
    server = resource_server_get(pool_id=pool_id, identifier=identifier, lock=True)
    server.delete()
    audit_record(ctx, "resource_server.delete", pool_id=pool_id, target=identifier)


def resource_server_list(
    *, pool_id: str, max_results: int | None = None, next_token: str | None = None
) -> Page[ResourceServer]:
    """ListResourceServers, oldest first. MaxResults 1..50 (absent: 50)."""
    request: dict[str, Any] = {"UserPoolId": pool_id}
    if max_results is not None:
        request["MaxResults"] = max_results
    if next_token is not None:
        request["NextToken"] = next_token
    validate_request("ListResourceServers", request)
    user_pool_get(pool_id)
    return paginate(
        ResourceServer.objects.filter(pool_id=pool_id),
        order=("created_at", "id"),
        limit=max_results or MAX_LIST_RESULTS,
        token=next_token,
    )
