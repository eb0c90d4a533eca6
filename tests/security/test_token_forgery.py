"""A corpus of forged and misused JWTs against every consumer of Cognate's tokens.

Each consumer first accepts the genuine token (so each test can fail), then must refuse
every forgery: the access-token operations of the wire API, ``/oauth2/userInfo``, the
resource-server verifier (userpools/verify/__init__.py) and identity pools' Logins.

The corpus: ``alg: none``; HS256 keyed with the pool's public key (PEM and JWK); a foreign
RSA key under the pool's own ``kid``, under its own ``kid``, embedded as ``jwk`` or pointed
at by ``jku``; another pool's key; expired; not yet valid; no ``exp``; wrong ``iss``; wrong
``token_use``; wrong ``aud``/``client_id`` where the consumer checks it; a tampered
payload; a truncated signature; another token's signature; non-canonical encodings.
Tokens signed with the pool's real key (expired, wrong ``iss`` ...) are made with the
token service's own signer, standing in for a token the server once issued.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import boto3
import jwt
import pytest
import requests
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.auth.conftest import PASSWORD
from tests.conftest import one_request_per_connection
from userpools import verify
from userpools.context import SYSTEM
from userpools.models import AppClient
from userpools.services import tokens

pytestmark = pytest.mark.django_db(transaction=True)

FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
ATTACKER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    head, body, signature = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (json.loads(base64.urlsafe_b64decode(pad(head))), json.loads(base64.urlsafe_b64decode(pad(body))), signature)


def compact(header: dict[str, Any], claims: dict[str, Any], signature: str = "") -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}.{signature}"


def hmac_signed(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    unsigned = compact(header, claims)[:-1]
    return f"{unsigned}.{b64(hmac.new(secret, unsigned.encode(), hashlib.sha256).digest())}"


def attacker_signed(claims: dict[str, Any], **header: Any) -> str:
    return jwt.encode(claims, ATTACKER_KEY, algorithm="RS256", headers=header)


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    return {**jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": kid, "alg": "RS256"}


def forgeries(
    genuine: str, *, pool_id: str, other_pool_id: str, other_token: str, other_use: str, check_audience: bool
) -> dict[str, str]:
    """Forged and misused variants of ``genuine``, by name."""
    header, claims, signature = parts(genuine)
    kid = header["kid"]
    pool_jwk = next(k for k in tokens.jwks(pool_id)["keys"] if k["kid"] == kid)
    pool_public = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(pool_jwk))
    pem = pool_public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    now = int(time.time())
    head, body, _ = genuine.split(".")
    tampered = {
        **claims,
        "sub": "00000000-0000-4000-8000-000000000000",
        "username": "admin",
        "cognito:groups": ["admins"],
        "scope": "aws.cognito.signin.user.admin openid",
    }
    out = {
        "alg none": compact({"alg": "none", "kid": kid, "typ": "JWT"}, claims),
        "alg None with the signature": compact({"alg": "None", "kid": kid}, claims, signature),
        "HS256 keyed with the public key (PEM)": hmac_signed({"alg": "HS256", "kid": kid, "typ": "JWT"}, claims, pem),
        "HS256 keyed with the public JWK": hmac_signed(
            {"alg": "HS256", "kid": kid}, claims, json.dumps(pool_jwk).encode()
        ),
        "foreign key under the pool's kid": attacker_signed(claims, kid=kid),
        "foreign key under its own kid": attacker_signed(claims, kid="attacker"),
        "foreign key embedded as jwk": attacker_signed(
            claims, kid="attacker", jwk=public_jwk(ATTACKER_KEY, "attacker")
        ),
        "foreign key named by jku": attacker_signed(claims, kid="attacker", jku="http://127.0.0.1:9/jwks.json"),
        "no kid": attacker_signed(claims),
        "another pool's key": tokens._sign(other_pool_id, claims),
        "expired": tokens._sign(pool_id, {**claims, "iat": now - 7200, "exp": now - 3600}),
        "not valid yet": tokens._sign(pool_id, {**claims, "nbf": now + 3600}),
        "no exp": tokens._sign(pool_id, {k: v for k, v in claims.items() if k != "exp"}),
        "exp as a string": tokens._sign(pool_id, {**claims, "exp": str(now + 3600)}),
        "wrong iss": tokens._sign(pool_id, {**claims, "iss": claims["iss"] + "x"}),
        "another pool's iss": tokens._sign(pool_id, {**claims, "iss": tokens.issuer(other_pool_id)}),
        "wrong token_use": other_token,
        "token_use rewritten": tokens._sign(pool_id, {**claims, "token_use": other_use}),
        "tampered payload": f"{head}.{b64(json.dumps(tampered).encode())}.{signature}",
        "truncated signature": f"{head}.{body}.{signature[:-8]}",
        "empty signature": f"{head}.{body}.",
        "another token's signature": f"{head}.{body}.{other_token.split('.')[2]}",
        "padded segments": f"{head}==.{body}.{signature}",
        "four segments": f"{genuine}.{signature}",
    }
    if check_audience:
        aud = "aud" if claims["token_use"] == "id" else "client_id"
        out["wrong audience"] = tokens._sign(pool_id, {**claims, aud: "0" * 26})
    return out


@pytest.fixture
def corpus(settings, live_server, idp, make_pool, make_client, make_user, public):
    """corpus(check_audience) -> (genuine access token, genuine ID token, pool_id, client_id,
    forgeries of the access token, forgeries of the ID token)."""
    settings.COGNATE = {**getattr(settings, "COGNATE", {}), "PUBLIC_URL": live_server.url}
    tokens.keys_cache_clear()
    verify.jwks_cache_clear()

    def make(check_audience: bool = False, oauth: bool = False):
        pool_id = make_pool("victims", AutoVerifiedAttributes=["email"])["Id"]
        client = make_client(pool_id, ExplicitAuthFlows=FLOWS)
        other_pool = make_pool("others", AutoVerifiedAttributes=["email"])["Id"]
        user = make_user(pool_id, "alice")
        if oauth:  # tokens as /oauth2/token issues them after a hosted sign-in: with the openid scope
            issued = tokens.tokens_issue(
                SYSTEM,
                user=user,
                client=AppClient.objects.get(client_id=client["ClientId"]),
                scopes=["openid", "email", "profile"],
                oauth=True,
            )
            access, id_token = issued.access_token, issued.id_token
        else:
            result = public.initiate_auth(
                ClientId=client["ClientId"],
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
            )
            access, id_token = result["AuthenticationResult"]["AccessToken"], result["AuthenticationResult"]["IdToken"]
        tokens.jwks(other_pool)  # the other pool's first key
        common = {"pool_id": pool_id, "other_pool_id": other_pool, "check_audience": check_audience}
        return (
            access,
            id_token,
            pool_id,
            client["ClientId"],
            forgeries(access, other_token=id_token, other_use="id", **common),
            forgeries(id_token, other_token=access, other_use="access", **common),
        )

    yield make
    tokens.keys_cache_clear()
    verify.jwks_cache_clear()


def accepted(attempt, forged: dict[str, str]) -> list[str]:
    """The names of the forgeries ``attempt`` did not refuse (it returns True when refused)."""
    return [name for name, token in forged.items() if not attempt(token)]


# --- Consumers ----------------------------------------------------------------------------


@pytest.fixture
def app_client(live_server):
    """An unsigned cognito-idp client that retries a dropped connection: these tests send a
    few hundred requests, each on a new connection, and urllib3 may reuse one the live server
    has just closed (a race of the test harness, not an answer of the server)."""
    config = Config(signature_version=UNSIGNED, retries={"max_attempts": 5, "mode": "legacy"}, read_timeout=30)
    client = one_request_per_connection(
        boto3.client(
            "cognito-idp",
            endpoint_url=live_server.url,
            region_name="us-east-1",
            aws_access_key_id="unused",
            aws_secret_access_key="unused",
            config=config,
        )
    )
    yield client
    client.close()


ACCESS_TOKEN_OPERATIONS = {
    "GetUser": lambda api, t: api.get_user(AccessToken=t),
    "ListDevices": lambda api, t: api.list_devices(AccessToken=t),
    "GetUserAttributeVerificationCode": lambda api, t: api.get_user_attribute_verification_code(
        AccessToken=t, AttributeName="email"
    ),
    "UpdateUserAttributes": lambda api, t: api.update_user_attributes(
        AccessToken=t, UserAttributes=[{"Name": "name", "Value": "Mallory"}]
    ),
    "ChangePassword": lambda api, t: api.change_password(
        AccessToken=t, PreviousPassword=PASSWORD, ProposedPassword="N3w-passw0rd!"
    ),
    "SetUserMFAPreference": lambda api, t: api.set_user_mfa_preference(
        AccessToken=t, EmailMfaSettings={"Enabled": False}
    ),
    "AssociateSoftwareToken": lambda api, t: api.associate_software_token(AccessToken=t),
    "DeleteUser": lambda api, t: api.delete_user(AccessToken=t),
    "GlobalSignOut": lambda api, t: api.global_sign_out(AccessToken=t),
}


def test_access_token_operations_refuse_every_forgery(corpus, app_client):
    public = app_client
    access, id_token, *_, forged, _ = corpus()
    assert public.get_user(AccessToken=access)["Username"] == "alice"
    for operation, call in ACCESS_TOKEN_OPERATIONS.items():

        def refused(token: str, call=call) -> bool:
            try:
                call(public, token)
            except ClientError as exc:
                # Refused as unauthenticated, or as malformed before any check.
                return exc.response["Error"]["Code"] in ("NotAuthorizedException", "InvalidParameterException")
            return False

        assert accepted(refused, forged) == [], operation
    # Nothing above changed alice: the genuine token still works and her name is unset.
    attributes = {a["Name"]: a["Value"] for a in public.get_user(AccessToken=access)["UserAttributes"]}
    assert "name" not in attributes


def test_userinfo_refuses_every_forgery(corpus, live_server):
    access, _, pool_id, _, forged, _ = corpus(oauth=True)
    url = f"{live_server.url}/{pool_id}/oauth2/userInfo"
    genuine = requests.get(url, headers={"Authorization": f"Bearer {access}"}, timeout=10)
    assert genuine.status_code == 200 and genuine.json()["username"] == "alice"

    def refused(token: str) -> bool:
        answer = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        return answer.status_code == 401 and "error" in answer.json()

    assert accepted(refused, forged) == []


@pytest.mark.parametrize("use", ["access", "id"])
def test_the_resource_server_verifier_refuses_every_forgery(corpus, use):
    access, id_token, pool_id, client_id, forged_access, forged_id = corpus(check_audience=True)
    verifier = verify.TokenVerifier([tokens.issuer(pool_id)], client_ids=[client_id], token_use=use)
    genuine, forged = (access, forged_access) if use == "access" else (id_token, forged_id)
    assert verifier.verify(genuine).sub

    def refused(token: str) -> bool:
        try:
            verifier.verify(token)
        except verify.TokenError:
            return True
        return False

    assert accepted(refused, forged) == []


def test_identity_pools_refuse_every_forged_id_token(corpus, boto_client, make_access_key):
    _, id_token, pool_id, client_id, _, forged = corpus(check_audience=True)
    signed = boto_client("cognito-identity", key=make_access_key())
    provider = f"cognito-idp.us-east-1.amazonaws.com/{pool_id}"
    identity_pool = signed.create_identity_pool(
        IdentityPoolName="apps",
        AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[{"ProviderName": provider, "ClientId": client_id}],
    )["IdentityPoolId"]
    app = boto_client("cognito-identity")
    assert app.get_id(IdentityPoolId=identity_pool, Logins={provider: id_token})["IdentityId"]

    def refused(token: str) -> bool:
        try:
            app.get_id(IdentityPoolId=identity_pool, Logins={provider: token})
        except ClientError as exc:
            return exc.response["Error"]["Code"] in ("NotAuthorizedException", "InvalidParameterException")
        return False

    assert accepted(refused, forged) == []
    app.close()
    signed.close()
