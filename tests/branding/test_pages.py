"""The styles applied to the hosted pages (page_style through render_page), the terms links on
the sign-up page, and the image views."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client

from hostedui.services import branding, terms
from hostedui.services.branding import PageStyle, page_style
from tests.branding.conftest import ICO, JPEG, SVG, b64, page_url, png
from userpools.context import SYSTEM
from userpools.services import domains

pytestmark = pytest.mark.django_db

CSS = ".submitButton-customizable{background-color:#aa0000}\n.label-customizable{color:#123456}"
STYLE_SETTINGS = {
    "components": {
        "primaryButton": {
            "lightMode": {
                "defaults": {"backgroundColor": "aa0000ff", "textColor": "ffffffff"},
                "hover": {"backgroundColor": "880000ff"},
            },
            "darkMode": {"defaults": {"backgroundColor": "ff8888ff"}},
        },
        "pageBackground": {"lightMode": {"color": "f0f0f080"}, "darkMode": {"color": "101010ff"}},
        "form": {"borderRadius": 12, "lightMode": {"backgroundColor": "fefefeff"}},
    },
}


def _get(path: str, **headers):
    return Client().get(path, **headers)


def _logo(html: str) -> str:
    match = re.search(r'<img class="logo-customizable" src="([^"]+)"', html)
    assert match, html[:2000]
    return unescape(match.group(1))


def _set_ui(pool, client=None, css=CSS, image=None):
    request = {"UserPoolId": pool.id, "ClientId": client.client_id if client else "ALL", "CSS": css}
    if image:
        request["ImageFile"] = b64(image)
    return branding.ui_customization_set(SYSTEM, request)


def _style(client, **request):
    return branding.managed_login_branding_create(
        SYSTEM, {"UserPoolId": client.pool_id, "ClientId": client.client_id, **request}
    )


# --- Classic UI customization on the pages ----------------------------------------------------------


def test_login_page_shows_the_pools_css_and_logo(hosted_app):
    pool, client = hosted_app
    _set_ui(pool, image=png())
    response = _get(page_url(pool.id, client.client_id))
    assert response.status_code == 200, response.content[:500]
    html = response.content.decode()
    assert ":root .submitButton-customizable {\n  background-color: #aa0000;\n}" in html
    assert ":root .label-customizable {\n  color: #123456;\n}" in html
    logo = _logo(html)
    assert logo.startswith(f"/{pool.id}/assets/ui/ALL/") and logo.endswith("/logo.png")
    image = _get(logo)
    assert image.status_code == 200 and image.content == png()


def test_a_clients_own_customization_wins(hosted_app):
    pool, client = hosted_app
    _set_ui(pool, css=".label-customizable{color:red}")
    _set_ui(pool, client, css=".label-customizable{color:blue}", image=JPEG)
    html = _get(page_url(pool.id, client.client_id)).content.decode()
    assert "color: blue" in html and "color: red" not in html
    assert f"/assets/ui/{client.client_id}/" in _logo(html)


def test_no_style_is_the_default_look(hosted_app):
    pool, client = hosted_app
    assert page_style(pool, client) == PageStyle()
    html = _get(page_url(pool.id, client.client_id)).content.decode()
    assert "logo-customizable" not in html and ":root{" not in html


# --- Managed login branding on the pages ------------------------------------------------------------


def test_login_page_shows_the_branding_variables_and_assets(hosted_app):
    pool, client = hosted_app
    _set_ui(pool)  # classic CSS is not applied once the client has a managed login style
    _style(
        client,
        Settings=STYLE_SETTINGS,
        Assets=[
            {"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG", "Bytes": b64(png())},
            {"Category": "PAGE_BACKGROUND", "ColorMode": "DYNAMIC", "Extension": "JPEG", "Bytes": b64(JPEG)},
            {"Category": "FAVICON_ICO", "ColorMode": "LIGHT", "Extension": "ICO", "Bytes": b64(ICO)},
        ],
    )
    html = _get(page_url(pool.id, client.client_id)).content.decode()
    root = re.search(r"<style>:root\{([^}]*)\}</style>", html).group(1)
    assert "--cognate-primary:#aa0000;" in root
    assert "--cognate-primary-text:#ffffff;" in root
    assert "--cognate-primary-hover:#880000;" in root
    assert "--cognate-page-background:#f0f0f080;" in root
    assert "--cognate-card-background:#fefefe;" in root
    assert "--cognate-radius:12px;" in root
    assert "customizable {" not in html
    assert 'class="dark"' not in html
    logo = _logo(html)
    assert logo.startswith(f"/{pool.id}/assets/branding/") and logo.endswith("/form_logo-light.png")
    assert _get(logo).content == png()
    background = re.search(r"background-image:url\('([^']+)'\)", html).group(1)
    assert background.endswith("/page_background-dynamic.jpg") and _get(background).content == JPEG
    favicon = re.search(r'<link rel="icon" href="([^"]+)"', html).group(1)
    assert _get(favicon)["Content-Type"] == "image/x-icon"


def test_dark_and_dynamic_colour_schemes(hosted_app):
    pool, client = hosted_app
    style = _style(
        client,
        Settings={**STYLE_SETTINGS, "categories": {"global": {"colorSchemeMode": "DARK"}}},
        Assets=[
            {"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG", "Bytes": b64(png())},
            {"Category": "FORM_LOGO", "ColorMode": "DARK", "Extension": "SVG", "Bytes": b64(SVG)},
        ],
    )
    dark = page_style(pool, client)
    assert dark.color_scheme == "dark" and dark.variables == {}
    assert dark.css == ":root.dark{--cognate-page-background:#101010;--cognate-primary:#ff8888;--cognate-radius:12px;}"
    assert dark.logo_url.endswith("/form_logo-dark.svg")
    html = _get(page_url(pool.id, client.client_id)).content.decode()
    assert '<html lang="en" class="dark">' in html

    branding.managed_login_branding_update(
        SYSTEM,
        {
            "UserPoolId": pool.id,
            "ManagedLoginBrandingId": str(style.id),
            "Settings": {"categories": {"global": {"colorSchemeMode": "DYNAMIC"}}},
        },
    )
    dynamic = page_style(pool, client)
    assert dynamic.color_scheme == "light"
    assert dynamic.variables["--cognate-primary"] == "#aa0000"
    assert dynamic.css.startswith("@media (prefers-color-scheme: dark){:root{")
    assert "--cognate-card-background:#1e1f23;" in dynamic.css  # hosted.css's dark defaults
    assert dynamic.css.endswith("--cognate-primary:#ff8888;--cognate-radius:12px;}}")


def test_disabled_logo_and_background(hosted_app):
    pool, client = hosted_app
    _style(
        client,
        Settings={
            "components": {"form": {"logo": {"enabled": False}}, "pageBackground": {"image": {"enabled": False}}}
        },
        Assets=[
            {"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG", "Bytes": b64(png())},
            {"Category": "PAGE_HEADER_LOGO", "ColorMode": "DYNAMIC", "Extension": "PNG", "Bytes": b64(png(3))},
            {"Category": "PAGE_BACKGROUND", "ColorMode": "LIGHT", "Extension": "PNG", "Bytes": b64(png())},
        ],
    )
    style = page_style(pool, client)
    assert style.logo_url.endswith("/page_header_logo-dynamic.png")
    assert style.background_url is None


def test_cognito_provided_values_are_the_default_look(hosted_app):
    pool, client = hosted_app
    _style(client, UseCognitoProvidedValues=True)
    assert page_style(pool, client) == PageStyle()


def test_only_validated_colours_reach_the_css(hosted_app):
    pool, client = hosted_app
    style = _style(client, Settings=STYLE_SETTINGS)
    # Stored by other means than the services (say, an old row): never applied unless hex.
    style.settings = {
        "components": {
            "primaryButton": {
                "lightMode": {
                    "defaults": {"backgroundColor": "red;}</style><script>alert(1)</script>", "textColor": "url(x)"}
                }
            },
            "form": {"borderRadius": "1px;}body{"},
        }
    }
    style.save()
    assert page_style(pool, client).variables == {}


def test_the_domains_managed_login_version_chooses(hosted_app):
    pool, client = hosted_app
    _set_ui(pool)
    _style(client, Settings=STYLE_SETTINGS)
    domain = domains.user_pool_domain_create(SYSTEM, {"UserPoolId": pool.id, "Domain": "brand-test"})
    classic = page_style(pool, client)
    assert "submitButton-customizable" in classic.css and not classic.variables
    domains.user_pool_domain_update(SYSTEM, {"UserPoolId": pool.id, "Domain": domain.domain, "ManagedLoginVersion": 2})
    managed = page_style(pool, client)
    assert managed.variables["--cognate-primary"] == "#aa0000" and "customizable" not in managed.css


def test_pages_on_the_pools_domain_serve_the_images(hosted_app, settings):
    pool, client = hosted_app
    _set_ui(pool, image=png())
    domains.user_pool_domain_create(SYSTEM, {"UserPoolId": pool.id, "Domain": "brand-host"})
    host = f"brand-host.{settings.COGNATE.get('DOMAIN_SUFFIX', 'auth.localhost')}"
    query = page_url(pool.id, client.client_id).split("?", 1)[1]
    page = _get(f"/login?{query}", HTTP_HOST=host)
    assert page.status_code == 200, page.content[:300]
    logo = _logo(page.content.decode())
    assert logo.startswith(f"/{pool.id}/assets/ui/ALL/")
    assert _get(logo, HTTP_HOST=host).content == png()  # the pages' root-relative URL
    assert _get(logo.removeprefix(f"/{pool.id}"), HTTP_HOST=host).content == png()  # ImageUrl's form


# --- Terms on the sign-up page -----------------------------------------------------------------------


def _terms(client, name, links):
    return terms.terms_create(
        SYSTEM,
        {
            "UserPoolId": client.pool_id,
            "ClientId": client.client_id,
            "TermsName": name,
            "TermsSource": "LINK",
            "Enforcement": "NONE",
            "Links": links,
        },
    )


def test_signup_page_links_the_terms(hosted_app):
    pool, client = hosted_app
    _terms(
        client,
        "terms-of-use",
        {"cognito:default": "https://example.com/terms", "cognito:german": "https://example.com/de/agb"},
    )
    signup = page_url(pool.id, client.client_id, "signup")
    assert 'id="terms"' not in _get(signup).content.decode()  # both documents are needed
    _terms(client, "privacy-policy", {"cognito:default": "https://example.com/privacy"})
    html = _get(signup).content.decode()
    links = re.findall(r'<a href="([^"]+)" rel="noopener noreferrer" target="_blank">', html)
    assert links == ["https://example.com/terms", "https://example.com/privacy"]
    german = _get(page_url(pool.id, client.client_id, "signup", lang="de")).content.decode()
    assert "https://example.com/de/agb" in german and "https://example.com/privacy" in german


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("de", "https://example.com/de"),
        ("de-at", "https://example.com/de"),
        ("DE_ch", "https://example.com/de"),
        ("fr", "https://example.com/fr"),
        ("pt-br", "https://example.com/pt"),
        ("zh-hant", "https://example.com/tw"),
        ("en", "https://example.com/default"),
        ("ja", "https://example.com/default"),
        (None, "https://example.com/default"),
    ],
)
def test_terms_for_the_page_language(hosted_app, language, expected):
    _, client = hosted_app
    _terms(
        client,
        "terms-of-use",
        {
            "cognito:default": "https://example.com/default",
            "cognito:german": "https://example.com/de",
            "cognito:french": "https://example.com/fr",
            "cognito:portuguese-brazil": "https://example.com/pt",
            "cognito:chinese-traditional": "https://example.com/tw",
        },
    )
    _terms(client, "privacy-policy", {"cognito:english": "https://example.com/en-privacy"})
    found = terms.terms_for_client(client, language)
    assert found[0] == {"name": "terms-of-use", "url": expected}
    # A document with neither the language nor a default is left out.
    assert [t["name"] for t in found] == (["terms-of-use", "privacy-policy"] if language == "en" else ["terms-of-use"])


# --- The image views -----------------------------------------------------------------------------------


def test_image_headers_caching_and_versions(hosted_app):
    pool, _ = hosted_app
    customization = _set_ui(pool, image=png())
    path = f"/{pool.id}/{branding.ui_logo_path(customization)}"
    response = _get(path)
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in response["Cache-Control"] and "max-age=31536000" in response["Cache-Control"]
    assert _get(path, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    assert Client().head(path).status_code == 200
    assert Client().post(path).status_code == 405

    newer = _set_ui(pool, image=JPEG)
    stale = _get(path)
    assert stale.status_code == 302 and stale["Location"] == f"/{pool.id}/{branding.ui_logo_path(newer)}"
    assert _get(stale["Location"])["Content-Type"] == "image/jpeg"


def test_svg_assets_cannot_run_script(hosted_app):
    pool, client = hosted_app
    style = _style(
        client, Assets=[{"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "SVG", "Bytes": b64(SVG)}]
    )
    asset = branding.branding_assets(style)[0]
    response = _get(f"/{pool.id}/{branding.branding_asset_path(style, asset)}")
    assert response.status_code == 200 and response.content == SVG
    assert response["Content-Type"] == "image/svg+xml"
    assert "script-src" not in response["Content-Security-Policy"]
    assert (
        "default-src 'none'" in response["Content-Security-Policy"] and "sandbox" in response["Content-Security-Policy"]
    )
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "suffix",
    [
        "assets/ui/ALL/1/logo.png",
        "assets/ui/nosuchclient/1/logo.png",
        "assets/branding/00000000-0000-4000-8000-000000000000/1/form_logo-light.png",
        "assets/branding/00000000-0000-4000-8000-000000000000/1/nonsense",
        "assets/branding/not-a-uuid/1/form_logo-light.png",
    ],
)
def test_unknown_images_are_404(hosted_app, suffix):
    pool, _ = hosted_app
    assert _get(f"/{pool.id}/{suffix}").status_code == 404


def test_images_of_another_pool_are_not_served(hosted_app):
    from userpools.services.pools import user_pool_create

    pool, client = hosted_app
    style = _style(
        client, Assets=[{"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG", "Bytes": b64(png())}]
    )
    other = user_pool_create(SYSTEM, {"PoolName": "other"})
    path = branding.branding_asset_path(style, branding.branding_assets(style)[0])
    assert _get(f"/{pool.id}/{path}").status_code == 200
    assert _get(f"/{other.id}/{path}").status_code == 404
    assert _get(f"/{other.id}/{pool.id}/{path}").status_code == 404


# --- What the bytes really are -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (png(), "PNG"),
        (JPEG, "JPEG"),
        (ICO, "ICO"),
        (SVG, "SVG"),
        (b"\xef\xbb\xbf<?xml version='1.0'?><!-- x --><!DOCTYPE svg PUBLIC 'a' 'b'>\n<svg/>", "SVG"),
        (b"<html><svg></svg></html>", None),
        (b"<svgfoo/>", None),
        (b"GIF89a", None),
        (b"", None),
        (b'<!DOCTYPE svg [<!ENTITY x "y">]><svg/>', None),  # no internal DTD subsets
    ],
)
def test_image_type_by_magic_numbers(data, kind):
    assert branding.image_type(data) == kind


@pytest.mark.timeout(10)
@pytest.mark.parametrize("data", [b"<!-- -->" * 512, b"<!--" * 1024, b"<?" * 2048, b"<!" * 2048 + b">" * 10])
def test_svg_sniffing_is_linear(data):
    assert branding.image_type(data) is None
