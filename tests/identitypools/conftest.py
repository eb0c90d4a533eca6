"""Fixtures for identity pools: boto3 cognito-identity clients against the live server,
identity pools made over the wire, ID tokens from a Cognate user pool, and local
stand-ins (http.server on 127.0.0.1) for OpenID Connect and social providers' endpoints.

Shared with tests/identitypools/test_credentials*.py and test_broker*.py: append fixtures,
don't change these."""

from __future__ import annotations

import gc
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from identity.services import logins as login_service
from identity.services.pools import role_save
from userpools.context import SYSTEM
from userpools.services import tokens

PASSWORD = "Passw0rd!"
READ_ONLY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["cognito-identity:Describe*"], "Resource": "*"}],
}


@pytest.fixture(autouse=True)
def _identity_env(settings, live_server):
    """The live server is the token issuer (as a deployment sets COGNATE_PUBLIC_URL); key
    and JWKS caches start empty. On teardown wait for the live server's request threads
    (one still closing its database connection when the test's database goes fails the run)."""
    settings.COGNATE = {**getattr(settings, "COGNATE", {}), "PUBLIC_URL": live_server.url}
    tokens.keys_cache_clear()
    login_service.jwk_clients_clear()
    yield
    tokens.keys_cache_clear()
    login_service.jwk_clients_clear()
    gc.collect()
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=5)


@pytest.fixture
def cognito_identity(boto_client):
    """An unsigned cognito-identity client, as an app has (GetId, GetCredentialsForIdentity, ...)."""
    client = boto_client("cognito-identity")
    yield client
    client.close()


@pytest.fixture
def signed_identity(boto_client, make_access_key):
    """A cognito-identity client signed with a full-access operator key."""
    client = boto_client("cognito-identity", key=make_access_key())
    yield client
    client.close()


@pytest.fixture
def idp_client(boto_client, make_access_key):
    """A signed cognito-idp client (to make user pools and clients)."""
    client = boto_client("cognito-idp", key=make_access_key())
    yield client
    client.close()


@pytest.fixture
def identity_pool(signed_identity):
    """identity_pool(name="pool", allow_unauthenticated=True, **CreateIdentityPool members)
    -> the CreateIdentityPool response (an ``IdentityPool`` dict)."""

    def make(name: str = "pool", allow_unauthenticated: bool = True, **kwargs) -> dict:
        response = signed_identity.create_identity_pool(
            IdentityPoolName=name, AllowUnauthenticatedIdentities=allow_unauthenticated, **kwargs
        )
        response.pop("ResponseMetadata", None)
        return response

    return make


# A trust policy that lets every identity pool use a role (tests that are not about trust
# use it; tests/security/test_roles.py checks the trust itself).
TRUST_ANY_IDENTITY_POOL = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
        }
    ],
}


@pytest.fixture
def make_role():
    """make_role(name="app-role", policy=None, trust=TRUST_ANY_IDENTITY_POOL) -> the role's
    ARN (a Cognate Role row)."""

    def make(name: str = "app-role", policy: dict | None = None, trust: dict | None = None) -> str:
        document = policy or {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["cognito-identity:*"], "Resource": "*"}],
        }
        trust = TRUST_ANY_IDENTITY_POOL if trust is None else trust
        return role_save(SYSTEM, name=name, policy=document, trust_policy=trust).arn

    return make


@dataclass
class UserPoolLogin:
    """A Cognate user pool with a password client; ``sign_in`` returns an ID token."""

    pool_id: str
    client_id: str
    provider: str  # cognito-idp.{region}.amazonaws.com/{UserPoolId}
    idp: Any
    make_user: Callable[..., Any]
    users: dict[str, Any] = field(default_factory=dict)

    def sign_in(self, username: str = "alice", client_id: str | None = None) -> str:
        if username not in self.users:
            self.users[username] = self.make_user(self.pool_id, username)
        result = self.idp.initiate_auth(
            ClientId=client_id or self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )
        return result["AuthenticationResult"]["IdToken"]

    def identity_provider(self, client_id: str | None = None) -> dict:
        """A CognitoIdentityProviders entry for this pool and client."""
        return {"ProviderName": self.provider, "ClientId": client_id or self.client_id}

    def add_client(self, name: str = "other") -> str:
        return self.idp.create_user_pool_client(
            UserPoolId=self.pool_id,
            ClientName=name,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]


@pytest.fixture
def user_pool_login(idp_client):
    """user_pool_login(name="users") -> UserPoolLogin (a user pool, a password client, users made on demand)."""
    from userpools.models import User
    from userpools.services import users
    from userpools.services.pools import user_pool_get

    def make_user(pool_id: str, username: str):
        return users.user_create(
            SYSTEM,
            pool=user_pool_get(pool_id),
            username=username,
            password=PASSWORD,
            attributes={"email": f"{username}@example.com", "email_verified": "true"},
            status=User.Status.CONFIRMED,
        )

    def make(name: str = "users") -> UserPoolLogin:
        pool_id = idp_client.create_user_pool(PoolName=name)["UserPool"]["Id"]
        client_id = idp_client.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="app",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
        provider = login_service.cognito_provider_name(pool_id)
        return UserPoolLogin(pool_id, client_id, provider, idp_client, make_user)

    return make


# --- Local stand-ins for external providers ----------------------------------------------------


class StandIn:
    """An HTTP server on 127.0.0.1 answering GETs from ``routes`` {path: fn(query) -> (status, json)}."""

    def __init__(self) -> None:
        self.routes: dict[str, Callable[[dict[str, str]], tuple[int, Any]]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                stand_in.requests.append((parts.path, query))
                route = stand_in.routes.get(parts.path)
                status, body = route(query) if route else (404, {"error": "not found"})
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class JwtIssuer:
    """An OpenID Connect-style issuer: an RSA key published as a JWKS at ``{stand_in.url}/jwks``."""

    def __init__(self, stand_in: StandIn, issuer: str) -> None:
        self.stand_in = stand_in
        self.issuer = issuer
        self.kid = uuid.uuid4().hex
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        stand_in.routes["/jwks"] = lambda query: (
            200,
            {"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]},
        )

    @property
    def jwks_url(self) -> str:
        return f"{self.stand_in.url}/jwks"

    def token(self, *, aud: str, sub: str = "subject-1", lifetime: int = 600, key: Any = None, **claims: Any) -> str:
        now = int(time.time())
        payload = {"iss": self.issuer, "aud": aud, "sub": sub, "iat": now, "exp": now + lifetime, **claims}
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": self.kid})


@pytest.fixture
def stand_in():
    """stand_in() -> a new StandIn server (closed after the test)."""
    servers: list[StandIn] = []

    def make() -> StandIn:
        server = StandIn()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


@pytest.fixture
def jwt_issuer(stand_in):
    """jwt_issuer(issuer) -> JwtIssuer whose JWKS a fresh stand-in serves."""

    def make(issuer: str) -> JwtIssuer:
        return JwtIssuer(stand_in(), issuer)

    return make
