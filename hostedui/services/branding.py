"""How a pool's pages look: UI customization (classic CSS and logo) and managed login branding.

Two Cognito features style the hosted pages, and a pool's domain picks one of them with
its ``ManagedLoginVersion`` (1: the classic hosted UI, 2: managed login):

* **UI customization** (SetUICustomization / GetUICustomization): CSS for the classic
  ``*-customizable`` classes (sanitized by :mod:`hostedui.services.css`) and a PNG or
  JPEG logo of at most 100 KB, for the whole pool (ClientId ``ALL``) or one app client,
  which then no longer falls back to the pool's
  (https://docs.aws.amazon.com/cognito/latest/developerguide/hosted-ui-classic-branding.html).
* **Managed login branding** (Create/Describe/Update/DeleteManagedLoginBranding): one
  style per app client, a settings document in the branding editor's JSON shape and
  image assets, each for a category (logo, background, favicon ...) and a colour mode
  (https://docs.aws.amazon.com/cognito/latest/developerguide/managed-login-brandingeditor.html).

The pages of a pool whose domain (its custom domain, else its prefix domain) has version 2
use the client's managed login style; version 1 uses UI customization; a pool without a
domain (its pages under ``/{UserPoolId}/`` only) uses the client's managed login style if
it has one, else UI customization.

Which managed login settings the pages apply (:func:`page_style`), each for light and dark
mode (``lightMode`` / ``darkMode``), as CSS custom properties of ``hosted.css``; colours are
applied only when they are Cognito's hex form (``RRGGBB`` or ``RRGGBBAA``):

=====================================================================  ==========================
``components.pageBackground.<mode>.color``                             ``--cognate-page-background``
``components.form.<mode>.backgroundColor`` / ``.borderColor``          ``--cognate-card-background`` / ``--cognate-card-border``
``components.form.borderRadius`` (0-64)                                ``--cognate-radius`` (px)
``components.pageText.<mode>.bodyColor`` / ``.descriptionColor``       ``--cognate-text`` / ``--cognate-muted``
``components.primaryButton.<mode>.defaults.backgroundColor``           ``--cognate-primary``
``components.primaryButton.<mode>.defaults.textColor``                 ``--cognate-primary-text``
``components.primaryButton.<mode>.hover.backgroundColor``              ``--cognate-primary-hover``
``componentClasses.input.<mode>.defaults.borderColor``                 ``--cognate-input-border``
``componentClasses.focusState.<mode>.borderColor``                     ``--cognate-focus``
``componentClasses.statusIndicator.<mode>.error.indicatorColor``       ``--cognate-error``
``components.alert.<mode>.error.backgroundColor``                      ``--cognate-error-background``
``categories.global.colorSchemeMode`` (LIGHT, DARK, DYNAMIC)           the page's colour scheme
=====================================================================  ==========================

and the assets: ``FORM_LOGO`` (else ``PAGE_HEADER_LOGO``) as the logo unless
``components.form.logo.enabled`` (``components.pageHeader.logo.enabled``) is false,
``PAGE_BACKGROUND`` as the page background unless ``components.pageBackground.image.enabled``
is false, ``FAVICON_ICO`` (else ``FAVICON_SVG``) as the favicon; an asset of the page's
colour mode wins over a ``DYNAMIC`` (browser-adaptive) one. Every other setting (text,
headings' and links' colours, buttons' radius, header and footer, the IdP buttons, the
authentication method order, spacing, the other asset categories ...) is stored and
returned as given but not applied: the pages have one layout.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import logging
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import tinycss2
from django.contrib.staticfiles import finders
from django.db import IntegrityError, transaction

from hostedui.models import ManagedLoginAsset, ManagedLoginBranding, UICustomization
from hostedui.services.css import sanitize_css
from userpools.context import ServiceContext
from userpools.errors import InvalidParameter, ManagedLoginBrandingExists, ResourceNotFound, ServiceError
from userpools.models import AppClient, UserPool, UserPoolDomain
from userpools.services.audit import audit_record
from userpools.services.domains import pages_base_url, serving_domain
from userpools.services.pools import user_pool_get
from userpools.services.updates import merge_patch
from userpools.spec import validate_request

logger = logging.getLogger("cognate.hostedui")

ALL_CLIENTS = "ALL"
# The classic logo: "no larger than 100 KB in size" (developer guide, hosted UI classic branding).
MAX_LOGO_BYTES = 100 * 1024
# A style's assets: the model's AssetBytesType (1,000,000 bytes) and AssetListType (40) limits.
MAX_ASSET_BYTES = 1_000_000
MAX_ASSETS = 40
MAX_SETTINGS_CHARS = 256 * 1024
MAX_SETTINGS_DEPTH = 24

_HEX_COLOR = re.compile(r"[0-9a-fA-F]{6}(?:[0-9a-fA-F]{2})?")

CONTENT_TYPES = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "ICO": "image/x-icon",
    "SVG": "image/svg+xml",
    "WEBP": "image/webp",
}
FILE_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "ICO": "ico", "SVG": "svg", "WEBP": "webp"}
# What each asset category may hold: the favicons their own format, the images any web format.
_CATEGORY_TYPES = {"FAVICON_ICO": {"ICO"}, "FAVICON_SVG": {"SVG"}}
_IMAGE_TYPES = {"PNG", "JPEG", "SVG", "WEBP"}


@dataclass(frozen=True)
class PageStyle:
    """What the page templates apply: ``css`` (sanitized, safe inside ``<style>``),
    ``variables`` (CSS custom properties with validated values), image URLs."""

    css: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    logo_url: str | None = None
    favicon_url: str | None = None
    background_url: str | None = None
    color_scheme: str = "light"


# --- Images -------------------------------------------------------------------------------------


def image_type(data: bytes) -> str | None:
    """The format the bytes really are (by their magic numbers), as an AssetExtensionType."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x00\x00\x01\x00") and len(data) > 6:
        return "ICO"
    if len(data) > 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if _is_svg(data[:4096]):
        return "SVG"
    return None


