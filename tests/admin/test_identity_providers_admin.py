"""The console's identity providers: created, changed and deleted through the services, the
secrets never on a page. An OIDC provider's discovery and a SAML provider's metadata come
from a real local HTTP server (as in tests/identityproviders/conftest.py, copied here)."""

from __future__ import annotations

import base64
import datetime
import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from userpools.admin.identity_providers import pem_restored
from userpools.context import ServiceContext
from userpools.models import AppClient, AuditEvent, IdentityProvider, IdentityProviderIdentifier, User
from userpools.services import clients, directory, identity_providers, pools, provider_links

pytestmark = pytest.mark.django_db

CTX = ServiceContext(actor="test")
ADD = reverse("admin:userpools_identityprovider_add")
LIST = reverse("admin:userpools_identityprovider_changelist")
OIDC_SECRET = "oidc-client-secret-9f2e7c"
GOOGLE_SECRET = "google-client-secret-4b1d8a"


def _change(provider) -> str:
    return reverse("admin:userpools_identityprovider_change", args=[provider.pk])


def _delete(provider) -> str:
    return reverse("admin:userpools_identityprovider_delete", args=[provider.pk])


# --- A local stand-in for the providers' documents ----------------------------------------


@contextmanager
def _local_server(routes: dict[str, bytes], hits: list[str]):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            hits.append(self.path)
            body = routes.get(self.path)
            self.send_response(200 if body is not None else 404)
            body = body if body is not None else b"not found"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def issuer(settings):
    """An OIDC issuer on 127.0.0.1 serving its discovery document; yields (issuer, hits)."""
    settings.COGNATE_IDP_PRIVATE_ADDRESSES = ["127.0.0.1"]
    routes: dict[str, bytes] = {}
    hits: list[str] = []
    with _local_server(routes, hits) as url:
        routes["/.well-known/openid-configuration"] = json.dumps(
            {
                "issuer": url,
                "authorization_endpoint": f"{url}/authorize",
                "token_endpoint": f"{url}/token",
                "userinfo_endpoint": f"{url}/userinfo",
                "jwks_uri": f"{url}/jwks.json",
            }
        ).encode()
        yield url, hits


def _self_signed_certificate() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example.com")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


