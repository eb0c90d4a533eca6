"""The styles as a browser applies them (Chromium, see tests/chromium.py): the pool's CSS wins
over the stylesheet's own rules, the branding's colours reach the elements, and the images
load under the pages' Content-Security-Policy. Skipped without Chromium."""

from __future__ import annotations

import pytest

from hostedui.services import branding
from tests.branding.conftest import JPEG, b64, oauth_client_request, page_url, png
from userpools.context import SYSTEM
from userpools.services.clients import user_pool_client_create
from userpools.services.pools import user_pool_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def app(live_server):
    pool = user_pool_create(SYSTEM, {"PoolName": "in-a-browser"})
    client = user_pool_client_create(SYSTEM, oauth_client_request(pool.id))
    return live_server.url, pool, client


@pytest.fixture
def page(chromium):  # noqa: F811
    context = chromium.new_context(locale="en-US")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _computed(page, selector: str, prop: str) -> str:
    return page.eval_on_selector(selector, f"e => getComputedStyle(e).getPropertyValue('{prop}')")


def _loaded(page, selector: str) -> bool:
    return page.eval_on_selector(selector, "e => e.complete && e.naturalWidth > 0")


def test_classic_css_and_logo_apply(app, page):
    base, pool, client = app
    branding.ui_customization_set(
        SYSTEM,
        {
            "UserPoolId": pool.id,
            "ImageFile": b64(png(4, 2)),
            "CSS": (
                ".submitButton-customizable{background-color:#aa0000;color:#ffff00}\n"
                ".label-customizable{color:#123456}\n.background-customizable{background-color:#00aa00}"
            ),
        },
    )
    page.goto(base + page_url(pool.id, client.client_id))
    assert _computed(page, "button.submitButton-customizable", "background-color") == "rgb(170, 0, 0)"
    assert _computed(page, "button.submitButton-customizable", "color") == "rgb(255, 255, 0)"
    assert _computed(page, "label.label-customizable", "color") == "rgb(18, 52, 86)"
    assert _computed(page, "body", "background-color") == "rgb(0, 170, 0)"
    assert _loaded(page, "img.logo-customizable")


def test_branding_colours_and_assets_apply(app, page):
    base, pool, client = app
    branding.managed_login_branding_create(
        SYSTEM,
        {
            "UserPoolId": pool.id,
            "ClientId": client.client_id,
            "Settings": {
                "components": {
                    "primaryButton": {"lightMode": {"defaults": {"backgroundColor": "aa0000ff"}}},
                    "form": {"lightMode": {"backgroundColor": "eeeeeeff"}},
                }
            },
            "Assets": [
                {"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG", "Bytes": b64(png(4, 2))},
                {"Category": "PAGE_BACKGROUND", "ColorMode": "LIGHT", "Extension": "JPEG", "Bytes": b64(JPEG)},
            ],
        },
    )
    page.goto(base + page_url(pool.id, client.client_id))
    assert _computed(page, "button.submitButton-customizable", "background-color") == "rgb(170, 0, 0)"
    assert _computed(page, "main.card", "background-color") == "rgb(238, 238, 238)"
    assert _loaded(page, "img.logo-customizable")
    assert "/page_background-light.jpg" in _computed(page, "body", "background-image")


def test_dark_branding_applies(app, page):
    base, pool, client = app
    branding.managed_login_branding_create(
        SYSTEM,
        {
            "UserPoolId": pool.id,
            "ClientId": client.client_id,
            "Settings": {
                "categories": {"global": {"colorSchemeMode": "DARK"}},
                "components": {"pageBackground": {"darkMode": {"color": "202020ff"}}},
            },
        },
    )
    page.goto(base + page_url(pool.id, client.client_id))
    assert _computed(page, "body", "background-color") == "rgb(32, 32, 32)"
