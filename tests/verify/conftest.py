"""Fixtures for the resource-server verifier: a live Cognate pool issuing tokens, a fake
"real Cognito" JWKS server on 127.0.0.1, a movable clock, and JWKS fetch counters."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.signals import request_started

import userpools.verify as verify_module
from userpools.context import SYSTEM
from userpools.models import AppClient, User
from userpools.services import groups, tokens, users
from userpools.services.clients import user_pool_client_create
from userpools.services.pools import user_pool_create, user_pool_get

COGNITO_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example"
COGNITO_CLIENT = "1example23456789abcdefghij"


@pytest.fixture(autouse=True)
def _fresh_caches():
    verify_module.jwks_cache_clear()
    tokens.keys_cache_clear()
    yield
    verify_module.jwks_cache_clear()
    tokens.keys_cache_clear()


# --- Forging -----------------------------------------------------------------------------------


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(key: rsa.RSAPrivateKey, kid: str, **extra: Any) -> dict[str, Any]:
    public = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return {"alg": "RS256", "e": public["e"], "kid": kid, "kty": "RSA", "n": public["n"], "use": "sig", **extra}


def sign(claims: dict[str, Any], key: Any, *, kid: str, alg: str = "RS256") -> str:
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


def b64(data: bytes) -> str:
    return jwt.utils.base64url_encode(data).decode()


def hs256_with(secret: bytes, claims: dict[str, Any], kid: str) -> str:
    """An HS256 token keyed with ``secret`` (the RS256 public key, in the classic attack).
    Built by hand: PyJWT itself refuses to use a PEM public key as an HMAC secret."""
    header = b64(json.dumps({"alg": "HS256", "kid": kid, "typ": "JWT"}).encode())
    payload = b64(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


def unverified(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def cognito_claims(token_use: str = "access", **extra: Any) -> dict[str, Any]:
    """Claims shaped like real Cognito's (Developer Guide, "Understanding the access token")."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "iss": COGNITO_ISSUER,
        "token_use": token_use,
        "auth_time": now,
        "iat": now,
        "exp": now + 3600,
        "jti": "f0f0f0f0-0000-4000-8000-000000000000",
    }
    if token_use == "access":
        claims.update(client_id=COGNITO_CLIENT, scope="aws.cognito.signin.user.admin", username="carol")
    else:
        claims.update({"aud": COGNITO_CLIENT, "cognito:username": "carol", "email": "carol@example.com"})
    claims.update(extra)
    return claims


# --- Clock and counters ------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The verifier's monotonic clock, moved by the test."""
    fake = Clock()
    monkeypatch.setattr(verify_module, "_clock", fake)
    return fake


@pytest.fixture
def jwks_hits():
    """Paths of the JWKS documents the live server served during the test."""
    hits: list[str] = []

    def count(sender, environ=None, **kwargs):
        if environ and environ.get("PATH_INFO", "").endswith("/.well-known/jwks.json"):
            hits.append(environ["PATH_INFO"])

    request_started.connect(count, dispatch_uid="tests.verify.jwks_hits")
    yield hits
    request_started.disconnect(dispatch_uid="tests.verify.jwks_hits")


# --- A live Cognate pool -----------------------------------------------------------------------


@dataclass
class Cognate:
    """A pool on the live server: its issuer, JWKS URL, an app client and a user."""

    pool_id: str
    issuer: str
    client: AppClient
    user: User

    @property
    def client_id(self) -> str:
        return self.client.client_id

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/.well-known/jwks.json"

    def issue(self, **kwargs: Any) -> tokens.TokenSet:
        return tokens.tokens_issue(
            SYSTEM, user=users.user_get(self.pool_id, self.user.username), client=self.client, **kwargs
        )

    def join(self, group: str) -> None:
        groups.group_create(SYSTEM, pool_id=self.pool_id, name=group)
        groups.group_member_add(SYSTEM, pool_id=self.pool_id, group_name=group, username=self.user.username)

    def signing_key(self) -> tuple[str, rsa.RSAPrivateKey]:
        """(kid, private key) of the pool's current signer, for forging with the pool's own key."""
        signer = tokens._signer(self.pool_id)
        return signer.kid, signer.key


@pytest.fixture
def make_cognate(public_url):
    def make(name: str = "pool", username: str = "alice") -> Cognate:
        pool_id = user_pool_create(SYSTEM, {"PoolName": name}).id
        client = user_pool_client_create(SYSTEM, {"UserPoolId": pool_id, "ClientName": "app"})
        user = users.user_create(
            SYSTEM,
            pool=user_pool_get(pool_id),
            username=username,
            password="Passw0rd!",
            attributes={"email": f"{username}@example.com", "email_verified": "true"},
            status=User.Status.CONFIRMED,
        )
        return Cognate(pool_id, tokens.issuer(pool_id), client, user)

    return make


@pytest.fixture
def cognate(make_cognate) -> Cognate:
    return make_cognate()


# --- A fake "real Cognito" JWKS server ---------------------------------------------------------


@dataclass
class JwksServer:
    """Serves ``document`` at ``/jwks.json``; ``status`` != 200 simulates an outage."""

    url: str = ""
    document: dict[str, Any] = field(default_factory=lambda: {"keys": []})
    status: int = 200
    delay: float = 0.0
    hits: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, path: str) -> None:
        with self._lock:
            self.hits.append(path)


@pytest.fixture
def jwks_server():
    state = JwksServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            state.count(self.path)
            if state.delay:
                time.sleep(state.delay)
            body = json.dumps(state.document).encode() if state.status == 200 else b"{}"
            self.send_response(state.status if self.path == "/jwks.json" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def cognito_key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture
def cognito(jwks_server, cognito_key) -> JwksServer:
    """The fake Cognito JWKS, listing ``cognito_key`` as kid ``key-1``."""
    jwks_server.document = {"keys": [jwk(cognito_key, "key-1")]}
    return jwks_server
