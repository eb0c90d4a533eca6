"""Managed login branding: one style per app client, its settings document and image assets."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from hostedui.models import ManagedLoginAsset, ManagedLoginBranding
from hostedui.services.branding.common import (
    _CATEGORY_TYPES,
    _HEX_COLOR,
    _IMAGE_TYPES,
    FILE_EXTENSIONS,
    _client,
    decode_blob,
    image_type,
)
from hostedui.services.branding.defaults import default_settings
from userpools.context import ServiceContext
from userpools.errors import InvalidParameter, ManagedLoginBrandingExists, ResourceNotFound
from userpools.services.audit import audit_record
from userpools.services.pools import user_pool_get
from userpools.services.updates import merge_patch
from userpools.spec import validate_request

# A style's assets: the model's AssetBytesType (1,000,000 bytes) and AssetListType (40) limits.
MAX_ASSET_BYTES = 1_000_000
MAX_ASSETS = 40
MAX_SETTINGS_CHARS = 256 * 1024
MAX_SETTINGS_DEPTH = 24


def _check_settings(document: Any) -> dict[str, Any]:
    """The branding editor's settings: a JSON object of reasonable size, whose colours are
    Cognito's hex form (``RRGGBBAA``), so that nothing else can ever reach the pages' CSS."""
    if not isinstance(document, dict):
        raise InvalidParameter("Settings must be a JSON object.")

    def walk(value: Any, path: str, depth: int) -> None:
        if depth > MAX_SETTINGS_DEPTH:
            raise InvalidParameter(f"Settings are nested too deeply at {path}.")
        if isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{key}" if path else key
                if (key == "color" or key.endswith("Color")) and not (
                    isinstance(item, str) and _HEX_COLOR.fullmatch(item)
                ):
                    raise InvalidParameter(f"Settings {where} must be a hex colour (RRGGBB or RRGGBBAA).")
                walk(item, where, depth + 1)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]", depth + 1)

    walk(document, "", 0)  # first: it bounds the depth that json.dumps recurses into
    if len(json.dumps(document, separators=(",", ":"), ensure_ascii=False)) > MAX_SETTINGS_CHARS:
        raise InvalidParameter(f"Settings must be at most {MAX_SETTINGS_CHARS // 1024} KB of JSON.")
    return document


@dataclass(frozen=True)
class _AssetChange:
    category: str
    color_mode: str
    extension: str
    content: bytes | None  # None: remove the asset (UpdateManagedLoginBranding only)
    resource_id: str


def _asset_changes(assets: Iterable[Mapping[str, Any]], *, removals: bool) -> list[_AssetChange]:
    changes: list[_AssetChange] = []
    seen: set[tuple[str, str]] = set()
    for index, asset in enumerate(assets, 1):
        key = (asset["Category"], asset["ColorMode"])
        if key in seen:
            raise InvalidParameter(f"Assets must be unique by Category and ColorMode: {key[0]}/{key[1]} is repeated.")
        seen.add(key)
        extension = asset["Extension"]
        if asset.get("Bytes") is None:
            if not removals:
                raise InvalidParameter(f"Assets.{index}.Bytes is required.")
            changes.append(_AssetChange(*key, extension, None, ""))
            continue
        content = decode_blob(asset["Bytes"], f"Assets.{index}.Bytes")
        if not content:
            raise InvalidParameter(f"Assets.{index}.Bytes is empty.")
        if len(content) > MAX_ASSET_BYTES:
            raise InvalidParameter(f"Assets.{index}.Bytes must be at most {MAX_ASSET_BYTES} bytes.")
        allowed = _CATEGORY_TYPES.get(key[0], _IMAGE_TYPES)
        if extension not in allowed:
            raise InvalidParameter(f"A {key[0]} asset must be {' or '.join(sorted(allowed))}, not {extension}.")
        actual = image_type(content)
        if actual != extension:
            raise InvalidParameter(
                f"Assets.{index}.Bytes is not a {extension} image" + (f" (it is {actual})." if actual else ".")
            )
        changes.append(_AssetChange(*key, extension, content, asset.get("ResourceId", "")))
    return changes


def _apply_assets(branding: ManagedLoginBranding, changes: list[_AssetChange]) -> None:
    for change in changes:
        current = branding.assets.filter(category=change.category, color_mode=change.color_mode)
        if change.content is None:
            current.delete()
            continue
        ManagedLoginAsset.objects.update_or_create(
            branding=branding,
            category=change.category,
            color_mode=change.color_mode,
            defaults={"extension": change.extension, "bytes": change.content, "resource_id": change.resource_id},
        )
    if branding.assets.count() > MAX_ASSETS:
        raise InvalidParameter(f"A branding style can have at most {MAX_ASSETS} assets.")


def _check_exclusive(request: Mapping[str, Any]) -> None:
    # "When you specify true for this option, you must also omit values for Settings and Assets."
    if request.get("UseCognitoProvidedValues") and ("Settings" in request or request.get("Assets")):
        raise InvalidParameter("When UseCognitoProvidedValues is true, omit Settings and Assets.")


def _branding(pool_id: str, branding_id: str, *, lock: bool = False) -> ManagedLoginBranding:
    pool = user_pool_get(pool_id)
    qs = ManagedLoginBranding.objects.select_for_update() if lock else ManagedLoginBranding.objects
    try:
        return qs.select_related("client").get(pool=pool, id=uuid.UUID(branding_id))
    except (ManagedLoginBranding.DoesNotExist, ValueError):
        raise ResourceNotFound(f"Managed login branding {branding_id} does not exist.") from None


@transaction.atomic
def managed_login_branding_create(ctx: ServiceContext, request: Mapping[str, Any]) -> ManagedLoginBranding:
    """CreateManagedLoginBranding: the style of one app client (one per client:
    ManagedLoginBrandingExists). UseCognitoProvidedValues excludes Settings and Assets;
    assets are unique by Category and ColorMode and must be the image type they claim.
    Raises ResourceNotFound, InvalidParameter, ManagedLoginBrandingExists."""
    validate_request("CreateManagedLoginBranding", request)
    _check_exclusive(request)
    pool = user_pool_get(request["UserPoolId"], lock=True)
    client = _client(pool, request["ClientId"])
    settings = _check_settings(copy.deepcopy(request["Settings"])) if "Settings" in request else {}
    changes = _asset_changes(request.get("Assets") or [], removals=False)
    if ManagedLoginBranding.objects.filter(client=client).exists():
        raise ManagedLoginBrandingExists(f"App client {client.client_id} already has a managed login branding style.")
    try:
        with transaction.atomic():
            branding = ManagedLoginBranding.objects.create(
                pool=pool,
                client=client,
                settings=settings,
                use_cognito_provided_values=bool(request.get("UseCognitoProvidedValues")),
            )
    except IntegrityError:  # created concurrently
        raise ManagedLoginBrandingExists(
            f"App client {client.client_id} already has a managed login branding style."
        ) from None
    _apply_assets(branding, changes)
    audit_record(
        ctx,
        "managed_login_branding.create",
        pool_id=pool.id,
        target=str(branding.id),
        client_id=client.client_id,
        assets=len(changes),
    )
    return branding


def managed_login_branding_describe(*, pool_id: str, branding_id: str) -> ManagedLoginBranding:
    """DescribeManagedLoginBranding. Raises ResourceNotFound."""
    return _branding(pool_id, branding_id)


def managed_login_branding_describe_by_client(*, pool_id: str, client_id: str) -> ManagedLoginBranding:
    """DescribeManagedLoginBrandingByClient. Raises ResourceNotFound (pool, client, or no style)."""
    client = _client(user_pool_get(pool_id), client_id)
    branding = ManagedLoginBranding.objects.select_related("client").filter(client=client).first()
    if branding is None:
        raise ResourceNotFound(f"App client {client_id} has no managed login branding style.")
    return branding


@transaction.atomic
def managed_login_branding_update(
    ctx: ServiceContext, request: Mapping[str, Any], *, replace_settings: bool = False
) -> ManagedLoginBranding:
    """UpdateManagedLoginBranding. Cognito "preserves existing style settings that you don't
    specify": Settings are merged into the stored ones member by member (RFC 7396;
    ``replace_settings`` replaces them instead, for the console's editor), Assets replace
    the stored asset of their Category and ColorMode and keep the others (an asset given
    without Bytes removes that one). UseCognitoProvidedValues true returns the style to
    Cognito's defaults (no settings, no assets) and excludes Settings and Assets.
    Raises ResourceNotFound and InvalidParameter."""
    validate_request("UpdateManagedLoginBranding", request)
    if not request.get("UserPoolId") or not request.get("ManagedLoginBrandingId"):
        raise InvalidParameter("UserPoolId and ManagedLoginBrandingId are required.")
    _check_exclusive(request)
    branding = _branding(request["UserPoolId"], request["ManagedLoginBrandingId"], lock=True)
    changes = _asset_changes(request.get("Assets") or [], removals=True)
    if request.get("UseCognitoProvidedValues"):
        branding.use_cognito_provided_values = True
        branding.settings = {}
        branding.assets.all().delete()
    else:
        if "Settings" in request:
            given = _check_settings(copy.deepcopy(request["Settings"]))
            branding.settings = _check_settings(given if replace_settings else merge_patch(branding.settings, given))
        if "Settings" in request or changes or request.get("UseCognitoProvidedValues") is False:
            branding.use_cognito_provided_values = False
        _apply_assets(branding, changes)
    branding.save()
    audit_record(
        ctx,
        "managed_login_branding.update",
        pool_id=branding.pool_id,
        target=str(branding.id),
        client_id=branding.client.client_id,
        assets=len(changes),
    )
    return branding


@transaction.atomic
def managed_login_branding_delete(ctx: ServiceContext, *, pool_id: str, branding_id: str) -> None:
    """DeleteManagedLoginBranding: the client's pages return to the default style."""
    branding = _branding(pool_id, branding_id, lock=True)
    client_id = branding.client.client_id
    branding.delete()
    audit_record(ctx, "managed_login_branding.delete", pool_id=pool_id, target=branding_id, client_id=client_id)


def branding_assets(branding: ManagedLoginBranding) -> list[ManagedLoginAsset]:
    return list(branding.assets.order_by("category", "color_mode"))


def branding_settings(branding: ManagedLoginBranding, *, merged: bool) -> dict[str, Any]:
    """The style's settings; ``merged`` (ReturnMergedResources) fills in the defaults."""
    own = {} if branding.use_cognito_provided_values else branding.settings
    return merge_patch(default_settings(), own) if merged else copy.deepcopy(own)


def _branding_version(branding: ManagedLoginBranding) -> str:
    return str(int(branding.updated_at.timestamp() * 1000))


def branding_asset_path(branding: ManagedLoginBranding, asset: ManagedLoginAsset) -> str:
    name = f"{asset.category.lower()}-{asset.color_mode.lower()}.{FILE_EXTENSIONS.get(asset.extension, 'bin')}"
    return f"assets/branding/{branding.id}/{_branding_version(branding)}/{name}"
