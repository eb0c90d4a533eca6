"""The admin console for UI customizations, branding styles and terms (through the services,
errors on the form), and the preview of a pool's hosted pages."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.utils import quote
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from hostedui.models import ManagedLoginAsset, ManagedLoginBranding, Terms, UICustomization
from hostedui.services import branding, terms
from tests.branding.conftest import GIF, b64, oauth_client_request, png
from userpools.context import SYSTEM
from userpools.models import AuditEvent
from userpools.services.clients import user_pool_client_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client, make_operator):
    client.force_login(make_operator("root", is_superuser=True))
    return client


def _errors(response) -> str:
    assert response.status_code == 200, response.status_code
    form = response.context["adminform"].form
    return " ".join(f"{k}: {e}" for k, errors in form.errors.items() for e in errors)


# --- UI customization ---------------------------------------------------------------------------


def test_add_ui_customization(console, hosted_app):
    pool, client = hosted_app
    response = console.post(
        reverse("admin:hostedui_uicustomization_add"),
        {
            "pool": pool.pk,
            "client": client.pk,
            "CSS": ".label-customizable{color:red}",
            "ImageFile": SimpleUploadedFile("logo.png", png(), content_type="image/png"),
            "_save": "Save",
        },
    )
    assert response.status_code == 302, _errors(response)
    saved = UICustomization.objects.get(client=client)
    assert saved.css == ".label-customizable {\n  color: red;\n}\n" and bytes(saved.image) == png()
    assert AuditEvent.objects.filter(action="ui_customization.set", actor="operator:root").exists()

    change = reverse("admin:hostedui_uicustomization_change", args=[saved.pk])
    page = console.get(change)
    assert page.status_code == 200 and b"/assets/ui/" in page.content
    # A change without a new upload keeps the logo (SetUICustomization replaces both).
    response = console.post(change, {"CSS": ".label-customizable{color:blue}", "_save": "Save"})
    assert response.status_code == 302, _errors(response)
    saved.refresh_from_db()
    assert "blue" in saved.css and bytes(saved.image) == png()
    response = console.post(change, {"CSS": ".label-customizable{color:blue}", "remove_image": "on", "_save": "Save"})
    saved.refresh_from_db()
    assert not saved.image_type

    response = console.post(reverse("admin:hostedui_uicustomization_delete", args=[saved.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not UICustomization.objects.exists()
    assert AuditEvent.objects.filter(action="ui_customization.remove").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"CSS": "body{color:red}"}, "customizable classes"),
        ({"CSS": ".label-customizable{color:url(x)}"}, "not a valid value"),
        ({"ImageFile": SimpleUploadedFile("logo.gif", GIF)}, "PNG or JPEG"),
        ({}, "Give CSS or a logo"),
    ],
)
def test_ui_customization_errors_show_on_the_form(console, hosted_app, data, message):
    pool, _ = hosted_app
    response = console.post(reverse("admin:hostedui_uicustomization_add"), {"pool": pool.pk, "_save": "Save", **data})
    assert message in _errors(response)
    assert not UICustomization.objects.exists()


def test_client_of_another_pool(console, hosted_app):
    from userpools.services.pools import user_pool_create

    _, client = hosted_app
    other = user_pool_create(SYSTEM, {"PoolName": "other"})
    response = console.post(
        reverse("admin:hostedui_uicustomization_add"),
        {"pool": other.pk, "client": client.pk, "CSS": ".label-customizable{color:red}", "_save": "Save"},
    )
    assert "another user pool" in _errors(response)


# --- Managed login branding ----------------------------------------------------------------------


def test_add_change_and_delete_a_branding_style(console, hosted_app):
    _, client = hosted_app
    response = console.post(
        reverse("admin:hostedui_managedloginbranding_add"),
        {
            "client": client.pk,
            "Settings": '{"components": {"pageBackground": {"lightMode": {"color": "ff0000ff"}}}}',
            "asset_file": SimpleUploadedFile("logo.png", png()),
            "asset_category": "FORM_LOGO",
            "asset_color_mode": "LIGHT",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, _errors(response)
    style = ManagedLoginBranding.objects.get(client=client)
    assert style.settings["components"]["pageBackground"]["lightMode"]["color"] == "ff0000ff"
    assert style.assets.get().extension == "PNG"

    change = reverse("admin:hostedui_managedloginbranding_change", args=[style.pk])
    page = console.get(change)
    assert page.status_code == 200 and b"form_logo-light.png" in page.content
    # The editor replaces the document; the ticked asset goes.
    response = console.post(
        change,
        {
            "Settings": '{"categories": {}}',
            "remove_assets": ["FORM_LOGO/LIGHT/PNG"],
            "asset_category": "FORM_LOGO",
            "asset_color_mode": "LIGHT",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, _errors(response)
    style.refresh_from_db()
    assert style.settings == {"categories": {}}
    assert not ManagedLoginAsset.objects.exists()

    response = console.post(reverse("admin:hostedui_managedloginbranding_delete", args=[style.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not ManagedLoginBranding.objects.exists()
    assert AuditEvent.objects.filter(action="managed_login_branding.delete", actor="operator:root").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"Settings": '{"components": {"form": {"lightMode": {"backgroundColor": "red"}}}}'}, "hex colour"),
        ({"asset_file": SimpleUploadedFile("x.gif", GIF)}, "not a PNG"),
        ({"asset_file": SimpleUploadedFile("x.png", png()), "asset_category": "FAVICON_ICO"}, "FAVICON_ICO"),
        ({"UseCognitoProvidedValues": "on", "asset_file": SimpleUploadedFile("x.png", png())}, "default style"),
    ],
)
def test_branding_errors_show_on_the_form(console, hosted_app, data, message):
    _, client = hosted_app
    form = {"client": client.pk, "asset_category": "FORM_LOGO", "asset_color_mode": "LIGHT", "_save": "Save", **data}
    response = console.post(reverse("admin:hostedui_managedloginbranding_add"), form)
    assert message in _errors(response)
    assert not ManagedLoginBranding.objects.exists()


def test_one_style_per_client_on_the_form(console, hosted_app):
    _, client = hosted_app
    branding.managed_login_branding_create(SYSTEM, {"UserPoolId": client.pool_id, "ClientId": client.client_id})
    response = console.post(
        reverse("admin:hostedui_managedloginbranding_add"),
        {"client": client.pk, "asset_category": "FORM_LOGO", "asset_color_mode": "LIGHT", "_save": "Save"},
    )
    assert "already has a managed login branding style" in _errors(response)


# --- Terms ---------------------------------------------------------------------------------------


def test_add_and_change_terms(console, hosted_app):
    _, client = hosted_app
    add = reverse("admin:hostedui_terms_add")
    response = console.post(
        add,
        {
            "client": client.pk,
            "TermsName": "terms-of-use",
            "Links": '{"cognito:default": "https://example.com/t"}',
            "_save": "Save",
        },
    )
    assert response.status_code == 302, _errors(response)
    record = Terms.objects.get()
    assert record.links == {"cognito:default": "https://example.com/t"}
    response = console.post(
        add,
        {
            "client": client.pk,
            "TermsName": "terms-of-use",
            "Links": '{"cognito:default": "https://example.com/t"}',
            "_save": "Save",
        },
    )
    assert "already has terms-of-use terms" in _errors(response)
    response = console.post(
        reverse("admin:hostedui_terms_change", args=[record.pk]),
        {"TermsName": "terms-of-use", "Links": '{"cognito:default": "http://example.com/t"}', "_save": "Save"},
    )
    assert "https URL" in _errors(response)
    response = console.post(
        reverse("admin:hostedui_terms_change", args=[record.pk]),
        {"TermsName": "terms-of-use", "Links": '{"cognito:german": "https://example.com/de"}', "_save": "Save"},
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.links == {"cognito:german": "https://example.com/de"}
    response = console.post(reverse("admin:hostedui_terms_delete", args=[record.pk]), {"post": "yes"})
    assert response.status_code == 302 and not Terms.objects.exists()


# --- Preview -------------------------------------------------------------------------------------


def test_preview_of_a_pools_pages(console, hosted_app):
    pool, client = hosted_app
    other = user_pool_client_create(SYSTEM, oauth_client_request(pool.id, "second"))
    branding.ui_customization_set(SYSTEM, {"UserPoolId": pool.id, "CSS": ".label-customizable{color:#010203}"})
    branding.ui_customization_set(
        SYSTEM,
        {
            "UserPoolId": pool.id,
            "ClientId": other.client_id,
            "CSS": ".label-customizable{color:#040506}",
            "ImageFile": b64(png()),
        },
    )
    for name, url in (("terms-of-use", "https://example.com/t"), ("privacy-policy", "https://example.com/p")):
        terms.terms_create(
            SYSTEM,
            {
                "UserPoolId": pool.id,
                "ClientId": client.client_id,
                "TermsName": name,
                "TermsSource": "LINK",
                "Enforcement": "NONE",
                "Links": {"cognito:default": url},
            },
        )

    pool_page = console.get(reverse("admin:userpools_userpool_change", args=[quote(pool.pk)]))
    preview_url = reverse("admin:hostedui_pool_preview", args=[pool.pk])
    assert preview_url.encode() in pool_page.content

    index = console.get(preview_url)
    assert index.status_code == 200
    frames = re.findall(r'<iframe src="([^"]+)"', index.content.decode())
    assert len(frames) == 6  # login and sign-up: the pool's style and two clients'
    assert any(f"client={other.client_id}" in f for f in frames)

    pool_login = console.get(frames[0].replace("&amp;", "&"))
    assert pool_login.status_code == 200
    html = pool_login.content.decode()
    assert "color: #010203" in html and "Preview: forms are disabled." in html
    assert 'name="password" type="password" autocomplete="current-password" required disabled' in html
    assert pool_login["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in pool_login["Content-Security-Policy"]

    own = console.get(
        reverse("admin:hostedui_pool_preview_page", args=[pool.pk, "login"]) + f"?client={other.client_id}"
    )
    assert "color: #040506" in own.content.decode() and "logo-customizable" in own.content.decode()

    signup = console.get(
        reverse("admin:hostedui_pool_preview_page", args=[pool.pk, "signup"]) + f"?client={client.client_id}"
    )
    assert signup.status_code == 200
    assert "https://example.com/t" in signup.content.decode() and "https://example.com/p" in signup.content.decode()
    assert "color: #010203" in signup.content.decode()  # the client inherits the pool's style

    assert console.get(reverse("admin:hostedui_pool_preview_page", args=[pool.pk, "nonsense"])).status_code == 404
    assert (
        console.get(
            reverse("admin:hostedui_pool_preview_page", args=[pool.pk, "login"]) + "?client=nosuchclient"
        ).status_code
        == 404
    )
    assert console.get(reverse("admin:hostedui_pool_preview", args=["us-east-1_nothere00"])).status_code == 404


def test_preview_is_for_staff_only(client, hosted_app, django_user_model):
    pool, _ = hosted_app
    urls = [
        reverse("admin:hostedui_pool_preview", args=[pool.pk]),
        reverse("admin:hostedui_pool_preview_page", args=[pool.pk, "login"]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(django_user_model.objects.create_user(username="nobody", password="x"))
    for url in urls:
        assert client.get(url).status_code == 302
