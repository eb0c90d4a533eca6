"""Fixtures for Amplify's hosted-UI sign-in: Cognate over TLS, the Amplify app bundled and served.

Amplify builds ``https://{domain}/oauth2/...`` from its configured ``domain``, so Cognate is
served over HTTPS here: a throw-away CA and a certificate for ``localhost``,
``*.auth.localhost`` and 127.0.0.1 (``tls_certificate``), and the Django app on a
``ThreadedWSGIServer`` whose connections are wrapped with :mod:`ssl` (``tls_server``), with
``COGNATE["PUBLIC_URL"] = https://localhost:{port}`` so that a pool's domain URL is
``https://{prefix}.auth.localhost:{port}``. Chromium resolves ``*.localhost`` to loopback
itself; the browser context ignores certificate errors, and Python clients trust the CA file.

The app (``app/index.html`` + ``app/app.js``) is bundled with esbuild from the pinned
``package-lock.json`` (``npm ci`` here when node_modules is missing; CI runs it in .ci/run)
and served from ``http://localhost:{port}/`` — a secure context, so Web Crypto (PKCE) works —
with the pool and client in a ``config.js`` the test writes.
"""

from __future__ import annotations

import contextlib
import gc
import http.server
import ipaddress
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from userpools.services import tokens

HERE = Path(__file__).resolve().parent
APP = HERE / "app"
BUILD_SECONDS = 120


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    tokens.keys_cache_clear()
    yield
    tokens.keys_cache_clear()