def _is_svg(head: bytes) -> bool:
    """An XML document whose root element is <svg>: skip a BOM, the XML declaration, comments
    and a DOCTYPE by scanning (a regular expression over them can backtrack exponentially)."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    while text.startswith((b"<?", b"<!--", b"<!")):
        end = {b"<?": b"?>", b"<!--": b"-->", b"<!": b">"}[b"<!--" if text.startswith(b"<!--") else text[:2]]
        index = text.find(end, 2)
        if index < 0:
            return False
        text = text[index + len(end):].lstrip()
    return text[:4].lower() == b"<svg" and text[4:5] in (b" ", b"\t", b"\n", b"\r", b">", b"/")


def decode_blob(value: str | bytes, member: str) -> bytes:
    """A blob member of a request: base64 text as the JSON protocol carries it (bytes pass)."""
    if isinstance(value, bytes):
        return value
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise InvalidParameter(f"{member} must be base64-encoded binary data.") from None


def _new_version(previous: str = "") -> str:
    """Cognito's version strings are timestamps (CSSVersion "20250115191928"); never repeat one."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")
    if previous.isdigit() and int(stamp) <= int(previous):
        stamp = str(int(previous) + 1)
    return stamp


def _client(pool: UserPool, client_id: str) -> AppClient:
    client = AppClient.objects.filter(pool=pool, client_id=client_id).first()
    if client is None:
        raise ResourceNotFound(f"User pool client {client_id} does not exist.")
    return client


# --- UI customization (classic hosted UI) --------------------------------------------------------


def ui_customization_client_ref(customization: UICustomization) -> str:
    return customization.client.client_id if customization.client_id else ALL_CLIENTS


def ui_logo_path(customization: UICustomization) -> str | None:
    """The logo's path under the pool's page base, with the version in it (cached forever)."""
    if not customization.image_type:
        return None
    ext = "jpg" if customization.image_type == "jpeg" else "png"
    return f"assets/ui/{ui_customization_client_ref(customization)}/{customization.image_version}/logo.{ext}"


def ui_logo_url(customization: UICustomization) -> str | None:
    """GetUICustomization's ImageUrl: absolute, where the pool's pages are served."""
    path = ui_logo_path(customization)
    return f"{pages_base_url(customization.pool_id)}/{path}" if path else None


def _ui_target(pool: UserPool, client_ref: str | None) -> AppClient | None:
    if client_ref in (None, ALL_CLIENTS):
        return None
    return _client(pool, client_ref)


