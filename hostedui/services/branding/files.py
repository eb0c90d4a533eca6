"""The images, for :mod:`hostedui.views.assets`: a logo or asset's bytes, type and path."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from hostedui.models import ManagedLoginBranding, UICustomization
from hostedui.services.branding.classic import ALL_CLIENTS, ui_logo_path
from hostedui.services.branding.common import CONTENT_TYPES
from hostedui.services.branding.managed import _branding_version, branding_asset_path


@dataclass(frozen=True)
class AssetFile:
    content: bytes
    content_type: str
    extension: str  # an AssetExtensionType
    version: str
    path: str  # under the pool's page base


def ui_logo_file(*, pool_id: str, client_ref: str) -> AssetFile | None:
    rows = UICustomization.objects.select_related("client").filter(pool_id=pool_id)
    customization = (
        rows.filter(client__isnull=True) if client_ref == ALL_CLIENTS else rows.filter(client__client_id=client_ref)
    ).first()
    if customization is None or not customization.image_type or not customization.image:
        return None
    extension = "JPEG" if customization.image_type == "jpeg" else "PNG"
    return AssetFile(
        bytes(customization.image),
        CONTENT_TYPES[extension],
        extension,
        customization.image_version,
        ui_logo_path(customization) or "",
    )


def branding_asset_file(*, pool_id: str, branding_id: uuid.UUID, category: str, color_mode: str) -> AssetFile | None:
    branding = ManagedLoginBranding.objects.filter(pool_id=pool_id, id=branding_id).first()
    if branding is None:
        return None
    asset = branding.assets.filter(category=category, color_mode=color_mode).first()
    if asset is None or asset.extension not in CONTENT_TYPES:
        return None
    return AssetFile(
        bytes(asset.bytes),
        CONTENT_TYPES[asset.extension],
        asset.extension,
        _branding_version(branding),
        branding_asset_path(branding, asset),
    )
