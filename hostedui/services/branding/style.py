"""Applying a style to the pages: the CSS, custom properties and images of a client's pages
(the table in :mod:`hostedui.services.branding` says which settings apply)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import tinycss2
from django.contrib.staticfiles import finders

from hostedui.models import ManagedLoginAsset, ManagedLoginBranding, UICustomization
from hostedui.services.branding.classic import ui_logo_path
from hostedui.services.branding.common import _HEX_COLOR
from hostedui.services.branding.managed import branding_asset_path
from hostedui.services.css import sanitize_css
from userpools.errors import ServiceError
from userpools.models import AppClient, UserPool, UserPoolDomain
from userpools.services.domains import serving_domain

logger = logging.getLogger("cognate.hostedui")


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
            return "".join(
                f"{d.name}:{tinycss2.serialize(d.value).strip()};" for d in declarations if d.type == "declaration"
            )
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
        ("PAGE_HEADER_LOGO",), ("components", "pageHeader", "logo", "enabled")
    )
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