def _idp_metadata(sso: str = "https://idp.example.com/sso") -> str:
    redirect = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
    return (
        '<?xml version="1.0"?>'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example.com/metadata">'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>'
        f"<ds:X509Certificate>{_self_signed_certificate()}</ds:X509Certificate>"
        "</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        f'<md:SingleSignOnService Binding="{redirect}" Location="{sso}"/>'
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


def _apple_private_key() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


# --- Fixtures and helpers ------------------------------------------------------------------


@pytest.fixture
def console(client, make_operator):
    client.force_login(make_operator("root", is_superuser=True))
    return client


@pytest.fixture
def pool():
    return pools.user_pool_create(
        CTX, {"PoolName": "federated", "Schema": [{"Name": "team", "AttributeDataType": "String"}]}
    )


def _form(pool, **overrides) -> dict:
    data = {
        "pool": pool.id,
        "ProviderName": "Google",
        "ProviderType": "Google",
        "ProviderDetails": "client_id = 1example.apps.googleusercontent.com\nauthorize_scopes = email profile openid",
        "client_secret": GOOGLE_SECRET,
        "private_key": "",
        "MetadataFile": "",
        "AttributeMapping": "email = email\ngiven_name = given_name",
        "IdpIdentifiers": "",
        "_save": "Save",
    }
    data.update(overrides)
    return data


def _form_errors(response) -> dict:
    assert response.status_code == 200, response
    return response.context["adminform"].form.errors


def _current(console, provider) -> dict:
    """The change form's data as the page shows it (what a browser would send back unchanged)."""
    form = console.get(_change(provider)).context["adminform"].form
    data = {"_save": "Save"}
    for name, field in form.fields.items():
        if field.disabled or isinstance(field, forms.FileField):
            continue
        value = field.prepare_value(form.initial.get(name, field.initial))
        data[name] = "" if value is None else value
    return data


def _google(pool) -> IdentityProvider:
    return identity_providers.identity_provider_create(
        CTX,
        {
            "UserPoolId": pool.id,
            "ProviderName": "Google",
            "ProviderType": "Google",
            "ProviderDetails": {
                "client_id": "1example.apps.googleusercontent.com",
                "client_secret": GOOGLE_SECRET,
                "authorize_scopes": "email profile openid",
            },
            "AttributeMapping": {"email": "email"},
            "IdpIdentifiers": ["example.com"],
        },
    )


# --- Pages ----------------------------------------------------------------------------------


def test_pages_load_and_the_list_shows_the_pools_providers(console, pool):
    provider = _google(pool)
    response = console.get(LIST)
    assert response.status_code == 200
    assert b"example.com" in response.content  # the identifiers column
    assert console.get(LIST, {"pool__id__exact": pool.id}).context["cl"].result_count == 1
    assert console.get(LIST, {"q": "Goo"}).context["cl"].result_count == 1
    assert console.get(LIST, {"q": "nosuch"}).context["cl"].result_count == 0
    add_page = console.get(ADD)
    assert add_page.status_code == 200
    assert b'enctype="multipart/form-data"' in add_page.content  # the metadata upload
    assert console.get(_change(provider)).status_code == 200
    assert console.get(_delete(provider)).status_code == 200


def test_a_non_staff_user_or_a_pool_user_cannot_reach_the_pages(client, make_operator, django_user_model, pool):
    provider = _google(pool)
    urls = (LIST, ADD, _change(provider), _delete(provider))
    not_staff = django_user_model.objects.create_user(username="nostaff", password="pw-nostaff", is_superuser=True)
    assert not not_staff.is_staff
    client.force_login(not_staff)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and reverse("admin:login") in response["Location"], url
    response = client.post(_delete(provider), {"post": "yes"})
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    pool_user = User.objects.create_user(username="eve", password="pw-eve-12345", pool=pool, is_staff=True)
    client.force_login(pool_user)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and reverse("admin:login") in response["Location"], url
    staff_without_permissions = make_operator("helpdesk")
    client.force_login(staff_without_permissions)
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert IdentityProvider.objects.filter(pk=provider.pk).exists()


# --- Create ---------------------------------------------------------------------------------


def test_create_an_oidc_provider_whose_endpoints_are_discovered(console, pool, issuer):
    url, hits = issuer
    details = f"client_id = oidc-client\nauthorize_scopes = openid email\noidc_issuer = {url}"
    response = console.post(
        ADD,
        _form(
            pool,
            ProviderName="Corp",
            ProviderType="OIDC",
            ProviderDetails=details,
            client_secret=OIDC_SECRET,
            AttributeMapping="email = email\ncustom:team = department",
            IdpIdentifiers="corp.example.com\ncorp",
        ),
    )
    assert response.status_code == 302, _form_errors(response)
    provider = IdentityProvider.objects.get(pool=pool, name="Corp")
    assert provider.provider_type == "OIDC"
    assert provider.details["authorize_url"] == f"{url}/authorize"
    assert provider.details["jwks_uri"] == f"{url}/jwks.json"
    assert "client_secret" not in provider.details
    assert provider.secret == OIDC_SECRET
    assert provider.attribute_mapping == {"email": "email", "custom:team": "department", "username": "sub"}
    assert sorted(
        IdentityProviderIdentifier.objects.filter(provider=provider).values_list("identifier", flat=True)
    ) == [
        "corp",
        "corp.example.com",
    ]
    assert "/.well-known/openid-configuration" in hits
    assert (
        AuditEvent.objects.filter(action="identity_provider.create", target="Corp", actor="operator:root").count() == 1
    )
    page = console.get(_change(provider)).content.decode()
    assert OIDC_SECRET not in page
    assert f"{url}/authorize" in page  # the discovered endpoint is shown


def test_create_a_google_provider_and_its_secret_never_reaches_a_page(console, pool):
    response = console.post(ADD, _form(pool))
    assert response.status_code == 302, _form_errors(response)
    provider = IdentityProvider.objects.get(pool=pool, name="Google")
    assert provider.secret == GOOGLE_SECRET
    assert provider.details["token_url"] == "https://www.googleapis.com/oauth2/v4/token"
    assert provider.attribute_mapping == {"email": "email", "given_name": "given_name", "username": "sub"}
    for url in (_change(provider), LIST, _delete(provider)):
        assert GOOGLE_SECRET not in console.get(url).content.decode(), url
    # Nor does a form shown again with an error carry the secret typed into it.
    response = console.post(ADD, _form(pool, AttributeMapping="nosuch = x", client_secret="typed-secret-77aa"))
    assert "typed-secret-77aa" not in response.content.decode()


def test_an_unknown_attribute_in_the_mapping_is_a_form_error_and_nothing_is_written(console, pool):
    response = console.post(ADD, _form(pool, AttributeMapping="email = email\nshoe_size = shoe"))
    errors = _form_errors(response)
    assert "shoe_size is not an attribute" in str(errors["AttributeMapping"])
    assert not IdentityProvider.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="identity_provider.").exists()
    assert response.context["adminform"].form["ProviderName"].value() == "Google"  # the input is kept


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ProviderName": "Googly"}, "ProviderName"),  # a social provider is named after its type
        ({"ProviderDetails": "client_id = x"}, "ProviderDetails"),  # authorize_scopes missing
        ({"ProviderDetails": "client_id = x\nauthorize_scopes = email\nnosuch = 1"}, "ProviderDetails"),
        ({"ProviderDetails": "client_id x"}, "ProviderDetails"),  # not key = value
        ({"ProviderDetails": "client_id = x\nauthorize_scopes = email\nclient_secret = s"}, "ProviderDetails"),
        ({"private_key": "-----BEGIN PRIVATE KEY-----"}, "private_key"),  # not a Google detail
        ({"MetadataFile": "<xml/>"}, "MetadataFile"),  # only SAML has metadata
        ({"AttributeMapping": "email"}, "AttributeMapping"),
        ({"IdpIdentifiers": "same\nsame"}, "IdpIdentifiers"),
    ],
)
def test_invalid_input_is_shown_on_its_field(console, pool, overrides, field):
    errors = _form_errors(console.post(ADD, _form(pool, **overrides)))
    assert field in errors, errors
    assert not IdentityProvider.objects.exists()