@transaction.atomic
def ui_customization_set(ctx: ServiceContext, request: Mapping[str, Any]) -> UICustomization | None:
    """SetUICustomization: the CSS and logo of the pool (ClientId ``ALL`` or none) or of one
    app client, replacing both ("You can't set CSS and logo customization separately"). A
    request with neither removes the customization (a client falls back to the pool's).

    The CSS is sanitized (:func:`hostedui.services.css.sanitize_css`) and stored normalized;
    the logo must be a PNG or JPEG of at most 100 KB. CSSVersion changes on every call.
    Raises ResourceNotFound (pool, client) and InvalidParameter.
    """
    validate_request("SetUICustomization", request)
    pool = user_pool_get(request["UserPoolId"], lock=True)
    client = _ui_target(pool, request.get("ClientId"))
    css = sanitize_css(request.get("CSS") or "")
    image = decode_blob(request.get("ImageFile") or b"", "ImageFile")
    kind = None
    if image:
        kind = image_type(image)
        if kind not in ("PNG", "JPEG"):
            raise InvalidParameter("ImageFile must be a PNG or JPEG image.")
        if len(image) > MAX_LOGO_BYTES:
            raise InvalidParameter(f"ImageFile must be at most {MAX_LOGO_BYTES // 1024} KB.")
    existing = UICustomization.objects.select_for_update().filter(pool=pool, client=client).first()
    target = client.client_id if client else ALL_CLIENTS
    if not css and not image:
        if existing is not None:
            existing.delete()
        audit_record(ctx, "ui_customization.remove", pool_id=pool.id, target=target)
        return None
    customization = existing or UICustomization(pool=pool, client=client)
    for attempt in range(2):
        version = _new_version(customization.css_version)
        customization.css = css
        customization.css_version = version
        customization.image = image or None
        customization.image_type = kind.lower() if kind else ""
        customization.image_version = version if image else ""
        try:
            with transaction.atomic():
                customization.save()
            break
        except IntegrityError:  # created concurrently (SQLite takes no row lock): update that one
            if attempt:
                raise
            customization = UICustomization.objects.select_for_update().get(pool=pool, client=client)
    audit_record(ctx, "ui_customization.set", pool_id=pool.id, target=target, css_version=version,
                 has_image=bool(image))  # fmt: skip
    return customization


def ui_customization_delete(ctx: ServiceContext, *, pool_id: str, client_id: str | None) -> None:
    """Remove a pool's (``client_id`` None or ``ALL``) or a client's customization."""
    ui_customization_set(ctx, {"UserPoolId": pool_id, "ClientId": client_id or ALL_CLIENTS})


def ui_customization_get(*, pool_id: str, client_id: str | None) -> UICustomization | None:
    """GetUICustomization: the client's customization, else the pool's, else None (Cognito
    "Returns an empty object if you haven't applied hosted UI branding to either the client
    or the user pool"). Raises ResourceNotFound for an unknown pool or client."""
    pool = user_pool_get(pool_id)
    client = _ui_target(pool, client_id)
    rows = UICustomization.objects.select_related("client").filter(pool=pool)
    if client is not None:
        own = rows.filter(client=client).first()
        if own is not None:
            return own
    return rows.filter(client__isnull=True).first()


# --- Managed login branding ----------------------------------------------------------------------


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
            raise InvalidParameter(f"Assets.{index}.Bytes is not a {extension} image"
                                   + (f" (it is {actual})." if actual else "."))  # fmt: skip
        changes.append(_AssetChange(*key, extension, content, asset.get("ResourceId", "")))
    return changes


def _apply_assets(branding: ManagedLoginBranding, changes: list[_AssetChange]) -> None:
    for change in changes:
        current = branding.assets.filter(category=change.category, color_mode=change.color_mode)
        if change.content is None:
            current.delete()
            continue
        ManagedLoginAsset.objects.update_or_create(
            branding=branding, category=change.category, color_mode=change.color_mode,
            defaults={"extension": change.extension, "bytes": change.content, "resource_id": change.resource_id},
        )  # fmt: skip
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
                pool=pool, client=client, settings=settings,
                use_cognito_provided_values=bool(request.get("UseCognitoProvidedValues")),
            )  # fmt: skip
    except IntegrityError:  # created concurrently
        raise ManagedLoginBrandingExists(
            f"App client {client.client_id} already has a managed login branding style."
        ) from None
    _apply_assets(branding, changes)
    audit_record(ctx, "managed_login_branding.create", pool_id=pool.id, target=str(branding.id),
                 client_id=client.client_id, assets=len(changes))  # fmt: skip
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
def managed_login_branding_update(ctx: ServiceContext, request: Mapping[str, Any], *,
                                  replace_settings: bool = False) -> ManagedLoginBranding:  # fmt: skip
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
    audit_record(ctx, "managed_login_branding.update", pool_id=branding.pool_id, target=str(branding.id),
                 client_id=branding.client.client_id, assets=len(changes))  # fmt: skip
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


