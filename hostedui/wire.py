"""Wire handlers for the hosted pages' look: SetUICustomization / GetUICustomization, the
managed login branding operations and the terms operations. Merged with
:data:`userpools.wire.HANDLERS` into the cognito-idp registry (``config.wire.registry``);
userpools never imports hostedui.

Each handler calls one service and shapes its result (:mod:`hostedui.shapes`); blobs
(ImageFile, Assets[].Bytes) stay base64 text until the service decodes them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hostedui import shapes
from hostedui.services import branding, terms
from userpools.context import ServiceContext


def set_ui_customization(ctx: ServiceContext, req: dict) -> dict:
    customization = branding.ui_customization_set(ctx, req)
    if customization is None:
        return {"UICustomization": shapes.ui_customization_removed(req["UserPoolId"], req.get("ClientId"))}
    return {"UICustomization": shapes.ui_customization(customization)}


def get_ui_customization(ctx: ServiceContext, req: dict) -> dict:
    customization = branding.ui_customization_get(pool_id=req["UserPoolId"], client_id=req.get("ClientId"))
    return {"UICustomization": shapes.ui_customization(customization)}


def create_managed_login_branding(ctx: ServiceContext, req: dict) -> dict:
    return {"ManagedLoginBranding": shapes.managed_login_branding(branding.managed_login_branding_create(ctx, req))}


def describe_managed_login_branding(ctx: ServiceContext, req: dict) -> dict:
    style = branding.managed_login_branding_describe(
        pool_id=req["UserPoolId"], branding_id=req["ManagedLoginBrandingId"]
    )
    return {"ManagedLoginBranding": shapes.managed_login_branding(style, merged=bool(req.get("ReturnMergedResources")))}


def describe_managed_login_branding_by_client(ctx: ServiceContext, req: dict) -> dict:
    style = branding.managed_login_branding_describe_by_client(pool_id=req["UserPoolId"], client_id=req["ClientId"])
    return {"ManagedLoginBranding": shapes.managed_login_branding(style, merged=bool(req.get("ReturnMergedResources")))}


def update_managed_login_branding(ctx: ServiceContext, req: dict) -> dict:
    return {"ManagedLoginBranding": shapes.managed_login_branding(branding.managed_login_branding_update(ctx, req))}


def delete_managed_login_branding(ctx: ServiceContext, req: dict) -> dict:
    branding.managed_login_branding_delete(ctx, pool_id=req["UserPoolId"], branding_id=req["ManagedLoginBrandingId"])
    return {}


def create_terms(ctx: ServiceContext, req: dict) -> dict:
    return {"Terms": shapes.terms(terms.terms_create(ctx, req))}


def describe_terms(ctx: ServiceContext, req: dict) -> dict:
    return {"Terms": shapes.terms(terms.terms_describe(pool_id=req["UserPoolId"], terms_id=req["TermsId"]))}


def describe_terms_by_client(ctx: ServiceContext, req: dict) -> dict:
    record = terms.terms_describe_by_client(pool_id=req["UserPoolId"], client_id=req["ClientId"], name=req["TermsName"])
    return {"Terms": shapes.terms(record)}


def update_terms(ctx: ServiceContext, req: dict) -> dict:
    return {"Terms": shapes.terms(terms.terms_update(ctx, req))}


def delete_terms(ctx: ServiceContext, req: dict) -> dict:
    terms.terms_delete(ctx, pool_id=req["UserPoolId"], terms_id=req["TermsId"])
    return {}


def list_terms(ctx: ServiceContext, req: dict) -> dict:
    page = terms.terms_list(
        pool_id=req["UserPoolId"], max_results=req.get("MaxResults"), next_token=req.get("NextToken")
    )
    out: dict[str, Any] = {"Terms": [shapes.terms_description(t) for t in page.items]}
    if page.next_token:
        out["NextToken"] = page.next_token
    return out


HANDLERS: dict[str, Callable[[ServiceContext, dict], dict]] = {
    "SetUICustomization": set_ui_customization,
    "GetUICustomization": get_ui_customization,
    "CreateManagedLoginBranding": create_managed_login_branding,
    "DescribeManagedLoginBranding": describe_managed_login_branding,
    "DescribeManagedLoginBrandingByClient": describe_managed_login_branding_by_client,
    "UpdateManagedLoginBranding": update_managed_login_branding,
    "DeleteManagedLoginBranding": delete_managed_login_branding,
    "CreateTerms": create_terms,
    "DescribeTerms": describe_terms,
    "DescribeTermsByClient": describe_terms_by_client,
    "UpdateTerms": update_terms,
    "DeleteTerms": delete_terms,
    "ListTerms": list_terms,
}
