"""No body gets a 500 from the look operations: tests/wire/test_fuzz.py covers every handler,
but draws no base64 blobs and no settings documents; these do (real and broken images,
arbitrary JSON for Settings, CSS fragments)."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.branding.conftest import ICO, JPEG, SVG, WEBP, png
from userpools.context import SYSTEM
from userpools.services.clients import user_pool_client_create
from userpools.services.pools import user_pool_create

pytestmark = pytest.mark.django_db

images = st.sampled_from([png(), JPEG, ICO, SVG, WEBP, b"", b"GIF89a", b"<svg", b"\x89PNG"]) | st.binary(max_size=64)
blobs = images.map(lambda data: base64.b64encode(data).decode()) | st.text(max_size=12)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-10, 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["ffffffff", "0b57d0", "red", "LIGHT", "DARK", "DYNAMIC", "url(x)"])
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "components",
                    "categories",
                    "global",
                    "colorSchemeMode",
                    "lightMode",
                    "darkMode",
                    "color",
                    "backgroundColor",
                    "form",
                    "borderRadius",
                    "logo",
                    "enabled",
                    "x",
                ]
            )
            | st.text(max_size=5),
            children,
            max_size=4,
        )
    ),
    max_leaves=15,
)
assets = st.lists(
    st.fixed_dictionaries(
        {
            "Category": st.sampled_from(["FORM_LOGO", "PAGE_BACKGROUND", "FAVICON_ICO", "FAVICON_SVG", "nope"]),
            "ColorMode": st.sampled_from(["LIGHT", "DARK", "DYNAMIC"]),
            "Extension": st.sampled_from(["PNG", "JPEG", "ICO", "SVG", "WEBP"]),
        },
        optional={"Bytes": blobs, "ResourceId": st.sampled_from(["a b", "x", "!"])},
    ),
    max_size=3,
)
css = st.lists(
    st.sampled_from([".label-customizable{", "color:red", "}", "@media", "url(", "\\", "</style>", ";", ".x{", "body"]),
    max_size=8,
).map("".join)


@pytest.fixture
def seeded(db):
    pool = user_pool_create(SYSTEM, {"PoolName": "fuzz-look"})
    client = user_pool_client_create(SYSTEM, {"UserPoolId": pool.id, "ClientName": "c"})
    return pool.id, client.client_id


def _bodies(pool_id: str, client_id: str):
    ids = st.sampled_from([client_id, "ALL", "nosuch"])
    return st.one_of(
        st.tuples(
            st.just("SetUICustomization"),
            st.fixed_dictionaries(
                {"UserPoolId": st.just(pool_id)}, optional={"ClientId": ids, "CSS": css, "ImageFile": blobs}
            ),
        ),
        st.tuples(
            st.just("CreateManagedLoginBranding"),
            st.fixed_dictionaries(
                {"UserPoolId": st.just(pool_id), "ClientId": ids},
                optional={"UseCognitoProvidedValues": st.booleans(), "Settings": json_values, "Assets": assets},
            ),
        ),
        st.tuples(
            st.just("CreateTerms"),
            st.fixed_dictionaries(
                {
                    "UserPoolId": st.just(pool_id),
                    "ClientId": ids,
                    "TermsName": st.sampled_from(["terms-of-use", "privacy-policy"]),
                    "TermsSource": st.just("LINK"),
                    "Enforcement": st.just("NONE"),
                },
                optional={
                    "Links": st.dictionaries(
                        st.sampled_from(["cognito:default", "cognito:german"]),
                        st.sampled_from(["https://example.com", "http://x", "https://", "a"]),
                        max_size=2,
                    )
                },
            ),
        ),
        st.tuples(
            st.just("ListTerms"),
            st.fixed_dictionaries(
                {"UserPoolId": st.just(pool_id)},
                optional={"MaxResults": st.integers(1, 60), "NextToken": st.text(max_size=40)},
            ),
        ),
    )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=st.data())
def test_no_look_request_gets_a_500(signed, seeded, data):
    operation, body = data.draw(_bodies(*seeded))
    response = signed(operation, body)
    assert response.status_code in (200, 400), (operation, body, response.content[:300])
    if response.status_code == 400:
        assert json.loads(response.content)["__type"] != "InternalErrorException"
    if operation == "CreateManagedLoginBranding" and response.status_code == 200:
        # Whatever was accepted renders.
        from hostedui.models import ManagedLoginBranding
        from hostedui.services.branding import page_style

        style = ManagedLoginBranding.objects.select_related("pool", "client").get()
        page_style(style.pool, style.client)
        style.delete()
