"""Identity providers' OIDC discovery and SAML MetadataURL are fetched by the server from
URLs the caller chose: attempts to reach what is behind Cognate (SSRF) through them.

Without COGNATE_IDP_PRIVATE_ADDRESSES only https URLs of public addresses are fetched;
tests allow 127.0.0.1 alone (``allow_loopback``) to have a local server to redirect from.
Every refusal is InvalidParameterException, and the local servers count what reached them.
"""

from __future__ import annotations

import json

import pytest

from tests.identityproviders.conftest import LOOPBACK_ONLY, Route, discovery_document, idp_metadata, local_server
from tests.userpools.conftest import call_error
from userpools.models import IdentityProvider
from userpools.services import idp_fetch

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pool_id(make_pool) -> str:
    return make_pool()["Id"]


@pytest.fixture
def stand_in():
    with local_server("127.0.0.1") as server:
        yield server


@pytest.fixture
def other_stand_in():
    with local_server("127.0.0.2") as server:
        yield server


@pytest.fixture
def allow_loopback(settings):
    settings.COGNATE_IDP_PRIVATE_ADDRESSES = LOOPBACK_ONLY


def create_oidc(idp, pool, issuer):
    return call_error(
        idp.create_identity_provider,
        UserPoolId=pool,
        ProviderName="Corp",
        ProviderType="OIDC",
        ProviderDetails={"client_id": "c", "client_secret": "s", "authorize_scopes": "openid", "oidc_issuer": issuer},
    )


def create_saml(idp, pool, url, name="Corp"):
    return call_error(
        idp.create_identity_provider,
        UserPoolId=pool,
        ProviderName=name,
        ProviderType="SAML",
        ProviderDetails={"MetadataURL": url},
    )


def serve_discovery(server, issuer=None):
    issuer = issuer or server.url
    server.routes["/.well-known/openid-configuration"] = Route(body=json.dumps(discovery_document(issuer)).encode())


FORBIDDEN_HOSTS = [
    "127.0.0.1",
    "localhost",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "169.254.169.254",  # cloud metadata
    "[fd00:ec2::254]",
    "10.0.0.1",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",
    "0.0.0.0",
    "[::]",
    "2130706433",  # 127.0.0.1 as one number
    "[64:ff9b::7f00:1]",  # 127.0.0.1 through NAT64
    "[2002:7f00:1::]",  # 127.0.0.1 through 6to4
]


@pytest.mark.parametrize("host", FORBIDDEN_HOSTS)
def test_private_addresses_are_refused(host):
    with pytest.raises(idp_fetch.FetchError):
        idp_fetch.checked_target(f"https://{host}/.well-known/openid-configuration")


def test_a_public_address_passes():
    assert [a.exploded for a in idp_fetch.checked_target("https://8.8.8.8/x")[2]] == ["8.8.8.8"]


def test_loopback_server_is_not_reached_by_default(idp, pool_id, stand_in):
    serve_discovery(stand_in)
    assert create_oidc(idp, pool_id, stand_in.url) == "InvalidParameterException"
    https = stand_in.url.replace("http://", "https://")
    assert create_oidc(idp, pool_id, https) == "InvalidParameterException"
    assert create_saml(idp, pool_id, f"{stand_in.url}/metadata") == "InvalidParameterException"
    assert create_saml(idp, pool_id, f"https://localhost:{stand_in.port}/metadata") == "InvalidParameterException"
    assert stand_in.hits == []
    assert not IdentityProvider.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://user:pass@idp.example.com/metadata",
        "file:///etc/passwd",
        "gopher://idp.example.com/",
        "https:///metadata",
        "https://idp.example.com:99999/metadata",
    ],
)
def test_other_unfit_urls(idp, pool_id, url):
    assert create_saml(idp, pool_id, url) == "InvalidParameterException"


def test_allowed_address_over_http_but_not_its_neighbours(idp, pool_id, stand_in, other_stand_in, allow_loopback):
    serve_discovery(other_stand_in)
    assert create_oidc(idp, pool_id, other_stand_in.url) == "InvalidParameterException"  # 127.0.0.2
    assert other_stand_in.hits == []


def test_redirect_to_a_forbidden_address_is_not_followed(idp, pool_id, stand_in, other_stand_in, allow_loopback):
    serve_discovery(other_stand_in, issuer=stand_in.url)
    stand_in.routes["/.well-known/openid-configuration"] = Route(
        status=302, headers={"Location": f"{other_stand_in.url}/.well-known/openid-configuration"}
    )
    stand_in.routes["/metadata"] = Route(status=307, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    assert create_oidc(idp, pool_id, stand_in.url) == "InvalidParameterException"
    assert create_saml(idp, pool_id, f"{stand_in.url}/metadata") == "InvalidParameterException"
    assert other_stand_in.hits == []


def test_redirects_to_allowed_places_are_followed_a_few_times(idp, pool_id, stand_in, allow_loopback):
    stand_in.routes["/metadata"] = Route(status=301, headers={"Location": "/moved"})
    stand_in.routes["/moved"] = Route(body=idp_metadata().encode())
    idp.create_identity_provider(
        UserPoolId=pool_id,
        ProviderName="Corp",
        ProviderType="SAML",
        ProviderDetails={"MetadataURL": f"{stand_in.url}/metadata"},
    )
    assert stand_in.hits == ["/metadata", "/moved"]
    stand_in.hits.clear()
    stand_in.routes["/loop"] = Route(status=302, headers={"Location": "/loop"})
    assert create_saml(idp, pool_id, f"{stand_in.url}/loop", name="Loop") == "InvalidParameterException"
    assert len(stand_in.hits) == idp_fetch.MAX_REDIRECTS + 1


def test_a_huge_document_is_refused(idp, pool_id, stand_in, allow_loopback):
    stand_in.routes["/metadata"] = Route(body=b"<a>" + b" " * (idp_fetch.MAX_BYTES + 10) + b"</a>")
    assert create_saml(idp, pool_id, f"{stand_in.url}/metadata") == "InvalidParameterException"


def test_a_slow_server_times_out(idp, pool_id, allow_loopback, settings):
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts, never answers
    settings.COGNATE = {**settings.COGNATE, "IDENTITY_PROVIDER_TIMEOUT_SECONDS": 1}
    port = listener.getsockname()[1]
    try:
        assert create_saml(idp, pool_id, f"http://127.0.0.1:{port}/metadata") == "InvalidParameterException"
    finally:
        listener.close()


def test_metadata_with_an_external_entity_is_refused(idp, pool_id):
    xxe = '<?xml version="1.0"?><!DOCTYPE md [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + idp_metadata().split(
        "?>", 1
    )[1].replace("idp.example.com/sso", "&xxe;")
    code = call_error(
        idp.create_identity_provider,
        UserPoolId=pool_id,
        ProviderName="Corp",
        ProviderType="SAML",
        ProviderDetails={"MetadataFile": xxe},
    )
    assert code == "InvalidParameterException"
    assert not IdentityProvider.objects.exists()


def test_discovered_endpoints_must_be_https(idp, pool_id, stand_in, allow_loopback):
    stand_in.routes["/.well-known/openid-configuration"] = Route(
        body=json.dumps(discovery_document(stand_in.url, token_endpoint="http://10.0.0.1/token")).encode()
    )
    assert create_oidc(idp, pool_id, stand_in.url) == "InvalidParameterException"
