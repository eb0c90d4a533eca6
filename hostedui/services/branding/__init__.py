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

The package's modules: :mod:`.classic` (UI customization), :mod:`.managed` (managed login
branding styles), :mod:`.defaults` (the settings Cognito would provide), :mod:`.style`
(what the pages apply, :func:`page_style`), :mod:`.files` (the images the pages serve) and
:mod:`.common` (image formats, blobs, the app client lookup). Names with a leading
underscore are private to the package.
"""

from hostedui.services.branding.classic import (
    ALL_CLIENTS,
    MAX_LOGO_BYTES,
    ui_customization_client_ref,
    ui_customization_delete,
    ui_customization_get,
    ui_customization_set,
    ui_logo_path,
    ui_logo_url,
)
from hostedui.services.branding.common import CONTENT_TYPES, FILE_EXTENSIONS, decode_blob, image_type
from hostedui.services.branding.defaults import default_settings
from hostedui.services.branding.files import AssetFile, branding_asset_file, ui_logo_file
from hostedui.services.branding.managed import (
    MAX_ASSET_BYTES,
    MAX_ASSETS,
    MAX_SETTINGS_CHARS,
    MAX_SETTINGS_DEPTH,
    branding_asset_path,
    branding_assets,
    branding_settings,
    managed_login_branding_create,
    managed_login_branding_delete,
    managed_login_branding_describe,
    managed_login_branding_describe_by_client,
    managed_login_branding_update,
)
from hostedui.services.branding.style import PageStyle, branding_variables, page_style

__all__ = [
    "ALL_CLIENTS",
    "CONTENT_TYPES",
    "FILE_EXTENSIONS",
    "MAX_ASSETS",
    "MAX_ASSET_BYTES",
    "MAX_LOGO_BYTES",
    "MAX_SETTINGS_CHARS",
    "MAX_SETTINGS_DEPTH",
    "AssetFile",
    "PageStyle",
    "branding_asset_file",
    "branding_asset_path",
    "branding_assets",
    "branding_settings",
    "branding_variables",
    "decode_blob",
    "default_settings",
    "image_type",
    "managed_login_branding_create",
    "managed_login_branding_delete",
    "managed_login_branding_describe",
    "managed_login_branding_describe_by_client",
    "managed_login_branding_update",
    "page_style",
    "ui_customization_client_ref",
    "ui_customization_delete",
    "ui_customization_get",
    "ui_customization_set",
    "ui_logo_file",
    "ui_logo_path",
    "ui_logo_url",
]