# --- The defaults (ReturnMergedResources) --------------------------------------------------------


def _modes(light: dict[str, Any], dark: dict[str, Any]) -> dict[str, Any]:
    return {"lightMode": light, "darkMode": dark}


@lru_cache(maxsize=1)
def _defaults() -> str:
    """Cognate's look in the branding editor's shape (the colours of ``hosted.css``)."""
    document = {
        "categories": {
            "auth": {"authMethodOrder": [[{"display": "INPUT", "type": "USERNAME_PASSWORD"}]],
                     "federation": {"interfaceStyle": "BUTTON_LIST", "order": []}},
            "form": {"displayGraphics": True, "instructions": {"enabled": False},
                     "languageSelector": {"enabled": False},
                     "location": {"horizontal": "CENTER", "vertical": "START"}, "sessionTimerDisplay": "NONE"},
            "global": {"colorSchemeMode": "LIGHT", "pageFooter": {"enabled": False},
                       "pageHeader": {"enabled": False}, "spacingDensity": "REGULAR"},
            "signUp": {"acceptanceElements": [{"enforcement": "NONE", "textKey": "en"}]},
        },
        "componentClasses": {
            "buttons": {"borderRadius": 6.0},
            "focusState": _modes({"borderColor": "174ea6ff"}, {"borderColor": "a8c7faff"}),
            "input": {"borderRadius": 6.0,
                      **_modes({"defaults": {"backgroundColor": "ffffffff", "borderColor": "6f7179ff"}},
                               {"defaults": {"backgroundColor": "1e1f23ff", "borderColor": "8e9099ff"}})},
            "link": _modes({"defaults": {"textColor": "0b57d0ff"}, "hover": {"textColor": "0842a0ff"}},
                           {"defaults": {"textColor": "a8c7faff"}, "hover": {"textColor": "d3e3fdff"}}),
            "statusIndicator": _modes({"error": {"indicatorColor": "b3261eff"}},
                                      {"error": {"indicatorColor": "ffb4abff"}}),
        },
        "components": {
            "alert": {"borderRadius": 6.0, **_modes({"error": {"backgroundColor": "fdeceaff"}},
                                                    {"error": {"backgroundColor": "410e0bff"}})},
            "favicon": {"enabledTypes": ["ICO", "SVG"]},
            "form": {"backgroundImage": {"enabled": False}, "borderRadius": 8.0,
                     **_modes({"backgroundColor": "ffffffff", "borderColor": "c4c7cfff"},
                              {"backgroundColor": "1e1f23ff", "borderColor": "43464dff"}),
                     "logo": {"enabled": True, "formInclusion": "IN", "location": "CENTER", "position": "TOP"}},
            "pageBackground": {"image": {"enabled": True}, **_modes({"color": "f4f5f7ff"}, {"color": "121316ff"})},
            "pageHeader": {"backgroundImage": {"enabled": False}, "logo": {"enabled": True, "location": "START"}},
            "pageText": _modes({"bodyColor": "1b1c20ff", "descriptionColor": "45474fff", "headingColor": "1b1c20ff"},
                               {"bodyColor": "e3e3e8ff", "descriptionColor": "c4c6ceff", "headingColor": "e3e3e8ff"}),
            "primaryButton": _modes(
                {"defaults": {"backgroundColor": "0b57d0ff", "textColor": "ffffffff"},
                 "hover": {"backgroundColor": "0842a0ff", "textColor": "ffffffff"}},
                {"defaults": {"backgroundColor": "a8c7faff", "textColor": "0b1d3dff"},
                 "hover": {"backgroundColor": "d3e3fdff", "textColor": "0b1d3dff"}}),
            "secondaryButton": _modes(
                {"defaults": {"backgroundColor": "ffffffff", "borderColor": "0b57d0ff", "textColor": "0b57d0ff"}},
                {"defaults": {"backgroundColor": "1e1f23ff", "borderColor": "a8c7faff", "textColor": "a8c7faff"}}),
        },
    }  # fmt: skip
    return json.dumps(document)


