"""SetUICustomization / GetUICustomization with boto3 against the live server.

Pinned (developer guide, "Customizing hosted UI (classic) branding",
https://docs.aws.amazon.com/cognito/latest/developerguide/hosted-ui-classic-branding.html, and
the API reference of both operations):
* ClientId ALL (or none) is the pool's default; a client's own customization overrides it,
  GetUICustomization for a client without one returns the pool's, and "an empty object" when
  neither exists;
* only the customizable classes and their properties; the stored CSS is normalized;
  CSSVersion changes on every call; the logo is a PNG or JPEG of at most 100 KB;
* CSS and logo are set together: a call without ImageFile leaves no logo, a call with
  neither removes the customization.
"""

from __future__ import annotations

import json

import pytest
import requests

from hostedui.services.branding import MAX_LOGO_BYTES
from tests.branding.conftest import GIF, JPEG, SVG, b64, png
from tests.userpools.conftest import call_error
from userpools.services.domains import pages_base_url

pytestmark = pytest.mark.django_db(transaction=True)

UNKNOWN_POOL = "us-east-1_nothere00"
CSS = ".label-customizable{color:#123456}\n.submitButton-customizable{background-color:#0b57d0}"


def test_pool_default_with_css_and_logo(idp, pool_id, public_url):
    logo = png()
    out = idp.set_ui_customization(UserPoolId=pool_id, CSS=CSS, ImageFile=logo)["UICustomization"]
    assert out["UserPoolId"] == pool_id
    assert out["ClientId"] == "ALL"
    assert out["CSS"] == (
        ".label-customizable {\n  color: #123456;\n}\n\n.submitButton-customizable {\n  background-color: #0b57d0;\n}\n"
    )
    assert out["CSSVersion"].isdigit()
    assert out["CreationDate"] and out["LastModifiedDate"]
    assert out["ImageUrl"].startswith(f"{pages_base_url(pool_id)}/assets/ui/ALL/")
    fetched = requests.get(out["ImageUrl"], timeout=10)
    assert fetched.status_code == 200
    assert fetched.content == logo
    assert fetched.headers["Content-Type"] == "image/png"

    got = idp.get_ui_customization(UserPoolId=pool_id)["UICustomization"]
    assert got["CSS"] == out["CSS"] and got["ImageUrl"] == out["ImageUrl"] and got["ClientId"] == "ALL"
    assert idp.get_ui_customization(UserPoolId=pool_id, ClientId="ALL")["UICustomization"] == got


def test_client_all_is_the_pool(idp, pool_id):
    idp.set_ui_customization(UserPoolId=pool_id, ClientId="ALL", CSS=CSS)
    assert idp.get_ui_customization(UserPoolId=pool_id)["UICustomization"]["ClientId"] == "ALL"


def test_css_version_changes_on_every_set(idp, pool_id):
    versions = {
        idp.set_ui_customization(UserPoolId=pool_id, CSS=CSS)["UICustomization"]["CSSVersion"] for _ in range(3)
    }
    assert len(versions) == 3


def test_client_overrides_the_pool_and_falls_back(idp, pool_id, make_client):
    first = make_client(pool_id, "first")["ClientId"]
    second = make_client(pool_id, "second")["ClientId"]
    idp.set_ui_customization(UserPoolId=pool_id, CSS=".label-customizable{color:red}")
    own = idp.set_ui_customization(
        UserPoolId=pool_id, ClientId=first, CSS=".label-customizable{color:blue}", ImageFile=JPEG
    )["UICustomization"]
    assert own["ClientId"] == first
    assert "/assets/ui/" + first + "/" in own["ImageUrl"] and own["ImageUrl"].endswith("/logo.jpg")

    assert "blue" in idp.get_ui_customization(UserPoolId=pool_id, ClientId=first)["UICustomization"]["CSS"]
    inherited = idp.get_ui_customization(UserPoolId=pool_id, ClientId=second)["UICustomization"]
    assert inherited["ClientId"] == "ALL" and "red" in inherited["CSS"]
    assert "red" in idp.get_ui_customization(UserPoolId=pool_id)["UICustomization"]["CSS"]

    # Neither CSS nor logo removes the client's own: it falls back to the pool's again.
    removed = idp.set_ui_customization(UserPoolId=pool_id, ClientId=first)["UICustomization"]
    assert removed == {"UserPoolId": pool_id, "ClientId": first}
    assert idp.get_ui_customization(UserPoolId=pool_id, ClientId=first)["UICustomization"]["ClientId"] == "ALL"