def test_a_failed_discovery_is_a_form_error(console, pool, issuer):
    url, _ = issuer
    details = f"client_id = c\nauthorize_scopes = openid\noidc_issuer = {url}/elsewhere"
    response = console.post(
        ADD, _form(pool, ProviderName="Corp", ProviderType="OIDC", ProviderDetails=details, client_secret="s")
    )
    assert "Unable to retrieve the OpenID Connect configuration" in str(_form_errors(response)["ProviderDetails"])
    assert not IdentityProvider.objects.exists()


def test_create_a_saml_provider_from_an_uploaded_metadata_file(console, pool):
    upload = SimpleUploadedFile("metadata.xml", _idp_metadata().encode(), content_type="text/xml")
    response = console.post(
        ADD,
        _form(
            pool,
            ProviderName="Okta",
            ProviderType="SAML",
            ProviderDetails="IDPSignout = true",
            client_secret="",
            MetadataUpload=upload,
            AttributeMapping="email = http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        ),
    )
    assert response.status_code == 302, _form_errors(response)
    provider = IdentityProvider.objects.get(pool=pool, name="Okta")
    assert provider.details["SSORedirectBindingURI"] == "https://idp.example.com/sso"
    assert provider.details["IDPSignout"] == "true"
    assert provider.saml_metadata.startswith('<?xml version="1.0"?>')
    # A change that sends the page back with one detail changed (the metadata as the page shows it).
    data = _current(console, provider)
    assert data["MetadataFile"] == provider.saml_metadata
    data["ProviderDetails"] = data["ProviderDetails"].replace("IDPSignout = true", "IDPSignout = false")
    response = console.post(_change(provider), data)
    assert response.status_code == 302, _form_errors(response)
    provider.refresh_from_db()
    assert provider.details["IDPSignout"] == "false"
    assert provider.details["SSORedirectBindingURI"] == "https://idp.example.com/sso"


def test_saml_metadata_without_a_sign_on_endpoint_is_a_form_error(console, pool):
    metadata = _idp_metadata().replace("SingleSignOnService", "ArtifactResolutionService")
    response = console.post(
        ADD,
        _form(
            pool, ProviderName="Okta", ProviderType="SAML", ProviderDetails="", client_secret="", MetadataFile=metadata
        ),
    )
    assert "no SingleSignOnService" in str(_form_errors(response)["MetadataFile"])
    assert not IdentityProvider.objects.exists()


def test_saml_metadata_from_a_url_that_fails_is_a_details_error(console, pool, issuer):
    url, hits = issuer
    details = f"MetadataURL = {url}/saml/metadata"  # not served: 404
    response = console.post(
        ADD, _form(pool, ProviderName="Okta", ProviderType="SAML", ProviderDetails=details, client_secret="")
    )
    assert "MetadataURL" in str(_form_errors(response)["ProviderDetails"])
    assert "/saml/metadata" in hits
    assert not IdentityProvider.objects.exists()


def test_apples_private_key_typed_into_a_one_line_field_is_stored_whole_and_never_shown(console, pool):
    key = _apple_private_key()
    as_a_browser_sends_it = key.replace("\n", "")  # a password input drops line breaks
    details = "client_id = com.example.app\nteam_id = TEAM123\nkey_id = KEY123\nauthorize_scopes = email name"
    response = console.post(
        ADD,
        _form(
            pool,
            ProviderName="SignInWithApple",
            ProviderType="SignInWithApple",
            ProviderDetails=details,
            client_secret="",
            private_key=as_a_browser_sends_it,
        ),
    )
    assert response.status_code == 302, _form_errors(response)
    provider = IdentityProvider.objects.get(pool=pool, name="SignInWithApple")
    assert provider.secret == key
    body = key.splitlines()[1]
    page = console.get(_change(provider)).content.decode()
    assert body not in page and as_a_browser_sends_it not in page
    # A change that leaves the key blank keeps it.
    data = _current(console, provider)
    data["ProviderDetails"] = data["ProviderDetails"].replace("KEY123", "KEY456")
    assert console.post(_change(provider), data).status_code == 302
    provider.refresh_from_db()
    assert provider.details["key_id"] == "KEY456"
    assert provider.secret == key


def test_pem_restored_rewraps_only_a_pem_block():
    key = _apple_private_key()
    assert pem_restored(key.replace("\n", "")) == key
    assert pem_restored("  not a pem  ") == "not a pem"


# --- Change ---------------------------------------------------------------------------------


def test_edit_the_mapping_keeps_the_secret_and_fetches_nothing_again(console, pool, issuer):
    url, hits = issuer
    provider = identity_providers.identity_provider_create(
        CTX,
        {
            "UserPoolId": pool.id,
            "ProviderName": "Corp",
            "ProviderType": "OIDC",
            "ProviderDetails": {
                "client_id": "c",
                "client_secret": OIDC_SECRET,
                "authorize_scopes": "openid",
                "oidc_issuer": url,
            },
        },
    )
    fetched = len(hits)
    data = _current(console, provider)
    assert data["client_secret"] == ""  # the form has no value for the secret
    data["AttributeMapping"] = "username = sub\nemail = mail\ncustom:team = dept"
    response = console.post(_change(provider), data)
    assert response.status_code == 302, _form_errors(response)
    provider.refresh_from_db()
    assert provider.attribute_mapping == {"username": "sub", "email": "mail", "custom:team": "dept"}
    assert provider.secret == OIDC_SECRET
    assert len(hits) == fetched  # the details were not sent, so no discovery again
    event = AuditEvent.objects.get(action="identity_provider.update", target="Corp")
    assert event.actor == "operator:root"
    assert event.details["changed"] == ["AttributeMapping"]


def test_change_the_details_keeps_the_stored_secret_unless_a_new_one_is_typed(console, pool):
    provider = _google(pool)
    data = _current(console, provider)
    data["ProviderDetails"] = data["ProviderDetails"].replace("email profile openid", "email openid")
    assert console.post(_change(provider), data).status_code == 302
    provider.refresh_from_db()
    assert provider.details["authorize_scopes"] == "email openid"
    assert provider.secret == GOOGLE_SECRET
    data = _current(console, provider)
    data["client_secret"] = "rotated-secret-31c9"
    assert console.post(_change(provider), data).status_code == 302
    provider.refresh_from_db()
    assert provider.secret == "rotated-secret-31c9"
    assert "rotated-secret-31c9" not in console.get(_change(provider)).content.decode()


def test_an_invalid_change_is_a_form_error_and_nothing_changes(console, pool):
    provider = _google(pool)
    other = identity_providers.identity_provider_create(
        CTX,
        {
            "UserPoolId": pool.id,
            "ProviderName": "Facebook",
            "ProviderType": "Facebook",
            "ProviderDetails": {"client_id": "f", "client_secret": "fs", "authorize_scopes": "email"},
            "IdpIdentifiers": ["taken"],
        },
    )
    data = _current(console, provider)
    data["AttributeMapping"] = "shoe_size = shoe"
    errors = _form_errors(console.post(_change(provider), data))
    assert "AttributeMapping" in errors
    data = _current(console, provider)
    data["IdpIdentifiers"] = "example.com\ntaken"
    errors = _form_errors(console.post(_change(provider), data))
    assert "taken" in str(errors["IdpIdentifiers"])
    provider.refresh_from_db()
    assert provider.attribute_mapping == {"email": "email", "username": "sub"}
    assert provider.idp_identifiers == ["example.com"]
    assert other.identifiers.get().identifier == "taken"
    assert not AuditEvent.objects.filter(action="identity_provider.update").exists()


# --- Delete ---------------------------------------------------------------------------------


def test_delete_goes_through_the_service(console, pool):
    provider = _google(pool)
    client = clients.user_pool_client_create(
        CTX, {"UserPoolId": pool.id, "ClientName": "web", "SupportedIdentityProviders": ["COGNITO", "Google"]}
    )
    user = directory.user_admin_create(CTX, pool_id=pool.id, username="ada", message_action="SUPPRESS")
    provider_links.provider_link(
        CTX,
        {
            "UserPoolId": pool.id,
            "DestinationUser": {"ProviderName": "Cognito", "ProviderAttributeValue": "ada"},
            "SourceUser": {
                "ProviderName": "Google",
                "ProviderAttributeName": "Cognito_Subject",
                "ProviderAttributeValue": "g-123",
            },
        },
    )
    assert "g-123" in console.get(_change(provider)).content.decode()  # the linked users are shown
    user_page = console.get(reverse("admin:userpools_pooluser_change", args=[user.pk])).content.decode()
    assert "Cognito_Subject = g-123" in user_page and _change(provider) in user_page
    response = console.post(_delete(provider), {"post": "yes"})
    assert response.status_code == 302
    assert not IdentityProvider.objects.filter(pk=provider.pk).exists()
    assert AppClient.objects.get(pk=client.pk).settings["SupportedIdentityProviders"] == ["COGNITO"]
    user.refresh_from_db()
    assert "identities" not in user.attributes
    event = AuditEvent.objects.get(action="identity_provider.delete", target="Google")
    assert event.actor == "operator:root"