def default_settings() -> dict[str, Any]:
    return json.loads(_defaults())


# --- Applying a style to the pages ---------------------------------------------------------------

# (where in the settings, below the mode when the path has "<mode>", the custom property)
_VARIABLES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("components", "pageBackground", "<mode>", "color"), "--cognate-page-background"),
    (("components", "form", "<mode>", "backgroundColor"), "--cognate-card-background"),
    (("components", "form", "<mode>", "borderColor"), "--cognate-card-border"),
    (("components", "pageText", "<mode>", "bodyColor"), "--cognate-text"),
    (("components", "pageText", "<mode>", "descriptionColor"), "--cognate-muted"),
    (("components", "primaryButton", "<mode>", "defaults", "backgroundColor"), "--cognate-primary"),
    (("components", "primaryButton", "<mode>", "defaults", "textColor"), "--cognate-primary-text"),
    (("components", "primaryButton", "<mode>", "hover", "backgroundColor"), "--cognate-primary-hover"),
    (("componentClasses", "input", "<mode>", "defaults", "borderColor"), "--cognate-input-border"),
    (("componentClasses", "focusState", "<mode>", "borderColor"), "--cognate-focus"),
    (("componentClasses", "statusIndicator", "<mode>", "error", "indicatorColor"), "--cognate-error"),
    (("components", "alert", "<mode>", "error", "backgroundColor"), "--cognate-error-background"),
)


def _dig(document: Any, path: Iterable[str]) -> Any:
    for key in path:
        if not isinstance(document, Mapping):
            return None
        document = document.get(key)
    return document


def _css_color(value: Any) -> str | None:
    if not isinstance(value, str) or not _HEX_COLOR.fullmatch(value):
        return None
    value = value.lower()
    return "#" + (value[:6] if len(value) == 8 and value.endswith("ff") else value)


def branding_variables(settings: Mapping[str, Any], mode: str) -> dict[str, str]:
    """The custom properties a settings document sets for ``mode`` ("light" or "dark");
    only validated hex colours and a bounded radius, so nothing else can reach the CSS."""
    out: dict[str, str] = {}
    for path, name in _VARIABLES:
        color = _css_color(_dig(settings, (f"{mode}Mode" if key == "<mode>" else key for key in path)))
        if color:
            out[name] = color
    radius = _dig(settings, ("components", "form", "borderRadius"))
    if isinstance(radius, (int, float)) and not isinstance(radius, bool) and 0 <= radius <= 64:
        out["--cognate-radius"] = f"{int(round(radius))}px"
    return out


@lru_cache(maxsize=1)
def _dark_defaults() -> str:
    """``hosted.css``'s dark-mode declarations, for a browser-adaptive (DYNAMIC) style."""
    path = finders.find("hostedui/hosted.css")
    if not path:
        return ""
    with open(path, encoding="utf-8") as handle:
        rules = tinycss2.parse_stylesheet(handle.read(), skip_comments=True, skip_whitespace=True)
    for rule in rules:
        if rule.type == "qualified-rule" and tinycss2.serialize(rule.prelude).strip() == "html.dark":
            declarations = tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True)
            return "".join(f"{d.name}:{tinycss2.serialize(d.value).strip()};"
                           for d in declarations if d.type == "declaration")  # fmt: skip
    return ""


def _declarations(variables: Mapping[str, str]) -> str:
    return "".join(f"{name}:{value};" for name, value in variables.items())


_MODE_PREFERENCE = {"light": ("LIGHT", "DYNAMIC"), "dark": ("DARK", "DYNAMIC"), "dynamic": ("DYNAMIC", "LIGHT")}


def _pick(assets: list[ManagedLoginAsset], categories: Iterable[str], scheme: str) -> ManagedLoginAsset | None:
    for category in categories:
        for mode in _MODE_PREFERENCE[scheme]:
            for asset in assets:
                if asset.category == category and asset.color_mode == mode:
                    return asset
    return None


def _uses_managed_login(pool: UserPool, branding: ManagedLoginBranding | None) -> bool:
    domain = serving_domain(list(UserPoolDomain.objects.filter(pool=pool)))  # a custom domain once verified
    if domain is not None:
        return domain.managed_login_version == 2
    return branding is not None


