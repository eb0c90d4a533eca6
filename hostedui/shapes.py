"""AWS-shaped response dicts of the hosted pages' look: UI customization, managed login
branding and terms (models never grow ``to_json``)."""

from __future__ import annotations

import base64
from typing import Any

from hostedui.models import ManagedLoginBranding, Terms, UICustomization
from hostedui.services import branding as branding_services
from userpools.shapes import timestamp


def ui_customization(customization: UICustomization | None) -> dict[str, Any]:
    """UICustomizationType; ``{}`` when neither the client nor the pool has one (as Cognito)."""
    if customization is None:
        return {}
    out: dict[str, Any] = {
        "UserPoolId": customization.pool_id,
        "ClientId": branding_services.ui_customization_client_ref(customization),
    }
    image_url = branding_services.ui_logo_url(customization)
    if image_url:
        out["ImageUrl"] = image_url
    if customization.css:
        out["CSS"] = customization.css
    out["CSSVersion"] = customization.css_version
    out["LastModifiedDate"] = timestamp(customization.updated_at)
    out["CreationDate"] = timestamp(customization.created_at)
    return out


def ui_customization_removed(pool_id: str, client_id: str | None) -> dict[str, Any]:
    """What SetUICustomization answers when the request removed the customization."""
    return {"UserPoolId": pool_id, "ClientId": client_id or branding_services.ALL_CLIENTS}


def managed_login_branding(branding: ManagedLoginBranding, *, merged: bool = False) -> dict[str, Any]:
    """ManagedLoginBrandingType; ``merged`` is ReturnMergedResources (defaults filled in)."""
    assets = []
    for asset in branding_services.branding_assets(branding):
        item: dict[str, Any] = {
            "Category": asset.category,
            "ColorMode": asset.color_mode,
            "Extension": asset.extension,
            "Bytes": base64.b64encode(bytes(asset.bytes)).decode(),
        }
        if asset.resource_id:
            item["ResourceId"] = asset.resource_id
        assets.append(item)
    return {
        "ManagedLoginBrandingId": str(branding.id),
        "UserPoolId": branding.pool_id,
        "UseCognitoProvidedValues": branding.use_cognito_provided_values,
        "Settings": branding_services.branding_settings(branding, merged=merged),
        "Assets": assets,
        "CreationDate": timestamp(branding.created_at),
        "LastModifiedDate": timestamp(branding.updated_at),
    }


def terms(record: Terms) -> dict[str, Any]:
    return {
        "TermsId": str(record.id),
        "UserPoolId": record.pool_id,
        "ClientId": record.client.client_id,
        "TermsName": record.name,
        "TermsSource": record.source,
        "Enforcement": record.enforcement,
        "Links": dict(record.links),
        "CreationDate": timestamp(record.created_at),
        "LastModifiedDate": timestamp(record.updated_at),
    }


def terms_description(record: Terms) -> dict[str, Any]:
    return {
        "TermsId": str(record.id),
        "TermsName": record.name,
        "Enforcement": record.enforcement,
        "CreationDate": timestamp(record.created_at),
        "LastModifiedDate": timestamp(record.updated_at),
    }
