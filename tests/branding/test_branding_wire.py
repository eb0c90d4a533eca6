"""Managed login branding with boto3 against the live server.

Pinned (API reference of Create/Describe/DescribeByClient/Update/DeleteManagedLoginBranding,
e.g. https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateManagedLoginBranding.html):
* one style per app client (ManagedLoginBrandingExistsException);
* "When you specify true for [UseCognitoProvidedValues], you must also omit values for
  Settings and Assets";
* assets unique by Category and ColorMode, at most 1,000,000 bytes, and really the type
  their Extension says;
* UpdateManagedLoginBranding "preserves existing style settings that you don't specify";
* ReturnMergedResources fills in the defaults; the Settings are returned as stored.
"""

from __future__ import annotations

import uuid

import pytest

from tests.branding.conftest import ICO, JPEG, SVG, WEBP, png
from tests.userpools.conftest import call_error

pytestmark = pytest.mark.django_db(transaction=True)

DEEP: list = []
for _ in range(30):
    DEEP = [DEEP]

SETTINGS = {
    "components": {
        "primaryButton": {"lightMode": {"defaults": {"backgroundColor": "aa0000ff", "textColor": "ffffffff"}}},
        "pageBackground": {"lightMode": {"color": "f0f0f0ff"}, "darkMode": {"color": "101010ff"}},
    },
    "categories": {"global": {"colorSchemeMode": "LIGHT"}},
    "somethingCognateIgnores": {"kept": [1, 2.5, True, None, "x"]},
}


@pytest.fixture
def client_id(pool_id, make_client) -> str:
    return make_client(pool_id)["ClientId"]


def _asset(category="FORM_LOGO", mode="LIGHT", extension="PNG", data=None, **extra):
    return {
        "Category": category,
        "ColorMode": mode,
        "Extension": extension,
        "Bytes": png() if data is None else data,
        **extra,
    }


def test_create_describe_delete(idp, pool_id, client_id):
    created = idp.create_managed_login_branding(
        UserPoolId=pool_id, ClientId=client_id, Settings=SETTINGS, Assets=[_asset(ResourceId="logo 1")]
    )["ManagedLoginBranding"]
    style_id = created["ManagedLoginBrandingId"]
    assert uuid.UUID(style_id).version == 4
    assert created["UserPoolId"] == pool_id
    assert created["UseCognitoProvidedValues"] is False
    assert created["Settings"] == SETTINGS
    assert created["Assets"] == [
        {"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG", "Bytes": png(), "ResourceId": "logo 1"}
    ]
    assert created["CreationDate"] and created["LastModifiedDate"]

    described = idp.describe_managed_login_branding(UserPoolId=pool_id, ManagedLoginBrandingId=style_id)
    assert described["ManagedLoginBranding"]["Settings"] == SETTINGS
    by_client = idp.describe_managed_login_branding_by_client(UserPoolId=pool_id, ClientId=client_id)
    assert by_client["ManagedLoginBranding"]["ManagedLoginBrandingId"] == style_id

    idp.delete_managed_login_branding(UserPoolId=pool_id, ManagedLoginBrandingId=style_id)
    assert call_error(idp.describe_managed_login_branding, UserPoolId=pool_id, ManagedLoginBrandingId=style_id) == (
        "ResourceNotFoundException"
    )
    assert call_error(idp.describe_managed_login_branding_by_client, UserPoolId=pool_id, ClientId=client_id) == (
        "ResourceNotFoundException"
    )
    assert call_error(idp.delete_managed_login_branding, UserPoolId=pool_id, ManagedLoginBrandingId=style_id) == (
        "ResourceNotFoundException"
    )


def test_one_style_per_client(idp, pool_id, client_id):
    idp.create_managed_login_branding(UserPoolId=pool_id, ClientId=client_id, UseCognitoProvidedValues=True)
    assert (
        call_error(
            idp.create_managed_login_branding, UserPoolId=pool_id, ClientId=client_id, UseCognitoProvidedValues=True
        )
        == "ManagedLoginBrandingExistsException"
    )


def test_cognito_provided_values(idp, pool_id, client_id):
    created = idp.create_managed_login_branding(UserPoolId=pool_id, ClientId=client_id, UseCognitoProvidedValues=True)[
        "ManagedLoginBranding"
    ]
    assert created["UseCognitoProvidedValues"] is True
    assert created["Settings"] == {} and created["Assets"] == []
    merged = idp.describe_managed_login_branding(
        UserPoolId=pool_id, ManagedLoginBrandingId=created["ManagedLoginBrandingId"], ReturnMergedResources=True
    )["ManagedLoginBranding"]
    assert merged["Settings"]["categories"]["global"]["colorSchemeMode"] == "LIGHT"
    assert merged["Settings"]["components"]["primaryButton"]["lightMode"]["defaults"]["backgroundColor"]


