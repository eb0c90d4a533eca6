"""Fixtures for the identity-provider tests: boto3 against ``live_server`` (the
cognito-idp compatibility suite's fixtures), a real local HTTP server standing in for an
OIDC provider's discovery document and a SAML provider's metadata URL, and SAML metadata
and Sign in with Apple keys made at test time (no committed keys)."""

from __future__ import annotations

import base64
import datetime
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tests.userpools.conftest import pool_id, raw_idp  # noqa: F401 - fixtures (make_pool, make_client: tests/pools.py)

GOOGLE_DETAILS = {
    "client_id": "1example.apps.googleusercontent.com",
    "client_secret": "s3cret",
    "authorize_scopes": "email profile openid",
}


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class StandIn:
    """A local HTTP server: ``routes`` maps a path to the answer; ``hits`` lists the paths asked for."""

    host: str
    port: int
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def _serve(host: str):
    stand_in = StandIn(host=host, port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            stand_in.hits.append(self.path)
            route = stand_in.routes.get(self.path, Route(status=404, body=b"not found"))
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    stand_in.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, stand_in


@contextmanager
def local_server(host: str = "127.0.0.1"):
    """A :class:`StandIn` serving on ``host`` until the block ends."""
    server, stand_in = _serve(host)
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def stand_in():
    """A local server on 127.0.0.1 (not yet an allowed address: see ``allow_loopback``)."""
    with local_server("127.0.0.1") as server:
        yield server


@pytest.fixture
def other_stand_in():
    """A second local server, on 127.0.0.2 (loopback, never allowed by ``allow_loopback``)."""
    with local_server("127.0.0.2") as server:
        yield server


LOOPBACK_ONLY = ["127.0.0.1/32"]


@pytest.fixture
def allow_loopback(settings):
    """Identity-provider URLs may reach 127.0.0.1 (only), over http too."""
    settings.COGNATE_IDP_PRIVATE_ADDRESSES = LOOPBACK_ONLY


def discovery_document(issuer: str, **overrides) -> dict:
    document = {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks.json",
    }
    document.update(overrides)
    return {k: v for k, v in document.items() if v is not None}


def self_signed_certificate(common_name: str = "idp.example.com") -> str:
    """A fresh self-signed certificate, base64 DER (as SAML metadata holds it)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
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


REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"


def idp_metadata(
    entity_id: str = "https://idp.example.com/metadata",
    *,
    sso: str | None = "https://idp.example.com/sso",
    sso_binding: str = REDIRECT,
    slo: str | None = "https://idp.example.com/slo",
    certificate: str | None = "fresh",
) -> str:
    """IdP metadata XML, with a freshly made signing certificate unless ``certificate`` is None."""
    cert = self_signed_certificate() if certificate == "fresh" else certificate
    key_descriptor = (
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>'
        f"<ds:X509Certificate>{cert}</ds:X509Certificate>"
        "</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        if cert
        else ""
    )
    slo_element = f'<md:SingleLogoutService Binding="{REDIRECT}" Location="{slo}"/>' if slo else ""
    sso_element = f'<md:SingleSignOnService Binding="{sso_binding}" Location="{sso}"/>' if sso else ""
    return (
        '<?xml version="1.0"?>'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}">'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f"{key_descriptor}{slo_element}"
        "<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>"
        f"{sso_element}"
        "</md:IDPSSODescriptor></md:EntityDescriptor>"
    )


def apple_private_key(curve: ec.EllipticCurve | None = None) -> str:
    """A PKCS#8 PEM EC key, as Apple issues (.p8)."""
    key = ec.generate_private_key(curve or ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