def test_nothing_applied_is_an_empty_object(idp, pool_id, make_client):
    client_id = make_client(pool_id)["ClientId"]
    assert idp.get_ui_customization(UserPoolId=pool_id)["UICustomization"] == {}
    assert idp.get_ui_customization(UserPoolId=pool_id, ClientId=client_id)["UICustomization"] == {}


def test_css_and_logo_are_set_together(idp, pool_id):
    idp.set_ui_customization(UserPoolId=pool_id, CSS=CSS, ImageFile=png())
    out = idp.set_ui_customization(UserPoolId=pool_id, CSS=CSS)["UICustomization"]
    assert "ImageUrl" not in out
    logo_only = idp.set_ui_customization(UserPoolId=pool_id, ImageFile=png())["UICustomization"]
    assert "CSS" not in logo_only and logo_only["ImageUrl"]


def test_logo_version_in_url_changes(idp, pool_id):
    first = idp.set_ui_customization(UserPoolId=pool_id, ImageFile=png())["UICustomization"]["ImageUrl"]
    second = idp.set_ui_customization(UserPoolId=pool_id, ImageFile=png(3, 3))["UICustomization"]["ImageUrl"]
    assert first != second


@pytest.mark.parametrize(
    "kwargs",
    [
        {"CSS": "body { color: red }"},
        {"CSS": ".label-customizable { color: url(https://evil.example/) }"},
        {"CSS": "@import url(x);"},
        {"CSS": ".label-customizable { color: red } </style><script>alert(1)</script>"},
        {"ImageFile": GIF},
        {"ImageFile": SVG},
        {"ImageFile": b"not an image at all"},
        {"ImageFile": png() + b"\x00" * (MAX_LOGO_BYTES + 1 - len(png()))},
    ],
)
def test_invalid_parameters(idp, pool_id, kwargs):
    assert call_error(idp.set_ui_customization, UserPoolId=pool_id, **kwargs) == "InvalidParameterException"
    assert idp.get_ui_customization(UserPoolId=pool_id)["UICustomization"] == {}


def test_image_over_the_model_limit(raw_idp, pool_id):
    too_big = png() + b"\x00" * 131072
    assert (
        call_error(raw_idp.set_ui_customization, UserPoolId=pool_id, ImageFile=too_big) == "InvalidParameterException"
    )


def test_not_found(idp, pool_id):
    assert call_error(idp.set_ui_customization, UserPoolId=UNKNOWN_POOL, CSS=CSS) == "ResourceNotFoundException"
    assert call_error(idp.get_ui_customization, UserPoolId=UNKNOWN_POOL) == "ResourceNotFoundException"
    assert call_error(idp.set_ui_customization, UserPoolId=pool_id, ClientId="nosuchclient", CSS=CSS) == (
        "ResourceNotFoundException"
    )
    assert call_error(idp.get_ui_customization, UserPoolId=pool_id, ClientId="nosuchclient") == (
        "ResourceNotFoundException"
    )


def test_client_of_another_pool_is_not_found(idp, pool_id, make_pool, make_client):
    other = make_client(make_pool("other")["Id"])["ClientId"]
    assert call_error(idp.set_ui_customization, UserPoolId=pool_id, ClientId=other, CSS=CSS) == (
        "ResourceNotFoundException"
    )


def test_bad_base64_is_a_typed_error(signed, db):
    from userpools.context import SYSTEM
    from userpools.services.pools import user_pool_create

    pool = user_pool_create(SYSTEM, {"PoolName": "b64"})
    response = signed("SetUICustomization", {"UserPoolId": pool.id, "ImageFile": "not base64!!"})
    assert response.status_code == 400
    assert json.loads(response.content)["__type"] == "SerializationException"
    response = signed("SetUICustomization", {"UserPoolId": pool.id, "ImageFile": b64(b"GIF89a")})
    assert json.loads(response.content)["__type"] == "InvalidParameterException"
