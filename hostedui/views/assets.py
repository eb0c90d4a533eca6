"""Images of a pool's page styles: UI customization logos and managed login assets.

Served under each pool's page base (``/{UserPoolId}/assets/...`` and ``/assets/...`` at the
root of its domain), and also as ``/{UserPoolId}/assets/...`` on the domain, so that the
root-relative URLs the pages use (``hostedui.services.branding.page_style``) work on every
host the pages are served on. The version is part of every URL, so a response is cached
for a year; a URL with an older version redirects to the current one.

The bytes were checked against their declared type when they were stored (magic
numbers), and go out with ``X-Content-Type-Options: nosniff``. An SVG can carry script, so
it is served as an attachment with a Content-Security-Policy that allows none (a browser
shows it as an ``<img>``, a background or a favicon, where SVG never runs script anyway).
"""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified, HttpResponseRedirect
from django.urls import path
from django.views.decorators.http import require_safe

from hostedui.services import branding
from hostedui.services.branding import AssetFile

CACHE_FOREVER = "public, max-age=31536000, immutable"
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
_COLOR_MODES = {"light": "LIGHT", "dark": "DARK", "dynamic": "DYNAMIC"}


def _pool_id(request: HttpRequest, pool_id: str | None, pool_ref: str | None) -> str:
    actual = getattr(request, "cognate_pool_id", None) or pool_id
    if not actual or (pool_ref is not None and pool_ref != actual):
        raise Http404("No such pool.")
    return actual


def _serve(request: HttpRequest, pool_id: str, asset: AssetFile | None, version: str, name: str) -> HttpResponse:
    if asset is None:
        raise Http404("No such image.")
    if version != asset.version or name != asset.path.rsplit("/", 1)[-1]:
        # An older page (or a guessed URL): send it to the current version, never cached.
        base = "/" if getattr(request, "cognate_pool_id", None) else f"/{pool_id}/"
        response: HttpResponse = HttpResponseRedirect(base + asset.path)
        response["Cache-Control"] = "no-cache"
        return response
    etag = f'"{asset.version}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(asset.content, content_type=asset.content_type)
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_FOREVER
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    if asset.extension == "SVG":
        response["Content-Security-Policy"] = SVG_POLICY
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_safe
def ui_logo(
    request: HttpRequest,
    client_ref: str,
    version: str,
    ext: str,
    pool_id: str | None = None,
    pool_ref: str | None = None,
) -> HttpResponse:
    """The logo of a pool's (``ALL``) or a client's UI customization (GetUICustomization's ImageUrl)."""
    pool = _pool_id(request, pool_id, pool_ref)
    asset = branding.ui_logo_file(pool_id=pool, client_ref=client_ref)
    return _serve(request, pool, asset, version, f"logo.{ext}")


@require_safe
def branding_asset(
    request: HttpRequest,
    branding_id: uuid.UUID,
    version: str,
    name: str,
    pool_id: str | None = None,
    pool_ref: str | None = None,
) -> HttpResponse:
    """An asset of a managed login style, named ``<category>-<colour mode>.<extension>``."""
    pool = _pool_id(request, pool_id, pool_ref)
    stem = name.rsplit(".", 1)[0]
    category, _, mode = stem.rpartition("-")
    if not category or mode not in _COLOR_MODES:
        raise Http404("No such image.")
    asset = branding.branding_asset_file(
        pool_id=pool, branding_id=branding_id, category=category.upper(), color_mode=_COLOR_MODES[mode]
    )
    return _serve(request, pool, asset, version, name)


urlpatterns: list = [
    path("assets/ui/<str:client_ref>/<str:version>/logo.<str:ext>", ui_logo, name="hosted-asset-ui-logo"),
    path("assets/branding/<uuid:branding_id>/<str:version>/<str:name>", branding_asset, name="hosted-asset-branding"),
    # The pages' root-relative URLs (/{UserPoolId}/assets/...) on the pool's own domain.
    path("<str:pool_ref>/assets/ui/<str:client_ref>/<str:version>/logo.<str:ext>", ui_logo),
    path("<str:pool_ref>/assets/branding/<uuid:branding_id>/<str:version>/<str:name>", branding_asset),
]