# --- TLS ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certificate:
    ca: Path  # the CA certificate (PEM): what a client trusts
    chain: Path  # the server's certificate and the CA's (PEM)
    key: Path  # the server's private key (PEM)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def certificate_make(directory: Path) -> Certificate:
    """A CA and a server certificate it signed for localhost, *.auth.localhost and 127.0.0.1."""
    now = datetime.now(UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Cognate test CA"))
        .issuer_name(_name("Cognate test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    names = [
        x509.DNSName("localhost"),
        x509.DNSName("*.auth.localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    server = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    out = Certificate(ca=directory / "ca.pem", chain=directory / "server.pem", key=directory / "server-key.pem")
    out.ca.write_bytes(ca.public_bytes(pem))
    out.chain.write_bytes(server.public_bytes(pem) + ca.public_bytes(pem))
    out.key.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return out


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory) -> Certificate:
    return certificate_make(tmp_path_factory.mktemp("tls"))


def _tls_server_class():
    from django.core.servers.basehttp import ThreadedWSGIServer

    class TLSWSGIServer(ThreadedWSGIServer):
        """Django's threaded test server speaking HTTPS: each accepted connection is wrapped
        in its request thread (a client that never finishes the handshake blocks no one),
        and the WSGI environ says ``HTTPS=on`` so ``request.is_secure()`` is true."""

        ssl_context: ssl.SSLContext

        def setup_environ(self) -> None:
            super().setup_environ()
            self.base_environ["HTTPS"] = "on"

        def finish_request(self, request: socket.socket, client_address) -> None:
            request.settimeout(30)
            try:
                connection = self.ssl_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return  # the client gave up the handshake
            try:
                self.RequestHandlerClass(connection, client_address, self)
            finally:
                with contextlib.suppress(OSError):
                    connection.close()

    return TLSWSGIServer


@dataclass
class TLSServer:
    url: str  # https://localhost:{port}
    port: int
    certificate: Certificate

    def domain(self, prefix: str) -> str:
        """Where a pool's prefix domain is served: ``{prefix}.auth.localhost:{port}``."""
        from userpools.conf import cognate_settings

        return f"{prefix}.{cognate_settings().DOMAIN_SUFFIX}:{self.port}"


@pytest.fixture
def tls_server(transactional_db, settings, tls_certificate):
    """Cognate over HTTPS on 127.0.0.1, and COGNATE PUBLIC_URL ``https://localhost:{port}``.

    The server threads share the test's in-memory SQLite connection, as pytest-django's
    ``live_server`` does. On teardown, wait for request threads (a browser's keep-alive
    connection ends when its context closes) before the database is flushed."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application
    from django.db import connections

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
            pass

    shared = {c.alias: c for c in connections.all() if c.vendor == "sqlite" and c.is_in_memory_db()}
    server_class = _tls_server_class()

    class Server(server_class):
        def __init__(self) -> None:
            super().__init__(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False, connections_override=shared)
            self.ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ssl_context.load_cert_chain(tls_certificate.chain, tls_certificate.key)

    for connection in shared.values():
        connection.inc_thread_sharing()
    httpd = Server()
    httpd.set_app(StaticFilesHandler(get_wsgi_application()))
    serving = threading.Thread(target=httpd.serve_forever, name="cognate-tls-server", daemon=True)
    serving.start()
    port = httpd.server_address[1]
    url = f"https://localhost:{port}"
    settings.COGNATE = {**getattr(settings, "COGNATE", {}), "PUBLIC_URL": url}
    try:
        yield TLSServer(url=url, port=port, certificate=tls_certificate)
    finally:
        httpd.shutdown()
        httpd.server_close()
        serving.join(timeout=5)
        gc.collect()
        for thread in threading.enumerate():
            if "process_request_thread" in thread.name:
                thread.join(timeout=5)
        for connection in shared.values():
            connection.dec_thread_sharing()


# --- The Amplify app ---------------------------------------------------------------------------


def _npm_ci() -> None:
    npm = shutil.which("npm")
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"npm ci failed in {HERE}:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="session")
def amplify_bundle(tmp_path_factory) -> Path:
    """app/ bundled for the browser with the pinned esbuild and aws-amplify (a fraction of a
    second, so it is built afresh each session rather than cached)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        message = "the Amplify app needs Node.js and npm on PATH (not found)"
        if os.environ.get("COGNATE_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    modules = HERE / "node_modules"
    if not (modules / "aws-amplify").is_dir() or not (modules / ".bin" / "esbuild").exists():
        _npm_ci()
    out = tmp_path_factory.mktemp("amplify-app")
    done = subprocess.run(
        [
            str(modules / ".bin" / "esbuild"),
            str(APP / "app.js"),
            "--bundle",
            "--format=esm",
            "--platform=browser",
            "--target=es2020",
            "--log-level=warning",
            f"--outfile={out / 'app.js'}",
        ],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=BUILD_SECONDS,
    )
    assert done.returncode == 0, f"esbuild failed:\n{done.stdout}\n{done.stderr}"
    shutil.copy(APP / "index.html", out / "index.html")
    return out


class AppServer:
    """The bundled app on ``http://localhost:{port}/``, with ``config.js`` from :meth:`configure`."""

    def __init__(self, root: Path) -> None:
        self.config_js = b"window.COGNATE_CONFIG = null;\n"
        app = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs) -> None:
                super().__init__(*args, directory=str(root), **kwargs)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if self.path.split("?", 1)[0] == "/config.js":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/javascript")
                    self.send_header("Content-Length", str(len(app.config_js)))
                    self.send_header("Cache-Control", "no-store")
                    self.end_headers()
                    self.wfile.write(app.config_js)
                    return
                super().do_GET()

            def end_headers(self) -> None:
                self.send_header("Cache-Control", "no-store")
                super().end_headers()

            def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://localhost:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="amplify-app-server", daemon=True)
        self.thread.start()

    def configure(self, **config: str) -> None:
        self.config_js = f"window.COGNATE_CONFIG = {json.dumps({'appUrl': self.url, **config})};\n".encode()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def app_server(amplify_bundle):
    server = AppServer(amplify_bundle)
    yield server
    server.stop()


@pytest.fixture
def tls_page(chromium, tls_server):  # noqa: F811 - fixture
    """A page in a fresh Chromium context that accepts the test CA's certificate (closed
    before the server stops, which ends the browser's keep-alive connections)."""
    context = chromium.new_context(ignore_https_errors=True, viewport={"width": 1000, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()