@pytest.mark.parametrize("extra", [{"Settings": {}}, {"Assets": [_asset()]}])
def test_cognito_provided_values_exclude_settings_and_assets(idp, pool_id, client_id, extra):
    assert (
        call_error(
            idp.create_managed_login_branding,
            UserPoolId=pool_id,
            ClientId=client_id,
            UseCognitoProvidedValues=True,
            **extra,
        )
        == "InvalidParameterException"
    )


def test_merged_resources(idp, pool_id, client_id):
    created = idp.create_managed_login_branding(UserPoolId=pool_id, ClientId=client_id, Settings=SETTINGS)
    style_id = created["ManagedLoginBranding"]["ManagedLoginBrandingId"]
    merged = idp.describe_managed_login_branding_by_client(
        UserPoolId=pool_id, ClientId=client_id, ReturnMergedResources=True
    )["ManagedLoginBranding"]
    button = merged["Settings"]["components"]["primaryButton"]
    assert button["lightMode"]["defaults"]["backgroundColor"] == "aa0000ff"  # customized
    assert button["darkMode"]["defaults"]["backgroundColor"]  # a default
    assert merged["Settings"]["somethingCognateIgnores"] == SETTINGS["somethingCognateIgnores"]
    plain = idp.describe_managed_login_branding(UserPoolId=pool_id, ManagedLoginBrandingId=style_id)
    assert plain["ManagedLoginBranding"]["Settings"] == SETTINGS


def test_update_preserves_what_it_is_not_given(idp, pool_id, client_id):
    created = idp.create_managed_login_branding(
        UserPoolId=pool_id,
        ClientId=client_id,
        Settings=SETTINGS,
        Assets=[_asset(), _asset("PAGE_BACKGROUND", "DARK", "JPEG", JPEG)],
    )
    style_id = created["ManagedLoginBranding"]["ManagedLoginBrandingId"]
    updated = idp.update_managed_login_branding(
        UserPoolId=pool_id,
        ManagedLoginBrandingId=style_id,
        Settings={"components": {"primaryButton": {"lightMode": {"defaults": {"backgroundColor": "00aa00ff"}}}}},
        Assets=[_asset(data=png(5, 5)), _asset("FAVICON_ICO", "DYNAMIC", "ICO", ICO)],
    )["ManagedLoginBranding"]
    defaults = updated["Settings"]["components"]["primaryButton"]["lightMode"]["defaults"]
    assert defaults == {"backgroundColor": "00aa00ff", "textColor": "ffffffff"}
    assert updated["Settings"]["components"]["pageBackground"] == SETTINGS["components"]["pageBackground"]
    assets = {(a["Category"], a["ColorMode"]): a for a in updated["Assets"]}
    assert set(assets) == {("FORM_LOGO", "LIGHT"), ("PAGE_BACKGROUND", "DARK"), ("FAVICON_ICO", "DYNAMIC")}
    assert assets[("FORM_LOGO", "LIGHT")]["Bytes"] == png(5, 5)

    # An asset without Bytes removes that one.
    after = idp.update_managed_login_branding(
        UserPoolId=pool_id,
        ManagedLoginBrandingId=style_id,
        Assets=[{"Category": "PAGE_BACKGROUND", "ColorMode": "DARK", "Extension": "JPEG"}],
    )["ManagedLoginBranding"]
    assert {(a["Category"], a["ColorMode"]) for a in after["Assets"]} == {
        ("FORM_LOGO", "LIGHT"),
        ("FAVICON_ICO", "DYNAMIC"),
    }

    # UseCognitoProvidedValues returns to the defaults.
    reset = idp.update_managed_login_branding(
        UserPoolId=pool_id, ManagedLoginBrandingId=style_id, UseCognitoProvidedValues=True
    )["ManagedLoginBranding"]
    assert reset["UseCognitoProvidedValues"] is True and reset["Settings"] == {} and reset["Assets"] == []
    again = idp.update_managed_login_branding(
        UserPoolId=pool_id, ManagedLoginBrandingId=style_id, Settings={"categories": {}}
    )["ManagedLoginBranding"]
    assert again["UseCognitoProvidedValues"] is False and again["Settings"] == {"categories": {}}


