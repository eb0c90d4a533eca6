"""Wire handlers for identity providers (CreateIdentityProvider ... GetIdentityProviderByIdentifier)
and for linking provider identities to users (AdminLinkProviderForUser, AdminDisableProviderForUser).

The output shapes are built here from the services' rows (IdentityProviderType,
ProviderDescription); userpools/shapes.py keeps the other areas'.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from userpools.context import ServiceContext
from userpools.models import IdentityProvider
from userpools.services import identity_providers, provider_links
from userpools.shapes import timestamp


def _provider(record: IdentityProvider) -> dict[str, Any]:
    """IdentityProviderType: AttributeMapping and IdpIdentifiers always, AcrMapping when set."""
    out: dict[str, Any] = {
        "UserPoolId": record.pool_id,
        "ProviderName": record.name,
        "ProviderType": record.provider_type,
        "ProviderDetails": identity_providers.details_shown(record),
        "AttributeMapping": dict(record.attribute_mapping),
        "IdpIdentifiers": list(record.idp_identifiers),
    }
    if record.acr_mapping:
        out["AcrMapping"] = dict(record.acr_mapping)
    out["LastModifiedDate"] = timestamp(record.updated_at)
    out["CreationDate"] = timestamp(record.created_at)
    return out


def _description(record: IdentityProvider) -> dict[str, Any]:
    return {
        "ProviderName": record.name,
        "ProviderType": record.provider_type,
        "LastModifiedDate": timestamp(record.updated_at),
        "CreationDate": timestamp(record.created_at),
    }


def create_identity_provider(ctx: ServiceContext, req: dict) -> dict:
    return {"IdentityProvider": _provider(identity_providers.identity_provider_create(ctx, req))}


def describe_identity_provider(ctx: ServiceContext, req: dict) -> dict:
    provider = identity_providers.identity_provider_describe(pool_id=req["UserPoolId"], name=req["ProviderName"])
    return {"IdentityProvider": _provider(provider)}


def update_identity_provider(ctx: ServiceContext, req: dict) -> dict:
    return {"IdentityProvider": _provider(identity_providers.identity_provider_update(ctx, req))}


def delete_identity_provider(ctx: ServiceContext, req: dict) -> dict:
    identity_providers.identity_provider_delete(ctx, pool_id=req["UserPoolId"], name=req["ProviderName"])
    return {}


def list_identity_providers(ctx: ServiceContext, req: dict) -> dict:
    page = identity_providers.identity_provider_list(
        pool_id=req["UserPoolId"], max_results=req.get("MaxResults"), next_token=req.get("NextToken")
    )
    out: dict[str, Any] = {"Providers": [_description(p) for p in page.items]}
    if page.next_token:
        out["NextToken"] = page.next_token
    return out


def get_identity_provider_by_identifier(ctx: ServiceContext, req: dict) -> dict:
    provider = identity_providers.identity_provider_by_identifier(
        pool_id=req["UserPoolId"], identifier=req["IdpIdentifier"]
    )
    return {"IdentityProvider": _provider(provider)}


def admin_link_provider_for_user(ctx: ServiceContext, req: dict) -> dict:
    provider_links.provider_link(ctx, req)
    return {}


def admin_disable_provider_for_user(ctx: ServiceContext, req: dict) -> dict:
    provider_links.provider_unlink(ctx, req)
    return {}


HANDLERS: dict[str, Callable[[ServiceContext, dict], dict]] = {
    "CreateIdentityProvider": create_identity_provider,
    "DescribeIdentityProvider": describe_identity_provider,
    "UpdateIdentityProvider": update_identity_provider,
    "DeleteIdentityProvider": delete_identity_provider,
    "ListIdentityProviders": list_identity_providers,
    "GetIdentityProviderByIdentifier": get_identity_provider_by_identifier,
    "AdminLinkProviderForUser": admin_link_provider_for_user,
    "AdminDisableProviderForUser": admin_disable_provider_for_user,
}