def _classic_style(pool: UserPool, client: AppClient | None) -> PageStyle:
    rows = UICustomization.objects.defer("image").select_related("client").filter(pool=pool)
    customization = rows.filter(client=client).first() if client is not None else None
    customization = customization or rows.filter(client__isnull=True).first()
    if customization is None:
        return PageStyle()
    try:
        css = sanitize_css(customization.css, prefix=":root ")
    except ServiceError:  # stored before a stricter sanitizer: show the page unstyled, not broken
        logger.warning("Stored UI customization CSS of %s no longer passes the sanitizer", customization)
        css = ""
    path = ui_logo_path(customization)
    return PageStyle(css=css, logo_url=f"/{pool.id}/{path}" if path else None)


def _branding_style(pool: UserPool, branding: ManagedLoginBranding) -> PageStyle:
    settings = {} if branding.use_cognito_provided_values else branding.settings
    mode = _dig(settings, ("categories", "global", "colorSchemeMode"))
    scheme = {"DARK": "dark", "DYNAMIC": "dynamic"}.get(mode if isinstance(mode, str) else "", "light")
    light, dark = branding_variables(settings, "light"), branding_variables(settings, "dark")
    css, variables = "", light
    if scheme == "dark":
        # hosted.css sets the dark colours on html.dark; :root.dark is more specific.
        css, variables = (f":root.dark{{{_declarations(dark)}}}" if dark else ""), {}
    elif scheme == "dynamic":
        css = f"@media (prefers-color-scheme: dark){{:root{{{_dark_defaults()}{_declarations(dark)}}}}}"
    assets = list(branding.assets.defer("bytes"))

    def url(categories: tuple[str, ...], *disabled: tuple[str, ...]) -> str | None:
        if any(_dig(settings, path) is False for path in disabled):
            return None
        asset = _pick(assets, categories, scheme)
        return f"/{pool.id}/{branding_asset_path(branding, asset)}" if asset else None

    logo = url(("FORM_LOGO",), ("components", "form", "logo", "enabled")) or url(
        ("PAGE_HEADER_LOGO",), ("components", "pageHeader", "logo", "enabled"))
    return PageStyle(
        css=css,
        variables=variables,
        logo_url=logo,
        favicon_url=url(("FAVICON_ICO", "FAVICON_SVG")),
        background_url=url(("PAGE_BACKGROUND",), ("components", "pageBackground", "image", "enabled")),
        color_scheme="dark" if scheme == "dark" else "light",
    )


def page_style(pool: UserPool, client: AppClient | None) -> PageStyle:
    """The style of ``client``'s pages (or the pool's, without a client): its managed login
    branding or the classic UI customization, as the module docstring says. Image URLs are
    paths under ``/{UserPoolId}/``, which the pool's domain serves too (hostedui.views.assets)."""
    branding = ManagedLoginBranding.objects.filter(client=client).first() if client is not None else None
    if _uses_managed_login(pool, branding):
        return _branding_style(pool, branding) if branding is not None else PageStyle()
    return _classic_style(pool, client)


# --- The images, for hostedui.views.assets --------------------------------------------------------


@dataclass(frozen=True)
class AssetFile:
    content: bytes
    content_type: str
    extension: str  # an AssetExtensionType
    version: str
    path: str  # under the pool's page base


def ui_logo_file(*, pool_id: str, client_ref: str) -> AssetFile | None:
    rows = UICustomization.objects.select_related("client").filter(pool_id=pool_id)
    customization = (rows.filter(client__isnull=True) if client_ref == ALL_CLIENTS
                     else rows.filter(client__client_id=client_ref)).first()  # fmt: skip
    if customization is None or not customization.image_type or not customization.image:
        return None
    extension = "JPEG" if customization.image_type == "jpeg" else "PNG"
    return AssetFile(bytes(customization.image), CONTENT_TYPES[extension], extension, customization.image_version,
                     ui_logo_path(customization) or "")  # fmt: skip


def branding_asset_file(*, pool_id: str, branding_id: uuid.UUID, category: str, color_mode: str) -> AssetFile | None:
    branding = ManagedLoginBranding.objects.filter(pool_id=pool_id, id=branding_id).first()
    if branding is None:
        return None
    asset = branding.assets.filter(category=category, color_mode=color_mode).first()
    if asset is None or asset.extension not in CONTENT_TYPES:
        return None
    return AssetFile(bytes(asset.bytes), CONTENT_TYPES[asset.extension], asset.extension,
                     _branding_version(branding), branding_asset_path(branding, asset))  # fmt: skip