@pytest.mark.parametrize(
    "assets",
    [
        [_asset(), _asset()],  # Category + ColorMode twice
        [_asset(extension="JPEG")],  # a PNG claiming to be a JPEG
        [_asset(data=b"<html><script>alert(1)</script></html>", extension="SVG")],
        [_asset(data=SVG, extension="PNG")],
        [_asset("FAVICON_ICO", extension="PNG")],  # a favicon category takes its own format
        [_asset("FAVICON_SVG", extension="ICO", data=ICO)],
        [_asset("FORM_LOGO", extension="ICO", data=ICO)],
        [_asset(data=png() + b"\x00" * 1_000_001)],
        [{"Category": "FORM_LOGO", "ColorMode": "LIGHT", "Extension": "PNG"}],  # no Bytes on create
    ],
)
def test_invalid_assets(raw_idp, pool_id, client_id, assets):
    assert (
        call_error(raw_idp.create_managed_login_branding, UserPoolId=pool_id, ClientId=client_id, Assets=assets)
        == "InvalidParameterException"
    )
    assert call_error(raw_idp.describe_managed_login_branding_by_client, UserPoolId=pool_id, ClientId=client_id) == (
        "ResourceNotFoundException"
    )


def test_every_asset_type(idp, pool_id, client_id):
    assets = [
        _asset("FORM_LOGO", "LIGHT", "PNG"),
        _asset("FORM_LOGO", "DARK", "JPEG", JPEG),
        _asset("PAGE_BACKGROUND", "DYNAMIC", "WEBP", WEBP),
        _asset("PAGE_HEADER_LOGO", "LIGHT", "SVG", SVG),
        _asset("FAVICON_ICO", "LIGHT", "ICO", ICO),
        _asset("FAVICON_SVG", "LIGHT", "SVG", SVG),
    ]
    out = idp.create_managed_login_branding(UserPoolId=pool_id, ClientId=client_id, Assets=assets)
    assert len(out["ManagedLoginBranding"]["Assets"]) == len(assets)


@pytest.mark.parametrize(
    "settings",
    [
        {"components": {"pageBackground": {"lightMode": {"color": "red;}body{x:url(y)"}}}},
        {"components": {"primaryButton": {"lightMode": {"defaults": {"backgroundColor": 12}}}}},
        {"x": {"textColor": "#ffffff"}},
        ["not", "an", "object"],
        "a string",
        {"deep": DEEP},
        {"big": "x" * (300 * 1024)},
    ],
)
def test_invalid_settings(idp, pool_id, client_id, settings):
    assert (
        call_error(idp.create_managed_login_branding, UserPoolId=pool_id, ClientId=client_id, Settings=settings)
        == "InvalidParameterException"
    )


def test_not_found(idp, pool_id, client_id, make_pool, make_client):
    missing = str(uuid.uuid4())
    assert call_error(idp.create_managed_login_branding, UserPoolId="us-east-1_nothere00", ClientId=client_id) == (
        "ResourceNotFoundException"
    )
    assert call_error(idp.create_managed_login_branding, UserPoolId=pool_id, ClientId="nosuchclient") == (
        "ResourceNotFoundException"
    )
    assert call_error(idp.describe_managed_login_branding, UserPoolId=pool_id, ManagedLoginBrandingId=missing) == (
        "ResourceNotFoundException"
    )
    assert (
        call_error(idp.update_managed_login_branding, UserPoolId=pool_id, ManagedLoginBrandingId=missing, Settings={})
        == "ResourceNotFoundException"
    )
    assert call_error(idp.describe_managed_login_branding_by_client, UserPoolId=pool_id, ClientId="nosuchclient") == (
        "ResourceNotFoundException"
    )

    # A style is found only in its own pool.
    other_pool = make_pool("other")["Id"]
    other = idp.create_managed_login_branding(
        UserPoolId=other_pool, ClientId=make_client(other_pool)["ClientId"], UseCognitoProvidedValues=True
    )
    other_id = other["ManagedLoginBranding"]["ManagedLoginBrandingId"]
    assert call_error(idp.describe_managed_login_branding, UserPoolId=pool_id, ManagedLoginBrandingId=other_id) == (
        "ResourceNotFoundException"
    )
    assert call_error(idp.delete_managed_login_branding, UserPoolId=pool_id, ManagedLoginBrandingId=other_id) == (
        "ResourceNotFoundException"
    )


def test_update_needs_its_ids(raw_idp, pool_id):
    assert call_error(raw_idp.update_managed_login_branding, Settings={}) == "InvalidParameterException"
    assert call_error(raw_idp.update_managed_login_branding, UserPoolId=pool_id, Settings={}) == (
        "InvalidParameterException"
    )
