"""CreateIdentityProvider ... GetIdentityProviderByIdentifier over the wire: boto3 against
live_server. ProviderDetails per type follow the botocore model's documentation of
CreateIdentityProvider ("Create or update request" / "Describe response" for each type);
quotas follow "Quotas in Amazon Cognito"."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography import x509
from django.db import connection

from tests.identityproviders.conftest import (
    GOOGLE_DETAILS,
    POST,
    Route,
    apple_private_key,
    discovery_document,
    idp_metadata,
)
from tests.userpools.conftest import call_error
from userpools.crypto import decrypt
from userpools.models import AuditEvent, IdentityProvider

pytestmark = pytest.mark.django_db(transaction=True)

UNKNOWN_POOL = "us-east-1_Nope12345"


def google(idp, pool, **kwargs):
    return idp.create_identity_provider(
        UserPoolId=pool, ProviderName="Google", ProviderType="Google", ProviderDetails=dict(GOOGLE_DETAILS), **kwargs
    )["IdentityProvider"]


def saml(idp, pool, name="Corp", details=None, **kwargs):
    details = details if details is not None else {"MetadataFile": idp_metadata()}
    return idp.create_identity_provider(
        UserPoolId=pool, ProviderName=name, ProviderType="SAML", ProviderDetails=details, **kwargs
    )["IdentityProvider"]


# --- Social providers -------------------------------------------------------------------------


def test_google_gets_cognitos_endpoints_and_shows_its_secret(idp, pool_id):
    created = google(idp, pool_id)
    assert created["UserPoolId"] == pool_id
    assert created["ProviderName"] == "Google" and created["ProviderType"] == "Google"
    assert created["ProviderDetails"] == {
        **GOOGLE_DETAILS,
        "attributes_url": "https://people.googleapis.com/v1/people/me?personFields=",
        "attributes_url_add_attributes": "true",
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "oidc_issuer": "https://accounts.google.com",
        "token_request_method": "POST",
        "token_url": "https://www.googleapis.com/oauth2/v4/token",
    }
    assert created["AttributeMapping"] == {"username": "sub"}
    assert created["IdpIdentifiers"] == []
    assert "AcrMapping" not in created
    described = idp.describe_identity_provider(UserPoolId=pool_id, ProviderName="Google")["IdentityProvider"]
    assert described == created


def test_the_client_secret_is_encrypted_at_rest(idp, pool_id):
    google(idp, pool_id)
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret, details FROM userpools_identityprovider")
        secret, details = cursor.fetchone()
    assert "s3cret" not in secret and "s3cret" not in str(details)
    assert decrypt(secret) == "s3cret"


@pytest.mark.parametrize(
    ("provider_type", "extra", "subject", "authorize_url"),
    [
        ("Facebook", {"api_version": "v17.0"}, "id", "https://www.facebook.com/v17.0/dialog/oauth"),
        ("LoginWithAmazon", {}, "user_id", "https://www.amazon.com/ap/oa"),
    ],
)
def test_other_social_providers(idp, pool_id, provider_type, extra, subject, authorize_url):
    details = {"client_id": "app", "client_secret": "secret", "authorize_scopes": "profile", **extra}
    created = idp.create_identity_provider(
        UserPoolId=pool_id, ProviderName=provider_type, ProviderType=provider_type, ProviderDetails=details
    )["IdentityProvider"]
    assert created["AttributeMapping"] == {"username": subject}
    assert created["ProviderDetails"]["authorize_url"] == authorize_url
    assert created["ProviderDetails"]["client_secret"] == "secret"


@pytest.mark.parametrize("missing", ["client_id", "client_secret", "authorize_scopes"])
def test_social_details_are_required(idp, pool_id, missing):
    details = {k: v for k, v in GOOGLE_DETAILS.items() if k != missing}
    code = call_error(
        idp.create_identity_provider,
        UserPoolId=pool_id,
        ProviderName="Google",
        ProviderType="Google",
        ProviderDetails=details,
    )
    assert code == "InvalidParameterException"


def test_facebook_api_version_is_checked(idp, pool_id):
    details = {"client_id": "app", "client_secret": "s", "authorize_scopes": "email", "api_version": "latest"}
    code = call_error(
        idp.create_identity_provider,
        UserPoolId=pool_id,
        ProviderName="Facebook",
        ProviderType="Facebook",
        ProviderDetails=details,
    )
    assert code == "InvalidParameterException"


def test_a_social_provider_is_named_after_its_type(idp, pool_id):
    code = call_error(
        idp.create_identity_provider,
        UserPoolId=pool_id,
        ProviderName="MyGoogle",
        ProviderType="Google",
        ProviderDetails=dict(GOOGLE_DETAILS),
    )
    assert code == "InvalidParameterException"


def test_unknown_details_keys_are_refused_but_cognitos_own_may_come_back(idp, pool_id):
    code = call_error(
        idp.create_identity_provider,
        UserPoolId=pool_id,
        ProviderName="Google",
        ProviderType="Google",
        ProviderDetails={**GOOGLE_DETAILS, "team_id": "x"},
    )
    assert code == "InvalidParameterException"
    created = google(idp, pool_id)
    # A Describe-then-Update round trip: the keys Cognito added are accepted (and recomputed).
    round_trip = {**created["ProviderDetails"], "token_url": "https://evil.example.com/token"}
    updated = idp.update_identity_provider(UserPoolId=pool_id, ProviderName="Google", ProviderDetails=round_trip)
    assert updated["IdentityProvider"]["ProviderDetails"] == created["ProviderDetails"]


# --- Sign in with Apple -----------------------------------------------------------------------


def apple_details(**overrides):
    return {
        "client_id": "com.example.cognito",
        "team_id": "TEAM123456",
        "key_id": "KEY1234567",
        "private_key": apple_private_key(),
        "authorize_scopes": "email name",
        **overrides,
    }


def test_apple_private_key_is_kept_secret(idp, pool_id):
    details = apple_details()
    created = idp.create_identity_provider(
        UserPoolId=pool_id, ProviderName="SignInWithApple", ProviderType="SignInWithApple", ProviderDetails=details
    )["IdentityProvider"]
    shown = created["ProviderDetails"]
    assert "private_key" not in shown and "client_secret" not in shown
    assert shown["oidc_issuer"] == "https://appleid.apple.com"
    assert shown["team_id"] == "TEAM123456" and shown["key_id"] == "KEY1234567"
    assert created["AttributeMapping"] == {"username": "sub"}
    provider = IdentityProvider.objects.get(name="SignInWithApple")
    assert provider.secret == details["private_key"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM userpools_identityprovider")
        assert "PRIVATE KEY" not in cursor.fetchone()[0]
    # Describe never shows the key, so an update may leave it out and keep it.
    idp.update_identity_provider(
        UserPoolId=pool_id, ProviderName="SignInWithApple", ProviderDetails={**shown, "key_id": "KEY7654321"}
    )
    provider.refresh_from_db()
    assert provider.secret == details["private_key"] and provider.details["key_id"] == "KEY7654321"


@pytest.mark.parametrize("private_key", ["not a key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"])
def test_apple_private_key_must_be_a_key(idp, pool_id, private_key):
    code = call_error(
        idp.create_identity_provider,
        UserPoolId=pool_id,
        ProviderName="SignInWithApple",
        ProviderType="SignInWithApple",
        ProviderDetails=apple_details(private_key=private_key),
    )
    assert code == "InvalidParameterException"


def test_apple_private_key_must_be_p256(idp, pool_id):
    from cryptography.hazmat.primitives.asymmetric import ec

    code = call_error(
        idp.create_identity_provider,
        UserPoolId=pool_id,
        ProviderName="SignInWithApple",
        ProviderType="SignInWithApple",
        ProviderDetails=apple_details(private_key=apple_private_key(ec.SECP384R1())),
    )
    assert code == "InvalidParameterException"


# --- OIDC -------------------------------------------------------------------------------------


def oidc_details(issuer, **overrides):
    details = {
        "client_id": "cid",
        "client_secret": "csecret",
        "authorize_scopes": "openid email",
        "oidc_issuer": issuer,
    }
    details.update(overrides)
    return {k: v for k, v in details.items() if v is not None}


def test_oidc_endpoints_are_discovered_from_the_issuer(idp, pool_id, stand_in, allow_loopback):
    issuer = f"{stand_in.url}/tenant"
    stand_in.routes["/tenant/.well-known/openid-configuration"] = Route(
        body=json.dumps(discovery_document(issuer)).encode(), headers={"Content-Type": "application/json"}
    )
    created = idp.create_identity_provider(
        UserPoolId=pool_id,
        ProviderName="Corp",
        ProviderType="OIDC",
        ProviderDetails=oidc_details(issuer),
        AcrMapping={"Level1": "urn:corp:pwd", "Level2": "urn:corp:mfa"},
    )["IdentityProvider"]
    assert created["ProviderDetails"] == {
        "attributes_request_method": "GET",
        "attributes_url": f"{issuer}/userinfo",
        "attributes_url_add_attributes": "false",
        "authorize_scopes": "openid email",
        "authorize_url": f"{issuer}/authorize",
        "client_id": "cid",
        "client_secret": "csecret",
        "jwks_uri": f"{issuer}/jwks.json",
        "oidc_issuer": issuer,
        "token_url": f"{issuer}/token",
    }
    assert created["AttributeMapping"] == {"username": "sub"}
    assert created["AcrMapping"] == {"Level1": "urn:corp:pwd", "Level2": "urn:corp:mfa"}
    assert stand_in.hits == ["/tenant/.well-known/openid-configuration"]
    stored = IdentityProvider.objects.get(name="Corp")
    assert "client_secret" not in stored.details and stored.secret == "csecret"  # encrypted column


def test_given_oidc_endpoints_win_and_need_no_discovery(idp, pool_id, stand_in, allow_loopback):
    issuer = stand_in.url
    given = {
        "authorize_url": "https://login.example.com/authorize",
        "token_url": "https://login.example.com/token",
        "attributes_url": "https://login.example.com/userinfo",
        "jwks_uri": "https://login.example.com/jwks",
    }
    created = idp.create_identity_provider(
        UserPoolId=pool_id,
        ProviderName="Corp",
        ProviderType="OIDC",
        ProviderDetails=oidc_details(issuer, attributes_request_method="POST", **given),
    )["IdentityProvider"]
    assert {k: created["ProviderDetails"][k] for k in given} == given
    assert created["ProviderDetails"]["attributes_request_method"] == "POST"
    assert stand_in.hits == []


def test_discovery_fills_only_what_is_missing(idp, pool_id, stand_in, allow_loopback):
    issuer = stand_in.url
    stand_in.routes["/.well-known/openid-configuration"] = Route(body=json.dumps(discovery_document(issuer)).encode())
    created = idp.create_identity_provider(
        UserPoolId=pool_id,
        ProviderName="Corp",
        ProviderType="OIDC",
        ProviderDetails=oidc_details(issuer, token_url="https://login.example.com/token"),
    )["IdentityProvider"]
    assert created["ProviderDetails"]["token_url"] == "https://login.example.com/token"
    assert created["ProviderDetails"]["authorize_url"] == f"{issuer}/authorize"


@pytest.mark.parametrize(
    "answer",
    [
        Route(status=404, body=b"no"),
        Route(body=b"<html>not json</html>"),
        Route(body=b"[1, 2]"),
        "wrong issuer",
        "no jwks_uri",
    ],
    ids=["404", "not-json", "not-object", "wrong-issuer", "incomplete"],
)
def test_failed_discovery_is_invalid_parameter(idp, pool_id, stand_in, allow_loopback, answer):
    issuer = stand_in.url
    if answer == "wrong issuer":
        answer = Route(body=json.dumps(discovery_document("https://other.example.com")).encode())
    elif answer == "no jwks_uri":
        answer = Route(body=json.dumps(discovery_document(issuer, jwks_uri=None)).encode())
    stand_in.routes["/.well-known/openid-configuration"] = answer
    code = call_error(
        idp.create_identity_provider,
        UserPoolId=pool_id,
        ProviderName="Corp",
        ProviderType="OIDC",
        ProviderDetails=oidc_details(issuer),
    )
    assert code == "InvalidParameterException"
    assert not IdentityProvider.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"client_secret": None},
        {"oidc_issuer": None},
        {"authorize_scopes": "email profile"},  # no openid
        {"attributes_request_method": "PUT"},
        {"authorize_url": "http://login.example.com/authorize"},
        {"oidc_issuer": "ftp://login.example.com"},
    ],
)
def test_oidc_details_are_checked(idp, pool_id, overrides):
    details = oidc_details("https://login.example.com", **overrides)
    code = call_error(
        idp.create_identity_provider,
        UserPoolId=pool_id,
        ProviderName="Corp",
        ProviderType="OIDC",
        ProviderDetails=details,
    )
    assert code == "InvalidParameterException"


def test_acr_mapping_is_for_oidc_only(idp, pool_id):
    code = call_error(
        idp.create_identity_provider,
        UserPoolId=pool_id,
        ProviderName="Google",
        ProviderType="Google",
        ProviderDetails=dict(GOOGLE_DETAILS),
        AcrMapping={"Level1": "x"},
    )
    assert code == "InvalidParameterException"


@pytest.mark.parametrize("name", ["Google", "facebook"])
def test_oidc_and_saml_cannot_take_a_social_name(idp, pool_id, name):
    code = call_error(
        idp.create_identity_provider,
        UserPoolId=pool_id,
        ProviderName=name,
        ProviderType="SAML",
        ProviderDetails={"MetadataFile": idp_metadata()},
    )
    assert code == "InvalidParameterException"


# --- SAML -------------------------------------------------------------------------------------


def test_saml_metadata_file_is_parsed(idp, pool_id):
    created = saml(idp, pool_id, details={"MetadataFile": (xml := idp_metadata()), "IDPInit": "TRUE"})
    assert created["ProviderDetails"] == {
        "IDPInit": "true",
        "IDPSignout": "false",
        "MetadataFile": xml,
        "SLORedirectBindingURI": "https://idp.example.com/slo",
        "SSORedirectBindingURI": "https://idp.example.com/sso",
    }
    assert created["AttributeMapping"] == {}  # SAML users are named by the assertion's NameID
    assert IdentityProvider.objects.get(name="Corp").saml_metadata == xml


def test_saml_metadata_url_is_fetched(idp, pool_id, stand_in, allow_loopback):
    xml = idp_metadata()
    stand_in.routes["/saml/metadata"] = Route(body=xml.encode(), headers={"Content-Type": "application/xml"})
    created = saml(idp, pool_id, details={"MetadataURL": f"{stand_in.url}/saml/metadata", "IDPSignout": "true"})
    assert created["ProviderDetails"]["MetadataURL"] == f"{stand_in.url}/saml/metadata"
    assert created["ProviderDetails"]["IDPSignout"] == "true"
    assert created["ProviderDetails"]["SSORedirectBindingURI"] == "https://idp.example.com/sso"
    assert "MetadataFile" not in created["ProviderDetails"]
    assert IdentityProvider.objects.get(name="Corp").saml_metadata == xml
    assert stand_in.hits == ["/saml/metadata"]


def test_saml_post_binding_only(idp, pool_id):
    created = saml(idp, pool_id, details={"MetadataFile": idp_metadata(sso_binding=POST, slo=None)})
    assert "SSORedirectBindingURI" not in created["ProviderDetails"]
    assert "SLORedirectBindingURI" not in created["ProviderDetails"]


@pytest.mark.parametrize(
    "details",
    [
        {},
        {"MetadataFile": "x", "MetadataURL": "https://idp.example.com/metadata"},
        {"MetadataFile": "<not-xml"},
        {"MetadataFile": "<md:EntityDescriptor xmlns:md='urn:oasis:names:tc:SAML:2.0:metadata' entityID='x'/>"},
        {"MetadataFile": idp_metadata(certificate=None)},
        {"MetadataFile": idp_metadata(sso=None)},
        {"MetadataFile": idp_metadata(), "IDPSignout": "yes"},
        {"MetadataFile": idp_metadata(), "RequestSigningAlgorithm": "rsa-sha1"},
        {"MetadataFile": idp_metadata(), "client_id": "x"},
    ],
    ids=["none", "both", "not-xml", "no-idp", "no-certificate", "no-sso", "bad-boolean", "sha1", "unknown-key"],
)
def test_saml_details_are_checked(idp, pool_id, details):
    code = call_error(
        idp.create_identity_provider,
        UserPoolId=pool_id,
        ProviderName="Corp",
        ProviderType="SAML",
        ProviderDetails=details,
    )
    assert code == "InvalidParameterException"


def test_encrypted_responses_get_an_encryption_certificate(idp, pool_id):
    details = {"MetadataFile": idp_metadata(), "EncryptedResponses": "true", "RequestSigningAlgorithm": "rsa-sha256"}
    created = saml(idp, pool_id, details=details)
    certificate = created["ProviderDetails"]["ActiveEncryptionCertificate"]
    parsed = x509.load_der_x509_certificate(base64.b64decode(certificate))
    provider = IdentityProvider.objects.get(name="Corp")
    assert provider.encryption_key.startswith("-----BEGIN PRIVATE KEY-----")
    with connection.cursor() as cursor:
        cursor.execute("SELECT encryption_key FROM userpools_identityprovider")
        assert "PRIVATE KEY" not in cursor.fetchone()[0]
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(provider.encryption_key.encode(), password=None)
    assert key.public_key().public_numbers() == parsed.public_key().public_numbers()
    # Kept while EncryptedResponses stays true; gone when it is turned off.
    same = idp.update_identity_provider(UserPoolId=pool_id, ProviderName="Corp", ProviderDetails=details)
    assert same["IdentityProvider"]["ProviderDetails"]["ActiveEncryptionCertificate"] == certificate
    off = idp.update_identity_provider(
        UserPoolId=pool_id, ProviderName="Corp", ProviderDetails={**details, "EncryptedResponses": "false"}
    )
    assert "ActiveEncryptionCertificate" not in off["IdentityProvider"]["ProviderDetails"]
    provider.refresh_from_db()
    assert provider.encryption_key == ""


# --- Names, pools, quotas -----------------------------------------------------------------------


def test_duplicate_name_is_duplicate_provider(idp, pool_id):
    saml(idp, pool_id)
    code = call_error(
        idp.create_identity_provider,
        UserPoolId=pool_id,
        ProviderName="Corp",
        ProviderType="SAML",
        ProviderDetails={"MetadataFile": idp_metadata()},
    )
    assert code == "DuplicateProviderException"


def test_the_same_name_in_two_pools(idp, make_pool):
    first, second = make_pool("a")["Id"], make_pool("b")["Id"]
    saml(idp, first)
    assert saml(idp, second)["UserPoolId"] == second


@pytest.mark.parametrize("name", ["COGNITO", "Cognito"])
def test_cognito_is_not_a_provider_name(idp, pool_id, name):
    code = call_error(
        idp.create_identity_provider,
        UserPoolId=pool_id,
        ProviderName=name,
        ProviderType="SAML",
        ProviderDetails={"MetadataFile": idp_metadata()},
    )
    assert code == "InvalidParameterException"
    code = call_error(idp.delete_identity_provider, UserPoolId=pool_id, ProviderName=name)
    assert code == "UnsupportedIdentityProviderException"
    code = call_error(idp.update_identity_provider, UserPoolId=pool_id, ProviderName=name, AttributeMapping={})
    assert code == "UnsupportedIdentityProviderException"


def test_provider_name_pattern(raw_idp, pool_id):
    for name in ["_Corp", "ab", "x" * 33]:
        code = call_error(
            raw_idp.create_identity_provider,
            UserPoolId=pool_id,
            ProviderName=name,
            ProviderType="SAML",
            ProviderDetails={"MetadataFile": idp_metadata()},
        )
        assert code == "InvalidParameterException", name


def test_unknown_pool_and_provider(idp, pool_id):
    code = call_error(
        idp.create_identity_provider,
        UserPoolId=UNKNOWN_POOL,
        ProviderName="Google",
        ProviderType="Google",
        ProviderDetails=dict(GOOGLE_DETAILS),
    )
    assert code == "ResourceNotFoundException"
    for fn, kwargs in [
        (idp.describe_identity_provider, {}),
        (idp.delete_identity_provider, {}),
        (idp.update_identity_provider, {"AttributeMapping": {"email": "email"}}),
    ]:
        assert call_error(fn, UserPoolId=pool_id, ProviderName="Nope", **kwargs) == "ResourceNotFoundException"
        assert call_error(fn, UserPoolId=UNKNOWN_POOL, ProviderName="Nope", **kwargs) == "ResourceNotFoundException"
    assert call_error(idp.list_identity_providers, UserPoolId=UNKNOWN_POOL) == "ResourceNotFoundException"


def test_at_most_300_providers_a_pool(idp, pool_id):
    IdentityProvider.objects.bulk_create(
        IdentityProvider(pool_id=pool_id, name=f"Corp{i:03}", provider_type="SAML") for i in range(300)
    )
    code = call_error(
        idp.create_identity_provider,
        UserPoolId=pool_id,
        ProviderName="Google",
        ProviderType="Google",
        ProviderDetails=dict(GOOGLE_DETAILS),
    )
    assert code == "LimitExceededException"


# --- AttributeMapping ---------------------------------------------------------------------------


def test_attribute_mapping_names_pool_attributes(idp, make_pool):
    pool = make_pool(Schema=[{"Name": "team", "AttributeDataType": "String", "Mutable": True}])["Id"]
    mapping = {"email": "mail", "custom:team": "department", "username": "oid", "email_verified": "email_verified"}
    created = google(idp, pool, AttributeMapping=mapping)
    assert created["AttributeMapping"] == mapping  # username given: not replaced by sub
    for bad in [{"custom:nope": "x"}, {"shoe_size": "x"}, {"sub": "id"}, {"identities": "x"}, {"email": ""}]:
        code = call_error(idp.update_identity_provider, UserPoolId=pool, ProviderName="Google", AttributeMapping=bad)
        assert code == "InvalidParameterException", bad


# --- IdpIdentifiers / GetIdentityProviderByIdentifier ------------------------------------------


def test_identifiers_are_unique_in_the_pool(idp, pool_id, make_pool):
    created = saml(idp, pool_id, IdpIdentifiers=["example.com", "corp"])
    assert created["IdpIdentifiers"] == ["example.com", "corp"]
    found = idp.get_identity_provider_by_identifier(UserPoolId=pool_id, IdpIdentifier="example.com")
    assert found["IdentityProvider"] == created
    code = call_error(
        idp.create_identity_provider,
        UserPoolId=pool_id,
        ProviderName="Other",
        ProviderType="SAML",
        ProviderDetails={"MetadataFile": idp_metadata()},
        IdpIdentifiers=["corp"],
    )
    assert code == "InvalidParameterException"
    assert not IdentityProvider.objects.filter(name="Other").exists()
    # Another pool may use the same identifier.
    other_pool = make_pool("other")["Id"]
    assert saml(idp, other_pool, IdpIdentifiers=["corp"])["IdpIdentifiers"] == ["corp"]
    # An update that drops an identifier frees it.
    idp.update_identity_provider(UserPoolId=pool_id, ProviderName="Corp", IdpIdentifiers=["example.com"])
    assert saml(idp, pool_id, name="Other", IdpIdentifiers=["corp"])["IdpIdentifiers"] == ["corp"]
    code = call_error(idp.get_identity_provider_by_identifier, UserPoolId=pool_id, IdpIdentifier="nope")
    assert code == "ResourceNotFoundException"


def test_repeated_identifier_in_one_request(idp, pool_id):
    code = call_error(
        idp.create_identity_provider,
        UserPoolId=pool_id,
        ProviderName="Corp",
        ProviderType="SAML",
        ProviderDetails={"MetadataFile": idp_metadata()},
        IdpIdentifiers=["a", "a"],
    )
    assert code == "InvalidParameterException"


# --- Update, list, delete ---------------------------------------------------------------------


def test_update_changes_only_what_it_is_given(idp, pool_id):
    created = google(idp, pool_id, AttributeMapping={"email": "email"}, IdpIdentifiers=["gmail.com"])
    updated = idp.update_identity_provider(
        UserPoolId=pool_id, ProviderName="Google", ProviderDetails={**GOOGLE_DETAILS, "client_secret": "rotated"}
    )["IdentityProvider"]
    assert updated["ProviderDetails"]["client_secret"] == "rotated"
    assert updated["AttributeMapping"] == created["AttributeMapping"] == {"email": "email", "username": "sub"}
    assert updated["IdpIdentifiers"] == ["gmail.com"]
    assert updated["CreationDate"] == created["CreationDate"]
    assert updated["LastModifiedDate"] >= created["LastModifiedDate"]
    updated = idp.update_identity_provider(UserPoolId=pool_id, ProviderName="Google", AttributeMapping={})
    assert updated["IdentityProvider"]["AttributeMapping"] == {"username": "sub"}
    assert updated["IdentityProvider"]["ProviderDetails"]["client_secret"] == "rotated"


def test_list_pages_oldest_first(idp, pool_id, raw_idp):
    for name in ["One", "Two", "Three"]:
        saml(idp, pool_id, name=name)
    first = idp.list_identity_providers(UserPoolId=pool_id, MaxResults=2)
    assert [p["ProviderName"] for p in first["Providers"]] == ["One", "Two"]
    assert set(first["Providers"][0]) == {"ProviderName", "ProviderType", "LastModifiedDate", "CreationDate"}
    second = idp.list_identity_providers(UserPoolId=pool_id, MaxResults=2, NextToken=first["NextToken"])
    assert [p["ProviderName"] for p in second["Providers"]] == ["Three"]
    assert "NextToken" not in second
    everything = idp.list_identity_providers(UserPoolId=pool_id)
    assert len(everything["Providers"]) == 3 and "NextToken" not in everything
    assert call_error(raw_idp.list_identity_providers, UserPoolId=pool_id, MaxResults=61) == "InvalidParameterException"
    code = call_error(idp.list_identity_providers, UserPoolId=pool_id, NextToken="garbage")
    assert code == "InvalidParameterException"


def test_delete_removes_it_from_app_clients(idp, pool_id, make_client):
    saml(idp, pool_id)
    client = make_client(pool_id, SupportedIdentityProviders=["COGNITO", "Corp"])
    assert client["SupportedIdentityProviders"] == ["COGNITO", "Corp"]
    idp.delete_identity_provider(UserPoolId=pool_id, ProviderName="Corp")
    described = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client["ClientId"])["UserPoolClient"]
    assert described["SupportedIdentityProviders"] == ["COGNITO"]
    code = call_error(idp.describe_identity_provider, UserPoolId=pool_id, ProviderName="Corp")
    assert code == "ResourceNotFoundException"
    assert idp.list_identity_providers(UserPoolId=pool_id)["Providers"] == []
    assert call_error(idp.get_identity_provider_by_identifier, UserPoolId=pool_id, IdpIdentifier="x")


def test_app_clients_name_existing_providers(idp, pool_id, make_client):
    code = call_error(
        idp.create_user_pool_client, UserPoolId=pool_id, ClientName="app", SupportedIdentityProviders=["Corp"]
    )
    assert code == "InvalidParameterException"
    saml(idp, pool_id)
    google(idp, pool_id)
    client = make_client(pool_id, SupportedIdentityProviders=["Corp", "Google"])
    assert client["SupportedIdentityProviders"] == ["Corp", "Google"]


def test_changes_are_audited(idp, pool_id):
    saml(idp, pool_id, IdpIdentifiers=["corp"])
    idp.update_identity_provider(UserPoolId=pool_id, ProviderName="Corp", IdpIdentifiers=[])
    idp.delete_identity_provider(UserPoolId=pool_id, ProviderName="Corp")
    actions = list(
        AuditEvent.objects.filter(pool_id=pool_id, target="Corp").order_by("at", "id").values_list("action", flat=True)
    )
    assert actions == ["identity_provider.create", "identity_provider.update", "identity_provider.delete"]


def test_cognate_federating_to_cognate(idp, make_pool, public_url, settings):
    """A real OIDC provider: another pool of this Cognate (its discovery document on live_server)."""
    settings.COGNATE_IDP_PRIVATE_ADDRESSES = ["127.0.0.1/32", "::1/128"]  # live_server answers on localhost
    upstream, downstream = make_pool("upstream")["Id"], make_pool("downstream")["Id"]
    issuer = f"{public_url}/{upstream}"
    created = idp.create_identity_provider(
        UserPoolId=downstream, ProviderName="Upstream", ProviderType="OIDC", ProviderDetails=oidc_details(issuer)
    )["IdentityProvider"]
    details = created["ProviderDetails"]
    assert details["oidc_issuer"] == issuer
    assert details["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert details["authorize_url"].endswith("/oauth2/authorize")
    assert details["token_url"].endswith("/oauth2/token")
    assert details["attributes_url"].endswith("/oauth2/userInfo")
